//! The store's private error enum and its conversion into the one public [`Error`].

use custgate_core::{Error, ErrorKind};

/// Everything that can go wrong inside the store. Converted into [`Error`] at the
/// boundary, where a unique violation (SQLite and PostgreSQL alike) becomes
/// `AlreadyExists`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// A domain error decided by the store itself (not found, version mismatch…).
    #[error("{0}")]
    Domain(Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the point reads of [`crate::read`].
    #[error("database error: {0}")]
    Reader(rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        StoreError::Domain(e)
    }
}

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

/// PostgreSQL codes that mean "the same call may work when retried".
const PG_RETRYABLE: &[&str] = &[
    "40001", // serialization_failure
    "40P01", // deadlock_detected
    "55P03", // lock_not_available
    "57P01", // admin_shutdown
];

/// Whether a SQLite result code means "busy" (`SQLITE_BUSY`, 5) or "locked"
/// (`SQLITE_LOCKED`, 6); extended codes keep the primary code in the low byte.
fn sqlite_busy(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

/// A statement the database refused, with its code; `temporary` when retrying may work.
fn database_error(message: &str, code: String, temporary: bool) -> Error {
    Error::unexpected(format!("database error: {message}"))
        .with_context("db_code", code)
        .set_temporary(temporary)
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(e) => e,
            StoreError::Database(sqlx::Error::Database(db)) => {
                if db.kind() == sqlx::error::ErrorKind::UniqueViolation {
                    return Error::new(
                        ErrorKind::AlreadyExists,
                        "a customer with the same unique key exists already",
                    );
                }
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let temporary =
                    code.parse().is_ok_and(sqlite_busy) || PG_RETRYABLE.contains(&code.as_str());
                database_error(db.message(), code, temporary)
            }
            StoreError::Database(
                e @ (sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed),
            ) => Error::unexpected(format!("database unavailable: {e}")).set_temporary(true),
            StoreError::Database(e) => Error::unexpected(format!("database error: {e}")),
            StoreError::Reader(rusqlite::Error::SqliteFailure(e, message)) => {
                let message = message.unwrap_or_else(|| e.to_string());
                let code = e.extended_code;
                database_error(&message, code.to_string(), sqlite_busy(code))
            }
            StoreError::Reader(e) => Error::unexpected(format!("database error: {e}")),
            StoreError::Migrate(e) => Error::unexpected(format!("migration failed: {e}")),
            StoreError::Json(e) => Error::unexpected(format!("stored record is not valid: {e}")),
            StoreError::Invalid(m) => Error::unexpected(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    #[tokio::test]
    async fn unique_violations_are_already_exists() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES ('a')")
            .execute(&mut conn)
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES ('a')")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = Error::from(StoreError::from(e));
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);

        let e = sqlx::query("SELECT * FROM missing")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = Error::from(StoreError::from(e));
        assert_eq!(e.kind(), ErrorKind::Unexpected);
        assert!(!e.is_temporary());
        let e = Error::from(StoreError::from(sqlx::Error::PoolTimedOut));
        assert!(e.is_temporary());
    }

    #[tokio::test]
    async fn both_sqlite_drivers_map_a_failure_alike() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let sqlx_error = sqlx::query("SELECT * FROM missing")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let reader_error = rusqlite::Connection::open_in_memory()
            .unwrap()
            .prepare("SELECT * FROM missing")
            .unwrap_err();
        let (a, b) = (
            Error::from(StoreError::from(sqlx_error)),
            Error::from(StoreError::from(reader_error)),
        );
        assert_eq!(a, b);
        assert_eq!(a.message(), "database error: no such table: missing");
        assert!(!a.is_temporary());
        // Busy and locked, with their extended codes, are worth a retry.
        assert!([5, 517, 6, 262].into_iter().all(sqlite_busy));
        assert!(![1, 19, 2067].into_iter().any(sqlite_busy));
    }

    #[tokio::test]
    async fn postgres_unique_violations_are_already_exists() {
        let url = std::env::var("CUSTGATE_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let mut conn = match sqlx::PgConnection::connect(&url).await {
            Ok(c) => c,
            Err(e) => {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "SKIPPED: postgres not reachable: {e}");
                return;
            }
        };
        sqlx::query("CREATE TEMPORARY TABLE t (k TEXT PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES ('a')")
            .execute(&mut conn)
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES ('a')")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = Error::from(StoreError::from(e));
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    }
}
