//! Runs the margin check (or, with argument `liquidation`, `portfolio` or `portfolio-liquidation`,
//! the liquidation sizing, the portfolio check or the portfolio liquidation sizing) 1,000 times
//! through an `#[inline(never)]` wrapper, for
//! `valgrind --tool=callgrind --toggle-collect=<wrapper>` (see `benchmarks/callgrind.sh`).

use fulcrum_benchmarks::{
    correlation_8, liquidation_sizing, margin_check, portfolio_liquidation_sizing, portfolio_margin_check, Fixture,
    LiquidationFixture,
};
use fulcrum_risk::Correlation;

/// What callgrind collects: one margin check.
#[inline(never)]
#[no_mangle]
pub extern "Rust" fn fulcrum_bench_margin_check(f: &Fixture) -> bool {
    margin_check(&std::hint::black_box(f).account()).unwrap_or(false)
}

/// What callgrind collects: one liquidation sizing.
#[inline(never)]
#[no_mangle]
pub extern "Rust" fn fulcrum_bench_liquidation_sizing(f: &LiquidationFixture) -> i64 {
    liquidation_sizing(&std::hint::black_box(f).account()).map(|p| p.base_delta).unwrap_or(0)
}

/// What callgrind collects: one portfolio margin check.
#[inline(never)]
#[no_mangle]
pub extern "Rust" fn fulcrum_bench_portfolio_check(f: &Fixture, c: &Correlation) -> bool {
    portfolio_margin_check(&std::hint::black_box(f).account(), std::hint::black_box(c)).unwrap_or(false)
}

/// What callgrind collects: one portfolio liquidation sizing.
#[inline(never)]
#[no_mangle]
pub extern "Rust" fn fulcrum_bench_portfolio_liquidation(f: &Fixture, c: &Correlation) -> i64 {
    portfolio_liquidation_sizing(&std::hint::black_box(f).account(), std::hint::black_box(c))
        .map(|p| p.base_delta)
        .unwrap_or(0)
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("portfolio-liquidation") {
        let (f, c) = (Fixture::new(), correlation_8());
        let mut closed = 0i64;
        for _ in 0..1_000 {
            closed = closed.wrapping_add(fulcrum_bench_portfolio_liquidation(std::hint::black_box(&f), &c));
        }
        println!("portfolio liquidation sizings: {closed} base closed in total");
    } else if std::env::args().nth(1).as_deref() == Some("portfolio") {
        let (f, c) = (Fixture::new(), correlation_8());
        let mut ok = 0u32;
        for _ in 0..1_000 {
            ok += u32::from(fulcrum_bench_portfolio_check(std::hint::black_box(&f), &c));
        }
        println!("portfolio checks passed: {ok}/1000");
    } else if std::env::args().nth(1).as_deref() == Some("liquidation") {
        let f = LiquidationFixture::new();
        let mut closed = 0i64;
        for _ in 0..1_000 {
            closed = closed.wrapping_add(fulcrum_bench_liquidation_sizing(std::hint::black_box(&f)));
        }
        println!("liquidation sizings: {} base closed in total", closed);
    } else {
        let f = Fixture::new();
        let mut ok = 0u32;
        for _ in 0..1_000 {
            ok += u32::from(fulcrum_bench_margin_check(std::hint::black_box(&f)));
        }
        println!("margin checks passed: {ok}/1000");
    }
}
