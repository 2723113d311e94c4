//! Hand-worked margin numbers and properties of the engine.
//!
//! Units in the examples: SOL has 9 decimals, USDC 6, so $1 per SOL is
//! 1e6 USDC units / 1e9 lamports × 1e12 = 1e9 price units; $100 is 1e11.

use fulcrum_risk::*;
use proptest::prelude::*;

const USD: i64 = 1_000_000; // one USDC in native units
const SOL: i64 = 1_000_000_000; // one SOL in lamports
const fn usd_price(dollars: u64) -> u64 {
    dollars * 1_000_000_000
}

fn sol_perp(price: Price) -> PerpMarketRisk {
    PerpMarketRisk {
        price,
        base_decimals: 9,
        init_margin_ratio: 100_000, // 10%: 10x
        maint_margin_ratio: 50_000, // 5%
        imf: 0,
        cumulative_funding: 0,
        pnl_haircut: Default::default(),
        cumulative_borrow: 0,
    }
}

fn long(size_sol: i64, entry_dollars: i64) -> PerpPosition {
    PerpPosition { base: size_sol * SOL, quote_entry: -size_sol * entry_dollars * USD, funding_snapshot: 0 }
}

fn account<'a>(quote: i64, collateral: &'a [Collateral], perps: &'a [PerpExposure]) -> RiskAccount<'a> {
    RiskAccount { quote_balance: quote, collateral, perps, params: AccountParams::default() }
}

#[test]
fn five_x_long_walks_through_every_health_state() {
    // $1,000 of USDC, long 50 SOL at $100: $5,000 notional, 5x.
    let at =
        |dollars: u64| [PerpExposure { position: long(50, 100), market: sol_perp(Price::flat(usd_price(dollars))) }];
    let p = at(100);
    let h = account_health(&account(1_000 * USD, &[], &p)).unwrap();
    assert_eq!(h.maint.equity, 1_000_000_000);
    assert_eq!(h.notional, 5_000_000_000);
    assert_eq!(h.init.requirement, 500_000_000);
    assert_eq!(h.maint.requirement, 250_000_000);
    assert_eq!(h.leverage, Some(5_000_000));
    assert_eq!(h.state, HealthState::Healthy);

    // $90: PnL −$500, equity $500, IM $450: still healthy, at 9x.
    let p = at(90);
    let h = account_health(&account(1_000 * USD, &[], &p)).unwrap();
    assert_eq!(h.maint.equity, 500_000_000);
    assert_eq!(h.init.requirement, 450_000_000);
    assert_eq!(h.leverage, Some(9_000_000));
    assert_eq!(h.state, HealthState::Healthy);

    // $85: equity $250 < IM $425, ≥ MM $212.50.
    let p = at(85);
    let h = account_health(&account(1_000 * USD, &[], &p)).unwrap();
    assert_eq!((h.maint.equity, h.maint.requirement), (250_000_000, 212_500_000));
    assert_eq!(h.state, HealthState::Restricted);

    // $80: equity $0 < MM $200.
    let p = at(80);
    let h = account_health(&account(1_000 * USD, &[], &p)).unwrap();
    assert_eq!(h.maint.equity, 0);
    assert_eq!(h.leverage, None);
    assert_eq!(h.state, HealthState::MarginCall);

    // $79: equity −$50.
    let p = at(79);
    let h = account_health(&account(1_000 * USD, &[], &p)).unwrap();
    assert_eq!(h.maint.equity, -50_000_000);
    assert_eq!(h.state, HealthState::Bankrupt);
}

#[test]
fn liquidation_price_of_a_long_and_a_short() {
    // Long: 1000 + 50·p − 5000 = 0.05 · 50·p  ⇒  p = 4000 / 47.5 = $84.2105263…
    let p = [PerpExposure { position: long(50, 100), market: sol_perp(Price::flat(usd_price(100))) }];
    let liq = liquidation_price(&account(1_000 * USD, &[], &p), 0).unwrap();
    assert_eq!(liq, Some(84_210_526_316));

    // Short 50 SOL at $100 with $1,000: 1000 + 5000 − 50·p = 0.05·50·p ⇒ p = 6000/52.5 = $114.28…
    let short = PerpPosition { base: -50 * SOL, quote_entry: 5_000 * USD, funding_snapshot: 0 };
    let p = [PerpExposure { position: short, market: sol_perp(Price::flat(usd_price(100))) }];
    let liq = liquidation_price(&account(1_000 * USD, &[], &p), 0).unwrap();
    assert_eq!(liq, Some(114_285_714_285));

    // Fully collateralised long (1x): no price liquidates it.
    let p = [PerpExposure { position: long(10, 100), market: sol_perp(Price::flat(usd_price(100))) }];
    assert_eq!(liquidation_price(&account(1_000 * USD, &[], &p), 0).unwrap(), None);
}

