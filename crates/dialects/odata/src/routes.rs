//! The dialect's native routes (feature `server`): thin handlers that authenticate,
//! parse, convert, call the tenant's store, convert back and answer.
//!
//! | route | handler |
//! |---|---|
//! | `GET /api/biz/customers` | list; `?action=validate-customer-KID-Alias` |
//! | `POST /api/biz/customers` | create |
//! | `PUT /api/biz/customers?action=…` | activate, deactivate, block, bulk-save |
//! | `GET /api/biz/customers/{id}` | read; `?action=next|previous` |
//! | `PUT /api/biz/customers/{id}` | update |
//! | `DELETE /api/biz/customers/{id}` | delete |

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Data, Payload};
use actix_web::{HttpRequest, HttpResponse};
use custgate_core::{
    find_one, CmpOp, CreateOptions, Customer, CustomerId, DynStore, Error, ErrorKind, Field,
    FieldError, Filter, Key, Query, SortKey, Status, TenantId, Value as FieldValue,
};
use custgate_http::{
    bearer_token, request_id, ConfigError, DialectServer, DialectSetup, DynDialect, JsonBodyError,
    Limits, SecretTable, SharedSecret,
};
use serde_json::Value;
use tracing::field::Empty;
use tracing::Span;

use crate::config::{GlobalConfig, TenantConfig};
use crate::convert::{self, Mode, DIALECT};
use crate::error;
use crate::query::{FilterLimits, Params, View};
use crate::validate::{self, Errors};

/// The collection's path.
pub const BASE_PATH: &str = "/api/biz/customers";

/// The `Location` of a customer.
pub fn location(id: i64) -> String {
    format!("{BASE_PATH}/{id}")
}

struct Tenant {
    id: TenantId,
    store: DynStore,
    company_key: uuid::Uuid,
}

/// Everything the handlers share, built once from configuration.
struct State {
    tenants: Vec<Tenant>,
    /// Token → the tenants (indexes into `tenants`) it may reach.
    tokens: SecretTable<Vec<usize>>,
    limits: Limits,
    filter: FilterLimits,
    max_top: usize,
}

struct Server {
    state: Data<State>,
}

impl DialectServer for Server {
    fn name(&self) -> &'static str {
        DIALECT
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        // Data sits on each resource, so it cannot clash with another dialect's.
        cfg.service(
            web::resource(BASE_PATH)
                .app_data(self.state.clone())
                .route(web::get().to(collection_get))
                .route(web::post().to(create))
                .route(web::put().to(collection_put))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource(format!("{BASE_PATH}/{{id}}"))
                .app_data(self.state.clone())
                .route(web::get().to(item_get))
                .route(web::put().to(update))
                .route(web::delete().to(delete))
                .default_service(web::to(method_not_allowed)),
        );
    }
}

/// Builds the dialect's server from configuration: `[dialects.odata]` and each tenant's
/// `[tenants.<id>.odata]` (`company_key`, `tokens`).
pub fn server(setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
    let global: GlobalConfig = setup.global("dialects.odata")?;
    global
        .check()
        .map_err(|(k, m)| ConfigError::new(format!("dialects.odata.{k}"), m))?;
    let mut tenants: Vec<Tenant> = Vec::new();
    let mut grants: HashMap<[u8; 32], (SharedSecret, Vec<usize>)> = HashMap::new();
    for (t, cfg) in setup.tenant_configs::<TenantConfig>(DIALECT)? {
        let path = format!("tenants.{}.{DIALECT}", t.id);
        let key = uuid::Uuid::parse_str(cfg.company_key.trim())
            .map_err(|_| ConfigError::new(format!("{path}.company_key"), "must be a GUID"))?;
        if let Some(other) = tenants.iter().find(|x| x.company_key == key) {
            return Err(ConfigError::new(
                format!("{path}.company_key"),
                format!("is the company key of tenant '{}' too", other.id),
            ));
        }
        if cfg.tokens.is_empty() {
            return Err(ConfigError::new(
                format!("{path}.tokens"),
                "must list at least one token",
            ));
        }
        let index = tenants.len();
        for token in &cfg.tokens {
            let entry = grants
                .entry(token.digest())
                .or_insert_with(|| (token.clone(), Vec::new()));
            if !entry.1.contains(&index) {
                entry.1.push(index);
            }
        }
        tenants.push(Tenant {
            id: t.id,
            store: t.store,
            company_key: key,
        });
    }
    let mut tokens = SecretTable::new();
    for (secret, reach) in grants.into_values() {
        // Digests are unique keys of `grants`, so the insert cannot clash.
        let _ = tokens.insert(&secret, reach);
    }
    let state = State {
        tenants,
        tokens,
        limits: setup.limits,
        filter: global.filter_limits(),
        max_top: global.max_top.min(setup.limits.max_page_size.max(1)),
    };
    Ok(std::sync::Arc::new(Server {
        state: Data::new(state),
    }))
}

