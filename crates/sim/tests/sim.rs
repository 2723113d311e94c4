use fulcrum_sim::book::MarginMode;
use fulcrum_sim::config::{Mechanism, Mechanisms};
use fulcrum_sim::prices::generate;
use fulcrum_sim::{run_path, vectors, Config, PricePath, RunOpts, Scenario, World};
use proptest::prelude::*;

/// The default configuration with a small book and short horizons (fast in debug builds).
fn small(accounts: usize) -> Config {
    let mut c = Config::default();
    c.book.accounts = accounts;
    c.paths = 2;
    let s = &mut c.scenario;
    s.gap_hours = 3.0;
    s.slide_days = 0.125;
    s.flash_hours = 2.0;
    s.outage_hours = 2.0;
    s.regime_hours = 3.0;
    c
}

#[test]
fn vectors_file_is_up_to_date() {
    let on_disk = std::fs::read_to_string(vectors::path()).expect("vectors file");
    assert!(
        on_disk == vectors::render(),
        "crates/sim/vectors/liquidation.json is stale: run `cargo run -p fulcrum-sim --bin sim-vectors`"
    );
    assert!(vectors::cases().len() >= 20);
}

#[test]
fn sim_liquidation_reaches_the_vector_state() {
    for case in vectors::cases() {
        let world = vectors::world_for(&case);
        let r = run_path(&world, &PricePath::flat(1, 1), RunOpts { events: true, ..RunOpts::default() });
        let e = r.events.first().unwrap_or_else(|| panic!("{}: no liquidation", case.name));
        let x = &case.expected;
        let got = (
            e.base_after,
            e.quote_entry_after,
            e.quote_balance_after,
            e.liquidator_fee,
            e.insurance_fee,
            e.pool_delta,
            e.insurance_delta as u64,
        );
        let want = (
            x.base_after,
            x.quote_entry_after,
            x.quote_balance_after,
            x.liquidator_fee,
            x.insurance_fee,
            x.pool_delta,
            x.insurance_delta,
        );
        assert_eq!(got, want, "{}", case.name);
        assert_eq!(r.accounts[0].pos[0].base, x.base_after, "{}", case.name);
        assert_eq!(r.ledger_start, r.ledger_end, "{}", case.name);
    }
}

#[test]
fn ledger_is_conserved_through_liquidations_and_bankruptcies() {
    let mut cfg = small(1_500);
    cfg.mechanisms = Mechanisms::PROGRAM;
    cfg.scenario.gap = 0.6;
    cfg.protocol.insurance_usd = 5_000.0; // small: bankruptcies reach the pool
    cfg.response.keeper_capacity = 20;
    let world = World::generate(&cfg);
    let mut bankrupt = 0;
    for s in Scenario::ALL {
        let r = run_path(&world, &generate(&cfg, s, 0), RunOpts::default());
        assert_eq!(r.ledger_start, r.ledger_end, "{}", s.name());
        bankrupt += r.summary.accounts_bankrupt;
        if s == Scenario::Gap {
            assert!(r.summary.socialised_usd > 0.0, "the gap should reach the pool");
        }
    }
    assert!(bankrupt > 0);
}

#[test]
fn band_filter_is_exact() {
    let mut cfg = small(600);
    cfg.mechanisms = Mechanisms::NONE;
    let world = World::generate(&cfg);
    for s in [Scenario::Regime, Scenario::Flash, Scenario::Gap] {
        let path = generate(&cfg, s, 1);
        let mut fast = run_path(&world, &path, RunOpts::default());
        let mut full = run_path(&world, &path, RunOpts { exhaustive: true, ..RunOpts::default() });
        assert!(fast.summary.evaluations < full.summary.evaluations, "{}", s.name());
        (fast.summary.evaluations, full.summary.evaluations) = (0, 0);
        assert!(fast.summary.liquidations > 0, "{}", s.name());
        assert_eq!(fast.summary, full.summary, "{}", s.name());
        assert_eq!(fast.accounts, full.accounts, "{}", s.name());
    }
}

#[test]
fn no_leverage_book_never_liquidates() {
    let mut cfg = small(800);
    cfg.book.fixed_leverage = Some(1.0);
    cfg.book.long_share = 1.0;
    cfg.book.volatile_collateral_share = 0.0;
    cfg.scenario.gap = 0.9;
    let world = World::generate(&cfg);
    for s in Scenario::ALL {
        let r = run_path(&world, &generate(&cfg, s, 0), RunOpts::default());
        assert_eq!(r.summary.margin_calls, 0, "{}", s.name());
        assert_eq!(r.summary.liquidations, 0, "{}", s.name());
    }
}

