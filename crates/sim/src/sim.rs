//! One path of the simulation: prices move, accounts cross into margin call, keepers liquidate
//! with limited latency and capacity, liquidations move prices, bankruptcies draw on the
//! insurance fund and the pool.
//!
//! Every protocol decision and every amount is a call into `fulcrum_risk`: `health`,
//! `in_margin_call`, `is_liquidatable`, `largest_requirement`, `plan_perp_liquidation`,
//! `plan_collateral_liquidation`, `resolve_bankruptcy`, `traders_unrealized_pnl`,
//! `account_health`. The simulator's own arithmetic is limited to moving the amounts those calls
//! return between ledger entries (exactly as the program's instruction handlers do) and to
//! statistics.
//!
//! Speed: an account's maintenance health is linear in each market's price between two
//! liquidations, so after every full evaluation the account gets a conservative price band per
//! market inside which it cannot reach maintenance. A step is then one comparison per market for
//! almost every account; only accounts whose band is crossed (or that are in margin call) go
//! back to the engine. The band is a filter, never a decision: `tests::band_filter_is_exact`
//! checks it against evaluating every account at every step.
//!
//! Market state (dynamic margin, funding, circuit breaker) lives in [`MarketState`], observed
//! by a crank every `crank_interval_steps` and by each liquidation, as the program does. A band
//! also carries how far the market's funding index and maintenance ratio may drift before the
//! account must be evaluated again.
//!
//! Account modes: cross (`health`), portfolio (`model_health`, `portfolio_liquidation_target`,
//! `plan_perp_liquidation_in`, `plan_collateral_liquidation_in`) and isolated positions (each its
//! own account unit, liquidated as soon as its collateral is below maintenance).

use crate::book::{Account, MarginMode, World, QUOTE_PER_USD, T0};
use crate::config::MAX_MARKETS;
use crate::market::MarketState;
use crate::prices::PricePath;
use fulcrum_risk::{
    in_margin_call, is_liquidatable, largest_requirement, margin_ratio, model_account_health, model_health,
    plan_collateral_liquidation_in, plan_perp_liquidation_in, portfolio_liquidation_target, resolve_bankruptcy,
    traders_unrealized_pnl, Collateral, Health, LiquidationParams, MarginKind, MarginModel, PerpExposure,
    PerpMarketRisk, Price, Rounding,
};
use serde::Serialize;

const NOT_IN_CALL: u64 = u64::MAX;
/// Aggregate leverage reported when traders' aggregate equity is gone (≤ 0).
pub const MAX_AGGREGATE_LEVERAGE: f64 = 100.0;
type Band = [(u64, u64); MAX_MARKETS];
/// A band that every price leaves: the account is evaluated at every step.
const EMPTY: Band = [(u64::MAX, 0); MAX_MARKETS];
/// A band no price leaves: nothing can change the account's health.
const FULL: Band = [(0, u64::MAX); MAX_MARKETS];

/// Per market: funding index and effective maintenance ratio when the band was drawn, and the
/// largest move of each that the band's reserved slack absorbs.
#[derive(Clone, Copy, Debug)]
struct Drift {
    /// Index of the position's side (funding ± borrow).
    fund0: [i128; MAX_MARKETS],
    ratio0: [u32; MAX_MARKETS],
    /// PnL-cap factor `paid / profit`.
    hx0: [f64; MAX_MARKETS],
    tol_fund: [f64; MAX_MARKETS],
    tol_ratio: [f64; MAX_MARKETS],
    tol_hx: [f64; MAX_MARKETS],
}

/// No drift allowed: any move of the market state sends the account back to the engine.
const NO_DRIFT: Drift = Drift {
    fund0: [0; MAX_MARKETS],
    ratio0: [0; MAX_MARKETS],
    hx0: [1.0; MAX_MARKETS],
    tol_fund: [-1.0; MAX_MARKETS],
    tol_ratio: [-1.0; MAX_MARKETS],
    tol_hx: [-1.0; MAX_MARKETS],
};
/// Any drift is absorbed: nothing in the account moves with the market state.
const FREE_DRIFT: Drift = Drift {
    fund0: [0; MAX_MARKETS],
    ratio0: [0; MAX_MARKETS],
    hx0: [1.0; MAX_MARKETS],
    tol_fund: [f64::INFINITY; MAX_MARKETS],
    tol_ratio: [f64::INFINITY; MAX_MARKETS],
    tol_hx: [f64::INFINITY; MAX_MARKETS],
};
/// Share of a band's free collateral kept for market-state drift when the state moves.
const DRIFT_SHARE: f64 = 0.25;

/// What to record besides the summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOpts {
    /// Per-step time series.
    pub series: bool,
    /// Every liquidation's resulting state (tests, vectors).
    pub events: bool,
    /// Account leverage before and after (histograms).
    pub leverage: bool,
    /// Evaluate every account at every step (no band filter): a reference for tests.
    pub exhaustive: bool,
}

