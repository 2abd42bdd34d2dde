//! Conversion of the seed's examples: wire → canonical → wire.
//!
//! Run with `cargo bench -p custgate-tenant --bench convert`; the target is under 10 µs
//! per record.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use custgate_tenant::convert::{from_record, new_customer, to_record};
use custgate_tenant::wire::{CustomerBody, CustomerRecord};

const RECORD: &str = include_str!("../tests/fixtures/get_response.json");
const REQUEST: &str = include_str!("../tests/fixtures/create_request.json");

fn bench(c: &mut Criterion) {
    let record: CustomerRecord = serde_json::from_str(RECORD).expect("seed record parses");
    let request: CustomerBody = serde_json::from_str(REQUEST).expect("seed request parses");

    c.bench_function("record -> canonical -> record", |b| {
        b.iter(|| {
            let canonical = from_record(black_box(&record)).expect("converts");
            to_record(&canonical).expect("converts back")
        })
    });

    c.bench_function("request -> canonical -> record", |b| {
        b.iter(|| {
            let mut canonical = new_customer(black_box(&request));
            canonical.seq = Some(1);
            to_record(&canonical).expect("converts back")
        })
    });

    c.bench_function("json -> canonical -> json (seed record)", |b| {
        b.iter(|| {
            let r: CustomerRecord = serde_json::from_str(black_box(RECORD)).expect("parses");
            let canonical = from_record(&r).expect("converts");
            serde_json::to_vec(&to_record(&canonical).expect("converts back")).expect("writes")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
