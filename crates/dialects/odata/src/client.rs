//! A [`CustomerStore`] over a real Unimicro-style system (feature `client`): canonical
//! queries become `filter`/`orderby`/`top`/`skip`, reads expand what the canonical model
//! needs, status changes go through the actions.
//!
//! The upstream's integer `ID` is the canonical id (`"42"`) and `seq`; its child ids live
//! in `extensions["odata"]`, so that an update addresses the same children. An update
//! replaces the customer's children: those the canonical record no longer has are sent
//! with `"Deleted": true`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use async_trait::async_trait;
use custgate_core::{
    Capability, CreateOptions, Customer, CustomerId, CustomerStore, Error, ErrorKind, Field,
    FieldOps, FilterCapability, FindCapability, Key, Page, Query, Result, Status, TenantId,
    Version,
};
use custgate_upstream::{self as upstream, Upstream};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::config::ClientConfig;
use crate::convert;
use crate::query::{self, MAX_SORT_KEYS};
use crate::wire::{self, ServerError, ValidationObject};

/// The relations a read expands: everything the canonical model is made of.
pub const READ_EXPAND: &str = "Info,Info.InvoiceAddress,Info.ShippingAddress,Info.Addresses,Info.DefaultPhone,Info.Phones,Info.DefaultEmail,Info.Emails,Info.DefaultContact.Info.DefaultEmail,Info.DefaultContact.Info.DefaultPhone,Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone,CurrencyCode";

const UPSTREAM: &str = "odata";

/// The URL a read sends: `customers` (the upstream's `api/biz/customers`, already carrying
/// `expand=READ_EXPAND`), then `/{id}` when given, then the query `params`. The bytes
/// reqwest's `RequestBuilder::query` gives for `expand` and then `params`, without parsing
/// the long expand list again on every call (`Url::set_query` would: about 7% of a
/// proxied lookup's instructions went to that).
fn read_url(
    customers: &reqwest::Url,
    id: Option<i64>,
    params: &[(String, String)],
) -> reqwest::Url {
    let mut url = customers.clone();
    if let Some(id) = id {
        url.path_segments_mut()
            .expect("an http(s) upstream URL has a path")
            .push(&id.to_string());
    }
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    url
}

/// The upstream client.
pub struct Client {
    upstream: Upstream,
    token: SecretString,
    company_key: String,
    capability: Capability,
    /// `api/biz/customers?expand=READ_EXPAND` on the upstream, for `read_url`.
    customers: reqwest::Url,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("upstream", &self.upstream)
            .field("company_key", &self.company_key)
            .finish_non_exhaustive()
    }
}