/// Per-path results, USD unless stated.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    pub liquidations: u64,
    pub accounts_liquidated: u64,
    pub liquidated_notional_usd: f64,
    pub margin_calls: u64,
    /// Margin calls that would not have happened at the price without liquidation impact.
    pub impact_margin_calls: u64,
    /// Debt of bankrupt accounts (covered by insurance, socialised or uncovered).
    pub bad_debt_usd: f64,
    pub insurance_used_usd: f64,
    pub socialised_usd: f64,
    pub uncovered_usd: f64,
    pub accounts_bankrupt: u64,
    pub insurance_start_usd: f64,
    pub insurance_end_usd: f64,
    pub insurance_fees_usd: f64,
    pub keeper_fees_usd: f64,
    /// Largest fall of the pool's value (balance − traders' unrealised PnL) from its running peak.
    pub pool_drawdown_usd: f64,
    /// Pool value at the end less at the start.
    pub pool_pnl_usd: f64,
    /// Peak of Σ notional / Σ equity over the book; [`MAX_AGGREGATE_LEVERAGE`] when the
    /// traders' aggregate equity reached zero.
    pub peak_aggregate_leverage: f64,
    /// Longest run of consecutive steps with impact-induced margin calls.
    pub cascade_depth: u64,
    /// Most accounts waiting for a keeper at once.
    pub max_queue: u64,
    pub account_steps: u64,
    /// Pool value (balance − traders' unrealised PnL + unsettled funding) at the start.
    pub pool_value_start_usd: f64,
    /// Circuit-breaker trips over all markets, and market-minutes spent reduce-only.
    pub breaker_trips: u64,
    pub reduce_only_minutes: f64,
    /// Highest effective maintenance ratio any market reached, ppm.
    pub peak_maint_ratio: u64,
    /// Funding settled into the pool by liquidations (negative: paid out), USD.
    pub funding_to_pool_usd: f64,
    /// Auto-deleveraging: episodes (runs of consecutive steps in which some market's
    /// profit / pool was above the threshold) and positions closed.
    pub adl_episodes: u64,
    pub adl_closes: u64,
    /// Profit winners were not paid because of the PnL cap (ADL closes), USD.
    pub winners_haircut_usd: f64,
    /// Most profit the PnL cap held back from open winners at once (Σ over markets of
    /// profit − paid), USD.
    pub winners_haircut_peak_usd: f64,
    /// Borrow fees paid to the pool, USD.
    pub borrow_fees_usd: f64,
    /// Liquidations keepers could not act on (portfolio: no position's close lowers the netted
    /// requirement and no collateral to sell).
    pub stuck_liquidations: u64,
    /// Full evaluations of an account by the engine (band crossed, drift spent, margin call).
    pub evaluations: u64,
}

/// One step of the time series.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Row {
    pub step: usize,
    pub prices_usd: [f64; MAX_MARKETS],
    pub liquidations: u32,
    pub liquidated_usd: f64,
    pub in_margin_call: u32,
    pub aggregate_leverage: f64,
    pub insurance_usd: f64,
    pub pool_value_usd: f64,
    pub bad_debt_usd: f64,
    pub stale: bool,
    /// Effective maintenance ratio of each market, ppm.
    pub maint_ratio: [u32; MAX_MARKETS],
    /// Funding rate of each market, ppm of price per hour.
    pub funding_rate: [i64; MAX_MARKETS],
    pub reduce_only: [bool; MAX_MARKETS],
}

/// The state one perp liquidation leaves (before any bankruptcy resolution that follows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LiqEvent {
    pub step: usize,
    pub account: usize,
    pub market: usize,
    pub base_after: i64,
    pub quote_entry_after: i64,
    pub quote_balance_after: i64,
    pub liquidator_fee: u64,
    pub insurance_fee: u64,
    pub pool_delta: i64,
    pub insurance_delta: i64,
}

#[derive(Clone, Debug, Default)]
pub struct PathResult {
    pub summary: Summary,
    pub series: Vec<Row>,
    pub events: Vec<LiqEvent>,
    pub leverage_before: Vec<f64>,
    pub leverage_after: Vec<f64>,
    /// Σ account quote + pool + insurance + keepers' quote, at the start and the end.
    pub ledger_start: i128,
    pub ledger_end: i128,
    pub accounts: Vec<Account>,
}

struct State<'w> {
    w: &'w World,
    opts: RunOpts,
    lp: LiquidationParams,
    accts: Vec<Account>,
    band: Vec<Band>,
    /// Drift allowances of each account's band: funding index and maintenance ratio at band
    /// time, and how far each may move before the account is evaluated again.
    drift: Vec<Drift>,
    /// Whether market state moves during the path (dynamic margin or funding on).
    drifting: bool,
    mkts: Vec<MarketState>,
    /// Whether ADL ran at the last step (an episode is under way).
    in_adl: bool,
    ema: [f64; MAX_MARKETS],
    ema_prices: [u64; MAX_MARKETS],
    now: i64,
    call: Vec<u64>,
    in_queue: Vec<bool>,
    done: Vec<bool>,
    liquidated: Vec<bool>,
    queue: Vec<u32>,
    pool: i128,
    insurance: i128,
    keeper: i128,
    quote_total: i128,
    coll_total: Vec<u128>,
    prices: [u64; MAX_MARKETS],
    raw_prices: [u64; MAX_MARKETS],
    impact: [f64; MAX_MARKETS],
    closed_usd: [f64; MAX_MARKETS],
    step_liqs: u32,
    step_liq_usd: f64,
    step_impact_calls: u64,
    s: Summary,
    events: Vec<LiqEvent>,
}

