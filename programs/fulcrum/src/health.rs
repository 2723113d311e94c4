//! Loading an account's priced holdings from remaining accounts, and asking the risk engine.
//!
//! Canonical order of the remaining accounts of every margin check: for each active collateral
//! slot, in slot order (ascending bank index), the bank then its oracle; then for each active
//! perp slot, in slot order (ascending market index), the market then its oracle. The slots are
//! those of the account *after* the instruction's change. A shorter list fails with
//! `MissingHealthAccounts`, a longer one with `ExtraHealthAccounts`, a wrong or misplaced
//! account with `HealthAccountMismatch`. A portfolio-margin account appends the exchange's
//! `Correlations` (`MissingCorrelations` without it).
//!
//! Isolated positions are in the list like any other (slot order) but margined alone: each with
//! its own collateral. The rest of the account is margined by its mode (cross or portfolio).
//!
//! An account with any perp slot ends the list with the exchange's `LiquidityPool`
//! (`MissingPoolAccount` without it, `HealthAccountMismatch` for another account): each market's
//! PnL cap is a share of the pool's cash (`fulcrum_risk::pnl_haircut`), and margin counts a
//! winner's profit through it. The cap is read live, never from a snapshot: a stale pool balance
//! could only be higher than the live one in some transaction (a winner paid, an LP out, a bad
//! debt socialised in between), and equity would count profit the pool cannot pay.

use anchor_lang::prelude::*;
use fulcrum_risk::{
    isolated_account, model_account_health, model_account_health_basis, pnl_haircut, AccountHealth, Collateral,
    Correlation, Health, LiquidationBasis, MarginModel, PerpExposure, PortfolioModel, Price, RiskAccount, STANDALONE,
};

use crate::error::{FulcrumError, MathResultExt};
use crate::oracle::{price_holding, read_oracle, Fallback, Holding, OracleConfig, Pricing};
use crate::state::*;
use fulcrum_risk::profile as cu;

/// Holdings of one account with their prices and risk parameters, split as margin sees them:
/// the positions the account backs (cross or portfolio) and the isolated ones, each alone.
pub struct HealthInputs {
    pub collateral: [Collateral; MAX_COLLATERAL],
    /// Asset of each collateral balance (portfolio accounts; zero otherwise).
    pub collateral_assets: [u8; MAX_COLLATERAL],
    pub n_collateral: usize,
    /// Positions backed by the account, in slot order.
    pub perps: [PerpExposure; MAX_PERPS],
    /// Asset of each of `perps` (portfolio accounts; zero otherwise).
    pub perp_assets: [u8; MAX_PERPS],
    /// Account slot of each of `perps`.
    pub perp_slots: [u8; MAX_PERPS],
    pub n_perps: usize,
    /// Isolated positions, in slot order, and their slots.
    pub isolated: [PerpExposure; MAX_PERPS],
    pub isolated_slots: [u8; MAX_PERPS],
    pub n_isolated: usize,
    /// Portfolio accounts: the exchange's correlations and floor, and the asset of each market.
    pub portfolio: bool,
    pub correlation: Correlation,
    pub floor: u32,
    pub market_assets: [u8; MAX_MAPPED],
    /// Winners' profit in the market of each of `perps` / `isolated` and its `max_pnl_factor`:
    /// with the pool's cash, the market's PnL cap ([`HealthInputs::set_pool_balance`]).
    pub perp_caps: [(u128, u32); MAX_PERPS],
    pub isolated_caps: [(u128, u32); MAX_PERPS],
}

impl HealthInputs {
    /// Position `slot` of the account: with the cross (or portfolio) ones, or the isolated ones.
    fn push_perp(&mut self, slot: usize, isolated: bool, exposure: PerpExposure, cap: (u128, u32)) -> Result<()> {
        let slot = u8::try_from(slot).map_err(|_| FulcrumError::HealthAccountMismatch)?;
        if isolated {
            self.isolated_caps[self.n_isolated] = cap;
            self.isolated[self.n_isolated] = exposure;
            self.isolated_slots[self.n_isolated] = slot;
            self.n_isolated += 1;
        } else {
            self.perp_caps[self.n_perps] = cap;
            self.perps[self.n_perps] = exposure;
            self.perp_slots[self.n_perps] = slot;
            self.n_perps += 1;
        }
        Ok(())
    }