#[test]
fn collateral_weights_and_conservative_prices() {
    // 10 SOL, init weight 0.8, maint 0.9, oracle $100, EMA $95.
    let sol = Collateral {
        amount: 10 * SOL as u64,
        price: Price { oracle: usd_price(100), ema: usd_price(95) },
        init_asset_weight: 800_000,
        maint_asset_weight: 900_000,
    };
    assert_eq!(collateral_value(&sol, MarginKind::Initial).unwrap(), 760_000_000); // 10 × 95 × 0.8
    assert_eq!(collateral_value(&sol, MarginKind::Maintenance).unwrap(), 900_000_000); // 10 × 100 × 0.9

    // Debt of $100 weighted 1.1 for initial margin, 1.0 for maintenance.
    let params = AccountParams { quote_init_liability_weight: 1_100_000, ..AccountParams::default() };
    assert_eq!(quote_value(-100 * USD, &params, MarginKind::Initial).unwrap(), -110_000_000);
    assert_eq!(quote_value(-100 * USD, &params, MarginKind::Maintenance).unwrap(), -100_000_000);
    // A liability rounds up: 1 unit of debt at 1.1 costs 2.
    assert_eq!(quote_value(-1, &params, MarginKind::Initial).unwrap(), -2);

    // A short is a liability: valued at max(oracle, EMA) for initial margin.
    let m = sol_perp(Price { oracle: usd_price(100), ema: usd_price(104) });
    let short = PerpPosition { base: -SOL, quote_entry: 100 * USD, funding_snapshot: 0 };
    assert_eq!(unrealized_pnl(&short, &m, MarginKind::Initial).unwrap(), -4_000_000);
    assert_eq!(unrealized_pnl(&short, &m, MarginKind::Maintenance).unwrap(), 0);
    assert_eq!(position_requirement(short.base, &m, MarginKind::Initial).unwrap(), 10_400_000);
}

#[test]
fn unrealized_gains_count_at_their_init_weight() {
    let p = [PerpExposure { position: long(10, 100), market: sol_perp(Price::flat(usd_price(110))) }];
    let mut a = account(0, &[], &p);
    a.params.unrealized_pnl_init_weight = 500_000;
    let h = account_health(&a).unwrap();
    assert_eq!(h.maint.equity, 100_000_000); // +$100 in full
    assert_eq!(h.init.equity, 50_000_000); // half for initial margin
}

#[test]
fn size_premium_raises_the_ratio_and_caps_at_one() {
    let mut m = sol_perp(Price::flat(usd_price(100)));
    m.imf = 1_000; // 0.1% per √SOL
    assert_eq!(size_premium(100 * SOL, &m).unwrap(), 10_000); // √100 = 10 → 1%
    assert_eq!(margin_ratio(100 * SOL, &m, MarginKind::Initial).unwrap(), 110_000);
    assert_eq!(margin_ratio(-100 * SOL, &m, MarginKind::Maintenance).unwrap(), 60_000);
    // 2 SOL: √2 = 1.41421356… → 1,414.2… ppm, rounded up.
    assert_eq!(size_premium(2 * SOL, &m).unwrap(), 1_415);
    m.imf = 1_000_000;
    assert_eq!(margin_ratio(i64::MAX, &m, MarginKind::Initial).unwrap(), RATIO_ONE);
}

#[test]
fn funding_owed_is_part_of_pnl() {
    let mut m = sol_perp(Price::flat(usd_price(100)));
    // Longs owe $0.01 per SOL: 0.01e6 / 1e9 × 1e12 = 1e7 index units.
    m.cumulative_funding = 10_000_000;
    let pos = long(10, 100);
    assert_eq!(unsettled_funding(&pos, &m).unwrap(), 100_000);
    assert_eq!(unrealized_pnl(&pos, &m, MarginKind::Maintenance).unwrap(), -100_000);
}

