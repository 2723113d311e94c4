//! Test vectors for the TypeScript risk mirror (`app/src/risk`): randomised accounts with what
//! every engine function returns for them, as JSON (one case per line; integers as decimal
//! strings). A fixed-seed xorshift64* makes the file reproducible; CI regenerates it and fails
//! if it differs from the committed copy.
//!
//!   cargo run -q -p fulcrum-risk --bin risk-vectors -- app/vectors/risk.json
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;

use fulcrum_risk::*;

mod common;
use common::*;

const CASES: usize = 1_024;
const SEED: u64 = 0x000f_01c7_u64 ^ 0x9e37_79b9_7f4a_7c15;
/// PnL cap and auto-deleveraging cases (`winnersCases`): their own generator too.
const WINNERS_CASES: usize = 256;
const WINNERS_SEED: u64 = 0x0000_c0a1_u64 ^ 0x9e37_79b9_7f4a_7c15;
/// Portfolio-margin cases (`portfolioCases`): their own generator, so the cases above stay put.
const PORTFOLIO_CASES: usize = 256;
const PORTFOLIO_SEED: u64 = 0x0005_f011_u64 ^ 0x9e37_79b9_7f4a_7c15;
/// Latency-spread fill cases (`latencyCases`, issue 13 §1): their own generator.
const LATENCY_CASES: usize = 512;
const LATENCY_SEED: u64 = 0x0001_a7e5_u64 ^ 0x9e37_79b9_7f4a_7c15;
/// Pool-capacity cases (`capacityCases`: reserve, borrow fee, insurance-aware OI cap), their
/// own generator too.
const CAPACITY_CASES: usize = 256;
const CAPACITY_SEED: u64 = 0x000c_a9ac_u64 ^ 0x9e37_79b9_7f4a_7c15;
/// Assets the portfolio cases place holdings on (`0..PORTFOLIO_ASSETS`).
const PORTFOLIO_ASSETS: usize = 4;
/// LP-flow cases (`poolCases`: pool valuation, share pricing, depth): their own generator.
const POOL_CASES: usize = 256;
const POOL_SEED: u64 = 0x0000_9001_u64 ^ 0x9e37_79b9_7f4a_7c15;

fn err(e: MathError) -> String {
    obj(&[("error", format!("\"{e:?}\""))])
}

fn res<T>(r: MathResult<T>, f: impl Fn(T) -> String) -> String {
    match r {
        Ok(v) => f(v),
        Err(e) => err(e),
    }
}

fn opt<T>(o: Option<T>, f: impl Fn(T) -> String) -> String {
    o.map(f).unwrap_or_else(|| "null".into())
}

fn health_json(h: Health) -> String {
    obj(&[("equity", s(h.equity)), ("requirement", s(h.requirement))])
}

fn position_json(p: &PerpPosition) -> String {
    obj(&[("base", s(p.base)), ("quoteEntry", s(p.quote_entry)), ("fundingSnapshot", s(p.funding_snapshot))])
}

fn price_json(p: &Price) -> String {
    obj(&[("oracle", s(p.oracle)), ("ema", s(p.ema))])
}

fn state_name(st: HealthState) -> String {
    format!("\"{st:?}\"")
}

fn account_health_json(h: AccountHealth) -> String {
    obj(&[
        ("init", health_json(h.init)),
        ("maint", health_json(h.maint)),
        ("equity", s(h.equity)),
        ("notional", s(h.notional)),
        ("leverage", opt(h.leverage, s)),
        ("state", state_name(h.state)),
    ])
}

fn perp_liquidation_json(p: PerpLiquidation) -> String {
    obj(&[
        ("baseDelta", s(p.base_delta)),
        ("position", position_json(&p.position)),
        ("realizedPnl", s(p.realized_pnl)),
        ("fillQuote", s(p.fill_quote)),
        ("liquidatorFee", s(p.liquidator_fee)),
        ("insuranceFee", s(p.insurance_fee)),
        ("maintAfter", health_json(p.maint_after)),
        ("equityAfter", s(p.equity_after)),
    ])
}

fn collateral_liquidation_json(c: CollateralLiquidation) -> String {
    obj(&[("repay", s(c.repay)), ("collateralOut", s(c.collateral_out)), ("maintAfter", health_json(c.maint_after))])
}

fn collateral_json(collateral: &[Collateral]) -> String {
    arr(&collateral
        .iter()
        .map(|c| {
            obj(&[
                ("amount", s(c.amount)),
                ("price", price_json(&c.price)),
                ("initAssetWeight", c.init_asset_weight.to_string()),
                ("maintAssetWeight", c.maint_asset_weight.to_string()),
            ])
        })
        .collect::<Vec<_>>())
}

fn perps_json(perps: &[PerpExposure]) -> String {
    arr(&perps
        .iter()
        .map(|e| {
            obj(&[
                ("position", position_json(&e.position)),
                (
                    "market",
                    obj(&[
                        ("price", price_json(&e.market.price)),
                        ("baseDecimals", e.market.base_decimals.to_string()),
                        ("initMarginRatio", e.market.init_margin_ratio.to_string()),
                        ("maintMarginRatio", e.market.maint_margin_ratio.to_string()),
                        ("imf", e.market.imf.to_string()),
                        ("cumulativeFunding", s(e.market.cumulative_funding)),
                        ("cumulativeBorrow", s(e.market.cumulative_borrow)),
                    ]
                    .into_iter()
                    .chain(
                        (e.market.pnl_haircut != PnlHaircut::NONE)
                            .then(|| ("pnlHaircut", haircut_json(&e.market.pnl_haircut))),
                    )
                    .collect::<Vec<_>>()),
                ),
            ])
        })
        .collect::<Vec<_>>())
}

fn params_json(params: &AccountParams) -> String {
    obj(&[
        ("quoteInitLiabilityWeight", params.quote_init_liability_weight.to_string()),
        ("quoteMaintLiabilityWeight", params.quote_maint_liability_weight.to_string()),
        ("unrealizedPnlInitWeight", params.unrealized_pnl_init_weight.to_string()),
    ])
}

fn liq_json(liq: &LiquidationParams) -> String {
    obj(&[
        ("buffer", liq.buffer.to_string()),
        ("liquidatorFee", liq.liquidator_fee.to_string()),
        ("insuranceFee", liq.insurance_fee.to_string()),
        ("dustNotional", s(liq.dust_notional)),
        ("collateralDiscount", liq.collateral_discount.to_string()),
    ])
}

