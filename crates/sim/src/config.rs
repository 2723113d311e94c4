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
    /// Which protocol mechanisms run (the "after" side of the report; "before" is all off).
    pub mechanisms: Mechanisms,
    /// Parameters of the issue-13 mechanisms (latency spread, reserve, PnL cap, ADL, borrow fee,
    /// insurance-aware OI limit).
    pub pool_risk: PoolRiskCfg,
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
    /// Most open interest per side, USD notional at the starting price (the program's
    /// `long_oi_cap` / `short_oi_cap`, converted to base units at listing). Opens past it are
    /// refused; it is also the denominator of the OI utilisation the OI premium uses.
    pub oi_cap_usd: f64,
    /// The market's dynamic-risk parameters (`MarketParams` on chain), used when the
    /// mechanisms `dynamic_margin`, `funding` and `circuit_breaker` are on.
    pub dynamic: DynamicCfg,
}

/// A market's dynamic-risk parameters, in the program's units (`fulcrum_risk::DynamicParams`;
/// the floors are the market's static ratios).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DynamicCfg {
    /// Volatility multiplier z, ppm (3.0 = 3,000,000); 0 turns volatility scaling off.
    pub vol_z: u32,
    /// Horizon the initial margin covers, seconds.
    pub vol_horizon_secs: u32,
    /// EWMA time constant of the variance, seconds.
    pub vol_decay_secs: u32,
    /// Maintenance target = this × the volatility-scaled initial ratio, ppm.
    pub maint_fraction: u32,
    /// Most the maintenance ratio rises per hour, ppm of ratio.
    pub max_maint_increase_per_hour: u32,
    /// Initial-ratio premium at 100 % OI utilisation, ppm.
    pub oi_premium: u32,
    /// |oracle − EMA| / EMA beyond which the market is reduce-only, ppm (0: off).
    pub price_band: u32,
    pub breaker_cooldown_secs: u32,
    /// Funding rate per hour at a skew of 100 % of pool depth, ppm of price.
    pub funding_factor: u32,
    /// Largest |funding rate|, ppm of price per hour.
    pub max_funding_rate: u32,
    /// Extra taker fee at a resulting skew of 100 % of pool depth, ppm.
    pub impact_fee: u32,
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
    /// Share of accounts in isolated margin: each of their positions has its own quote
    /// collateral (its share of the account's equity) and is liquidated alone.
    pub isolated_share: f64,
    /// Share of accounts in portfolio margin (requirements net across correlated exposures,
    /// collateral included: `fulcrum_risk::model_health`).
    pub portfolio_share: f64,
    /// Overrides every market's leverage distribution with this exact leverage (tests).
    pub fixed_leverage: Option<f64>,
    /// Reputation tiers (issue 18 §1): each account draws a tier with these shares (the rest: no
    /// tier), and opens at the market's initial ratio × its multiplier, floored
    /// (`fulcrum_risk::tiered_init_ratio`; maintenance untouched). Empty: no tiers.
    pub tiers: Vec<TierShare>,
}

/// A share of the book at one tier multiplier.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierShare {
    pub share: f64,
    /// ppm of the market's initial ratio (500,000..=3,000,000, as a tier table allows).
    pub init_multiplier: u32,
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
    /// Portfolio margin floor, ppm of the gross risk (the exchange's correlation floor).
    pub portfolio_floor: u32,
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
    /// Steps between two observations of each market (`crank_market`): variance, EMA-band
    /// breaker, effective ratios, funding rate. Liquidations observe too.
    pub crank_interval_steps: usize,
    /// Half-life of the oracle's EMA price, minutes (Pyth's EMA spans about an hour).
    pub ema_half_life_minutes: f64,
    /// Oracle confidence interval, ppm of price (latency spread input).
    pub oracle_conf: u32,
}

/// The mechanisms a run can switch on or off. "Before" in the report is all off (main's
/// simulator); "after" is this set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mechanisms {
    /// Volatility- and OI-scaled ratios, rate-limited maintenance (`dynamic_ratios`).
    pub dynamic_margin: bool,
    /// Skew funding accrued into the index (`funding_rate`, `accrue_funding`) and the impact fee.
    pub funding: bool,
    /// Reduce-only outside the EMA band (`outside_band`).
    pub circuit_breaker: bool,
    /// Fills priced at oracle ± `fill_spread`.
    pub latency_spread: bool,
    /// Each side's OI ≤ `reserve_factor` × pool (`reserve_ok`).
    pub reserve: bool,
    /// Per-side OI cap so the loss beyond maintenance under the shock fits insurance + a
    /// fraction of the pool (`insurance_oi_cap`).
    pub oi_limit: bool,
    /// Winners' profit capped at `max_pnl_factor` × pool, paid pro rata (`pnl_haircut`).
    pub pnl_cap: bool,
    /// Auto-deleveraging of the most profitable positions (`auto_deleverage`).
    pub adl: bool,
    /// Kinked hourly borrow fee on notional, paid to the pool (`borrow_rate`).
    pub borrow_fee: bool,
}