// ---------------------------------------------------------------------------------------
// Plumbing: authentication, parameters, bodies, answers.
// ---------------------------------------------------------------------------------------

/// Why a request failed.
enum Problem {
    Error(Error),
    Body(JsonBodyError),
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem::Error(e)
    }
}

type Answer = Result<HttpResponse, Problem>;

fn respond(req: &HttpRequest, answer: Answer) -> HttpResponse {
    let problem = match answer {
        Ok(r) => return r,
        Err(p) => p,
    };
    let rid = request_id(req);
    let reference = error::error_reference(&rid);
    let (status, body, kind) = match problem {
        Problem::Body(JsonBodyError::TooLarge { limit }) => (
            413,
            error::exception(
                &reference,
                &format!("the request body is larger than {limit} bytes"),
            ),
            ErrorKind::Validation,
        ),
        Problem::Body(e) => {
            let err = Error::validation_field("", e.to_string());
            let (s, b) = error::render(&err, &reference);
            (s, b, ErrorKind::Validation)
        }
        Problem::Error(e) => {
            let (s, b) = error::render(&e, &reference);
            if e.kind().is_failure() {
                tracing::error!(request_id = %rid, error_reference = %reference, kind = %e.kind(), error = %e, "Request failed");
            } else {
                tracing::debug!(request_id = %rid, kind = %e.kind(), error = %e, "Request refused");
            }
            (s, b, e.kind())
        }
    };
    let mut builder = HttpResponse::build(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if kind == ErrorKind::Unauthenticated {
        builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    builder.json(body)
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let reference = error::error_reference(&request_id(&req));
    HttpResponse::MethodNotAllowed().json(error::exception(
        &reference,
        &format!("{} is not allowed on {}", req.method(), req.path()),
    ))
}

fn unauthenticated(message: &str) -> Error {
    Error::new(ErrorKind::Unauthenticated, message)
}

fn forbidden(message: &str) -> Error {
    Error::new(ErrorKind::Forbidden, message)
}

/// The tenant a request may act on: a known bearer token (else 401) and a `CompanyKey`
/// that is a GUID and one of the token's companies (else 403).
fn authenticate<'a>(req: &HttpRequest, state: &'a State) -> Result<&'a Tenant, Error> {
    let token = bearer_token(req).ok_or_else(|| unauthenticated("a bearer token is required"))?;
    let reach = state
        .tokens
        .lookup(token)
        .ok_or_else(|| unauthenticated("the bearer token is not valid"))?;
    let raw = req
        .headers()
        .get("CompanyKey")
        .ok_or_else(|| forbidden("the CompanyKey header is required"))?;
    let key = raw
        .to_str()
        .ok()
        .and_then(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .ok_or_else(|| forbidden("the CompanyKey header is not a GUID"))?;
    let tenant = reach
        .iter()
        .map(|i| &state.tenants[*i])
        .find(|t| t.company_key == key)
        .ok_or_else(|| forbidden("the company key is not one of this token's companies"))?;
    Span::current().record("tenant", tenant.id.as_str());
    Ok(tenant)
}

fn params(req: &HttpRequest) -> Result<Params, Error> {
    let pairs =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map_err(|e| {
            Error::validation_field("", format!("the query string cannot be read: {e}"))
        })?;
    Params::parse(pairs.into_inner())
}

/// A customer ID: a positive integer.
fn parse_id(raw: &str, name: &str) -> Result<i64, Error> {
    parse_id_from(raw, name, 1)
}

fn parse_id_from(raw: &str, name: &str, min: i64) -> Result<i64, Error> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| Error::validation_field(name, format!("'{raw}' is not a customer ID")))
}