fn price(rng: &mut Rng, decimals: u8) -> Price {
    // $0.01 … $100,000 per whole unit, quote with 6 decimals.
    let dollars_micro = rng.log(10_000, 100_000_000_000);
    let shift = 12 + 6 - i32::from(decimals) - 6;
    let oracle = if shift >= 0 {
        dollars_micro.saturating_mul(10u64.pow(shift as u32))
    } else {
        (dollars_micro / 10u64.pow((-shift) as u32)).max(1)
    };
    let ema =
        if rng.chance(30) { oracle } else { (oracle as i128 * i128::from(rng.range(950, 1050)) / 1000).max(1) as u64 };
    Price { oracle, ema }
}

fn decimals(rng: &mut Rng) -> u8 {
    [6u8, 8, 9][rng.range(0, 2) as usize]
}

/// The ranges a random position is drawn from.
struct PerpRanges {
    /// Entry price as ‰ of the current price.
    entry_permille: (u64, u64),
    /// Initial margin ratio, ppm (maintenance is 30–90% of it).
    init: (u64, u64),
    /// Chance (%) that the market has no funding accrued.
    flat_funding_pct: u64,
    /// Largest size-premium factor.
    imf_max: u64,
}

/// Positions of the margin cases: opened within ±30% of the price, any leverage.
const BOOK_PERPS: PerpRanges =
    PerpRanges { entry_permille: (700, 1300), init: (10_000, 500_000), flat_funding_pct: 50, imf_max: 5_000 };
/// Positions of the portfolio cases: opened within ±10% of the price, 5x–50x.
const PORTFOLIO_PERPS: PerpRanges =
    PerpRanges { entry_permille: (900, 1100), init: (20_000, 200_000), flat_funding_pct: 70, imf_max: 2_000 };

/// A position of `base` in a random market priced at `p`.
fn random_perp(rng: &mut Rng, base: i64, p: Price, d: u8, r: &PerpRanges) -> PerpExposure {
    let entry = (i128::from(p.oracle) * i128::from(rng.range(r.entry_permille.0, r.entry_permille.1)) / 1000).max(1);
    let quote_entry = (-(i128::from(base) * entry) / PRICE_SCALE as i128) as i64;
    let init = rng.range(r.init.0, r.init.1) as u32;
    let cum = if rng.chance(r.flat_funding_pct) { 0 } else { i128::from(rng.signed(1_000_000_000)) };
    let snap = if rng.chance(50) { cum } else { i128::from(rng.signed(1_000_000_000)) };
    PerpExposure {
        position: PerpPosition { base, quote_entry, funding_snapshot: snap },
        market: PerpMarketRisk {
            price: p,
            base_decimals: d,
            init_margin_ratio: init,
            maint_margin_ratio: (u64::from(init) * rng.range(300, 900) / 1000) as u32,
            imf: if rng.chance(60) { 0 } else { rng.range(1, r.imf_max) as u32 },
            cumulative_funding: cum,
            pnl_haircut: Default::default(),
            // A borrow index derived from the funding one (no draw: the cases stay put), so that
            // longs and shorts settle against different indexes.
            cumulative_borrow: i128::from((cum.unsigned_abs() % 777_777) as u64),
        },
    }
}

