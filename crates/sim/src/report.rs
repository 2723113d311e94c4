//! Monte Carlo over paths (rayon), per-scenario aggregates, JSON/CSV/terminal output.

use crate::book::World;
use crate::config::{Config, Mechanism, Mechanisms, MAX_MARKETS};
use crate::mech;
use crate::prices::{generate, Scenario};
use crate::sim::{run_path, PathResult, RunOpts, Summary};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// What one scenario's Monte Carlo produced.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub scenario: String,
    pub paths: usize,
    pub accounts: usize,
    pub steps: usize,
    /// Mean of every summary field over the paths.
    pub mean: Map<String, Value>,
    pub bad_debt_p50_usd: f64,
    pub bad_debt_p95_usd: f64,
    pub bad_debt_max_usd: f64,
    /// Share of paths with any bad debt / any socialised loss / any uncovered debt.
    pub p_bad_debt: f64,
    pub p_socialised: f64,
    pub p_uncovered: f64,
    pub insurance_start_usd: f64,
    pub seconds: f64,
    pub account_steps_per_second: f64,
    /// Every path's summary.
    pub per_path: Vec<Summary>,
    /// Path 0 in full (series, leverage histograms).
    #[serde(skip)]
    pub first: PathResult,
}

/// Runs `paths` paths of `scenario` on `world` in parallel; path 0 records series and leverage.
pub fn run_scenario(world: &World, scenario: Scenario, paths: usize, progress: Option<&ProgressBar>) -> ScenarioReport {
    let start = Instant::now();
    let mut results: Vec<PathResult> = (0..paths)
        .into_par_iter()
        .map(|k| {
            let path = generate(&world.cfg, scenario, k as u64);
            let opts = RunOpts { series: k == 0, leverage: k == 0, ..RunOpts::default() };
            let r = run_path(world, &path, opts);
            if let Some(pb) = progress {
                pb.inc(1);
            }
            r
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let per_path: Vec<Summary> = results.iter().map(|r| r.summary).collect();
    let mut first = results.swap_remove(0);
    first.accounts = Vec::new();
    aggregate(scenario.name(), world, per_path, first, seconds)
}

fn aggregate(name: &str, world: &World, per_path: Vec<Summary>, first: PathResult, seconds: f64) -> ScenarioReport {
    let n = per_path.len() as f64;
    let mut mean = Map::new();
    for s in &per_path {
        if let Value::Object(o) = serde_json::to_value(s).expect("summary") {
            for (k, v) in o {
                let x = v.as_f64().unwrap_or(0.0) / n;
                let e = mean.entry(k).or_insert(Value::from(0.0));
                *e = Value::from(e.as_f64().unwrap_or(0.0) + x);
            }
        }
    }
    let mut bad: Vec<f64> = per_path.iter().map(|s| s.bad_debt_usd).collect();
    bad.sort_by(f64::total_cmp);
    let q = |p: f64| bad[((bad.len() - 1) as f64 * p).round() as usize];
    let share = |f: &dyn Fn(&Summary) -> bool| per_path.iter().filter(|s| f(s)).count() as f64 / n;
    let steps_total: u64 = per_path.iter().map(|s| s.account_steps).sum();
    ScenarioReport {
        scenario: name.into(),
        paths: per_path.len(),
        accounts: world.accounts.len(),
        steps: first.series.len(),
        mean,
        bad_debt_p50_usd: q(0.5),
        bad_debt_p95_usd: q(0.95),
        bad_debt_max_usd: q(1.0),
        p_bad_debt: share(&|s| s.bad_debt_usd > 0.0),
        p_socialised: share(&|s| s.socialised_usd > 0.0),
        p_uncovered: share(&|s| s.uncovered_usd > 0.0),
        insurance_start_usd: world.insurance as f64 / 1e6,
        seconds,
        account_steps_per_second: steps_total as f64 / seconds.max(1e-9),
        per_path,
        first,
    }
}

/// Writes `summary.json` and `series.csv` (path 0) under `dir`.
pub fn write_scenario(dir: &Path, world: &World, r: &ScenarioReport) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(r).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), json + "\n")?;
    let n = world.markets.len().min(MAX_MARKETS);
    let mut csv = String::from("step");
    for m in &world.cfg.markets {
        write!(csv, ",price_{}", m.name).expect("write");
    }
    csv.push_str(",liquidations,liquidated_usd,in_margin_call,aggregate_leverage,insurance_usd,pool_value_usd,bad_debt_usd,stale");
    for m in &world.cfg.markets {
        write!(csv, ",maint_ratio_{0},funding_rate_{0},reduce_only_{0}", m.name).expect("write");
    }
    csv.push('\n');
    for row in &r.first.series {
        write!(csv, "{}", row.step).expect("write");
        for p in &row.prices_usd[..n] {
            write!(csv, ",{p:.6}").expect("write");
        }
        writeln!(
            csv,
            ",{},{:.2},{},{:.4},{:.2},{:.2},{:.2},{}",
            row.liquidations,
            row.liquidated_usd,
            row.in_margin_call,
            row.aggregate_leverage,
            row.insurance_usd,
            row.pool_value_usd,
            row.bad_debt_usd,
            u8::from(row.stale)
        )
        .expect("write");
        csv.pop();
        for m in 0..n {
            write!(csv, ",{},{},{}", row.maint_ratio[m], row.funding_rate[m], u8::from(row.reduce_only[m]))
                .expect("write");
        }
        csv.push('\n');
    }
    std::fs::write(dir.join("series.csv"), csv)
}

