//! Typed configuration of the embedded store.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use sqlx::sqlite::SqliteSynchronous;

/// How to reach the database: the `[store]` section of the gateway's configuration.
///
/// `url` is `sqlite://data/custgate.db` (a file, created with its parent directory when
/// missing; `sqlite::memory:` for a throw-away database) or `postgres://user:pass@host/db`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    pub url: String,
    /// The largest number of pooled connections.
    pub max_connections: u32,
    /// SQLite's `synchronous` pragma: `OFF`, `NORMAL`, `FULL` (the default: an answered
    /// write survives a power cut) or `EXTRA`.
    pub sqlite_synchronous: String,
    /// How long SQLite waits for another writer's lock before giving up, in milliseconds.
    pub busy_timeout_ms: u64,
    /// How long a call waits for a pooled connection, in milliseconds.
    pub acquire_timeout_ms: u64,
    /// PostgreSQL only: the schema the tables live in (created when missing); the
    /// connection's default `search_path` when absent.
    pub schema: Option<String>,
    /// How long an idempotency key is remembered, in hours: afterwards the key is a new
    /// request again, and its record is swept (hourly).
    pub idempotency_retention_hours: u64,
}

/// The default database file.
pub const DEFAULT_URL: &str = "sqlite://data/custgate.db";

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_URL.to_owned(),
            max_connections: 10,
            sqlite_synchronous: "FULL".to_owned(),
            busy_timeout_ms: 5_000,
            acquire_timeout_ms: 30_000,
            schema: None,
            idempotency_retention_hours: 24,
        }
    }
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl StoreConfig {
    /// `idempotency_retention_hours` as a duration (saturating: a huge setting is "for
    /// ever", not an overflow).
    pub fn idempotency_retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.idempotency_retention_hours.saturating_mul(3600))
    }

    /// A configuration for `url` with every other setting at its default.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// The database the URL names, or why the URL is not usable.
    pub fn backend(&self) -> Result<Backend, String> {
        let scheme = self.url.split(':').next().unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(format!(
                "must start with sqlite: or postgres://, not '{}'",
                custgate_core::redact::url(&self.url)
            )),
        }
    }

    /// Checks every setting: the first refused, as its path (`store.url`) and what is
    /// wrong with it.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let backend = self.backend().map_err(|m| ("store.url", m))?;
        if self.max_connections == 0 {
            return Err(("store.max_connections", "must be at least 1".into()));
        }
        if self.idempotency_retention_hours == 0 {
            return Err((
                "store.idempotency_retention_hours",
                "must be at least 1".into(),
            ));
        }
        self.synchronous()
            .map_err(|m| ("store.sqlite_synchronous", m))?;
        if let Some(schema) = &self.schema {
            if backend != Backend::Postgres {
                return Err(("store.schema", "applies to PostgreSQL only".into()));
            }
            check_schema(schema).map_err(|m| ("store.schema", m))?;
        }
        Ok(())
    }

    pub(crate) fn synchronous(&self) -> Result<SqliteSynchronous, String> {
        SqliteSynchronous::from_str(self.sqlite_synchronous.trim()).map_err(|_| {
            format!(
                "must be OFF, NORMAL, FULL or EXTRA, not '{}'",
                self.sqlite_synchronous
            )
        })
    }

    pub(crate) fn busy_timeout(&self) -> Duration {
        Duration::from_millis(self.busy_timeout_ms)
    }

    pub(crate) fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }
}

/// A schema name goes into DDL as an identifier, so it is restricted to a plain one.
fn check_schema(schema: &str) -> Result<(), String> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to 63 characters of a-z, 0-9 or '_', not '{schema}'"
        ))
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &custgate_core::redact::url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("schema", &self.schema)
            .field(
                "idempotency_retention_hours",
                &self.idempotency_retention_hours,
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`StoreConfig::check`]'s refusal as one message: the setting, then what is wrong.
    fn validate(c: &StoreConfig) -> Result<(), String> {
        c.check()
            .map_err(|(setting, message)| format!("{setting} {message}"))
    }

    #[test]
    fn defaults_are_the_embedded_file() {
        let c: StoreConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, StoreConfig::default());
        assert_eq!(c.url, DEFAULT_URL);
        assert_eq!(c.backend(), Ok(Backend::Sqlite));
        assert_eq!(c.synchronous().unwrap(), SqliteSynchronous::Full);
        validate(&c).unwrap();
    }

    #[test]
    fn misspelt_settings_are_refused() {
        let e = serde_json::from_str::<StoreConfig>(r#"{"sqlite_synchronus": "OFF"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `sqlite_synchronus`"), "{e}");
    }

    #[test]
    fn bad_settings_are_named() {
        let mut c = StoreConfig::new("mysql://x");
        assert!(validate(&c).unwrap_err().contains("store.url"));
        c.url = "sqlite://x.db".into();
        c.sqlite_synchronous = "sometimes".into();
        assert!(validate(&c).unwrap_err().contains("sqlite_synchronous"));
        c.sqlite_synchronous = "normal".into();
        validate(&c).unwrap();
        c.schema = Some("x".into());
        assert!(validate(&c).unwrap_err().contains("PostgreSQL only"));
        c.url = "postgres://u@h/db".into();
        c.schema = Some("Bad; drop".into());
        assert!(validate(&c).unwrap_err().contains("store.schema"));
        c.schema = Some("custgate_1".into());
        validate(&c).unwrap();
        c.idempotency_retention_hours = 0;
        assert!(validate(&c)
            .unwrap_err()
            .contains("idempotency_retention_hours"));
        c.idempotency_retention_hours = u64::MAX;
        validate(&c).unwrap();
        assert_eq!(
            c.idempotency_retention(),
            std::time::Duration::from_secs(u64::MAX)
        );
        assert_eq!(
            StoreConfig::default().idempotency_retention(),
            std::time::Duration::from_secs(24 * 3600)
        );
        c.max_connections = 0;
        assert!(validate(&c).unwrap_err().contains("max_connections"));
    }

    #[test]
    fn debug_hides_the_password() {
        let c = StoreConfig::new("postgres://app:s3cret@db.internal:5432/custgate");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@db.internal"), "{shown}");
    }
}