    /// No holdings yet (cross margin, uncapped PnL), on the heap: too large for an SBF frame.
    pub fn empty() -> Box<Self> {
        Box::new(HealthInputs {
            collateral: [Collateral::default(); MAX_COLLATERAL],
            collateral_assets: [0; MAX_COLLATERAL],
            n_collateral: 0,
            perps: [PerpExposure::default(); MAX_PERPS],
            perp_assets: [0; MAX_PERPS],
            perp_slots: [0; MAX_PERPS],
            n_perps: 0,
            isolated: [PerpExposure::default(); MAX_PERPS],
            isolated_slots: [0; MAX_PERPS],
            n_isolated: 0,
            portfolio: false,
            correlation: Correlation::identity(0),
            floor: 0,
            market_assets: [STANDALONE; MAX_MAPPED],
            perp_caps: [(0, 0); MAX_PERPS],
            isolated_caps: [(0, 0); MAX_PERPS],
        })
    }

    /// The part of the account its collateral backs (every position but the isolated ones).
    pub fn risk_account(&self, quote_balance: i64, exchange: &Exchange) -> RiskAccount<'_> {
        RiskAccount {
            quote_balance,
            collateral: &self.collateral[..self.n_collateral],
            perps: &self.perps[..self.n_perps],
            params: exchange.account_params(),
        }
    }

    /// How that part is margined.
    pub fn model(&self) -> MarginModel<'_> {
        if !self.portfolio {
            return MarginModel::Cross;
        }
        MarginModel::Portfolio(PortfolioModel {
            collateral_assets: &self.collateral_assets[..self.n_collateral],
            perp_assets: &self.perp_assets[..self.n_perps],
            correlation: &self.correlation,
            floor: self.floor,
        })
    }

    /// Health of the part the account's collateral backs, by its margin mode.
    pub fn main_health(&self, quote_balance: i64, exchange: &Exchange) -> Result<AccountHealth> {
        model_account_health(&self.risk_account(quote_balance, exchange), &self.model()).math()
    }

    /// [`HealthInputs::main_health`] and what a liquidation reuses of it.
    pub fn main_health_basis(
        &self,
        quote_balance: i64,
        exchange: &Exchange,
    ) -> Result<(AccountHealth, LiquidationBasis)> {
        model_account_health_basis(&self.risk_account(quote_balance, exchange), &self.model()).math()
    }

    /// Index in `perps` of account slot `slot`.
    pub fn main_index(&self, slot: usize) -> Option<usize> {
        self.perp_slots[..self.n_perps].iter().position(|s| usize::from(*s) == slot)
    }

    /// Index in `isolated` of account slot `slot`.
    pub fn isolated_index(&self, slot: usize) -> Option<usize> {
        self.isolated_slots[..self.n_isolated].iter().position(|s| usize::from(*s) == slot)
    }

    /// Isolated position `k` as the account it is: its collateral and itself.
    pub fn isolated_account<'a>(&'a self, k: usize, acct: &MarginAccount, exchange: &Exchange) -> RiskAccount<'a> {
        let slot = usize::from(self.isolated_slots[k]);
        isolated_account(acct.perps[slot].isolated_collateral, &self.isolated[k], exchange.account_params())
    }

    /// Health of isolated position `k`.
    pub fn isolated_health(&self, k: usize, acct: &MarginAccount, exchange: &Exchange) -> Result<AccountHealth> {
        fulcrum_risk::account_health(&self.isolated_account(k, acct, exchange)).math()
    }

    /// Places every holding of the account's collateral-backed part on its asset and margins it
    /// in portfolio mode with `corr`. A bank or market the map does not place (listed after the
    /// last `set_correlations`, or taken off it) is [`STANDALONE`]: it nets with nothing, and
    /// the account stays in portfolio margin.
    pub fn set_portfolio(&mut self, acct: &MarginAccount, corr: &Correlations) {
        for (i, slot) in acct.active_collateral().iter().enumerate() {
            self.collateral_assets[i] = corr.bank_asset(slot.bank_index).unwrap_or(STANDALONE);
        }
        for (i, asset) in self.market_assets.iter_mut().enumerate() {
            *asset = u16::try_from(i).ok().and_then(|m| corr.market_asset(m)).unwrap_or(STANDALONE);
        }
        for k in 0..self.n_perps {
            let market_index = acct.perps[usize::from(self.perp_slots[k])].market_index;
            self.perp_assets[k] = self.market_asset(market_index);
        }
        self.portfolio = true;
        self.correlation = corr.correlation();
        self.floor = corr.floor;
    }

    /// Sets every position's PnL cap from the pool's cash.
    pub fn set_pool_balance(&mut self, balance: u64) -> Result<()> {
        for k in 0..self.n_perps {
            let (profit, factor) = self.perp_caps[k];
            self.perps[k].market.pnl_haircut = pnl_haircut(profit, factor, balance).math()?;
        }
        for k in 0..self.n_isolated {
            let (profit, factor) = self.isolated_caps[k];
            self.isolated[k].market.pnl_haircut = pnl_haircut(profit, factor, balance).math()?;
        }
        Ok(())
    }

    /// Reads the pool at `remaining[at]` when the account holds a perp slot and sets the caps:
    /// how many accounts it took (0 or 1).
    pub fn read_pool(&mut self, remaining: &[AccountInfo], at: usize, exchange_key: &Pubkey) -> Result<usize> {
        if self.n_perps + self.n_isolated == 0 {
            return Ok(0);
        }
        let ai = remaining.get(at).ok_or(FulcrumError::MissingPoolAccount)?;
        let pool = load_zero_copy::<LiquidityPool>(ai)?;
        require_keys_eq!(pool.exchange, *exchange_key, FulcrumError::HealthAccountMismatch);
        self.set_pool_balance(pool.balance)?;
        Ok(1)
    }

    /// Portfolio asset of market `index` ([`STANDALONE`] off the map).
    pub fn market_asset(&self, index: u16) -> u8 {
        self.market_assets.get(usize::from(index)).copied().unwrap_or(STANDALONE)
    }

    /// The collateral-backed part's health with market `market_index`'s position at `exposure`
    /// instead of what the inputs hold (added if they hold none) and the quote balance at
    /// `quote_balance`: the account as it was before a trade. The inputs are left as they were.
    pub fn main_health_with(
        &mut self,
        market_index: u16,
        slots: &MarginAccount,
        exposure: PerpExposure,
        quote_balance: i64,
        exchange: &Exchange,
    ) -> Result<AccountHealth> {
        let held =
            (0..self.n_perps).find(|k| slots.perps[usize::from(self.perp_slots[*k])].market_index == market_index);
        match held {
            Some(k) => {
                let saved = core::mem::replace(&mut self.perps[k], exposure);
                let health = self.main_health(quote_balance, exchange);
                self.perps[k] = saved;
                health
            }
            None => {
                let k = self.n_perps;
                require!(k < MAX_PERPS, FulcrumError::PerpSlotsFull);
                self.perps[k] = exposure;
                self.perp_assets[k] = self.market_asset(market_index);
                self.n_perps += 1;
                let health = self.main_health(quote_balance, exchange);
                self.n_perps = k;
                health
            }
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
/// canonical order, then (portfolio accounts) the exchange's `Correlations`.
pub fn load_health_inputs<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    quote_decimals: u8,
    remaining: &[AccountInfo<'info>],
    now: i64,
) -> Result<Box<HealthInputs>> {
    load_health_inputs_with(account, exchange_key, quote_decimals, remaining, now, Pricing::Strict)
}

/// As [`load_health_inputs`], taking prices from unfit oracles as `pricing` allows
/// ([`crate::oracle::price_holding`]).
pub fn load_health_inputs_with<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    quote_decimals: u8,
    remaining: &[AccountInfo<'info>],
    now: i64,
    pricing: Pricing,
) -> Result<Box<HealthInputs>> {
    let (mut inputs, used) = load_holdings(account, exchange_key, quote_decimals, remaining, now, pricing)?;
    cu::phase("health: loop + copies");
    let mut expected = used;
    if account.is_portfolio() {
        let ai = remaining.get(used).ok_or(FulcrumError::MissingCorrelations)?;
        let corr = read_correlations(ai, exchange_key)?;
        inputs.set_portfolio(account, &corr);
        expected += 1;
    }
    cu::phase("health: correlations");
    expected += inputs.read_pool(remaining, expected, exchange_key)?;
    require!(remaining.len() <= expected, FulcrumError::ExtraHealthAccounts);
    cu::phase("health: pool + PnL caps");
    Ok(inputs)
}

/// The canonical health accounts only (no correlations, no pool, no length check; PnL uncapped
/// until [`HealthInputs::read_pool`]): the holdings, priced
/// by `pricing` (collateral as a long, a position by its side; a settled market at its
/// settlement price, its oracle not read), and how many accounts they took.
pub fn load_holdings<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    quote_decimals: u8,
    remaining: &[AccountInfo<'info>],
    now: i64,
    pricing: Pricing,
) -> Result<(Box<HealthInputs>, usize)> {
    let mut inputs = HealthInputs::empty();
    cu::phase("health: empty inputs (heap)");
    let at = Valuation { exchange_key, quote_decimals, now, pricing };
    let mut k = 0usize;
    for (i, slot) in account.active_collateral().iter().enumerate() {
        let (bank_ai, oracle_ai) = pair(remaining, k)?;
        k += 1;
        inputs.collateral[i] = with_zero_copy(bank_ai, |bank: &CollateralBank| at.collateral(bank, oracle_ai, slot))?;
        inputs.n_collateral = i + 1;
    }
    for (i, slot) in account.active_perps().iter().enumerate() {
        let (market_ai, oracle_ai) = pair(remaining, k)?;
        k += 1;
        let (exposure, cap) =
            with_zero_copy(market_ai, |market: &PerpMarket| at.perp(account, market, oracle_ai, slot))?;
        inputs.push_perp(i, slot.is_isolated(), exposure, cap)?;
    }
    Ok((inputs, 2 * k))
}

/// What [`load_holdings`] prices every holding with.
struct Valuation<'k> {
    exchange_key: &'k Pubkey,
    quote_decimals: u8,
    now: i64,
    pricing: Pricing,
}

impl Valuation<'_> {
    /// A collateral balance: its bank checked against the slot and the exchange, priced as a long
    /// (a rate-priced bank at underlying × accepted rate, behind its depeg factor's age); no price
    /// (an exit, the oracle stale or halted) counts it at zero.
    fn collateral(&self, bank: &CollateralBank, oracle_ai: &AccountInfo, slot: &CollateralSlot) -> Result<Collateral> {
        require!(
            bank.exchange == *self.exchange_key && bank.index == slot.bank_index,
            FulcrumError::HealthAccountMismatch
        );
        require_keys_eq!(*oracle_ai.key, bank.oracle, FulcrumError::HealthAccountMismatch);
        cu::phase("health: bank/market load + key checks");
        let cfg = bank.oracle_config();
        let fallback = Fallback { max_age: bank.liquidation_max_age, recorded: None };
        let reading = read_oracle(oracle_ai, &cfg)?;
        cu::phase("health: oracle read (parse + checks)");
        let price =
            price_holding(&reading, &cfg, self.quote_decimals, self.now, self.pricing, Holding::Collateral, &fallback)?;
        let price = price.map(|p| bank.rate_priced(p)).transpose()?;
        let price = bank.depeg_gate(price, self.pricing, self.now)?;
        cu::phase("health: oracle pricing (conf, age, decimals)");
        Ok(Collateral {
            amount: slot.amount,
            price: price.unwrap_or_default(),
            init_asset_weight: bank.init_asset_weight,
            maint_asset_weight: bank.maint_asset_weight,
        })
    }

    /// A position: its market checked against the slot and the exchange, priced by its side (a
    /// settled market at its settlement price, its oracle not read), the account's reputation
    /// tier applied to the initial ratio; with the market's winners' profit and PnL factor.
    fn perp(
        &self,
        account: &MarginAccount,
        market: &PerpMarket,
        oracle_ai: &AccountInfo,
        slot: &PerpSlot,
    ) -> Result<(PerpExposure, (u128, u32))> {
        require!(
            market.exchange == *self.exchange_key && market.index == slot.market_index,
            FulcrumError::HealthAccountMismatch
        );
        require_keys_eq!(*oracle_ai.key, market.oracle, FulcrumError::HealthAccountMismatch);
        cu::phase("health: bank/market load + key checks");
        let price = if market.is_settled() {
            Price::flat(market.settlement_price)
        } else {
            let cfg = market.oracle_config();
            let fallback = Fallback { max_age: market.liquidation_max_age, recorded: market.last_valid() };
            let reading = read_oracle(oracle_ai, &cfg)?;
            cu::phase("health: oracle read (parse + checks)");
            let holding = Holding::Perp { long: slot.base >= 0 };
            let price = price_holding(&reading, &cfg, self.quote_decimals, self.now, self.pricing, holding, &fallback)?
                .ok_or(FulcrumError::OracleStale)?;
            cu::phase("health: oracle pricing (conf, age, decimals)");
            price
        };
        let risk = account.reputation.tiered(market.risk_at(price, self.now).math()?).math()?;
        let exposure = PerpExposure { position: slot.position(), market: risk };
        cu::phase("health: market risk at price (funding, ratios)");
        let profit = market.profit_at(price.oracle).math()?;
        cu::phase("health: market profit (PnL cap input)");
        Ok((exposure, (profit, market.max_pnl_factor)))
    }
}

