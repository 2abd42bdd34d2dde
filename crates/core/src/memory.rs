//! An in-memory [`CustomerStore`]: the reference implementation of the store contract,
//! used in tests and by services that embed an adapter without a database.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

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
    /// key → (fingerprint, first answer).
    idempotency: HashMap<String, (String, Customer)>,
}

/// A store that keeps everything in memory, behind one mutex.
pub struct MemoryStore {
    capability: Capability,
    tenants: Mutex<HashMap<TenantId, TenantData>>,
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
        }
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
                if let Some((fp, first)) = d.idempotency.get(idem.key.as_str()) {
                    return if *fp == idem.fingerprint {
                        Ok(first.clone())
                    } else {
                        Err(Error::idempotency_mismatch())
                    };
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
                d.idempotency
                    .insert(idem.key.into_string(), (idem.fingerprint, customer.clone()));
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
