//! The book: accounts with their deposits and positions, opened through the risk engine
//! (`apply_fill` at the taker fee, sizes capped by `max_trade_size` so every account starts at or
//! above initial margin).

use crate::config::{Config, MAX_MARKETS};
use crate::prices::rng_for;
use fulcrum_risk::{
    apply_fill, max_trade_size, AccountParams, Collateral, PerpExposure, PerpMarketRisk, PerpPosition, Price,
    RiskAccount,
};
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Pareto};

/// Quote native units per USD (USDC, 6 decimals).
pub const QUOTE_PER_USD: f64 = 1e6;

/// Margin mode of an account. The engine only has cross margin today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginMode {
    Cross,
}

/// One trader account as the program stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// Quote balance, quote native units.
    pub quote: i64,
    /// Position per market (base 0: none).
    pub pos: [PerpPosition; MAX_MARKETS],
    /// Volatile collateral: index into the config's collateral list, or `NO_COLLATERAL`.
    pub coll_idx: u8,
    pub coll_amount: u64,
    pub mode: MarginMode,
}

pub const NO_COLLATERAL: u8 = u8::MAX;

impl Account {
    pub fn new(quote: i64) -> Self {
        Self {
            quote,
            pos: [PerpPosition::default(); MAX_MARKETS],
            coll_idx: NO_COLLATERAL,
            coll_amount: 0,
            mode: MarginMode::Cross,
        }
    }

    pub fn has_positions(&self) -> bool {
        self.pos.iter().any(|p| p.base != 0)
    }
}

/// Static per-market data in engine units.
#[derive(Clone, Debug)]
pub struct MarketStatic {
    /// Starting oracle price, engine units.
    pub p0: u64,
    /// USD per (engine price unit × base native unit): notional_usd = |base| × price × this.
    pub usd_per_unit: f64,
    pub risk: PerpMarketRisk,
    pub step: u64,
    pub depth_usd: f64,
}

/// Engine price of `usd` per whole unit of an asset with `decimals`: quote native per base
/// native × 10¹².
pub fn engine_price(usd: f64, decimals: u8) -> u64 {
    (usd * 10f64.powi(18 - i32::from(decimals))).round() as u64
}

/// The immutable inputs of a run, shared by every path: markets, collateral specs, the book.
#[derive(Clone, Debug)]
pub struct World {
    pub cfg: Config,
    pub markets: Vec<MarketStatic>,
    pub accounts: Vec<Account>,
    /// Pool and insurance balances at the start (quote native), after the opening fees.
    pub pool: i128,
    pub insurance: i128,
}

impl World {
    /// Market statics from the config.
    pub fn markets_of(cfg: &Config) -> Vec<MarketStatic> {
        cfg.markets
            .iter()
            .map(|m| {
                let p0 = engine_price(m.price_usd, m.base_decimals);
                MarketStatic {
                    p0,
                    usd_per_unit: 1e-12 / QUOTE_PER_USD,
                    risk: PerpMarketRisk {
                        price: Price::flat(p0),
                        base_decimals: m.base_decimals,
                        init_margin_ratio: m.init_margin_ratio,
                        maint_margin_ratio: m.maint_margin_ratio,
                        imf: m.imf,
                        cumulative_funding: 0,
                        pnl_haircut: Default::default(),
                        cumulative_borrow: 0,
                    },
                    step: m.step,
                    depth_usd: m.depth_usd,
                }
            })
            .collect()
    }

    /// A world with explicit accounts (tests and vectors).
    pub fn with_accounts(cfg: Config, accounts: Vec<Account>) -> Self {
        let markets = Self::markets_of(&cfg);
        let pool = (cfg.protocol.pool_usd * QUOTE_PER_USD) as i128;
        let insurance = (cfg.protocol.insurance_usd * QUOTE_PER_USD) as i128;
        Self { cfg, markets, accounts, pool, insurance }
    }

    /// Collateral entry of `acct` priced off the market prices `prices`.
    #[inline]
    pub fn collateral(&self, acct: &Account, prices: &[u64]) -> Option<Collateral> {
        let c = self.cfg.collateral.get(usize::from(acct.coll_idx))?;
        let p = (prices[c.market] as f64 * c.price_factor).round() as u64;
        Some(Collateral {
            amount: acct.coll_amount,
            price: Price::flat(p),
            init_asset_weight: c.init_asset_weight,
            maint_asset_weight: c.maint_asset_weight,
        })
    }