/// The exchange's correlations from `ai` (owner, discriminator and exchange checked), boxed.
pub fn read_correlations(ai: &AccountInfo, exchange_key: &Pubkey) -> Result<Box<Correlations>> {
    require_keys_eq!(*ai.owner, crate::ID, FulcrumError::MissingCorrelations);
    let data = ai.try_borrow_data()?;
    let disc = Correlations::DISCRIMINATOR;
    let body = data
        .get(disc.len()..disc.len() + core::mem::size_of::<Correlations>())
        .ok_or_else(|| error!(FulcrumError::MissingCorrelations))?;
    require!(data[..disc.len()] == *disc, FulcrumError::MissingCorrelations);
    let mut corr: Box<Correlations> = Box::new(bytemuck::Zeroable::zeroed());
    bytemuck::bytes_of_mut(&mut *corr).copy_from_slice(body);
    require_keys_eq!(corr.exchange, *exchange_key, FulcrumError::WrongExchange);
    Ok(corr)
}

/// Runs `f` on a program-owned zero-copy account of `ai`, checked as [`load_zero_copy`] checks
/// it: in place when its data is aligned (always in the VM, whose account data is 8-aligned),
/// else on a heap copy. No copy of the account per holding: margin checks read a few fields.
pub fn with_zero_copy<T: bytemuck::Pod + Discriminator + Owner, R>(
    ai: &AccountInfo,
    f: impl FnOnce(&T) -> Result<R>,
) -> Result<R> {
    require_keys_eq!(*ai.owner, T::owner(), FulcrumError::HealthAccountMismatch);
    let data = ai.try_borrow_data()?;
    let disc = T::DISCRIMINATOR;
    let body = data
        .get(disc.len()..disc.len() + core::mem::size_of::<T>())
        .ok_or_else(|| error!(FulcrumError::HealthAccountMismatch))?;
    require!(data[..disc.len()] == *disc, FulcrumError::HealthAccountMismatch);
    if let Ok(t) = bytemuck::try_from_bytes::<T>(body) {
        return f(t);
    }
    let mut copy: Box<T> = Box::new(bytemuck::Zeroable::zeroed());
    bytemuck::bytes_of_mut(&mut *copy).copy_from_slice(body);
    f(&copy)
}

