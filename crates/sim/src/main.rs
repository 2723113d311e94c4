//! `fulcrum-sim`: the stress report (default), a single scenario set, the parameter sweep, or the
//! throughput benchmark.

use clap::{Args, Parser, Subcommand};
use fulcrum_sim::config::Mechanisms;
use fulcrum_sim::prices::generate;
use fulcrum_sim::report::{
    before_after_table, matrix_markdown, mechanism_matrix, run_scenario, table, write_scenario, ScenarioReport,
};
use fulcrum_sim::{plots, run_path, sweep, Config, RunOpts, Scenario, World};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "fulcrum-sim", about = "Fulcrum stress-test simulator (risk engine: fulcrum-risk)")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand)]
enum Cmd {
    /// Scenarios (all by default) + sweep, with summaries, CSV and plots (the default command).
    Report,
    /// Only the maintenance ratio × buffer sweep.
    Sweep,
    /// Scenario × mechanism table (gap and slide by default): every mechanism off, each alone,
    /// the configured set, and the configured set without each; writes matrix.{json,md}.
    Matrix,
    /// Throughput: account-steps per second on the book (no output files).
    Bench,
}

#[derive(Args)]
struct Common {
    /// Scenario(s) to run; repeat the flag for several. Default: all.
    #[arg(long, global = true, value_enum)]
    scenario: Vec<Scenario>,
    /// TOML file overriding any part of the default configuration.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Output directory (relative to the working directory; `target/` is git-ignored).
    #[arg(long, global = true, default_value = "target/sim-report")]
    out: PathBuf,
    /// Monte Carlo paths per scenario.
    #[arg(long, global = true)]
    paths: Option<usize>,
    /// Accounts in the book.
    #[arg(long, global = true)]
    accounts: Option<usize>,
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Mechanisms on ("after"): `none`, `all`, `default` or a comma-separated list
    /// (dynamic_margin, funding, circuit_breaker, latency_spread, reserve, oi_limit, pnl_cap,
    /// adl, borrow_fee). Default: the config's `[mechanisms]`.
    #[arg(long, global = true)]
    mechanisms: Option<String>,
    /// Skip the sweep in `report`.
    #[arg(long, global = true)]
    no_sweep: bool,
    /// Skip the plots.
    #[arg(long, global = true)]
    no_plots: bool,
    /// `bench` only: evaluate every account through the engine at every step (no price bands),
    /// to measure what the band filter saves.
    #[arg(long, global = true)]
    exhaustive: bool,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("fulcrum-sim: {e}");
        std::process::exit(1);
    }
}

fn load(c: &Common) -> Result<Config, String> {
    let mut cfg = match &c.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Config::from_toml(&text)?
        }
        None => Config::default(),
    };
    if let Some(p) = c.paths {
        cfg.paths = p;
    }
    if let Some(n) = c.accounts {
        cfg.book.accounts = n;
    }
    if let Some(s) = c.seed {
        cfg.seed = s;
    }
    if let Some(m) = &c.mechanisms {
        cfg.mechanisms = fulcrum_sim::config::Mechanisms::parse(m)?;
    }
    cfg.validate()?;
    Ok(cfg)
}

fn bar(len: u64, msg: String) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>18} [{bar:40}] {pos}/{len} paths {elapsed_precise}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(msg);
    pb
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let c = &cli.common;
    let cfg = load(c)?;
    let scenarios = if c.scenario.is_empty() { Scenario::ALL.to_vec() } else { c.scenario.clone() };
    match cli.cmd.unwrap_or(Cmd::Report) {
        Cmd::Report => report(&cfg, &scenarios, c),
        Cmd::Sweep => run_sweep(&cfg, &c.out, !c.no_plots),
        Cmd::Matrix => {
            let scenarios =
                if c.scenario.is_empty() { vec![Scenario::Gap, Scenario::Slide] } else { c.scenario.clone() };
            matrix(&cfg, &scenarios, &c.out)
        }
        Cmd::Bench => bench(&cfg, &scenarios, c.exhaustive),
    }
}

