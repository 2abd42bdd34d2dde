//! A [`CustomerStore`] over a real ManEx system: its root URL and an API key.
//!
//! What ManEx can do, and so what [`Client::capability`] says: add, edit (partial), get by
//! number or by name, change the status (an edit). No listing, no deletion, no versions,
//! no idempotency keys; the gateway id of a customer is its ten-digit `CUSTNO`.
//!
//! The API key is a path segment of every URL. It is held as a secret (never in `Debug`),
//! never logged, and stripped from every error this client returns: the upstream plumbing
//! never puts a URL in an error or a log line and redacts the key from the error bodies
//! it logs, and any text of an error that still holds the key has it replaced by
//! `[redacted]`.

use std::fmt;

use async_trait::async_trait;
use custgate_core::{
    Capability, CreateOptions, Customer, CustomerId, CustomerStore, Error, ErrorKind,
    FindCapability, Key, Operation, Page, Query, Result, Status, TenantId, Version,
};
use custgate_upstream::{parse_json, status_error, Upstream};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::config::ClientConfig;
use crate::convert::{self, canonical_number, manex_number};
use crate::error::from_envelope;
use crate::query::{self, get_params, write_params};
use crate::validate::Action;
use crate::wire::{Envelope, Record, WebApiError, CODE_OK};
use crate::NAME;

const UPSTREAM: &str = NAME;

/// Record fields ManEx manages itself: never sent, and a difference in them is not a
/// change the client failed to make.
const MANAGED: &[&str] = &["modifiedDate", "UserId", "LinkAddList", "$id"];

