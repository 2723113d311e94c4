//! Hooks of the issue-13 mechanisms: where in the book and in a step each one acts, and the
//! `fulcrum_risk` call that decides it. A mechanism that is off leaves its hook a no-op, so a run
//! with every mechanism off is main's simulator to the unit.
//!
//! | mechanism | acts | engine call |
//! |---|---|---|
//! | latency spread | every opening fill: oracle ± spread | `fill_spread`, `fill_price` |
//! | reserve | opening trades: a growing side's OI ≤ factor × pool | `side_notional`, `reserve_ok` |
//! | OI limit | opening trades: a growing side's OI ≤ insurance-aware cap | `insurance_oi_cap` |
//! | borrow fee | with funding: per-side index, rate from utilisation | `borrow_utilisation`, `borrow_rate`, `accrue_funding` |
//! | PnL cap | every engine view: winners' gains counted and paid through it | `market_profit`, `pnl_haircut` (`apply_haircut` inside the engine) |
//! | ADL | after the keepers, while profit / pool > threshold | `pnl_ratio`, `adl_score`, `plan_auto_deleverage` |
//!
//! Each issue-13 mechanism sits behind a feature (`latency`, `winners`, `borrow`; all on by
//! default): a build without one reports that mechanism as not wired ([`wired`]).

use crate::config::{Config, Mechanism};
use crate::market::MarketState;
use fulcrum_risk::MathResult;

/// Whether `m` is wired to its `fulcrum_risk` functions in this build. A mechanism switched on
/// but not wired changes nothing, and the report says so.
pub fn wired(m: Mechanism) -> bool {
    match m {
        Mechanism::DynamicMargin | Mechanism::Funding | Mechanism::CircuitBreaker => true,
        Mechanism::LatencySpread => cfg!(feature = "latency"),
        Mechanism::PnlCap | Mechanism::Adl => cfg!(feature = "winners"),
        Mechanism::Reserve | Mechanism::OiLimit | Mechanism::BorrowFee => cfg!(feature = "borrow"),
    }
}

/// Whether every mechanism named in `label` (as [`crate::config::Mechanisms::label`] writes it)
/// is wired.
pub fn all_wired(label: &str) -> bool {
    label.split(',').filter_map(Mechanism::parse).all(wired)
}

