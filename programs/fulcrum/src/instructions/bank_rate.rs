//! Rate-priced collateral (issue 18 part 2): an admin points a bank at its asset's rate
//! source, and a permissionless crank refreshes the accepted rate.
//!
//! Why a crank and a stored rate rather than reading the source in every margin check: the rise
//! cap needs the last accepted rate and its epoch (state), the stake pool's own freshness rule
//! (updated this epoch) would otherwise fail every margin check in the first slots of an epoch,
//! and margin checks keep their remaining accounts (bank, oracle) unchanged, so the SDK, keeper
//! and every client build them as before. Margin then prices the bank at the LIVE underlying
//! oracle × the stored rate × the stored depeg factor (`health.rs`, one line).
//!
//! The depeg factor (`min(1, direct oracle / (underlying × rate))`) is measured at each refresh:
//! the LST/SOL ratio moves far slower than SOL, which margin reads live. Anyone who sees a depeg
//! (a liquidator first) can refresh at once; a refresh cannot raise collateral beyond the rise
//! cap, and the factor is never above 1.
//!
//! A stored factor is only as good as the direct price it was measured from. The bank
//! records that price's publish time (`depeg_measured_at`); once it is older than the bank's
//! `max_oracle_age`, a risk-increasing margin check refuses (`DepegFactorStale`: a transaction
//! that prepends `refresh_bank_rate` passes), an exit counts the collateral at zero (as a stale
//! oracle's), a liquidation uses the stored factor (a liquidator may refresh first). So that the
//! remedy works in the first slots of an epoch, a refresh of a direct-oracle bank whose pool has
//! not updated yet keeps the rate and its epoch and measures the factor against that rate.

use anchor_lang::prelude::*;
use fulcrum_risk::{depeg_factor, depeg_fresh, guarded_rate, FACTOR_ONE, MAX_RATE_RISE_PPM};
use solana_program::hash::hashv;

use crate::error::{is_error, Cast, FulcrumError};
use crate::oracle::{load_observation, load_price, read_oracle, OracleConfig, OracleKind, Pricing};
use crate::rate_source::{read_rate, RateKind};
use crate::state::*;
use crate::validate::in_range;

#[derive(Accounts)]
pub struct SetBankRateSource<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub bank: AccountLoader<'info, CollateralBank>,
    /// CHECK: the bank's own oracle (its underlying's price), key checked in the handler.
    pub oracle: UncheckedAccount<'info>,
    /// CHECK: read as a rate source of `rate_kind` in the handler (owner, layout, mint, epoch).
    pub rate_source: UncheckedAccount<'info>,
    /// CHECK: read as a Pyth price of `direct_oracle_kind` in the handler.
    pub direct_oracle: Option<UncheckedAccount<'info>>,
}

#[derive(Accounts)]
pub struct RefreshBankRate<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub bank: AccountLoader<'info, CollateralBank>,
    /// CHECK: the bank's own oracle, key checked in the handler.
    pub oracle: UncheckedAccount<'info>,
    /// CHECK: must be the bank's rate source (key, owner pinned), read in the handler.
    pub rate_source: UncheckedAccount<'info>,
    /// CHECK: the bank's direct oracle when it has one (key and feed pinned).
    pub direct_oracle: Option<UncheckedAccount<'info>>,
}

/// How the admin configures rate pricing (`set_bank_rate_source`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateSourceParams {
    /// [`RateKind`]: 1 SPL stake pool, 2 vault share; 0 turns rate pricing off.
    pub rate_kind: u8,
    /// Most the accepted rate may rise per epoch, ppm of itself, 0..=`MAX_RATE_RISE_PPM`.
    pub max_rise_ppm: u32,
    /// [`OracleKind`] of the direct oracle (0: none; then no `direct_oracle` account).
    pub direct_oracle_kind: u8,
    /// Pyth feed id of the direct oracle (PriceUpdateV2 only).
    pub direct_feed_id: [u8; 32],
}

impl CollateralBank {
    /// What a rate-priced bank pins beyond the keys: its rate source's owner program and its
    /// direct oracle's feed id ([`CollateralBank::rate_identity`] holds this hash).
    pub fn rate_identity_of(source_owner: &Pubkey, direct_feed_id: &[u8; 32]) -> [u8; 32] {
        hashv(&[source_owner.as_ref(), direct_feed_id]).to_bytes()
    }

    /// The direct oracle's read configuration (the bank's age and confidence bounds).
    pub fn direct_oracle_config(&self, feed_id: [u8; 32]) -> OracleConfig {
        OracleConfig { kind: self.direct_oracle_kind, key: self.direct_oracle, feed_id, ..self.oracle_config() }
    }

    /// Whether margin prices this bank through its rate.
    pub fn is_rate_priced(&self) -> bool {
        self.rate_kind != RateKind::None as u8
    }