fn main() {
    let out_path = std::env::args().nth(1);
    let mut rng = Rng(SEED);
    let mut lines = Vec::with_capacity(CASES);
    for case in 0..CASES {
        let params = {
            let maint = rng.range(1_000_000, 1_100_000) as u32;
            AccountParams {
                quote_maint_liability_weight: maint,
                quote_init_liability_weight: maint + rng.range(0, 100_000) as u32,
                unrealized_pnl_init_weight: if rng.chance(50) { 1_000_000 } else { rng.range(0, 1_000_000) as u32 },
            }
        };
        let n_coll = rng.range(0, 3) as usize;
        let n_perps = if rng.chance(10) { 0 } else { rng.range(1, 4) as usize };
        let mut collateral = vec![];
        for _ in 0..n_coll {
            let d = decimals(&mut rng);
            let init = rng.range(0, 1_000_000) as u32;
            collateral.push(Collateral {
                amount: rng.log(1, 10u64.pow(u32::from(d)) * 10_000),
                price: price(&mut rng, d),
                init_asset_weight: init,
                maint_asset_weight: init + rng.range(0, 1_000_000 - u64::from(init)) as u32,
            });
        }
        let mut perps = vec![];
        for _ in 0..n_perps {
            let d = decimals(&mut rng);
            let p = price(&mut rng, d);
            let base = rng.log(1, 10u64.pow(u32::from(d)) * 1_000) as i64 * if rng.chance(50) { 1 } else { -1 };
            perps.push(random_perp(&mut rng, base, p, d, &BOOK_PERPS));
        }
        // Quote balance scaled to the account's notional so every health state shows up.
        let notional: i128 = perps
            .iter()
            .map(|e| {
                i128::from(e.position.base.unsigned_abs()) * i128::from(e.market.price.oracle) / PRICE_SCALE as i128
            })
            .sum();
        let scale = (notional.max(1_000_000) as u64).min(1_000_000_000_000_000);
        let quote_balance = (i128::from(rng.signed(1_000)) * i128::from(scale) / 1_000
            + i128::from(scale) * i128::from(rng.range(0, 300)) / 1_000) as i64;
        let account = RiskAccount { quote_balance, collateral: &collateral, perps: &perps, params };

        let liq = LiquidationParams {
            buffer: rng.range(0, 200_000) as u32,
            liquidator_fee: rng.range(0, 20_000) as u32,
            insurance_fee: rng.range(0, 10_000) as u32,
            dust_notional: rng.range(0, 100_000_000),
            collateral_discount: rng.range(0, 100_000) as u32,
        };
        let fee_rate = rng.range(0, 5_000) as u32;
        let steps: Vec<u64> = perps
            .iter()
            .map(|e| 10u64.pow(u32::from(e.market.base_decimals).saturating_sub(rng.range(2, 4) as u32)))
            .collect();

        let mut results: Vec<(&str, String)> = vec![
            ("healthInit", res(health(&account, MarginKind::Initial), health_json)),
            ("healthMaint", res(health(&account, MarginKind::Maintenance), health_json)),
            ("requirementInit", res(requirement(&account, MarginKind::Initial), s)),
            ("requirementMaint", res(requirement(&account, MarginKind::Maintenance), s)),
            ("freeCollateral", res(free_collateral(&account), s)),
            ("totalNotional", res(total_notional(&account), s)),
            ("rawEquity", res(raw_equity(&account), s)),
            ("accountHealth", res(account_health(&account), account_health_json)),
            ("largestRequirement", res(largest_requirement(&account), |o| opt(o, |i| i.to_string()))),
        ];
        let mut per_perp = vec![];
        for (i, e) in perps.iter().enumerate() {
            let step = steps[i];
            let delta = rng.signed(e.position.base.unsigned_abs().saturating_mul(2).max(1)).max(-(i64::MAX / 2));
            let fill = apply_fill(&e.position, &e.market, delta, e.market.price.oracle, fee_rate);
            per_perp.push(obj(&[
                ("step", s(step)),
                ("liquidationPrice", res(liquidation_price(&account, i), |o| opt(o, s))),
                ("maxBuy", res(max_trade_size(&account, i, true, e.market.price.oracle, fee_rate, step), s)),
                ("maxSell", res(max_trade_size(&account, i, false, e.market.price.oracle, fee_rate, step), s)),
                ("marginRatioInit", res(margin_ratio(e.position.base, &e.market, MarginKind::Initial), s)),
                ("unrealizedPnlMaint", res(unrealized_pnl(&e.position, &e.market, MarginKind::Maintenance), s)),
                ("fillDelta", s(delta)),
                (
                    "fill",
                    res(fill, |f| {
                        obj(&[
                            ("position", position_json(&f.position)),
                            ("realizedPnl", s(f.realized_pnl)),
                            ("fillQuote", s(f.fill_quote)),
                            ("fee", s(f.fee)),
                        ])
                    }),
                ),
                ("perpLiquidation", res(plan_perp_liquidation(&account, i, step, &liq), perp_liquidation_json)),
            ]));
        }
        results.push(("perps", arr(&per_perp)));

        let discount = rng.range(0, 100_000) as u32;
        let max_repay = rng.log(1, 1_000_000_000_000_000);
        let per_coll: Vec<String> = (0..collateral.len())
            .map(|i| {
                res(
                    plan_collateral_liquidation(&account, i, max_repay, discount, liq.buffer),
                    collateral_liquidation_json,
                )
            })
            .collect();
        results.push(("collateralLiquidations", arr(&per_coll)));

        let (slot, call_slot, grace, threshold) =
            (rng.range(1_000, 2_000), rng.range(0, 2_000), rng.range(0, 500), rng.range(0, 1_000_000) as u32);
        let was = rng.chance(50);
        if let Ok(m) = health(&account, MarginKind::Maintenance) {
            results.push((
                "isLiquidatable",
                res(is_liquidatable(&m, call_slot, slot, grace, threshold), |b| b.to_string()),
            ));
            results.push(("inMarginCall", res(in_margin_call(was, &m, liq.buffer), |b| b.to_string())));
            results.push(("bufferedRequirement", res(buffered_requirement(m.requirement, liq.buffer), s)));
        }
        let (debt, ins, pool) = (rng.log(1, 1 << 50), rng.log(1, 1 << 50), rng.log(1, 1 << 50));
        let r = resolve_bankruptcy(debt, ins, pool);
        results.push((
            "bankruptcy",
            obj(&[
                ("insurancePaid", s(r.insurance_paid)),
                ("socialised", s(r.socialised)),
                ("uncovered", s(r.uncovered)),
            ]),
        ));

        let input = obj(&[
            ("quoteBalance", s(quote_balance)),
            ("collateral", collateral_json(&collateral)),
            ("perps", perps_json(&perps)),
            ("params", params_json(&params)),
            ("liquidation", liq_json(&liq)),
            ("feeRate", fee_rate.to_string()),
            ("discount", discount.to_string()),
            ("maxRepay", s(max_repay)),
            ("slot", s(slot)),
            ("marginCallSlot", s(call_slot)),
            ("graceSlots", s(grace)),
            ("thresholdRatio", threshold.to_string()),
            ("wasInMarginCall", was.to_string()),
            ("bankruptcyInput", obj(&[("debt", s(debt)), ("insurance", s(ins)), ("pool", s(pool))])),
        ]);
        lines.push(obj(&[("case", case.to_string()), ("input", input), ("expect", obj(&results))]));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{{\"generator\":\"cargo run -p fulcrum-risk --bin risk-vectors\",\"seed\":\"{SEED}\",\"cases\":["
    );
    out.push_str(&lines.join(",\n"));
    // Margin modes, appended after the cases above (which stay as they were).
    let _ = writeln!(out, "\n],\"portfolioSeed\":\"{PORTFOLIO_SEED}\",\"portfolioCases\":[");
    out.push_str(&portfolio_cases().join(",\n"));
    let _ = writeln!(out, "\n],\"latencySeed\":\"{LATENCY_SEED}\",\"latencyCases\":[");
    out.push_str(&latency_cases().join(",\n"));
    // LP flows (issue 13 §2), appended after the portfolio cases.
    let _ = writeln!(out, "\n],\"poolSeed\":\"{POOL_SEED}\",\"poolCases\":[");
    out.push_str(&pool_cases().join(",\n"));
    let _ = writeln!(out, "\n],\"winnersSeed\":\"{WINNERS_SEED}\",\"winnersCases\":[");
    out.push_str(&winners_cases().join(",\n"));
    let _ = writeln!(out, "\n],\"capacitySeed\":\"{CAPACITY_SEED}\",\"capacityCases\":[");
    out.push_str(&capacity_cases().join(",\n"));
    out.push_str("\n]}\n");
    match out_path {
        Some(p) => {
            if let Err(e) = std::fs::write(&p, out) {
                eprintln!("risk-vectors: {p}: {e}");
                std::process::exit(1);
            }
        }
        None => print!("{out}"),
    }
}

fn correlation_json(c: &Correlation) -> String {
    let rows: Vec<String> = (0..c.n.min(MAX_ASSETS))
        .map(|i| arr(&(0..c.n.min(MAX_ASSETS)).map(|j| c.c[i][j].to_string()).collect::<Vec<_>>()))
        .collect();
    obj(&[("n", c.n.to_string()), ("c", arr(&rows))])
}

fn exposures_json(e: Exposures) -> String {
    obj(&[
        ("perAsset", arr(&e.per_asset.iter().map(|v| s(*v)).collect::<Vec<_>>())),
        ("gross", s(e.gross)),
        ("standalone", s(e.standalone)),
    ])
}

fn set_off_diagonal(c: &mut Correlation, f: impl Fn(usize, usize) -> i32) {
    for i in 0..c.n {
        for j in 0..c.n {
            if i != j {
                c.c[i][j] = f(i, j);
            }
        }
    }
}

/// A valid correlation matrix over the portfolio assets: equicorrelation ρ ∈ [−0.3, 1], two
/// blocks, random symmetric entries, or the identity (invalid draws are skipped).
fn valid_correlation(rng: &mut Rng) -> Correlation {
    loop {
        let mut c = Correlation::identity(PORTFOLIO_ASSETS);
        match rng.range(0, 3) {
            0 => {
                let rho = rng.range(0, 1_300_000) as i32 - 300_000;
                set_off_diagonal(&mut c, |_, _| rho);
            }
            1 => {
                let within = rng.range(0, 1_000_000) as i32;
                let across = rng.range(0, 600_000) as i32 - 300_000;
                set_off_diagonal(&mut c, |i, j| if i / 2 == j / 2 { within } else { across });
            }
            2 => {
                for i in 0..c.n {
                    for j in i + 1..c.n {
                        let v = rng.range(0, 1_500_000) as i32 - 500_000;
                        c.c[i][j] = v;
                        c.c[j][i] = v;
                    }
                }
            }
            _ => {}
        }
        if c.validate().is_ok() {
            return c;
        }
    }
}

/// Any matrix, mostly invalid in one way or another (for `Correlation::validate`).
fn any_correlation(rng: &mut Rng) -> Correlation {
    let n = rng.range(1, 6) as usize;
    let mut c = Correlation::identity(n);
    match rng.range(0, 3) {
        0 => {
            for i in 0..n {
                for j in i + 1..n {
                    let v = rng.range(0, 2_000_000) as i32 - 1_000_000;
                    c.c[i][j] = v;
                    c.c[j][i] = v;
                }
            }
        }
        1 => {
            let rho = rng.range(0, 1_600_000) as i32 - 600_000;
            set_off_diagonal(&mut c, |_, _| rho);
        }
        2 => {
            // Near-singular: all ones with one pair nudged (zero pivots and the tolerance).
            set_off_diagonal(&mut c, |_, _| RATIO_ONE as i32);
            if n >= 2 {
                let d = rng.range(0, 4_000) as i32;
                c.c[0][n - 1] -= d;
                c.c[n - 1][0] -= d;
            }
        }
        _ => {
            let rho = rng.range(0, 1_000_000) as i32;
            set_off_diagonal(&mut c, |_, _| rho);
            let (i, j) = (rng.range(0, n as u64 - 1) as usize, rng.range(0, n as u64 - 1) as usize);
            match rng.range(0, 3) {
                0 => c.c[i][j] += 1,
                1 => c.c[i][i] = 999_999,
                2 => {
                    c.c[i][j] = 1_000_001;
                    c.c[j][i] = 1_000_001;
                }
                _ => c.n = MAX_ASSETS + 1,
            }
        }
    }
    c
}

fn portfolio_cases() -> Vec<String> {
    let mut rng = Rng(PORTFOLIO_SEED);
    let mut lines = Vec::with_capacity(PORTFOLIO_CASES);
    for case in 0..PORTFOLIO_CASES {
        let params = {
            let maint = rng.range(1_000_000, 1_100_000) as u32;
            AccountParams {
                quote_maint_liability_weight: maint,
                quote_init_liability_weight: maint + rng.range(0, 100_000) as u32,
                unrealized_pnl_init_weight: if rng.chance(50) { 1_000_000 } else { rng.range(0, 1_000_000) as u32 },
            }
        };
        let usd = |rng: &mut Rng| i128::from(rng.log(1_000, 200_000)) * 1_000_000; // quote native
        let mut notional: i128 = 0;
        let mut collateral = vec![];
        for _ in 0..rng.range(0, 2) {
            let d = decimals(&mut rng);
            let price = price(&mut rng, d);
            let value = usd(&mut rng);
            notional += value;
            let init = rng.range(500_000, 1_000_000) as u32;
            collateral.push(Collateral {
                amount: (value * PRICE_SCALE as i128 / i128::from(price.oracle)).clamp(1, i128::from(u64::MAX)) as u64,
                price,
                init_asset_weight: init,
                maint_asset_weight: init + rng.range(0, 1_000_000 - u64::from(init)) as u32,
            });
        }
        let mut perps = vec![];
        let mut isolated_collateral = vec![];
        for _ in 0..rng.range(1, 4) {
            let d = decimals(&mut rng);
            let p = price(&mut rng, d);
            let value = usd(&mut rng);
            notional += value;
            let size = (value * PRICE_SCALE as i128 / i128::from(p.oracle)).clamp(1, i128::from(i64::MAX / 4)) as i64;
            let base = if rng.chance(50) { size } else { -size };
            perps.push(random_perp(&mut rng, base, p, d, &PORTFOLIO_PERPS));
            isolated_collateral.push((value * i128::from(rng.range(0, 300)) / 1000) as i64);
        }
        // One holding in eight is off the asset map (a listing after the correlations).
        let asset = |rng: &mut Rng| {
            if rng.chance(12) {
                STANDALONE
            } else {
                rng.range(0, PORTFOLIO_ASSETS as u64 - 1) as u8
            }
        };
        let collateral_assets: Vec<u8> = collateral.iter().map(|_| asset(&mut rng)).collect();
        let perp_assets: Vec<u8> = perps.iter().map(|_| asset(&mut rng)).collect();
        let correlation = valid_correlation(&mut rng);
        let floor = if rng.chance(20) { 0 } else { rng.range(0, 500_000) as u32 };
        let quote_balance =
            (i128::from(rng.signed(300)) * notional / 1_000 + notional * i128::from(rng.range(0, 100)) / 1_000) as i64;
        let account = RiskAccount { quote_balance, collateral: &collateral, perps: &perps, params };
        let model = MarginModel::Portfolio(PortfolioModel {
            collateral_assets: &collateral_assets,
            perp_assets: &perp_assets,
            correlation: &correlation,
            floor,
        });
        let liq = LiquidationParams {
            buffer: rng.range(0, 200_000) as u32,
            liquidator_fee: rng.range(0, 20_000) as u32,
            insurance_fee: rng.range(0, 10_000) as u32,
            dust_notional: rng.range(0, 100_000_000),
            collateral_discount: rng.range(0, 100_000) as u32,
        };
        let steps: Vec<u64> = perps
            .iter()
            .map(|e| 10u64.pow(u32::from(e.market.base_decimals).saturating_sub(rng.range(2, 4) as u32)))
            .collect();
        let discount = rng.range(0, 100_000) as u32;
        let max_repay = rng.log(1, 1_000_000_000_000_000);
        let random_matrix = any_correlation(&mut rng);

        let kinds = [MarginKind::Initial, MarginKind::Maintenance];
        let [e_init, e_maint] =
            kinds.map(|k| res(exposures(&account, &collateral_assets, &perp_assets, k), exposures_json));
        let per_perp: Vec<String> = perps
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let iso = isolated_account(isolated_collateral[i], e, params);
                obj(&[
                    (
                        "perpLiquidationIn",
                        res(plan_perp_liquidation_in(&account, &model, i, steps[i], &liq), perp_liquidation_json),
                    ),
                    ("modelLiquidationPrice", res(model_liquidation_price(&account, &model, i), |o| opt(o, s))),
                    ("isolatedHealth", res(account_health(&iso), account_health_json)),
                    ("isolatedLiquidation", res(plan_perp_liquidation(&iso, 0, steps[i], &liq), perp_liquidation_json)),
                ])
            })
            .collect();
        let per_coll: Vec<String> = (0..collateral.len())
            .map(|i| {
                res(
                    plan_collateral_liquidation_in(&account, &model, i, max_repay, discount, liq.buffer),
                    collateral_liquidation_json,
                )
            })
            .collect();
        let maint_exposures = exposures(&account, &collateral_assets, &perp_assets, MarginKind::Maintenance);
        let results: Vec<(&str, String)> = vec![
            ("exposuresInit", e_init),
            ("exposuresMaint", e_maint),
            ("correlatedRiskMaint", res(maint_exposures.and_then(|e| correlated_risk(&e.per_asset, &correlation)), s)),
            (
                "portfolioRequirementMaint",
                res(maint_exposures.and_then(|e| portfolio_requirement(&e, &correlation, floor)), s),
            ),
            ("modelHealthInit", res(model_health(&account, &model, MarginKind::Initial), health_json)),
            ("modelHealthMaint", res(model_health(&account, &model, MarginKind::Maintenance), health_json)),
            ("modelAccountHealth", res(model_account_health(&account, &model), account_health_json)),
            (
                "crossFreeCollateralFromExposures",
                res(
                    cross_free_collateral_from_exposures(
                        &account,
                        &collateral_assets,
                        &perp_assets,
                        MarginKind::Maintenance,
                    ),
                    s,
                ),
            ),
            ("perps", arr(&per_perp)),
            (
                "portfolioLiquidationTarget",
                res(
                    match &model {
                        MarginModel::Portfolio(p) => portfolio_liquidation_target(&account, p),
                        MarginModel::Cross => Ok(None),
                    },
                    |o| opt(o, |i| i.to_string()),
                ),
            ),
            ("collateralLiquidationsIn", arr(&per_coll)),
            (
                "randomMatrixValidate",
                format!("\"{}\"", random_matrix.validate().map_or_else(|e| format!("{e:?}"), |()| "Ok".into())),
            ),
        ];
        let input = obj(&[
            ("quoteBalance", s(quote_balance)),
            ("collateral", collateral_json(&collateral)),
            ("perps", perps_json(&perps)),
            ("params", params_json(&params)),
            ("collateralAssets", arr(&collateral_assets.iter().map(u8::to_string).collect::<Vec<_>>())),
            ("perpAssets", arr(&perp_assets.iter().map(u8::to_string).collect::<Vec<_>>())),
            ("correlation", correlation_json(&correlation)),
            ("floor", floor.to_string()),
            ("liquidation", liq_json(&liq)),
            ("steps", arr(&steps.iter().map(|v| s(*v)).collect::<Vec<_>>())),
            ("isolatedCollateral", arr(&isolated_collateral.iter().map(|v| s(*v)).collect::<Vec<_>>())),
            ("discount", discount.to_string()),
            ("maxRepay", s(max_repay)),
            ("randomMatrix", correlation_json(&random_matrix)),
        ]);
        lines.push(obj(&[("case", case.to_string()), ("input", input), ("expect", obj(&results))]));
    }
    lines
}

