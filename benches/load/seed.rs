//! Seeds the load test's store directly through `custgate-store` (much faster than HTTP).
//! Usage: seed <store-url> <tenant> <count>

use std::sync::Arc;

use custgate_core::{CreateOptions, CustomerStore, TenantId};
use custgate_store::{SqlStore, StoreConfig};

#[path = "common.rs"]
mod custgate_load;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("store url");
    let tenant = TenantId::parse(&args.next().expect("tenant")).expect("tenant id");
    let n: usize = args.next().and_then(|s| s.parse().ok()).expect("count");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let mut config = StoreConfig::new(url);
        config.sqlite_synchronous = "OFF".into();
        let store = Arc::new(SqlStore::connect(&config).await.expect("store opens"));
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        let workers = 8;
        for w in 0..workers {
            let (store, tenant) = (store.clone(), tenant.clone());
            tasks.push(tokio::spawn(async move {
                for i in (w..n).step_by(workers) {
                    let c = custgate_load::sample_customer(i);
                    store
                        .create(&tenant, c, CreateOptions::default())
                        .await
                        .expect("create");
                }
            }));
        }
        for t in tasks {
            t.await.expect("seeder task");
        }
        eprintln!("seeded {n} customers in {:?}", started.elapsed());
    });
}
