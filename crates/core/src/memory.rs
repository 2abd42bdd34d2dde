//! An in-memory [`CustomerStore`]: the reference implementation of the store contract,
//! used in tests and by services that embed an adapter without a database.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;

use crate::capability::Capability;
use crate::error::{Error, ErrorKind, Result};
use crate::eval;
use crate::ids::{CustomerId, TenantId, Version};
use crate::model::{Customer, Status};
use crate::query::{Page, Query};
use crate::store::{CreateOptions, CustomerStore};

#[derive(Default)]
struct TenantData {
    customers: BTreeMap<CustomerId, Customer>,
    next_seq: i64,
    /// key → the create it answered.
    idempotency: HashMap<String, Remembered>,
    /// When expired keys were last forgotten.
    last_sweep: Option<Instant>,
}

/// An idempotent create, as remembered for its key.
struct Remembered {
    fingerprint: String,
    first: Customer,
    since: Instant,
}

/// How long an idempotency key is remembered unless told otherwise: the embedded
/// store's default (`store.idempotency_retention_hours`).
pub const DEFAULT_KEY_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest expired keys are kept before they are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// How long idempotency keys kept in memory are remembered from their first use, and
/// when the expired ones are forgotten: the rules of the SQL store's keys, on this
/// process's clock. Used by [`MemoryStore`] and by the gateway's memory keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRetention(Duration);

impl Default for KeyRetention {
    fn default() -> Self {
        KeyRetention(DEFAULT_KEY_RETENTION)
    }
}

impl KeyRetention {
    pub fn new(retention: Duration) -> KeyRetention {
        KeyRetention(retention)
    }

    /// Whether a key first used at `since` is still remembered; an older one is a new
    /// request.
    pub fn remembers(self, since: Instant) -> bool {
        since.elapsed() < self.0
    }

    /// Whether the expired keys are to be forgotten now: at most once per retention, and
    /// at least once an hour while keys are used. Records the sweep in `last_sweep`.
    pub fn sweep_due(self, last_sweep: &mut Option<Instant>) -> bool {
        let due = last_sweep.is_none_or(|at| at.elapsed() >= self.0.min(SWEEP_EVERY));
        if due {
            *last_sweep = Some(Instant::now());
        }
        due
    }
}

/// A store that keeps everything in memory, behind one mutex.
pub struct MemoryStore {
    capability: Capability,
    tenants: Mutex<HashMap<TenantId, TenantData>>,
    key_retention: KeyRetention,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self {
            capability: Capability::full(),
            tenants: Mutex::new(HashMap::new()),
            key_retention: KeyRetention::default(),
        }
    }

    /// Remembers each idempotency key for `retention` from its first use (24 hours
    /// unless set): after that the key is a new request, as in the SQL store.
    pub fn with_key_retention(mut self, retention: Duration) -> Self {
        self.key_retention = KeyRetention::new(retention);
        self
    }

    fn with<T>(
        &self,
        tenant: &TenantId,
        f: impl FnOnce(&mut TenantData) -> Result<T>,
    ) -> Result<T> {
        let mut all = self
            .tenants
            .lock()
            .map_err(|_| Error::unexpected("memory store lock poisoned"))?;
        f(all.entry(tenant.clone()).or_default())
    }
}

fn not_found(id: &CustomerId) -> Error {
    Error::not_found(format!("customer '{id}' does not exist"))
}

fn next_number(data: &TenantData) -> Result<String> {
    let max = data
        .customers
        .values()
        .filter_map(Customer::number_value)
        .max()
        .unwrap_or(0);
    let next = max
        .checked_add(1)
        .ok_or_else(|| Error::unexpected("customer numbers are exhausted"))?;
    Ok(next.to_string())
}

fn number_taken(data: &TenantData, number: &str, except: &CustomerId) -> bool {
    data.customers
        .values()
        .any(|c| &c.id != except && c.number.as_deref() == Some(number))
}