/// What the client can do: every operation; filters with and/or/not on the
/// single-valued fields Unimicro can filter (text matches case-insensitive, as the
/// vendor's database compares), sorting on five fields, paging with `top`/`skip`; lookups
/// by name, number and ID. No total count (lists are bare arrays), no versions, no
/// idempotency keys, no client-chosen ids.
pub fn capability(max_top: usize) -> Capability {
    let eq_ne_in_null = FieldOps {
        eq: true,
        ne: true,
        in_list: true,
        is_null: true,
        ..FieldOps::default()
    };
    // Unimicro's database compares text ignoring case: its `like` is case-insensitive.
    let text = FieldOps {
        text_ci: true,
        like_ci: true,
        ..eq_ne_in_null
    };
    let ordered = FieldOps {
        range: true,
        in_list: false,
        ..eq_ne_in_null
    };
    Capability {
        list: true,
        get: true,
        create: true,
        update: true,
        delete: true,
        set_status: true,
        find: FindCapability {
            name: true,
            number: true,
            seq: true,
            ..FindCapability::default()
        },
        phones_are_mobiles: false,
        filter: FilterCapability {
            and: true,
            or: true,
            not: true,
            search: false,
            fields: vec![
                (
                    Field::Seq,
                    FieldOps {
                        in_list: true,
                        ..ordered
                    },
                ),
                (Field::Number, eq_ne_in_null),
                (
                    Field::Status,
                    FieldOps {
                        is_null: false,
                        ..eq_ne_in_null
                    },
                ),
                (Field::DisplayName, text),
                (Field::OrgNumber, text),
                (Field::DefaultEmail, text),
                (Field::DefaultPhone, text),
                (Field::Currency, eq_ne_in_null),
                (Field::CreatedAt, ordered),
                (Field::UpdatedAt, ordered),
            ],
        },
        sort_fields: vec![
            Field::Seq,
            Field::DisplayName,
            Field::OrgNumber,
            Field::CreatedAt,
            Field::UpdatedAt,
        ],
        max_sort_keys: Some(MAX_SORT_KEYS),
        offset: true,
        max_limit: Some(max_top),
        total: false,
        idempotency: false,
        expected_version: false,
        client_ids: false,
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        let upstream = Upstream::new(UPSTREAM, config.upstream)?;
        uuid::Uuid::parse_str(config.company_key.trim())
            .map_err(|_| Error::validation_field("company_key", "must be a GUID"))?;
        if config.token.expose_secret().trim().is_empty() {
            return Err(Error::validation_field("token", "must not be empty"));
        }
        let mut customers = upstream.url("api/biz/customers")?;
        customers
            .query_pairs_mut()
            .append_pair("expand", READ_EXPAND);
        Ok(Client {
            upstream,
            customers,
            capability: capability(config.max_top.max(1)),
            token: config.token,
            company_key: config.company_key.trim().to_owned(),
        })
    }

    /// The upstream handle: its breaker state, and where to attach metrics.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    fn request(&self, method: Method, path: &str) -> Result<reqwest::RequestBuilder> {
        Ok(self.request_to(method, self.upstream.url(path)?))
    }

    /// A request to customer `id` (or to the customers) expanding the relations a read
    /// expands, with the query `params`.
    fn read_request(
        &self,
        method: Method,
        id: Option<i64>,
        params: &[(String, String)],
    ) -> reqwest::RequestBuilder {
        self.request_to(method, read_url(&self.customers, id, params))
    }

    fn request_to(&self, method: Method, url: reqwest::Url) -> reqwest::RequestBuilder {
        self.upstream
            .http()
            .request(method, url)
            .bearer_auth(self.token.expose_secret())
            .header("CompanyKey", &self.company_key)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Sends a request; a non-2xx answer becomes a canonical error with the upstream's
    /// message.
    async fn send(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, bytes::Bytes)> {
        let (status, _, body) = self.upstream.send(operation, request).await?;
        if (200..300).contains(&status) {
            return Ok((status, body));
        }
        Err(upstream_error(status, &body))
    }

    async fn send_json(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value> {
        let (_, body) = self.send(operation, request).await?;
        answer_value(&body, self.max_depth())
    }

    /// Sends a request answered with one customer, and reads it.
    async fn send_customer(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Customer> {
        let (_, body) = self.send(operation, request).await?;
        import_one(&body, self.max_depth())
    }

    fn max_depth(&self) -> usize {
        self.upstream.config().max_json_depth
    }

    /// The upstream's record of customer `id`, as it sent it.
    async fn fetch_json(&self, id: i64) -> Result<Value> {
        let rb = self.read_request(Method::GET, Some(id), &[]);
        self.send_json("get", rb).await
    }

    async fn fetch(&self, id: i64) -> Result<Customer> {
        let rb = self.read_request(Method::GET, Some(id), &[]);
        self.send_customer("get", rb).await
    }
}

/// The canonical error of an upstream answer: the validation object's or the exception
/// body's `Message` when there is one.
fn upstream_error(status: u16, body: &[u8]) -> Error {
    let validation = serde_json::from_slice::<ValidationObject>(body).ok();
    let server = serde_json::from_slice::<ServerError>(body).ok();
    let message = validation
        .as_ref()
        .map(|v| v.message.clone())
        .or_else(|| server.as_ref().map(|s| s.message.clone()))
        .unwrap_or_else(|| format!("upstream odata answered {status}"));
    let mut e = upstream::status_error(UPSTREAM, status, message);
    if let Some(v) = validation.filter(|v| !v.property_name.is_empty()) {
        e = e.with_fields(vec![custgate_core::FieldError {
            field: v.property_name,
            message: v.message,
        }]);
    }
    if let Some(s) = server {
        e = e.with_context("error_reference", s.error_reference);
    }
    e
}

/// An answer's JSON: `null` when the body is empty.
pub(crate) fn answer_value(body: &[u8], max_depth: usize) -> Result<Value> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    upstream::parse_json(UPSTREAM, body, max_depth)
}

pub(crate) fn unreadable(e: Error) -> Error {
    Error::new(
        ErrorKind::UpstreamUnavailable,
        format!(
            "upstream odata sent a customer we cannot read: {}",
            e.message()
        ),
    )
}

/// A customer as the upstream sent it → canonical.
fn import(v: Value) -> Result<Customer> {
    let w = convert::parse_customer(v, "").map_err(unreadable)?;
    import_wire(&w)
}

fn import_wire(w: &wire::Customer) -> Result<Customer> {
    convert::import(w).map_err(unreadable)
}

/// An answer holding one customer → canonical: read in one pass from the bytes when it is
/// not empty and not nested deeper than the upstream's limit (found while reading; the
/// `Value` reader refuses such an answer before parsing); an answer that does not read so
/// is read through a `Value` ([`answer_value`], [`import`]), which says why exactly as the
/// client always has.
pub(crate) fn import_one(body: &[u8], max_depth: usize) -> Result<Customer> {
    if !body.is_empty() {
        if let Some(w) = convert::read_customer_for_import_within(body, max_depth) {
            return import_wire(&w);
        }
    }
    import(answer_value(body, max_depth)?)
}

/// An answer holding a list of customers → canonical, as [`import_one`] reads one.
pub(crate) fn import_list(body: &[u8], max_depth: usize) -> Result<Vec<Customer>> {
    if !body.is_empty() {
        if let Some(list) = convert::read_customers_for_import_within(body, max_depth) {
            return list.iter().map(import_wire).collect();
        }
    }
    let Value::Array(items) = answer_value(body, max_depth)? else {
        return Err(Error::new(
            ErrorKind::UpstreamUnavailable,
            "upstream odata answered a list with something other than an array",
        ));
    };
    items.into_iter().map(import).collect()
}

fn upstream_id(id: &CustomerId) -> Result<i64> {
    id.as_str()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::not_found(format!("customer '{id}' does not exist upstream")))
}