    /// `price` (this bank's collateral price) as `pricing` may take it while the depeg
    /// factor is older than `max_oracle_age` ([`depeg_fresh`]): Strict refuses by name, Exit
    /// counts the collateral at zero, Liquidation keeps the stored factor. Unchanged for a bank
    /// without a direct oracle or with a fresh factor.
    pub fn depeg_gate(
        &self,
        price: Option<fulcrum_risk::Price>,
        pricing: Pricing,
        now: i64,
    ) -> Result<Option<fulcrum_risk::Price>> {
        let no_direct = !self.is_rate_priced() || self.direct_oracle_kind == OracleKind::None as u8;
        if no_direct || depeg_fresh(self.depeg_measured_at, now, self.max_oracle_age) {
            return Ok(price);
        }
        match pricing {
            Pricing::Strict => err!(FulcrumError::DepegFactorStale),
            Pricing::Exit => Ok(None),
            Pricing::Liquidation => Ok(price),
        }
    }

    /// A collateral price of this bank from its underlying's: × accepted rate × depeg
    /// factor, rounded down; unchanged for a bank that is not rate-priced.
    pub fn rate_priced(&self, underlying: fulcrum_risk::Price) -> Result<fulcrum_risk::Price> {
        if !self.is_rate_priced() {
            return Ok(underlying);
        }
        fulcrum_risk::rate_price(underlying, self.accepted_rate, self.depeg_ppm)
            .map_err(|e| error!(FulcrumError::from(e)))
    }
}

/// The feed id a direct oracle account carries (PriceUpdateV2: read from its data; legacy: none).
fn carried_feed_id(ai: &AccountInfo, kind: u8) -> Result<[u8; 32]> {
    if OracleKind::from_u8(kind)? != OracleKind::PythPull {
        return Ok([0u8; 32]);
    }
    let data = ai.try_borrow_data()?;
    let mut id = [0u8; 32];
    id.copy_from_slice(data.get(41..73).ok_or_else(|| error!(FulcrumError::InvalidOracleAccount))?);
    Ok(id)
}

/// min(1, direct oracle / (underlying × `rate`)), both oracles fit for trading, and the direct
/// price's publish time (at most `now`).
fn measure_depeg(
    bank: &CollateralBank,
    oracle: &AccountInfo,
    direct: &AccountInfo,
    feed_id: [u8; 32],
    rate: u64,
    quote_decimals: u8,
    now: i64,
) -> Result<(u32, i64)> {
    let underlying = load_price(oracle, &bank.oracle_config(), quote_decimals, now)?;
    let (own, published) = load_observation(direct, &bank.direct_oracle_config(feed_id), quote_decimals, now)?;
    let factor =
        depeg_factor(own.oracle.min(own.ema), underlying.oracle, rate).map_err(|e| error!(FulcrumError::from(e)))?;
    Ok((factor, published.min(now)))
}

/// Reads the source (and the direct oracle) and stores the guarded rate and depeg factor: the
/// one path of both instructions. `bank.accepted_rate` 0 (configuration) takes the reading.
fn refresh(
    bank: &mut CollateralBank,
    oracle: &AccountInfo,
    rate_source: &AccountInfo,
    direct: Option<&AccountInfo>,
    quote_decimals: u8,
) -> Result<()> {
    let clock = Clock::get()?;
    let kind = RateKind::from_u8(bank.rate_kind)?;
    require_keys_eq!(*oracle.key, bank.oracle, FulcrumError::OracleMismatch);
    require_keys_eq!(*rate_source.key, bank.rate_source, FulcrumError::RateSourceMismatch);
    // A pool not yet updated this epoch leaves a direct-oracle bank's rate as it is and
    // still lets the depeg factor be measured (against that rate, the one margin uses), so the
    // refresh a risk-increasing transaction prepends passes in the first slots of an epoch.
    let observed = match read_rate(rate_source, kind, &bank.mint, bank.decimals, clock.epoch) {
        Ok(rate) => Some(rate),
        Err(e) if direct.is_some() && bank.accepted_rate > 0 && is_error(&e, FulcrumError::RateSourceStale) => None,
        Err(e) => return Err(e),
    };
    let feed_id = match direct {
        Some(ai) => {
            require_keys_eq!(*ai.key, bank.direct_oracle, FulcrumError::RateSourceMismatch);
            carried_feed_id(ai, bank.direct_oracle_kind)?
        }
        None => [0u8; 32],
    };
    require!(direct.is_some() == (bank.direct_oracle_kind != 0), FulcrumError::RateSourceMismatch);
    let identity = CollateralBank::rate_identity_of(rate_source.owner, &feed_id);
    require!(identity == bank.rate_identity, FulcrumError::RateSourceMismatch);

    let (accepted, epoch) = match observed {
        Some(observed) => (
            guarded_rate(bank.accepted_rate, bank.rate_epoch.into(), observed, clock.epoch, bank.rate_max_rise_ppm)
                .map_err(|e| error!(FulcrumError::from(e)))?,
            clock.epoch,
        ),
        None => (bank.accepted_rate, bank.rate_epoch.into()),
    };
    let (factor, measured_at) = match direct {
        Some(ai) => match measure_depeg(bank, oracle, ai, feed_id, accepted, quote_decimals, clock.unix_timestamp) {
            Ok(m) => m,
            // Nothing read from a stale pool, nothing measured: the pool's error.
            Err(_) if observed.is_none() => return err!(FulcrumError::RateSourceStale),
            // An oracle unfit to measure (stale in a crash): a fall of the rate still lands, with
            // the last factor (measured against the higher rate, so the price only falls);
            // a rise waits for a measurement.
            Err(e) if accepted > bank.accepted_rate => return Err(e),
            // Not measured, so its time stays (margin's age check sees the old one).
            Err(_) => (bank.depeg_ppm, bank.depeg_measured_at),
        },
        None => (FACTOR_ONE, 0),
    };
    bank.accepted_rate = accepted;
    bank.rate_epoch = epoch.cast()?;
    bank.depeg_ppm = factor;
    bank.depeg_measured_at = measured_at;
    Ok(())
}