#[test]
fn leverage_examples() {
    assert_eq!(effective_leverage(0, 0).unwrap(), Some(0));
    assert_eq!(effective_leverage(5_000, 1_000).unwrap(), Some(5_000_000));
    assert_eq!(effective_leverage(1, 3).unwrap(), Some(333_334)); // rounded up
    assert_eq!(effective_leverage(5_000, 0).unwrap(), None);
    assert_eq!(effective_leverage(5_000, -1).unwrap(), None);
}

// ---------------------------------------------------------------- properties

fn arb_price() -> impl Strategy<Value = u64> {
    1_000u64..1_000_000_000_000_000
}

fn arb_market() -> impl Strategy<Value = PerpMarketRisk> {
    (arb_price(), 0u64..=200, 6u8..=9, 10_000u32..500_000, 0u32..5_000).prop_map(|(p, ema_bps, dec, init, imf)| {
        PerpMarketRisk {
            price: Price { oracle: p, ema: p / 10_000 * (9_900 + ema_bps) + 1 },
            base_decimals: dec,
            init_margin_ratio: init,
            maint_margin_ratio: init / 2,
            imf,
            cumulative_funding: 0,
            pnl_haircut: Default::default(),
            cumulative_borrow: 0,
        }
    })
}

fn arb_exposure() -> impl Strategy<Value = PerpExposure> {
    (arb_market(), -1_000_000_000_000i64..1_000_000_000_000, -1_000_000_000_000_000i64..1_000_000_000_000_000).prop_map(
        |(market, base, quote_entry)| PerpExposure {
            position: PerpPosition { base, quote_entry, funding_snapshot: 0 },
            market,
        },
    )
}