/// A terminal table: one column per scenario, means over paths.
pub fn table(reports: &[ScenarioReport]) -> String {
    type Cell<'a> = (&'a str, &'a dyn Fn(&ScenarioReport) -> String);
    let rows: [Cell; 17] = [
        ("paths × accounts", &|r| format!("{}×{}", r.paths, r.accounts)),
        ("liquidations", &|r| num(r, "liquidations", 0)),
        ("accounts liquidated", &|r| num(r, "accounts_liquidated", 0)),
        ("liquidated notional $M", &|r| mil(r, "liquidated_notional_usd")),
        ("bad debt (mean) $M", &|r| mil(r, "bad_debt_usd")),
        ("bad debt p95 $M", &|r| format!("{:.3}", r.bad_debt_p95_usd / 1e6)),
        ("P(bad debt > 0)", &|r| format!("{:.2}", r.p_bad_debt)),
        ("insurance fund $M", &|r| format!("{:.3}", r.insurance_start_usd / 1e6)),
        ("insurance used $M", &|r| mil(r, "insurance_used_usd")),
        ("socialised to pool $M", &|r| mil(r, "socialised_usd")),
        ("pool drawdown $M", &|r| mil(r, "pool_drawdown_usd")),
        ("accounts bankrupt", &|r| num(r, "accounts_bankrupt", 1)),
        ("peak aggregate leverage", &|r| num(r, "peak_aggregate_leverage", 2)),
        ("cascade depth (steps)", &|r| num(r, "cascade_depth", 1)),
        ("impact margin calls", &|r| num(r, "impact_margin_calls", 0)),
        ("seconds", &|r| format!("{:.2}", r.seconds)),
        ("M account-steps/s", &|r| format!("{:.0}", r.account_steps_per_second / 1e6)),
    ];
    let mut out = format!("{:<26}", "");
    for r in reports {
        write!(out, "{:>14}", r.scenario).expect("write");
    }
    out.push('\n');
    for (label, f) in rows {
        write!(out, "{label:<26}").expect("write");
        for r in reports {
            write!(out, "{:>14}", f(r)).expect("write");
        }
        out.push('\n');
    }
    out
}

