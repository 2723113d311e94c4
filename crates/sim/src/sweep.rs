//! Parameter sweep: maintenance ratio × liquidation buffer → probability of bad debt.
//!
//! The book is built once (its sizes depend on the initial ratio, which the sweep holds), then
//! every cell replays the same price paths with its own maintenance ratio and buffer.

use crate::book::World;
use crate::config::Config;
use crate::prices::{generate, Scenario};
use crate::sim::{run_path, RunOpts};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    pub scenario: String,
    pub accounts: usize,
    pub paths: usize,
    pub maint_ratios: Vec<u32>,
    pub buffers: Vec<u32>,
    /// `p_bad_debt[i][j]`: share of paths with bad debt at `maint_ratios[i]`, `buffers[j]`.
    pub p_bad_debt: Vec<Vec<f64>>,
    /// Mean bad debt, USD, same layout.
    pub mean_bad_debt_usd: Vec<Vec<f64>>,
}

/// Runs the sweep described by `cfg.sweep`.
pub fn sweep(cfg: &Config, progress: Option<&ProgressBar>) -> Result<SweepReport, String> {
    let sw = &cfg.sweep;
    let scenario = Scenario::parse(&sw.scenario).ok_or_else(|| format!("unknown scenario {}", sw.scenario))?;
    let mut base = cfg.clone();
    base.book.accounts = sw.accounts;
    let book = World::generate(&base);
    let mut worlds = Vec::new();
    for &mr in &sw.maint_ratios {
        for &buffer in &sw.buffers {
            let mut c = base.clone();
            for m in &mut c.markets {
                if mr >= m.init_margin_ratio {
                    return Err(format!("sweep maint ratio {mr} ≥ {} init ratio", m.name));
                }
                m.maint_margin_ratio = mr;
            }
            c.protocol.buffer = buffer;
            let mut w = World::with_accounts(c, book.accounts.clone());
            w.pool = book.pool;
            w.insurance = book.insurance;
            worlds.push(w);
        }
    }
    let paths: Vec<_> = (0..sw.paths).map(|k| generate(&base, scenario, k as u64)).collect();
    let bad: Vec<f64> = (0..worlds.len() * sw.paths)
        .into_par_iter()
        .map(|task| {
            let (cell, k) = (task / sw.paths, task % sw.paths);
            let r = run_path(&worlds[cell], &paths[k], RunOpts::default());
            if let Some(pb) = progress {
                pb.inc(1);
            }
            r.summary.bad_debt_usd
        })
        .collect();
    let nb = sw.buffers.len();
    let cell = |i: usize, j: usize| &bad[(i * nb + j) * sw.paths..(i * nb + j + 1) * sw.paths];
    let grid = |f: &dyn Fn(&[f64]) -> f64| -> Vec<Vec<f64>> {
        (0..sw.maint_ratios.len()).map(|i| (0..nb).map(|j| f(cell(i, j))).collect()).collect()
    };
    let n = sw.paths as f64;
    Ok(SweepReport {
        scenario: sw.scenario.clone(),
        accounts: sw.accounts,
        paths: sw.paths,
        maint_ratios: sw.maint_ratios.clone(),
        buffers: sw.buffers.clone(),
        p_bad_debt: grid(&|c| c.iter().filter(|&&b| b > 0.0).count() as f64 / n),
        mean_bad_debt_usd: grid(&|c| c.iter().sum::<f64>() / n),
    })
}
