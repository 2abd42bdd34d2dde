//! A [`CustomerStore`] over a real v1core system: lookups only.

use std::str::FromStr;

use async_trait::async_trait;
use custgate_core::capability::Operation;
use custgate_core::{
    Capability, CreateOptions, Customer, CustomerId, CustomerStore, Error, ErrorKind, Key, Page,
    Query, Status, TenantId, Version,
};
use custgate_upstream::{parse_json, status_error, Upstream};
use reqwest::header::{HeaderName, AUTHORIZATION};
use secrecy::ExposeSecret;

use crate::config::{ClientAuth, ClientConfig};
use crate::convert::{self, Context};
use crate::lookup::Lookups;
use crate::query::Criteria;
use crate::wire::CustomerDto;
use crate::{capability, error};

const UPSTREAM: &str = "v1core";

/// The customer id [`CustomerStore::health`] looks up: the largest 32-bit id, a valid
/// integer on any system and never a real customer.
const HEALTH_PROBE_ID: i64 = 2_147_483_647;

/// The client. Every call is scoped to the configured company; the `tenant` argument of
/// the store methods only names the gateway tenant in logs.
pub struct Client {
    config: ClientConfig,
    upstream: Upstream,
    url: reqwest::Url,
    api_key_header: Option<HeaderName>,
    lookups: Lookups,
    capability: Capability,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("upstream", &self.upstream)
            .field("company_code", &self.config.company_code)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let upstream = Upstream::new(UPSTREAM, config.upstream.clone())?;
        let url = upstream.url("v1/core/customer")?;
        if config.company_code.trim().is_empty() {
            return Err(Error::validation_field("company_code", "must not be empty"));
        }
        let api_key_header = match &config.auth {
            ClientAuth::ApiKey { header, .. } => {
                Some(HeaderName::from_str(header.trim()).map_err(|_| {
                    Error::validation_field("auth.header", "is not a valid header name")
                })?)
            }
            _ => None,
        };
        let lookups = Lookups::builtin()
            .with_overrides(&config.lookups)
            .map_err(|e| Error::validation_field(format!("lookups.{}", e.table), e.message))?;
        Ok(Self {
            upstream,
            url,
            api_key_header,
            lookups,
            capability: capability(),
            config,
        })
    }

    /// The upstream handle: its breaker state, and where to attach metrics.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// One call upstream.
    async fn fetch(
        &self,
        operation: &'static str,
        criteria: &Criteria,
    ) -> Result<Vec<Customer>, Error> {
        let mut params = vec![
            ("companyCode", self.config.company_code.trim().to_owned()),
            ("lang", self.config.lang.as_str().to_owned()),
        ];
        params.extend(criteria.to_params());
        let mut request = self.upstream.http().get(self.url.clone()).query(&params);
        match &self.config.auth {
            ClientAuth::Anonymous => {}
            ClientAuth::Bearer { token } => {
                request =
                    request.header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
            }
            ClientAuth::ApiKey { key, .. } => {
                if let Some(h) = &self.api_key_header {
                    request = request.header(h.clone(), key.expose_secret());
                }
            }
        }
        let (status, _, body) = self.upstream.send(operation, request).await?;
        if !(200..300).contains(&status) {
            let (message, fields) = error::from_problem(status, &body);
            let e = status_error(UPSTREAM, status, message);
            return Err(if e.kind() == ErrorKind::Validation {
                e.with_fields(fields)
            } else {
                e
            });
        }
        let rows: Vec<CustomerDto> =
            parse_json(UPSTREAM, &body, self.upstream.config().max_json_depth)?;
        let ctx = Context::new(&self.lookups, self.config.lang);
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            if row.customer_id.is_none() {
                return Err(Error::new(
                    ErrorKind::UpstreamUnavailable,
                    "upstream v1core answered a customer without customerId",
                ));
            }
            out.push(convert::from_wire(row, &ctx));
        }
        out.sort_by(|a, b| custgate_core::eval::order(a, b, &[]));
        Ok(out)
    }

    fn refuse(&self, op: Operation) -> Error {
        self.capability
            .check_op(op)
            .err()
            .unwrap_or_else(|| Error::unsupported(op.describe()))
    }
}

#[async_trait]
impl CustomerStore for Client {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        "upstream:v1core"
    }

    async fn query(&self, _tenant: &TenantId, query: &Query) -> Result<Page, Error> {
        self.capability.check_query(query)?;
        // Not reached: the capability has no listing.
        Err(self.refuse(Operation::List))
    }

    #[tracing::instrument(skip_all, fields(upstream = UPSTREAM, tenant = %tenant))]
    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer, Error> {
        let not_found = || Error::not_found(format!("customer '{id}' does not exist"));
        // The ids this client hands out are the customerId.
        let seq: i64 = id.as_str().parse().map_err(|_| not_found())?;
        self.find(tenant, &Key::Seq(seq))
            .await?
            .into_iter()
            .next()
            .ok_or_else(not_found)
    }

    #[tracing::instrument(skip_all, fields(upstream = UPSTREAM, tenant = %_tenant, key = key.name()))]
    async fn find(&self, _tenant: &TenantId, key: &Key) -> Result<Vec<Customer>, Error> {
        self.capability.check_find(key)?;
        let criteria = Criteria::from_key(key)?;
        let mut rows = self.fetch("lookup", &criteria).await?;
        // The answer does not show the reference number it matched on.
        if let Key::ReferenceNo(r) = key {
            for c in rows.iter_mut().filter(|c| c.reference_no.is_none()) {
                c.reference_no = Some(r.trim().to_owned());
            }
        }
        Ok(rows)
    }

    async fn create(&self, _: &TenantId, _: Customer, _: CreateOptions) -> Result<Customer, Error> {
        Err(self.refuse(Operation::Create))
    }

    async fn update(
        &self,
        _: &TenantId,
        _: Customer,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.refuse(Operation::Update))
    }

    async fn delete(
        &self,
        _: &TenantId,
        _: &CustomerId,
        _: Option<Version>,
    ) -> Result<Customer, Error> {
        Err(self.refuse(Operation::Delete))
    }

    async fn set_status(&self, _: &TenantId, _: &CustomerId, _: Status) -> Result<Customer, Error> {
        Err(self.refuse(Operation::SetStatus))
    }

    #[tracing::instrument(skip_all, fields(upstream = UPSTREAM))]
    async fn health(&self) -> Result<(), Error> {
        let probe = Criteria {
            customer_id: Some(HEALTH_PROBE_ID),
            ..Criteria::default()
        };
        self.fetch("health", &probe).await.map(|_| ())
    }
}