/// Runs `world`'s book along `path`.
pub fn run_path(world: &World, path: &PricePath, opts: RunOpts) -> PathResult {
    let mut st = State::new(world, opts);
    let ledger_start = st.ledger();
    let leverage_before = if opts.leverage { st.leverages() } else { Vec::new() };
    let steps = path.steps();
    let n = world.markets.len();
    let r = &world.cfg.response;
    let decay = 0.5f64.powf(1.0 / r.impact_half_life_steps.max(1e-9));
    let step_minutes = world.cfg.scenario.step_minutes;
    let ema_alpha = 1.0 - 0.5f64.powf(step_minutes / r.ema_half_life_minutes.max(1e-9));
    let step_secs = (step_minutes * 60.0).round().max(1.0) as i64;
    let pool_start = st.pool_value();
    st.s.pool_value_start_usd = pool_start;
    let mut pool_peak = pool_start;
    let mut streak = 0;
    let mut series = Vec::with_capacity(if opts.series { steps } else { 0 });
    for t in 0..steps {
        let stale = path.stale.is_some_and(|(a, b)| t >= a && t < b);
        st.now = T0 + t as i64 * step_secs;
        if !stale {
            for m in 0..n {
                let p0 = world.markets[m].p0 as f64;
                let x = path.at(t, m);
                st.raw_prices[m] = ((p0 * x.exp()).round() as u64).max(1);
                st.prices[m] = ((p0 * (x + st.impact[m]).exp()).round() as u64).max(1);
                st.ema[m] += ema_alpha * (st.prices[m] as f64 - st.ema[m]);
                st.ema_prices[m] = (st.ema[m].round() as u64).max(1);
            }
            if t % r.crank_interval_steps == 0 {
                st.crank();
            }
        }
        let mut withheld = 0.0;
        for m in 0..n {
            st.refresh_haircut(m);
            withheld += st.mkts[m].haircut_withheld;
        }
        st.s.winners_haircut_peak_usd = st.s.winners_haircut_peak_usd.max(withheld / QUOTE_PER_USD);
        for m in 0..n {
            if st.mkts[m].is_reduce_only(st.now) {
                st.s.reduce_only_minutes += step_minutes;
            }
            st.s.peak_maint_ratio =
                st.s.peak_maint_ratio.max(u64::from(st.market_risk(m, &st.prices).maint_margin_ratio));
        }
        st.step_liqs = 0;
        st.step_liq_usd = 0.0;
        st.step_impact_calls = 0;
        st.closed_usd = [0.0; MAX_MARKETS];
        st.scan(t as u64);
        if !st.liquidations_paused(stale) {
            st.keeper(t as u64);
            st.adl();
        }
        for m in 0..n {
            let push = 0.01 * st.closed_usd[m] / world.markets[m].depth_usd;
            let r = &world.cfg.response;
            st.impact[m] = (st.impact[m] * decay + r.impact_coef * push).clamp(-r.max_impact, r.max_impact);
        }
        streak = if st.step_impact_calls > 0 { streak + 1 } else { 0 };
        st.s.cascade_depth = st.s.cascade_depth.max(streak);
        st.s.max_queue = st.s.max_queue.max(st.queue.len() as u64);
        let pool_value = st.pool_value();
        pool_peak = pool_peak.max(pool_value);
        st.s.pool_drawdown_usd = st.s.pool_drawdown_usd.max(pool_peak - pool_value);
        let lev = st.aggregate_leverage();
        st.s.peak_aggregate_leverage = st.s.peak_aggregate_leverage.max(lev);
        if opts.series {
            let mut prices_usd = [0.0; MAX_MARKETS];
            for (m, p) in prices_usd.iter_mut().enumerate().take(n) {
                let d = world.cfg.markets[m].base_decimals;
                *p = st.prices[m] as f64 * 10f64.powi(i32::from(d) - 18);
            }
            series.push(Row {
                step: t,
                prices_usd,
                liquidations: st.step_liqs,
                liquidated_usd: st.step_liq_usd,
                in_margin_call: st.call.iter().filter(|&&c| c != NOT_IN_CALL).count() as u32,
                aggregate_leverage: lev,
                insurance_usd: usd(st.insurance),
                pool_value_usd: pool_value,
                bad_debt_usd: st.s.bad_debt_usd,
                stale,
                maint_ratio: std::array::from_fn(|m| {
                    if m < n {
                        st.market_risk(m, &st.prices).maint_margin_ratio
                    } else {
                        0
                    }
                }),
                funding_rate: std::array::from_fn(|m| st.mkts.get(m).map_or(0, |x| x.funding_rate)),
                reduce_only: std::array::from_fn(|m| st.mkts.get(m).is_some_and(|x| x.is_reduce_only(st.now))),
            });
        }
    }
    st.s.account_steps = (steps * world.accounts.len()) as u64;
    st.s.pool_pnl_usd = st.pool_value() - pool_start;
    st.s.insurance_end_usd = usd(st.insurance);
    st.s.breaker_trips = st.mkts.iter().map(|m| m.breaker_trips).sum();
    st.s.accounts_liquidated = st.liquidated.iter().filter(|&&l| l).count() as u64;
    PathResult {
        summary: st.s,
        series,
        leverage_before,
        leverage_after: if opts.leverage { st.leverages() } else { Vec::new() },
        ledger_start,
        ledger_end: st.ledger(),
        events: std::mem::take(&mut st.events),
        accounts: st.accts,
    }
}

fn usd(q: i128) -> f64 {
    q as f64 / QUOTE_PER_USD
}

