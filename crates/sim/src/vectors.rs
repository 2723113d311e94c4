//! Liquidation vectors shared with the program-test suite: one account with one perp and quote
//! collateral only, opened at a realistic entry, crashed below maintenance, liquidated once.
//!
//! `expected` is the program's call sequence written out: `plan_perp_liquidation` on the account
//! at the crash price; the fill at the oracle with no fee moves `realized_pnl` from the pool to
//! the quote balance; the account then pays the liquidator and the insurance fund.
//! `cargo run -p fulcrum-sim --bin sim-vectors` rewrites `vectors/liquidation.json`; a test fails
//! if that would change it.

use crate::book::{engine_price, Account, World};
use crate::config::{CollateralCfg, Config, MarketCfg, Mechanisms};
use fulcrum_risk::{
    apply_fill, health, plan_perp_liquidation, AccountParams, LiquidationParams, MarginKind, PerpExposure,
    PerpMarketRisk, PerpPosition, Price, RiskAccount,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub name: String,
    pub quote_balance: i64,
    pub base: i64,
    pub quote_entry: i64,
    pub base_decimals: u8,
    pub init_margin_ratio: u32,
    pub maint_margin_ratio: u32,
    pub imf: u32,
    pub step: u64,
    pub price: u64,
    pub buffer: u32,
    pub liquidator_fee: u32,
    pub insurance_fee: u32,
    pub dust_notional: u64,
    pub expected: Expected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub base_after: i64,
    pub quote_entry_after: i64,
    pub quote_balance_after: i64,
    pub liquidator_fee: u64,
    pub insurance_fee: u64,
    pub pool_delta: i64,
    pub insurance_delta: u64,
}

/// A case before its expectations: sizes in whole SOL and USD.
struct Spec {
    name: &'static str,
    /// Signed size, SOL.
    size: f64,
    entry: f64,
    crash: f64,
    leverage: f64,
    init: u32,
    maint: u32,
    imf: u32,
    step: u64,
    buffer: u32,
    fees: (u32, u32),
    dust_usd: f64,
}

const SOL: f64 = 1e9;

fn specs() -> Vec<Spec> {
    let s = |name, size, crash, leverage| Spec {
        name,
        size,
        entry: 150.0,
        crash,
        leverage,
        init: 100_000,
        maint: 50_000,
        imf: 0,
        step: 10_000_000,
        buffer: 200_000,
        fees: (5_000, 2_500),
        dust_usd: 10.0,
    };
    vec![
        s("long_10x_partial", 10.0, 139.5, 10.0),
        Spec { buffer: 0, ..s("long_10x_partial_no_buffer", 10.0, 139.5, 10.0) },
        Spec { buffer: 500_000, ..s("long_10x_partial_buffer_50pct", 10.0, 139.5, 10.0) },
        s("long_8x_drop_11pct", 25.0, 133.5, 8.0),
        Spec { init: 50_000, maint: 25_000, ..s("long_20x_drop_3pct", 40.0, 145.5, 20.0) },
        s("short_10x_partial", -10.0, 160.5, 10.0),
        s("short_5x_rise_17pct", -30.0, 175.5, 5.0),
        Spec { init: 50_000, maint: 25_000, ..s("short_20x_rise_3pct", -40.0, 154.5, 20.0) },
        Spec { imf: 1_000, ..s("long_size_premium", 5_000.0, 139.0, 9.0) },
        Spec { imf: 1_000, ..s("short_size_premium", -5_000.0, 161.0, 9.0) },
        Spec { dust_usd: 1.0e6, ..s("long_dust_full_close", 10.0, 139.5, 10.0) },
        Spec { dust_usd: 1.0e6, ..s("short_dust_full_close", -10.0, 160.5, 10.0) },
        s("long_fees_capped_by_equity", 10.0, 135.6, 10.0),
        s("long_bankrupt_gap", 10.0, 127.5, 10.0),
        s("short_bankrupt_gap", -10.0, 172.5, 10.0),
        Spec { init: 50_000, maint: 25_000, ..s("long_bankrupt_gap_40pct", 40.0, 90.0, 20.0) },
        Spec { fees: (0, 0), ..s("long_no_fees", 10.0, 139.5, 10.0) },
        Spec { step: 1_000_000_000, ..s("long_coarse_step", 100.0, 139.5, 10.0) },
        Spec { step: 1_000, ..s("short_fine_step", -123.456789, 160.2, 10.0) },
        s("long_small_account", 0.5, 139.5, 10.0),
        Spec { fees: (10_000, 10_000), ..s("long_high_fees", 10.0, 139.5, 10.0) },
    ]
}