    /// The engine's view of `acct` at `prices`, built into caller-owned buffers.
    #[inline]
    pub fn risk_view<'a>(
        &self,
        acct: &Account,
        prices: &[u64],
        exps: &'a mut [PerpExposure; MAX_MARKETS],
        coll: &'a mut [Collateral; 1],
    ) -> RiskAccount<'a> {
        let n = self.markets.len();
        for m in 0..n {
            let mut risk = self.markets[m].risk;
            risk.price = Price::flat(prices[m]);
            exps[m] = PerpExposure { position: acct.pos[m], market: risk };
        }
        let nc = match self.collateral(acct, prices) {
            Some(c) => {
                coll[0] = c;
                1
            }
            None => 0,
        };
        RiskAccount {
            quote_balance: acct.quote,
            collateral: &coll[..nc],
            perps: &exps[..n],
            params: AccountParams::default(),
        }
    }

    /// Builds the book of `cfg.book.accounts` accounts from `cfg.seed`.
    pub fn generate(cfg: &Config) -> Self {
        let mut world = Self::with_accounts(cfg.clone(), Vec::new());
        let b = &cfg.book;
        let mut rng = rng_for(cfg.seed, 0, 0);
        let equity = Pareto::new(b.equity_min_usd, b.equity_alpha).expect("pareto");
        let weights: Vec<f64> = cfg.markets.iter().map(|m| m.book_weight).collect();
        let total_w: f64 = weights.iter().sum();
        let prices: Vec<u64> = world.markets.iter().map(|m| m.p0).collect();
        let mut pool = world.pool;
        for _ in 0..b.accounts {
            let eq = equity.sample(&mut rng).min(b.equity_max_usd);
            let mut pick = rng.gen::<f64>() * total_w;
            let main = weights
                .iter()
                .position(|w| {
                    pick -= w;
                    pick < 0.0
                })
                .unwrap_or(0);
            let mc = &cfg.markets[main];
            let lev = b.fixed_leverage.unwrap_or_else(|| {
                let ln = LogNormal::new(mc.leverage_median.ln(), mc.leverage_sigma).expect("lognormal");
                let max = 1e6 / f64::from(mc.init_margin_ratio);
                ln.sample(&mut rng).clamp(1.0, max)
            });
            let mut acct = Account::new(0);
            let mut quote_usd = eq;
            let coll = cfg.collateral.iter().position(|c| c.market == main);
            if let Some(ci) = coll {
                if rng.gen::<f64>() < b.volatile_collateral_share {
                    let c = &cfg.collateral[ci];
                    let value = eq * b.volatile_collateral_fraction;
                    let price = cfg.markets[main].price_usd * c.price_factor;
                    acct.coll_idx = ci as u8;
                    acct.coll_amount = (value / price * 10f64.powi(i32::from(c.decimals))) as u64;
                    quote_usd -= value;
                }
            }
            acct.quote = (quote_usd * QUOTE_PER_USD) as i64;
            let mut legs = vec![(main, eq * lev)];
            if cfg.markets.len() > 1 && rng.gen::<f64>() < b.second_market_share {
                let other = (main + 1 + rng.gen_range(0..cfg.markets.len() - 1)) % cfg.markets.len();
                let total = legs[0].1;
                legs = vec![(main, total * 0.65), (other, total * 0.35)];
            }
            for (m, notional) in legs {
                let buy = rng.gen::<f64>() < b.long_share;
                pool += world.open(&mut acct, &prices, m, notional, buy);
            }
            world.accounts.push(acct);
        }
        world.pool = pool;
        world
    }

    /// Opens up to `notional_usd` on market `m` for `acct` at the starting price, capped at what
    /// initial margin allows. Returns the fee paid to the pool.
    fn open(&self, acct: &mut Account, prices: &[u64], m: usize, notional_usd: f64, buy: bool) -> i128 {
        let ms = &self.markets[m];
        let fee_rate = self.cfg.protocol.taker_fee;
        let want = (notional_usd / (ms.p0 as f64 * ms.usd_per_unit)) as u64 / ms.step * ms.step;
        let (mut exps, mut coll) = Default::default();
        let view = self.risk_view(acct, prices, &mut exps, &mut coll);
        let max = max_trade_size(&view, m, buy, ms.p0, fee_rate, ms.step).unwrap_or(0);
        let size = want.min(max);
        if size == 0 {
            return 0;
        }
        let delta = if buy { size as i64 } else { -(size as i64) };
        let fill = apply_fill(&acct.pos[m], &exps[m].market, delta, ms.p0, fee_rate).expect("fill");
        acct.pos[m] = fill.position;
        acct.quote = acct.quote + fill.realized_pnl - fill.fee as i64;
        i128::from(fill.fee) - i128::from(fill.realized_pnl)
    }
}