fn mean(r: &ScenarioReport, k: &str) -> f64 {
    r.mean.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

fn num(r: &ScenarioReport, k: &str, decimals: usize) -> String {
    format!("{:.*}", decimals, mean(r, k))
}

fn mil(r: &ScenarioReport, k: &str) -> String {
    format!("{:.3}", mean(r, k) / 1e6)
}

/// One cell row of the mechanism table: a scenario run with one set of mechanisms.
#[derive(Clone, Debug, Serialize)]
pub struct MechRow {
    pub scenario: String,
    pub label: String,
    pub mechanisms: String,
    pub paths: usize,
    /// Book open interest the gates let through, USD.
    pub opened_usd: f64,
    pub pool_value_start_usd: f64,
    pub insurance_usd: f64,
    /// Means over paths, USD.
    pub bad_debt_usd: f64,
    pub socialised_usd: f64,
    pub socialised_max_usd: f64,
    pub pool_pnl_usd: f64,
    pub winners_haircut_usd: f64,
    pub winners_haircut_peak_usd: f64,
    /// Largest number of ADL episodes on any path, and the mean.
    pub adl_episodes_max: u64,
    pub adl_episodes_mean: f64,
    /// Share of paths with any socialised loss.
    pub p_socialised: f64,
    pub liquidations: f64,
    pub breaker_trips: f64,
    pub peak_maint_ratio: f64,
}

impl MechRow {
    /// Socialised loss as a share of the pool's value at the start (mean over paths).
    pub fn socialised_pct(&self) -> f64 {
        100.0 * self.socialised_usd / self.pool_value_start_usd.max(1e-9)
    }
}

/// Runs `scenario` on a book built with `mech` (the book itself depends on the gates).
pub fn mech_row(cfg: &Config, scenario: Scenario, mech: Mechanisms, label: &str, paths: usize) -> MechRow {
    let mut c = cfg.clone();
    c.mechanisms = mech;
    let world = World::generate(&c);
    let r = run_scenario(&world, scenario, paths, None);
    let n = r.per_path.len().max(1) as f64;
    let mean = |f: &dyn Fn(&Summary) -> f64| r.per_path.iter().map(f).sum::<f64>() / n;
    MechRow {
        scenario: scenario.name().into(),
        label: label.into(),
        mechanisms: mech.label(),
        paths,
        opened_usd: world.stats.opened_usd,
        pool_value_start_usd: mean(&|s| s.pool_value_start_usd),
        insurance_usd: r.insurance_start_usd,
        bad_debt_usd: mean(&|s| s.bad_debt_usd),
        socialised_usd: mean(&|s| s.socialised_usd),
        socialised_max_usd: r.per_path.iter().map(|s| s.socialised_usd).fold(0.0, f64::max),
        pool_pnl_usd: mean(&|s| s.pool_pnl_usd),
        winners_haircut_usd: mean(&|s| s.winners_haircut_usd),
        winners_haircut_peak_usd: mean(&|s| s.winners_haircut_peak_usd),
        adl_episodes_max: r.per_path.iter().map(|s| s.adl_episodes).max().unwrap_or(0),
        adl_episodes_mean: mean(&|s| s.adl_episodes as f64),
        p_socialised: r.p_socialised,
        liquidations: mean(&|s| s.liquidations as f64),
        breaker_trips: mean(&|s| s.breaker_trips as f64),
        peak_maint_ratio: mean(&|s| s.peak_maint_ratio as f64),
    }
}

/// The scenario × mechanism table: main's simulator (none), each mechanism alone, the configured
/// set ("after"), and the configured set without each of its mechanisms (what each contributes
/// with the others on).
pub fn mechanism_matrix(cfg: &Config, scenarios: &[Scenario], paths: usize) -> Vec<MechRow> {
    let after = cfg.mechanisms;
    let mut rows = Vec::new();
    for &s in scenarios {
        let mut sets = vec![("none (before)".to_string(), Mechanisms::NONE)];
        for m in Mechanism::ALL {
            sets.push((format!("only {}", m.name()), Mechanisms::NONE.with(m, true)));
        }
        sets.push(("after".to_string(), after));
        for m in Mechanism::ALL.into_iter().filter(|m| after.get(*m)) {
            sets.push((format!("after without {}", m.name()), after.with(m, false)));
        }
        let mut out: Vec<MechRow> =
            sets.par_iter().map(|(label, mech)| mech_row(cfg, s, *mech, label, paths)).collect();
        rows.append(&mut out);
    }
    rows
}

/// The mechanism table as Markdown.
pub fn matrix_markdown(rows: &[MechRow]) -> String {
    let mut out = String::from(
        "| scenario | mechanisms | book OI $M | bad debt $M | ÷ insurance | socialised $M (max) | % of pool value | nothing socialised | ADL episodes max (mean) | PnL cap held back, peak (paid short by ADL) $M | pool PnL $M | liquidations |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        writeln!(
            out,
            "| {} | {}{} | {:.1} | {:.3} | {:.1}× | {:.3} ({:.3}) | {:.2} % | {} | {} ({:.1}) | {:.3} ({:.3}) | {:.3} | {:.0} |",
            r.scenario,
            r.label,
            if mech::all_wired(&r.mechanisms) { "" } else { " ¹" },
            r.opened_usd / 1e6,
            r.bad_debt_usd / 1e6,
            r.bad_debt_usd / r.insurance_usd.max(1e-9),
            r.socialised_usd / 1e6,
            r.socialised_max_usd / 1e6,
            r.socialised_pct(),
            if r.p_socialised == 0.0 { "yes" } else { "no" },
            r.adl_episodes_max,
            r.adl_episodes_mean,
            r.winners_haircut_peak_usd / 1e6,
            r.winners_haircut_usd / 1e6,
            r.pool_pnl_usd / 1e6,
            r.liquidations,
        )
        .expect("write");
    }
    out
}

/// Before (every mechanism off) and after (the configured set) for each scenario, side by side.
pub fn before_after_table(before: &[ScenarioReport], after: &[ScenarioReport]) -> String {
    let mut out = format!("{:<26}", "before → after");
    for r in before {
        write!(out, "{:>24}", r.scenario).expect("write");
    }
    out.push('\n');
    type Get<'a> = &'a dyn Fn(&ScenarioReport) -> f64;
    let rows: [(&str, Get, f64, usize); 8] = [
        ("bad debt (mean) $M", &|r| mean(r, "bad_debt_usd"), 1e6, 3),
        ("insurance used $M", &|r| mean(r, "insurance_used_usd"), 1e6, 3),
        ("socialised $M", &|r| mean(r, "socialised_usd"), 1e6, 3),
        (
            "socialised % pool value",
            &|r| 100.0 * mean(r, "socialised_usd") / mean(r, "pool_value_start_usd").max(1e-9),
            1.0,
            2,
        ),
        ("P(socialised > 0)", &|r| r.p_socialised, 1.0, 2),
        ("ADL episodes (mean)", &|r| mean(r, "adl_episodes"), 1.0, 2),
        ("liquidations", &|r| mean(r, "liquidations"), 1.0, 0),
        ("pool PnL $M", &|r| mean(r, "pool_pnl_usd"), 1e6, 3),
    ];
    for (label, f, div, d) in rows {
        write!(out, "{label:<26}").expect("write");
        for (b, a) in before.iter().zip(after) {
            write!(out, "{:>24}", format!("{:.*} → {:.*}", d, f(b) / div, d, f(a) / div)).expect("write");
        }
        out.push('\n');
    }
    out
}
