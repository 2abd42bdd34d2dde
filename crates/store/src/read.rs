//! Reads of one record by key on SQLite, on the calling thread.
//!
//! sqlx runs every SQLite connection on a thread of its own: each statement is a round
//! trip to that thread, and a pooled connection costs another one when it goes back to
//! the pool (sqlx pings it). A read by primary key is answered from SQLite's page cache
//! in a few microseconds, several times less than those thread hand-offs, so such reads
//! go through rusqlite on the caller's thread instead, on connections of their own:
//! one per thread reading at the same moment, opened on first use and kept.
//!
//! Only bounded work runs here (a lookup by primary key); queries, whose cost grows with
//! the data, and every write stay on sqlx's threads. The file is in WAL mode, so these
//! readers never wait for a writer and see every committed write.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql};

use crate::db::{Bind, Dialect, FromRow, Sql};
use crate::error::{Result, StoreError};

/// Read-only connections to one SQLite file.
pub(crate) struct Readers {
    path: PathBuf,
    busy_timeout: Duration,
    /// Connections not in use. A connection is taken out for one synchronous read, so
    /// there are never more than the threads that read at once.
    idle: Mutex<Vec<Connection>>,
    /// More idle connections than this are closed.
    max_idle: usize,
    closed: AtomicBool,
}

impl Readers {
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration, max_idle: usize) -> Self {
        Self {
            path,
            busy_timeout,
            idle: Mutex::new(Vec::new()),
            max_idle,
            closed: AtomicBool::new(false),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // The file exists: the store created and migrated it before any read.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(self.busy_timeout)?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// Runs `read` on an idle connection (or a new one) and keeps the connection.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed.into());
        }
        let idle = self.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let out = read(&conn);
        let mut idle = self.lock();
        if idle.len() < self.max_idle && !self.closed.load(Ordering::Acquire) {
            idle.push(conn);
        }
        Ok(out?)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic elsewhere cannot leave a plain list of connections inconsistent.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a SQLite statement built for sqlx ([`crate::db::Conn::fetch_optional`]) here
    /// instead: its first row, if any.
    pub(crate) fn fetch_optional<T: FromRow>(&self, sql: &Sql) -> Result<Option<T>> {
        debug_assert_eq!(sql.dialect(), Dialect::Sqlite);
        self.with(|conn| {
            conn.prepare_cached(sql.text())?
                .query_row(rusqlite::params_from_iter(sql.binds()), T::from_rusqlite)
                .optional()
        })
    }

    /// Closes every idle connection; reads afterwards fail like sqlx's closed pool.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.lock().clear();
    }
}

impl ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Bind::Text(v) => v.to_sql(),
            Bind::Int(v) => v.to_sql(),
            Bind::Float(v) => v.to_sql(),
            Bind::Bool(v) => v.to_sql(),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Reader(e)
    }
}