fn arb_collateral() -> impl Strategy<Value = Collateral> {
    (0u64..1_000_000_000_000_000, arb_price(), 0u32..=1_000_000).prop_map(|(amount, p, w)| Collateral {
        amount,
        price: Price { oracle: p, ema: p / 2 + 1 },
        init_asset_weight: w / 2,
        maint_asset_weight: w,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn requirement_is_monotone_in_size(m in arb_market(), a in 0i64..1_000_000_000_000_000, b in 0i64..1_000_000_000_000_000, short in any::<bool>()) {
        let (small, large) = (a.min(b), a.max(b));
        let s = if short { -1 } else { 1 };
        for kind in [MarginKind::Initial, MarginKind::Maintenance] {
            prop_assert!(position_requirement(small * s, &m, kind)? <= position_requirement(large * s, &m, kind)?);
        }
    }

    #[test]
    fn adverse_price_moves_never_raise_free_collateral(
        e in arb_exposure(), quote in -1_000_000_000_000i64..1_000_000_000_000, p2 in arb_price(),
    ) {
        // Requirement rises with price; free collateral falls as the price moves against the position.
        let mut moved = e;
        moved.market.price = Price::flat(p2);
        let mut here = e;
        here.market.price = Price::flat(e.market.price.oracle);
        let (lo, hi) = if p2 < e.market.price.oracle { (moved, here) } else { (here, moved) };
        for kind in [MarginKind::Initial, MarginKind::Maintenance] {
            prop_assert!(position_requirement(lo.position.base, &lo.market, kind)? <= position_requirement(hi.position.base, &hi.market, kind)?);
            let fc = |x: PerpExposure| -> MathResult<i128> { Ok(health(&account(quote, &[], &[x]), kind)?.free_collateral()) };
            if e.position.base > 0 {
                prop_assert!(fc(lo)? <= fc(hi)?);
            } else {
                prop_assert!(fc(hi)? <= fc(lo)?);
            }
        }
    }

    #[test]
    fn engine_returns_errors_never_panics(
        quote in any::<i64>(), amount in any::<u64>(), p in any::<u64>(), ema in any::<u64>(), w in any::<u32>(),
        base in any::<i64>(), qe in any::<i64>(), snap in any::<i128>(), idx in any::<i128>(), imf in any::<u32>(),
        ratio in any::<u32>(), dec in any::<u8>(), delta in any::<i64>(), fee in any::<u32>(),
    ) {
        let c = [Collateral { amount, price: Price { oracle: p, ema }, init_asset_weight: w, maint_asset_weight: w }];
        let market = PerpMarketRisk { price: Price { oracle: p, ema }, base_decimals: dec, init_margin_ratio: ratio, maint_margin_ratio: ratio, imf, cumulative_funding: idx, pnl_haircut: Default::default(), cumulative_borrow: 0 };
        let e = [PerpExposure { position: PerpPosition { base, quote_entry: qe, funding_snapshot: snap }, market }];
        let a = account(quote, &c, &e);
        let _ = account_health(&a);
        let _ = liquidation_price(&a, 0);
        let _ = apply_fill(&e[0].position, &market, delta, p, fee);
        let _ = settle_pnl(&e[0].position, &market);
    }

    #[test]
    fn settling_pnl_conserves_equity_exactly(e in arb_exposure(), quote in -1_000_000_000_000i64..1_000_000_000_000, idx in -1_000_000_000_000i128..1_000_000_000_000) {
        let mut e = e;
        e.market.cumulative_funding = idx;
        let before = health(&account(quote, &[], &[e]), MarginKind::Maintenance)?.equity;
        let (realized, position) = settle_pnl(&e.position, &e.market)?;
        let after_e = PerpExposure { position, market: e.market };
        let after = health(&account(quote + realized, &[], &[after_e]), MarginKind::Maintenance)?.equity;
        prop_assert_eq!(before, after);
        prop_assert_eq!(unrealized_pnl(&position, &e.market, MarginKind::Maintenance)?, 0);
    }

    #[test]
    fn closing_at_the_oracle_realises_exactly_the_unrealised_pnl(e in arb_exposure(), idx in -1_000_000_000_000i128..1_000_000_000_000) {
        let mut e = e;
        e.market.cumulative_funding = idx;
        prop_assume!(e.position.base != 0);
        let upnl = unrealized_pnl(&e.position, &e.market, MarginKind::Maintenance)?;
        let fill = apply_fill(&e.position, &e.market, -e.position.base, e.market.price.oracle, 0)?;
        prop_assert_eq!(fill.position.base, 0);
        prop_assert_eq!(fill.position.quote_entry, 0);
        prop_assert_eq!(i128::from(fill.realized_pnl), upnl);
    }

    #[test]
    fn reducing_at_the_oracle_without_fee_never_lowers_maintenance_health(
        e in arb_exposure(), quote in -1_000_000_000_000i64..1_000_000_000_000, frac in 1u64..=1_000,
    ) {
        // Maintenance values debt at weight 1 (the default), so realising a loss moves equity
        // from unrealised to realised without changing it; only the fill's rounding (≤ 1 unit,
        // against the trader) can cost anything.
        prop_assume!(e.position.base != 0);
        let k = (e.position.base.unsigned_abs() / 1_000 * frac).max(1) as i64;
        let delta = -e.position.base.signum() * k;
        prop_assume!(is_reducing(e.position.base, delta));
        let before = health(&account(quote, &[], &[e]), MarginKind::Maintenance)?;
        let fill = apply_fill(&e.position, &e.market, delta, e.market.price.oracle, 0)?;
        let after_e = PerpExposure { position: fill.position, market: e.market };
        let after = health(&account(quote + fill.realized_pnl, &[], &[after_e]), MarginKind::Maintenance)?;
        prop_assert!(after.free_collateral() >= before.free_collateral() - 1,
            "before {:?} after {:?}", before, after);
        prop_assert!(after.requirement <= before.requirement);
    }

    #[test]
    fn equity_is_the_sum_of_its_parts(c in proptest::collection::vec(arb_collateral(), 0..8), p in proptest::collection::vec(arb_exposure(), 0..8), quote in any::<i32>()) {
        let a = account(i64::from(quote), &c, &p);
        for kind in [MarginKind::Initial, MarginKind::Maintenance] {
            let h = health(&a, kind)?;
            let mut eq = quote_value(a.quote_balance, &a.params, kind)?;
            for x in &c { eq += collateral_value(x, kind)?; }
            for x in &p { eq += weighted_pnl(unrealized_pnl(&x.position, &x.market, kind)?, &a.params, kind)?; }
            prop_assert_eq!(h.equity, eq);
            prop_assert_eq!(h.requirement, requirement(&a, kind)?);
            prop_assert!(health(&a, MarginKind::Initial)?.free_collateral() <= health(&a, MarginKind::Maintenance)?.free_collateral());
        }
    }

    #[test]
    fn liquidation_price_is_where_maintenance_breaks(
        size in 1i64..100_000, entry in 1u64..100_000, quote in 0i64..1_000_000_000_000, short in any::<bool>(),
    ) {
        // At the liquidation price maintenance is met to within the rounding of one price unit;
        // a percent beyond it, it is not.
        let base = if short { -size * SOL / 100 } else { size * SOL / 100 };
        let entry_price = usd_price(entry);
        let position = PerpPosition { base, quote_entry: fill_quote_flow(base, entry_price)? as i64, funding_snapshot: 0 };
        let at = |price: u64| [PerpExposure { position, market: sol_perp(Price::flat(price)) }];
        let p = at(entry_price);
        let a = account(quote, &[], &p);
        if let Some(liq) = liquidation_price(&a, 0)? {
            prop_assume!(liq > 100);
            let safe = if short { liq - liq / 100 } else { liq + liq / 100 };
            let broken = if short { liq + liq / 100 } else { liq - liq / 100 };
            let fc = |price: u64| -> MathResult<i128> { let p = at(price); Ok(health(&account(quote, &[], &p), MarginKind::Maintenance)?.free_collateral()) };
            prop_assert!(fc(liq)? >= -2, "at liq {}", fc(liq)?);
            prop_assert!(fc(safe)? >= 0);
            prop_assert!(fc(broken)? < 0 || liq == 0);
        } else {
            prop_assert!(!short, "a short always has a liquidation price");
            prop_assert!(health(&account(quote, &[], &at(1)), MarginKind::Maintenance)?.is_met());
        }
    }
}

#[test]
fn max_trade_size_keeps_initial_margin_after_the_fee() {
    // $1,000, 10% IM, 0.1% fee, $100: s × 100 × 0.1 ≤ 1000 − s × 100 × 0.001 ⇔ s ≤ 99.0099 SOL.
    let p = [PerpExposure { position: PerpPosition::default(), market: sol_perp(Price::flat(usd_price(100))) }];
    let a = account(1_000 * USD, &[], &p);
    assert_eq!(max_trade_size(&a, 0, true, usd_price(100), 1_000, 1_000_000).unwrap(), 99_009_000_000);
    assert_eq!(max_trade_size(&a, 0, false, usd_price(100), 1_000, 1_000_000).unwrap(), 99_009_000_000);
    // Long 50 already, $995 left: $495 free buys 49.009 more; selling first closes the 50.
    let p = [PerpExposure { position: long(50, 100), market: sol_perp(Price::flat(usd_price(100))) }];
    let a = account(995 * USD, &[], &p);
    let buy = max_trade_size(&a, 0, true, usd_price(100), 1_000, 1_000_000).unwrap();
    assert_eq!(buy, 49_009_000_000); // (995 − 500 already required) / (10 + 0.1 fee) = 49.0099 SOL
    assert!(max_trade_size(&a, 0, false, usd_price(100), 1_000, 1_000_000).unwrap() > 50 * SOL as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn max_trade_size_is_allowed_and_one_step_more_is_not(
        quote in 1i64..1_000_000_000_000, base in -1_000_000_000_000i64..1_000_000_000_000, entry in 10u64..1_000, buy in any::<bool>(),
    ) {
        let m = sol_perp(Price::flat(usd_price(100)));
        let position = PerpPosition { base, quote_entry: fill_quote_flow(base, usd_price(entry))? as i64, funding_snapshot: 0 };
        let p = [PerpExposure { position, market: m }];
        let a = account(quote, &[], &p);
        let step = 1_000_000u64;
        let s = max_trade_size(&a, 0, buy, usd_price(100), 1_000, step)?;
        let allowed = |size: u64| -> MathResult<bool> {
            let delta = if buy { size as i64 } else { -(size as i64) };
            if is_reducing(base, delta) { return Ok(true); }
            let f = apply_fill(&position, &m, delta, usd_price(100), 1_000)?;
            let after = [PerpExposure { position: f.position, market: m }];
            let q = quote + f.realized_pnl - f.fee as i64;
            Ok(health(&account(q, &[], &after), MarginKind::Initial)?.is_met())
        };
        if s > 0 {
            prop_assert!(allowed(s)?);
        }
        prop_assert!(!allowed(s + step)?);
    }

    #[test]
    fn leverage_times_equity_covers_notional(notional in 0i128..1_000_000_000_000_000, equity in 1i128..1_000_000_000_000_000) {
        let lev = effective_leverage(notional, equity)?.unwrap();
        // Rounded up: lev × equity ≥ notional × 1e6, within one ppm step.
        prop_assert!(lev as i128 * equity >= notional * 1_000_000);
        prop_assert!((lev as i128 - 1) * equity < notional * 1_000_000 || lev == 0);
    }
}