/// The child groups and where their members sit in `Info`.
const GROUPS: &[(&str, &[&str], &str)] = &[
    (
        "Addresses",
        &["InvoiceAddress", "ShippingAddress"],
        "Addresses",
    ),
    ("Phones", &["DefaultPhone"], "Phones"),
    ("Emails", &["DefaultEmail"], "Emails"),
    ("Contacts", &["DefaultContact"], "Contacts"),
];

fn child_ids(info: &Value, singles: &[&str], array: &str) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    for s in singles {
        if let Some(id) = info
            .get(*s)
            .and_then(|c| c.get("ID"))
            .and_then(Value::as_i64)
        {
            ids.insert(id);
        }
    }
    if let Some(items) = info.get(array).and_then(Value::as_array) {
        ids.extend(
            items
                .iter()
                .filter_map(|c| c.get("ID").and_then(Value::as_i64)),
        );
    }
    ids
}

/// The body of an update: the customer as rendered, without the relations the client
/// never read, with child ids the upstream does not know zeroed (new children) and the
/// upstream's children the customer no longer has marked deleted.
fn update_body(c: &Customer, current: &Value) -> Value {
    let mut body = convert::to_json(c);
    let Value::Object(m) = &mut body else {
        return body;
    };
    m.retain(|k, _| !wire::CUSTOMER.is_relation(k) || k == "Info" || k == "CurrencyCode");
    for k in [
        "StatusCode",
        "CreatedAt",
        "UpdatedAt",
        "Deleted",
        "BusinessRelationID",
    ] {
        m.remove(k);
    }
    if m.get("CustomerNumber").is_some_and(Value::is_null) {
        m.remove("CustomerNumber");
    }
    let empty = Value::Null;
    let current_info = current.get("Info").unwrap_or(&empty);
    let Some(Value::Object(info)) = m.get_mut("Info") else {
        return body;
    };
    info.retain(|k, _| !matches!(k.as_str(), "BankAccounts" | "DefaultBankAccount"));
    convert::send_default_contact_once(info);
    let mut deletions: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (_, singles, array) in GROUPS {
        let known = child_ids(current_info, singles, array);
        let mut kept = BTreeSet::new();
        let mut zero_unknown = |child: &mut Value| {
            if let Some(id) = child.get("ID").and_then(Value::as_i64) {
                if known.contains(&id) {
                    kept.insert(id);
                } else {
                    child["ID"] = json!(0);
                }
            }
        };
        for s in *singles {
            if let Some(child) = info.get_mut(*s).filter(|c| c.is_object()) {
                zero_unknown(child);
            }
        }
        if let Some(Value::Array(items)) = info.get_mut(*array) {
            items.iter_mut().for_each(&mut zero_unknown);
        }
        let gone: Vec<Value> = known
            .difference(&kept)
            .map(|id| json!({"ID": id, "Deleted": true}))
            .collect();
        if !gone.is_empty() {
            deletions.insert(array, gone);
        }
    }
    for (array, gone) in deletions {
        match info.get_mut(array) {
            Some(Value::Array(items)) => items.extend(gone),
            _ => {
                info.insert(array.to_owned(), Value::Array(gone));
            }
        }
    }
    // The links follow the objects; a zeroed (new) default has no id yet.
    for (obj, link) in wire::LINKS {
        let id = info
            .get(*obj)
            .and_then(|o| o.get("ID"))
            .and_then(Value::as_i64)
            .filter(|n| *n > 0);
        info.insert((*link).to_owned(), id.map_or(Value::Null, |n| json!(n)));
    }
    body
}

