//! Test vectors for the TypeScript mirror of `fulcrum_risk::rate` (`app/src/risk/rate.ts`,
//! yield-bearing collateral): random pool states, accepted rates, prices and clocks with what
//! every rule returns (or the error it returns), as JSON (integers as decimal strings). A
//! fixed-seed xorshift64* makes the file reproducible.
//!
//!   cargo run -q -p fulcrum-risk --bin rate-vectors -- app/vectors/rate.json

use fulcrum_risk::*;

mod common;
use common::*;

const CASES: usize = 512;
const SEED: u64 = 0x0018_2a7e_u64 ^ 0x9e37_79b9_7f4a_7c15;

/// A result as JSON: the value, or the error's name as `{"error": "…"}`.
fn out<T: ToString>(r: MathResult<T>) -> String {
    r.map_or_else(|e| obj(&[("error", format!("\"{e:?}\""))]), s)
}

fn price(p: Price) -> String {
    obj(&[("oracle", s(p.oracle)), ("ema", s(p.ema))])
}

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: rate-vectors <out.json>")?;
    let mut r = Rng(SEED);
    let mut cases = vec![];
    for case in 0..CASES {
        // A pool: SOL-like assets against its shares, sometimes empty or broken.
        let shares = if r.chance(3) { 0 } else { r.log(1, 1 << 62) };
        let assets = if r.chance(3) { 0 } else { r.log(1, 1 << 62) };
        let (asset_decimals, share_decimals) = (r.range(0, 12) as u8, r.range(0, 12) as u8);
        // Accepted and observed rates around 1 (× RATE_ONE), sometimes far off or none yet.
        let accepted = if r.chance(5) { 0 } else { r.log(RATE_ONE / 100, RATE_ONE * 100) };
        let observed =
            if r.chance(50) { accepted.saturating_add(r.range(0, RATE_ONE / 5)) } else { r.log(1, RATE_ONE * 100) };
        let accepted_epoch = r.range(0, 1_000);
        let back = if r.chance(5) { 25.min(accepted_epoch) } else { 0 }; // a clock behind the last epoch
        let epoch = accepted_epoch + r.range(0, 20) - back;
        let max_rise = r.range(0, u64::from(MAX_RATE_RISE_PPM)) as u32;
        // Prices (engine units) and a direct LST price near or below underlying × rate.
        let underlying = Price { oracle: r.log(1, 1 << 50), ema: r.log(1, 1 << 50) };
        let rate = if r.chance(2) { 0 } else { r.log(RATE_ONE / 1_000, RATE_ONE * 10) };
        let direct = Price { oracle: r.log(1, 1 << 50), ema: r.log(1, 1 << 50) };
        let factor = if r.chance(20) {
            FACTOR_ONE + r.range(0, 500_000) as u32
        } else {
            r.range(0, u64::from(FACTOR_ONE)) as u32
        };
        let (measured_at, now, max_age) =
            (r.range(0, 1 << 40) as i64, r.range(0, 1 << 40) as i64, r.range(0, 600) as u32);
        let now = if r.chance(50) { measured_at + r.range(0, 1_200) as i64 } else { now };
        cases.push(obj(&[
            ("case", case.to_string()),
            (
                "observed",
                obj(&[
                    ("totalAssets", s(assets)),
                    ("totalShares", s(shares)),
                    ("assetDecimals", asset_decimals.to_string()),
                    ("shareDecimals", share_decimals.to_string()),
                    ("rate", out(observed_rate(assets, shares, asset_decimals, share_decimals))),
                ]),
            ),
            (
                "guarded",
                obj(&[
                    ("accepted", s(accepted)),
                    ("acceptedEpoch", s(accepted_epoch)),
                    ("observed", s(observed)),
                    ("epoch", s(epoch)),
                    ("maxRisePpm", s(max_rise)),
                    ("rate", out(guarded_rate(accepted, accepted_epoch, observed, epoch, max_rise))),
                ]),
            ),
            ("underlying", price(underlying)),
            ("rateForPrice", s(rate)),
            ("direct", price(direct)),
            ("factorPpm", s(factor)),
            ("depegFactor", out(depeg_factor(direct.oracle, underlying.oracle, rate))),
            (
                "ratePrice",
                rate_price(underlying, rate, factor).map_or_else(|e| obj(&[("error", format!("\"{e:?}\""))]), price),
            ),
            (
                "lstPrice",
                lst_price(underlying, rate, Some(direct))
                    .map_or_else(|e| obj(&[("error", format!("\"{e:?}\""))]), price),
            ),
            (
                "lstPriceNoDirect",
                lst_price(underlying, rate, None).map_or_else(|e| obj(&[("error", format!("\"{e:?}\""))]), price),
            ),
            (
                "fresh",
                obj(&[
                    ("measuredAt", s(measured_at)),
                    ("now", s(now)),
                    ("maxAge", max_age.to_string()),
                    ("fresh", depeg_fresh(measured_at, now, max_age).to_string()),
                ]),
            ),
        ]));
    }
    let out = format!(
        "{{\"generator\":\"cargo run -p fulcrum-risk --bin rate-vectors\",\"cases\":[\n{}\n]}}\n",
        cases.join(",\n")
    );
    std::fs::write(&path, out).map_err(|e| format!("{path}: {e}"))
}
