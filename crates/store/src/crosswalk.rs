//! The id crosswalk: a stable small integer alias per upstream record, for dialects with
//! integer ids in front of upstreams with other ids.

use custgate_core::{Result, TenantId};

use crate::db::Conn;
use crate::error::{Result as StoreResult, StoreError};
use crate::SqlStore;

async fn lookup(
    conn: &mut Conn<'_>,
    tenant: &str,
    upstream: &str,
    upstream_id: &str,
) -> StoreResult<Option<i64>> {
    let mut sql = conn.sql();
    sql.push("SELECT alias FROM id_crosswalk WHERE tenant = ")
        .bind_text(tenant)
        .push(" AND upstream = ")
        .bind_text(upstream)
        .push(" AND upstream_id = ")
        .bind_text(upstream_id);
    Ok(conn.fetch_optional::<(i64,)>(&sql).await?.map(|(a,)| a))
}

/// Allocates the next alias of (tenant, upstream) and records it for `upstream_id`;
/// `None` when another transaction recorded one for it first.
async fn allocate(
    conn: &mut Conn<'_>,
    tenant: &str,
    upstream: &str,
    upstream_id: &str,
) -> StoreResult<Option<i64>> {
    // The counter row is locked until commit: concurrent allocations (from any number of
    // gateway instances on PostgreSQL) queue here.
    let mut sql = conn.sql();
    sql.push("INSERT INTO crosswalk_sequences (tenant, upstream, last_alias) VALUES (")
        .bind_text(tenant)
        .push(", ")
        .bind_text(upstream)
        .push(
            ", 1) ON CONFLICT (tenant, upstream) DO UPDATE \
             SET last_alias = crosswalk_sequences.last_alias + 1 RETURNING last_alias",
        );
    let (alias,): (i64,) = conn.fetch_one(&sql).await?;
    let mut sql = conn.sql();
    sql.push("INSERT INTO id_crosswalk (tenant, upstream, upstream_id, alias) VALUES (")
        .bind_text(tenant)
        .push(", ")
        .bind_text(upstream)
        .push(", ")
        .bind_text(upstream_id)
        .push(", ")
        .bind_int(alias)
        .push(") ON CONFLICT (tenant, upstream, upstream_id) DO NOTHING");
    Ok((conn.execute(&sql).await? == 1).then_some(alias))
}

impl SqlStore {
    /// The alias of an upstream record: the same for the same (tenant, upstream,
    /// upstream id) forever, allocated 1, 2, 3… per (tenant, upstream) on first use.
    #[tracing::instrument(name = "store.alias_for", skip_all, fields(tenant = %tenant, op = "alias_for", upstream = upstream))]
    pub async fn alias_for(
        &self,
        tenant: &TenantId,
        upstream: &str,
        upstream_id: &str,
    ) -> Result<i64> {
        let t = tenant.as_str();
        {
            let mut pooled = self.pooled().await?;
            if let Some(alias) = lookup(&mut pooled.conn(), t, upstream, upstream_id).await? {
                return Ok(alias);
            }
        }
        self.allocate_alias(t, upstream, upstream_id).await
    }

    /// Allocates the alias of a record found without one, or, when another writer
    /// recorded one meanwhile, answers that.
    async fn allocate_alias(&self, t: &str, upstream: &str, upstream_id: &str) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let res = allocate(&mut tx.conn(), t, upstream, upstream_id).await;
        match res {
            Ok(Some(alias)) => {
                tx.commit().await.map_err(StoreError::from)?;
                Ok(alias)
            }
            Ok(None) => {
                // Someone else recorded it meanwhile: give the counter back, use theirs.
                tx.rollback().await.map_err(StoreError::from)?;
                let mut pooled = self.pooled().await?;
                let alias = lookup(&mut pooled.conn(), t, upstream, upstream_id)
                    .await?
                    .ok_or_else(|| StoreError::Invalid("crosswalk entry vanished".into()))?;
                Ok(alias)
            }
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e.into())
            }
        }
    }

    /// The aliases of several upstream records, in their order: one query for those
    /// already allocated, then an allocation for each new one (in order, so allocation
    /// order is the order records were first seen, as with [`SqlStore::alias_for`]).
    #[tracing::instrument(name = "store.aliases_for", skip_all, fields(tenant = %tenant, op = "aliases_for", upstream = upstream, count = upstream_ids.len()))]
    pub async fn aliases_for(
        &self,
        tenant: &TenantId,
        upstream: &str,
        upstream_ids: &[&str],
    ) -> Result<Vec<i64>> {
        let t = tenant.as_str();
        let mut known = std::collections::HashMap::with_capacity(upstream_ids.len());
        if !upstream_ids.is_empty() {
            let mut pooled = self.pooled().await?;
            let mut conn = pooled.conn();
            // Well below the bind limits of SQLite (32,766) and PostgreSQL (65,535).
            for chunk in upstream_ids.chunks(500) {
                let mut sql = conn.sql();
                sql.push("SELECT upstream_id, alias FROM id_crosswalk WHERE tenant = ")
                    .bind_text(t)
                    .push(" AND upstream = ")
                    .bind_text(upstream)
                    .push(" AND upstream_id IN (");
                for (i, id) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_text(*id);
                }
                sql.push(")");
                let rows: Vec<(String, i64)> =
                    conn.fetch_all(&sql).await.map_err(StoreError::from)?;
                known.extend(rows);
            }
        }
        let mut out = Vec::with_capacity(upstream_ids.len());
        for id in upstream_ids {
            let alias = match known.get(*id) {
                Some(alias) => *alias,
                None => {
                    let alias = self.allocate_alias(t, upstream, id).await?;
                    known.insert((*id).to_owned(), alias);
                    alias
                }
            };
            out.push(alias);
        }
        Ok(out)
    }

    /// The upstream id an alias stands for, if it was ever allocated.
    #[tracing::instrument(name = "store.resolve_alias", skip_all, fields(tenant = %tenant, op = "resolve_alias", upstream = upstream, alias = alias))]
    pub async fn resolve_alias(
        &self,
        tenant: &TenantId,
        upstream: &str,
        alias: i64,
    ) -> Result<Option<String>> {
        let mut pooled = self.pooled().await?;
        let mut conn = pooled.conn();
        let mut sql = conn.sql();
        sql.push("SELECT upstream_id FROM id_crosswalk WHERE tenant = ")
            .bind_text(tenant.as_str())
            .push(" AND upstream = ")
            .bind_text(upstream)
            .push(" AND alias = ")
            .bind_int(alias);
        let row: Option<(String,)> = conn.fetch_optional(&sql).await.map_err(StoreError::from)?;
        Ok(row.map(|(id,)| id))
    }
}