fn status_action(s: Status) -> Result<&'static str> {
    match s {
        Status::Active => Ok("activate"),
        Status::Inactive => Ok("deactivate"),
        Status::Blocked => Ok("block"),
        Status::Quote => Err(Error::unsupported(
            "the odata upstream has no status for quotes",
        )),
    }
}

#[async_trait]
impl CustomerStore for Client {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        "upstream:odata"
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    async fn query(&self, tenant: &TenantId, q: &Query) -> Result<Page> {
        self.capability.check_query(q)?;
        let params = query::to_params(q)?;
        let rb = self.read_request(Method::GET, None, &params);
        let (_, body) = self.send("query", rb).await?;
        let items = import_list(&body, self.max_depth())?;
        Ok(Page { items, total: None })
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant, id = %id))]
    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        self.capability.check_op(custgate_core::Operation::Get)?;
        self.fetch(upstream_id(id)?).await
    }

    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        self.capability.check_find(key)?;
        if let Key::Number(n) = key {
            // The upstream's numbers are whole numbers: any other text names no one.
            if convert::number_to_int(Some(n.trim())).is_none() {
                return Ok(Vec::new());
            }
        }
        let q = Query {
            filter: Some(key.to_filter()),
            sort: vec![custgate_core::SortKey::asc(Field::Seq)],
            ..Query::default()
        };
        Ok(self.query(tenant, &q).await?.items)
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    async fn create(
        &self,
        tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer> {
        self.capability.check_create(&options)?;
        if customer.number.is_some() && convert::number_to_int(customer.number.as_deref()).is_none()
        {
            return Err(Error::validation_field(
                "number",
                "the odata upstream's customer numbers are whole numbers",
            ));
        }
        let rb = self
            .read_request(Method::POST, None, &[])
            .json(&convert::create_body(&customer));
        self.send_customer("create", rb).await
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant, id = %customer.id))]
    async fn update(
        &self,
        tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.capability
            .check_write(custgate_core::Operation::Update, expected)?;
        if customer.number.is_some() && convert::number_to_int(customer.number.as_deref()).is_none()
        {
            return Err(Error::validation_field(
                "number",
                "the odata upstream's customer numbers are whole numbers",
            ));
        }
        let id = upstream_id(&customer.id)?;
        // Read through a `Value`: the body is made from the record as the upstream spelt it.
        let current_json = self.fetch_json(id).await?;
        let body = update_body(&customer, &current_json);
        let current = import(current_json)?;
        let rb = self.read_request(Method::PUT, Some(id), &[]).json(&body);
        let mut saved = self.send_customer("update", rb).await?;
        if customer.status != current.status {
            saved = self.set_status(tenant, &saved.id, customer.status).await?;
        }
        Ok(saved)
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant, id = %id))]
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.capability
            .check_write(custgate_core::Operation::Delete, expected)?;
        let n = upstream_id(id)?;
        let current = self.fetch(n).await?;
        self.send(
            "delete",
            self.request(Method::DELETE, &format!("api/biz/customers/{n}"))?,
        )
        .await?;
        Ok(current)
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant, id = %id))]
    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer> {
        self.capability
            .check_op(custgate_core::Operation::SetStatus)?;
        let action = status_action(status)?;
        let n = upstream_id(id)?;
        let current = self.fetch(n).await?;
        if current.status == status {
            return Ok(current);
        }
        let rb = self
            .request(Method::PUT, "api/biz/customers")?
            .query(&[("action", action), ("id", &n.to_string())]);
        self.send("set_status", rb).await?;
        self.fetch(n).await
    }

    async fn health(&self) -> Result<()> {
        let rb = self
            .request(Method::GET, "api/biz/customers")?
            .query(&[("top", "1"), ("select", "ID")]);
        self.send("health", rb).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_testkit::fixtures::seed_text;

    #[test]
    fn config_debug_hides_the_token() {
        let c: ClientConfig = serde_json::from_value(json!({
            "upstream": {"base_url": "http://127.0.0.1:1/"},
            "token": "very-secret",
            "company_key": "11111111-1111-4111-8111-111111111111"
        }))
        .unwrap();
        assert!(!format!("{c:?}").contains("very-secret"));
        let client = Client::new(c.clone()).unwrap();
        assert!(!format!("{client:?}").contains("very-secret"));
        let bad = ClientConfig {
            company_key: "x".into(),
            ..c
        };
        assert!(Client::new(bad).is_err());
    }

    /// The URL a read sends is byte for byte what reqwest's `query` makes of
    /// `expand=READ_EXPAND` and then the same pairs, on the customers' path or one
    /// customer's, under a base URL with or without a path of its own.
    #[test]
    fn read_queries_are_what_reqwest_made() {
        use custgate_core::query::{CmpOp, Filter, SortKey, TextOp};
        use custgate_core::Value as V;
        let text = |field, op, v: &str| Filter::text(field, op, v, true).unwrap();
        let queries = [
            Query::default(),
            Query {
                limit: Some(1),
                ..Query::default()
            },
            Query {
                filter: Some(Filter::eq(Field::Seq, V::Int(42)).unwrap()),
                sort: vec![SortKey::asc(Field::Seq)],
                ..Query::default()
            },
            Query {
                filter: Some(Filter::And(vec![
                    text(
                        Field::DisplayName,
                        TextOp::Contains,
                        "O'Brien & Sønner = 100% + 1/2 #x ?y",
                    ),
                    Filter::not(text(Field::DefaultEmail, TextOp::Like, "a_b%@x.no")),
                    Filter::Or(vec![
                        Filter::compare(
                            Field::CreatedAt,
                            CmpOp::Ge,
                            V::text("2024-01-31T10:00:00Z"),
                        )
                        .unwrap(),
                        Filter::IsNull {
                            field: Field::Currency,
                        },
                    ]),
                ])),
                sort: vec![
                    SortKey::desc(Field::DisplayName),
                    SortKey::asc(Field::UpdatedAt),
                ],
                offset: 40,
                limit: Some(20),
                ..Query::default()
            },
            Query {
                filter: Some(
                    Filter::in_list(Field::Number, vec![V::text("7"), V::text("10")]).unwrap(),
                ),
                offset: 3,
                ..Query::default()
            },
        ];
        let mut lists: Vec<Vec<(String, String)>> = queries
            .iter()
            .map(|q| query::to_params(q).unwrap())
            .collect();
        lists.push(vec![
            ("a b".into(), "\u{0}\t\"<>'`{}|\\^~[]".into()),
            ("ü".into(), "😀".into()),
            ("*-._".into(), String::new()),
            (
                (0u8..128).map(char::from).collect(),
                "ÿ\u{7ff}\u{800}\u{ffff}".into(),
            ),
        ]);
        lists.push(vec![(String::new(), String::new())]);
        let http = reqwest::Client::new();
        for base in [
            "http://127.0.0.1:1/",
            "https://up.example/x/",
            "http://h/a%20b/",
        ] {
            let client = Client::new(ClientConfig {
                max_top: 10,
                ..ClientConfig::new(base, "t", "11111111-1111-4111-8111-111111111111")
            })
            .unwrap();
            for id in [None, Some(42), Some(-7)] {
                let path = match id {
                    None => "api/biz/customers".to_owned(),
                    Some(id) => format!("api/biz/customers/{id}"),
                };
                let target = reqwest::Url::parse(base).unwrap().join(&path).unwrap();
                for params in &lists {
                    let mut pairs = vec![("expand".to_owned(), READ_EXPAND.to_owned())];
                    pairs.extend(params.iter().cloned());
                    let old = http.get(target.clone()).query(&pairs).build().unwrap();
                    let new = read_url(&client.customers, id, params);
                    assert_eq!(new.as_str(), old.url().as_str(), "{base} {id:?} {params:?}");
                }
            }
        }
    }

    #[test]
    fn upstream_errors_keep_the_message() {
        let seed = seed_text(env!("CARGO_MANIFEST_DIR"), "validation_error.json");
        let e = upstream_error(400, seed.as_bytes());
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert!(e.message().starts_with("Customer have references"));
        let seed = seed_text(env!("CARGO_MANIFEST_DIR"), "server_error.json");
        let e = upstream_error(500, seed.as_bytes());
        assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
        assert_eq!(e.context_value("error_reference"), Some("MURA28RA"));
        let e = upstream_error(401, b"nope");
        assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    }
}
