//! Price paths: correlated geometric Brownian motion with market-wide jumps (Cholesky factor of
//! the correlation matrix), overlaid with a named scenario's deterministic shock.
//!
//! A path stores, per step and market, the log of price / starting price *before* market
//! impact; the simulation adds its own impact state on top.

use crate::config::{Config, ScenarioCfg};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// The named stress scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Instant fall of `gap` (default −40 %) after warm-up.
    Gap,
    /// Fall of `slide` (default −60 %) spread over `slide_days` (default 3).
    Slide,
    /// Flash crash and full recovery.
    Flash,
    /// Oracle stale for `outage_minutes` while prices fall: no liquidations meanwhile.
    Outage,
    /// Volatility and jump intensity regime shift.
    Regime,
}

impl Scenario {
    pub const ALL: [Scenario; 5] =
        [Scenario::Gap, Scenario::Slide, Scenario::Flash, Scenario::Outage, Scenario::Regime];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Gap => "gap",
            Scenario::Slide => "slide",
            Scenario::Flash => "flash",
            Scenario::Outage => "outage",
            Scenario::Regime => "regime",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Number of steps the scenario runs for.
    pub fn steps(self, c: &ScenarioCfg) -> usize {
        let per_hour = 60.0 / c.step_minutes;
        let hours = match self {
            Scenario::Gap => c.gap_hours,
            Scenario::Slide => c.slide_days * 24.0 + 1.0,
            Scenario::Flash => c.flash_hours,
            Scenario::Outage => c.outage_hours,
            Scenario::Regime => c.regime_hours,
        };
        c.warmup_steps + (hours * per_hour).ceil() as usize
    }

    /// Deterministic log shift of prices (× each market's beta) at step `t`.
    pub fn shift(self, c: &ScenarioCfg, t: usize) -> f64 {
        let w = c.warmup_steps as f64;
        let t = t as f64;
        let per_min = 1.0 / c.step_minutes;
        let ramp = |from: f64, len: f64| ((t - from) / len.max(1.0)).clamp(0.0, 1.0);
        match self {
            Scenario::Gap => {
                if t >= w {
                    (1.0 - c.gap).ln()
                } else {
                    0.0
                }
            }
            Scenario::Slide => (1.0 - c.slide).ln() * ramp(w, c.slide_days * 1440.0 * per_min),
            Scenario::Flash => {
                let down = c.flash_down_minutes * per_min;
                let up = c.flash_recover_minutes * per_min;
                let depth = (1.0 - c.flash_drop).ln();
                depth * (ramp(w, down) - ramp(w + down, up))
            }
            Scenario::Outage => (1.0 - c.outage_drop).ln() * ramp(w, c.outage_minutes * per_min),
            Scenario::Regime => 0.0,
        }
    }

    /// Steps during which the oracle is stale, `[from, to)`.
    pub fn stale_window(self, c: &ScenarioCfg) -> Option<(usize, usize)> {
        (self == Scenario::Outage).then(|| {
            let from = c.warmup_steps;
            (from, from + (c.outage_minutes / c.step_minutes).ceil() as usize)
        })
    }

    /// Volatility and jump-intensity multipliers at step `t`.
    fn regime(self, c: &ScenarioCfg, t: usize) -> (f64, f64) {
        if self == Scenario::Regime && t >= c.warmup_steps {
            (c.regime_vol_mult, c.regime_jump_mult)
        } else {
            (1.0, 1.0)
        }
    }
}

/// One price path.
#[derive(Clone, Debug)]
pub struct PricePath {
    pub markets: usize,
    /// `ln(price / start)` per step × market (row-major), impact excluded.
    pub log: Vec<f64>,
    pub stale: Option<(usize, usize)>,
}

impl PricePath {
    pub fn steps(&self) -> usize {
        self.log.len() / self.markets
    }

    #[inline]
    pub fn at(&self, t: usize, m: usize) -> f64 {
        self.log[t * self.markets + m]
    }

    /// A flat path (tests, vectors): every price stays at its start for `steps` steps.
    pub fn flat(markets: usize, steps: usize) -> Self {
        Self { markets, log: vec![0.0; markets * steps], stale: None }
    }
}

/// Lower-triangular `L` with `L Lᵀ = a`, or `None` if `a` is not positive definite.
pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d <= 0.0 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// A reproducible RNG for (seed, stream, index).
pub fn rng_for(seed: u64, stream: u64, index: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    r.set_stream(index);
    r
}

/// Path number `index` of `scenario` for `cfg`'s markets.
pub fn generate(cfg: &Config, scenario: Scenario, index: u64) -> PricePath {
    let sc = &cfg.scenario;
    let n = cfg.markets.len();
    let steps = scenario.steps(sc);
    let l = cholesky(&cfg.correlation).expect("validated correlation");
    let mut rng = rng_for(cfg.seed, 1 + scenario as u64, index);
    let dt_years = sc.step_minutes / (365.0 * 24.0 * 60.0);
    let dt_days = sc.step_minutes / 1440.0;
    let mut x = vec![0.0; n];
    let mut z = vec![0.0; n];
    let mut log = Vec::with_capacity(steps * n);
    for t in 0..steps {
        if t > 0 {
            let (vm, jm) = scenario.regime(sc, t);
            for zi in z.iter_mut() {
                *zi = rng.sample(StandardNormal);
            }
            let jump = if rng.gen::<f64>() < sc.jumps_per_day * jm * dt_days {
                sc.jump_mean + sc.jump_sd * rng.sample::<f64, _>(StandardNormal)
            } else {
                0.0
            };
            for (m, xm) in x.iter_mut().enumerate() {
                let sigma = cfg.markets[m].annual_vol * sc.vol_scale * vm;
                let c: f64 = (0..=m).map(|k| l[m][k] * z[k]).sum();
                *xm += -0.5 * sigma * sigma * dt_years + sigma * dt_years.sqrt() * c + jump * cfg.markets[m].shock_beta;
            }
        }
        let s = scenario.shift(sc, t);
        for (m, xm) in x.iter().enumerate() {
            log.push(xm + s * cfg.markets[m].shock_beta);
        }
    }
    PricePath { markets: n, log, stale: scenario.stale_window(sc) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let a = Config::default().correlation;
        let l = cholesky(&a).unwrap();
        for i in 0..a.len() {
            for j in 0..a.len() {
                let v: f64 = (0..a.len()).map(|k| l[i][k] * l[j][k]).sum();
                assert!((v - a[i][j]).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }

    #[test]
    fn scenarios_reach_their_shock_and_paths_are_reproducible() {
        let mut cfg = Config::default();
        cfg.scenario.vol_scale = 0.0;
        cfg.scenario.jumps_per_day = 0.0;
        let sc = &cfg.scenario;
        let end = |s: Scenario| generate(&cfg, s, 0).at(s.steps(sc) - 1, 0).exp();
        assert!((end(Scenario::Gap) - 0.6).abs() < 1e-12);
        assert!((end(Scenario::Slide) - 0.4).abs() < 1e-12);
        assert!((end(Scenario::Flash) - 1.0).abs() < 1e-12);
        let a = generate(&Config::default(), Scenario::Regime, 3);
        let b = generate(&Config::default(), Scenario::Regime, 3);
        assert_eq!(a.log, b.log);
    }
}
