//! [`CustomerStore`] on SQL: reads, and writes in transactions per the store contract.

use async_trait::async_trait;
use custgate_core::{
    Capability, Count, CreateOptions, Customer, CustomerId, CustomerJson, CustomerStore, Error,
    ErrorKind, Page, Query, Result, Status, TenantId, Version,
};

use crate::db::{Bind, Conn, Dialect, Pool, Pooled, Sql, Tx};
use crate::error::{Result as StoreResult, StoreError};
use crate::filter::{push_order, push_where};
use crate::idempotency::{self, KeyClaim};
use crate::schema;
use crate::SqlStore;

fn not_found(id: &str) -> StoreError {
    Error::not_found(format!("customer '{id}' does not exist")).into()
}

fn number_exists(n: &str) -> StoreError {
    Error::new(
        ErrorKind::AlreadyExists,
        format!("a customer with number '{n}' exists already"),
    )
    .into()
}

pub(crate) fn parse_doc(json: &str) -> StoreResult<Customer> {
    Ok(serde_json::from_str(json)?)
}

fn version_of(raw: i64) -> StoreResult<Version> {
    u64::try_from(raw)
        .ok()
        .and_then(|v| Version::new(v).ok())
        .ok_or_else(|| StoreError::Invalid(format!("stored version {raw} is not valid")))
}

impl SqlStore {
    /// Creates every customer in one transaction: what as many
    /// [`CustomerStore::create`] calls without idempotency keys would do, in order, but
    /// all or nothing and with one commit. For imports and seeding.
    #[tracing::instrument(name = "store.create_many", skip_all, fields(tenant = %tenant, op = "create_many", count = customers.len()))]
    pub async fn create_many(
        &self,
        tenant: &TenantId,
        customers: Vec<Customer>,
    ) -> Result<Vec<Customer>> {
        for c in &customers {
            c.check()?;
        }
        let mut tx = self.write_tx().await?;
        let res = create_many_tx(&mut tx, tenant.as_str(), customers).await;
        Ok(tx.finish(res).await?)
    }

    pub(crate) async fn write_tx(&self) -> StoreResult<Tx> {
        Ok(Tx::write(&self.pool, &self.writer).await?)
    }

    pub(crate) async fn pooled(&self) -> StoreResult<Pooled> {
        Ok(Pooled::acquire(&self.pool).await?)
    }

    /// The stored version and document of a customer: through [`crate::read`] on a
    /// SQLite file, else one statement on a pooled connection.
    async fn doc(&self, tenant: &TenantId, id: &CustomerId) -> StoreResult<(i64, String)> {
        let (tenant, id) = (tenant.as_str(), id.as_str());
        let row = match &self.readers {
            Some(readers) => readers.fetch_optional(&select_doc(Dialect::Sqlite, tenant, id))?,
            None => {
                let mut pooled = self.pooled().await?;
                let mut conn = pooled.conn();
                conn.fetch_optional(&select_doc(conn.dialect(), tenant, id))
                    .await?
            }
        };
        row.ok_or_else(|| not_found(id))
    }
}

/// The statement every read of one customer runs: its version and document.
fn select_doc(dialect: Dialect, tenant: &str, id: &str) -> Sql {
    let mut sql = Sql::new(dialect);
    let doc = sql.json_column("c.doc");
    sql.push("SELECT c.version, ")
        .push(&doc)
        .push(" FROM customers c WHERE c.tenant = ")
        .bind_text(tenant)
        .push(" AND c.id = ")
        .bind_text(id);
    sql
}

/// The stored version and record, locked for the rest of the transaction on PostgreSQL
/// (SQLite write transactions hold the database's write lock already).
async fn load_for_write(
    conn: &mut Conn<'_>,
    tenant: &str,
    id: &str,
) -> StoreResult<(Version, Customer)> {
    let mut sql = select_doc(conn.dialect(), tenant, id);
    if sql.dialect() == Dialect::Postgres {
        sql.push(" FOR UPDATE");
    }
    let (version, doc): (i64, String) = conn
        .fetch_optional(&sql)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok((version_of(version)?, parse_doc(&doc)?))
}

async fn number_taken(
    conn: &mut Conn<'_>,
    tenant: &str,
    number: &str,
    except: Option<&str>,
) -> StoreResult<bool> {
    let mut sql = conn.sql();
    sql.push("SELECT COUNT(*) FROM customers c WHERE c.tenant = ")
        .bind_text(tenant)
        .push(" AND c.number = ")
        .bind_text(number);
    if let Some(id) = except {
        sql.push(" AND c.id <> ").bind_text(id);
    }
    let (n,): (i64,) = conn.fetch_one(&sql).await?;
    Ok(n > 0)
}