async fn by_seq(tenant: &Tenant, id: i64) -> Result<Customer, Error> {
    find_one(&*tenant.store, &tenant.id, &Key::Seq(id))
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => Error::not_found(format!("customer {id} does not exist")),
            _ => e,
        })
}

/// A store's refusal of a duplicate, as the property it is about.
fn number_clash(e: Error, number: Option<&str>) -> Error {
    match (e.kind(), number) {
        (ErrorKind::AlreadyExists, Some(n)) => Error::validation_field(
            "CustomerNumber",
            format!("{n} is the number of another customer"),
        ),
        (ErrorKind::AlreadyExists, None) => Error::validation_field("CustomerNumber", e.message()),
        _ => e,
    }
}

fn seq_of(c: &Customer) -> i64 {
    c.seq.unwrap_or(0)
}

/// The view a write answers with: the request's `expand`/`select`, else everything.
fn write_view(p: &Params) -> Result<View, Error> {
    if p.expand.is_some() || p.select.is_some() {
        p.view()
    } else {
        Ok(View::full())
    }
}

// ---------------------------------------------------------------------------------------
// Handlers.
// ---------------------------------------------------------------------------------------

/// `GET /api/biz/customers`: the list, or `?action=validate-customer-KID-Alias`.
#[tracing::instrument(skip_all, fields(tenant = Empty, action = Empty))]
async fn collection_get(req: HttpRequest, state: Data<State>) -> HttpResponse {
    let answer = async {
        let tenant = authenticate(&req, &state)?;
        let p = params(&req)?;
        match p.action.as_deref() {
            None => {
                p.only(
                    format_args!("GET {BASE_PATH}"),
                    &["filter", "select", "expand", "orderby", "top", "skip"],
                )?;
                list(tenant, &p, &state).await
            }
            Some(a) if a.eq_ignore_ascii_case("validate-customer-KID-Alias") => {
                Span::current().record("action", a);
                p.only(
                    format_args!("GET {BASE_PATH}?action={a}"),
                    &["action", "customerKidAlias"],
                )?;
                validate_kid_alias(tenant, &p).await
            }
            Some(a) => Err(Error::validation_field(
                "action",
                format!("'{a}' is not an action of GET {BASE_PATH}"),
            )
            .into()),
        }
    }
    .await;
    respond(&req, answer)
}

async fn list(tenant: &Tenant, p: &Params, state: &State) -> Answer {
    let view = p.view()?;
    let query = p.query(&state.filter, state.max_top)?;
    let page = tenant.store.query(&tenant.id, &query).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|c| view.apply(convert::to_json(c)))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// `true` when the alias is well formed and no other customer of the company uses it as
