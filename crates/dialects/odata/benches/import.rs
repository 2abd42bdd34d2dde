//! Reading an upstream's answer (the client's hot path in gateway mode): a list of
//! customers as Unimicro sends them, each parsed into the wire type and applied onto a
//! blank record in `Mode::Import`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custgate_odata::convert::{self, Mode};
use serde_json::Value;

/// The client's default `max_json_depth`.
const MAX_DEPTH: usize = 64;

/// Appendix A as an upstream answers it: saved, so with every id and link filled in.
fn answer() -> Value {
    let seed = custgate_testkit::fixtures::seed_json(env!("CARGO_MANIFEST_DIR"), "appendix_a.json");
    let w = convert::parse_customer(seed, "").unwrap();
    let mut c = convert::apply(None, &w, Mode::Create).unwrap();
    c.seq = Some(42);
    c.number = Some("42".into());
    convert::to_json(&c)
}

/// What the upstream sends for a lookup by name: a 1.5 KB list with one customer.
fn lookup_answer() -> Vec<u8> {
    custgate_testkit::fixtures::seed_text(env!("CARGO_MANIFEST_DIR"), "upstream_answer.json")
        .trim_end()
        .as_bytes()
        .to_vec()
}

/// Today's path: the whole answer into a `Value`, then each customer from it.
fn value_path(bytes: &[u8]) -> Vec<custgate_core::Customer> {
    assert!(custgate_core::json::nesting_depth(bytes) <= MAX_DEPTH);
    let v: Value = serde_json::from_slice(bytes).unwrap();
    let Value::Array(items) = v else {
        panic!("not a list")
    };
    items
        .into_iter()
        .map(|v| {
            let w = convert::parse_customer(v, "").unwrap();
            convert::apply(None, &w, Mode::Import).unwrap()
        })
        .collect()
}

/// The client's path: the answer read in one pass from its bytes (leaving out what the
/// import drops, and finding how deep it nests), then each customer imported.
fn bytes_path(bytes: &[u8]) -> Vec<custgate_core::Customer> {
    convert::read_customers_for_import_within(bytes, MAX_DEPTH)
        .unwrap()
        .iter()
        .map(|w| convert::import(w).unwrap())
        .collect()
}

/// [`bytes_path`] with each customer applied in `Mode::Import` (the general path, which
/// `import` must equal).
fn bytes_path_apply(bytes: &[u8]) -> Vec<custgate_core::Customer> {
    assert!(custgate_core::json::nesting_depth(bytes) <= MAX_DEPTH);
    convert::read_customers_for_import(bytes)
        .unwrap()
        .iter()
        .map(|w| convert::apply(None, w, Mode::Import).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let one = answer();
    let bytes = serde_json::to_vec(&one).unwrap();
    let mut group = c.benchmark_group("import");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("appendix A answer", |b| {
        b.iter(|| {
            let v: Value = serde_json::from_slice(black_box(&bytes)).unwrap();
            let w = convert::parse_customer(v, "").unwrap();
            convert::apply(None, &w, Mode::Import).unwrap()
        })
    });
    group.bench_function("appendix A answer, bytes path", |b| {
        b.iter(|| {
            let w = convert::read_customer_for_import_within(black_box(&bytes), MAX_DEPTH).unwrap();
            convert::import(&w).unwrap()
        })
    });
    group.finish();

    let list = lookup_answer();
    let mut group = c.benchmark_group("import lookup");
    group.throughput(Throughput::Bytes(list.len() as u64));
    group.bench_function("1.5 KB answer, Value path", |b| {
        b.iter(|| value_path(black_box(&list)))
    });
    group.bench_function("1.5 KB answer, bytes path", |b| {
        b.iter(|| bytes_path(black_box(&list)))
    });
    group.bench_function("1.5 KB answer, bytes path, apply", |b| {
        b.iter(|| bytes_path_apply(black_box(&list)))
    });
    group.bench_function("1.5 KB answer, bytes path, read only", |b| {
        b.iter(|| convert::read_customers(black_box(&list)).unwrap())
    });
    let read = convert::read_customers_for_import(&list).unwrap();
    group.bench_function("1.5 KB answer, import only", |b| {
        b.iter(|| {
            black_box(&read)
                .iter()
                .map(|w| convert::import(w).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("1.5 KB answer, serde_json skip (floor)", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&list)).unwrap())
    });
    group.bench_function("1.5 KB answer, bytes path, read for import", |b| {
        b.iter(|| convert::read_customers_for_import(black_box(&list)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