#[test]
fn one_x_collateralised_book_survives_the_40pct_gap() {
    let mut cfg = small(800);
    cfg.book.fixed_leverage = Some(1.0);
    cfg.book.long_share = 0.5;
    cfg.book.volatile_collateral_share = 0.0;
    let world = World::generate(&cfg);
    for k in 0..2 {
        let r = run_path(&world, &generate(&cfg, Scenario::Gap, k), RunOpts::default());
        assert_eq!(r.summary.bad_debt_usd, 0.0);
        assert_eq!(r.summary.accounts_bankrupt, 0);
    }
}

fn gap_bad_debt(world: &World, shock: f64) -> f64 {
    let mut cfg = world.cfg.clone();
    cfg.scenario.gap = shock;
    run_path(world, &generate(&cfg, Scenario::Gap, 0), RunOpts::default()).summary.bad_debt_usd
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn bad_debt_is_monotone_in_the_shock(a in 0.05f64..0.6, b in 0.05f64..0.6) {
        let mut cfg = small(300);
        cfg.mechanisms = Mechanisms::PROGRAM;
        cfg.scenario.vol_scale = 0.0;
        cfg.scenario.jumps_per_day = 0.0;
        cfg.scenario.gap_hours = 1.0;
        let world = World::generate(&cfg);
        let (lo, hi) = (a.min(b), a.max(b));
        let (dl, dh) = (gap_bad_debt(&world, lo), gap_bad_debt(&world, hi));
        prop_assert!(dl <= dh + 1e-6, "bad debt {dl} at −{lo} > {dh} at −{hi}");
    }
}

#[test]
fn example_config_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/example.toml");
    let cfg = Config::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cfg.book.accounts, 20_000);
    assert_eq!(cfg.scenario.gap, 0.5);
    assert_eq!(cfg.markets.len(), 3);
    assert!(Config::from_toml("[book]\nbogus = 1\n").is_err());
}

#[test]
fn a_config_the_program_would_refuse_is_refused() {
    // The program's listing rules (`fulcrum_risk::params`): discount < 1 − maint weight, fees <
    // every market's maintenance ratio.
    assert!(Config::default().validate().is_ok());
    let mut c = Config::default();
    c.protocol.collateral_discount = 200_000; // jitoSOL at maint weight 0.9
    assert!(c.validate().unwrap_err().contains("discount"));
    let mut c = Config::default();
    c.protocol.liquidator_fee = 40_000;
    c.protocol.insurance_fee = 10_000; // = MM 5%
    assert!(c.validate().unwrap_err().contains("liquidation fees"));
}

/// A small book with every account mode.
fn mixed(accounts: usize) -> Config {
    let mut c = small(accounts);
    c.book.isolated_share = 0.25;
    c.book.portfolio_share = 0.25;
    c
}

/// [`mixed`] with every mechanism but the limits on the book's size (OI limit, reserve).
fn mixed_unlimited(accounts: usize) -> Config {
    let mut c = mixed(accounts);
    c.mechanisms = Mechanisms::ALL.with(Mechanism::OiLimit, false).with(Mechanism::Reserve, false);
    c
}

#[test]
fn ledger_is_conserved_in_every_mode_with_the_program_rules_on() {
    // Everything but the limits on the book's size (with a $5k fund the OI limit leaves no book).
    let mut cfg = mixed_unlimited(1_500);
    cfg.scenario.gap = 0.6;
    cfg.protocol.insurance_usd = 5_000.0;
    cfg.response.keeper_capacity = 20;
    let world = World::generate(&cfg);
    assert!(world.stats.isolated > 0 && world.stats.portfolio > 0 && world.stats.cross > 0);
    let modes = |mode: MarginMode| world.accounts.iter().filter(|a| a.mode == mode).count();
    assert!(modes(MarginMode::Isolated) > world.stats.isolated as usize / 2);
    for s in Scenario::ALL {
        let r = run_path(&world, &generate(&cfg, s, 0), RunOpts::default());
        assert_eq!(r.ledger_start, r.ledger_end, "{}", s.name());
        if s == Scenario::Gap {
            assert!(r.summary.socialised_usd > 0.0, "the gap should reach the pool");
            // Bankrupt accounts of every mode.
            for mode in [MarginMode::Cross, MarginMode::Portfolio, MarginMode::Isolated] {
                let bankrupt = r.accounts.iter().filter(|a| a.mode == mode && !a.has_positions() && a.quote == 0);
                assert!(bankrupt.count() > 0, "{mode:?}");
            }
        }
    }
}