/// Inserts or rewrites the `customers` row of `c` (already in canonical form, `json` its
/// document) and, when `values` is set, its `customer_values` rows.
async fn write_row(
    conn: &mut Conn<'_>,
    tenant: &str,
    c: &Customer,
    json: String,
    insert: bool,
    values: bool,
) -> StoreResult<()> {
    let row = schema::row(c);
    let mut sql = conn.sql();
    if insert {
        sql.push("INSERT INTO customers (tenant, doc");
        for (name, _) in &row {
            sql.push(", ").push(name);
        }
        sql.push(") VALUES (")
            .bind_text(tenant)
            .push(", ")
            .bind_json(json);
        for (_, v) in row {
            sql.push(", ");
            v.bind(&mut sql);
        }
        sql.push(")");
    } else {
        sql.push("UPDATE customers SET doc = ").bind_json(json);
        for (name, v) in row {
            sql.push(", ").push(name).push(" = ");
            v.bind(&mut sql);
        }
        sql.push(" WHERE tenant = ")
            .bind_text(tenant)
            .push(" AND id = ")
            .bind_text(c.id.as_str());
    }
    let n = conn.execute(&sql).await?;
    if n != 1 {
        return Err(StoreError::Invalid(format!(
            "wrote {n} rows for one customer"
        )));
    }
    if values {
        if !insert {
            delete_values(conn, tenant, c.id.as_str()).await?;
        }
        let values = schema::multi_values(c);
        if !values.is_empty() {
            let mut sql = conn.sql();
            sql.push(
                "INSERT INTO customer_values (tenant, customer_id, field, value, value_lc) VALUES ",
            );
            for (i, (field, value)) in values.into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let lc = value.to_lowercase();
                sql.push("(")
                    .bind_text(tenant)
                    .push(", ")
                    .bind_text(c.id.as_str())
                    .push(", ")
                    .bind_text(field)
                    .push(", ")
                    .bind_text(value)
                    .push(", ")
                    .bind_text(lc)
                    .push(")");
            }
            conn.execute(&sql).await?;
        }
    }
    Ok(())
}

async fn delete_values(conn: &mut Conn<'_>, tenant: &str, id: &str) -> StoreResult<()> {
    let mut sql = conn.sql();
    sql.push("DELETE FROM customer_values WHERE tenant = ")
        .bind_text(tenant)
        .push(" AND customer_id = ")
        .bind_text(id);
    conn.execute(&sql).await?;
    Ok(())
}

/// The create itself, inside a write transaction. Returns the stored customer and its
/// document.
async fn create_in(
    conn: &mut Conn<'_>,
    tenant: &str,
    mut customer: Customer,
) -> StoreResult<(Customer, String)> {
    // The tenant's sequence row first: on PostgreSQL concurrent creates of one tenant
    // queue on its lock here, so the checks and the next number below see every earlier
    // create. A failed create rolls the sequence back with everything else.
    let mut sql = conn.sql();
    sql.push("INSERT INTO tenant_sequences (tenant, last_seq, customer_count) VALUES (")
        .bind_text(tenant)
        .push(
            ", 1, 1) ON CONFLICT (tenant) DO UPDATE SET last_seq = tenant_sequences.last_seq + 1, \
             customer_count = tenant_sequences.customer_count + 1 RETURNING last_seq",
        );
    let (seq,): (i64,) = conn.fetch_one(&sql).await?;

    let mut sql = conn.sql();
    sql.push("SELECT COUNT(*) FROM customers c WHERE c.tenant = ")
        .bind_text(tenant)
        .push(" AND c.id = ")
        .bind_text(customer.id.as_str());
    let (n,): (i64,) = conn.fetch_one(&sql).await?;
    if n > 0 {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("a customer with id '{}' exists already", customer.id),
        )
        .into());
    }

    match &customer.number {
        Some(n) => {
            if number_taken(conn, tenant, n, None).await? {
                return Err(number_exists(n));
            }
        }
        None => {
            let mut sql = conn.sql();
            sql.push("SELECT MAX(c.number_int) FROM customers c WHERE c.tenant = ")
                .bind_text(tenant);
            let (max,): (Option<i64>,) = conn.fetch_one(&sql).await?;
            let next = max
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| Error::unexpected("customer numbers are exhausted"))?;
            customer.number = Some(next.to_string());
        }
    }

    customer.seq = Some(seq);
    customer.version = Version::FIRST;
    let now = schema::now();
    customer.created_at = Some(now);
    customer.updated_at = Some(now);
    let (customer, json) = schema::canonical(customer)?;
    write_row(conn, tenant, &customer, json.clone(), true, true).await?;
    Ok((customer, json))
}