/// Fill spread and fill price (`fill_spread`, `conf_ratio`, `fill_price`): random parameters,
/// variances from calm to past the cap, slot observations on either side of the oracle.
fn latency_cases() -> Vec<String> {
    let mut rng = Rng(LATENCY_SEED);
    let mut lines = vec![];
    for case in 0..LATENCY_CASES {
        let min_spread = if rng.chance(30) { 0 } else { rng.log(1, u64::from(MAX_MIN_SPREAD)) as u32 };
        let spread_z = if rng.chance(20) { 0 } else { rng.log(1, u64::from(MAX_SPREAD_Z)) as u32 };
        let variance = match rng.range(0, 9) {
            0 | 1 => 0,
            2 => rng.log(1, u64::MAX / 4),
            _ => rng.log(1, 10_000_000),
        };
        let max_fill_age = rng.range(1, u64::from(MAX_ORACLE_AGE_SECS)) as u32;
        let oracle = rng.log(1, u64::MAX / 2);
        let conf = if rng.chance(10) { rng.log(1, u64::MAX / 2) } else { rng.range(0, oracle / 50 + 1) };
        let pyth_price = match rng.range(0, 19) {
            0 => 0,
            1 => rng.log(1, u64::MAX / 2),
            _ => oracle,
        };
        let (lo, hi) = match rng.range(0, 3) {
            0 => (0, 0),
            1 => (oracle, oracle),
            _ => {
                let a = rng.log(1, u64::MAX / 2);
                (a.min(oracle), a.max(oracle))
            }
        };
        let buy = rng.chance(50);
        let ratio = conf_ratio(conf, pyth_price);
        let spread = fill_spread(min_spread, ratio.unwrap_or(0), spread_z, variance, max_fill_age);
        // Also a spread drawn on its own, past the cap sometimes (an error).
        let any_spread =
            if rng.chance(5) { MAX_FILL_SPREAD + 1 } else { rng.range(0, u64::from(MAX_FILL_SPREAD)) as u32 };
        let input = obj(&[
            ("minSpread", s(min_spread)),
            ("spreadZ", s(spread_z)),
            ("variance", s(variance)),
            ("maxFillAge", s(max_fill_age)),
            ("conf", s(conf)),
            ("pythPrice", s(pyth_price)),
            ("oracle", s(oracle)),
            ("slotLow", s(lo)),
            ("slotHigh", s(hi)),
            ("buy", buy.to_string()),
            ("anySpread", s(any_spread)),
        ]);
        let results = vec![
            ("confRatio", res(ratio, s)),
            ("fillSpread", res(spread, s)),
            ("fillPrice", res(spread.and_then(|sp| fill_price(buy, oracle, lo, hi, sp)), s)),
            ("fillPriceAnySpread", res(fill_price(buy, oracle, lo, hi, any_spread), s)),
        ];
        lines.push(obj(&[("case", case.to_string()), ("input", input), ("expect", obj(&results))]));
    }
    lines
}