#[test]
fn band_filter_is_exact_with_moving_market_state_and_every_mode() {
    let mut cfg = mixed_unlimited(600);
    // A tight PnL cap and ADL threshold, strong funding and a fast maintenance rise, so that
    // every drift allowance is exercised.
    cfg.protocol.pool_usd = 1.0e6; // a small pool: the shorts' gains in the gap are large against it
    cfg.pool_risk.max_pnl_factor = 100_000;
    cfg.pool_risk.adl_threshold = 200_000;
    cfg.pool_risk.adl_floor = 100_000;
    cfg.pool_risk.borrow_slope2 = 20_000;
    for m in &mut cfg.markets {
        m.dynamic.funding_factor = 50_000;
        m.dynamic.max_funding_rate = 50_000;
        m.dynamic.max_maint_increase_per_hour = 200_000;
    }
    let world = World::generate(&cfg);
    for s in [Scenario::Regime, Scenario::Flash, Scenario::Gap, Scenario::Slide] {
        let path = generate(&cfg, s, 1);
        let mut fast = run_path(&world, &path, RunOpts::default());
        let mut full = run_path(&world, &path, RunOpts { exhaustive: true, ..RunOpts::default() });
        assert!(fast.summary.evaluations < full.summary.evaluations, "{}", s.name());
        (fast.summary.evaluations, full.summary.evaluations) = (0, 0);
        assert!(fast.summary.liquidations > 0, "{}", s.name());
        if cfg!(feature = "winners") && s == Scenario::Gap {
            assert!(fast.summary.adl_closes > 0 && fast.summary.winners_haircut_usd > 0.0, "{:?}", fast.summary);
        }
        assert_eq!(fast.summary, full.summary, "{}", s.name());
        assert_eq!(fast.accounts, full.accounts, "{}", s.name());
    }
}

#[test]
fn every_mechanism_off_is_mains_simulator() {
    // No market state moves, so nothing but prices can send an account to the engine, and a
    // cross-only book draws exactly main's book.
    let mut cfg = small(400);
    cfg.mechanisms = Mechanisms::NONE;
    cfg.book.isolated_share = 0.0;
    cfg.book.portfolio_share = 0.0;
    let world = World::generate(&cfg);
    assert_eq!(world.stats.cross, 400);
    assert!(world.states.iter().all(|m| m.funding_rate == 0 && m.effective_maint_ratio == 0));
    let r = run_path(&world, &generate(&cfg, Scenario::Gap, 0), RunOpts { series: true, ..RunOpts::default() });
    assert!(r.series.iter().all(|row| row.maint_ratio[0] == cfg.markets[0].maint_margin_ratio));
    assert!(r.series.iter().all(|row| row.funding_rate.iter().all(|&f| f == 0)));
    assert_eq!(r.summary.breaker_trips, 0);
}

#[test]
fn program_rules_act_through_the_market_state() {
    let mut cfg = small(800);
    cfg.mechanisms = Mechanisms::PROGRAM;
    let world = World::generate(&cfg);
    let r = run_path(&world, &generate(&cfg, Scenario::Gap, 0), RunOpts { series: true, ..RunOpts::default() });
    // The long-heavy book pays funding (longs pay when the skew is positive).
    assert!(r.series[10].funding_rate[0] > 0);
    // The gap trips the breaker, and the maintenance ratio rises after it, never faster than
    // its hourly limit allows per step.
    assert!(r.summary.breaker_trips > 0);
    let rate = f64::from(cfg.markets[0].dynamic.max_maint_increase_per_hour) / 60.0;
    let before = r.series[cfg.scenario.warmup_steps - 1].maint_ratio[0];
    let last = r.series.last().unwrap().maint_ratio[0];
    assert!(last > before, "{before} → {last}");
    for w in r.series.windows(2) {
        let rise = f64::from(w[1].maint_ratio[0]) - f64::from(w[0].maint_ratio[0]);
        assert!(rise <= rate + 1.0, "rise {rise} > {rate} per minute");
    }
}

#[test]
fn mechanisms_parse_and_label() {
    assert_eq!(Mechanisms::parse("none").unwrap(), Mechanisms::NONE);
    assert_eq!(Mechanisms::parse("all").unwrap(), Mechanisms::ALL);
    let m = Mechanisms::parse("funding,adl").unwrap();
    assert!(m.funding && m.adl && !m.reserve);
    assert_eq!(m.label(), "funding,adl");
    assert_eq!(Mechanisms::NONE.label(), "none");
    assert!(Mechanisms::parse("bogus").is_err());
    for k in Mechanism::ALL {
        assert!(Mechanisms::NONE.with(k, true).get(k));
        assert_eq!(Mechanism::parse(k.name()), Some(k));
    }
}

#[test]
fn a_pnl_cap_over_the_pool_is_refused() {
    let mut c = Config::default();
    c.pool_risk.max_pnl_factor = 400_000; // × 3 markets > 100 %
    assert!(c.validate().unwrap_err().contains("max_pnl_factor"));
}

