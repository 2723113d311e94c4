use criterion::{black_box, criterion_group, criterion_main, Criterion};
use fulcrum_benchmarks::{margin_check, Fixture};
use fulcrum_risk::account_health;

fn bench(c: &mut Criterion) {
    let f = Fixture::new();
    c.bench_function("margin_check_8_perps_8_collateral", |b| b.iter(|| margin_check(black_box(&f.account()))));
    c.bench_function("account_health_8_perps_8_collateral", |b| b.iter(|| account_health(black_box(&f.account()))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