/// its KID alias or its customer number.
async fn validate_kid_alias(tenant: &Tenant, p: &Params) -> Answer {
    let alias = p
        .customer_kid_alias
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::validation_field("customerKidAlias", "is required"))?;
    if validate::kid_alias(alias).is_err() {
        return Ok(HttpResponse::Ok().json(false));
    }
    if !tenant
        .store
        .find(&tenant.id, &Key::Number(alias.to_owned()))
        .await?
        .is_empty()
    {
        return Ok(HttpResponse::Ok().json(false));
    }
    const PAGE: u32 = 500;
    let mut offset = 0u64;
    loop {
        let q = Query {
            sort: vec![SortKey::asc(Field::Seq)],
            offset,
            limit: Some(PAGE),
            ..Query::default()
        };
        let page = tenant.store.query(&tenant.id, &q).await?;
        if page
            .items
            .iter()
            .any(|c| convert::kid_alias(c).as_deref() == Some(alias))
        {
            return Ok(HttpResponse::Ok().json(false));
        }
        if page.items.len() < PAGE as usize {
            return Ok(HttpResponse::Ok().json(true));
        }
        offset += u64::from(PAGE);
    }
}

/// `GET /api/biz/customers/{id}`, or `?action=next|previous`.
#[tracing::instrument(skip_all, fields(tenant = Empty, id = Empty, action = Empty))]
async fn item_get(req: HttpRequest, state: Data<State>, path: web::Path<String>) -> HttpResponse {
    let answer = async {
        let tenant = authenticate(&req, &state)?;
        // 0 is no customer, but `0?action=next` walks from the start.
        let id = parse_id_from(&path, "id", 0)?;
        Span::current().record("id", id);
        let p = params(&req)?;
        p.only(
            format_args!("GET {BASE_PATH}/{{id}}"),
            &["select", "expand", "action"],
        )?;
        let view = p.view()?;
        match p.action.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => {
                let c = by_seq(tenant, id).await?;
                Ok(HttpResponse::Ok().json(view.apply(convert::to_json(&c))))
            }
            Some(a @ ("next" | "previous")) => {
                Span::current().record("action", a);
                let c = neighbour(tenant, id, a == "next").await?;
                Ok(HttpResponse::Ok()
                    .json(c.map_or(Value::Null, |c| view.apply(convert::to_json(&c)))))
            }
            Some(a) => Err(Error::validation_field(
                "action",
                format!("'{a}' is not an action of GET {BASE_PATH}/{{id}}"),
            )
            .into()),
        }
    }
    .await;
    respond(&req, answer)
}

/// The customer after (or before) `id` in ID order, skipping blocked ("deleted") ones.
async fn neighbour(tenant: &Tenant, id: i64, next: bool) -> Result<Option<Customer>, Error> {
    let query = Query {
        filter: Filter::all([
            Filter::Compare {
                field: Field::Seq,
                op: if next { CmpOp::Gt } else { CmpOp::Lt },
                value: FieldValue::Int(id),
            },
            Filter::not(Filter::Compare {
                field: Field::Status,
                op: CmpOp::Eq,
                value: FieldValue::text(Status::Blocked.as_str()),
            }),
        ]),
        sort: vec![if next {
            SortKey::asc(Field::Seq)
        } else {
            SortKey::desc(Field::Seq)
        }],
        limit: Some(1),
        ..Query::default()
    };
    Ok(tenant
        .store
        .query(&tenant.id, &query)
        .await?
        .items
        .into_iter()
        .next())
}

/// `POST /api/biz/customers`.
#[tracing::instrument(skip_all, fields(tenant = Empty, id = Empty))]
async fn create(req: HttpRequest, state: Data<State>, payload: Payload) -> HttpResponse {
    let answer = async {
        let tenant = authenticate(&req, &state)?;
        let p = params(&req)?;
        p.only(format_args!("POST {BASE_PATH}"), &["select", "expand"])?;
        let view = write_view(&p)?;
        let body = state
            .limits
            .read_json::<Value>(&req, payload)
            .await
            .map_err(Problem::Body)?;
        let wire = convert::parse_customer(body, "")?;
        let customer = convert::apply(None, &wire, Mode::Create)?;
        let number = customer.number.clone();
        let saved = tenant
            .store
            .create(&tenant.id, customer, CreateOptions::default())
            .await
            .map_err(|e| number_clash(e, number.as_deref()))?;
        Span::current().record("id", seq_of(&saved));
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, location(seq_of(&saved))))
            .json(view.apply(convert::to_json(&saved))))
    }
    .await;
    respond(&req, answer)
}

