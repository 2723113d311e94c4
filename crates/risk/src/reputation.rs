//! Reputation-tiered leverage (issue 18 §1): an account's own track record earns it a lower
//! initial-margin ratio, never touching maintenance.
//!
//! Units: equity and volume in quote native units; equity × time in quote native × seconds
//! (u128); a tier table's requirements in whole quote units (`unit` = 10^quote decimals native
//! units) and whole days, so a row fits in 16 bytes. Multipliers are ppm of the market's
//! initial ratio ([`RATIO_ONE`] = 1×).
//!
//! Rounding: every rule rounds against the account. Earned equity × time rounds down (it only
//! ever counts the lower of two samples), a tiered ratio rounds up and never goes below the
//! market's [`tier_floor_ratio`] (maintenance plus half the gap to the initial ratio), so a tier
//! change, up or down, never moves maintenance margin and never makes anyone liquidatable.

use crate::fixed::{mul_div_ceil, MathError, MathResult, RATIO_ONE};

/// Most tiers a table holds.
pub const MAX_TIERS: usize = 4;
/// Seconds in a day (age and equity-day requirements).
pub const DAY_SECS: u64 = 86_400;
/// Lowest tier multiplier an admin may set: 0.5× the market's initial ratio (the floor binds
/// first in most markets).
pub const MIN_TIER_MULTIPLIER: u32 = 500_000;
/// Highest tier multiplier an admin may set: 3× the market's initial ratio.
pub const MAX_TIER_MULTIPLIER: u32 = 3_000_000;
/// The floor keeps this share of the gap between the maintenance and the initial ratio, ppm.
pub const TIER_FLOOR_GAP_SHARE: u64 = 500_000;

/// What one tier requires, and what it grants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierRequirement {
    /// Days since the account was created.
    pub min_age_days: u16,
    /// Most liquidations (and bankruptcies) the account may have had, ever.
    pub max_liquidations: u16,
    /// Time-weighted equity: whole quote units × days.
    pub min_equity_days: u32,
    /// Volume net of wash, whole quote units.
    pub min_volume: u32,
    /// The tier's initial-margin multiplier, ppm of the market's initial ratio.
    pub init_multiplier: u32,
}

/// The part of an account's record a tier reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReputationStats {
    /// Seconds since the account was created.
    pub age_secs: u64,
    /// Time-weighted equity, quote native × seconds.
    pub equity_secs: u128,
    /// Volume net of wash, quote native.
    pub net_volume: u64,
    /// Liquidations plus bankruptcies, ever.
    pub liquidations: u32,
}

/// The table's rules, checked by [`validate_tier_table`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierTableError {
    /// More than [`MAX_TIERS`] rows.
    TooManyTiers,
    /// A multiplier outside [`MIN_TIER_MULTIPLIER`, `MAX_TIER_MULTIPLIER`].
    MultiplierOutOfRange,
    /// A higher tier does not lower (or keep) the multiplier.
    MultiplierNotDecreasing,
    /// Tier 0 requires something: every account must start in it.
    TierZeroHasRequirements,
    /// A higher tier requires less than the one below it.
    RequirementsNotIncreasing,
}

/// Checks a tier table, one rule per line. An empty table turns tiers off (every account at 1×).
pub fn validate_tier_table(tiers: &[TierRequirement]) -> Result<(), TierTableError> {
    use TierTableError::*;
    if tiers.len() > MAX_TIERS {
        return Err(TooManyTiers);
    }
    let Some(first) = tiers.first() else { return Ok(()) };
    if first.min_age_days != 0 || first.min_equity_days != 0 || first.min_volume != 0 {
        return Err(TierZeroHasRequirements);
    }
    for t in tiers {
        if !(MIN_TIER_MULTIPLIER..=MAX_TIER_MULTIPLIER).contains(&t.init_multiplier) {
            return Err(MultiplierOutOfRange);
        }
    }
    for w in tiers.windows(2) {
        let (lo, hi) = (&w[0], &w[1]);
        if hi.init_multiplier > lo.init_multiplier {
            return Err(MultiplierNotDecreasing);
        }
        if hi.min_age_days < lo.min_age_days
            || hi.min_equity_days < lo.min_equity_days
            || hi.min_volume < lo.min_volume
            || hi.max_liquidations > lo.max_liquidations
        {
            return Err(RequirementsNotIncreasing);
        }
    }
    Ok(())
}

/// Whether `stats` meets tier `t`; `unit` is one whole quote unit in native units.
pub fn meets(stats: &ReputationStats, t: &TierRequirement, unit: u64) -> bool {
    let day = u128::from(DAY_SECS);
    let equity_secs = u128::from(t.min_equity_days).saturating_mul(u128::from(unit)).saturating_mul(day);
    stats.age_secs >= u64::from(t.min_age_days).saturating_mul(DAY_SECS)
        && stats.equity_secs >= equity_secs
        && stats.net_volume >= u64::from(t.min_volume).saturating_mul(unit)
        && stats.liquidations <= u32::from(t.max_liquidations)
}