/// The ManEx upstream client.
pub struct Client {
    upstream: Upstream,
    api_key: SecretString,
    capability: Capability,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("upstream", &self.upstream)
            .field("api_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What a ManEx system can do through its customer API.
pub fn capability() -> Capability {
    Capability {
        list: false,
        get: true,
        create: true,
        update: true,
        delete: false,
        set_status: true,
        find: FindCapability {
            name: true,
            number: true,
            ..FindCapability::default()
        },
        expected_version: false,
        client_ids: false,
        idempotency: false,
        ..Capability::default()
    }
}

impl Client {
    /// A client for one ManEx system. Checks the root URL and that there is a key.
    pub fn new(config: &ClientConfig) -> Result<Client> {
        let key = config.api_key.expose_secret();
        if key.trim().is_empty() {
            return Err(Error::validation_field("api_key", "must not be empty"));
        }
        let upstream =
            Upstream::new(UPSTREAM, config.upstream.clone())?.with_secret(config.api_key.clone());
        Ok(Client {
            upstream,
            api_key: config.api_key.clone(),
            capability: capability(),
        })
    }

    /// The upstream handle: its breaker state, and where to attach metrics.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    fn url(&self, action: Action) -> Result<url::Url> {
        let path = match action {
            Action::Add => "API/Customer/Add",
            Action::Edit => "API/Customer/Edit",
            Action::Get => "API/Customer/Get",
        };
        let mut url = self.upstream.url(path)?;
        url.path_segments_mut()
            .map_err(|()| Error::validation_field("base_url", "cannot be a base URL"))?
            .push(self.api_key.expose_secret());
        Ok(url)
    }

    /// The error without the key anywhere in it.
    fn sanitize(&self, e: Error) -> Error {
        let holds_key = |s: &str| self.upstream.redact(s) != s;
        if !holds_key(e.message())
            && e.context().iter().all(|(_, v)| !holds_key(v))
            && e.fields().iter().all(|f| !holds_key(&f.message))
        {
            return e;
        }
        let mut clean = Error::new(e.kind(), self.upstream.redact(e.message()))
            .with_fields(
                e.fields()
                    .iter()
                    .map(|f| custgate_core::FieldError {
                        field: f.field.clone(),
                        message: self.upstream.redact(&f.message),
                    })
                    .collect(),
            )
            .set_temporary(e.is_temporary());
        for (k, v) in e.context() {
            clean = clean.with_context(k, self.upstream.redact(v));
        }
        clean
    }

    /// One call: the envelope of a `Code: 200` answer, or the canonical error.
    async fn call(
        &self,
        operation: &'static str,
        action: Action,
        params: Map<String, Value>,
    ) -> Result<Envelope<Record>> {
        self.call_inner(operation, action, params)
            .await
            .map_err(|e| self.sanitize(e))
    }

    #[tracing::instrument(name = "custno.upstream", skip_all, fields(action = action.as_str()))]
    async fn call_inner(
        &self,
        operation: &'static str,
        action: Action,
        params: Map<String, Value>,
    ) -> Result<Envelope<Record>> {
        let url = self.url(action)?;
        let request = match action {
            Action::Get => {
                let pairs: Vec<(String, String)> = params
                    .iter()
                    .map(|(k, v)| (k.clone(), query::param_value(v)))
                    .collect();
                self.upstream.http().get(url).query(&pairs)
            }
            Action::Add | Action::Edit => self.upstream.http().post(url).json(&params),
        };
        let (status, _, body) = self
            .upstream
            .send(
                operation,
                request.header(reqwest::header::ACCEPT, "application/json"),
            )
            .await?;
        if status == 200 {
            let env: Envelope<Record> =
                parse_json(UPSTREAM, &body, self.upstream.config().max_json_depth)?;
            if env.code == CODE_OK {
                return Ok(env);
            }
            tracing::info!(code = env.code, "Upstream refused the request");
            return Err(from_envelope(
                UPSTREAM,
                env.code,
                &env.message,
                env.is_valid_user,
            ));
        }
        // Not the envelope: a Web API error (whose Message repeats the URL, key included:
        // only its MessageDetail is kept) or anything else.
        let detail = serde_json::from_slice::<WebApiError>(&body)
            .ok()
            .and_then(|w| w.message_detail)
            .unwrap_or_default();
        if status == 404 {
            return Err(Error::new(
                ErrorKind::UpstreamUnavailable,
                format!(
                    "upstream {UPSTREAM} has no such route (check base_url): {}",
                    if detail.is_empty() {
                        "404"
                    } else {
                        detail.as_str()
                    }
                ),
            )
            .with_context("upstream", UPSTREAM)
            .with_context("upstream_status", "404"));
        }
        if let Ok(env) = serde_json::from_slice::<Envelope<Value>>(&body) {
            return Err(status_error(UPSTREAM, status, env.message));
        }
        Err(status_error(
            UPSTREAM,
            status,
            format!("upstream {UPSTREAM} answered HTTP {status} {detail}")
                .trim_end()
                .to_owned(),
        ))
    }

    /// The record with this key, if ManEx has one. ManEx tries the number, then the name,
    /// whatever is sent: the answer is checked against the key asked for.
    async fn lookup(&self, key: &Key) -> Result<Option<Record>> {
        self.capability.check_find(key)?;
        let pairs = get_params(key)
            .ok_or_else(|| Error::unsupported(format!("looking customers up by {}", key.name())))?;
        let params: Map<String, Value> = pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect();
        let record = match self.call("lookup", Action::Get, params).await {
            Ok(env) => env.response_object,
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(record.filter(|r| matches_key(r, key)))
    }

    async fn current(&self, id: &CustomerId) -> Result<Record> {
        self.lookup(&Key::Number(canonical_number(id.as_str())))
            .await?
            .ok_or_else(|| Error::not_found(format!("customer '{id}' does not exist")))
    }

    async fn edit(&self, operation: &'static str, params: Map<String, Value>) -> Result<()> {
        self.call(operation, Action::Edit, params).await.map(|_| ())
    }

    /// Reads the customer back after a write.
    async fn reread(&self, number: &str) -> Result<Customer> {
        let r = self
            .lookup(&Key::Number(canonical_number(number)))
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UpstreamUnavailable,
                    format!("upstream {UPSTREAM} does not show customer {number} after writing it"),
                )
            })?;
        Ok(convert::from_record(&r))
    }
}

fn matches_key(r: &Record, key: &Key) -> bool {
    let b = &r.body;
    match key {
        Key::Number(n) => {
            canonical_number(b.custno.as_deref().unwrap_or("")) == canonical_number(n)
        }
        Key::Name(n) => b.custname.as_deref().unwrap_or("").trim() == n.trim(),
        _ => false,
    }
}

fn record_json(r: &Record) -> Map<String, Value> {
    match serde_json::to_value(r.add_view()) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Fields that differ between the wanted record and ManEx's but no parameter can set.
fn unwritable(desired: &Map<String, Value>, baseline: &Map<String, Value>) -> Vec<String> {
    let writable: Vec<&str> = query::WRITE_PARAMS.iter().map(|(_, f)| *f).collect();
    desired
        .iter()
        .filter(|(k, _)| !writable.contains(&k.as_str()) && !MANAGED.contains(&k.as_str()))
        .filter(|(k, v)| !query::same_value(v, baseline.get(*k).unwrap_or(&Value::Null)))
        .map(|(k, _)| k.clone())
        .collect()
}

fn refuse_loss(
    c: &Customer,
    desired: &Map<String, Value>,
    baseline: &Map<String, Value>,
) -> Result<()> {
    let mut missing = convert::unrepresentable(c);
    missing.extend(unwritable(desired, baseline));
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::unsupported(format!(
            "the ManEx customer API cannot store {}",
            missing.join(", ")
        )))
    }
}

