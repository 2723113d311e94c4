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
//! Where future rules plug in:
//! - dynamic margin: [`State::market_risk`] (the market parameters every engine call sees);
//! - funding: the `cumulative_funding` field set in [`State::market_risk`];
//! - circuit breakers and oracle staleness: [`State::liquidations_paused`].

use crate::book::{Account, World, QUOTE_PER_USD};
use crate::config::MAX_MARKETS;
use crate::prices::PricePath;
use fulcrum_risk::{
    account_health, health, in_margin_call, is_liquidatable, largest_requirement, margin_ratio,
    plan_collateral_liquidation, plan_perp_liquidation, resolve_bankruptcy, traders_unrealized_pnl, Collateral, Health,
    LiquidationParams, MarginKind, MarketExposure, PerpExposure, PerpMarketRisk, PerpPosition, Price, Rounding,
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
    call: Vec<u64>,
    in_queue: Vec<bool>,
    done: Vec<bool>,
    liquidated: Vec<bool>,
    queue: Vec<u32>,
    pool: i128,
    insurance: i128,
    keeper: i128,
    quote_total: i128,
    expo: [MarketExposure; MAX_MARKETS],
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
    let decay = 0.5f64.powf(1.0 / world.cfg.response.impact_half_life_steps.max(1e-9));
    let pool_start = st.pool_value();
    let mut pool_peak = pool_start;
    let mut streak = 0;
    let mut series = Vec::with_capacity(if opts.series { steps } else { 0 });
    for t in 0..steps {
        let stale = path.stale.is_some_and(|(a, b)| t >= a && t < b);
        if !stale {
            for m in 0..n {
                let p0 = world.markets[m].p0 as f64;
                let x = path.at(t, m);
                st.raw_prices[m] = ((p0 * x.exp()).round() as u64).max(1);
                st.prices[m] = ((p0 * (x + st.impact[m]).exp()).round() as u64).max(1);
            }
        }
        st.step_liqs = 0;
        st.step_liq_usd = 0.0;
        st.step_impact_calls = 0;
        st.closed_usd = [0.0; MAX_MARKETS];
        st.scan(t as u64);
        if !st.liquidations_paused(stale) {
            st.keeper(t as u64);
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
            });
        }
    }
    st.s.account_steps = (steps * world.accounts.len()) as u64;
    st.s.pool_pnl_usd = st.pool_value() - pool_start;
    st.s.insurance_end_usd = usd(st.insurance);
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
        let mut expo = [MarketExposure::default(); MAX_MARKETS];
        let mut prices = [1u64; MAX_MARKETS];
        for (m, ms) in w.markets.iter().enumerate() {
            prices[m] = ms.p0;
            expo[m].price = ms.p0;
        }
        let mut coll_total = vec![0u128; w.cfg.collateral.len()];
        for a in &w.accounts {
            if let Some(c) = coll_total.get_mut(usize::from(a.coll_idx)) {
                *c += u128::from(a.coll_amount);
            }
            for (m, pos) in a.pos.iter().enumerate() {
                add_exposure(&mut expo[m], pos, 1);
            }
        }
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
            call: vec![NOT_IN_CALL; n],
            in_queue: vec![false; n],
            done: vec![false; n],
            liquidated: vec![false; n],
            queue: Vec::new(),
            pool: w.pool,
            insurance: w.insurance,
            keeper: 0,
            quote_total: w.accounts.iter().map(|a| i128::from(a.quote)).sum(),
            expo,
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

    /// The market parameters every engine call sees at the current prices. Dynamic margin
    /// (ratios as a function of open interest or volatility) and funding (the cumulative index)
    /// belong here once the engine defines them.
    #[inline]
    fn market_risk(&self, m: usize, prices: &[u64; MAX_MARKETS]) -> PerpMarketRisk {
        PerpMarketRisk { price: Price::flat(prices[m]), ..self.w.markets[m].risk }
    }

    /// Whether keepers are blocked this step: a stale oracle now; circuit breakers later.
    fn liquidations_paused(&self, stale: bool) -> bool {
        stale
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
        health(&view, MarginKind::Maintenance).expect("health")
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
        for i in 0..self.accts.len() {
            let b = &self.band[i];
            let mut out = self.opts.exhaustive && !self.done[i];
            for m in 0..n {
                out |= p[m] < b[m].0 || p[m] > b[m].1;
            }
            if out {
                self.evaluate(i, t);
            }
        }
    }

    /// Full evaluation of account `i`: margin call state and a fresh band.
    fn evaluate(&mut self, i: usize, t: u64) {
        let maint = self.maint_at(i, &self.prices);
        let was = self.call[i] != NOT_IN_CALL;
        let now = in_margin_call(was, &maint, self.lp.buffer).expect("margin call");
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
            self.band[i] = self.band_of(i, &maint);
        }
    }

    /// Prices per market inside which account `i` (free collateral `maint`) stays at or above
    /// maintenance, everything else held: free collateral is linear in each price with slope
    /// `base − |base| × ratio` (plus collateral × weight); each market gets an equal share of it,
    /// less a margin for the engine's rounding.
    fn band_of(&self, i: usize, maint: &Health) -> Band {
        let a = &self.accts[i];
        let n = self.w.markets.len();
        let mut slope = [0f64; MAX_MARKETS];
        let mut scale = 0.0;
        for (m, sl) in slope.iter_mut().enumerate().take(n) {
            let b = a.pos[m].base;
            if b != 0 {
                let r = margin_ratio(b, &self.w.markets[m].risk, MarginKind::Maintenance).expect("ratio") as f64;
                *sl += (b as f64 - b.unsigned_abs() as f64 * r * 1e-6) * 1e-12;
                scale += b.unsigned_abs() as f64 * self.prices[m] as f64 * 1e-12;
            }
        }
        if let Some(c) = self.w.cfg.collateral.get(usize::from(a.coll_idx)) {
            let k = a.coll_amount as f64 * c.price_factor * 1e-12;
            slope[c.market] += k * f64::from(c.maint_asset_weight) * 1e-6;
            scale += k * self.prices[c.market] as f64;
        }
        let k = slope.iter().filter(|&&s| s != 0.0).count();
        if k == 0 {
            return if maint.is_met() { FULL } else { EMPTY };
        }
        let free = (maint.equity - maint.requirement) as f64;
        let avail = free - 4.0 - 8.0 * k as f64 - 1e-8 * scale;
        if avail <= 0.0 {
            return EMPTY;
        }
        let share = avail / k as f64;
        let mut band = FULL;
        for m in 0..n {
            let p = self.prices[m] as f64;
            if slope[m] > 0.0 {
                band[m].0 = (p - share / slope[m]).max(0.0).ceil() as u64;
            } else if slope[m] < 0.0 {
                band[m].1 = (p + share / -slope[m]).min(u64::MAX as f64).floor() as u64;
            }
        }
        band
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
            let ok = is_liquidatable(&maint, call, t, p.grace_steps, p.hard_threshold).expect("liquidatable");
            if !ok {
                keep.push(i as u32);
                continue;
            }
            self.keeper_action(i, t as usize);
            actions += 1;
            let maint = self.maint_at(i, &self.prices);
            let still = in_margin_call(true, &maint, self.lp.buffer).expect("margin call");
            if still && !self.done[i] {
                keep.push(i as u32);
            } else {
                self.in_queue[i] = false;
                self.call[i] = NOT_IN_CALL;
                self.band[i] = if self.done[i] { FULL } else { self.band_of(i, &maint) };
            }
        }
        self.queue = keep;
    }

    /// One liquidation instruction on account `i`, as the program applies it.
    fn keeper_action(&mut self, i: usize, t: usize) {
        let a = self.accts[i];
        let (mut exps, mut coll) = self.view_parts(i, &self.prices);
        let view = self.view(i, &mut exps, &mut coll);
        if a.has_positions() {
            let m = largest_requirement(&view).expect("largest").expect("a position");
            let step = self.w.markets[m].step;
            let plan = plan_perp_liquidation(&view, m, step, &self.lp).expect("plan");
            // Fill at the oracle with no fee: realised PnL moves from the pool to the account.
            // Then the account pays the liquidator and the insurance fund.
            let fees = i128::from(plan.liquidator_fee) + i128::from(plan.insurance_fee);
            let quote = i128::from(a.quote) + i128::from(plan.realized_pnl) - fees;
            let quote = i64::try_from(quote).expect("quote fits i64");
            self.pool -= i128::from(plan.realized_pnl);
            self.keeper += i128::from(plan.liquidator_fee);
            self.insurance += i128::from(plan.insurance_fee);
            self.quote_total += i128::from(quote) - i128::from(a.quote);
            add_exposure(&mut self.expo[m], &a.pos[m], -1);
            add_exposure(&mut self.expo[m], &plan.position, 1);
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
        } else if a.quote < 0 && a.coll_amount > 0 {
            let p = &self.w.cfg.protocol;
            let debt = a.quote.unsigned_abs();
            match plan_collateral_liquidation(&view, 0, debt, p.collateral_discount, p.buffer) {
                Ok(plan) => {
                    // The liquidator repays debt with its own quote and takes the collateral.
                    let acct = &mut self.accts[i];
                    acct.quote += plan.repay as i64;
                    acct.coll_amount -= plan.collateral_out;
                    self.keeper -= i128::from(plan.repay);
                    self.quote_total += i128::from(plan.repay);
                    self.coll_total[usize::from(a.coll_idx)] -= u128::from(plan.collateral_out);
                    let acct = &self.accts[i];
                    if acct.coll_amount == 0 && acct.quote < 0 {
                        self.bankrupt(i);
                    }
                }
                // Collateral worth less than one quote unit: nothing a liquidator can buy.
                Err(_) => self.bankrupt(i),
            }
        } else if a.quote < 0 {
            self.bankrupt(i);
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

    /// Pool balance less traders' net unrealised PnL (the engine's pool valuation), USD.
    fn pool_value(&mut self) -> f64 {
        let mut v = self.pool;
        for m in 0..self.w.markets.len() {
            self.expo[m].price = self.prices[m];
            v -= traders_unrealized_pnl(&self.expo[m], Rounding::Down).expect("pool value");
        }
        usd(v)
    }

    /// Σ notional / Σ equity over the book, from the aggregates.
    fn aggregate_leverage(&mut self) -> f64 {
        let mut equity = self.quote_total as f64;
        let mut notional = 0.0;
        for m in 0..self.w.markets.len() {
            let e = &mut self.expo[m];
            e.price = self.prices[m];
            equity += traders_unrealized_pnl(e, Rounding::Down).expect("pnl") as f64;
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

    /// Effective leverage of every account with positions (the engine's `account_health`);
    /// accounts with no equity left are reported at 100×.
    fn leverages(&self) -> Vec<f64> {
        (0..self.accts.len())
            .filter(|&i| self.accts[i].has_positions())
            .map(|i| {
                let (mut exps, mut coll) = self.view_parts(i, &self.prices);
                let view = self.view(i, &mut exps, &mut coll);
                let h = account_health(&view).expect("account health");
                h.leverage.map_or(100.0, |l| (l as f64 / 1e6).min(100.0))
            })
            .collect()
    }
}

/// Adds (`sign` = 1) or removes (−1) a position from its market's open-interest aggregate.
fn add_exposure(e: &mut MarketExposure, pos: &PerpPosition, sign: i64) {
    if pos.base > 0 {
        e.long_base = e.long_base.wrapping_add_signed(sign * pos.base);
        e.long_quote_entry += sign * pos.quote_entry;
    } else if pos.base < 0 {
        e.short_base = e.short_base.wrapping_add_signed(sign * -pos.base);
        e.short_quote_entry += sign * pos.quote_entry;
    }
}