/// `PUT /api/biz/customers/{id}`: merges the body onto the stored customer.
#[tracing::instrument(skip_all, fields(tenant = Empty, id = Empty))]
async fn update(
    req: HttpRequest,
    state: Data<State>,
    path: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let answer = async {
        let tenant = authenticate(&req, &state)?;
        let id = parse_id(&path, "id")?;
        Span::current().record("id", id);
        let p = params(&req)?;
        p.only(
            format_args!("PUT {BASE_PATH}/{{id}}"),
            &["select", "expand"],
        )?;
        let view = write_view(&p)?;
        let body = state
            .limits
            .read_json::<Value>(&req, payload)
            .await
            .map_err(Problem::Body)?;
        let wire = convert::parse_customer(body, "")?;
        let stored = by_seq(tenant, id).await?;
        let customer = convert::apply(Some(&stored), &wire, Mode::Update)?;
        let number = customer.number.clone();
        let saved = tenant
            .store
            .update(
                &tenant.id,
                customer,
                tenant.store.capability().expected(stored.version),
            )
            .await
            .map_err(|e| number_clash(e, number.as_deref()))?;
        Ok(HttpResponse::Ok().json(view.apply(convert::to_json(&saved))))
    }
    .await;
    respond(&req, answer)
}

/// `DELETE /api/biz/customers/{id}`: refused while quotes, orders or invoices reference
/// the customer.
#[tracing::instrument(skip_all, fields(tenant = Empty, id = Empty))]
async fn delete(req: HttpRequest, state: Data<State>, path: web::Path<String>) -> HttpResponse {
    let answer = async {
        let tenant = authenticate(&req, &state)?;
        let id = parse_id(&path, "id")?;
        Span::current().record("id", id);
        params(&req)?.only(format_args!("DELETE {BASE_PATH}/{{id}}"), &[])?;
        let stored = by_seq(tenant, id).await?;
        if convert::has_references(&stored) {
            return Err(error::references(id).into());
        }
        tenant
            .store
            .delete(
                &tenant.id,
                &stored.id,
                tenant.store.capability().expected(stored.version),
            )
            .await?;
        Ok(HttpResponse::NoContent().finish())
    }
    .await;
    respond(&req, answer)
}

/// `PUT /api/biz/customers?action=activate|deactivate|block&id=` and `?action=bulk-save`.
#[tracing::instrument(skip_all, fields(tenant = Empty, id = Empty, action = Empty))]
async fn collection_put(req: HttpRequest, state: Data<State>, payload: Payload) -> HttpResponse {
    let answer = async {
        let tenant = authenticate(&req, &state)?;
        let p = params(&req)?;
        let action = p
            .action
            .as_deref()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| {
                Error::validation_field(
                    "action",
                    "is required (activate, deactivate, block or bulk-save)",
                )
            })?;
        Span::current().record("action", action.as_str());
        let target = match action.as_str() {
            "activate" => Status::Active,
            "deactivate" => Status::Inactive,
            "block" => Status::Blocked,
            "bulk-save" => {
                p.only(
                    format_args!("PUT {BASE_PATH}?action=bulk-save"),
                    &["action", "select", "expand"],
                )?;
                return bulk_save(&req, tenant, &p, &state, payload).await;
            }
            other => {
                return Err(Error::validation_field(
                    "action",
                    format!("'{other}' is not an action of PUT {BASE_PATH}"),
                )
                .into())
            }
        };
        p.only(
            format_args!("PUT {BASE_PATH}?action={action}"),
            &["action", "id"],
        )?;
        let raw =
            p.id.as_deref()
                .ok_or_else(|| Error::validation_field("id", "is required"))?;
        let id = parse_id(raw, "id")?;
        Span::current().record("id", id);
        let stored = by_seq(tenant, id).await?;
        transition(stored.status, target)
            .map_err(|m| Error::validation_field("StatusCode", format!("customer {id} {m}")))?;
        tenant
            .store
            .set_status(&tenant.id, &stored.id, target)
            .await?;
        Ok(HttpResponse::NoContent().finish())
    }
    .await;
    respond(&req, answer)
}

