//! Runs the margin check 1,000 times through an `#[inline(never)]` wrapper, for
//! `valgrind --tool=callgrind --toggle-collect=<wrapper>` (see `benchmarks/callgrind.sh`).

use fulcrum_benchmarks::{margin_check, Fixture};

/// What callgrind collects: one margin check.
#[inline(never)]
#[no_mangle]
pub extern "Rust" fn fulcrum_bench_margin_check(f: &Fixture) -> bool {
    margin_check(&std::hint::black_box(f).account()).unwrap_or(false)
}

fn main() {
    let f = Fixture::new();
    let mut ok = 0u32;
    for _ in 0..1_000 {
        ok += u32::from(fulcrum_bench_margin_check(std::hint::black_box(&f)));
    }
    println!("margin checks passed: {ok}/1000");
}