/// The gap on a small book with every mechanism, and the book's limits off: the PnL cap haircuts
/// the shorts' profit and ADL closes winners, with the ledger conserved.
#[cfg(feature = "winners")]
#[test]
fn pnl_cap_and_adl_pay_winners_from_the_pool_cash() {
    let mut cfg = mixed_unlimited(1_500);
    cfg.protocol.pool_usd = 2.0e6;
    cfg.pool_risk.max_pnl_factor = 100_000;
    cfg.pool_risk.adl_threshold = 200_000;
    cfg.pool_risk.adl_floor = 100_000;
    let world = World::generate(&cfg);
    let r = run_path(&world, &generate(&cfg, Scenario::Gap, 0), RunOpts::default());
    assert_eq!(r.ledger_start, r.ledger_end);
    assert!(r.summary.adl_closes > 0 && r.summary.adl_episodes > 0, "{:?}", r.summary);
    assert!(r.summary.winners_haircut_usd > 0.0, "{:?}", r.summary);
    let without = run_path(
        &World::generate(&Config { mechanisms: cfg.mechanisms.with(Mechanism::Adl, false), ..cfg.clone() }),
        &generate(&cfg, Scenario::Gap, 0),
        RunOpts::default(),
    );
    assert_eq!(without.summary.adl_closes, 0);
}

/// The insurance-aware OI limit bounds each side at `insurance_oi_cap`; the reserve at
/// `reserve_factor` × pool; the borrow fee reaches the pool.
#[cfg(feature = "borrow")]
#[test]
fn the_book_fits_the_pool_and_insurance_limits() {
    let mut cfg = small(3_000);
    cfg.mechanisms = Mechanisms::PROGRAM.with(Mechanism::OiLimit, true).with(Mechanism::BorrowFee, true);
    let world = World::generate(&cfg);
    let r = &cfg.pool_risk;
    let insurance = (cfg.protocol.insurance_usd * 1e6) as u64;
    for (st, ms) in world.states.iter().zip(&world.markets) {
        let maint = st.effective_maint_ratio.max(st.base.maint_margin_ratio);
        let cap = fulcrum_risk::insurance_oi_cap(
            insurance,
            world.pool as u64,
            r.oi_limit_pool_fraction,
            r.oi_limit_shock,
            maint,
        );
        for side in [st.expo.long_base, st.expo.short_base] {
            assert!(fulcrum_risk::side_notional(side, ms.p0).unwrap() <= u128::from(cap));
        }
    }
    assert!(world.stats.cut_by_oi_limit_usd > 0.0);
    let mut c2 = cfg.clone();
    c2.mechanisms = Mechanisms::PROGRAM.with(Mechanism::Reserve, true);
    c2.pool_risk.reserve_factor = 500_000;
    let w2 = World::generate(&c2);
    for (st, ms) in w2.states.iter().zip(&w2.markets) {
        for side in [st.expo.long_base, st.expo.short_base] {
            let n = fulcrum_risk::side_notional(side, ms.p0).unwrap();
            assert!(fulcrum_risk::reserve_ok(n, 500_000, w2.pool as u64));
        }
    }
    assert!(w2.stats.cut_by_reserve_usd > 0.0);
    let path = generate(&cfg, Scenario::Slide, 0);
    let r = run_path(&world, &path, RunOpts { series: true, ..RunOpts::default() });
    assert_eq!(r.ledger_start, r.ledger_end);
    assert!(world.states.iter().all(|s| s.borrow_rate > 0));
}

/// Opening fills pay the latency spread: longs open above the oracle, shorts below it.
#[cfg(feature = "latency")]
#[test]
fn opening_fills_pay_the_latency_spread() {
    let mut cfg = small(500);
    cfg.mechanisms = Mechanisms::NONE.with(Mechanism::LatencySpread, true);
    let w = World::generate(&cfg);
    let p0 = w.markets[0].p0 as f64;
    let (mut long, mut short) = (0, 0);
    for a in &w.accounts {
        let pos = a.pos[0];
        if pos.base == 0 {
            continue;
        }
        let entry = -(pos.quote_entry as f64) / pos.base as f64 * 1e12;
        if pos.base > 0 {
            assert!(entry > p0, "long entry {entry} ≤ oracle {p0}");
            long += 1;
        } else {
            assert!(entry < p0, "short entry {entry} ≥ oracle {p0}");
            short += 1;
        }
    }
    assert!(long > 0 && short > 0);
}

#[test]
fn the_main_baseline_config_is_mains_book_with_nothing_on() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/main-baseline.toml");
    let cfg = Config::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cfg.mechanisms, Mechanisms::NONE);
    assert_eq!((cfg.book.isolated_share, cfg.book.portfolio_share), (0.0, 0.0));
}