fn rounding_name(r: Rounding) -> &'static str {
    match r {
        Rounding::Down => "down",
        Rounding::Up => "up",
    }
}

/// LP-flow cases: a pool over 1–3 markets with unsettled funding, recorded bad debt and a PnL
/// factor, valued both ways, with the share pricing of a deposit and a withdrawal against it.
fn pool_cases() -> Vec<String> {
    let mut rng = Rng(POOL_SEED);
    let mut lines = Vec::with_capacity(POOL_CASES);
    for case in 0..POOL_CASES {
        let balance = rng.log(1, 1 << 50);
        let n = rng.range(1, 3) as usize;
        let mut markets = vec![];
        let mut funding = vec![];
        for _ in 0..n {
            let d = decimals(&mut rng);
            let p = price(&mut rng, d).oracle;
            let long_base = if rng.chance(20) { 0 } else { rng.log(1, 10u64.pow(u32::from(d)) * 100_000) };
            let short_base = if rng.chance(20) { 0 } else { rng.log(1, 10u64.pow(u32::from(d)) * 100_000) };
            let entry = |rng: &mut Rng, base: u64| -> i64 {
                let v = fulcrum_risk::fixed::mul_div_floor(u128::from(base), u128::from(p), PRICE_SCALE).unwrap_or(0)
                    as i64;
                (v + rng.signed(v as u64 / 5 + 1)).max(0)
            };
            let long_quote_entry = -entry(&mut rng, long_base);
            let short_quote_entry = entry(&mut rng, short_base);
            markets.push(MarketExposure { long_base, short_base, long_quote_entry, short_quote_entry, price: p });
            let index = rng.signed(1 << 40) as i128;
            let snap = |rng: &mut Rng, base: u64| i128::from(base) * (index - rng.signed(1 << 36) as i128);
            let long_snapshots = snap(&mut rng, long_base);
            let short_snapshots = snap(&mut rng, short_base);
            // A borrow index derived from the draws above (no draw of its own: the cases stay put).
            let borrow = i128::from((index.unsigned_abs() % 777_777) as u64);
            funding.push(MarketFunding { index, borrow, long_snapshots, short_snapshots });
        }
        let bad_debt = if rng.chance(50) { 0 } else { rng.log(1, balance.max(2)) };
        let insurance = rng.log(1, balance.max(2));
        let factor = if rng.chance(30) { 0 } else { rng.range(1, 2_000_000) as u32 };
        let amount = rng.log(1, 1 << 45);
        let supply = if rng.chance(10) { 0 } else { rng.log(1, 1 << 50) };
        let shares = if supply == 0 { 0 } else { rng.range(0, supply) };
        let fee = rng.range(0, 50_000) as u32;
        let (deposit_slot, deposited, slot) = (rng.range(100, 103), rng.log(1, 1 << 50), rng.range(100, 103));
        let payout_caps: Vec<u32> =
            (0..n).map(|_| if rng.chance(40) { 0 } else { rng.range(1, 1_000_000) as u32 }).collect();

        let mut results: Vec<(&str, String)> = vec![];
        for r in [Rounding::Down, Rounding::Up] {
            let v = LpValuation {
                balance,
                markets: &markets,
                funding: &funding,
                unresolved_bad_debt: bad_debt,
                insurance_balance: insurance,
                max_pnl_factor: factor,
                payout_caps: &payout_caps,
            };
            let value = lp_pool_value(&v, r);
            let per_market: Vec<String> = markets
                .iter()
                .zip(&funding)
                .map(|(m, f)| {
                    let pnl = traders_unrealized_pnl(m, r);
                    obj(&[
                        ("tradersPnl", res(pnl, s)),
                        ("capped", res(pnl.and_then(|p| capped_traders_pnl(p, balance, factor, r)), s)),
                        ("funding", res(traders_unsettled_funding(m, f, r), s)),
                    ])
                })
                .collect();
            let name = rounding_name(r);
            let shares_out = match (r, value) {
                (Rounding::Up, Ok(v)) if supply == 0 => res(lp_first_deposit(amount, v), |(a, b)| arr(&[s(a), s(b)])),
                (Rounding::Up, Ok(v)) => res(lp_shares_for_deposit(amount, v, supply), s),
                (Rounding::Down, Ok(v)) => res(lp_withdrawal(shares, v, supply, fee), |(a, b)| arr(&[s(a), s(b)])),
                (_, Err(e)) => err(e),
            };
            results.push((
                if name == "down" { "down" } else { "up" },
                obj(&[("value", res(value, s)), ("markets", arr(&per_market)), ("flow", shares_out)]),
            ));
        }
        results.push(("socialised", s(expected_socialised_loss(bad_debt, insurance))));
        results.push(("depth", s(pool_depth(balance, deposit_slot, deposited, slot))));
        let markets_json: Vec<String> = markets
            .iter()
            .zip(&funding)
            .map(|(m, f)| {
                obj(&[
                    ("longBase", s(m.long_base)),
                    ("shortBase", s(m.short_base)),
                    ("longQuoteEntry", s(m.long_quote_entry)),
                    ("shortQuoteEntry", s(m.short_quote_entry)),
                    ("price", s(m.price)),
                    ("index", s(f.index)),
                    ("borrow", s(f.borrow)),
                    ("longSnapshots", s(f.long_snapshots)),
                    ("shortSnapshots", s(f.short_snapshots)),
                ])
            })
            .collect();
        let input = obj(&[
            ("balance", s(balance)),
            ("markets", arr(&markets_json)),
            ("badDebt", s(bad_debt)),
            ("insurance", s(insurance)),
            ("factor", factor.to_string()),
            ("amount", s(amount)),
            ("supply", s(supply)),
            ("shares", s(shares)),
            ("fee", fee.to_string()),
            ("depositSlot", s(deposit_slot)),
            ("deposited", s(deposited)),
            ("slot", s(slot)),
            ("payoutCaps", arr(&payout_caps.iter().map(u32::to_string).collect::<Vec<_>>())),
        ]);
        lines.push(obj(&[("case", case.to_string()), ("input", input), ("expect", obj(&results))]));
    }
    lines
}

