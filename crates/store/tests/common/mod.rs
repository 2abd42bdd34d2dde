//! Databases for the store's tests.

#![allow(dead_code)]

use std::io::Write as _;

use custgate_core::CustomerId;
use custgate_store::{SqlStore, StoreConfig};
use sqlx::Connection;

/// A store on a fresh SQLite file in a temporary directory (kept alive by the guard).
pub async fn sqlite() -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/dir/custgate.db").display()
    );
    let store = SqlStore::connect(&StoreConfig::new(url))
        .await
        .expect("sqlite store");
    (store, dir)
}

/// The PostgreSQL test database: `CUSTGATE_TEST_PG`, or the local default.
pub fn pg_url() -> String {
    std::env::var("CUSTGATE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Test schemas are `custgate_test_<unix seconds>_<random>`.
const SCHEMA_PREFIX: &str = "custgate_test_";

/// Drops the schemas of test runs that started more than an hour ago and never dropped
/// theirs (they failed or were killed).
async fn sweep_abandoned_schemas(url: &str) {
    let Ok(mut conn) = sqlx::PgConnection::connect(url).await else {
        return;
    };
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname::text, $1)",
    )
    .bind(SCHEMA_PREFIX)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    for name in names {
        let started = name[SCHEMA_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|t| t.parse::<i64>().ok());
        let plain = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if plain && started.is_some_and(|t| t < cutoff) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// A store on PostgreSQL in a schema of its own.
pub struct Postgres {
    pub store: SqlStore,
    pub config: StoreConfig,
    pub schema: String,
}

impl Postgres {
    /// `None`, after saying so, when PostgreSQL cannot be reached.
    pub async fn connect() -> Option<Postgres> {
        let url = pg_url();
        match sqlx::PgConnection::connect(&url).await {
            Ok(conn) => {
                let _ = conn.close().await;
            }
            Err(e) => {
                // Straight to stderr: the test harness captures `println!` and
                // `eprintln!` of passing tests, and this line must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: postgres not reachable (CUSTGATE_TEST_PG or the local default): {e}"
                );
                return None;
            }
        }
        sweep_abandoned_schemas(&url).await;
        let random = CustomerId::generate().into_string().replace('-', "");
        let schema = format!(
            "{SCHEMA_PREFIX}{}_{}",
            chrono::Utc::now().timestamp(),
            &random[random.len() - 12..]
        );
        let config = StoreConfig {
            schema: Some(schema.clone()),
            ..StoreConfig::new(url)
        };
        let store = SqlStore::connect(&config).await.expect("postgres store");
        Some(Postgres {
            store,
            config,
            schema,
        })
    }

    pub async fn drop_schema(self) {
        self.store.close().await;
        let mut conn = sqlx::PgConnection::connect(&pg_url())
            .await
            .expect("postgres connection");
        // The name is ours, made of [a-z0-9_].
        sqlx::query(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema))
            .execute(&mut conn)
            .await
            .expect("drop test schema");
    }
}
