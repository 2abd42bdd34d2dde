//! Seeds the load test's store directly through `custgate-store` (much faster than HTTP),
//! in batches of one transaction each (`SqlStore::create_many`).
//! Usage: seed <store-url> <tenant> <count>

use custgate_core::TenantId;
use custgate_store::{SqlStore, StoreConfig};

#[path = "common.rs"]
mod custgate_load;

/// Customers per transaction.
const BATCH: usize = 1_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("store url");
    let tenant = TenantId::parse(&args.next().expect("tenant")).expect("tenant id");
    let n: usize = args.next().and_then(|s| s.parse().ok()).expect("count");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let mut config = StoreConfig::new(url);
        config.sqlite_synchronous = "OFF".into();
        let store = SqlStore::connect(&config).await.expect("store opens");
        let started = std::time::Instant::now();
        for from in (0..n).step_by(BATCH) {
            let batch = (from..n.min(from + BATCH))
                .map(custgate_load::sample_customer)
                .collect();
            store.create_many(&tenant, batch).await.expect("create");
        }
        eprintln!("seeded {n} customers in {:?}", started.elapsed());
    });
}