fn report(cfg: &Config, scenarios: &[Scenario], c: &Common) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    std::fs::create_dir_all(&c.out)?;
    let t = Instant::now();
    let world = World::generate(cfg);
    let before_cfg = fulcrum_sim::Config { mechanisms: Mechanisms::NONE, ..cfg.clone() };
    let before_world = World::generate(&before_cfg);
    eprintln!(
        "book: {} account units ({} cross, {} portfolio, {} isolated traders), {} markets, pool ${:.1}M, insurance ${:.2}M (built in {:.2}s)",
        world.accounts.len(),
        world.stats.cross,
        world.stats.portfolio,
        world.stats.isolated,
        world.markets.len(),
        world.pool as f64 / 1e12,
        world.insurance as f64 / 1e12,
        t.elapsed().as_secs_f64()
    );
    for (name, w) in [("before", &before_world), ("after", &world)] {
        let s = &w.stats;
        eprintln!(
            "{name:>6}: mechanisms {}; open interest ${:.1}M of ${:.1}M wanted (long ${:.1}M, short ${:.1}M); cut by margin ${:.1}M, OI cap ${:.1}M, reserve ${:.1}M, OI limit ${:.1}M",
            w.cfg.mechanisms.label(),
            s.opened_usd / 1e6,
            s.wanted_usd / 1e6,
            s.long_usd / 1e6,
            s.short_usd / 1e6,
            s.cut_by_margin_usd / 1e6,
            s.cut_by_oi_cap_usd / 1e6,
            s.cut_by_reserve_usd / 1e6,
            s.cut_by_oi_limit_usd / 1e6,
        );
    }
    for m in fulcrum_sim::config::Mechanism::ALL {
        if cfg.mechanisms.get(m) && !fulcrum_sim::mech::wired(m) {
            eprintln!(
                "note: mechanism {} is on but not wired to crates/risk in this build: it changes nothing",
                m.name()
            );
        }
    }
    if !c.no_plots && !plots::text() {
        eprintln!("note: no TrueType font found (fonts-dejavu-core); plots are drawn without text");
    }
    let mut reports: Vec<ScenarioReport> = Vec::new();
    let mut befores: Vec<ScenarioReport> = Vec::new();
    for &s in scenarios {
        let pb = bar(cfg.paths as u64, format!("{} (before)", s.name()));
        let r = run_scenario(&before_world, s, cfg.paths, Some(&pb));
        pb.finish();
        write_scenario(&c.out.join("before").join(s.name()), &before_world, &r)?;
        befores.push(r);
        let pb = bar(cfg.paths as u64, s.name().to_string());
        let r = run_scenario(&world, s, cfg.paths, Some(&pb));
        pb.finish();
        let dir = c.out.join(s.name());
        write_scenario(&dir, &world, &r)?;
        if !c.no_plots {
            plots::scenario_plots(&dir, &world, &r)?;
        }
        reports.push(r);
    }
    let all: Vec<_> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "scenario": r.scenario, "paths": r.paths, "accounts": r.accounts, "mean": r.mean,
                "bad_debt_p95_usd": r.bad_debt_p95_usd, "bad_debt_max_usd": r.bad_debt_max_usd,
                "p_bad_debt": r.p_bad_debt, "p_socialised": r.p_socialised,
                "insurance_start_usd": r.insurance_start_usd,
                "account_steps_per_second": r.account_steps_per_second,
            })
        })
        .collect();
    let summary = serde_json::json!({ "config": cfg, "scenarios": all });
    std::fs::write(c.out.join("summary.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    println!("\n{}", table(&reports));
    println!("{}", before_after_table(&befores, &reports));
    for r in &reports {
        let mean = |k: &str| r.mean.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0) / 1e6;
        println!(
            "{:>7}: bad debt mean ${:.3}M (p95 ${:.3}M, max ${:.3}M) vs insurance fund ${:.3}M; insurance used ${:.3}M, socialised ${:.3}M",
            r.scenario,
            mean("bad_debt_usd"),
            r.bad_debt_p95_usd / 1e6,
            r.bad_debt_max_usd / 1e6,
            r.insurance_start_usd / 1e6,
            mean("insurance_used_usd"),
            mean("socialised_usd"),
        );
    }
    if !c.no_sweep {
        run_sweep(cfg, &c.out, !c.no_plots)?;
    }
    println!("\nwrote {} in {:.1}s", c.out.display(), start.elapsed().as_secs_f64());
    Ok(())
}

fn matrix(cfg: &fulcrum_sim::Config, scenarios: &[Scenario], out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    let t = Instant::now();
    let rows = mechanism_matrix(cfg, scenarios, cfg.paths);
    let md = matrix_markdown(&rows);
    std::fs::write(out.join("matrix.json"), serde_json::to_string_pretty(&rows)? + "\n")?;
    std::fs::write(out.join("matrix.md"), &md)?;
    println!("{md}");
    println!(
        "{} paths × {} accounts per row; ¹ a mechanism in the row is not wired to crates/risk in this build (no effect). {:.1}s",
        cfg.paths,
        cfg.book.accounts,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_sweep(cfg: &Config, out: &Path, plot: bool) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    let sw = &cfg.sweep;
    let cells = sw.maint_ratios.len() * sw.buffers.len();
    let pb = bar((cells * sw.paths) as u64, "sweep".into());
    let s = sweep::sweep(cfg, Some(&pb))?;
    pb.finish();
    std::fs::write(out.join("sweep.json"), serde_json::to_string_pretty(&s)? + "\n")?;
    if plot {
        plots::sweep_plot(out, &s)?;
    }
    println!("\nP(bad debt) — {} scenario; rows: maintenance ratio, columns: buffer", s.scenario);
    print!("{:>8}", "");
    for b in &s.buffers {
        print!("{:>8}", format!("{}%", f64::from(*b) / 1e4));
    }
    println!();
    for (i, row) in s.p_bad_debt.iter().enumerate() {
        print!("{:>8}", format!("{}%", f64::from(s.maint_ratios[i]) / 1e4));
        for p in row {
            print!("{p:>8.2}");
        }
        println!();
    }
    Ok(())
}

fn bench(cfg: &Config, scenarios: &[Scenario], exhaustive: bool) -> Result<(), Box<dyn std::error::Error>> {
    let world = World::generate(cfg);
    let threads = rayon::current_num_threads();
    println!("bench: {} accounts, {} paths per scenario, {threads} threads", world.accounts.len(), cfg.paths);
    let (mut total_steps, mut total_secs) = (0u64, 0f64);
    for &s in scenarios {
        let paths: Vec<_> = (0..cfg.paths).map(|k| generate(cfg, s, k as u64)).collect();
        let t = Instant::now();
        let steps: u64 = paths
            .par_iter()
            .map(|p| run_path(&world, p, RunOpts { exhaustive, ..RunOpts::default() }).summary.account_steps)
            .sum();
        let secs = t.elapsed().as_secs_f64();
        total_steps += steps;
        total_secs += secs;
        println!(
            "{:>7}: {:>6.0} M account-steps in {secs:.2}s = {:.1} M account-steps/s",
            s.name(),
            steps as f64 / 1e6,
            steps as f64 / secs / 1e6
        );
    }
    println!(
        "overall: {:.1} M account-steps/s ({:.0} M in {:.2}s)",
        total_steps as f64 / total_secs / 1e6,
        total_steps as f64 / 1e6,
        total_secs
    );
    Ok(())
}
