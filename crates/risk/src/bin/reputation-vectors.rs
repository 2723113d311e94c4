//! Test vectors for the TypeScript mirror of `fulcrum_risk::reputation` (`app/src/risk/
//! reputation.ts`, issue 18 §1): random records, tables and markets with what every rule returns,
//! as JSON (integers as decimal strings). A fixed-seed xorshift64* makes the file reproducible.
//!
//!   cargo run -q -p fulcrum-risk --bin reputation-vectors -- app/vectors/reputation.json

use fulcrum_risk::*;

mod common;
use common::*;

const CASES: usize = 512;
const SEED: u64 = 0x0018_7e90_u64 ^ 0x9e37_79b9_7f4a_7c15;
const UNIT: u64 = 1_000_000;

/// A valid table of 1..=4 tiers (multipliers falling, requirements rising), sometimes broken.
fn table(r: &mut Rng) -> Vec<TierRequirement> {
    let n = r.range(1, 4) as usize;
    let mut t = vec![TierRequirement {
        init_multiplier: r.range(1_000_000, MAX_TIER_MULTIPLIER.into()) as u32,
        max_liquidations: u16::MAX,
        ..Default::default()
    }];
    for i in 1..n {
        let p = t[i - 1];
        t.push(TierRequirement {
            min_age_days: p.min_age_days + r.range(0, 30) as u16,
            max_liquidations: p.max_liquidations.min(r.range(0, 3) as u16),
            min_equity_days: p.min_equity_days + r.range(0, 50_000) as u32,
            min_volume: p.min_volume + r.range(0, 500_000) as u32,
            init_multiplier: (p.init_multiplier - r.range(0, 400_000) as u32).max(MIN_TIER_MULTIPLIER),
        });
    }
    if r.range(0, 9) == 0 {
        let i = r.range(0, n as u64 - 1) as usize;
        t[i].init_multiplier = r.range(0, 4_000_000) as u32;
    }
    t
}

fn row(t: &TierRequirement) -> String {
    obj(&[
        ("minAgeDays", t.min_age_days.to_string()),
        ("maxLiquidations", t.max_liquidations.to_string()),
        ("minEquityDays", t.min_equity_days.to_string()),
        ("minVolume", t.min_volume.to_string()),
        ("initMultiplier", t.init_multiplier.to_string()),
    ])
}

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: reputation-vectors <out.json>")?;
    let mut r = Rng(SEED);
    let mut cases = vec![];
    for case in 0..CASES {
        let t = table(&mut r);
        let stats = ReputationStats {
            age_secs: r.range(0, 90 * DAY_SECS),
            equity_secs: u128::from(r.range(0, 100_000 * UNIT)) * u128::from(r.range(0, 60 * DAY_SECS)),
            net_volume: r.range(0, 2_000_000 * UNIT),
            liquidations: r.range(0, 4) as u32,
        };
        let valid = validate_tier_table(&t).map_or_else(|e| format!("\"{e:?}\""), |_| "null".into());
        let qualified = qualified_tier(&stats, &t, UNIT);
        let clock = TierClock {
            now: r.range(0, 1_000_000) as i64,
            changed_at: r.range(0, 1_000_000) as i64,
            cool_off_until: if r.range(0, 3) == 0 { r.range(0, 1_000_000) as i64 } else { 0 },
            upgrade_period: r.range(0, 200_000) as u32,
        };
        let current = r.range(0, t.len() as u64 - 1) as u8;
        let maint = r.range(1, 400_000) as u32;
        let init = maint + r.range(1, 600_000) as u32;
        let multiplier = if r.range(0, 5) == 0 { 0 } else { r.range(MIN_TIER_MULTIPLIER.into(), 3_000_000) as u32 };
        let (sampled, now_eq, cap) = (r.range(0, 1 << 40), r.range(0, 1 << 40), r.range(0, 1 << 36) * r.range(0, 1));
        let elapsed = r.range(0, 10 * DAY_SECS) as i64 - 1_000;
        let old_base = r.range(0, 2_000) as i64 - 1_000;
        let size = r.range(0, 4_000) as i64 - 2_000;
        let fill_quote = r.range(0, 1 << 40);
        let (increased_at, now, hold) = (r.range(0, 10_000) as i64, r.range(0, 10_000) as i64, r.range(0, 600) as u32);
        let next_i = (usize::from(qualified) + 1).min(t.len() - 1);
        let shortfall = match tier_shortfall(&stats, &t[next_i], UNIT) {
            Some((d, e, v)) => arr(&[s(d), s(e), s(v)]),
            None => "null".into(),
        };
        cases.push(obj(&[
            ("case", case.to_string()),
            ("tiers", arr(&t.iter().map(row).collect::<Vec<_>>())),
            ("valid", valid),
            (
                "stats",
                obj(&[
                    ("ageSecs", s(stats.age_secs)),
                    ("equitySecs", s(stats.equity_secs)),
                    ("netVolume", s(stats.net_volume)),
                    ("liquidations", stats.liquidations.to_string()),
                ]),
            ),
            ("qualified", qualified.to_string()),
            (
                "clock",
                obj(&[
                    ("now", s(clock.now)),
                    ("changedAt", s(clock.changed_at)),
                    ("coolOffUntil", s(clock.cool_off_until)),
                    ("upgradePeriod", clock.upgrade_period.to_string()),
                ]),
            ),
            ("current", current.to_string()),
            ("next", next_tier(current, qualified, &clock).to_string()),
            ("shortfallTier", next_i.to_string()),
            ("shortfall", shortfall),
            (
                "ratio",
                obj(&[
                    ("init", init.to_string()),
                    ("maint", maint.to_string()),
                    ("multiplier", multiplier.to_string()),
                    ("floor", tier_floor_ratio(init, maint).map_err(|e| format!("{e:?}"))?.to_string()),
                    ("tiered", tiered_init_ratio(init, maint, multiplier).map_err(|e| format!("{e:?}"))?.to_string()),
                ]),
            ),
            (
                "accrue",
                obj(&[
                    ("sampled", s(sampled)),
                    ("now", s(now_eq)),
                    ("cap", s(cap)),
                    ("elapsed", s(elapsed)),
                    ("earned", s(accrue_equity(sampled, now_eq, cap, elapsed))),
                ]),
            ),
            (
                "wash",
                obj(&[
                    ("oldBase", s(old_base)),
                    ("size", s(size)),
                    ("fillQuote", s(fill_quote)),
                    ("increasedAt", s(increased_at)),
                    ("now", s(now)),
                    ("minHold", hold.to_string()),
                    (
                        "volume",
                        s(washed_volume(old_base, size, fill_quote, increased_at, now, hold)
                            .map_err(|e| format!("{e:?}"))?),
                    ),
                ]),
            ),
        ]));
    }
    let out = format!(
        "{{\"generator\":\"cargo run -p fulcrum-risk --bin reputation-vectors\",\"unit\":{},\"cases\":[\n{}\n]}}\n",
        s(UNIT),
        cases.join(",\n")
    );
    std::fs::write(&path, out).map_err(|e| format!("{path}: {e}"))
}