/// The largest multiple of `step` up to `size` (or `size` itself) for which `ok` holds, given
/// that `ok` holds for every smaller size if it holds for a larger one (0 when none does).
pub fn largest_ok(size: u64, step: u64, ok: impl Fn(u64) -> bool) -> u64 {
    if size == 0 || ok(size) {
        return size;
    }
    let step = step.max(1);
    // ok(lo · step) (0 counts as ok), !ok(hi · step) (past `size` counts as not).
    let (mut lo, mut hi) = (0u64, size / step + 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if mid * step <= size && ok(mid * step) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo * step
}

/// Price an opening fill of `buy` gets at oracle `p0`: the oracle ± `fill_spread` (the
/// market's variance, the oracle's confidence) when the latency spread is on.
pub fn open_fill_price(cfg: &Config, st: &MarketState, p0: u64, buy: bool) -> u64 {
    if !cfg.mechanisms.latency_spread {
        return p0;
    }
    #[cfg(feature = "latency")]
    {
        let r = &cfg.pool_risk;
        let spread = fulcrum_risk::fill_spread(
            r.min_spread,
            u64::from(cfg.response.oracle_conf),
            r.spread_z,
            st.variance,
            r.max_fill_age_secs,
        )
        .expect("spread");
        return fulcrum_risk::fill_price(buy, p0, 0, 0, spread).expect("fill price");
    }
    #[allow(unreachable_code)]
    {
        let _ = (st, buy);
        p0
    }
}

/// Open interest of the side a `buy` grows, base units.
fn side_base(st: &MarketState, buy: bool) -> u64 {
    if buy {
        st.expo.long_base
    } else {
        st.expo.short_base
    }
}

/// Largest multiple of `step` up to `size` the reserve lets a `buy` (or sell) add to `st`'s
/// side at `price` with the pool's balance at `pool` (quote native units).
pub fn reserve_room(cfg: &Config, st: &MarketState, buy: bool, size: u64, step: u64, pool: i128, price: u64) -> u64 {
    if !cfg.mechanisms.reserve {
        return size;
    }
    #[cfg(feature = "borrow")]
    {
        let balance = u64::try_from(pool.max(0)).unwrap_or(u64::MAX);
        let factor = cfg.pool_risk.reserve_factor;
        let oi = side_base(st, buy);
        return largest_ok(size, step, |s| {
            let n = fulcrum_risk::side_notional(oi + s, price).expect("notional");
            fulcrum_risk::reserve_ok(n, factor, balance)
        });
    }
    #[allow(unreachable_code)]
    {
        let _ = (st, buy, step, pool, price, side_base(st, buy));
        size
    }
}

/// Largest multiple of `step` up to `size` the insurance-aware OI limit lets a `buy` (or sell)
/// add to `st`'s side at `price`.
#[allow(clippy::too_many_arguments)]
pub fn oi_limit_room(
    cfg: &Config,
    st: &MarketState,
    buy: bool,
    size: u64,
    step: u64,
    pool: i128,
    insurance: i128,
    price: u64,
) -> u64 {
    if !cfg.mechanisms.oi_limit {
        return size;
    }
    #[cfg(feature = "borrow")]
    {
        let balance = u64::try_from(pool.max(0)).unwrap_or(u64::MAX);
        let insurance = u64::try_from(insurance.max(0)).unwrap_or(u64::MAX);
        let r = &cfg.pool_risk;
        let maint = st.effective_maint_ratio.max(st.base.maint_margin_ratio);
        let cap = fulcrum_risk::insurance_oi_cap(insurance, balance, r.oi_limit_pool_fraction, r.oi_limit_shock, maint);
        let oi = side_base(st, buy);
        return largest_ok(size, step, |s| {
            fulcrum_risk::side_notional(oi + s, price).expect("notional") <= u128::from(cap)
        });
    }
    #[allow(unreachable_code)]
    {
        let _ = (st, buy, step, pool, insurance, price);
        size
    }
}

/// Borrow fee accrual over `dt` seconds at `price` (inside `MarketState::accrue_funding_to`, as
/// `PerpMarket::accrue_funding_to` does it).
pub fn accrue_borrow(st: &mut MarketState, price: u64, dt: u64) -> MathResult<()> {
    #[cfg(feature = "borrow")]
    {
        let rate = i64::try_from(st.borrow_rate).map_err(|_| fulcrum_risk::MathError::Overflow)?;
        let (index, carry) = fulcrum_risk::accrue_funding(st.borrow_index, st.borrow_carry, price, rate, dt)?;
        st.borrow_index = index;
        st.borrow_carry = carry;
    }
    let _ = (st, price, dt);
    Ok(())
}

/// The borrow rate from the fuller side's share of the reserve capacity (inside
/// `MarketState::refresh_ratios`).
pub fn refresh_borrow_rate(st: &mut MarketState, price: u64, depth: u64) -> MathResult<()> {
    #[cfg(feature = "borrow")]
    {
        let n = fulcrum_risk::side_notional(st.expo.long_base.max(st.expo.short_base), price)?;
        let util = fulcrum_risk::borrow_utilisation(n, st.reserve_factor, depth)?;
        let [base_rate, slope1, kink, slope2] = st.borrow_curve;
        st.borrow_rate =
            fulcrum_risk::borrow_rate(util, &fulcrum_risk::BorrowParams { base_rate, slope1, kink, slope2 })?;
    }
    let _ = (st, price, depth);
    Ok(())
}

/// The market's PnL cap at `price` against a pool holding `pool` (as `PerpMarket::pnl_haircut_at`
/// does), into `st.haircut` and its factor `paid / profit`.
pub fn refresh_haircut(cfg: &Config, st: &mut MarketState, price: u64, pool: i128) {
    if !st.pnl_cap {
        return;
    }
    #[cfg(feature = "winners")]
    {
        let balance = u64::try_from(pool.max(0)).unwrap_or(u64::MAX);
        let expo = fulcrum_risk::MarketExposure { price, ..st.expo };
        let profit = fulcrum_risk::market_profit(&expo).expect("profit");
        let h = fulcrum_risk::pnl_haircut(profit, cfg.pool_risk.max_pnl_factor, balance).expect("haircut");
        st.haircut = h;
        st.haircut_x = if h.paid < h.profit { h.paid as f64 / h.profit as f64 } else { 1.0 };
        st.haircut_cap = h.cap as f64;
        st.haircut_withheld = (h.profit - h.paid) as f64;
    }
    let _ = (cfg, price, pool);
}

/// `profit / pool balance` of market `st` at `price`, ppm (`pnl_ratio`): what ADL reads.
pub fn adl_ratio(st: &MarketState, price: u64, pool: i128) -> u64 {
    #[cfg(feature = "winners")]
    {
        let balance = u64::try_from(pool.max(0)).unwrap_or(u64::MAX);
        let expo = fulcrum_risk::MarketExposure { price, ..st.expo };
        return fulcrum_risk::pnl_ratio(fulcrum_risk::market_profit(&expo).expect("profit"), balance).expect("ratio");
    }
    #[allow(unreachable_code)]
    {
        let _ = (st, price, pool);
        0
    }
}
