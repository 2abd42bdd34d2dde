//! The `CustomerStore` trait: what every backend (the embedded SQL store, the in-memory
//! reference store, each dialect's upstream client) implements.

use std::fmt;

use async_trait::async_trait;

use crate::capability::Capability;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, IdempotencyKey, TenantId, Version};
use crate::model::{Customer, Status};
use crate::query::{Key, Page, Query};

/// An idempotent create: the client's key and a fingerprint of its request (a hash of the
/// body), so that the same key with another body can be told apart from a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub key: IdempotencyKey,
    pub fingerprint: String,
}

/// Options of [`CustomerStore::create`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateOptions {
    pub idempotency: Option<Idempotency>,
}

/// A customer as [`CustomerStore::get_json`] answers it: its canonical JSON and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerJson {
    /// The record's version (its `version` field), for an `ETag` without parsing `json`.
    pub version: Version,
    /// Exactly `serde_json::to_string` of the customer [`CustomerStore::get`] returns.
    pub json: String,
}

/// A customer store, scoped by tenant on every call.
///
/// Contract (checked by the conformance suite in `custgate-testkit`):
/// - `create` keeps the caller's `id` (unique per tenant, else `AlreadyExists`), assigns
///   `seq` (1, 2, 3… per tenant), assigns `number` when absent (one more than the largest
///   [`Customer::number_value`] of the tenant, 1 for the first; `Unexpected` after
///   `i64::MAX`), refuses a duplicate `number` with `AlreadyExists`, sets `version` to 1
///   and both timestamps; with an idempotency key, a replay returns the first answer, the
///   same key with another fingerprint is `IdempotencyMismatch`, and while the first is in
///   flight `Conflict`;
/// - `update` replaces the whole record but keeps `seq` and `created_at`, bumps `version`
///   and `updated_at`; with `expected` it fails with `VersionMismatch` (context
///   `stored_version`) when the stored version differs;
/// - `delete` removes the record and returns it as it was;
/// - `set_status` changes the status and bumps the version;
/// - no call ever sees another tenant's records.
#[async_trait]
pub trait CustomerStore: Send + Sync + fmt::Debug {
    /// What this store can do.
    fn capability(&self) -> &Capability;

    /// A short name for logs, metrics and the planner's explanation (`embedded`,
    /// `upstream:odata`…).
    fn name(&self) -> &str;

    async fn query(&self, tenant: &TenantId, query: &Query) -> Result<Page>;

    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer>;

    /// [`Self::get`] serialised: what a front end sends when its body is the canonical
    /// JSON. A store that keeps records serialised answers without parsing them.
    async fn get_json(&self, tenant: &TenantId, id: &CustomerId) -> Result<CustomerJson> {
        let c = self.get(tenant, id).await?;
        let json = serde_json::to_string(&c)
            .map_err(|e| Error::unexpected(format!("a customer did not serialize: {e}")))?;
        Ok(CustomerJson {
            version: c.version,
            json,
        })
    }

    /// Every customer with this key, ordered by `seq`.
    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        let page = self
            .query(tenant, &Query::filtered(key.to_filter()))
            .await?;
        Ok(page.items)
    }

    async fn create(
        &self,
        tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer>;

    async fn update(
        &self,
        tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer>;

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer>;

    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer>;

    /// `Ok` when the store can serve requests.
    async fn health(&self) -> Result<()>;
}

/// A shared, dynamically dispatched store.
pub type DynStore = std::sync::Arc<dyn CustomerStore>;

/// The first customer with this key (lowest `seq`), or `NotFound`.
pub async fn find_one(store: &dyn CustomerStore, tenant: &TenantId, key: &Key) -> Result<Customer> {
    store
        .find(tenant, key)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("no customer with {key}")))
}
