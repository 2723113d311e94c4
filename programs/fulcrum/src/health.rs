//! Loading an account's priced holdings from remaining accounts, and asking the risk engine.
//!
//! Canonical order of the remaining accounts of every margin check: for each active collateral
//! slot, in slot order (ascending bank index), the bank then its oracle; then for each active
//! perp slot, in slot order (ascending market index), the market then its oracle. The slots are
//! those of the account *after* the instruction's change. A shorter list fails with
//! `MissingHealthAccounts`, a longer one with `ExtraHealthAccounts`, a wrong or misplaced
//! account with `HealthAccountMismatch`.

use anchor_lang::prelude::*;
use fulcrum_risk::{AccountHealth, Collateral, PerpExposure, Price, RiskAccount};

use crate::error::{FulcrumError, MathResultExt};
use crate::oracle::{load_price, read_oracle, OracleConfig};
use crate::state::*;

/// Holdings of one account with their prices and risk parameters.
pub struct HealthInputs {
    pub collateral: [Collateral; MAX_COLLATERAL],
    pub n_collateral: usize,
    pub perps: [PerpExposure; MAX_PERPS],
    pub n_perps: usize,
}

impl HealthInputs {
    pub fn risk_account(&self, quote_balance: i64, exchange: &Exchange) -> RiskAccount<'_> {
        RiskAccount {
            quote_balance,
            collateral: &self.collateral[..self.n_collateral],
            perps: &self.perps[..self.n_perps],
            params: exchange.account_params(),
        }
    }
}

impl CollateralBank {
    pub fn oracle_config(&self) -> OracleConfig {
        OracleConfig {
            kind: self.oracle_kind,
            key: self.oracle,
            feed_id: self.feed_id,
            max_age: self.max_oracle_age,
            max_conf_ratio: self.max_conf_ratio,
            base_decimals: self.decimals,
        }
    }
}

impl PerpMarket {
    pub fn oracle_config(&self) -> OracleConfig {
        OracleConfig {
            kind: self.oracle_kind,
            key: self.oracle,
            feed_id: self.feed_id,
            max_age: self.max_oracle_age,
            max_conf_ratio: self.max_conf_ratio,
            base_decimals: self.base_decimals,
        }
    }
}

fn pair<'a, 'info>(
    remaining: &'a [AccountInfo<'info>],
    i: usize,
) -> Result<(&'a AccountInfo<'info>, &'a AccountInfo<'info>)> {
    match (remaining.get(2 * i), remaining.get(2 * i + 1)) {
        (Some(a), Some(o)) => Ok((a, o)),
        _ => err!(FulcrumError::MissingHealthAccounts),
    }
}

/// Reads every bank/market and oracle the account's active slots name, from `remaining` in the
/// canonical order.
pub fn load_health_inputs<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    quote_decimals: u8,
    remaining: &[AccountInfo<'info>],
    now: i64,
) -> Result<Box<HealthInputs>> {
    load_health_inputs_with(account, exchange_key, quote_decimals, remaining, now, false)
}