/// Copies a program-owned zero-copy account out of an `AccountInfo`, checking owner and
/// discriminator; a wrong account is a `HealthAccountMismatch`.
pub fn load_zero_copy<T: bytemuck::Pod + Discriminator + Owner>(ai: &AccountInfo) -> Result<T> {
    with_zero_copy(ai, |t: &T| Ok(*t))
}

/// The engine's picture of the part of `account` its collateral backs (by its margin mode), from
/// its health accounts.
pub fn account_health<'info>(
    account: &MarginAccount,
    exchange_key: &Pubkey,
    exchange: &Exchange,
    remaining: &[AccountInfo<'info>],
    now: i64,
) -> Result<AccountHealth> {
    let inputs = load_health_inputs(account, exchange_key, exchange.quote_decimals, remaining, now)?;
    inputs.main_health(account.quote_balance, exchange)
}

/// A keeper may liquidate the collateral-backed part of `acct`: below maintenance
/// (`NotLiquidatable`) and past its grace period or under the hard threshold
/// (`MarginCallGracePeriod`).
pub fn require_liquidatable(maint: &Health, acct: &MarginAccount, exchange: &Exchange, slot: u64) -> Result<()> {
    require!(!maint.is_met(), FulcrumError::NotLiquidatable);
    let ok = fulcrum_risk::is_liquidatable(
        maint,
        acct.margin_call_slot,
        slot,
        exchange.margin_call_grace_slots,
        exchange.liquidation_threshold_ratio,
    )
    .math()?;
    require!(ok, FulcrumError::MarginCallGracePeriod);
    Ok(())
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
        crate::instructions::reputation::on_margin_call(acct, slot)?;
        crate::emit_event!(MarginCallEvent { margin_account: *key, slot, equity, requirement });
    } else if was && !now {
        acct.margin_call_slot = 0;
        crate::emit_event!(MarginCallClearedEvent { margin_account: *key, slot, equity, requirement });
    }
    acct.in_margin_call = u8::from(now);
    acct.health_state = health.state as u8;
    Ok(())
}
