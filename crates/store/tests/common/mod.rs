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
                    "SKIPPED: postgres not reachable at {url}: {e}"
                );
                return None;
            }
        }
        let random = CustomerId::generate().into_string().replace('-', "");
        let schema = format!("custgate_test_{}", &random[random.len() - 16..]);
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
