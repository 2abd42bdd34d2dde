//! Helpers shared by the crate's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use custgate_core::capability::Operation;
use custgate_core::{
    eval, Address, AddressKind, Capability, Contact, CreateOptions, Customer, CustomerId,
    CustomerKind, CustomerStore, DynStore, Email, Error, FindCapability, Identification, Key, Page,
    Phone, PhoneKind, Query, Status, TenantId, Version,
};
use custgate_v1core::{from_wire, Context, CustomerDto, Lang, Lookups};
use serde_json::Value;

pub const SEED_AR: &str = include_str!("../fixtures/customer_response.ar.json");
pub const SEED_EN: &str = include_str!("../fixtures/customer_response.en.json");
pub const SEED_QUERY: &str = include_str!("../fixtures/customer_request.query");

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// The object keys of a JSON text in the order they appear (nested ones included).
pub fn key_order(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            i += 1;
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && chars[j] == ':' {
                keys.push(s);
            }
        } else {
            i += 1;
        }
    }
    keys
}

/// The seed's row as a canonical customer (read as a real v1core system's answer).
pub fn seed_customer() -> Customer {
    let rows: Vec<CustomerDto> = serde_json::from_str(SEED_AR).unwrap();
    from_wire(&rows[0], &Context::new(Lookups::builtin(), Lang::Ar))
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// A company customer as another dialect (the unified facade) would create it: the seed's
/// data in canonical form, with the second contact inactive.
pub fn sample_customer() -> Customer {
    let mut c = Customer::new();
    c.kind = Some(CustomerKind::Company);
    c.reference_no = Some("333215".into());
    c.name.company = Some("Param IT".into());
    c.name.contact_person = Some("Parameswaran Kalidas".into());
    c.identifications = vec![Identification {
        scheme: "CRN".into(),
        value: "2103232123".into(),
    }];
    c.emails = vec![Email {
        address: "sri1@gmail.com".into(),
        description: None,
        default: true,
    }];
    c.phones = vec![Phone {
        kind: PhoneKind::Mobile,
        number: "+966568617084".into(),
        country_code: Some("966".into()),
        description: None,
        default: true,
    }];
    c.addresses = vec![Address {
        kind: AddressKind::Billing,
        lines: vec!["Holding".into(), "Company".into()],
        city: Some("Riyadh".into()),
        region: Some("Riyadh".into()),
        country_code: Some("SA".into()),
        country: Some("Saudi Arabia".into()),
        postal_code: Some("31202".into()),
        ..Address::default()
    }];
    c.contacts = vec![
        Contact {
            phone: Some("+966568617083".into()),
            relation: Some("friend".into()),
            profession: Some("Test".into()),
            remarks: Some(String::new()),
            active: true,
            ..Contact::default()
        },
        Contact {
            phone: Some("+966568617086".into()),
            relation: Some("brother".into()),
            profession: Some("Brother Prof".into()),
            remarks: Some(String::new()),
            active: false,
            ..Contact::default()
        },
    ];
    c.locale.industry = Some("construction".into());
    c.locale.occupation = Some("Company".into());
    c.locale.preferred_contact_type = Some("voice_call".into());
    c.locale.preferred_language = Some("ar".into());
    c
}

/// What the seed's answer becomes for [`sample_customer`] once a store has given it
/// `seq`, version 1 and its timestamps: the seed's values except what only the vendor's
/// database knows (`versionId`, `companyId`, `userActive`) and what differs on purpose.
pub fn expected_for_sample(
    seed: &str,
    seq: i64,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Value {
    let mut v = json(seed);
    let row = &mut v[0];
    row["versionId"] = (seq * 1_000_000 + 1).into();
    row["customerId"] = seq.into();
    row["createdDate"] = custgate_v1core::convert::format_datetime(created).into();
    row["startDate"] = custgate_v1core::convert::format_datetime(updated).into();
    row["isActive"] = true.into();
    row["companyId"] = Value::Null;
    row["userActive"] = Value::Null;
    for (i, contact) in row["customerContacts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        contact["customerId"] = seq.into();
        contact["contactPhoneCodeId"] = 1.into();
        contact["isActive"] = (i == 0).into();
    }
    v
}

/// A read-only store over a fixed set of customers (for records with a given `seq`).
#[derive(Debug)]
pub struct FixedStore {
    pub customers: Vec<(TenantId, Customer)>,
    capability: Capability,
}

impl FixedStore {
    pub fn new(customers: Vec<(TenantId, Customer)>) -> Arc<Self> {
        let mut capability = Capability::full();
        capability.create = false;
        capability.update = false;
        capability.delete = false;
        capability.set_status = false;
        Arc::new(Self {
            customers,
            capability,
        })
    }

    fn of<'a>(&'a self, tenant: &'a TenantId) -> impl Iterator<Item = &'a Customer> + 'a {
        self.customers
            .iter()
            .filter(move |(t, _)| t == tenant)
            .map(|(_, c)| c)
    }
}

#[async_trait]
impl CustomerStore for FixedStore {
    fn capability(&self) -> &Capability {
        &self.capability
    }
    fn name(&self) -> &str {
        "fixed"
    }
    async fn query(&self, tenant: &TenantId, query: &Query) -> Result<Page, Error> {
        Ok(eval::run(query, self.of(tenant)))
    }
    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer, Error> {
        self.of(tenant)
            .find(|c| &c.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("no such customer"))
    }
    async fn create(&self, _: &TenantId, _: Customer, _: CreateOptions) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::Create).unwrap_err())
    }
    async fn update(
        &self,
        _: &TenantId,
        _: Customer,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::Update).unwrap_err())
    }
    async fn delete(
        &self,
        _: &TenantId,
        _: &CustomerId,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::Delete).unwrap_err())
    }
    async fn set_status(&self, _: &TenantId, _: &CustomerId, _: Status) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::SetStatus).unwrap_err())
    }
    async fn health(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// A store that can only look customers up by some keys (like an upstream lookup API):
/// lookups go through [`CustomerStore::find`] of the inner store.
#[derive(Debug)]
pub struct FindOnlyStore {
    pub inner: DynStore,
    capability: Capability,
}

impl FindOnlyStore {
    pub fn new(inner: DynStore, find: FindCapability) -> Arc<Self> {
        Arc::new(Self {
            inner,
            capability: Capability {
                get: true,
                find,
                ..Capability::default()
            },
        })
    }
}

#[async_trait]
impl CustomerStore for FindOnlyStore {
    fn capability(&self) -> &Capability {
        &self.capability
    }
    fn name(&self) -> &str {
        "find-only"
    }
    async fn query(&self, _: &TenantId, query: &Query) -> Result<Page, Error> {
        self.capability.check_query(query)?;
        unreachable!("no listing")
    }
    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer, Error> {
        self.inner.get(tenant, id).await
    }
    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>, Error> {
        self.capability.check_find(key)?;
        self.inner.find(tenant, key).await
    }
    async fn create(&self, _: &TenantId, _: Customer, _: CreateOptions) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::Create).unwrap_err())
    }
    async fn update(
        &self,
        _: &TenantId,
        _: Customer,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::Update).unwrap_err())
    }
    async fn delete(
        &self,
        _: &TenantId,
        _: &CustomerId,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::Delete).unwrap_err())
    }
    async fn set_status(&self, _: &TenantId, _: &CustomerId, _: Status) -> Result<Customer, Error> {
        Err(self.capability.check_op(Operation::SetStatus).unwrap_err())
    }
    async fn health(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// A store whose every call fails with one error.
#[derive(Debug)]
pub struct FailingStore(pub Error);

#[async_trait]
impl CustomerStore for FailingStore {
    fn capability(&self) -> &Capability {
        static FULL: std::sync::OnceLock<Capability> = std::sync::OnceLock::new();
        FULL.get_or_init(Capability::full)
    }
    fn name(&self) -> &str {
        "failing"
    }
    async fn query(&self, _: &TenantId, _: &Query) -> Result<Page, Error> {
        Err(self.0.clone())
    }
    async fn get(&self, _: &TenantId, _: &CustomerId) -> Result<Customer, Error> {
        Err(self.0.clone())
    }
    async fn create(&self, _: &TenantId, _: Customer, _: CreateOptions) -> Result<Customer, Error> {
        Err(self.0.clone())
    }
    async fn update(
        &self,
        _: &TenantId,
        _: Customer,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.0.clone())
    }
    async fn delete(
        &self,
        _: &TenantId,
        _: &CustomerId,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.0.clone())
    }
    async fn set_status(&self, _: &TenantId, _: &CustomerId, _: Status) -> Result<Customer, Error> {
        Err(self.0.clone())
    }
    async fn health(&self) -> Result<(), Error> {
        Err(self.0.clone())
    }
}

#[cfg(feature = "server")]
pub mod server {
    use super::*;
    use custgate_http::{DialectSetup, Limits, TenantSetup};

    /// The development configuration's sections for v1core (config/default.toml).
    pub fn dev_tenants() -> Vec<(&'static str, Value)> {
        vec![
            (
                "demo",
                serde_json::json!({ "company_code": "jtc", "auth": { "kind": "bearer", "tokens": ["dev-v1core-demo"] } }),
            ),
            (
                "acme",
                serde_json::json!({ "company_code": "acme", "auth": { "kind": "bearer", "tokens": ["dev-v1core-acme"] } }),
            ),
        ]
    }

    pub fn setup_with(store: DynStore, global: Value, tenants: Vec<(&str, Value)>) -> DialectSetup {
        DialectSetup {
            global,
            tenants: tenants
                .into_iter()
                .map(|(id, cfg)| TenantSetup {
                    id: tenant(id),
                    store: store.clone(),
                    config: Some(cfg),
                })
                .collect(),
            limits: Limits::default(),
        }
    }

    /// The development setup over one store.
    pub fn dev_setup(store: DynStore) -> DialectSetup {
        setup_with(store, serde_json::json!({ "enabled": true }), dev_tenants())
    }
}
