//! Pool valuation from every market (remaining accounts `[market 0, oracle 0, market 1, …]`).
//!
//! LP deposits and withdrawals must not stop in a crash: a wide oracle is read as an exit reads
//! it (`oracle::Pricing::Exit`), and within the oracle's interval the market is marked against
//! the LP entering or leaving (`fulcrum_risk::conservative_mark_price`). A stale or halted
//! oracle still refuses: a last valid price the market has since left would let an LP trade
//! shares against the others at a known-wrong value. A settled market is marked at its
//! settlement price without its oracle.
//!
//! The value is the LP value of `fulcrum_risk::lp_pool_value`: traders' PnL capped against the
//! LP by the exchange's deposit / withdrawal PnL factor, plus the funding traders owe and have
//! not settled (the index accrued to now), less recorded bad debt beyond the insurance fund.

use anchor_lang::prelude::*;
use fulcrum_risk::{
    conservative_mark_price, lp_pool_value, pool_net_exposure, LpValuation, MarketExposure, MarketFunding, Rounding,
};

use crate::error::{Cast, FulcrumError, MathResultExt, OptionExt};
use crate::events::BankruptcyEvent;
use crate::health::load_zero_copy;
use crate::oracle::{price_holding, read_oracle, Fallback, Holding, Pricing};
use crate::state::*;

/// The pool's value and its net exposure, marked at oracle.
pub struct PoolMark {
    pub value: i128,
    pub exposure: i128,
}

/// The start of an LP flow: the exchange (LP flows not paused), the pool marked at `rounding`
/// ([`mark_pool`]) and its share supply (`lp_supply`: the LP mint's).
pub struct LpFlow<'a> {
    pub exchange: core::cell::Ref<'a, Exchange>,
    pub pool: core::cell::RefMut<'a, LiquidityPool>,
    pub mark: PoolMark,
    pub supply: u64,
}

impl<'a> LpFlow<'a> {
    pub fn open<'info: 'a>(
        exchange: &'a AccountLoader<'info, Exchange>,
        pool: &'a AccountLoader<'info, LiquidityPool>,
        lp_supply: u64,
        remaining: &[AccountInfo],
        rounding: Rounding,
        now: i64,
    ) -> Result<Self> {
        let key = exchange.key();
        let exchange = exchange.load()?;
        require!(!exchange.is_paused(pause::LP), FulcrumError::Paused);
        let pool = pool.load_mut()?;
        let mark = mark_pool(&key, &exchange, &pool, remaining, rounding, now)?;
        let supply = pool.share_supply(lp_supply).overflow()?;
        Ok(Self { exchange, pool, mark, supply })
    }
}

/// Reads every market of the exchange with its oracle, in index order, and marks the pool.
pub fn mark_pool(
    exchange_key: &Pubkey,
    exchange: &Exchange,
    pool: &LiquidityPool,
    remaining: &[AccountInfo],
    rounding: Rounding,
    now: i64,
) -> Result<PoolMark> {
    let n = usize::from(exchange.num_markets);
    require!(remaining.len() == 2 * n, FulcrumError::MarketAccountsMismatch);
    // On the heap: 24 markets' sums would not fit the 4 KB frame of the SBF stack.
    let n = n.min(MAX_MARKETS as usize);
    let mut markets: Vec<MarketExposure> = Vec::with_capacity(n);
    let mut funding: Vec<MarketFunding> = Vec::with_capacity(n);
    let mut payout_caps: Vec<u32> = Vec::with_capacity(n);
    for (i, pair) in remaining.chunks_exact(2).enumerate().take(n) {
        let market =
            load_zero_copy::<PerpMarket>(&pair[0]).map_err(|_| error!(FulcrumError::MarketAccountsMismatch))?;
        require!(
            market.exchange == *exchange_key && usize::from(market.index) == i && *pair[1].key == market.oracle,
            FulcrumError::MarketAccountsMismatch
        );
        let (price, index) = if market.is_settled() {
            (market.settlement_price, (market.funding_index(), market.borrow_index()))
        } else {
            let cfg = market.oracle_config();
            let reading = read_oracle(&pair[1], &cfg)?;
            let at = |long: bool| -> Result<u64> {
                let (q, pricing, holding) = (exchange.quote_decimals, Pricing::Exit, Holding::Perp { long });
                let p = price_holding(&reading, &cfg, q, now, pricing, holding, &Fallback::default())?;
                Ok(p.ok_or(FulcrumError::OracleStale)?.oracle)
            };
            // The bound a long is held at is the interval's low end, a short's its high end.
            let price = conservative_mark_price(market.long_base, market.short_base, at(true)?, at(false)?, rounding);
            // Funding and borrow accrued to now at that price, as the next settlement would see.
            (price, market.indexes_at(price, now).math()?)
        };
        funding.push(market.funding_sums(index));
        payout_caps.push(market.max_pnl_factor);
        markets.push(MarketExposure {
            long_base: market.long_base,
            short_base: market.short_base,
            long_quote_entry: market.long_quote_entry,
            short_quote_entry: market.short_quote_entry,
            price,
        });
    }
    let max_pnl_factor = match rounding {
        Rounding::Up => exchange.max_pnl_factor_for_deposits,
        Rounding::Down => exchange.max_pnl_factor_for_withdrawals,
    };
    let valuation = LpValuation {
        balance: pool.balance,
        markets: &markets,
        funding: &funding,
        unresolved_bad_debt: pool.unresolved_bad_debt,
        insurance_balance: pool.insurance_balance,
        max_pnl_factor,
        payout_caps: &payout_caps,
    };
    Ok(PoolMark { value: lp_pool_value(&valuation, rounding).math()?, exposure: pool_net_exposure(&markets).math()? })
}

/// Covers `debt` of `margin_account` (bankrupt, or an isolated position its collateral did not
/// cover): the insurance fund, then the pool ([`LiquidityPool::cover_bad_debt`]). Returns what
/// stays owed (≤ 0), and the event saying who paid.
pub fn cover_debt(pool: &mut LiquidityPool, margin_account: Pubkey, debt: u64) -> Result<(i64, BankruptcyEvent)> {
    let r = pool.cover_bad_debt(debt).overflow()?;
    let event = BankruptcyEvent {
        margin_account,
        debt,
        insurance_paid: r.insurance_paid,
        socialised: r.socialised,
        uncovered: r.uncovered,
        socialised_total: pool.socialised_loss,
    };
    Ok((-r.uncovered.cast::<i64>()?, event))
}
