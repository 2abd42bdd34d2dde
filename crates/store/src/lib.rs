#![doc = include_str!("../README.md")]

mod backend;
mod config;
mod crosswalk;
mod db;
mod error;
mod filter;
mod idempotency;
mod read;
mod schema;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use custgate_core::{Capability, Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::ConnectOptions;

pub use config::{Backend, StoreConfig, DEFAULT_URL};
pub use idempotency::{KeyClaim, PENDING_TIMEOUT};

use db::Pool;
use error::StoreError;
use read::Readers;

/// The embedded customer store: SQLite by default, PostgreSQL for several gateway
/// instances sharing one database. Implements [`custgate_core::CustomerStore`].
pub struct SqlStore {
    pool: Pool,
    /// Reads by key on the calling thread, for a SQLite file (see [`read`]).
    readers: Option<Readers>,
    /// Serialises this process's writers on SQLite (see [`db::Tx`]).
    writer: Arc<tokio::sync::Mutex<()>>,
    capability: Capability,
    name: String,
    /// Idempotency keys: how long they are remembered, when expired ones are swept next.
    keys: idempotency::Retention,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Connects, creating the SQLite file and its directory when missing, and brings the
    /// schema up to date.
    #[tracing::instrument(name = "store.connect", skip_all, fields(url = %custgate_core::redact::url(&config.url)))]
    pub async fn connect(config: &StoreConfig) -> Result<SqlStore> {
        config
            .check()
            .map_err(|(setting, message)| Error::validation_field(setting, message))?;
        let store = match config
            .backend()
            .map_err(|m| Error::validation_field("store.url", m))?
        {
            Backend::Sqlite => Self::connect_sqlite(config).await?,
            Backend::Postgres => Self::connect_postgres(config).await?,
        };
        let mut store = store;
        store.keys = idempotency::Retention::of(config.idempotency_retention());
        store.migrate().await?;
        tracing::info!(backend = ?store.backend(), "Store connected");
        Ok(store)
    }

    async fn connect_sqlite(config: &StoreConfig) -> Result<SqlStore> {
        let bad_url = |e: sqlx::Error| Error::validation_field("store.url", e.to_string());
        let synchronous = config
            .synchronous()
            .map_err(|m| Error::validation_field("store.sqlite_synchronous", m))?;
        let options = SqliteConnectOptions::from_str(&config.url)
            .map_err(bad_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(config.busy_timeout());
        let filename = options.get_filename().to_path_buf();
        let in_memory = filename.as_os_str().is_empty() || filename.to_string_lossy() == ":memory:";
        // A plain file can be opened again by its path; a URI or URL parameters (memory
        // databases, shared caches, read-only modes, VFSs) are left to sqlx alone.
        let plain_file = !in_memory
            && !config.url.contains('?')
            && !filename.to_string_lossy().starts_with("file:");
        let mut pool = SqlitePoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout())
            // A ping is a round trip to the connection's thread; a SQLite connection to a
            // file does not go stale, and a broken one fails its statement anyway.
            .test_before_acquire(false);
        if in_memory {
            // Every connection would see its own empty database: keep exactly one alive.
            pool = pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else if let Some(dir) = filename.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(|e| {
                Error::unexpected(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let pool = pool
            .connect_with(options)
            .await
            .map_err(|e| Error::from(StoreError::from(e)))?;
        let mut store = Self::new(Pool::Sqlite(pool), "embedded:sqlite");
        if plain_file {
            let max_idle = usize::try_from(config.max_connections).unwrap_or(usize::MAX);
            store.readers = Some(Readers::new(filename, config.busy_timeout(), max_idle));
        }
        Ok(store)
    }

    async fn connect_postgres(config: &StoreConfig) -> Result<SqlStore> {
        let mut options = PgConnectOptions::from_str(&config.url)
            .map_err(|e| Error::validation_field("store.url", e.to_string()))?;
        if let Some(schema) = &config.schema {
            // The name was checked to be a plain identifier by `validate`.
            let mut conn = options
                .connect()
                .await
                .map_err(|e| Error::from(StoreError::from(e)))?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .execute(&mut conn)
                .await
                .map_err(|e| Error::from(StoreError::from(e)))?;
            let _ = sqlx::Connection::close(conn).await;
            options = options.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout())
            .connect_with(options)
            .await
            .map_err(|e| Error::from(StoreError::from(e)))?;
        Ok(Self::new(Pool::Postgres(pool), "embedded:postgres"))
    }

    fn new(pool: Pool, name: &str) -> Self {
        Self {
            pool,
            readers: None,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            capability: Capability::full(),
            name: name.to_owned(),
            keys: idempotency::Retention::default(),
        }
    }

    /// Applies the migrations that are not applied yet (also done by [`Self::connect`]).
    #[tracing::instrument(name = "store.migrate", skip_all)]
    pub async fn migrate(&self) -> Result<()> {
        let done = match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await,
        };
        done.map_err(|e| Error::from(StoreError::from(e)))
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every pooled connection; calls afterwards fail.
    pub async fn close(&self) {
        if let Some(readers) = &self.readers {
            readers.close();
        }
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}
