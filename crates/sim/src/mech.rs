//! Hooks of the issue-13 mechanisms: where in the book and in a step each one acts, and the
//! `fulcrum_risk` call that decides it. A mechanism that is off leaves the hook a no-op, so a
//! run with every mechanism off is main's simulator to the unit.
//!
//! | mechanism | acts | engine call |
//! |---|---|---|
//! | latency spread | every opening fill: oracle ± spread | `fill_spread` |
//! | reserve | opening trades: side OI ≤ factor × pool | `reserve_ok` |
//! | OI limit | opening trades: side OI ≤ insurance-aware cap | `insurance_oi_cap` |
//! | borrow fee | each crank: fee on notional to the pool | `borrow_utilisation`, `borrow_rate` |
//! | PnL cap | closes pay capped profit; margin counts capped profit | `market_profit`, `pnl_haircut`, `apply_haircut` |
//! | ADL | after the keepers, while profit / pool > threshold | `auto_deleverage` |

use crate::config::{Config, Mechanism};
use crate::market::MarketState;

/// Whether `m` is wired to its `fulcrum_risk` function in this build (the functions land with
/// the s4-latency, s4-winners and s4-borrow branches). A mechanism switched on but not wired
/// changes nothing and the report says so.
pub fn wired(m: Mechanism) -> bool {
    matches!(m, Mechanism::DynamicMargin | Mechanism::Funding | Mechanism::CircuitBreaker)
}

/// Whether every mechanism named in `label` (as [`crate::config::Mechanisms::label`] writes it) is
/// wired.
pub fn all_wired(label: &str) -> bool {
    label.split(',').filter_map(Mechanism::parse).all(wired)
}

/// Price an opening fill of `buy` gets at oracle `p0`: the oracle ± `fill_spread` when the
/// latency spread is on.
pub fn fill_price(cfg: &Config, _st: &MarketState, p0: u64, _buy: bool) -> u64 {
    if !cfg.mechanisms.latency_spread || !wired(Mechanism::LatencySpread) {
        return p0;
    }
    p0
}

/// Largest multiple of `step` up to `size` the reserve lets a `buy` (or sell) add to `st`'s
/// side with the pool at `pool` (quote native units).
pub fn reserve_room(cfg: &Config, _st: &MarketState, _buy: bool, size: u64, _step: u64, _pool: i128) -> u64 {
    if !cfg.mechanisms.reserve || !wired(Mechanism::Reserve) {
        return size;
    }
    size
}

/// Largest multiple of `step` up to `size` the insurance-aware OI limit lets a `buy` (or sell)
/// add to `st`'s side.
pub fn oi_limit_room(
    cfg: &Config,
    _st: &MarketState,
    _buy: bool,
    size: u64,
    _step: u64,
    _pool: i128,
    _insurance: i128,
) -> u64 {
    if !cfg.mechanisms.oi_limit || !wired(Mechanism::OiLimit) {
        return size;
    }
    size
}
