//! Store operations on SQLite (a temporary file, `synchronous=FULL` as configured by
//! default): create, get by id, and a page of 10 with its total over N customers.
//!
//! `CUSTGATE_BENCH_N` sets N (default 2000, which keeps a run under a minute):
//!
//! ```text
//! CUSTGATE_BENCH_N=100000 cargo bench -p custgate-store --bench store
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use custgate_core::{
    CmpOp, Count, CreateOptions, Customer, CustomerId, CustomerStore, Field, Filter, Query,
    SortKey, TenantId, Value,
};
use custgate_store::{SqlStore, StoreConfig};

fn customer(i: usize) -> Customer {
    let mut c = Customer::new();
    c.name.first = Some(format!("First{i}"));
    c.name.last = Some(format!("Last{}", i % 997));
    c.emails.push(custgate_core::Email {
        address: format!("customer{i}@example.com"),
        default: true,
        ..Default::default()
    });
    c.note = Some(format!("bench customer number {i}"));
    if i % 3 == 2 {
        c.status = custgate_core::Status::Inactive;
    }
    c
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("CUSTGATE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = rt
        .block_on(SqlStore::connect(&StoreConfig::new(url)))
        .expect("store");
    let tenant = TenantId::parse("bench").expect("tenant");

    eprintln!("seeding {n} customers");
    let ids: Vec<CustomerId> = rt.block_on(async {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let c = store
                .create(&tenant, customer(i), CreateOptions::default())
                .await
                .expect("seed");
            ids.push(c.id);
        }
        ids
    });

    let mut group = c.benchmark_group(format!("sqlite_{n}"));
    let mut i = n;
    group.bench_function("create", |b| {
        b.iter(|| {
            i += 1;
            rt.block_on(store.create(&tenant, customer(i), CreateOptions::default()))
                .expect("create")
        })
    });
    let mut k = 0usize;
    group.bench_function("get_by_id", |b| {
        b.iter(|| {
            k = (k + 7919) % ids.len();
            rt.block_on(store.get(&tenant, &ids[k])).expect("get")
        })
    });
    let page = Query {
        limit: Some(10),
        offset: 20,
        count: Count::WithTotal,
        ..Query::default()
    };
    group.bench_function("page_of_10_with_total", |b| {
        b.iter(|| rt.block_on(store.query(&tenant, &page)).expect("query"))
    });
    let filtered = Query {
        filter: Some(Filter::Compare {
            field: Field::Status,
            op: CmpOp::Eq,
            value: Value::text("active"),
        }),
        sort: vec![SortKey::asc(Field::DisplayName)],
        limit: Some(10),
        count: Count::WithTotal,
        ..Query::default()
    };
    group.bench_function("filtered_sorted_page_of_10_with_total", |b| {
        b.iter(|| rt.block_on(store.query(&tenant, &filtered)).expect("query"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
