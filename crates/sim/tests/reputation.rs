//! Reputation-tiered leverage in the simulator (issue 18 §1): a book whose accounts open at
//! their tier's initial ratio (60% at tier 0 = 1.5×, 30% at 1×, 10% at the top = 0.8×) against
//! the same book at the markets' own ratios, on every scenario. Tiers touch initial margin only:
//! liquidations, maintenance and the paths are the defaults'.

use fulcrum_sim::config::{ScenarioCfg, TierShare};
use fulcrum_sim::prices::generate;
use fulcrum_sim::{run_path, Config, RunOpts, Scenario, World};

fn book(tiers: Vec<TierShare>) -> Config {
    let mut c = Config::default();
    c.book.accounts = 1_500;
    c.book.tiers = tiers;
    // Short horizons (fast in debug builds), as the simulator's own tests.
    c.scenario = ScenarioCfg {
        gap_hours: 3.0,
        slide_days: 0.125,
        flash_hours: 2.0,
        outage_hours: 2.0,
        regime_hours: 3.0,
        ..c.scenario
    };
    c
}

fn tiered() -> Vec<TierShare> {
    vec![
        TierShare { share: 0.6, init_multiplier: 1_500_000 },
        TierShare { share: 0.3, init_multiplier: 1_000_000 },
        TierShare { share: 0.1, init_multiplier: 800_000 },
    ]
}

/// Bad debt (USD) of each scenario, summed over `paths` paths.
fn bad_debt(cfg: &Config, paths: u64) -> Vec<f64> {
    let world = World::generate(cfg);
    Scenario::ALL
        .iter()
        .map(|s| {
            (0..paths).map(|k| run_path(&world, &generate(cfg, *s, k), RunOpts::default()).summary.bad_debt_usd).sum()
        })
        .collect()
}

#[test]
fn tiers_change_only_who_opens_how_much() {
    assert!(book(tiered()).validate().is_ok());
    let bad = book(vec![TierShare { share: 0.5, init_multiplier: 100_000 }]);
    assert!(bad.validate().is_err(), "a multiplier no tier table accepts");
    // A zero share draws no one; the tiered book holds every tier.
    let off = World::generate(&book(vec![TierShare { share: 0.0, init_multiplier: 800_000 }]));
    assert!(off.accounts.iter().all(|a| a.init_multiplier == 0));
    let on = World::generate(&book(tiered()));
    for m in [1_500_000, 1_000_000, 800_000] {
        assert!(on.accounts.iter().any(|a| a.init_multiplier == m), "no account at {m}");
    }
}

#[test]
fn tiered_leverage_does_not_raise_bad_debt_beyond_the_defaults() {
    let paths = 2;
    let default = bad_debt(&book(Vec::new()), paths);
    let tiers = bad_debt(&book(tiered()), paths);
    for (s, (d, t)) in Scenario::ALL.iter().zip(default.iter().zip(&tiers)) {
        println!("{:>8}: bad debt ${d:>12.2} default, ${t:>12.2} tiered", s.name());
    }
    let (d, t): (f64, f64) = (default.iter().sum(), tiers.iter().sum());
    println!("   total: bad debt ${d:>12.2} default, ${t:>12.2} tiered");
    assert!(t <= d, "tiered leverage raised bad debt: {t} > {d}");
}