fn haircut_json(h: &PnlHaircut) -> String {
    obj(&[("paid", s(h.paid)), ("profit", s(h.profit)), ("cap", s(h.cap))])
}

fn exposure_json(m: &MarketExposure) -> String {
    obj(&[
        ("longBase", s(m.long_base)),
        ("shortBase", s(m.short_base)),
        ("longQuoteEntry", s(m.long_quote_entry)),
        ("shortQuoteEntry", s(m.short_quote_entry)),
        ("price", s(m.price)),
    ])
}

/// A market's open interest around `pos` (which it contains), entries within ±60% of the price.
fn random_exposure(rng: &mut Rng, pos: &PerpPosition, price: u64, d: u8) -> MarketExposure {
    let mut side = |own: i64| -> (u64, i64) {
        let other = if rng.chance(20) { 0 } else { rng.log(1, 10u64.pow(u32::from(d)) * 5_000) };
        let entry = (i128::from(price) * i128::from(rng.range(400, 1600)) / 1000).max(1);
        let q = (i128::from(other) * entry / PRICE_SCALE as i128) as i64;
        (own.unsigned_abs() + other, q)
    };
    let (lb, lq) = side(pos.base.max(0));
    let (sb, sq) = side(pos.base.min(0));
    let (own_l, own_s) = if pos.base > 0 { (pos.quote_entry, 0) } else { (0, pos.quote_entry) };
    MarketExposure { long_base: lb, short_base: sb, long_quote_entry: own_l - lq, short_quote_entry: own_s + sq, price }
}

