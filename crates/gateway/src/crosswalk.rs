//! The id crosswalk: a stable integer alias for each record of an upstream that has no
//! integer ids, so that fronts with integer ids (`cusId`, `ID`, `customerId`, `CUSTNO`)
//! can address it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use custgate_core::{Result, TenantId};
use custgate_store::SqlStore;

/// Where aliases are kept: per tenant and upstream, allocated 1, 2, 3… on first use and
/// never changed.
#[async_trait]
pub trait AliasTable: Send + Sync + fmt::Debug {
    /// The alias of an upstream record, allocating one on first use.
    async fn alias_for(&self, tenant: &TenantId, upstream: &str, upstream_id: &str) -> Result<i64>;

    /// The aliases of several upstream records, in their order, allocating on first use
    /// in that order; a store answers the ones it has in one query.
    async fn aliases_for(
        &self,
        tenant: &TenantId,
        upstream: &str,
        upstream_ids: &[&str],
    ) -> Result<Vec<i64>> {
        let mut out = Vec::with_capacity(upstream_ids.len());
        for id in upstream_ids {
            out.push(self.alias_for(tenant, upstream, id).await?);
        }
        Ok(out)
    }

    /// The upstream id an alias stands for, if it was ever allocated.
    async fn resolve(
        &self,
        tenant: &TenantId,
        upstream: &str,
        alias: i64,
    ) -> Result<Option<String>>;
}

/// The store's `id_crosswalk` table: aliases survive restarts and are shared by every
/// gateway instance on the same PostgreSQL database.
#[async_trait]
impl AliasTable for SqlStore {
    async fn alias_for(&self, tenant: &TenantId, upstream: &str, upstream_id: &str) -> Result<i64> {
        SqlStore::alias_for(self, tenant, upstream, upstream_id).await
    }

    async fn aliases_for(
        &self,
        tenant: &TenantId,
        upstream: &str,
        upstream_ids: &[&str],
    ) -> Result<Vec<i64>> {
        SqlStore::aliases_for(self, tenant, upstream, upstream_ids).await
    }

    async fn resolve(
        &self,
        tenant: &TenantId,
        upstream: &str,
        alias: i64,
    ) -> Result<Option<String>> {
        SqlStore::resolve_alias(self, tenant, upstream, alias).await
    }
}

/// Aliases in memory, for the `memory://` store and tests: lost on restart.
#[derive(Debug, Default)]
pub struct MemoryAliases {
    inner: Mutex<MemoryInner>,
}

type Scope = (String, String);

#[derive(Debug, Default)]
struct MemoryInner {
    by_id: HashMap<(Scope, String), i64>,
    by_alias: HashMap<(Scope, i64), String>,
    last: HashMap<Scope, i64>,
}

#[async_trait]
impl AliasTable for MemoryAliases {
    async fn alias_for(&self, tenant: &TenantId, upstream: &str, upstream_id: &str) -> Result<i64> {
        let scope = (tenant.as_str().to_owned(), upstream.to_owned());
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = m.by_id.get(&(scope.clone(), upstream_id.to_owned())) {
            return Ok(*a);
        }
        let last = m.last.entry(scope.clone()).or_insert(0);
        *last += 1;
        let alias = *last;
        m.by_id
            .insert((scope.clone(), upstream_id.to_owned()), alias);
        m.by_alias.insert((scope, alias), upstream_id.to_owned());
        Ok(alias)
    }

    async fn resolve(
        &self,
        tenant: &TenantId,
        upstream: &str,
        alias: i64,
    ) -> Result<Option<String>> {
        let scope = (tenant.as_str().to_owned(), upstream.to_owned());
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        Ok(m.by_alias.get(&(scope, alias)).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_aliases_are_stable_and_scoped() {
        let t = MemoryAliases::default();
        let demo = TenantId::parse("demo").unwrap();
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(t.alias_for(&demo, "ndata", "a").await.unwrap(), 1);
        assert_eq!(t.alias_for(&demo, "ndata", "b").await.unwrap(), 2);
        assert_eq!(t.alias_for(&demo, "ndata", "a").await.unwrap(), 1);
        assert_eq!(t.alias_for(&acme, "ndata", "b").await.unwrap(), 1);
        assert_eq!(t.alias_for(&demo, "custno", "a").await.unwrap(), 1);
        assert_eq!(
            t.resolve(&demo, "ndata", 2).await.unwrap().as_deref(),
            Some("b")
        );
        assert_eq!(t.resolve(&acme, "ndata", 2).await.unwrap(), None);
    }
}
