//! The filter parser on the seed's filter and on filters of 0.25 to 4 KiB: parse time
//! should grow linearly with the input (one pass to tokenise, one to parse).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use custgate_odata::query::{parse_filter, FilterLimits};

const SEED_FILTER: &str = "StatusCode eq 30001";

const CLAUSES: &[&str] = &[
    "Info.Name eq 'O''Brien AS'",
    "contains(Info.DefaultEmail.EmailAddress,'softrig')",
    "StatusCode ne 90001",
    "CustomerNumber gt 1000",
    "(ID lt 50 or not startswith(OrgNumber,'9'))",
    "Info.Name like 'Jo%n%'",
    "CreatedAt ge '2024-01-01T00:00:00Z'",
];

/// A realistic filter of about `bytes` bytes: clauses joined with `and`/`or`.
fn filter_of(bytes: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < bytes {
        if !out.is_empty() {
            out.push_str(if i % 3 == 0 { " or " } else { " and " });
        }
        out.push_str(CLAUSES[i % CLAUSES.len()]);
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let limits = FilterLimits {
        max_bytes: 1 << 20,
        max_depth: 24,
    };
    c.bench_function("parse/seed filter", |b| {
        b.iter(|| parse_filter(black_box(SEED_FILTER), &limits).unwrap())
    });
    let mut group = c.benchmark_group("parse/size");
    for size in [256usize, 1024, 2048, 4096] {
        let f = filter_of(size);
        assert!(parse_filter(&f, &limits).unwrap().is_some());
        group.throughput(Throughput::Bytes(f.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(f.len()), &f, |b, f| {
            b.iter(|| parse_filter(black_box(f), &limits).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