impl<'w> State<'w> {
    fn new(w: &'w World, opts: RunOpts) -> Self {
        let n = w.accounts.len();
        let p = &w.cfg.protocol;
        let mut prices = [1u64; MAX_MARKETS];
        let mut ema = [1.0; MAX_MARKETS];
        for (m, ms) in w.markets.iter().enumerate() {
            prices[m] = ms.p0;
            ema[m] = ms.p0 as f64;
        }
        let mut coll_total = vec![0u128; w.cfg.collateral.len()];
        for a in &w.accounts {
            if let Some(c) = coll_total.get_mut(usize::from(a.coll_idx)) {
                *c += u128::from(a.coll_amount);
            }
        }
        let mech = w.mechanisms();
        let s = Summary { insurance_start_usd: usd(w.insurance), ..Summary::default() };
        Self {
            w,
            opts,
            lp: LiquidationParams {
                buffer: p.buffer,
                liquidator_fee: p.liquidator_fee,
                insurance_fee: p.insurance_fee,
                dust_notional: (p.dust_notional_usd * QUOTE_PER_USD) as u64,
                collateral_discount: p.collateral_discount,
            },
            accts: w.accounts.clone(),
            band: vec![EMPTY; n],
            drift: vec![NO_DRIFT; n],
            drifting: mech.dynamic_margin || mech.funding || mech.borrow_fee || mech.pnl_cap,
            mkts: w.states.clone(),
            in_adl: false,
            ema,
            ema_prices: prices,
            now: T0,
            call: vec![NOT_IN_CALL; n],
            in_queue: vec![false; n],
            done: vec![false; n],
            liquidated: vec![false; n],
            queue: Vec::new(),
            pool: w.pool,
            insurance: w.insurance,
            keeper: 0,
            quote_total: w.accounts.iter().map(|a| i128::from(a.quote)).sum(),
            coll_total,
            prices,
            raw_prices: prices,
            impact: [0.0; MAX_MARKETS],
            closed_usd: [0.0; MAX_MARKETS],
            step_liqs: 0,
            step_liq_usd: 0.0,
            step_impact_calls: 0,
            s,
            events: Vec::new(),
        }
    }

    /// The market parameters every engine call sees at `prices`: the market's effective
    /// (dynamic) ratios and funding index, the oracle's EMA beside the price.
    #[inline]
    fn market_risk(&self, m: usize, prices: &[u64; MAX_MARKETS]) -> PerpMarketRisk {
        self.mkts[m].risk(Price { oracle: prices[m], ema: self.ema_prices[m] })
    }

    /// Whether keepers are blocked this step: a stale oracle. (The circuit breaker makes a
    /// market reduce-only; closes and liquidations go on, so it never blocks keepers.)
    fn liquidations_paused(&self, stale: bool) -> bool {
        stale
    }

    /// `crank_market` on every market: funding to now, variance, breaker, ratios, funding rate
    /// (`PerpMarket::observe`).
    fn crank(&mut self) {
        let depth = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
        for m in 0..self.mkts.len() {
            let price = Price { oracle: self.prices[m], ema: self.ema_prices[m] };
            self.mkts[m].expo.price = self.prices[m];
            self.mkts[m].observe(price, self.now, depth).expect("observe");
        }
    }

    /// The margin model of account `i`.
    fn coll_asset(&self, i: usize) -> [u8; 1] {
        let a = &self.accts[i];
        [self.w.collateral_assets.get(usize::from(a.coll_idx)).copied().unwrap_or(fulcrum_risk::STANDALONE)]
    }

    fn ledger(&self) -> i128 {
        let q: i128 = self.accts.iter().map(|a| i128::from(a.quote)).sum();
        q + self.pool + self.insurance + self.keeper
    }

    /// Maintenance health of account `i` at `prices`.
    #[inline]
    fn maint_at(&self, i: usize, prices: &[u64; MAX_MARKETS]) -> Health {
        let (mut exps, mut coll) = self.view_parts(i, prices);
        let view = self.view(i, &mut exps, &mut coll);
        let ca = self.coll_asset(i);
        let model = self.w.model(&self.accts[i], &ca);
        model_health(&view, &model, MarginKind::Maintenance).expect("health")
    }

    fn view_parts(&self, i: usize, prices: &[u64; MAX_MARKETS]) -> ([PerpExposure; MAX_MARKETS], [Collateral; 1]) {
        let a = &self.accts[i];
        let mut exps = [PerpExposure::default(); MAX_MARKETS];
        for (m, e) in exps.iter_mut().enumerate().take(self.w.markets.len()) {
            *e = PerpExposure { position: a.pos[m], market: self.market_risk(m, prices) };
        }
        let coll = [self.w.collateral(a, prices).unwrap_or_default()];
        (exps, coll)
    }

