//! The reference store passes its own conformance suite.

use custgate_core::MemoryStore;
use custgate_testkit::conformance;

#[tokio::test]
async fn memory_store_conforms() {
    conformance::run_all(&MemoryStore::new()).await;
}

#[test]
fn sample_customers_are_valid_and_distinct() {
    let all = custgate_testkit::sample_customers();
    assert!(all.len() >= 12);
    for c in &all {
        c.check().unwrap();
    }
    let ids: std::collections::HashSet<_> = all.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), all.len());
}