/// Whether a status action may move a customer from `from` to `to`.
fn transition(from: Status, to: Status) -> Result<(), String> {
    match (from, to) {
        (f, t) if f == t => Err(format!("is already {}", describe(t))),
        (Status::Blocked, Status::Inactive) => {
            Err("is deleted (blocked); activate it before deactivating it".into())
        }
        _ => Ok(()),
    }
}

fn describe(s: Status) -> &'static str {
    match s {
        Status::Active => "active",
        Status::Inactive => "inactive",
        Status::Blocked => "deleted (blocked)",
        Status::Quote => "a quote",
    }
}

/// One validated element of a bulk save.
enum Planned {
    Create(Box<Customer>),
    Update {
        before: Box<Customer>,
        after: Box<Customer>,
    },
}

/// How to take back a write that succeeded before a later one failed.
enum Undo {
    Created(CustomerId),
    Updated(Box<Customer>),
}

/// `PUT ?action=bulk-save`: every element validated first, then written; a write that
/// still fails takes back the ones before it (see docs.md: the store has no multi-record
/// transaction).
async fn bulk_save(
    req: &HttpRequest,
    tenant: &Tenant,
    p: &Params,
    state: &State,
    payload: Payload,
) -> Answer {
    let view = write_view(p)?;
    let body = state
        .limits
        .read_json::<Value>(req, payload)
        .await
        .map_err(Problem::Body)?;
    let Value::Array(items) = body else {
        return Err(Error::validation_field("", "bulk-save takes an array of customers").into());
    };
    if items.len() > state.max_top {
        return Err(Error::validation_field(
            "",
            format!("bulk-save takes at most {} customers", state.max_top),
        )
        .into());
    }

    // Phase 1: validate every element completely.
    let mut failures: Vec<FieldError> = Vec::new();
    let mut plan: Vec<Planned> = Vec::new();
    let mut ids_seen: HashMap<i64, usize> = HashMap::new();
    let mut numbers_seen: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("[{i}]");
        let wire = match convert::parse_customer(item, &at) {
            Ok(w) => w,
            Err(e) => {
                failures.extend(e.fields().iter().cloned());
                continue;
            }
        };
        let id = wire.id.value().copied().filter(|n| *n > 0);
        let planned = match id {
            Some(id) => {
                if let Some(first) = ids_seen.insert(id, i) {
                    failures.push(FieldError {
                        field: format!("{at}.ID"),
                        message: format!("customer {id} is also element [{first}]"),
                    });
                    continue;
                }
                let before = match by_seq(tenant, id).await {
                    Ok(c) => c,
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        failures.push(FieldError {
                            field: format!("{at}.ID"),
                            message: format!("there is no customer with ID {id}"),
                        });
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                convert::apply(Some(&before), &wire, Mode::Update).map(|after| Planned::Update {
                    before: Box::new(before),
                    after: Box::new(after),
                })
            }
            None => convert::apply(None, &wire, Mode::Create).map(|c| Planned::Create(Box::new(c))),
        };
        let planned = match planned.and_then(|pl| {
            let c = match &pl {
                Planned::Create(c) | Planned::Update { after: c, .. } => c,
            };
            c.check().map(|()| pl)
        }) {
            Ok(pl) => pl,
            Err(e) => {
                let mut errs = Errors::new();
                for f in e.fields() {
                    errs.push(f.field.clone(), f.message.clone());
                }
                if e.fields().is_empty() {
                    errs.push("", e.message());
                }
                failures.extend(errs.prefixed(&at));
                continue;
            }
        };
        // Customer numbers must stay unique: within the batch and against the store.
        let (number, own_id) = match &planned {
            Planned::Create(c) => (c.number.clone(), None),
            Planned::Update { before, after } => (
                after
                    .number
                    .clone()
                    .filter(|n| Some(n) != before.number.as_ref()),
                Some(before.id.clone()),
            ),
        };
        if let Some(n) = number {
            if let Some(first) = numbers_seen.insert(n.clone(), i) {
                failures.push(FieldError {
                    field: format!("{at}.CustomerNumber"),
                    message: format!("{n} is also the number of element [{first}]"),
                });
            } else {
                let holders = tenant
                    .store
                    .find(&tenant.id, &Key::Number(n.clone()))
                    .await?;
                if holders.iter().any(|h| Some(&h.id) != own_id.as_ref()) {
                    failures.push(FieldError {
                        field: format!("{at}.CustomerNumber"),
                        message: format!("{n} is the number of another customer"),
                    });
                }
            }
        }
        plan.push(planned);
    }
    if !failures.is_empty() {
        return Err(Error::validation(failures).into());
    }

    // Phase 2: write, taking back what was written when a write fails.
    let mut saved = Vec::with_capacity(plan.len());
    let mut undo: Vec<Undo> = Vec::with_capacity(plan.len());
    for (i, planned) in plan.into_iter().enumerate() {
        let result = match planned {
            Planned::Create(c) => tenant
                .store
                .create(&tenant.id, *c, CreateOptions::default())
                .await
                .inspect(|s| undo.push(Undo::Created(s.id.clone()))),
            Planned::Update { before, after } => tenant
                .store
                .update(
                    &tenant.id,
                    *after,
                    tenant.store.capability().expected(before.version),
                )
                .await
                .inspect(|_| undo.push(Undo::Updated(before))),
        };
        match result {
            Ok(s) => saved.push(s),
            Err(e) => {
                compensate(tenant, undo).await;
                let e = match e.kind() {
                    ErrorKind::Validation | ErrorKind::AlreadyExists => Error::validation_field(
                        format!("[{i}]"),
                        format!("{}; nothing was saved", e.message()),
                    ),
                    _ => e.with_context(
                        "bulk_save",
                        format!("element [{i}] failed; earlier writes were taken back"),
                    ),
                };
                return Err(e.into());
            }
        }
    }
    let body: Vec<Value> = saved
        .iter()
        .map(|c| view.apply(convert::to_json(c)))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

async fn compensate(tenant: &Tenant, undo: Vec<Undo>) {
    for u in undo.into_iter().rev() {
        let outcome = match &u {
            Undo::Created(id) => tenant.store.delete(&tenant.id, id, None).await.map(drop),
            Undo::Updated(before) => tenant
                .store
                .update(&tenant.id, (**before).clone(), None)
                .await
                .map(drop),
        };
        if let Err(e) = outcome {
            let id = match &u {
                Undo::Created(id) => id.as_str().to_owned(),
                Undo::Updated(c) => c.id.as_str().to_owned(),
            };
            tracing::error!(tenant = %tenant.id, customer = %id, error = %e, "Bulk save could not take back a write");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use Status::*;
        assert!(transition(Inactive, Active).is_ok());
        assert!(transition(Blocked, Active).is_ok());
        assert!(transition(Quote, Active).is_ok());
        assert!(transition(Active, Inactive).is_ok());
        assert!(transition(Active, Blocked).is_ok());
        assert!(transition(Inactive, Blocked).is_ok());
        assert!(transition(Active, Active).is_err());
        assert!(transition(Blocked, Blocked).is_err());
        assert!(transition(Blocked, Inactive).is_err());
    }
}
