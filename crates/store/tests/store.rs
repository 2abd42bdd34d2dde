//! What the conformance suite cannot see through the `CustomerStore` trait: connecting
//! and migrating, the id crosswalk, abandoned idempotency records, several store
//! instances on one database.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use custgate_core::{
    CreateOptions, Customer, CustomerStore, ErrorKind, Idempotency, IdempotencyKey, TenantId,
};
use custgate_store::{Backend, KeyClaim, SqlStore, StoreConfig};
use custgate_testkit::conformance::unique_tenant;
use sqlx::Connection;

fn idem(key: &str, fingerprint: &str) -> CreateOptions {
    CreateOptions {
        idempotency: Some(Idempotency {
            key: IdempotencyKey::parse(key).unwrap(),
            fingerprint: fingerprint.into(),
        }),
    }
}

fn key(key: &str, fingerprint: &str) -> Idempotency {
    idem(key, fingerprint).idempotency.unwrap()
}

fn micros_ago(seconds: i64) -> i64 {
    (chrono::Utc::now() - chrono::Duration::seconds(seconds)).timestamp_micros()
}

/// Raw access to the database under a store, to set up states the trait cannot reach.
enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Raw {
    async fn sqlite(path: &std::path::Path) -> Raw {
        let url = format!("sqlite://{}", path.display());
        Raw::Sqlite(sqlx::SqliteConnection::connect(&url).await.unwrap())
    }

    async fn postgres(schema: &str) -> Raw {
        let mut conn = sqlx::PgConnection::connect(&common::pg_url())
            .await
            .unwrap();
        sqlx::query(&format!("SET search_path TO \"{schema}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        Raw::Postgres(conn)
    }

    /// Inserts a pending idempotency record.
    async fn pending(&mut self, tenant: &TenantId, key: &str, fingerprint: &str, created_at: i64) {
        let sql = |p: &str| {
            format!(
                "INSERT INTO idempotency (tenant, key, fingerprint, state, created_at) \
                 VALUES ({p}1, {p}2, {p}3, 'pending', {p}4)"
            )
        };
        match self {
            Raw::Sqlite(c) => {
                sqlx::query(&sql("?"))
                    .bind(tenant.as_str())
                    .bind(key)
                    .bind(fingerprint)
                    .bind(created_at)
                    .execute(c)
                    .await
                    .unwrap();
            }
            Raw::Postgres(c) => {
                sqlx::query(&sql("$"))
                    .bind(tenant.as_str())
                    .bind(key)
                    .bind(fingerprint)
                    .bind(created_at)
                    .execute(c)
                    .await
                    .unwrap();
            }
        }
    }

    /// Dates every idempotency record of `tenant` back to `created_at`.
    async fn age_keys(&mut self, tenant: &TenantId, created_at: i64) {
        let sql = |p: &str| format!("UPDATE idempotency SET created_at = {p}1 WHERE tenant = {p}2");
        match self {
            Raw::Sqlite(c) => {
                sqlx::query(&sql("?"))
                    .bind(created_at)
                    .bind(tenant.as_str())
                    .execute(c)
                    .await
                    .unwrap();
            }
            Raw::Postgres(c) => {
                sqlx::query(&sql("$"))
                    .bind(created_at)
                    .bind(tenant.as_str())
                    .execute(c)
                    .await
                    .unwrap();
            }
        }
    }

    async fn idempotency_rows(&mut self, tenant: &TenantId) -> i64 {
        let sql = |p: &str| format!("SELECT COUNT(*) FROM idempotency WHERE tenant = {p}1");
        match self {
            Raw::Sqlite(c) => sqlx::query_scalar(&sql("?"))
                .bind(tenant.as_str())
                .fetch_one(c)
                .await
                .unwrap(),
            Raw::Postgres(c) => sqlx::query_scalar(&sql("$"))
                .bind(tenant.as_str())
                .fetch_one(c)
                .await
                .unwrap(),
        }
    }
}

async fn check_abandoned_idempotency(store: &SqlStore, raw: &mut Raw) {
    let tenant = unique_tenant("abandoned");

    // In flight: a duplicate is a conflict, another request with the key a mismatch.
    raw.pending(&tenant, "busy", "fp", micros_ago(1)).await;
    let e = store
        .create(&tenant, Customer::new(), idem("busy", "fp"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.is_temporary());
    let e = store
        .create(&tenant, Customer::new(), idem("busy", "other"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch, "{e}");

    // Abandoned for more than 60 s: taken over, and answered from then on.
    raw.pending(&tenant, "stale", "fp", micros_ago(61)).await;
    let created = store
        .create(&tenant, Customer::new(), idem("stale", "fp"))
        .await
        .expect("an abandoned key is taken over");
    let replay = store
        .create(&tenant, Customer::new(), idem("stale", "fp"))
        .await
        .unwrap();
    assert_eq!(replay, created);
    assert_eq!(raw.idempotency_rows(&tenant).await, 2);

    // A failed create removes its pending record.
    let mut dup = Customer::new();
    dup.id = created.id.clone();
    let e = store
        .create(&tenant, dup, idem("fails", "fp"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(raw.idempotency_rows(&tenant).await, 2);
}

/// Keys are remembered for `idempotency_retention_hours` (24 by default): an older key is
/// a new request, and a store's first claim sweeps the expired records away.
async fn check_key_retention(config: &StoreConfig, raw: &mut Raw) {
    let store = SqlStore::connect(config).await.unwrap();
    let tenant = unique_tenant("retention");
    let first = store
        .create(&tenant, Customer::new(), idem("old", "fp"))
        .await
        .unwrap();
    let other = unique_tenant("retention_other");
    store
        .create(&other, Customer::new(), idem("gone", "fp"))
        .await
        .unwrap();
    raw.age_keys(&tenant, micros_ago(23 * 3600)).await;
    raw.age_keys(&other, micros_ago(25 * 3600)).await;
    // Within the retention: remembered, with its request.
    let e = store
        .create(&tenant, Customer::new(), idem("old", "changed"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch);
    assert_eq!(
        store
            .create(&tenant, Customer::new(), idem("old", "fp"))
            .await
            .unwrap(),
        first
    );
    // Past it: forgotten, so the same key creates anew, whatever it came with.
    raw.age_keys(&tenant, micros_ago(25 * 3600)).await;
    let again = store
        .create(&tenant, Customer::new(), idem("old", "changed"))
        .await
        .unwrap();
    assert_ne!(again.id, first.id);
    assert_eq!(
        store
            .create(&tenant, Customer::new(), idem("old", "changed"))
            .await
            .unwrap(),
        again,
        "remembered afresh"
    );
    // A new store instance's first claim swept the other tenant's expired record.
    let fresh = SqlStore::connect(config).await.unwrap();
    fresh
        .create(&tenant, Customer::new(), idem("sweeper", "fp"))
        .await
        .unwrap();
    assert_eq!(raw.idempotency_rows(&other).await, 0);
    assert_eq!(raw.idempotency_rows(&tenant).await, 2);
}

/// Keys held for creates that run elsewhere (the gateway's upstream creates), with two
/// store instances on one database as two gateway instances would be.
async fn check_keys_held_elsewhere(a: &SqlStore, b: &SqlStore) {
    let tenant = unique_tenant("keys");
    let scope = format!("{tenant}@odata");
    let KeyClaim::Owned(token) = a.claim_key(&scope, &key("k", "fp")).await.unwrap() else {
        panic!("the first claim owns the key")
    };
    let e = b.claim_key(&scope, &key("k", "fp")).await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Conflict,
        "pending on the other instance"
    );
    let e = b.claim_key(&scope, &key("k", "other")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch);
    // The scope is not the tenant's: its own creates with the key are another request.
    let own = a
        .create(&tenant, Customer::new(), idem("k", "fp"))
        .await
        .unwrap();
    assert!(own.seq.is_some());

    let mut answer = Customer::new();
    answer.seq = Some(41);
    answer.number = Some("41".into());
    assert_eq!(
        b.complete_key(&scope, "k", token + 1, &answer)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict,
        "only the claim's token completes it"
    );
    a.complete_key(&scope, "k", token, &answer).await.unwrap();
    match b.claim_key(&scope, &key("k", "fp")).await.unwrap() {
        KeyClaim::Replay(first) => assert_eq!(*first, answer),
        KeyClaim::Owned(_) => panic!("a done key replays"),
    }

    // Released, a key is claimed afresh; a done one is never released.
    let KeyClaim::Owned(token) = a.claim_key(&scope, &key("r", "fp")).await.unwrap() else {
        panic!()
    };
    a.release_key(&scope, "r", token).await.unwrap();
    assert!(matches!(
        b.claim_key(&scope, &key("r", "fp")).await.unwrap(),
        KeyClaim::Owned(_)
    ));
    a.release_key(&scope, "k", token).await.unwrap();
    assert!(matches!(
        a.claim_key(&scope, &key("k", "fp")).await.unwrap(),
        KeyClaim::Replay(_)
    ));
}

async fn check_crosswalk(store: &Arc<SqlStore>) {
    let a = unique_tenant("xwalk_a");
    let b = unique_tenant("xwalk_b");
    assert_eq!(store.alias_for(&a, "odata", "guid-1").await.unwrap(), 1);
    assert_eq!(store.alias_for(&a, "odata", "guid-2").await.unwrap(), 2);
    assert_eq!(
        store.alias_for(&a, "odata", "guid-1").await.unwrap(),
        1,
        "stable"
    );
    assert_eq!(
        store.alias_for(&a, "ndata", "guid-1").await.unwrap(),
        1,
        "per upstream"
    );
    assert_eq!(
        store.alias_for(&b, "odata", "guid-9").await.unwrap(),
        1,
        "per tenant"
    );
    assert_eq!(
        store
            .resolve_alias(&a, "odata", 2)
            .await
            .unwrap()
            .as_deref(),
        Some("guid-2")
    );
    assert_eq!(
        store
            .resolve_alias(&a, "ndata", 1)
            .await
            .unwrap()
            .as_deref(),
        Some("guid-1")
    );
    assert_eq!(store.resolve_alias(&a, "odata", 3).await.unwrap(), None);
    assert_eq!(
        store.resolve_alias(&b, "odata", 2).await.unwrap(),
        None,
        "another tenant's alias"
    );

    // A page at once: known ids keep their aliases, new ones get the next in page order,
    // a repeated id gets one alias, and the answer follows the page's order.
    assert_eq!(
        store
            .aliases_for(
                &a,
                "odata",
                &["guid-5", "guid-2", "guid-4", "guid-5", "guid-1"]
            )
            .await
            .unwrap(),
        vec![3, 2, 4, 3, 1]
    );
    assert_eq!(
        store.alias_for(&a, "odata", "guid-4").await.unwrap(),
        4,
        "a page's new alias is the one-at-a-time alias"
    );
    assert_eq!(
        store
            .aliases_for(&b, "odata", &["guid-9", "guid-2"])
            .await
            .unwrap(),
        vec![1, 2],
        "per tenant"
    );
    assert!(store
        .aliases_for(&a, "odata", &[])
        .await
        .unwrap()
        .is_empty());
    let many: Vec<String> = (0..510).map(|i| format!("bulk-{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let first = store.aliases_for(&a, "bulk", &many).await.unwrap();
    assert_eq!(first, (1..=510).collect::<Vec<i64>>());
    assert_eq!(
        store.aliases_for(&a, "bulk", &many).await.unwrap(),
        first,
        "stable past one query's chunk"
    );

    // Concurrent allocations: distinct ids get distinct aliases, one id gets one alias.
    let t = unique_tenant("xwalk_conc");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(store);
            let t = t.clone();
            tokio::spawn(async move { store.alias_for(&t, "up", &format!("id-{}", i % 10)).await })
        })
        .collect();
    let mut by_id = std::collections::HashMap::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let alias = task.await.unwrap().unwrap();
        let prev = by_id.insert(i % 10, alias);
        assert!(prev.is_none_or(|p| p == alias), "one id, one alias");
    }
    let aliases: BTreeSet<i64> = by_id.values().copied().collect();
    assert_eq!(aliases, (1..=10).collect());
    for (i, alias) in by_id {
        assert_eq!(
            store.resolve_alias(&t, "up", alias).await.unwrap(),
            Some(format!("id-{i}"))
        );
    }
}

/// Creates from two store instances sharing one database interleave correctly.
async fn check_two_instances(one: Arc<SqlStore>, two: Arc<SqlStore>) {
    let tenant = unique_tenant("instances");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&one)
            } else {
                Arc::clone(&two)
            };
            let tenant = tenant.clone();
            tokio::spawn(async move {
                store
                    .create(&tenant, Customer::new(), CreateOptions::default())
                    .await
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for task in tasks {
        let c = task.await.unwrap().expect("create from either instance");
        seqs.insert(c.seq.unwrap());
        numbers.insert(c.number.unwrap().parse::<i64>().unwrap());
    }
    assert_eq!(seqs, (1..=20).collect());
    assert_eq!(numbers, (1..=20).collect());
}

/// `get_json` is exactly the serialisation of what `get` returns, including values that
/// print differently once read back (a decimal of more digits than a float keeps, floats
/// in free-form maps), before and after writes; a missing record is `NotFound`.
async fn check_documents(store: &SqlStore) {
    let tenant = unique_tenant("documents");
    let same = |c: &Customer, doc: &custgate_core::CustomerJson| {
        assert_eq!(doc.json, serde_json::to_string(c).unwrap());
        assert_eq!(doc.version, c.version);
    };
    let mut c = Customer::new();
    c.name.display = Some("Ünïcode \"quoted\" \u{1F600}".into());
    c.finance.credit_limit = Some(rust_decimal::Decimal::new(1_234_567_890_123_456_789, 17));
    c.finance.discount_rate = Some(rust_decimal::Decimal::new(1, 1));
    c.meta.insert("ratio".into(), serde_json::json!(0.1 + 0.2));
    c.meta.insert("big".into(), serde_json::json!(1e300));
    c.extension_mut("odata")
        .insert("GLN".into(), serde_json::json!({"b": 1, "a": [1.5, null]}));
    let created = store
        .create(&tenant, c, CreateOptions::default())
        .await
        .unwrap();
    let doc = store.get_json(&tenant, &created.id).await.unwrap();
    same(&created, &doc);
    same(&store.get(&tenant, &created.id).await.unwrap(), &doc);

    let mut changed = created.clone();
    changed.note = Some("second".into());
    let updated = store.update(&tenant, changed, None).await.unwrap();
    let doc = store.get_json(&tenant, &updated.id).await.unwrap();
    same(&updated, &doc);
    assert_eq!(doc.version.get(), 2);
    let blocked = store
        .set_status(&tenant, &updated.id, custgate_core::Status::Blocked)
        .await
        .unwrap();
    same(
        &blocked,
        &store.get_json(&tenant, &blocked.id).await.unwrap(),
    );

    let missing = custgate_core::CustomerId::parse("no-such-customer").unwrap();
    let e = store.get_json(&tenant, &missing).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let other = unique_tenant("documents-other");
    let e = store.get_json(&other, &created.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_the_customers_serialisation() {
    let (store, _dir) = common::sqlite().await;
    check_documents(&store).await;
    let memory = SqlStore::connect(&StoreConfig::new("sqlite::memory:"))
        .await
        .unwrap();
    check_documents(&memory).await;
    if let Some(pg) = common::Postgres::connect().await {
        check_documents(&pg.store).await;
        pg.drop_schema().await;
    }
}

/// `create_many` numbers like single creates and is all or nothing.
async fn check_create_many(store: &SqlStore) {
    let tenant = unique_tenant("many");
    let first = store
        .create(&tenant, Customer::new(), CreateOptions::default())
        .await
        .unwrap();
    let batch: Vec<Customer> = (0..5)
        .map(|i| {
            let mut c = Customer::new();
            c.name.display = Some(format!("c{i}"));
            c
        })
        .collect();
    let created = store.create_many(&tenant, batch).await.unwrap();
    let seqs: Vec<i64> = created.iter().map(|c| c.seq.unwrap()).collect();
    assert_eq!(seqs, [2, 3, 4, 5, 6]);
    for c in &created {
        assert_eq!(&store.get(&tenant, &c.id).await.unwrap(), c);
    }

    // A duplicate id anywhere in the batch leaves nothing of it behind.
    let fresh = Customer::new();
    let mut duplicate = Customer::new();
    duplicate.id = first.id.clone();
    let e = store
        .create_many(&tenant, vec![fresh.clone(), duplicate])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let e = store.get(&tenant, &fresh.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let next = store
        .create(&tenant, Customer::new(), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(next.seq, Some(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_customers_are_created_in_one_transaction() {
    let (store, _dir) = common::sqlite().await;
    check_create_many(&store).await;
    if let Some(pg) = common::Postgres::connect().await {
        check_create_many(&pg.store).await;
        pg.drop_schema().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_after_close_fail() {
    let (store, _dir) = common::sqlite().await;
    let tenant = unique_tenant("closed");
    let c = store
        .create(&tenant, Customer::new(), CreateOptions::default())
        .await
        .unwrap();
    store.get(&tenant, &c.id).await.unwrap();
    store.close().await;
    assert!(store.get(&tenant, &c.id).await.is_err());
    assert!(store.get_json(&tenant, &c.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_is_created_in_wal_mode_and_migrations_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/custgate.db");
    let config = StoreConfig::new(format!("sqlite://{}", path.display()));
    let store = SqlStore::connect(&config).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert_eq!(store.name(), "embedded:sqlite");
    store.health().await.unwrap();
    assert!(
        path.exists(),
        "the database file and its directories are created"
    );
    let tenant = unique_tenant("reopen");
    let c = store
        .create(&tenant, Customer::new(), CreateOptions::default())
        .await
        .unwrap();
    store.close().await;

    // Connecting again applies nothing new and keeps the data.
    let again = SqlStore::connect(&config).await.unwrap();
    again.migrate().await.unwrap();
    assert_eq!(again.get(&tenant, &c.id).await.unwrap(), c);

    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut raw)
            .await
            .unwrap();
    assert_eq!(versions, [1, 2, 3, 4]);
}

#[tokio::test]
async fn relative_sqlite_urls_are_relative_to_the_working_directory() {
    // Tests run in the package directory; this lands under the workspace's target/.
    let random = custgate_core::CustomerId::generate().into_string();
    let rel = format!("../../target/tmp/store-relative-{random}");
    let store = SqlStore::connect(&StoreConfig::new(format!(
        "sqlite://{rel}/data/custgate.db"
    )))
    .await
    .unwrap();
    store.health().await.unwrap();
    store.close().await;
    let dir = std::path::Path::new(&rel);
    assert!(dir.join("data/custgate.db").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn bad_configuration_is_refused_with_a_reason() {
    let e = SqlStore::connect(&StoreConfig::new("mysql://localhost/x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.message().contains("store.url"), "{e}");
    let e = SqlStore::connect(&StoreConfig {
        sqlite_synchronous: "maybe".into(),
        ..StoreConfig::new("sqlite::memory:")
    })
    .await
    .unwrap_err();
    assert!(e.message().contains("sqlite_synchronous"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_specifics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custgate.db");
    let config = StoreConfig {
        sqlite_synchronous: "NORMAL".into(),
        ..StoreConfig::new(format!("sqlite://{}", path.display()))
    };
    let store = Arc::new(SqlStore::connect(&config).await.unwrap());
    let mut raw = Raw::sqlite(&path).await;
    check_abandoned_idempotency(&store, &mut raw).await;
    check_key_retention(&config, &mut raw).await;
    check_crosswalk(&store).await;
    // A second instance on the same file, as a second process would be.
    let second = Arc::new(SqlStore::connect(&config).await.unwrap());
    check_keys_held_elsewhere(&store, &second).await;
    check_two_instances(store, second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_specifics() {
    let Some(pg) = common::Postgres::connect().await else {
        return;
    };
    assert_eq!(pg.store.backend(), Backend::Postgres);
    assert_eq!(pg.store.name(), "embedded:postgres");
    pg.store.health().await.unwrap();
    pg.store.migrate().await.expect("migrations are idempotent");
    let mut raw = Raw::postgres(&pg.schema).await;
    check_abandoned_idempotency(&pg.store, &mut raw).await;
    check_key_retention(&pg.config, &mut raw).await;
    let second = Arc::new(SqlStore::connect(&pg.config).await.unwrap());
    check_crosswalk(&second).await;
    let first = Arc::new(SqlStore::connect(&pg.config).await.unwrap());
    check_keys_held_elsewhere(&first, &second).await;
    check_two_instances(first, second).await;
    pg.drop_schema().await;
}
