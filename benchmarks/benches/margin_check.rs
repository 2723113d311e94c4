use criterion::{black_box, criterion_group, criterion_main, Criterion};
use fulcrum_benchmarks::{liquidation_sizing, margin_check, Fixture, LiquidationFixture};
use fulcrum_risk::account_health;

fn bench(c: &mut Criterion) {
    let f = Fixture::new();
    c.bench_function("margin_check_8_perps_8_collateral", |b| b.iter(|| margin_check(black_box(&f.account()))));
    c.bench_function("account_health_8_perps_8_collateral", |b| b.iter(|| account_health(black_box(&f.account()))));
    let l = LiquidationFixture::new();
    c.bench_function("liquidation_sizing_single_position", |b| b.iter(|| liquidation_sizing(black_box(&l.account()))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
