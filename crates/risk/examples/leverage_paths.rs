//! Max leverage of a SOL-PERP-like market (10x floor, z = 3, 1 h horizon, 10 min EWMA) along a
//! calm and a volatile synthetic price path, one observation a minute for three hours.
//!
//!   cargo run -p fulcrum-risk --example leverage_paths

use fulcrum_risk::*;

fn path(step_ppm: u64, minutes: u64) -> Vec<u64> {
    // Deterministic zig-zag with a drift: ±step each minute, every third minute skipped.
    let mut p = 100_000_000_000u64;
    let mut out = vec![p];
    for i in 0..minutes {
        let up = i % 3 != 1;
        let d = p / 1_000_000 * step_ppm;
        p = if up { p + d } else { p - d };
        out.push(p);
    }
    out
}

fn main() {
    let params = DynamicParams {
        init_floor: 100_000,
        maint_floor: 50_000,
        vol_z: 3_000_000,
        vol_horizon_secs: 3_600,
        vol_decay_secs: 600,
        maint_fraction: 500_000,
        max_maint_increase_per_hour: 10_000,
        ..DynamicParams::default()
    };
    println!("max leverage = 1 / effective initial ratio (maintenance target in brackets)");
    println!("{:>8} {:>24} {:>24} {:>24}", "minute", "calm (0.1%/min)", "moderate (0.5%/min)", "volatile (2%/min)");
    let paths = [path(1_000, 180), path(5_000, 180), path(20_000, 180)];
    let mut var = [0u64; 3];
    for m in 1..=180usize {
        for (v, p) in var.iter_mut().zip(&paths) {
            *v = update_variance(*v, p[m - 1], p[m], 60, params.vol_decay_secs).unwrap();
        }
        if m % 20 == 0 {
            let lev = |v: u64| {
                let (init, maint) = dynamic_ratios(v, 0, 0, 0, &params).unwrap();
                format!("{:>5.2}x ({:>4.1}%)", 1e6 / init as f64, maint as f64 / 1e4)
            };
            println!("{m:>8} {:>24} {:>24} {:>24}", lev(var[0]), lev(var[1]), lev(var[2]));
        }
    }
}