fn without_managed(mut params: Map<String, Value>) -> Map<String, Value> {
    params.remove(query::MODIFIEDDATE);
    params
}

#[async_trait]
impl CustomerStore for Client {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        "upstream:custno"
    }

    async fn query(&self, _tenant: &TenantId, query: &Query) -> Result<Page> {
        self.capability.check_query(query)?;
        Err(Error::unsupported("listing customers"))
    }

    async fn get(&self, _tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        self.capability.check_op(Operation::Get)?;
        Ok(convert::from_record(&self.current(id).await?))
    }

    async fn find(&self, _tenant: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        Ok(self
            .lookup(key)
            .await?
            .map(|r| convert::from_record(&r))
            .into_iter()
            .collect())
    }

    async fn create(
        &self,
        _tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer> {
        self.capability.check_create(&options)?;
        customer.check()?;
        let desired = record_json(&convert::to_record(&customer));
        let baseline = record_json(&convert::to_record(&Customer::default()));
        refuse_loss(&customer, &desired, &baseline)?;
        let params = without_managed(write_params(
            &desired,
            &baseline,
            &[query::CUSTNAME, query::STATUS],
        ));
        let added = self
            .call("create", Action::Add, params.clone())
            .await?
            .response_object
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UpstreamUnavailable,
                    "upstream custno added a customer but did not return it",
                )
            })?;
        // Edit-only parameters the system may have ignored on Add: set them with an edit.
        let added_json = record_json(&added);
        let custno = added.body.custno.clone().unwrap_or_default();
        let mut rest = without_managed(write_params(&desired, &added_json, &[]));
        rest.retain(|k, _| {
            [query::RESL_NO, query::INACTDT, query::INACTINIT].contains(&k.as_str())
        });
        if rest.is_empty() {
            return Ok(convert::from_record(&added));
        }
        rest.insert(
            query::CUSTNO.into(),
            Value::String(custno.trim().to_owned()),
        );
        self.edit("create", rest).await?;
        self.reread(&custno).await
    }

    async fn update(
        &self,
        _tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.capability.check_write(Operation::Update, expected)?;
        customer.check()?;
        let current = self.current(&customer.id).await?;
        let number = canonical_number(current.body.custno.as_deref().unwrap_or(""));
        if let Some(n) = &customer.number {
            if canonical_number(n) != number {
                return Err(Error::unsupported("changing a customer's number (CUSTNO)"));
            }
        }
        let desired = record_json(&convert::to_record(&customer));
        let baseline = record_json(&current);
        refuse_loss(&customer, &desired, &baseline)?;
        let mut params = without_managed(write_params(&desired, &baseline, &[]));
        params.remove(query::CUSTNO);
        if !params.is_empty() {
            params.insert(query::CUSTNO.into(), Value::String(manex_number(&number)));
            self.edit("update", params).await?;
        }
        self.reread(&number).await
    }

    async fn delete(
        &self,
        _tenant: &TenantId,
        _id: &CustomerId,
        _expected: Option<Version>,
    ) -> Result<Customer> {
        self.capability.check_op(Operation::Delete)?;
        Err(Error::unsupported("deleting customers"))
    }

    async fn set_status(
        &self,
        _tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer> {
        self.capability.check_op(Operation::SetStatus)?;
        if status == Status::Blocked {
            return Err(Error::unsupported(
                "the blocked status (ManEx has Active, Inactive and Quote)",
            ));
        }
        let current = self.current(id).await?;
        let number = canonical_number(current.body.custno.as_deref().unwrap_or(""));
        let mut params = Map::new();
        params.insert(query::CUSTNO.into(), Value::String(manex_number(&number)));
        params.insert(
            query::STATUS.into(),
            Value::String(convert::manex_status(status).into()),
        );
        self.edit("set_status", params).await?;
        self.reread(&number).await
    }

    /// A Get for a name no one has: "does not exists" or a record both prove that the
    /// system answers and takes the key.
    async fn health(&self) -> Result<()> {
        let mut params = Map::new();
        params.insert(
            query::CUSTNUMORNAME.into(),
            Value::String("custgate health check".into()),
        );
        match self.call("health", Action::Get, params).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