#[async_trait]
impl CustomerStore for MemoryStore {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        "memory"
    }

    async fn query(&self, tenant: &TenantId, query: &Query) -> Result<Page> {
        query.check()?;
        self.with(tenant, |d| Ok(eval::run(query, d.customers.values())))
    }

    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        self.with(tenant, |d| {
            d.customers.get(id).cloned().ok_or_else(|| not_found(id))
        })
    }

    async fn create(
        &self,
        tenant: &TenantId,
        mut customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer> {
        customer.check()?;
        self.with(tenant, |d| {
            if let Some(idem) = &options.idempotency {
                let retention = self.key_retention;
                if retention.sweep_due(&mut d.last_sweep) {
                    d.idempotency.retain(|_, r| retention.remembers(r.since));
                }
                match d.idempotency.get(idem.key.as_str()) {
                    Some(r) if retention.remembers(r.since) => {
                        return if r.fingerprint == idem.fingerprint {
                            Ok(r.first.clone())
                        } else {
                            Err(Error::idempotency_mismatch())
                        };
                    }
                    _ => {}
                }
            }
            if d.customers.contains_key(&customer.id) {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("a customer with id '{}' exists already", customer.id),
                ));
            }
            match &customer.number {
                Some(n) if number_taken(d, n, &customer.id) => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("a customer with number '{n}' exists already"),
                    ))
                }
                Some(_) => {}
                None => customer.number = Some(next_number(d)?),
            }
            d.next_seq += 1;
            customer.seq = Some(d.next_seq);
            customer.version = Version::FIRST;
            let now = Utc::now();
            customer.created_at = Some(now);
            customer.updated_at = Some(now);
            d.customers.insert(customer.id.clone(), customer.clone());
            if let Some(idem) = options.idempotency {
                d.idempotency.insert(
                    idem.key.into_string(),
                    Remembered {
                        fingerprint: idem.fingerprint,
                        first: customer.clone(),
                        since: Instant::now(),
                    },
                );
            }
            Ok(customer)
        })
    }

    async fn update(
        &self,
        tenant: &TenantId,
        mut customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        customer.check()?;
        self.with(tenant, |d| {
            let stored = d
                .customers
                .get(&customer.id)
                .ok_or_else(|| not_found(&customer.id))?;
            if let Some(e) = expected {
                if e != stored.version {
                    return Err(Error::version_mismatch(stored.version));
                }
            }
            if let Some(n) = &customer.number {
                if number_taken(d, n, &customer.id) {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("a customer with number '{n}' exists already"),
                    ));
                }
            }
            customer.seq = stored.seq;
            customer.created_at = stored.created_at;
            customer.version = stored.version.next();
            customer.updated_at = Some(Utc::now());
            d.customers.insert(customer.id.clone(), customer.clone());
            Ok(customer)
        })
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.with(tenant, |d| {
            let stored = d.customers.get(id).ok_or_else(|| not_found(id))?;
            if let Some(e) = expected {
                if e != stored.version {
                    return Err(Error::version_mismatch(stored.version));
                }
            }
            Ok(d.customers.remove(id).expect("checked above"))
        })
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer> {
        self.with(tenant, |d| {
            let c = d.customers.get_mut(id).ok_or_else(|| not_found(id))?;
            c.status = status;
            c.version = c.version.next();
            c.updated_at = Some(Utc::now());
            Ok(c.clone())
        })
    }

    async fn health(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdempotencyKey;
    use crate::store::Idempotency;

    fn keyed(key: &str, fingerprint: &str) -> CreateOptions {
        CreateOptions {
            idempotency: Some(Idempotency {
                key: IdempotencyKey::parse(key).unwrap(),
                fingerprint: fingerprint.into(),
            }),
        }
    }

    fn named(name: &str) -> Customer {
        let mut c = Customer::new();
        c.name.display = Some(name.into());
        c
    }

    #[tokio::test]
    async fn keys_are_forgotten_after_their_retention() {
        let store = MemoryStore::new().with_key_retention(Duration::from_millis(200));
        let t = TenantId::parse("demo").unwrap();
        let first = store.create(&t, named("A"), keyed("k", "a")).await.unwrap();
        let other = store.create(&t, named("O"), keyed("o", "o")).await.unwrap();
        // Within the retention: the same request replays, another is refused.
        let again = store.create(&t, named("A"), keyed("k", "a")).await.unwrap();
        assert_eq!(again, first);
        let e = store
            .create(&t, named("B"), keyed("k", "b"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch);

        // After it: the key is a new request, and the expired keys are forgotten.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let fresh = store.create(&t, named("B"), keyed("k", "b")).await.unwrap();
        assert_ne!(fresh.id, first.id);
        assert_ne!(fresh.id, other.id);
        let tenants = store.tenants.lock().unwrap();
        let keys: Vec<&String> = tenants[&t].idempotency.keys().collect();
        assert_eq!(keys, ["k"]);
    }

    #[tokio::test]
    async fn keys_are_kept_a_day_by_default() {
        let store = MemoryStore::new();
        assert_eq!(
            store.key_retention,
            KeyRetention::new(DEFAULT_KEY_RETENTION)
        );
        let t = TenantId::parse("demo").unwrap();
        let first = store.create(&t, named("A"), keyed("k", "a")).await.unwrap();
        let again = store.create(&t, named("A"), keyed("k", "a")).await.unwrap();
        assert_eq!(again, first);
    }
}
