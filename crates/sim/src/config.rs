//! Everything a run is parameterised by. Every field has a default (`Config::default()`), and a
//! TOML file given with `--config` overrides any subset of them.
//!
//! Units: USD amounts are `f64` dollars (converted to quote native units, USDC 10⁻⁶, when the
//! book is built); ratios, weights and fees that the risk engine consumes are ppm integers,
//! exactly as on chain.

use serde::{Deserialize, Serialize};

/// Most markets a run can have (account state is stored in fixed-size arrays).
pub const MAX_MARKETS: usize = 4;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of every random draw (book and price paths).
    pub seed: u64,
    /// Monte Carlo paths per scenario.
    pub paths: usize,
    pub markets: Vec<MarketCfg>,
    /// Correlation of the markets' Brownian increments (symmetric, positive definite).
    pub correlation: Vec<Vec<f64>>,
    /// Volatile collateral assets; each tracks one market's price.
    pub collateral: Vec<CollateralCfg>,
    pub book: BookCfg,
    pub protocol: ProtocolCfg,
    pub response: ResponseCfg,
    pub scenario: ScenarioCfg,
    pub sweep: SweepCfg,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketCfg {
    pub name: String,
    /// Starting price, USD per whole base unit.
    pub price_usd: f64,
    pub base_decimals: u8,
    /// Annualised volatility of the diffusion.
    pub annual_vol: f64,
    /// Initial margin ratio, ppm (1 / max leverage).
    pub init_margin_ratio: u32,
    /// Maintenance margin ratio, ppm.
    pub maint_margin_ratio: u32,
    /// Size premium, ppm per √(whole base unit).
    pub imf: u32,
    /// Liquidation lot, base native units.
    pub step: u64,
    /// Notional (USD) whose forced close moves the price by 1 %.
    pub depth_usd: f64,
    /// How much of a scenario's shock and of a market-wide jump this market takes.
    pub shock_beta: f64,
    /// Share of accounts whose main position is in this market.
    pub book_weight: f64,
    /// Median leverage of positions opened in this market.
    pub leverage_median: f64,
    /// σ of ln(leverage).
    pub leverage_sigma: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollateralCfg {
    pub name: String,
    /// Index of the market whose price this collateral follows.
    pub market: usize,
    /// Collateral price = market price × factor (e.g. a liquid-staking token).
    pub price_factor: f64,
    pub decimals: u8,
    pub init_asset_weight: u32,
    pub maint_asset_weight: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookCfg {
    pub accounts: usize,
    /// Equity is Pareto(x_min = equity_min_usd, α = equity_alpha), capped at equity_max_usd.
    pub equity_min_usd: f64,
    pub equity_alpha: f64,
    pub equity_max_usd: f64,
    /// Probability a position is long.
    pub long_share: f64,
    /// Probability an account also holds a position in a second market (cross margin).
    pub second_market_share: f64,
    /// Probability an account whose main market has a volatile collateral posts it.
    pub volatile_collateral_share: f64,
    /// Share of such an account's equity posted as volatile collateral.
    pub volatile_collateral_fraction: f64,
    /// Share of accounts in isolated margin mode. The risk engine has cross margin only, so this
    /// must stay 0 for now; the field exists so books can describe the mix once it lands.
    pub isolated_share: f64,
    /// Overrides every market's leverage distribution with this exact leverage (tests).
    pub fixed_leverage: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtocolCfg {
    /// Taker fee of the opening trades, ppm (paid into the pool).
    pub taker_fee: u32,
    /// Liquidation restores maintenance equity to requirement × (1 + buffer), ppm.
    pub buffer: u32,
    pub liquidator_fee: u32,
    pub insurance_fee: u32,
    pub dust_notional_usd: f64,
    /// Margin-call grace period in steps before a keeper may act (0: immediately).
    pub grace_steps: u64,
    /// Hard line during the grace period: liquidatable below threshold × requirement, ppm.
    pub hard_threshold: u32,
    /// Discount a liquidator buys collateral at, ppm.
    pub collateral_discount: u32,
    pub pool_usd: f64,
    pub insurance_usd: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseCfg {
    /// Steps between an account entering margin call and a keeper noticing it.
    pub keeper_latency_steps: u64,
    /// Liquidation instructions keepers land per step, across the book.
    pub keeper_capacity: usize,
    /// Multiplies the depth-based impact (0 disables market impact).
    pub impact_coef: f64,
    /// Half-life of the impact, steps.
    pub impact_half_life_steps: f64,
    /// Cap of |log impact| per market.
    pub max_impact: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioCfg {
    /// Minutes per step.
    pub step_minutes: f64,
    /// Steps before any scenario shock (warm-up).
    pub warmup_steps: usize,
    /// Market-wide jumps per day, and their log-size distribution.
    pub jumps_per_day: f64,
    pub jump_mean: f64,
    pub jump_sd: f64,
    /// Multiplies every market's volatility (0 gives deterministic paths).
    pub vol_scale: f64,
    /// `gap`: instant fall.
    pub gap: f64,
    pub gap_hours: f64,
    /// `slide`: fall spread over `slide_days`.
    pub slide: f64,
    pub slide_days: f64,
    /// `flash`: fall over `flash_down_minutes`, full recovery over `flash_recover_minutes`.
    pub flash_drop: f64,
    pub flash_down_minutes: f64,
    pub flash_recover_minutes: f64,
    pub flash_hours: f64,
    /// `outage`: the oracle is stale for `outage_minutes` while prices fall by `outage_drop`.
    pub outage_minutes: f64,
    pub outage_drop: f64,
    pub outage_hours: f64,
    /// `regime`: volatility × `regime_vol_mult` and jumps × `regime_jump_mult` after warm-up.
    pub regime_vol_mult: f64,
    pub regime_jump_mult: f64,
    pub regime_hours: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweepCfg {
    pub scenario: String,
    pub accounts: usize,
    pub paths: usize,
    /// Maintenance ratios (ppm) on one axis, applied to every market.
    pub maint_ratios: Vec<u32>,
    /// Liquidation buffers (ppm) on the other.
    pub buffers: Vec<u32>,
}

impl Default for Config {
    fn default() -> Self {
        let m = |name: &str, price: f64, dec: u8, vol: f64, imf: u32, step: u64, depth: f64| MarketCfg {
            name: name.into(),
            price_usd: price,
            base_decimals: dec,
            annual_vol: vol,
            imf,
            step,
            depth_usd: depth,
            ..MarketCfg::default()
        };
        Self {
            seed: 42,
            paths: 16,
            markets: vec![
                MarketCfg { book_weight: 0.5, ..m("SOL", 150.0, 9, 0.80, 300, 10_000_000, 3.0e6) },
                MarketCfg {
                    book_weight: 0.3,
                    leverage_median: 6.0,
                    ..m("BTC", 60_000.0, 8, 0.50, 3_000, 10_000, 8.0e6)
                },
                MarketCfg { book_weight: 0.2, ..m("ETH", 3_000.0, 8, 0.65, 1_000, 100_000, 5.0e6) },
            ],
            correlation: vec![vec![1.0, 0.7, 0.75], vec![0.7, 1.0, 0.8], vec![0.75, 0.8, 1.0]],
            collateral: vec![CollateralCfg::default()],
            book: BookCfg::default(),
            protocol: ProtocolCfg::default(),
            response: ResponseCfg::default(),
            scenario: ScenarioCfg::default(),
            sweep: SweepCfg::default(),
        }
    }
}

impl Default for MarketCfg {
    fn default() -> Self {
        Self {
            name: "SOL".into(),
            price_usd: 150.0,
            base_decimals: 9,
            annual_vol: 0.8,
            init_margin_ratio: 100_000,
            maint_margin_ratio: 50_000,
            imf: 300,
            step: 10_000_000,
            depth_usd: 3.0e6,
            shock_beta: 1.0,
            book_weight: 1.0,
            leverage_median: 5.0,
            leverage_sigma: 0.45,
        }
    }
}

impl Default for CollateralCfg {
    fn default() -> Self {
        Self {
            name: "jitoSOL".into(),
            market: 0,
            price_factor: 1.1,
            decimals: 9,
            init_asset_weight: 800_000,
            maint_asset_weight: 900_000,
        }
    }
}

impl Default for BookCfg {
    fn default() -> Self {
        Self {
            accounts: 10_000,
            equity_min_usd: 1_000.0,
            equity_alpha: 1.5,
            equity_max_usd: 2.0e6,
            long_share: 0.7,
            second_market_share: 0.25,
            volatile_collateral_share: 0.3,
            volatile_collateral_fraction: 0.6,
            isolated_share: 0.0,
            fixed_leverage: None,
        }
    }
}

impl Default for ProtocolCfg {
    fn default() -> Self {
        Self {
            taker_fee: 500,
            buffer: 200_000,
            liquidator_fee: 5_000,
            insurance_fee: 2_500,
            dust_notional_usd: 10.0,
            grace_steps: 0,
            hard_threshold: 800_000,
            collateral_discount: 20_000,
            pool_usd: 20.0e6,
            insurance_usd: 1.0e6,
        }
    }
}

impl Default for ResponseCfg {
    fn default() -> Self {
        Self {
            keeper_latency_steps: 1,
            keeper_capacity: 200,
            impact_coef: 1.0,
            impact_half_life_steps: 10.0,
            max_impact: 0.3,
        }
    }
}

impl Default for ScenarioCfg {
    fn default() -> Self {
        Self {
            step_minutes: 1.0,
            warmup_steps: 60,
            jumps_per_day: 1.0,
            jump_mean: -0.01,
            jump_sd: 0.03,
            vol_scale: 1.0,
            gap: 0.40,
            gap_hours: 24.0,
            slide: 0.60,
            slide_days: 3.0,
            flash_drop: 0.35,
            flash_down_minutes: 10.0,
            flash_recover_minutes: 60.0,
            flash_hours: 12.0,
            outage_minutes: 30.0,
            outage_drop: 0.25,
            outage_hours: 12.0,
            regime_vol_mult: 4.0,
            regime_jump_mult: 6.0,
            regime_hours: 24.0,
        }
    }
}

impl Default for SweepCfg {
    fn default() -> Self {
        Self {
            scenario: "regime".into(),
            accounts: 2_000,
            paths: 16,
            maint_ratios: vec![10_000, 20_000, 30_000, 50_000, 70_000],
            buffers: vec![0, 100_000, 250_000, 500_000, 1_000_000],
        }
    }
}

impl Config {
    /// Reads a TOML file; absent fields keep their defaults.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks what the simulator itself needs (the engine validates the protocol numbers).
    pub fn validate(&self) -> Result<(), String> {
        let n = self.markets.len();
        if n == 0 || n > MAX_MARKETS {
            return Err(format!("need 1..={MAX_MARKETS} markets, got {n}"));
        }
        if self.correlation.len() != n || self.correlation.iter().any(|r| r.len() != n) {
            return Err(format!("correlation must be {n}×{n}"));
        }
        if crate::prices::cholesky(&self.correlation).is_none() {
            return Err("correlation matrix is not positive definite".into());
        }
        if self.collateral.iter().any(|c| c.market >= n) {
            return Err("a collateral tracks a market that does not exist".into());
        }
        if self.book.isolated_share != 0.0 {
            return Err("isolated margin is not in the risk engine yet: isolated_share must be 0".into());
        }
        let p = &self.protocol;
        let fees = u64::from(p.liquidator_fee) + u64::from(p.insurance_fee);
        for m in &self.markets {
            if m.maint_margin_ratio >= m.init_margin_ratio || m.step == 0 || m.price_usd <= 0.0 {
                return Err(format!("market {}: need maint < init, step > 0, price > 0", m.name));
            }
            // The program's listing rules (`fulcrum_risk::params`).
            if !fulcrum_risk::liquidation_fee_fits(m.maint_margin_ratio, fees) {
                return Err(format!("market {}: liquidation fees {fees} ppm must be < maint ratio", m.name));
            }
        }
        for c in &self.collateral {
            if !fulcrum_risk::discount_fits(c.maint_asset_weight, fulcrum_risk::RATIO_ONE as u32, p.collateral_discount)
            {
                return Err(format!(
                    "collateral {}: discount {} ppm must be < 1 − maint weight",
                    c.name, p.collateral_discount
                ));
            }
        }
        if self.paths == 0 || self.book.accounts == 0 {
            return Err("paths and accounts must be positive".into());
        }
        Ok(())
    }
}