/// One mechanism, for iterating over [`Mechanisms`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    DynamicMargin,
    Funding,
    CircuitBreaker,
    LatencySpread,
    Reserve,
    OiLimit,
    PnlCap,
    Adl,
    BorrowFee,
}

impl Mechanism {
    pub const ALL: [Mechanism; 9] = [
        Mechanism::DynamicMargin,
        Mechanism::Funding,
        Mechanism::CircuitBreaker,
        Mechanism::LatencySpread,
        Mechanism::Reserve,
        Mechanism::OiLimit,
        Mechanism::PnlCap,
        Mechanism::Adl,
        Mechanism::BorrowFee,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::DynamicMargin => "dynamic_margin",
            Mechanism::Funding => "funding",
            Mechanism::CircuitBreaker => "circuit_breaker",
            Mechanism::LatencySpread => "latency_spread",
            Mechanism::Reserve => "reserve",
            Mechanism::OiLimit => "oi_limit",
            Mechanism::PnlCap => "pnl_cap",
            Mechanism::Adl => "adl",
            Mechanism::BorrowFee => "borrow_fee",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }
}

impl Mechanisms {
    /// Every mechanism off: main's simulator before issue 13.
    pub const NONE: Mechanisms = Mechanisms {
        dynamic_margin: false,
        funding: false,
        circuit_breaker: false,
        latency_spread: false,
        reserve: false,
        oi_limit: false,
        pnl_cap: false,
        adl: false,
        borrow_fee: false,
    };
    /// Every mechanism on.
    pub const ALL: Mechanisms = Mechanisms {
        dynamic_margin: true,
        funding: true,
        circuit_breaker: true,
        latency_spread: true,
        reserve: true,
        oi_limit: true,
        pnl_cap: true,
        adl: true,
        borrow_fee: true,
    };

    pub fn get(&self, m: Mechanism) -> bool {
        match m {
            Mechanism::DynamicMargin => self.dynamic_margin,
            Mechanism::Funding => self.funding,
            Mechanism::CircuitBreaker => self.circuit_breaker,
            Mechanism::LatencySpread => self.latency_spread,
            Mechanism::Reserve => self.reserve,
            Mechanism::OiLimit => self.oi_limit,
            Mechanism::PnlCap => self.pnl_cap,
            Mechanism::Adl => self.adl,
            Mechanism::BorrowFee => self.borrow_fee,
        }
    }

    pub fn with(mut self, m: Mechanism, on: bool) -> Self {
        let f = match m {
            Mechanism::DynamicMargin => &mut self.dynamic_margin,
            Mechanism::Funding => &mut self.funding,
            Mechanism::CircuitBreaker => &mut self.circuit_breaker,
            Mechanism::LatencySpread => &mut self.latency_spread,
            Mechanism::Reserve => &mut self.reserve,
            Mechanism::OiLimit => &mut self.oi_limit,
            Mechanism::PnlCap => &mut self.pnl_cap,
            Mechanism::Adl => &mut self.adl,
            Mechanism::BorrowFee => &mut self.borrow_fee,
        };
        *f = on;
        self
    }

    /// Parses `none`, `all`, `default`, `program` (main's dynamic-risk rules) or a comma-separated list of mechanism names.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "none" => return Ok(Mechanisms::NONE),
            "all" => return Ok(Mechanisms::ALL),
            "default" => return Ok(Mechanisms::default()),
            "program" => return Ok(Mechanisms::PROGRAM),
            _ => {}
        }
        let mut m = Mechanisms::NONE;
        for name in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let k = Mechanism::parse(name).ok_or_else(|| format!("unknown mechanism {name}"))?;
            m = m.with(k, true);
        }
        Ok(m)
    }

    /// Names of the mechanisms on, comma separated ("none" when none is).
    pub fn label(&self) -> String {
        let on: Vec<_> = Mechanism::ALL.iter().filter(|m| self.get(**m)).map(|m| m.name()).collect();
        if on.is_empty() {
            "none".into()
        } else {
            on.join(",")
        }
    }
}