/// The highest tier whose requirements, and those of every tier below it, `stats` meets (0 with
/// an empty table).
pub fn qualified_tier(stats: &ReputationStats, tiers: &[TierRequirement], unit: u64) -> u8 {
    let n = tiers.iter().skip(1).take_while(|t| meets(stats, t, unit)).count();
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// Timing of a tier change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierClock {
    /// Now, unix seconds.
    pub now: i64,
    /// When the tier last changed.
    pub changed_at: i64,
    /// No tier above 0 before this (a liquidation's cool-off).
    pub cool_off_until: i64,
    /// A tier rises by at most one per this many seconds.
    pub upgrade_period: u32,
}

/// The tier the crank moves an account to from `current` when it qualifies for `qualified`:
/// down at once (to 0 during a cool-off), up by one tier at most and only once
/// `upgrade_period` has passed since the last change.
pub fn next_tier(current: u8, qualified: u8, clock: &TierClock) -> u8 {
    if clock.now < clock.cool_off_until {
        return 0;
    }
    if qualified <= current {
        return qualified;
    }
    let elapsed = clock.now.saturating_sub(clock.changed_at);
    if elapsed >= i64::from(clock.upgrade_period) {
        current.saturating_add(1)
    } else {
        current
    }
}

/// Equity × time earned between two samples: the lower of the equity at the last sample and
/// now (a deposit made just before the crank earns nothing, a withdrawal lowers the sample), at
/// most `cap` (0: no cap) so a day earns at most `cap` × one day, × the seconds elapsed
/// (none when the clock went backwards).
pub fn accrue_equity(sampled: u64, now_equity: u64, cap: u64, elapsed: i64) -> u128 {
    let mut e = sampled.min(now_equity);
    if cap > 0 {
        e = e.min(cap);
    }
    let secs = u64::try_from(elapsed).unwrap_or(0);
    u128::from(e).saturating_mul(u128::from(secs))
}

/// The lowest initial ratio a tier may bring a market to, ppm: its maintenance ratio plus
/// [`TIER_FLOOR_GAP_SHARE`] of the gap to its initial ratio, rounded up (strictly above
/// maintenance whenever initial is).
pub fn tier_floor_ratio(init: u32, maint: u32) -> MathResult<u32> {
    let gap = u128::from(init.saturating_sub(maint));
    let keep = mul_div_ceil(gap, u128::from(TIER_FLOOR_GAP_SHARE), u128::from(RATIO_ONE))?;
    let floor = u128::from(maint).checked_add(keep).ok_or(MathError::Overflow)?;
    u32::try_from(floor).map_err(|_| MathError::Overflow)
}

/// A market's initial ratio for an account whose tier multiplier is `multiplier` (ppm; 0 = tiers
/// off, the ratio unchanged): `init × multiplier` rounded up, never below the market's
/// [`tier_floor_ratio`], never above 100% unless the market's own ratio is.
pub fn tiered_init_ratio(init: u32, maint: u32, multiplier: u32) -> MathResult<u32> {
    if multiplier == 0 || multiplier == RATIO_ONE as u32 {
        return Ok(init);
    }
    let scaled = mul_div_ceil(u128::from(init), u128::from(multiplier), u128::from(RATIO_ONE))?;
    let ceiling = u128::from(init.max(RATIO_ONE as u32));
    let scaled = u32::try_from(scaled.min(ceiling)).map_err(|_| MathError::Overflow)?;
    Ok(scaled.max(tier_floor_ratio(init, maint)?))
}