/// Accounts whose markets carry a PnL cap: the margin functions through it, the cap's own math,
/// and the auto-deleveraging plan.
fn winners_cases() -> Vec<String> {
    let mut rng = Rng(WINNERS_SEED);
    let mut lines = Vec::with_capacity(WINNERS_CASES);
    for case in 0..WINNERS_CASES {
        let params = AccountParams {
            quote_maint_liability_weight: 1_000_000,
            quote_init_liability_weight: 1_000_000 + rng.range(0, 50_000) as u32,
            unrealized_pnl_init_weight: if rng.chance(50) { 1_000_000 } else { rng.range(0, 1_000_000) as u32 },
        };
        let n_perps = rng.range(1, 3) as usize;
        let mut perps = vec![];
        let mut exposures = vec![];
        let mut pools = vec![];
        let mut factors = vec![];
        for _ in 0..n_perps {
            let d = decimals(&mut rng);
            let p = price(&mut rng, d);
            let base = rng.log(1, 10u64.pow(u32::from(d)) * 1_000) as i64 * if rng.chance(50) { 1 } else { -1 };
            let mut e = random_perp(&mut rng, base, p, d, &BOOK_PERPS);
            let exposure = random_exposure(&mut rng, &e.position, p.oracle, d);
            let profit = market_profit(&exposure).unwrap_or(0);
            // The pool's cash from a twentieth of the profit to five times it (log-uniform), the
            // factor 1–100%.
            let pool =
                (profit.max(1_000_000) * u128::from(rng.log(50, 5_000)) / 1_000).min(u128::from(u64::MAX / 2)) as u64;
            let factor = if rng.chance(10) { 0 } else { rng.range(1, 1_000_000) as u32 };
            e.market.pnl_haircut = pnl_haircut(profit, factor, pool).unwrap_or_default();
            perps.push(e);
            exposures.push(exposure);
            pools.push(pool);
            factors.push(factor);
        }
        let notional: i128 = perps
            .iter()
            .map(|e| {
                i128::from(e.position.base.unsigned_abs()) * i128::from(e.market.price.oracle) / PRICE_SCALE as i128
            })
            .sum();
        let scale = (notional.max(1_000_000) as u64).min(1_000_000_000_000_000);
        let quote_balance = (i128::from(rng.signed(1_000)) * i128::from(scale) / 1_000) as i64;
        let account = RiskAccount { quote_balance, collateral: &[], perps: &perps, params };
        let liq = LiquidationParams {
            buffer: rng.range(0, 200_000) as u32,
            liquidator_fee: rng.range(0, 20_000) as u32,
            insurance_fee: rng.range(0, 10_000) as u32,
            dust_notional: rng.range(0, 100_000_000),
            collateral_discount: 0,
        };
        let mut per_perp = vec![];
        for (i, e) in perps.iter().enumerate() {
            let step = 10u64.pow(u32::from(e.market.base_decimals).saturating_sub(rng.range(2, 4) as u32));
            // Mostly a floor below the market's ratio now, so that some close is allowed.
            let now = pnl_ratio(market_profit(&exposures[i]).unwrap_or(0), pools[i]).unwrap_or(0);
            let floor = if rng.chance(70) {
                (u128::from(now) * u128::from(rng.range(0, 1_000)) / 1_000).min(u128::from(u32::MAX)) as u32
            } else {
                rng.range(0, 2_000_000) as u32
            };
            let pnl = rng.signed(1 << 50);
            per_perp.push(obj(&[
                ("marketProfit", res(market_profit(&exposures[i]), s)),
                (
                    "pnlHaircut",
                    res(pnl_haircut(market_profit(&exposures[i]).unwrap_or(0), factors[i], pools[i]), |h| {
                        haircut_json(&h)
                    }),
                ),
                ("pnlRatio", res(pnl_ratio(market_profit(&exposures[i]).unwrap_or(0), pools[i]), s)),
                ("pnl", s(pnl)),
                ("applyHaircut", res(apply_haircut(i128::from(pnl), &e.market.pnl_haircut), s)),
                ("unrealizedPnlMaint", res(unrealized_pnl(&e.position, &e.market, MarginKind::Maintenance), s)),
                ("liquidationPrice", res(liquidation_price(&account, i), |o| opt(o, s))),
                (
                    "close",
                    res(apply_fill(&e.position, &e.market, -e.position.base, e.market.price.oracle, 0), |f| {
                        obj(&[("position", position_json(&f.position)), ("realizedPnl", s(f.realized_pnl))])
                    }),
                ),
                ("perpLiquidation", res(plan_perp_liquidation(&account, i, step, &liq), perp_liquidation_json)),
                ("step", s(step)),
                ("adlFloor", floor.to_string()),
                (
                    "adl",
                    res(plan_auto_deleverage(&e.position, &e.market, &exposures[i], pools[i], floor, step), |p| {
                        obj(&[
                            ("baseDelta", s(p.base_delta)),
                            ("position", position_json(&p.fill.position)),
                            ("realizedPnl", s(p.fill.realized_pnl)),
                            ("ratioBefore", s(p.ratio_before)),
                            ("ratioAfter", s(p.ratio_after)),
                        ])
                    }),
                ),
            ]));
        }
        let report = account_health(&account);
        let scores: Vec<String> = perps
            .iter()
            .map(|e| {
                let pnl = unrealized_pnl(&e.position, &e.market, MarginKind::Maintenance).unwrap_or(0);
                let (notional, equity) = report.map_or((0, 0), |r| (r.notional, r.equity));
                s(adl_score(pnl, e.position.quote_entry, notional, equity))
            })
            .collect();
        let results = [
            ("adlScores", arr(&scores)),
            ("healthInit", res(health(&account, MarginKind::Initial), health_json)),
            ("healthMaint", res(health(&account, MarginKind::Maintenance), health_json)),
            ("accountHealth", res(account_health(&account), account_health_json)),
            ("perps", arr(&per_perp)),
        ];
        let input = obj(&[
            ("quoteBalance", s(quote_balance)),
            ("collateral", "[]".into()),
            ("perps", perps_json(&perps)),
            ("params", params_json(&params)),
            ("liquidation", liq_json(&liq)),
            ("exposures", arr(&exposures.iter().map(exposure_json).collect::<Vec<_>>())),
            ("poolBalances", arr(&pools.iter().map(|v| s(*v)).collect::<Vec<_>>())),
            ("maxPnlFactors", arr(&factors.iter().map(u32::to_string).collect::<Vec<_>>())),
        ]);
        lines.push(obj(&[("case", case.to_string()), ("input", input), ("expect", obj(&results))]));
    }
    lines
}

