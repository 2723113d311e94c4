//! Pool valuation from every market (remaining accounts `[market 0, oracle 0, market 1, …]`).

use anchor_lang::prelude::*;
use fulcrum_risk::{pool_net_exposure, pool_value, MarketExposure, Rounding};

use crate::error::{FulcrumError, MathResultExt};
use crate::health::load_zero_copy;
use crate::oracle::load_price;
use crate::state::*;

/// The pool's value and its net exposure, marked at oracle.
pub struct PoolMark {
    pub value: i128,
    pub exposure: i128,
}

/// Reads every market of the exchange with its oracle, in index order, and marks the pool.
pub fn mark_pool(
    exchange_key: &Pubkey,
    exchange: &Exchange,
    balance: u64,
    remaining: &[AccountInfo],
    rounding: Rounding,
    now: i64,
) -> Result<PoolMark> {
    let n = usize::from(exchange.num_markets);
    require!(remaining.len() == 2 * n, FulcrumError::MarketAccountsMismatch);
    let mut markets = [MarketExposure::default(); MAX_MARKETS as usize];
    for (i, pair) in remaining.chunks_exact(2).enumerate().take(MAX_MARKETS as usize) {
        let m = load_zero_copy::<PerpMarket>(&pair[0]).map_err(|_| error!(FulcrumError::MarketAccountsMismatch))?;
        require!(
            m.exchange == *exchange_key && usize::from(m.index) == i && *pair[1].key == m.oracle,
            FulcrumError::MarketAccountsMismatch
        );
        let price = load_price(&pair[1], &m.oracle_config(), exchange.quote_decimals, now)?;
        markets[i] = MarketExposure {
            long_base: m.long_base,
            short_base: m.short_base,
            long_quote_entry: m.long_quote_entry,
            short_quote_entry: m.short_quote_entry,
            price: price.oracle,
        };
    }
    let markets = &markets[..n.min(MAX_MARKETS as usize)];
    Ok(PoolMark { value: pool_value(balance, markets, rounding).math()?, exposure: pool_net_exposure(markets).math()? })
}