    fn view<'a>(
        &self,
        i: usize,
        exps: &'a mut [PerpExposure; MAX_MARKETS],
        coll: &'a mut [Collateral; 1],
    ) -> fulcrum_risk::RiskAccount<'a> {
        let a = &self.accts[i];
        let nc = usize::from(self.w.cfg.collateral.get(usize::from(a.coll_idx)).is_some());
        fulcrum_risk::RiskAccount {
            quote_balance: a.quote,
            collateral: &coll[..nc],
            perps: &exps[..self.w.markets.len()],
            params: fulcrum_risk::AccountParams::default(),
        }
    }

    /// The step's account scan: the band check, and the engine for accounts that crossed it.
    fn scan(&mut self, t: u64) {
        let n = self.w.markets.len();
        let p = self.prices;
        let mut idx = [[0i128; 2]; MAX_MARKETS];
        let mut ratio = [0u32; MAX_MARKETS];
        let mut hx = [1.0; MAX_MARKETS];
        for m in 0..n {
            idx[m] = [self.mkts[m].side_index(1), self.mkts[m].side_index(-1)];
            ratio[m] = self.market_risk(m, &p).maint_margin_ratio;
            hx[m] = self.mkts[m].haircut_x;
        }
        for i in 0..self.accts.len() {
            let b = &self.band[i];
            let mut out = self.opts.exhaustive && !self.done[i];
            for m in 0..n {
                out |= p[m] < b[m].0 || p[m] > b[m].1;
            }
            if self.drifting && !out && !self.done[i] {
                let d = &self.drift[i];
                let a = &self.accts[i];
                for m in 0..n {
                    let side = usize::from(a.pos[m].base < 0);
                    out |= (idx[m][side] - d.fund0[m]).unsigned_abs() as f64 > d.tol_fund[m]
                        || f64::from(ratio[m]) - f64::from(d.ratio0[m]) > d.tol_ratio[m]
                        || (hx[m] - d.hx0[m]).abs() > d.tol_hx[m];
                }
            }
            if out {
                self.evaluate(i, t);
            }
        }
    }

    /// Margin call state after observing `maint`: cross and portfolio accounts enter below
    /// maintenance and leave at the buffered requirement (`in_margin_call`); an isolated
    /// position is liquidatable exactly while its collateral is below maintenance.
    fn margin_call(&self, i: usize, was: bool, maint: &Health) -> bool {
        match self.accts[i].mode {
            MarginMode::Isolated => !maint.is_met(),
            _ => in_margin_call(was, maint, self.lp.buffer).expect("margin call"),
        }
    }

    /// Full evaluation of account `i`: margin call state and a fresh band.
    fn evaluate(&mut self, i: usize, t: u64) {
        self.s.evaluations += 1;
        let maint = self.maint_at(i, &self.prices);
        let was = self.call[i] != NOT_IN_CALL;
        let now = self.margin_call(i, was, &maint);
        if now {
            if !was {
                self.call[i] = t;
                self.s.margin_calls += 1;
                if self.impact.iter().any(|&x| x != 0.0) && self.maint_at(i, &self.raw_prices).is_met() {
                    self.s.impact_margin_calls += 1;
                    self.step_impact_calls += 1;
                }
            }
            if !self.in_queue[i] {
                self.in_queue[i] = true;
                self.queue.push(i as u32);
            }
            self.band[i] = EMPTY;
        } else {
            self.call[i] = NOT_IN_CALL;
            self.set_band(i, &maint);
        }
    }

    /// Draws account `i`'s band (and its drift allowances) around the current prices.
    fn set_band(&mut self, i: usize, maint: &Health) {
        let (band, drift) = self.band_of(i, maint);
        self.band[i] = band;
        self.drift[i] = drift;
    }

    /// Prices per market inside which account `i` (free collateral `maint`) stays at or above
    /// maintenance, everything else held, less a margin for the engine's rounding; when market
    /// state moves, part of the free collateral is kept for funding and ratio drift.
    ///
    /// Cross (and isolated): free collateral is linear in each price with slope
    /// `base − |base| × ratio` (plus collateral × weight); each market gets an equal share of it
    /// on its losing side. Portfolio: the netted requirement is a norm of the per-asset risks,
    /// whose gradient in each risk is at most 1, so free collateral moves by at most
    /// `|base| × (1 + ratio)` (collateral: `value × (2 − weight)`) per unit of price, either way:
    /// the band is two-sided.
    fn band_of(&self, i: usize, maint: &Health) -> (Band, Drift) {
        let a = &self.accts[i];
        let n = self.w.markets.len();
        let portfolio = a.mode == MarginMode::Portfolio;
        let mut slope = [0f64; MAX_MARKETS];
        let mut lip = [0f64; MAX_MARKETS];
        let mut scale = 0.0;
        for m in 0..n {
            let b = a.pos[m].base;
            if b != 0 {
                let risk = self.market_risk(m, &self.prices);
                let r = margin_ratio(b, &risk, MarginKind::Maintenance).expect("ratio") as f64 * 1e-6;
                slope[m] += (b as f64 - b.unsigned_abs() as f64 * r) * 1e-12;
                lip[m] += b.unsigned_abs() as f64 * (1.0 + r) * 1e-12;
                scale += b.unsigned_abs() as f64 * self.prices[m] as f64 * 1e-12;
            }
        }
        if let Some(c) = self.w.cfg.collateral.get(usize::from(a.coll_idx)) {
            let k = a.coll_amount as f64 * c.price_factor * 1e-12;
            let w = f64::from(c.maint_asset_weight) * 1e-6;
            slope[c.market] += k * w;
            lip[c.market] += k * (2.0 - w);
            scale += k * self.prices[c.market] as f64;
        }
        let k = if portfolio {
            lip.iter().filter(|&&s| s != 0.0).count()
        } else {
            slope.iter().filter(|&&s| s != 0.0).count()
        };
        if k == 0 {
            return if maint.is_met() { (FULL, FREE_DRIFT) } else { (EMPTY, NO_DRIFT) };
        }
        let free = (maint.equity - maint.requirement) as f64;
        let avail = free - 4.0 - 8.0 * k as f64 - 1e-8 * scale;
        if avail <= 0.0 {
            return (EMPTY, NO_DRIFT);
        }
        let (price_avail, drift_avail) =
            if self.drifting { (avail * (1.0 - DRIFT_SHARE), avail * DRIFT_SHARE) } else { (avail, 0.0) };
        let share = price_avail / k as f64;
        let mut band = FULL;
        for m in 0..n {
            let p = self.prices[m] as f64;
            let b = a.pos[m].base;
            if self.mkts[m].pnl_cap && b > 0 && !portfolio {
                // A long's PnL under the cap needs a bound: the band gets a top too.
                band[m].1 = (p + share / (b as f64 * 1e-12)).min(u64::MAX as f64).floor() as u64;
            }
            if portfolio {
                if lip[m] > 0.0 {
                    band[m].0 = (p - share / lip[m]).max(0.0).ceil() as u64;
                    band[m].1 = (p + share / lip[m]).min(u64::MAX as f64).floor() as u64;
                }
            } else if slope[m] > 0.0 {
                band[m].0 = (p - share / slope[m]).max(0.0).ceil() as u64;
            } else if slope[m] < 0.0 {
                band[m].1 = (p + share / -slope[m]).min(u64::MAX as f64).floor() as u64;
            }
        }
        let mut drift = NO_DRIFT;
        if self.drifting {
            let positions = (0..n).filter(|&m| a.pos[m].base != 0).count().max(1);
            let d = drift_avail / positions as f64 / 3.0;
            #[allow(clippy::needless_range_loop)] // five arrays indexed by market
            for m in 0..n {
                let st = &self.mkts[m];
                drift.fund0[m] = st.side_index(a.pos[m].base);
                drift.ratio0[m] = self.market_risk(m, &self.prices).maint_margin_ratio;
                drift.hx0[m] = st.haircut_x;
                let b = a.pos[m].base.unsigned_abs() as f64;
                if b == 0.0 {
                    drift.tol_fund[m] = f64::INFINITY;
                    drift.tol_ratio[m] = f64::INFINITY;
                    drift.tol_hx[m] = f64::INFINITY;
                    continue;
                }
                // The cap scales a gain by `paid / profit`: a gain of at most `pnl_max` inside
                // the band moves by `pnl_max × Δx`. Near the one-payment cap (`min(·, cap)`)
                // anything moves it: no allowance.
                drift.tol_hx[m] = if st.pnl_cap { self.haircut_tolerance(i, m, band[m].1, d) } else { f64::INFINITY };
                // Funding owed moves by |base| × Δindex / FUNDING_SCALE (+ one unit of rounding).
                drift.tol_fund[m] = ((d - 1.0).max(0.0)) * fulcrum_risk::FUNDING_SCALE as f64 / b;
                // The requirement moves by |base| × price × Δratio, worst at the band's highest
                // price below which the account loses (a long: today's; a short or portfolio:
                // the band's top).
                let top = if a.pos[m].base > 0 && !portfolio { self.prices[m] } else { band[m].1 };
                let top = (top as f64).max(self.prices[m] as f64);
                drift.tol_ratio[m] = if top.is_finite() && top < u64::MAX as f64 {
                    (d - 1.0).max(0.0) / (b * top * 1e-12 * 1e-6 * (1.0 + 1e-9)) - 1.0
                } else {
                    -1.0
                };
            }
        }
        (band, drift)
    }

    /// How far market `m`'s PnL-cap factor may move before account `i` (band top `top`,
    /// allowance `d`) must be evaluated again.
    fn haircut_tolerance(&self, i: usize, m: usize, top: u64, d: f64) -> f64 {
        let st = &self.mkts[m];
        let pos = &self.accts[i].pos[m];
        let owed = (pos.base as f64 * (st.side_index(pos.base) - pos.funding_snapshot) as f64
            / fulcrum_risk::FUNDING_SCALE as f64)
            .abs();
        let gain = if pos.base > 0 {
            if top == u64::MAX {
                return -1.0;
            }
            (pos.base as f64 * top.max(self.prices[m]) as f64 * 1e-12 + pos.quote_entry as f64).max(0.0)
        } else {
            pos.quote_entry as f64
        };
        let pnl_max = gain + owed + d.max(0.0);
        if pnl_max >= st.haircut_cap * 0.5 {
            return -1.0;
        }
        (d - 1.0).max(0.0) / pnl_max.max(1.0) * (1.0 - 1e-9)
    }

    /// Keepers: up to `keeper_capacity` liquidation instructions, oldest margin calls first,
    /// each only after `keeper_latency_steps` and when the engine says the account is
    /// liquidatable.
    fn keeper(&mut self, t: u64) {
        let r = &self.w.cfg.response;
        let p = &self.w.cfg.protocol;
        let queue = std::mem::take(&mut self.queue);
        let mut keep = Vec::with_capacity(queue.len());
        let mut actions = 0;
        for i in queue {
            let i = i as usize;
            let call = self.call[i];
            if call == NOT_IN_CALL || self.done[i] {
                self.in_queue[i] = false;
                continue;
            }
            if actions >= r.keeper_capacity || t < call.saturating_add(r.keeper_latency_steps) {
                keep.push(i as u32);
                continue;
            }
            let maint = self.maint_at(i, &self.prices);
            let ok = match self.accts[i].mode {
                MarginMode::Isolated => !maint.is_met(),
                _ => is_liquidatable(&maint, call, t, p.grace_steps, p.hard_threshold).expect("liquidatable"),
            };
            if !ok {
                keep.push(i as u32);
                continue;
            }
            if !self.keeper_action(i, t as usize) {
                self.s.stuck_liquidations += 1;
                keep.push(i as u32);
                continue;
            }
            actions += 1;
            let maint = self.maint_at(i, &self.prices);
            let still = self.margin_call(i, true, &maint);
            if still && !self.done[i] {
                keep.push(i as u32);
            } else {
                self.in_queue[i] = false;
                self.call[i] = NOT_IN_CALL;
                if self.done[i] {
                    self.band[i] = FULL;
                    self.drift[i] = FREE_DRIFT;
                } else {
                    self.set_band(i, &maint);
                }
            }
        }
        self.queue = keep;
    }

    /// One liquidation instruction on account `i`, as the program applies it. Returns false
    /// when there is nothing a keeper can do (the program would refuse every liquidation).
    fn keeper_action(&mut self, i: usize, t: usize) -> bool {
        let a = self.accts[i];
        let (mut exps, mut coll) = self.view_parts(i, &self.prices);
        let view = self.view(i, &mut exps, &mut coll);
        let ca = self.coll_asset(i);
        let model = self.w.model(&a, &ca);
        let target = match &model {
            MarginModel::Cross => largest_requirement(&view).expect("largest"),
            MarginModel::Portfolio(pm) => portfolio_liquidation_target(&view, pm).expect("target"),
        };
        let plan = match target {
            Some(m) => {
                let plan = plan_perp_liquidation_in(&view, &model, m, self.w.markets[m].step, &self.lp).expect("plan");
                (plan.base_delta != 0).then_some((m, plan))
            }
            None => None,
        };
        if let Some((m, plan)) = plan {
            // The market accrues funding to now before the plan (the view priced it so).
            self.mkts[m].accrue_funding_to(self.prices[m], self.now).expect("funding");
            // Fill at the oracle with no fee: realised PnL moves from the pool to the account.
            // Then the account pays the liquidator and the insurance fund.
            let fees = i128::from(plan.liquidator_fee) + i128::from(plan.insurance_fee);
            let quote = i128::from(a.quote) + i128::from(plan.realized_pnl) - fees;
            let quote = i64::try_from(quote).expect("quote fits i64");
            self.pool -= i128::from(plan.realized_pnl);
            self.keeper += i128::from(plan.liquidator_fee);
            self.insurance += i128::from(plan.insurance_fee);
            self.quote_total += i128::from(quote) - i128::from(a.quote);
            let funding = fulcrum_risk::unsettled_funding(&a.pos[m], &view.perps[m].market).expect("funding");
            self.s.funding_to_pool_usd += usd(funding);
            self.mkts[m].add_position(&a.pos[m], -1);
            self.mkts[m].add_position(&plan.position, 1);
            // Open interest moved: the OI premium and the funding rate follow.
            let depth = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
            self.mkts[m].refresh_ratios(self.prices[m], self.now, depth).expect("ratios");
            self.refresh_haircut(m);
            let acct = &mut self.accts[i];
            acct.pos[m] = plan.position;
            acct.quote = quote;
            let fill_usd = plan.fill_quote as f64 / QUOTE_PER_USD;
            self.closed_usd[m] += fill_usd * plan.base_delta.signum() as f64;
            self.step_liqs += 1;
            self.step_liq_usd += fill_usd;
            self.s.liquidations += 1;
            self.s.liquidated_notional_usd += fill_usd;
            self.s.keeper_fees_usd += plan.liquidator_fee as f64 / QUOTE_PER_USD;
            self.s.insurance_fees_usd += plan.insurance_fee as f64 / QUOTE_PER_USD;
            self.liquidated[i] = true;
            if self.opts.events {
                self.events.push(LiqEvent {
                    step: t,
                    account: i,
                    market: m,
                    base_after: plan.position.base,
                    quote_entry_after: plan.position.quote_entry,
                    quote_balance_after: quote,
                    liquidator_fee: plan.liquidator_fee,
                    insurance_fee: plan.insurance_fee,
                    pool_delta: -plan.realized_pnl,
                    insurance_delta: plan.insurance_fee as i64,
                });
            }
            let acct = &self.accts[i];
            if !acct.has_positions() && acct.quote < 0 && acct.coll_amount == 0 {
                self.bankrupt(i);
            }
            return true;
        }
        if a.quote < 0 && a.coll_amount > 0 {
            let p = &self.w.cfg.protocol;
            let debt = a.quote.unsigned_abs();
            match plan_collateral_liquidation_in(&view, &model, 0, debt, p.collateral_discount, p.buffer) {
                Ok(plan) => {
                    // The liquidator repays debt with its own quote and takes the collateral.
                    let acct = &mut self.accts[i];
                    acct.quote += plan.repay as i64;
                    acct.coll_amount -= plan.collateral_out;
                    self.keeper -= i128::from(plan.repay);
                    self.quote_total += i128::from(plan.repay);
                    self.coll_total[usize::from(a.coll_idx)] -= u128::from(plan.collateral_out);
                    let acct = &self.accts[i];
                    if acct.coll_amount == 0 && acct.quote < 0 && !acct.has_positions() {
                        self.bankrupt(i);
                    }
                }
                // Collateral worth less than one quote unit: nothing a liquidator can buy.
                Err(_) if !a.has_positions() => self.bankrupt(i),
                Err(_) => return false,
            }
            return true;
        }
        if a.quote < 0 && !a.has_positions() {
            self.bankrupt(i);
            return true;
        }
        false
    }

    /// Market `m`'s PnL cap at the current price and pool balance.
    fn refresh_haircut(&mut self, m: usize) {
        crate::mech::refresh_haircut(&self.w.cfg, &mut self.mkts[m], self.prices[m], self.pool);
    }

    /// Auto-deleveraging, as the keeper runs it after the liquidations of a step: in every market
    /// whose `profit / pool balance` is above `adl_threshold`, winners are closed in ADL-rank
    /// order (`adl_score`) by `plan_auto_deleverage` until the ratio is back at or below the
    /// threshold (each close never takes it below `adl_floor`).
    fn adl(&mut self) {
        if !self.w.cfg.mechanisms.adl {
            return;
        }
        let threshold = u64::from(self.w.cfg.pool_risk.adl_threshold);
        let mut ran = false;
        for m in 0..self.w.markets.len() {
            if crate::mech::adl_ratio(&self.mkts[m], self.prices[m], self.pool) > threshold {
                ran = true;
                self.adl_market(m, threshold);
            }
        }
        // An episode: a run of consecutive steps in which some market needed ADL.
        if ran && !self.in_adl {
            self.s.adl_episodes += 1;
        }
        self.in_adl = ran;
    }

    #[cfg(not(feature = "winners"))]
    fn adl_market(&mut self, _m: usize, _threshold: u64) {}

    /// The `auto_deleverage` calls on market `m` (the program's handler, step by step).
    #[cfg(feature = "winners")]
    fn adl_market(&mut self, m: usize, threshold: u64) {
        use fulcrum_risk::{adl_score, apply_fill, plan_auto_deleverage, uncapped_pnl, MarketExposure, PnlHaircut};
        let price = self.prices[m];
        let mut ranked: Vec<(u128, usize)> = Vec::new();
        for i in 0..self.accts.len() {
            let a = self.accts[i];
            if self.done[i] || a.pos[m].base == 0 {
                continue;
            }
            let (mut exps, mut coll) = self.view_parts(i, &self.prices);
            let view = self.view(i, &mut exps, &mut coll);
            let pnl = uncapped_pnl(&a.pos[m], &view.perps[m].market, MarginKind::Maintenance).expect("pnl");
            if pnl <= 0 {
                continue;
            }
            let ca = self.coll_asset(i);
            let model = self.w.model(&a, &ca);
            let h = model_account_health(&view, &model).expect("account health");
            ranked.push((adl_score(pnl, a.pos[m].quote_entry, h.notional, h.equity), i));
        }
        ranked.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        let floor = self.w.cfg.pool_risk.adl_floor;
        let step = self.w.markets[m].step;
        for (_, i) in ranked {
            if crate::mech::adl_ratio(&self.mkts[m], price, self.pool) <= threshold {
                break;
            }
            self.mkts[m].accrue_funding_to(price, self.now).expect("funding");
            self.refresh_haircut(m);
            let risk = self.market_risk(m, &self.prices);
            let old = self.accts[i].pos[m];
            let expo = MarketExposure { price, ..self.mkts[m].expo };
            let balance = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
            let plan = plan_auto_deleverage(&old, &risk, &expo, balance, floor, step).expect("adl plan");
            if plan.base_delta == 0 {
                continue;
            }
            let fill = plan.fill;
            let uncapped = fulcrum_risk::PerpMarketRisk { pnl_haircut: PnlHaircut::NONE, ..risk };
            let full = apply_fill(&old, &uncapped, plan.base_delta, price, 0).expect("fill");
            self.mkts[m].add_position(&old, -1);
            self.mkts[m].add_position(&fill.position, 1);
            self.pool -= i128::from(fill.realized_pnl);
            let acct = &mut self.accts[i];
            acct.pos[m] = fill.position;
            acct.quote += fill.realized_pnl;
            self.quote_total += i128::from(fill.realized_pnl);
            let depth = u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX);
            self.mkts[m].refresh_ratios(price, self.now, depth).expect("ratios");
            self.refresh_haircut(m);
            self.s.adl_closes += 1;
            self.s.winners_haircut_usd += usd(i128::from(full.realized_pnl) - i128::from(fill.realized_pnl));
            // The position changed: the account's band is redrawn at the next step.
            self.band[i] = EMPTY;
            self.drift[i] = NO_DRIFT;
        }
    }

    /// Debt of an account with nothing left to liquidate: insurance first, then the pool.
    fn bankrupt(&mut self, i: usize) {
        let debt = self.accts[i].quote.unsigned_abs();
        let r = resolve_bankruptcy(
            debt,
            u64::try_from(self.insurance.max(0)).unwrap_or(u64::MAX),
            u64::try_from(self.pool.max(0)).unwrap_or(u64::MAX),
        );
        let covered = r.insurance_paid + r.socialised;
        self.insurance -= i128::from(r.insurance_paid);
        self.pool -= i128::from(r.socialised);
        self.accts[i].quote += covered as i64;
        self.quote_total += i128::from(covered);
        self.done[i] = true;
        self.s.accounts_bankrupt += 1;
        self.s.bad_debt_usd += debt as f64 / QUOTE_PER_USD;
        self.s.insurance_used_usd += r.insurance_paid as f64 / QUOTE_PER_USD;
        self.s.socialised_usd += r.socialised as f64 / QUOTE_PER_USD;
        self.s.uncovered_usd += r.uncovered as f64 / QUOTE_PER_USD;
    }

    /// Pool balance less traders' net unrealised PnL (the engine's pool valuation) plus the
    /// funding positions owe it and have not settled, USD.
    fn pool_value(&mut self) -> f64 {
        let mut v = self.pool as f64;
        for m in 0..self.w.markets.len() {
            let st = &mut self.mkts[m];
            st.expo.price = self.prices[m];
            v -= traders_unrealized_pnl(&st.expo, Rounding::Down).expect("pool value") as f64;
            v += st.unsettled_funding();
        }
        v / QUOTE_PER_USD
    }

    /// Σ notional / Σ equity over the book, from the aggregates.
    fn aggregate_leverage(&mut self) -> f64 {
        let mut equity = self.quote_total as f64;
        let mut notional = 0.0;
        for m in 0..self.w.markets.len() {
            let st = &mut self.mkts[m];
            st.expo.price = self.prices[m];
            let e = &st.expo;
            equity += traders_unrealized_pnl(e, Rounding::Down).expect("pnl") as f64 - st.unsettled_funding();
            notional += (e.long_base as f64 + e.short_base as f64) * e.price as f64 * 1e-12;
        }
        for (c, &amount) in self.w.cfg.collateral.iter().zip(&self.coll_total) {
            equity += amount as f64 * self.prices[c.market] as f64 * c.price_factor * 1e-12;
        }
        if equity <= 0.0 {
            return MAX_AGGREGATE_LEVERAGE;
        }
        (notional / equity).min(MAX_AGGREGATE_LEVERAGE)
    }

    /// Effective leverage of every account with positions (the engine's `model_account_health`);
    /// accounts with no equity left are reported at 100×.
    fn leverages(&self) -> Vec<f64> {
        (0..self.accts.len())
            .filter(|&i| self.accts[i].has_positions())
            .map(|i| {
                let (mut exps, mut coll) = self.view_parts(i, &self.prices);
                let view = self.view(i, &mut exps, &mut coll);
                let ca = self.coll_asset(i);
                let model = self.w.model(&self.accts[i], &ca);
                let h = model_account_health(&view, &model).expect("account health");
                h.leverage.map_or(100.0, |l| (l as f64 / 1e6).min(100.0))
            })
            .collect()
    }
}
