//! The store conformance suite on both databases: SQLite always, PostgreSQL when it is
//! reachable (`CUSTGATE_TEST_PG`, default `postgres://postgres@127.0.0.1:5432/test`), in
//! a schema of its own that is dropped afterwards.

mod common;

use custgate_testkit::conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms() {
    let (store, _dir) = common::sqlite().await;
    conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_in_memory_conforms() {
    let store =
        custgate_store::SqlStore::connect(&custgate_store::StoreConfig::new("sqlite::memory:"))
            .await
            .expect("in-memory database");
    conformance::crud(&store).await;
    conformance::compare_filters(&store).await;
    conformance::concurrent_creates(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms() {
    let Some(pg) = common::Postgres::connect().await else {
        return;
    };
    conformance::run_all(&pg.store).await;
    pg.drop_schema().await;
}