/// The part of a fill that counts as volume net of wash, quote native: the notional of what the
/// fill reduces (`fill_quote` pro rata to the reduced share of `|size|`), and only when the
/// position was last increased at least `min_hold` seconds before `now`. Opening, growing, and
/// closing what was just opened count nothing, so a wash trade only pays fees.
pub fn washed_volume(
    old_base: i64,
    size: i64,
    fill_quote: u64,
    increased_at: i64,
    now: i64,
    min_hold: u32,
) -> MathResult<u64> {
    if old_base == 0 || size == 0 || (old_base > 0) == (size > 0) {
        return Ok(0);
    }
    if now.saturating_sub(increased_at) < i64::from(min_hold) {
        return Ok(0);
    }
    let reduced = old_base.unsigned_abs().min(size.unsigned_abs());
    let v = crate::fixed::mul_div_floor(u128::from(fill_quote), u128::from(reduced), u128::from(size.unsigned_abs()))?;
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

/// What the account still lacks for tier `t`: (days of age, quote native × seconds of equity,
/// quote native of volume), zero where met. `None` if its liquidations bar it from the tier.
pub fn tier_shortfall(stats: &ReputationStats, t: &TierRequirement, unit: u64) -> Option<(u64, u128, u64)> {
    if stats.liquidations > u32::from(t.max_liquidations) {
        return None;
    }
    let age = u64::from(t.min_age_days).saturating_mul(DAY_SECS).saturating_sub(stats.age_secs);
    let equity = u128::from(t.min_equity_days)
        .saturating_mul(u128::from(unit))
        .saturating_mul(u128::from(DAY_SECS))
        .saturating_sub(stats.equity_secs);
    let volume = u64::from(t.min_volume).saturating_mul(unit).saturating_sub(stats.net_volume);
    Some((age.div_ceil(DAY_SECS), equity, volume))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UNIT: u64 = 1_000_000;

    fn table() -> [TierRequirement; 3] {
        [
            TierRequirement { init_multiplier: 1_500_000, max_liquidations: u16::MAX, ..Default::default() },
            TierRequirement {
                min_age_days: 7,
                max_liquidations: 1,
                min_equity_days: 7_000,
                min_volume: 10_000,
                init_multiplier: 1_000_000,
            },
            TierRequirement {
                min_age_days: 30,
                max_liquidations: 0,
                min_equity_days: 30_000,
                min_volume: 100_000,
                init_multiplier: 800_000,
            },
        ]
    }

    fn stats(days: u64, equity: u64, volume: u64, liquidations: u32) -> ReputationStats {
        ReputationStats {
            age_secs: days * DAY_SECS,
            equity_secs: u128::from(equity) * u128::from(UNIT) * u128::from(days * DAY_SECS),
            net_volume: volume * UNIT,
            liquidations,
        }
    }

    #[test]
    fn the_example_table_is_valid_and_bad_ones_are_named() {
        assert_eq!(validate_tier_table(&table()), Ok(()));
        assert_eq!(validate_tier_table(&[]), Ok(()));
        let mut t = table();
        t[0].min_volume = 1;
        assert_eq!(validate_tier_table(&t), Err(TierTableError::TierZeroHasRequirements));
        let mut t = table();
        t[2].init_multiplier = 1_200_000;
        assert_eq!(validate_tier_table(&t), Err(TierTableError::MultiplierNotDecreasing));
        let mut t = table();
        t[2].init_multiplier = 100_000;
        assert_eq!(validate_tier_table(&t), Err(TierTableError::MultiplierOutOfRange));
        let mut t = table();
        t[2].min_age_days = 1;
        assert_eq!(validate_tier_table(&t), Err(TierTableError::RequirementsNotIncreasing));
        let t = [table()[0]; 5];
        assert_eq!(validate_tier_table(&t), Err(TierTableError::TooManyTiers));
    }

    #[test]
    fn tiers_follow_the_record() {
        let t = table();
        assert_eq!(qualified_tier(&stats(0, 0, 0, 0), &t, UNIT), 0);
        assert_eq!(qualified_tier(&stats(7, 1_000, 10_000, 1), &t, UNIT), 1);
        assert_eq!(qualified_tier(&stats(6, 1_000_000, 10_000_000, 0), &t, UNIT), 0, "age is required");
        assert_eq!(qualified_tier(&stats(30, 1_000, 100_000, 0), &t, UNIT), 2);
        assert_eq!(qualified_tier(&stats(30, 1_000, 100_000, 1), &t, UNIT), 1, "a liquidation bars the top");
        assert_eq!(qualified_tier(&stats(30, 1_000, 100_000, 2), &t, UNIT), 0);
        assert_eq!(qualified_tier(&stats(365, 1_000, 100_000, 0), &[], UNIT), 0);
    }

    #[test]
    fn upgrades_are_rate_limited_downgrades_immediate() {
        let c = TierClock { now: 1_000, changed_at: 500, cool_off_until: 0, upgrade_period: 600 };
        assert_eq!(next_tier(0, 2, &c), 0, "too soon");
        assert_eq!(next_tier(0, 2, &TierClock { now: 1_100, ..c }), 1, "one step");
        assert_eq!(next_tier(2, 0, &c), 0, "down at once");
        assert_eq!(next_tier(2, 2, &TierClock { cool_off_until: 1_001, ..c }), 0, "cool-off");
    }

    #[test]
    fn equity_counts_the_lower_sample_capped() {
        assert_eq!(accrue_equity(100, 1_000_000, 0, 10), 1_000);
        assert_eq!(accrue_equity(1_000_000, 100, 0, 10), 1_000);
        assert_eq!(accrue_equity(1_000, 1_000, 10, 10), 100);
        assert_eq!(accrue_equity(1_000, 1_000, 0, -5), 0);
    }

    #[test]
    fn tiered_ratios() -> MathResult<()> {
        // 10% initial, 5% maintenance: floor 7.5%.
        assert_eq!(tier_floor_ratio(100_000, 50_000)?, 75_000);
        assert_eq!(tiered_init_ratio(100_000, 50_000, 1_500_000)?, 150_000);
        assert_eq!(tiered_init_ratio(100_000, 50_000, 800_000)?, 80_000);
        assert_eq!(tiered_init_ratio(100_000, 50_000, 500_000)?, 75_000, "the floor binds");
        assert_eq!(tiered_init_ratio(100_000, 50_000, 0)?, 100_000, "tiers off");
        assert_eq!(tiered_init_ratio(800_000, 400_000, 3_000_000)?, 1_000_000, "at most 100%");
        Ok(())
    }

    #[test]
    fn wash_counts_nothing() -> MathResult<()> {
        assert_eq!(washed_volume(10, -10, 1_000, 100, 100, 60)?, 0, "closed at once");
        assert_eq!(washed_volume(10, -10, 1_000, 100, 160, 60)?, 1_000, "held the minimum");
        assert_eq!(washed_volume(10, 5, 1_000, 0, 1_000, 60)?, 0, "growing");
        assert_eq!(washed_volume(10, -20, 1_000, 0, 1_000, 60)?, 500, "a flip counts the reduced half");
        assert_eq!(washed_volume(0, -20, 1_000, 0, 1_000, 60)?, 0, "opening");
        Ok(())
    }

    #[test]
    fn shortfall_names_what_is_missing() {
        let t = table();
        assert_eq!(tier_shortfall(&stats(7, 1_000, 10_000, 0), &t[1], UNIT), Some((0, 0, 0)));
        let s = stats(3, 0, 4_000, 0);
        assert_eq!(tier_shortfall(&s, &t[1], UNIT), Some((4, 7_000 * u128::from(UNIT * DAY_SECS), 6_000 * UNIT)));
        assert_eq!(tier_shortfall(&stats(7, 0, 0, 2), &t[1], UNIT), None);
    }

    proptest! {
        #[test]
        fn a_tier_never_reaches_maintenance(
            maint in 1u32..500_000, gap in 1u32..500_000, m in MIN_TIER_MULTIPLIER..=MAX_TIER_MULTIPLIER,
        ) {
            let init = maint + gap;
            let r = tiered_init_ratio(init, maint, m);
            prop_assert!(matches!(r, Ok(x) if x > maint && x >= tier_floor_ratio(init, maint).unwrap_or(u32::MAX)));
        }

        #[test]
        fn a_lower_multiplier_never_raises_the_ratio(
            maint in 1u32..500_000, gap in 1u32..500_000,
            a in MIN_TIER_MULTIPLIER..=MAX_TIER_MULTIPLIER, b in MIN_TIER_MULTIPLIER..=MAX_TIER_MULTIPLIER,
        ) {
            let (lo, hi) = (a.min(b), a.max(b));
            let init = maint + gap;
            prop_assert!(tiered_init_ratio(init, maint, lo).ok() <= tiered_init_ratio(init, maint, hi).ok());
        }

        #[test]
        fn equity_earned_never_exceeds_either_sample(a in any::<u64>(), b in any::<u64>(), cap in any::<u64>(), dt in -10i64..1_000_000) {
            let e = accrue_equity(a, b, cap, dt);
            let secs = u128::try_from(dt.max(0)).unwrap_or(0);
            prop_assert!(e <= u128::from(a.min(b)) * secs);
            prop_assert!(cap == 0 || e <= u128::from(cap) * secs);
        }

        #[test]
        fn the_tier_moves_up_one_step_at_most(cur in 0u8..4, q in 0u8..4, now in 0i64..10_000, changed in 0i64..10_000, period in 0u32..5_000) {
            let c = TierClock { now, changed_at: changed, cool_off_until: 0, upgrade_period: period };
            let n = next_tier(cur, q, &c);
            prop_assert!(n <= cur.saturating_add(1));
            prop_assert!(n <= q.max(cur));
            prop_assert!(q >= cur || n == q);
        }

        #[test]
        fn a_better_record_never_lowers_the_tier(d in 0u64..400, e in 0u64..1_000_000, v in 0u64..1_000_000, l in 0u32..3, more in 0u64..1_000) {
            let t = table();
            let base = qualified_tier(&stats(d, e, v, l), &t, UNIT);
            prop_assert!(qualified_tier(&stats(d + more, e + more, v + more, l), &t, UNIT) >= base);
        }
    }
}
