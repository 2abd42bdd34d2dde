//! Reading an upstream's answer (the client's hot path in gateway mode): a list of
//! customers as Unimicro sends them, each parsed into the wire type and applied onto a
//! blank record in `Mode::Import`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custgate_odata::convert::{self, Mode};
use serde_json::Value;

/// Appendix A as an upstream answers it: saved, so with every id and link filled in.
fn answer() -> Value {
    let seed = custgate_testkit::fixtures::seed_json(env!("CARGO_MANIFEST_DIR"), "appendix_a.json");
    let w = convert::parse_customer(seed, "").unwrap();
    let mut c = convert::apply(None, &w, Mode::Create).unwrap();
    c.seq = Some(42);
    c.number = Some("42".into());
    convert::to_json(&c)
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
