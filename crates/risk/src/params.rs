//! Parameter ranges under which liquidation restores health instead of destroying value.
//!
//! The program refuses, at listing and in every update, parameters outside these ranges; each
//! rule is a pure function here so that the program, the simulator and the tests share it.
//!
//! | rule | bound | why |
//! |---|---|---|
//! | collateral discount `d` against maint asset weight `w`, quote maint liability weight `L` | `w < L × (1 − d)` | each quote unit repaid removes `w / (1 − d)` of weighted collateral and `L` of weighted debt |
//! | liquidator fee + insurance fee `f` against a market's maint ratio `m` | `f < m` | a close must free more requirement than its fee costs, or the plan closes everything |
//! | portfolio floor | ≥ [`MIN_CORRELATION_FLOOR`] | netting may cut a hedged book's requirement to at most 1 / floor of its gross |
//! | base decimals (markets, collateral mints) | ≤ [`MAX_BASE_DECIMALS`] | prices are quote native per base native × 10¹²: more decimals leave too few price digits |
//! | oracle age for trading and margin | ≤ [`MAX_ORACLE_AGE_SECS`] | the liquidation fallback (`liquidation_max_age`) is bounded on its own |
//! | a market's `max_fill_age` | `1..=max_oracle_age` ([`fill_age_fits`]) | fills take a fresher price than margin checks; the spread covers the move over this age |
//! | a market's `min_spread` | ≤ [`MAX_MIN_SPREAD`] | a floor on the latency spread, not a second fee schedule |
//! | a market's `spread_z` | ≤ [`MAX_SPREAD_Z`] | as `vol_z`: z standard deviations of the move over `max_fill_age` |

use crate::fixed::RATIO_ONE;

/// Least portfolio-margin floor, ppm: a hedged book's requirement is at least 10% of the sum of
/// its legs' requirements (so netting buys at most 10× over cross margin).
pub const MIN_CORRELATION_FLOOR: u32 = 100_000;

/// Most decimals of a market's base asset or a collateral mint. With a 6-decimal quote a price
/// carries `18 − decimals` digits below one dollar per whole unit; 12 leaves six.
pub const MAX_BASE_DECIMALS: u8 = 12;

/// Most seconds a trading or margin oracle price may be old (a market's or bank's
/// `max_oracle_age`). Five minutes: Pyth publishes every slot, so anything older is an outage,
/// which liquidations bridge with their own bounded fallback.
pub const MAX_ORACLE_AGE_SECS: u32 = 300;

/// Whether a collateral liquidation at `discount` makes progress on a bank of maint weight
/// `maint_asset_weight` when quote debt counts at `liability_weight` (all ppm): repaying one
/// quote unit raises maintenance equity by `L` and lowers it by `w / (1 − d)`, so health improves
/// only when `w < L × (1 − d)`, i.e. `d < 1 − w / L`. At equality a repayment changes nothing
/// and the plan sells the whole balance; above it every repayment makes the account worse.
pub fn discount_fits(maint_asset_weight: u32, liability_weight: u32, discount: u32) -> bool {
    let one = u128::from(RATIO_ONE);
    let d = u128::from(discount);
    d < one && u128::from(maint_asset_weight) * one < u128::from(liability_weight) * (one - d)
}

/// Largest discount, ppm, that [`discount_fits`] a bank of `maint_asset_weight` (`None` when even
/// no discount does: `w ≥ L`).
pub fn max_discount(maint_asset_weight: u32, liability_weight: u32) -> Option<u32> {
    let (w, l, one) = (u128::from(maint_asset_weight), u128::from(liability_weight), u128::from(RATIO_ONE));
    if l == 0 || w >= l {
        return None;
    }
    // d < (L − w) × 1e6 / L; the largest such integer is ⌈(L − w) × 1e6 / L⌉ − 1.
    let d = ((l - w) * one).div_ceil(l) - 1;
    u32::try_from(d).ok()
}

/// Whether a perp liquidation fee (liquidator + insurance, ppm of the closed notional) fits a
/// market of maintenance ratio `maint_margin_ratio`: closing a notional `N` frees `m × N` of
/// requirement and costs `f × N` of equity, so it must be that `f < m`. (Against the buffered
/// target `m × (1 + buffer)` the plan would still be partial up to that bound; the rule keeps
/// the stricter one so that each close also raises unbuffered maintenance health.)
pub fn liquidation_fee_fits(maint_margin_ratio: u32, total_fee: u64) -> bool {
    total_fee < u64::from(maint_margin_ratio)
}

/// Largest `min_spread` of a market, ppm (10%).
pub const MAX_MIN_SPREAD: u32 = 100_000;

/// Largest `spread_z` of a market, ppm (10 standard deviations).
pub const MAX_SPREAD_Z: u32 = 10_000_000;

/// Whether a market's `max_fill_age` fits its `max_oracle_age`: a fill needs a price at least
/// as fresh as a margin check does, and some price must be acceptable (`1..=max_oracle_age`).
pub fn fill_age_fits(max_fill_age: u32, max_oracle_age: u32) -> bool {
    (1..=max_oracle_age).contains(&max_fill_age)
}