/// Parameters of the issue-13 mechanisms (exchange- or market-wide; one set for every market).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolRiskCfg {
    /// Latency spread: `max(min_spread, conf/price, z σ √max_fill_age)`; ppm, ppm, seconds.
    pub min_spread: u32,
    pub spread_z: u32,
    pub max_fill_age_secs: u32,
    /// Reserve: each side's OI notional ≤ this × pool value, ppm.
    pub reserve_factor: u32,
    /// PnL cap: winners' net profit on a market counts at most this × pool value, ppm.
    pub max_pnl_factor: u32,
    /// ADL runs while winners' profit / pool value > threshold, down to the floor; ppm.
    pub adl_threshold: u32,
    pub adl_floor: u32,
    /// Borrow fee, ppm of notional per hour: base, slope to the kink, slope past it; kink as
    /// utilisation ppm.
    pub borrow_base_rate: u32,
    pub borrow_slope1: u32,
    pub borrow_slope2: u32,
    pub borrow_kink: u32,
    /// Insurance-aware OI limit: the shock (ppm of price) and the share of pool value (ppm) that
    /// may absorb the loss beyond maintenance besides the insurance fund.
    pub oi_limit_shock: u32,
    pub oi_limit_pool_fraction: u32,
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
            mechanisms: Mechanisms::default(),
            pool_risk: PoolRiskCfg::default(),
        }
    }
}

impl Default for Mechanisms {
    /// Every mechanism: the program's dynamic-risk rules and the issue-13 ones (a mechanism whose
    /// engine functions are not in this build changes nothing; see `mech::wired`).
    fn default() -> Self {
        Mechanisms::ALL
    }
}

impl Mechanisms {
    /// The program's rules main already has: dynamic margin, funding, circuit breakers.
    pub const PROGRAM: Mechanisms =
        Mechanisms { dynamic_margin: true, funding: true, circuit_breaker: true, ..Mechanisms::NONE };
}

impl Default for DynamicCfg {
    fn default() -> Self {
        Self {
            vol_z: 3_000_000,
            vol_horizon_secs: 86_400,
            vol_decay_secs: 3_600,
            maint_fraction: 500_000,
            max_maint_increase_per_hour: 10_000,
            oi_premium: 50_000,
            price_band: 100_000,
            breaker_cooldown_secs: 900,
            funding_factor: 500,
            max_funding_rate: 1_000,
            impact_fee: 1_000,
        }
    }
}

impl Default for PoolRiskCfg {
    fn default() -> Self {
        Self {
            min_spread: 500,
            spread_z: 3_000_000,
            max_fill_age_secs: 10,
            reserve_factor: 2_000_000,
            max_pnl_factor: 300_000,
            adl_threshold: 450_000,
            adl_floor: 250_000,
            borrow_base_rate: 10,
            borrow_slope1: 40,
            borrow_slope2: 400,
            borrow_kink: 800_000,
            oi_limit_shock: 400_000,
            oi_limit_pool_fraction: 0,
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
            oi_cap_usd: 200.0e6,
            dynamic: DynamicCfg::default(),
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
            isolated_share: 0.2,
            portfolio_share: 0.1,
            fixed_leverage: None,
            tiers: Vec::new(),
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
            portfolio_floor: 300_000,
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
            crank_interval_steps: 1,
            ema_half_life_minutes: 40.0,
            oracle_conf: 500,
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
        let b = &self.book;
        if !(0.0..=1.0).contains(&b.isolated_share)
            || !(0.0..=1.0).contains(&b.portfolio_share)
            || b.isolated_share + b.portfolio_share > 1.0
        {
            return Err("isolated_share and portfolio_share must be shares summing to at most 1".into());
        }
        let multipliers = fulcrum_risk::MIN_TIER_MULTIPLIER..=fulcrum_risk::MAX_TIER_MULTIPLIER;
        if b.tiers.iter().any(|t| !(0.0..=1.0).contains(&t.share) || !multipliers.contains(&t.init_multiplier))
            || b.tiers.iter().map(|t| t.share).sum::<f64>() > 1.0
        {
            return Err("tiers: shares summing to at most 1, multipliers 500,000..=3,000,000 ppm".into());
        }
        if self.response.crank_interval_steps == 0 {
            return Err("crank_interval_steps must be ≥ 1".into());
        }
        if crate::book::correlation_ppm(&self.correlation).validate().is_err() {
            return Err("correlation matrix is refused by the engine (fulcrum_risk::Correlation)".into());
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
        let r = &self.pool_risk;
        // The exchange refuses PnL-cap factors whose sum over markets exceeds 100 % of the pool.
        if u64::from(r.max_pnl_factor) * n as u64 > fulcrum_risk::RATIO_ONE {
            return Err(format!("max_pnl_factor {} × {n} markets exceeds 100 % of the pool", r.max_pnl_factor));
        }
        if r.adl_floor >= r.adl_threshold {
            return Err("adl_floor must be below adl_threshold".into());
        }
        if self.paths == 0 || self.book.accounts == 0 {
            return Err("paths and accounts must be positive".into());
        }
        Ok(())
    }
}