async fn create_many_tx(
    tx: &mut Tx,
    tenant: &str,
    customers: Vec<Customer>,
) -> StoreResult<Vec<Customer>> {
    let mut conn = tx.conn();
    let mut created = Vec::with_capacity(customers.len());
    for customer in customers {
        created.push(create_in(&mut conn, tenant, customer).await?.0);
    }
    Ok(created)
}

async fn create_tx(
    tx: &mut Tx,
    tenant: &str,
    customer: Customer,
    idempotency: Option<(&str, i64)>,
) -> StoreResult<Customer> {
    let mut conn = tx.conn();
    let (customer, json) = create_in(&mut conn, tenant, customer).await?;
    if let Some((key, token)) = idempotency {
        idempotency::complete(&mut conn, tenant, key, token, &json).await?;
    }
    Ok(customer)
}

async fn update_tx(
    tx: &mut Tx,
    tenant: &str,
    mut customer: Customer,
    expected: Option<Version>,
) -> StoreResult<Customer> {
    let mut conn = tx.conn();
    let (version, stored) = load_for_write(&mut conn, tenant, customer.id.as_str()).await?;
    if expected.is_some_and(|e| e != version) {
        return Err(Error::version_mismatch(version).into());
    }
    if let Some(n) = &customer.number {
        if number_taken(&mut conn, tenant, n, Some(customer.id.as_str())).await? {
            return Err(number_exists(n));
        }
    }
    customer.seq = stored.seq;
    customer.created_at = stored.created_at;
    customer.version = version.next();
    customer.updated_at = Some(schema::now());
    let (customer, json) = schema::canonical(customer)?;
    write_row(&mut conn, tenant, &customer, json, false, true).await?;
    Ok(customer)
}

async fn delete_tx(
    tx: &mut Tx,
    tenant: &str,
    id: &str,
    expected: Option<Version>,
) -> StoreResult<Customer> {
    let mut conn = tx.conn();
    let (version, stored) = load_for_write(&mut conn, tenant, id).await?;
    if expected.is_some_and(|e| e != version) {
        return Err(Error::version_mismatch(version).into());
    }
    delete_values(&mut conn, tenant, id).await?;
    let mut sql = conn.sql();
    sql.push("DELETE FROM customers WHERE tenant = ")
        .bind_text(tenant)
        .push(" AND id = ")
        .bind_text(id);
    conn.execute(&sql).await?;
    let mut sql = conn.sql();
    sql.push("UPDATE tenant_sequences SET customer_count = customer_count - 1 WHERE tenant = ")
        .bind_text(tenant);
    conn.execute(&sql).await?;
    Ok(stored)
}

async fn set_status_tx(
    tx: &mut Tx,
    tenant: &str,
    id: &str,
    status: Status,
) -> StoreResult<Customer> {
    let mut conn = tx.conn();
    let (version, mut customer) = load_for_write(&mut conn, tenant, id).await?;
    customer.status = status;
    customer.version = version.next();
    customer.updated_at = Some(schema::now());
    let (customer, json) = schema::canonical(customer)?;
    write_row(&mut conn, tenant, &customer, json, false, false).await?;
    Ok(customer)
}