/// As [`load_health_inputs`]; with `stale_fallback` (liquidations), a perp market whose oracle
/// is only stale is priced at its last valid observation if that is no older than the market's
/// `liquidation_max_age`.
pub fn load_health_inputs_with<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    quote_decimals: u8,
    remaining: &[AccountInfo<'info>],
    now: i64,
    stale_fallback: bool,
) -> Result<Box<HealthInputs>> {
    let mut inputs = Box::new(HealthInputs {
        collateral: [Collateral::default(); MAX_COLLATERAL],
        n_collateral: 0,
        perps: [PerpExposure::default(); MAX_PERPS],
        n_perps: 0,
    });
    let mut k = 0usize;
    for (i, slot) in account.active_collateral().iter().enumerate() {
        let (bank_ai, oracle_ai) = pair(remaining, k)?;
        k += 1;
        let bank = load_zero_copy::<CollateralBank>(bank_ai)?;
        require!(bank.exchange == *exchange_key && bank.index == slot.bank_index, FulcrumError::HealthAccountMismatch);
        require_keys_eq!(*oracle_ai.key, bank.oracle, FulcrumError::HealthAccountMismatch);
        inputs.collateral[i] = Collateral {
            amount: slot.amount,
            price: load_price(oracle_ai, &bank.oracle_config(), quote_decimals, now)?,
            init_asset_weight: bank.init_asset_weight,
            maint_asset_weight: bank.maint_asset_weight,
        };
        inputs.n_collateral = i + 1;
    }
    for (i, slot) in account.active_perps().iter().enumerate() {
        let (market_ai, oracle_ai) = pair(remaining, k)?;
        k += 1;
        let market = load_zero_copy::<PerpMarket>(market_ai)?;
        require!(
            market.exchange == *exchange_key && market.index == slot.market_index,
            FulcrumError::HealthAccountMismatch
        );
        require_keys_eq!(*oracle_ai.key, market.oracle, FulcrumError::HealthAccountMismatch);
        let cfg = market.oracle_config();
        let reading = read_oracle(oracle_ai, &cfg)?;
        let last_valid_ok = now.saturating_sub(market.last_valid_time) <= i64::from(market.liquidation_max_age)
            && market.last_valid_price > 0;
        let price = if stale_fallback && reading.is_stale(&cfg, now) && last_valid_ok {
            Price { oracle: market.last_valid_price, ema: market.last_valid_ema }
        } else {
            reading.validate(&cfg, now)?;
            reading.to_price(cfg.base_decimals, quote_decimals)?
        };
        inputs.perps[i] = PerpExposure { position: slot.position(), market: market.risk(price) };
        inputs.n_perps = i + 1;
    }
    require!(remaining.len() <= 2 * k, FulcrumError::ExtraHealthAccounts);
    Ok(inputs)
}

/// Copies a program-owned zero-copy account out of an `AccountInfo`, checking owner and
/// discriminator; a wrong account is a `HealthAccountMismatch`.
pub fn load_zero_copy<T: bytemuck::Pod + Discriminator + Owner>(ai: &AccountInfo) -> Result<T> {
    require_keys_eq!(*ai.owner, T::owner(), FulcrumError::HealthAccountMismatch);
    let data = ai.try_borrow_data()?;
    let disc = T::DISCRIMINATOR;
    let body = data
        .get(disc.len()..disc.len() + core::mem::size_of::<T>())
        .ok_or_else(|| error!(FulcrumError::HealthAccountMismatch))?;
    require!(data[..disc.len()] == *disc, FulcrumError::HealthAccountMismatch);
    Ok(bytemuck::pod_read_unaligned(body))
}

/// The full engine picture of `account` from its canonical remaining accounts.
pub fn account_health<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    exchange: &Exchange,
    remaining: &[AccountInfo<'info>],
    now: i64,
) -> Result<AccountHealth> {
    let inputs = load_health_inputs(account, exchange_key, exchange.quote_decimals, remaining, now)?;
    fulcrum_risk::account_health(&inputs.risk_account(account.quote_balance, exchange)).math()
}

/// Records what an instruction observed: health state, and entering or leaving margin call
/// (with its event, once each way).
pub fn observe(
    acct: &mut MarginAccount,
    key: &Pubkey,
    health: &AccountHealth,
    exchange: &Exchange,
    slot: u64,
) -> Result<()> {
    use crate::events::{sat_i64, MarginCallClearedEvent, MarginCallEvent};
    let was = acct.in_margin_call != 0;
    let now = fulcrum_risk::in_margin_call(was, &health.maint, exchange.liquidation_buffer).math()?;
    let (equity, requirement) = (sat_i64(health.maint.equity), sat_i64(health.maint.requirement));
    if now && !was {
        acct.margin_call_slot = slot;
        crate::emit_event!(MarginCallEvent { margin_account: *key, slot, equity, requirement });
    } else if was && !now {
        acct.margin_call_slot = 0;
        crate::emit_event!(MarginCallClearedEvent { margin_account: *key, slot, equity, requirement });
    }
    acct.in_margin_call = u8::from(now);
    acct.health_state = health.state as u8;
    Ok(())
}