fn market(spec: &Spec, price: u64) -> PerpMarketRisk {
    PerpMarketRisk {
        price: Price::flat(price),
        base_decimals: 9,
        init_margin_ratio: spec.init,
        maint_margin_ratio: spec.maint,
        imf: spec.imf,
        cumulative_funding: 0,
        pnl_haircut: Default::default(),
        cumulative_borrow: 0,
    }
}

/// All cases with their expectations.
pub fn cases() -> Vec<Case> {
    specs().iter().map(case).collect()
}

fn case(spec: &Spec) -> Case {
    let entry = engine_price(spec.entry, 9);
    let price = engine_price(spec.crash, 9);
    let base = (spec.size * SOL).round() as i64;
    let opened = apply_fill(&PerpPosition::default(), &market(spec, entry), base, entry, 0).expect("open");
    let notional = spec.size.abs() * spec.entry;
    let quote_balance = (notional / spec.leverage * 1e6).round() as i64;
    let lp = LiquidationParams {
        buffer: spec.buffer,
        liquidator_fee: spec.fees.0,
        insurance_fee: spec.fees.1,
        dust_notional: (spec.dust_usd * 1e6) as u64,
        collateral_discount: 0, // no collateral in these accounts
    };
    let perps = [PerpExposure { position: opened.position, market: market(spec, price) }];
    let acct = RiskAccount { quote_balance, collateral: &[], perps: &perps, params: AccountParams::default() };
    let maint = health(&acct, MarginKind::Maintenance).expect("health");
    assert!(!maint.is_met(), "{}: not below maintenance", spec.name);
    let plan = plan_perp_liquidation(&acct, 0, spec.step, &lp).expect("plan");
    let quote_after = quote_balance + plan.realized_pnl - plan.liquidator_fee as i64 - plan.insurance_fee as i64;
    Case {
        name: spec.name.into(),
        quote_balance,
        base,
        quote_entry: opened.position.quote_entry,
        base_decimals: 9,
        init_margin_ratio: spec.init,
        maint_margin_ratio: spec.maint,
        imf: spec.imf,
        step: spec.step,
        price,
        buffer: spec.buffer,
        liquidator_fee: spec.fees.0,
        insurance_fee: spec.fees.1,
        dust_notional: lp.dust_notional,
        expected: Expected {
            base_after: plan.position.base,
            quote_entry_after: plan.position.quote_entry,
            quote_balance_after: quote_after,
            liquidator_fee: plan.liquidator_fee,
            insurance_fee: plan.insurance_fee,
            pool_delta: -plan.realized_pnl,
            insurance_delta: plan.insurance_fee,
        },
    }
}

/// The vectors file's text.
pub fn render() -> String {
    serde_json::to_string_pretty(&cases()).expect("json") + "\n"
}

/// Where the vectors live.
pub fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/liquidation.json")
}

/// A one-account, one-market world at the case's crash price, keepers immediate, no impact:
/// the sim's own pipeline (scan, margin call, keeper, liquidation) replays the case.
pub fn world_for(c: &Case) -> World {
    let mut cfg = Config {
        paths: 1,
        correlation: vec![vec![1.0]],
        collateral: Vec::<CollateralCfg>::new(),
        markets: vec![MarketCfg {
            init_margin_ratio: c.init_margin_ratio,
            maint_margin_ratio: c.maint_margin_ratio,
            imf: c.imf,
            step: c.step,
            base_decimals: c.base_decimals,
            ..MarketCfg::default()
        }],
        ..Config::default()
    };
    // Static ratios, no funding: the vectors are main's liquidation rules alone.
    cfg.mechanisms = Mechanisms::NONE;
    cfg.protocol.buffer = c.buffer;
    cfg.protocol.liquidator_fee = c.liquidator_fee;
    cfg.protocol.insurance_fee = c.insurance_fee;
    cfg.protocol.dust_notional_usd = c.dust_notional as f64 / 1e6;
    cfg.response.keeper_latency_steps = 0;
    cfg.response.keeper_capacity = 1;
    cfg.response.impact_coef = 0.0;
    let mut acct = Account::new(c.quote_balance);
    acct.pos[0] = PerpPosition { base: c.base, quote_entry: c.quote_entry, funding_snapshot: 0 };
    let mut w = World::with_accounts(cfg, vec![acct]);
    w.markets[0].p0 = c.price;
    w.markets[0].risk.price = Price::flat(c.price);
    w.reset_states();
    w
}