/// Reserve, borrow utilisation and rate, borrow accrual and the insurance-aware cap.
fn capacity_cases() -> Vec<String> {
    let mut rng = Rng(CAPACITY_SEED);
    let mut lines = Vec::with_capacity(CAPACITY_CASES);
    for case in 0..CAPACITY_CASES {
        let d = decimals(&mut rng);
        let p = price(&mut rng, d).oracle;
        let base = rng.log(1, 10u64.pow(u32::from(d)) * 1_000_000);
        let balance = if rng.chance(5) { 0 } else { rng.log(1, 1 << 50) };
        let insurance = rng.log(1, 1 << 45);
        let reserve_factor = if rng.chance(10) { 0 } else { rng.range(1, 10_000_000) as u32 };
        let bp = BorrowParams {
            base_rate: rng.range(0, 10_000) as u32,
            slope1: rng.range(0, 100_000) as u32,
            kink: if rng.chance(10) { 1_000_000 } else { rng.range(1, 1_000_000) as u32 },
            slope2: rng.range(0, 100_000) as u32,
        };
        let (shock, fraction, maint) =
            (rng.range(0, 1_000_000) as u32, rng.range(0, 1_000_000) as u32, rng.range(1, 500_000) as u32);
        let (index, carry) = (i128::from(rng.signed(1 << 40)), rng.signed(3_599_999_999));
        let dt = rng.log(1, 30 * 86_400);
        let notional = side_notional(base, p);
        let util = notional.and_then(|n| borrow_utilisation(n, reserve_factor, balance));
        let rate = util.and_then(|u| borrow_rate(u, &bp));
        let accrued = rate.and_then(|r| accrue_funding(index, carry, p, r as i64, dt));
        let input = obj(&[
            ("base", s(base)),
            ("price", s(p)),
            ("poolBalance", s(balance)),
            ("insurance", s(insurance)),
            ("reserveFactor", reserve_factor.to_string()),
            (
                "borrow",
                obj(&[
                    ("baseRate", bp.base_rate.to_string()),
                    ("slope1", bp.slope1.to_string()),
                    ("kink", bp.kink.to_string()),
                    ("slope2", bp.slope2.to_string()),
                ]),
            ),
            ("shock", shock.to_string()),
            ("poolFraction", fraction.to_string()),
            ("maintRatio", maint.to_string()),
            ("index", s(index)),
            ("carry", s(carry)),
            ("dt", s(dt)),
        ]);
        let expect = obj(&[
            ("sideNotional", res(notional, s)),
            ("reserveOk", res(notional, |n| reserve_ok(n, reserve_factor, balance).to_string())),
            ("utilisation", res(util, s)),
            ("borrowRate", res(rate, s)),
            ("accrued", res(accrued, |(i, c)| obj(&[("index", s(i)), ("carry", s(c))]))),
            ("insuranceOiCap", s(insurance_oi_cap(insurance, balance, fraction, shock, maint))),
        ]);
        lines.push(obj(&[("case", case.to_string()), ("input", input), ("expect", expect)]));
    }
    lines
}
