//! The book: accounts with their deposits and positions, opened through the risk engine
//! (`apply_fill` at the taker fee, sizes capped by `max_trade_size` so every account starts at or
//! above initial margin).

use crate::config::{Config, Mechanisms, MAX_MARKETS};
use crate::market::MarketState;
use crate::mech;
use crate::prices::rng_for;
use fulcrum_risk::{
    apply_fill, max_trade_size, tiered_init_ratio, trade_fee_rate, AccountParams, Collateral, Correlation, MarginModel,
    PerpExposure, PerpMarketRisk, PerpPosition, PortfolioModel, Price, RiskAccount, RATIO_ONE,
};
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Pareto};

/// Quote native units per USD (USDC, 6 decimals).
pub const QUOTE_PER_USD: f64 = 1e6;

/// Unix time of the book's opening trades and of step 0.
pub const T0: i64 = 1_700_000_000;

/// How an account's holdings back its positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginMode {
    /// All collateral backs all positions; requirements add up (`fulcrum_risk::health`).
    Cross,
    /// Requirements net across correlated exposures (`fulcrum_risk::model_health`).
    Portfolio,
    /// One position with its own quote collateral, risked and liquidated alone
    /// (`fulcrum_risk::isolated_account`). An isolated trader with two positions is two of these.
    Isolated,
}

/// One trader account as the program stores it (an isolated position: the slot with its own
/// collateral in `quote`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// Quote balance (isolated: the position's collateral), quote native units.
    pub quote: i64,
    /// Position per market (base 0: none).
    pub pos: [PerpPosition; MAX_MARKETS],
    /// Volatile collateral: index into the config's collateral list, or `NO_COLLATERAL`.
    pub coll_idx: u8,
    pub coll_amount: u64,
    pub mode: MarginMode,
    /// Reputation tier multiplier of the initial ratio, ppm (0: no tier).
    pub init_multiplier: u32,
}

pub const NO_COLLATERAL: u8 = u8::MAX;

/// The multiplier of the tier `u` (uniform in [0, 1)) falls in; 0 past the last share.
fn draw_tier(tiers: &[crate::config::TierShare], mut u: f64) -> u32 {
    for t in tiers {
        if u < t.share {
            return t.init_multiplier;
        }
        u -= t.share;
    }
    0
}

/// `risk` at an account's tier multiplier (0: unchanged).
fn tiered(mut risk: PerpMarketRisk, multiplier: u32) -> PerpMarketRisk {
    risk.init_margin_ratio =
        tiered_init_ratio(risk.init_margin_ratio, risk.maint_margin_ratio, multiplier).expect("tiered ratio");
    risk
}

impl Account {
    pub fn new(quote: i64) -> Self {
        Self {
            quote,
            pos: [PerpPosition::default(); MAX_MARKETS],
            coll_idx: NO_COLLATERAL,
            coll_amount: 0,
            mode: MarginMode::Cross,
            init_multiplier: 0,
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
    /// The listing (static) parameters.
    pub risk: PerpMarketRisk,
    pub step: u64,
    pub depth_usd: f64,
}

/// What the opening trades asked for and what the program's gates let through, USD notional.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct BookStats {
    pub wanted_usd: f64,
    pub opened_usd: f64,
    pub long_usd: f64,
    pub short_usd: f64,
    /// Notional refused, by the gate that bound first.
    pub cut_by_margin_usd: f64,
    pub cut_by_oi_cap_usd: f64,
    pub cut_by_reserve_usd: f64,
    pub cut_by_oi_limit_usd: f64,
    pub fees_usd: f64,
    pub cross: u64,
    pub portfolio: u64,
    pub isolated: u64,
}

/// Engine price of `usd` per whole unit of an asset with `decimals`: quote native per base
/// native × 10¹².
pub fn engine_price(usd: f64, decimals: u8) -> u64 {
    (usd * 10f64.powi(18 - i32::from(decimals))).round() as u64
}

/// Σ of the config's correlation matrix in the engine's ppm form.
pub fn correlation_ppm(c: &[Vec<f64>]) -> Correlation {
    let mut m = Correlation::identity(c.len());
    for (i, row) in c.iter().enumerate().take(fulcrum_risk::MAX_ASSETS) {
        for (j, v) in row.iter().enumerate().take(fulcrum_risk::MAX_ASSETS) {
            m.c[i][j] = (v * RATIO_ONE as f64).round() as i32;
        }
    }
    m
}

/// Asset index of every market (market m is asset m) for the portfolio model.
pub const PERP_ASSETS: [u8; MAX_MARKETS] = [0, 1, 2, 3];

/// The immutable inputs of a run, shared by every path: markets, collateral specs, the book.
#[derive(Clone, Debug)]
pub struct World {
    pub cfg: Config,
    pub markets: Vec<MarketStatic>,
    pub accounts: Vec<Account>,
    /// Pool and insurance balances at the start (quote native), after the opening fees.
    pub pool: i128,
    pub insurance: i128,
    /// Every market's state once the book is open: each path starts from it.
    pub states: Vec<MarketState>,
    /// The exchange's correlations (portfolio margin).
    pub correlation: Correlation,
    /// Asset of each collateral in the config (the market it tracks).
    pub collateral_assets: Vec<u8>,
    pub stats: BookStats,
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