/// Points a bank at its asset's rate source (and optionally a direct oracle of the token), one
/// rule per line; the first reading is accepted as it is (the admin vouches for it). Kind 0
/// turns rate pricing off.
pub fn set_bank_rate_source(ctx: Context<SetBankRateSource>, params: RateSourceParams) -> Result<()> {
    let accounts = &ctx.accounts;
    let quote_decimals = accounts.exchange.load()?.quote_decimals;
    let mut bank = accounts.bank.load_mut()?;
    require!(bank.index != CollateralBank::QUOTE_INDEX, FulcrumError::QuoteBankHasNoOracle);
    let kind = RateKind::from_u8(params.rate_kind)?;
    in_range("max_rise_ppm", params.max_rise_ppm.into(), 0, MAX_RATE_RISE_PPM.into(), FulcrumError::InvalidParameter)?;
    let direct_kind = OracleKind::from_u8(params.direct_oracle_kind)?;
    let direct = accounts.direct_oracle.as_ref().map(|a| a.to_account_info());
    require!(direct.is_some() == (direct_kind != OracleKind::None), FulcrumError::InvalidParameter);
    if kind == RateKind::None {
        bank.rate_kind = 0;
        bank.rate_source = Pubkey::default();
        bank.direct_oracle = Pubkey::default();
        bank.direct_oracle_kind = 0;
        bank.accepted_rate = 0;
        bank.depeg_ppm = 0;
        bank.depeg_measured_at = 0;
        return Ok(());
    }
    if let Some(ai) = &direct {
        // The feed the admin names is the one the account carries (checked by the read).
        let cfg = OracleConfig {
            kind: params.direct_oracle_kind,
            key: ai.key(),
            feed_id: params.direct_feed_id,
            ..bank.oracle_config()
        };
        read_oracle(ai, &cfg)?;
    }
    let feed_id = if direct_kind == OracleKind::PythPull { params.direct_feed_id } else { [0u8; 32] };
    bank.rate_kind = kind as u8;
    bank.rate_source = accounts.rate_source.key();
    bank.direct_oracle = direct.as_ref().map(|a| a.key()).unwrap_or_default();
    bank.direct_oracle_kind = params.direct_oracle_kind;
    bank.rate_identity = CollateralBank::rate_identity_of(accounts.rate_source.owner, &feed_id);
    bank.rate_max_rise_ppm = params.max_rise_ppm;
    bank.accepted_rate = 0;
    bank.rate_epoch = 0;
    refresh(
        &mut bank,
        &accounts.oracle.to_account_info(),
        &accounts.rate_source.to_account_info(),
        direct.as_ref(),
        quote_decimals,
    )
}

/// Anyone: reads the bank's rate source (fresh this epoch) and direct oracle, and stores the
/// rate margin uses: a fall in full, a rise capped per epoch; the depeg factor as measured.
pub fn refresh_bank_rate(ctx: Context<RefreshBankRate>) -> Result<()> {
    let accounts = &ctx.accounts;
    let quote_decimals = accounts.exchange.load()?.quote_decimals;
    let mut bank = accounts.bank.load_mut()?;
    require!(bank.is_rate_priced(), FulcrumError::BankNotRatePriced);
    let direct = accounts.direct_oracle.as_ref().map(|a| a.to_account_info());
    refresh(
        &mut bank,
        &accounts.oracle.to_account_info(),
        &accounts.rate_source.to_account_info(),
        direct.as_ref(),
        quote_decimals,
    )
}
