//! Monte Carlo over paths (rayon), per-scenario aggregates, JSON/CSV/terminal output.

use crate::book::World;
use crate::config::MAX_MARKETS;
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
    csv.push_str(",liquidations,liquidated_usd,in_margin_call,aggregate_leverage,insurance_usd,pool_value_usd,bad_debt_usd,stale\n");
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
