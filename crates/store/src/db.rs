//! The thin layer over the two sqlx drivers: a statement builder that numbers its
//! placeholders per dialect and keeps every value as a bound parameter, and one
//! connection and transaction type for both databases. [`crate::read`] runs the same
//! statements and decodes the same rows through rusqlite.

use std::fmt::Write as _;
use std::sync::Arc;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Decode, Postgres, Row, Sqlite, Transaction, Type};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The SQL dialect a statement is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// One bound parameter. `None` binds a typed NULL (PostgreSQL needs the type).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Bind {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(Option<bool>),
}

/// A statement under construction: SQL text with placeholders, and the values bound to
/// them. Values never go into the text.
#[derive(Clone, Debug)]
pub(crate) struct Sql {
    dialect: Dialect,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            text: String::with_capacity(256),
            binds: Vec::new(),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn binds(&self) -> &[Bind] {
        &self.binds
    }

    /// Appends SQL text: keywords, identifiers from the schema, never a value.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                let _ = write!(self.text, "${}", self.binds.len());
            }
        }
        self
    }

    pub(crate) fn bind_text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(Some(value.into())))
    }

    pub(crate) fn bind_int(&mut self, value: i64) -> &mut Self {
        self.bind(Bind::Int(Some(value)))
    }

    /// A decimal: a REAL on SQLite, an exact NUMERIC (sent as text) on PostgreSQL.
    pub(crate) fn bind_decimal(&mut self, value: Option<Decimal>) -> &mut Self {
        match self.dialect {
            Dialect::Sqlite => self.bind(Bind::Float(value.and_then(|d| d.to_f64()))),
            Dialect::Postgres => {
                self.push("CAST(");
                self.bind(Bind::Text(value.map(|d| d.to_string())));
                self.push(" AS NUMERIC)")
            }
        }
    }

    /// A JSON document: TEXT on SQLite, JSONB on PostgreSQL.
    pub(crate) fn bind_json(&mut self, json: String) -> &mut Self {
        match self.dialect {
            Dialect::Sqlite => self.bind_text(json),
            Dialect::Postgres => {
                self.push("CAST(");
                self.bind_text(json);
                self.push(" AS JSONB)")
            }
        }
    }

    /// The expression that reads a JSON document column back as text.
    pub(crate) fn json_column(&self, column: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Postgres => format!("{column}::text"),
        }
    }
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b {
                Bind::Text(v) => q.bind(v.as_deref()),
                Bind::Int(v) => q.bind(*v),
                Bind::Float(v) => q.bind(*v),
                Bind::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// A value every driver can decode (both of sqlx's, and rusqlite for [`crate::read`]).
pub(crate) trait Col:
    for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
    + rusqlite::types::FromSql
    + Send
    + Unpin
{
}

impl<T> Col for T where
    T: for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
        + rusqlite::types::FromSql
        + Send
        + Unpin
{
}

/// A result row of a known shape, decoded by column position.
pub(crate) trait FromRow: Sized + Send + Unpin {
    fn from_sqlite(row: &SqliteRow) -> Result<Self, sqlx::Error>;
    fn from_pg(row: &PgRow) -> Result<Self, sqlx::Error>;
    fn from_rusqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! tuple_from_row {
    ($( $t:ident $i:tt ),+) => {
        impl<$($t: Col),+> FromRow for ($($t,)+) {
            fn from_sqlite(row: &SqliteRow) -> Result<Self, sqlx::Error> {
                Ok(($(row.try_get::<$t, _>($i)?,)+))
            }
            fn from_pg(row: &PgRow) -> Result<Self, sqlx::Error> {
                Ok(($(row.try_get::<$t, _>($i)?,)+))
            }
            fn from_rusqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);

/// A connection of either driver, borrowed from a pool or a transaction.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &Sql) -> Result<u64, sqlx::Error> {
        debug_assert_eq!(sql.dialect, self.dialect());
        match self {
            Conn::Sqlite(c) => Ok(bind_all!(sqlx::query(&sql.text), &sql.binds)
                .execute(&mut **c)
                .await?
                .rows_affected()),
            Conn::Postgres(c) => Ok(bind_all!(sqlx::query(&sql.text), &sql.binds)
                .execute(&mut **c)
                .await?
                .rows_affected()),
        }
    }

    pub(crate) async fn fetch_all<T: FromRow>(&mut self, sql: &Sql) -> Result<Vec<T>, sqlx::Error> {
        debug_assert_eq!(sql.dialect, self.dialect());
        match self {
            Conn::Sqlite(c) => bind_all!(sqlx::query(&sql.text), &sql.binds)
                .fetch_all(&mut **c)
                .await?
                .iter()
                .map(T::from_sqlite)
                .collect(),
            Conn::Postgres(c) => bind_all!(sqlx::query(&sql.text), &sql.binds)
                .fetch_all(&mut **c)
                .await?
                .iter()
                .map(T::from_pg)
                .collect(),
        }
    }

    pub(crate) async fn fetch_optional<T: FromRow>(
        &mut self,
        sql: &Sql,
    ) -> Result<Option<T>, sqlx::Error> {
        debug_assert_eq!(sql.dialect, self.dialect());
        match self {
            Conn::Sqlite(c) => bind_all!(sqlx::query(&sql.text), &sql.binds)
                .fetch_optional(&mut **c)
                .await?
                .as_ref()
                .map(T::from_sqlite)
                .transpose(),
            Conn::Postgres(c) => bind_all!(sqlx::query(&sql.text), &sql.binds)
                .fetch_optional(&mut **c)
                .await?
                .as_ref()
                .map(T::from_pg)
                .transpose(),
        }
    }

    pub(crate) async fn fetch_one<T: FromRow>(&mut self, sql: &Sql) -> Result<T, sqlx::Error> {
        self.fetch_optional(sql)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

/// The pool of either driver.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A transaction of either driver. On SQLite a write transaction also holds the store's
/// writer lock, so that writers of one process queue in order instead of polling SQLite's
/// busy handler; `BEGIN IMMEDIATE` still serialises writers of other processes.
pub(crate) struct Tx {
    // Dropped first: a transaction dropped without commit queues its rollback before the
    // writer lock is released.
    inner: TxInner,
    _writer: Option<OwnedMutexGuard<()>>,
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn write(pool: &Pool, writer: &Arc<Mutex<()>>) -> Result<Tx, sqlx::Error> {
        match pool {
            Pool::Sqlite(p) => {
                let guard = Arc::clone(writer).lock_owned().await;
                let tx = p.begin_with("BEGIN IMMEDIATE").await?;
                Ok(Tx {
                    inner: TxInner::Sqlite(tx),
                    _writer: Some(guard),
                })
            }
            Pool::Postgres(p) => Ok(Tx {
                inner: TxInner::Postgres(p.begin().await?),
                _writer: None,
            }),
        }
    }

    /// A read-only transaction over one consistent snapshot.
    pub(crate) async fn read(pool: &Pool) -> Result<Tx, sqlx::Error> {
        match pool {
            Pool::Sqlite(p) => Ok(Tx {
                inner: TxInner::Sqlite(p.begin().await?),
                _writer: None,
            }),
            Pool::Postgres(p) => Ok(Tx {
                inner: TxInner::Postgres(
                    p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        .await?,
                ),
                _writer: None,
            }),
        }
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Conn::Sqlite(&mut *t),
            TxInner::Postgres(t) => Conn::Postgres(&mut *t),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Postgres(t) => t.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await,
            TxInner::Postgres(t) => t.rollback().await,
        }
    }

    /// Commits when `result` is `Ok`, rolls back otherwise, and passes `result` on.
    pub(crate) async fn finish<T, E: From<sqlx::Error>>(
        self,
        result: Result<T, E>,
    ) -> Result<T, E> {
        match result {
            Ok(v) => {
                self.commit().await?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback, which sqlx
                // retries when the connection goes back to the pool anyway.
                let _ = self.rollback().await;
                Err(e)
            }
        }
    }
}

/// A pooled connection of either driver, for single statements.
pub(crate) enum Pooled {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Pooled {
    pub(crate) async fn acquire(pool: &Pool) -> Result<Pooled, sqlx::Error> {
        Ok(match pool {
            Pool::Sqlite(p) => Pooled::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => Pooled::Postgres(p.acquire().await?),
        })
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(&mut *c),
            Pooled::Postgres(c) => Conn::Postgres(&mut *c),
        }
    }
}