    /// A world with explicit accounts (tests and vectors); their positions make up the open
    /// interest.
    pub fn with_accounts(cfg: Config, accounts: Vec<Account>) -> Self {
        let markets = Self::markets_of(&cfg);
        let pool = (cfg.protocol.pool_usd * QUOTE_PER_USD) as i128;
        let insurance = (cfg.protocol.insurance_usd * QUOTE_PER_USD) as i128;
        let correlation = correlation_ppm(&cfg.correlation);
        let collateral_assets = cfg.collateral.iter().map(|c| c.market as u8).collect();
        let mut w = Self {
            cfg,
            markets,
            accounts,
            pool,
            insurance,
            states: Vec::new(),
            correlation,
            collateral_assets,
            stats: BookStats::default(),
        };
        w.reset_states();
        w
    }

    /// Rebuilds the market states from the statics and the accounts' positions (after a test
    /// changed a starting price).
    pub fn reset_states(&mut self) {
        let mech = self.cfg.mechanisms;
        self.states = self
            .markets
            .iter()
            .zip(&self.cfg.markets)
            .map(|(ms, mc)| {
                let risk = PerpMarketRisk { price: Price::flat(ms.p0), ..ms.risk };
                MarketState::new(mc, &self.cfg.pool_risk, risk, &mech, T0)
            })
            .collect();
        for a in &self.accounts {
            for (m, pos) in a.pos.iter().enumerate().take(self.states.len()) {
                self.states[m].add_position(pos, 1);
            }
        }
        let depth = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
        for (st, ms) in self.states.iter_mut().zip(&self.markets) {
            st.refresh_ratios(ms.p0, T0, depth).expect("ratios");
        }
    }

