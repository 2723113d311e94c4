//! Yield-bearing collateral: a liquid-staking or vault-share token priced as its underlying's
//! oracle price × an exchange rate read from the asset's own state (issue 18, part 2).
//!
//! The rate is the asset's own claim (a stake pool's `total_lamports / pool_token_supply`, a
//! vault's `total_assets / total_shares`). Whoever controls the pool's or vault's books, or
//! donates into it, moves that number at will, so the engine does not take it as it is:
//!
//! - **rise cap** ([`guarded_rate`]): the accepted rate rises by at most `max_rise_ppm` of itself
//!   per elapsed epoch (linear, not compounded: below any compounded yield of the same rate). A
//!   donation or a broken pool that doubles the rate adds a few ppm of borrowing power per epoch,
//!   not 100%. Honest staking yield (≈ 7% a year ≈ 400 ppm per 2-day epoch) passes under the cap.
//! - **falls at once**: a lower rate (slashing, a loss in the vault) is taken in full at the next
//!   refresh; it can only lower collateral.
//! - **depeg** ([`depeg_factor`]): where a direct oracle of the token itself is configured, the
//!   price is the lower of `underlying × rate` and that oracle, expressed as a factor ≤ 1 of the
//!   product so the live underlying price keeps moving margin between refreshes.
//!
//! Asset weights then apply to the product like any collateral price ([`crate::margin`]).
//!
//! Residual, by design: a fall is taken at once and the recovery after it is capped like any
//! rise, so a source that reports a transient loss (then recovers within the epoch) keeps its
//! collateral valued low for (loss / cap) epochs. That errs against the holder, never the
//! exchange; the admin's `set_bank_rate_source` takes a fresh reading to end it.
//!
//! Units: a rate is whole underlying tokens per whole share token × [`RATE_ONE`] (decimals folded
//! in by [`observed_rate`]); a factor is ppm. Every rounding is down: collateral never counts more
//! than the asset is worth.

use crate::fixed::{mul_div_floor, MathError, MathResult, RATIO_ONE};
use crate::types::Price;

/// Fixed-point one of an exchange rate (1e12).
pub const RATE_ONE: u64 = 1_000_000_000_000;
/// A depeg factor of one (no depeg), ppm.
pub const FACTOR_ONE: u32 = 1_000_000;
/// Largest rise cap accepted per epoch, ppm (10% an epoch: far above any yield).
pub const MAX_RATE_RISE_PPM: u32 = 100_000;

/// The rate a pool or vault states: `total_assets / total_shares` in whole tokens × [`RATE_ONE`],
/// rounded down. `asset_decimals` / `share_decimals` are the two mints' decimals. No shares is
/// `DivideByZero` (no rate exists); no assets a zero rate (worthless shares).
pub fn observed_rate(total_assets: u64, total_shares: u64, asset_decimals: u8, share_decimals: u8) -> MathResult<u64> {
    if total_shares == 0 {
        return Err(MathError::DivideByZero);
    }
    let pow = |d: u8| 10u128.checked_pow(u32::from(d)).ok_or(MathError::Overflow);
    let num = u128::from(total_assets).checked_mul(pow(share_decimals)?).ok_or(MathError::Overflow)?;
    let den = u128::from(total_shares).checked_mul(pow(asset_decimals)?).ok_or(MathError::Overflow)?;
    let rate = mul_div_floor(num, u128::from(RATE_ONE), den)?;
    u64::try_from(rate).map_err(|_| MathError::Overflow)
}

/// The rate to accept now, given the last accepted one (`accepted`, at epoch `accepted_epoch`)
/// and what the source states at `epoch`: a fall (or no change) in full, a rise up to
/// `accepted × (1 + max_rise_ppm × elapsed epochs)`, rounded down. Nothing accepted yet
/// (`accepted == 0`) has nothing to cap against: configuration takes the first reading.
pub fn guarded_rate(
    accepted: u64,
    accepted_epoch: u64,
    observed: u64,
    epoch: u64,
    max_rise_ppm: u32,
) -> MathResult<u64> {
    if observed <= accepted || accepted == 0 {
        return Ok(observed);
    }
    let elapsed = u128::from(epoch.saturating_sub(accepted_epoch));
    let growth = u128::from(max_rise_ppm).checked_mul(elapsed).ok_or(MathError::Overflow)?;
    let factor = u128::from(RATIO_ONE).checked_add(growth).ok_or(MathError::Overflow)?;
    // A cap past u64 is no cap: the observed rate (a u64) is below it.
    match mul_div_floor(u128::from(accepted), factor, u128::from(RATIO_ONE)) {
        Ok(cap) => Ok(u64::try_from(cap).map_or(observed, |cap| observed.min(cap))),
        Err(MathError::Overflow) => Ok(observed),
        Err(e) => Err(e),
    }
}