async fn query_in(conn: &mut Conn<'_>, tenant: &str, query: &Query) -> StoreResult<Page> {
    let total = if query.count == Count::None {
        None
    } else if query.filter.is_none() {
        // Kept per tenant by every create and delete.
        let mut sql = conn.sql();
        sql.push("SELECT customer_count FROM tenant_sequences WHERE tenant = ")
            .bind_text(tenant);
        let n: Option<(i64,)> = conn.fetch_optional(&sql).await?;
        Some(n.map_or(0, |(n,)| u64::try_from(n).unwrap_or_default()))
    } else {
        let mut sql = conn.sql();
        sql.push("SELECT COUNT(*) FROM customers c");
        push_where(&mut sql, tenant, query.filter.as_ref());
        let (n,): (i64,) = conn.fetch_one(&sql).await?;
        Some(u64::try_from(n).unwrap_or_default())
    };
    let items = if query.count == Count::Only || query.limit == Some(0) {
        Vec::new()
    } else {
        let mut sql = conn.sql();
        let doc = sql.json_column("c.doc");
        sql.push("SELECT ").push(&doc).push(" FROM customers c");
        push_where(&mut sql, tenant, query.filter.as_ref());
        push_order(&mut sql, &query.sort);
        let limit = query.limit.map(i64::from);
        sql.push(" LIMIT ");
        match sql.dialect() {
            // SQLite takes a negative limit as none, PostgreSQL a NULL one.
            Dialect::Sqlite => sql.bind(Bind::Int(Some(limit.unwrap_or(-1)))),
            Dialect::Postgres => sql.bind(Bind::Int(limit)),
        };
        sql.push(" OFFSET ")
            .bind_int(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows: Vec<(String,)> = conn.fetch_all(&sql).await?;
        rows.iter()
            .map(|(doc,)| parse_doc(doc))
            .collect::<StoreResult<Vec<_>>>()?
    };
    Ok(Page { items, total })
}

#[async_trait]
impl CustomerStore for SqlStore {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        &self.name
    }

    #[tracing::instrument(name = "store.query", skip_all, fields(tenant = %tenant, op = "query"))]
    async fn query(&self, tenant: &TenantId, query: &Query) -> Result<Page> {
        query.check()?;
        if query.count == Count::WithTotal {
            // The count and the page from one snapshot.
            let mut tx = Tx::read(&self.pool).await.map_err(StoreError::from)?;
            let page = query_in(&mut tx.conn(), tenant.as_str(), query).await;
            Ok(tx.finish(page).await?)
        } else {
            let mut conn = self.pooled().await?;
            Ok(query_in(&mut conn.conn(), tenant.as_str(), query).await?)
        }
    }

    #[tracing::instrument(name = "store.get", skip_all, fields(tenant = %tenant, op = "get", id = %id))]
    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        let (_, doc) = self.doc(tenant, id).await?;
        Ok(parse_doc(&doc)?)
    }

    #[tracing::instrument(name = "store.get_json", skip_all, fields(tenant = %tenant, op = "get", id = %id))]
    async fn get_json(&self, tenant: &TenantId, id: &CustomerId) -> Result<CustomerJson> {
        let (version, doc) = self.doc(tenant, id).await?;
        let json = match self.pool {
            // SQLite keeps the document as written, which `schema::canonical` made the
            // customer's own serialisation.
            Pool::Sqlite(_) => doc,
            // JSONB keeps keys in its own order and reformats: serialise again.
            Pool::Postgres(_) => {
                serde_json::to_string(&parse_doc(&doc)?).map_err(StoreError::from)?
            }
        };
        Ok(CustomerJson {
            version: version_of(version)?,
            json,
        })
    }

    #[tracing::instrument(
        name = "store.create",
        skip_all,
        fields(tenant = %tenant, op = "create", id = %customer.id, idempotent = options.idempotency.is_some())
    )]
    async fn create(
        &self,
        tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer> {
        customer.check()?;
        let t = tenant.as_str();
        let Some(idem) = options.idempotency else {
            let mut tx = self.write_tx().await?;
            let res = create_tx(&mut tx, t, customer, None).await;
            return Ok(tx.finish(res).await?);
        };
        let token = match self.claim(tenant, &idem).await? {
            KeyClaim::Replay(first) => return Ok(*first),
            KeyClaim::Owned(token) => token,
        };
        let key = idem.key.as_str();
        let res = async {
            let mut tx = self.write_tx().await?;
            let res = create_tx(&mut tx, t, customer, Some((key, token))).await;
            tx.finish(res).await
        }
        .await;
        if res.is_err() {
            if let Err(e) = self.release(t, key, token).await {
                tracing::warn!(error = %e, "Could not release an idempotency key");
            }
        }
        Ok(res?)
    }

    #[tracing::instrument(name = "store.update", skip_all, fields(tenant = %tenant, op = "update", id = %customer.id))]
    async fn update(
        &self,
        tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        customer.check()?;
        let mut tx = self.write_tx().await?;
        let res = update_tx(&mut tx, tenant.as_str(), customer, expected).await;
        Ok(tx.finish(res).await?)
    }

    #[tracing::instrument(name = "store.delete", skip_all, fields(tenant = %tenant, op = "delete", id = %id))]
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer> {
        let mut tx = self.write_tx().await?;
        let res = delete_tx(&mut tx, tenant.as_str(), id.as_str(), expected).await;
        Ok(tx.finish(res).await?)
    }

    #[tracing::instrument(name = "store.set_status", skip_all, fields(tenant = %tenant, op = "set_status", id = %id))]
    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer> {
        let mut tx = self.write_tx().await?;
        let res = set_status_tx(&mut tx, tenant.as_str(), id.as_str(), status).await;
        Ok(tx.finish(res).await?)
    }

    #[tracing::instrument(name = "store.health", skip_all, fields(op = "health"))]
    async fn health(&self) -> Result<()> {
        let mut pooled = self.pooled().await?;
        let mut conn = pooled.conn();
        let mut sql = conn.sql();
        sql.push("SELECT 1");
        conn.execute(&sql).await.map_err(StoreError::from)?;
        Ok(())
    }
}