    pub fn mechanisms(&self) -> &Mechanisms {
        &self.cfg.mechanisms
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

    /// The margin model of `acct` (portfolio: the exchange's correlations and floor). Isolated
    /// positions are risked alone in cross terms.
    pub fn model<'a>(&'a self, acct: &Account, coll_asset: &'a [u8; 1]) -> MarginModel<'a> {
        match acct.mode {
            MarginMode::Cross | MarginMode::Isolated => MarginModel::Cross,
            MarginMode::Portfolio => MarginModel::Portfolio(PortfolioModel {
                collateral_assets: if acct.coll_idx == NO_COLLATERAL { &[] } else { coll_asset },
                perp_assets: &PERP_ASSETS[..self.markets.len()],
                correlation: &self.correlation,
                floor: self.cfg.protocol.portfolio_floor,
            }),
        }
    }

    /// The engine's view of `acct` with `markets` (one engine view per market), built into
    /// caller-owned buffers.
    #[inline]
    pub fn risk_view<'a>(
        &self,
        acct: &Account,
        markets: &[PerpMarketRisk],
        prices: &[u64],
        exps: &'a mut [PerpExposure; MAX_MARKETS],
        coll: &'a mut [Collateral; 1],
    ) -> RiskAccount<'a> {
        let n = self.markets.len();
        for m in 0..n {
            exps[m] = PerpExposure { position: acct.pos[m], market: markets[m] };
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

    /// Builds the book of `cfg.book.accounts` traders from `cfg.seed`. Every position is opened
    /// through the program's gates in listing order: initial margin at the market's effective
    /// ratio, the OI caps, the skew fee and, when on, the reserve, the insurance-aware OI limit
    /// and the latency spread.
    pub fn generate(cfg: &Config) -> Self {
        let mut world = Self::with_accounts(cfg.clone(), Vec::new());
        let b = &cfg.book;
        let mut rng = rng_for(cfg.seed, 0, 0);
        let equity = Pareto::new(b.equity_min_usd, b.equity_alpha).expect("pareto");
        let weights: Vec<f64> = cfg.markets.iter().map(|m| m.book_weight).collect();
        let total_w: f64 = weights.iter().sum();
        let modes = b.isolated_share + b.portfolio_share > 0.0;
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
            // Drawn only with tiers, so a book without them is main's book.
            let init_multiplier = if b.tiers.is_empty() { 0 } else { draw_tier(&b.tiers, rng.gen::<f64>()) };
            let init = tiered_init_ratio(mc.init_margin_ratio, mc.maint_margin_ratio, init_multiplier).expect("ratio");
            let lev = b.fixed_leverage.unwrap_or_else(|| {
                let ln = LogNormal::new(mc.leverage_median.ln(), mc.leverage_sigma).expect("lognormal");
                let max = 1e6 / f64::from(init);
                ln.sample(&mut rng).clamp(1.0, max)
            });
            // Drawn only when the book has other modes, so a cross-only book is main's book.
            let mode = if modes {
                let u = rng.gen::<f64>();
                if u < b.isolated_share {
                    MarginMode::Isolated
                } else if u < b.isolated_share + b.portfolio_share {
                    MarginMode::Portfolio
                } else {
                    MarginMode::Cross
                }
            } else {
                MarginMode::Cross
            };
            let mut acct = Account { mode, init_multiplier, ..Account::new(0) };
            let mut quote_usd = eq;
            let coll = cfg.collateral.iter().position(|c| c.market == main);
            if let Some(ci) = coll {
                // Isolated positions are backed by quote only.
                if rng.gen::<f64>() < b.volatile_collateral_share && mode != MarginMode::Isolated {
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
            let total: f64 = legs.iter().map(|l| l.1).sum();
            let mut isolated = Vec::new();
            for (m, notional) in legs {
                let buy = rng.gen::<f64>() < b.long_share;
                if mode == MarginMode::Isolated {
                    // The trader moves the leg's share of its equity into the position's slot.
                    let quote = (quote_usd * notional / total * QUOTE_PER_USD) as i64;
                    let mut slot = Account { mode, init_multiplier, ..Account::new(quote) };
                    world.open(&mut slot, m, notional, buy);
                    isolated.push(slot);
                } else {
                    world.open(&mut acct, m, notional, buy);
                }
            }
            match mode {
                MarginMode::Isolated => {
                    world.stats.isolated += 1;
                    world.accounts.extend(isolated);
                }
                MarginMode::Portfolio => {
                    world.stats.portfolio += 1;
                    world.accounts.push(acct);
                }
                MarginMode::Cross => {
                    world.stats.cross += 1;
                    world.accounts.push(acct);
                }
            }
        }
        world
    }

    /// Opens up to `notional_usd` on market `m` for `acct` at the starting price, as
    /// `place_perp_trade` would let it: capped at what initial margin allows at the market's
    /// effective ratio, by the OI cap and (when on) by the reserve and the insurance-aware OI
    /// limit, filled at the oracle ± the latency spread, with the skew fee.
    fn open(&mut self, acct: &mut Account, m: usize, notional_usd: f64, buy: bool) {
        let ms = &self.markets[m];
        let (p0, step) = (ms.p0, ms.step);
        let price = Price::flat(p0);
        let mech = self.cfg.mechanisms;
        let taker_fee = self.cfg.protocol.taker_fee;
        let want = (notional_usd / (p0 as f64 * ms.usd_per_unit)) as u64 / step * step;
        let usd = |base: u64| base as f64 * p0 as f64 * 1e-18;
        self.stats.wanted_usd += usd(want);
        let prices: Vec<u64> = self.markets.iter().map(|x| x.p0).collect();
        // The account's tier scales every market's initial ratio, as the program's margin inputs.
        let risks: Vec<PerpMarketRisk> = self
            .states
            .iter()
            .zip(&prices)
            .map(|(s, p)| tiered(s.risk(Price::flat(*p)), acct.init_multiplier))
            .collect();
        let fill_price = mech::open_fill_price(&self.cfg, &self.states[m], p0, buy);
        // The skew fee of the full size is an upper bound of the smaller sizes' (it rises with
        // the skew left): size the trade with it.
        let depth = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
        let signed = |size: u64| if buy { size as i64 } else { -(size as i64) };
        let fee_for = |st: &MarketState, acct: &Account, size: u64| -> u32 {
            if !mech.funding {
                return taker_fee;
            }
            let unpriced = apply_fill(&acct.pos[m], &st.risk(price), signed(size), fill_price, 0).expect("fill");
            let mut after = *st;
            after.add_position(&acct.pos[m], -1);
            after.add_position(&unpriced.position, 1);
            let before = st.skew(fill_price, depth).expect("skew");
            let after = after.skew(fill_price, depth).expect("skew");
            trade_fee_rate(taker_fee, before, after, &st.params).expect("fee rate")
        };
        let fee_rate = fee_for(&self.states[m], acct, want.max(step));
        let (mut exps, mut coll) = Default::default();
        let view = self.risk_view(acct, &risks, &prices, &mut exps, &mut coll);
        let by_margin = max_trade_size(&view, m, buy, fill_price, fee_rate, step).unwrap_or(0);
        let mut size = want.min(by_margin);
        let cut = |s: &mut BookStats, field: fn(&mut BookStats) -> &mut f64, from: u64, to: u64| {
            *field(s) += usd(from - to);
        };
        cut(&mut self.stats, |s| &mut s.cut_by_margin_usd, want, size);
        // The OI cap binds on the side that grows.
        let st = &self.states[m];
        let (oi, cap) = if buy { (st.expo.long_base, st.long_oi_cap) } else { (st.expo.short_base, st.short_oi_cap) };
        let room = cap.saturating_sub(oi) / step * step;
        let s2 = size.min(room);
        cut(&mut self.stats, |s| &mut s.cut_by_oi_cap_usd, size, s2);
        size = s2;
        let s3 = mech::reserve_room(&self.cfg, st, buy, size, step, self.pool, p0);
        cut(&mut self.stats, |s| &mut s.cut_by_reserve_usd, size, s3);
        size = s3;
        let s4 = mech::oi_limit_room(&self.cfg, st, buy, size, step, self.pool, self.insurance, p0);
        cut(&mut self.stats, |s| &mut s.cut_by_oi_limit_usd, size, s4);
        size = s4;
        if size == 0 {
            return;
        }
        let fee_rate = fee_for(&self.states[m], acct, size);
        let fill = apply_fill(&acct.pos[m], &risks[m], signed(size), fill_price, fee_rate).expect("fill");
        let st = &mut self.states[m];
        st.add_position(&acct.pos[m], -1);
        st.add_position(&fill.position, 1);
        acct.pos[m] = fill.position;
        acct.quote = acct.quote + fill.realized_pnl - fill.fee as i64;
        self.pool += i128::from(fill.fee) - i128::from(fill.realized_pnl);
        let depth = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
        st.refresh_ratios(p0, T0, depth).expect("ratios");
        self.stats.opened_usd += usd(size);
        if buy {
            self.stats.long_usd += usd(size);
        } else {
            self.stats.short_usd += usd(size);
        }
        self.stats.fees_usd += fill.fee as f64 / QUOTE_PER_USD;
    }
}