/// How much of `underlying × rate` the token's own market price supports, ppm ≤ 1,000,000:
/// `direct / (underlying × rate)` rounded down, 1,000,000 when the market is at or above it.
/// `direct` and `underlying` are engine prices of the same (share) base units.
pub fn depeg_factor(direct: u64, underlying: u64, rate: u64) -> MathResult<u32> {
    let fair = mul_div_floor(u128::from(underlying), u128::from(rate), u128::from(RATE_ONE))?;
    if fair == 0 {
        return Err(MathError::InvalidInput);
    }
    let f = mul_div_floor(u128::from(direct), u128::from(RATIO_ONE), fair)?;
    Ok(u32::try_from(f.min(u128::from(FACTOR_ONE))).unwrap_or(FACTOR_ONE))
}

/// One price leg × rate × factor, rounded down.
fn scale_down(p: u64, rate: u64, factor_ppm: u32) -> MathResult<u64> {
    let denom = u128::from(RATE_ONE).checked_mul(u128::from(RATIO_ONE)).ok_or(MathError::Overflow)?;
    let num = u128::from(rate).checked_mul(u128::from(factor_ppm.min(FACTOR_ONE))).ok_or(MathError::Overflow)?;
    let v = mul_div_floor(u128::from(p), num, denom)?;
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

/// The price of a rate-priced token: its underlying's price (both legs, oracle and EMA) × the
/// accepted rate × the depeg factor (ppm, capped at 1), each rounded down.
pub fn rate_price(underlying: Price, rate: u64, factor_ppm: u32) -> MathResult<Price> {
    Ok(Price {
        oracle: scale_down(underlying.oracle, rate, factor_ppm)?,
        ema: scale_down(underlying.ema, rate, factor_ppm)?,
    })
}

/// The rule in one call, as the SDK mirrors it: `min(underlying × rate, direct)` for each price
/// leg, where `direct` is the token's own oracle price when one is configured.
pub fn lst_price(underlying: Price, rate: u64, direct: Option<Price>) -> MathResult<Price> {
    let p = rate_price(underlying, rate, FACTOR_ONE)?;
    Ok(match direct {
        Some(d) => Price { oracle: p.oracle.min(d.oracle), ema: p.ema.min(d.ema) },
        None => p,
    })
}

/// Whether a depeg factor measured (from a direct oracle published) at `measured_at` still
/// prices a risk-increasing action at `now`: at most `max_age` seconds old, the bound
/// the bank puts on any oracle it trades on. A clock behind the measurement counts as fresh (age
/// 0); never measured (0) is stale at any realistic clock and bound.
pub fn depeg_fresh(measured_at: i64, now: i64, max_age: u32) -> bool {
    now.saturating_sub(measured_at) <= i64::from(max_age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: u64 = RATE_ONE;

    #[test]
    fn observed_rate_of_a_pool() {
        // 1,072.55 lamports per 1,000 pool tokens, same decimals.
        assert_eq!(observed_rate(107_255, 100_000, 9, 9), Ok(1_072_550_000_000));
        assert_eq!(observed_rate(1, 3, 9, 9), Ok(333_333_333_333));
        assert_eq!(observed_rate(5, 0, 9, 9), Err(MathError::DivideByZero));
        assert_eq!(observed_rate(0, 5, 9, 9), Ok(0));
        // 6-decimal assets behind 9-decimal shares: 1 USDC-unit per 1,000 share-units is 1.
        assert_eq!(observed_rate(1_000_000, 1_000_000_000, 6, 9), Ok(R));
        assert_eq!(observed_rate(u64::MAX, 1, 0, 0), Err(MathError::Overflow));
    }

    #[test]
    fn a_fall_is_taken_at_once_a_rise_is_capped_per_epoch() {
        // Fall: in full, whatever the cap.
        assert_eq!(guarded_rate(R, 10, R / 2, 10, 1_000), Ok(R / 2));
        // ×2 in the same epoch: nothing of it.
        assert_eq!(guarded_rate(R, 10, 2 * R, 10, 1_000), Ok(R));
        // ×2 one epoch later: +0.1%.
        assert_eq!(guarded_rate(R, 10, 2 * R, 11, 1_000), Ok(R + R / 1_000));
        // Three epochs: +0.3% (linear).
        assert_eq!(guarded_rate(R, 10, 2 * R, 13, 1_000), Ok(R + 3 * R / 1_000));
        // A rise under the cap: in full.
        assert_eq!(guarded_rate(R, 10, R + 5, 11, 1_000), Ok(R + 5));
        // A clock behind the accepted epoch: no rise.
        assert_eq!(guarded_rate(R, 10, 2 * R, 9, 1_000), Ok(R));
        // Nothing accepted yet: the reading.
        assert_eq!(guarded_rate(0, 0, 3 * R, 5, 1_000), Ok(3 * R));
        // A cap past u64: the reading.
        assert_eq!(guarded_rate(u64::MAX / 2, 0, u64::MAX, u64::MAX, u32::MAX), Ok(u64::MAX));
    }

    #[test]
    fn a_depeg_factor_is_fresh_for_max_age_seconds() {
        assert!(depeg_fresh(1_000, 1_000, 60));
        assert!(depeg_fresh(1_000, 1_060, 60));
        assert!(!depeg_fresh(1_000, 1_061, 60));
        // A clock behind the measurement: age 0.
        assert!(depeg_fresh(1_000, 900, 0));
        // Never measured.
        assert!(!depeg_fresh(0, 1_700_000_000, 3_600));
        // No overflow at the extremes.
        assert!(!depeg_fresh(i64::MIN, i64::MAX, u32::MAX));
        assert!(depeg_fresh(i64::MAX, i64::MIN, 0));
    }

    #[test]
    fn product_and_depeg() {
        let sol = Price { oracle: 100_000_000, ema: 90_000_000 };
        let rate = 1_100_000_000_000; // 1.1
        assert_eq!(rate_price(sol, rate, FACTOR_ONE), Ok(Price { oracle: 110_000_000, ema: 99_000_000 }));
        // The market 5% below rate × SOL: factor 0.95, and the product lands on the market price.
        let market = 104_500_000;
        let f = depeg_factor(market, sol.oracle, rate);
        assert_eq!(f, Ok(950_000));
        assert_eq!(rate_price(sol, rate, 950_000).map(|p| p.oracle), Ok(market));
        // At or above it: no factor.
        assert_eq!(depeg_factor(200_000_000, sol.oracle, rate), Ok(FACTOR_ONE));
        assert_eq!(depeg_factor(1, 0, rate), Err(MathError::InvalidInput));
        assert_eq!(lst_price(sol, rate, Some(Price::flat(market))), Ok(Price { oracle: market, ema: 99_000_000 }));
        assert_eq!(lst_price(sol, rate, None), rate_price(sol, rate, FACTOR_ONE));
        // Rounds down: 7 × 1/3 = 2.33 → 2.
        assert_eq!(rate_price(Price::flat(7), R / 3 + 1, FACTOR_ONE).map(|p| p.oracle), Ok(2));
    }

    proptest! {
        /// However the source jumps, the accepted rate never exceeds the cap, never exceeds what
        /// the source states, and a fall is taken in full.
        #[test]
        fn accepted_rate_is_bounded(
            accepted in 1u64..=u64::MAX / 4,
            observed in 0u64..=u64::MAX / 2,
            start in 0u64..1_000_000,
            elapsed in 0u64..1_000,
            ppm in 0u32..=MAX_RATE_RISE_PPM,
        ) {
            let got = guarded_rate(accepted, start, observed, start + elapsed, ppm);
            prop_assert!(got.is_ok());
            let got = got.unwrap_or_default();
            prop_assert!(got <= observed);
            if observed <= accepted {
                prop_assert_eq!(got, observed);
            } else {
                let cap = u128::from(accepted) * (1_000_000 + u128::from(ppm) * u128::from(elapsed)) / 1_000_000;
                prop_assert!(u128::from(got) <= cap);
                prop_assert!(got >= accepted);
            }
        }

        /// Refreshing every epoch gains at most the compounded cap: cranking often cannot
        /// outrun it.
        #[test]
        fn frequent_refreshes_gain_nothing(accepted in 1u64..=u64::MAX / 8, epochs in 1u64..50, ppm in 0u32..=MAX_RATE_RISE_PPM) {
            let target = u64::MAX / 4;
            let mut step = accepted;
            for e in 1..=epochs {
                step = guarded_rate(step, e - 1, target, e, ppm).unwrap_or(0);
            }
            // Refreshing every epoch compounds the cap, no more.
            let mut compounded = u128::from(accepted);
            for _ in 0..epochs {
                compounded = compounded * (1_000_000 + u128::from(ppm)) / 1_000_000 + 1;
            }
            prop_assert!(u128::from(step) <= compounded);
        }

        /// The price never exceeds underlying × rate (exact rational), nor, with a factor, the
        /// direct price it was measured from.
        #[test]
        fn price_rounds_down(p in 1u64..=u64::MAX / 8, rate in 0u64..=4 * RATE_ONE, direct in 1u64..=u64::MAX / 2) {
            let exact = u128::from(p) * u128::from(rate);
            let got = rate_price(Price::flat(p), rate, FACTOR_ONE);
            prop_assert!(got.is_ok());
            let got = got.unwrap_or(Price::flat(0)).oracle;
            prop_assert!(u128::from(got) * u128::from(RATE_ONE) <= exact);
            prop_assert!(u128::from(got + 1) * u128::from(RATE_ONE) > exact);
            if let Ok(f) = depeg_factor(direct, p, rate) {
                let priced = rate_price(Price::flat(p), rate, f).unwrap_or(Price::flat(u64::MAX)).oracle;
                prop_assert!(priced <= direct.max(got));
                prop_assert!(priced <= got);
                if f < FACTOR_ONE {
                    prop_assert!(priced <= direct);
                }
            }
        }
    }
}
