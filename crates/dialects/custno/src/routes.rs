//! The ManEx customer API served at its native paths: `/API/Customer/{Add|Edit|Get}/{key}`,
//! matched ignoring case, GET and POST alike.
//!
//! Handlers are thin: read the parameters, check the key, convert, make the store call(s),
//! convert back. The API key is a path segment: it is never recorded in a span or log
//! line (the access log redacts it, and no handler logs the path or the URI).

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use custgate_core::{CreateOptions, Customer, DynStore, Error, ErrorKind, Key, TenantId};
use custgate_http::{
    ConfigError, DialectServer, DialectSetup, DynDialect, JsonBodyError, Limits, SecretTable,
};
use serde::Serialize;
use serde_json::Value;

use crate::config::{GlobalConfig, TenantConfig};
use crate::convert::{self, manex_number};
use crate::error::{failed_prefix, reply};
use crate::query::{self, Params};
use crate::validate::{self, Action};
use crate::wire::{self, Envelope, WebApiError, CODE_REFUSED};
use crate::NAME;

/// The route of the three actions: `/API/Customer/{action}/{key}`, any case.
pub const CUSTOMER_ROUTE: &str = "/{api:(?i)api}/{ctl:(?i)customer}/{action}/{key}";

/// Misspelt controllers such as the seed's `/api/CustomerAdd/{key}`: a controller name
/// starting with `Customer` (but not `Customer` itself), with one or two segments after
/// it. Narrow on purpose: other paths under `/api` belong to other dialects.
pub const UNKNOWN_CONTROLLER_ROUTES: [&str; 2] = [
    "/{api:(?i)api}/{ctl:(?i)customer[^/]+}/{a}",
    "/{api:(?i)api}/{ctl:(?i)customer[^/]+}/{a}/{b}",
];

/// One tenant reachable through an API key.
struct TenantEntry {
    id: TenantId,
    store: DynStore,
}

struct State {
    keys: SecretTable<TenantEntry>,
    limits: Limits,
    global: GlobalConfig,
}

/// The dialect's server: the API-key table, built once at start.
pub struct CustnoServer {
    state: Arc<State>,
}

impl std::fmt::Debug for CustnoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustnoServer")
            .field("keys", &self.state.keys)
            .finish_non_exhaustive()
    }
}

/// Builds the server from configuration: one table from API key to tenant. A key listed
/// for two tenants, or twice for one, is a configuration error (naming the tenants,
/// never the key).
pub fn server(setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
    Ok(Arc::new(build(setup)?))
}

pub(crate) fn build(setup: &DialectSetup) -> Result<CustnoServer, ConfigError> {
    let global: GlobalConfig = setup.global(&format!("dialects.{NAME}"))?;
    let mut keys = SecretTable::new();
    for (tenant, cfg) in setup.tenant_configs::<TenantConfig>(NAME)? {
        let path = format!("tenants.{}.{NAME}.api_keys", tenant.id);
        if cfg.api_keys.is_empty() {
            return Err(ConfigError::new(path, "must list at least one API key"));
        }
        for (i, key) in cfg.api_keys.iter().enumerate() {
            let entry = TenantEntry {
                id: tenant.id.clone(),
                store: tenant.store.clone(),
            };
            if let Err(other) = keys.insert(key, entry) {
                let message = if other.id == tenant.id {
                    "this API key is listed twice".to_owned()
                } else {
                    format!(
                        "this API key is already configured for tenant '{}'; a key selects one tenant",
                        other.id
                    )
                };
                return Err(ConfigError::new(format!("{path}[{i}]"), message));
            }
        }
    }
    Ok(CustnoServer {
        state: Arc::new(State {
            keys,
            limits: setup.limits,
            global,
        }),
    })
}

impl DialectServer for CustnoServer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        if !self.state.global.enabled {
            return;
        }
        let data = web::Data::from(self.state.clone());
        cfg.service(
            web::resource(CUSTOMER_ROUTE)
                .app_data(data.clone())
                .route(web::route().to(customer)),
        );
        cfg.service(
            web::resource(UNKNOWN_CONTROLLER_ROUTES)
                .app_data(data)
                .route(web::route().to(unknown_controller)),
        );
    }
}

fn json<T: Serialize>(status: u16, body: &T) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .json(body)
}

/// The request URI as received (`http://localhost/api/Customer/Get/KEY?…`), for the Web
/// API error bodies; path segments from `secret_from` on are replaced when the
/// configuration asks not to echo the key.
fn request_uri(req: &HttpRequest, state: &State, secret_from: usize) -> String {
    let info = req.connection_info();
    let path = if state.global.echo_request_uri {
        req.path().to_owned()
    } else {
        req.path()
            .split('/')
            .enumerate()
            .map(|(i, s)| if i >= secret_from { "[redacted]" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    match req.uri().query() {
        Some(q) => format!("{}://{}{path}?{q}", info.scheme(), info.host()),
        None => format!("{}://{}{path}", info.scheme(), info.host()),
    }
}

fn not_found(
    req: &HttpRequest,
    state: &State,
    body: impl FnOnce(&str) -> WebApiError,
    secret_from: usize,
) -> HttpResponse {
    json(404, &body(&request_uri(req, state, secret_from)))
}

/// `/api/Customer…/…` with a controller name that is not `Customer`.
#[tracing::instrument(name = "custno.unknown_controller", skip_all)]
async fn unknown_controller(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let ctl = req.match_info().get("ctl").unwrap_or_default().to_owned();
    not_found(&req, &state, |uri| WebApiError::no_controller(uri, &ctl), 3)
}

/// A refusal in the dialect's envelope: HTTP 200, `Code: 403`.
fn refused(action: Action, reason: &str) -> HttpResponse {
    json(
        200,
        &Envelope::<()>::refused(
            CODE_REFUSED,
            format!("{}{reason}", failed_prefix(action)),
            true,
        ),
    )
}

fn error_response(action: Action, e: &Error) -> HttpResponse {
    if e.kind().is_failure() {
        tracing::error!(error = %e, "Request failed");
    } else {
        tracing::info!(kind = %e.kind(), "Request refused");
    }
    let (status, body) = reply::<()>(action, e);
    json(status, &body)
}

/// Why the parameters of a request could not be read.
enum ParamsError {
    TooLarge(usize),
    Unreadable(String),
}

/// The parameters of the query string and of the body: a JSON object (single-quoted
/// strings allowed, as in the seed) or, with that content type, a form.
async fn read_params(
    req: &HttpRequest,
    payload: web::Payload,
    limits: &Limits,
) -> Result<Params, ParamsError> {
    let mut params = Params::from_query(req.query_string());
    let body = match limits.read_body(req, payload).await {
        Ok(b) => b,
        Err(JsonBodyError::TooLarge { limit }) => return Err(ParamsError::TooLarge(limit)),
        Err(_) => {
            return Err(ParamsError::Unreadable(
                "The request body could not be read.".into(),
            ))
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if is_form {
        let text = std::str::from_utf8(&body)
            .map_err(|_| ParamsError::Unreadable("The request body is not UTF-8.".into()))?;
        params.extend_query(text);
        return Ok(params);
    }
    let relaxed = query::relaxed_json(&body);
    // The size was checked on what the caller sent; rewriting quotes may add a little.
    let within = Limits {
        max_body_bytes: usize::MAX,
        ..*limits
    };
    match within.parse_json::<Value>(&relaxed) {
        Ok(Value::Object(m)) => params.extend_json(&m),
        Ok(Value::Null) => {}
        Ok(_) => {
            return Err(ParamsError::Unreadable(
                "The request body must be a JSON object of parameters.".into(),
            ))
        }
        Err(JsonBodyError::TooLarge { limit }) => return Err(ParamsError::TooLarge(limit)),
        Err(JsonBodyError::TooDeep { limit }) => {
            return Err(ParamsError::Unreadable(format!(
                "The request body nests deeper than {limit} levels."
            )))
        }
        Err(JsonBodyError::Syntax(_) | JsonBodyError::Shape(_) | JsonBodyError::Unreadable(_)) => {
            return Err(ParamsError::Unreadable(
                "The request body is not valid JSON.".into(),
            ))
        }
    }
    Ok(params)
}

/// `/API/Customer/{action}/{key}`.
#[tracing::instrument(
    name = "custno",
    skip_all,
    fields(action = tracing::field::Empty, tenant = tracing::field::Empty)
)]
async fn customer(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let method = req.method();
    if method != actix_web::http::Method::GET && method != actix_web::http::Method::POST {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, POST"))
            .content_type("application/json; charset=utf-8")
            .json(WebApiError::method_not_allowed(method.as_str()));
    }
    let Some(action) = req.match_info().get("action").and_then(Action::parse) else {
        return not_found(&req, &state, WebApiError::no_action, 4);
    };
    let span = tracing::Span::current();
    span.record("action", action.as_str());

    let params = read_params(&req, payload, &state.limits).await;
    if action == Action::Get {
        // The vendor selects Get by its parameter: without it no action matches.
        if let Ok(p) = &params {
            if !p.has(query::CUSTNUMORNAME) {
                return not_found(&req, &state, WebApiError::no_action, 4);
            }
        }
    }

    let key = req.match_info().get("key").unwrap_or_default();
    let Some(tenant) = state.keys.lookup(key) else {
        tracing::info!("Invalid API key");
        return json(
            200,
            &Envelope::<()>::refused(CODE_REFUSED, wire::MSG_INVALID_KEY, false),
        );
    };
    span.record("tenant", tenant.id.as_str());

    let params = match params {
        Ok(p) => p,
        Err(ParamsError::TooLarge(limit)) => {
            return json(
                413,
                &Envelope::<()>::refused(
                    413,
                    format!(
                        "{}The request body is larger than {limit} bytes.",
                        failed_prefix(action)
                    ),
                    true,
                ),
            )
        }
        Err(ParamsError::Unreadable(why)) => return refused(action, &why),
    };

    match action {
        Action::Add => match add(tenant, &params).await {
            Ok(c) => json(
                200,
                &Envelope::ok(wire::MSG_ADDED, Some(convert::to_record(&c).add_view())),
            ),
            Err(e) => error_response(action, &e),
        },
        Action::Edit => match edit(tenant, &params).await {
            Ok(()) => json(200, &Envelope::<()>::ok(wire::MSG_EDITED, None)),
            Err(e) => error_response(action, &e),
        },
        Action::Get => match get(tenant, &params).await {
            Ok(c) => json(
                200,
                &Envelope::ok(wire::MSG_DETAILS, Some(convert::to_record(&c).get_view())),
            ),
            Err(e) => error_response(action, &e),
        },
    }
}

async fn add(t: &TenantEntry, params: &Params) -> Result<Customer, Error> {
    let changes = validate::changes(params, Action::Add).map_err(Error::validation)?;
    let mut c = Customer::new();
    convert::apply(&changes, &mut c);
    let number = c.number.clone();
    t.store
        .create(&t.id, c, CreateOptions::default())
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => Error::new(
                ErrorKind::AlreadyExists,
                match number {
                    Some(n) => format!("Custno {} already exists.", manex_number(&n)),
                    None => "A customer with this Custno already exists.".to_owned(),
                },
            ),
            _ => e,
        })
}

/// The customer with this number: the canonical form first, then the number exactly as
/// given (a record whose number another dialect stored padded).
async fn by_number(
    t: &TenantEntry,
    canonical: &str,
    raw: Option<&str>,
) -> Result<Option<Customer>, Error> {
    let mut keys = vec![Key::Number(canonical.to_owned())];
    if let Some(raw) = raw.filter(|r| *r != canonical) {
        keys.push(Key::Number(raw.to_owned()));
    }
    first(t, &keys).await
}

/// The first customer found under the first key that finds one, trying the keys in
/// order. A key the backend cannot look up is passed over, but when no key found anyone,
/// that is `Unsupported` (the customer may exist under the key that could not be tried),
/// not "does not exist".
async fn first(t: &TenantEntry, keys: &[Key]) -> Result<Option<Customer>, Error> {
    let cap = t.store.capability();
    let mut untried = None;
    for key in keys {
        if let Err(e) = cap.check_find(key) {
            untried.get_or_insert(e);
            continue;
        }
        if let Some(c) = t.store.find(&t.id, key).await?.into_iter().next() {
            return Ok(Some(c));
        }
    }
    untried.map_or(Ok(None), Err)
}

async fn edit(t: &TenantEntry, params: &Params) -> Result<(), Error> {
    let mut changes = validate::changes(params, Action::Edit).map_err(Error::validation)?;
    // The number names the customer; it is not a change.
    let number = changes.custno.take().unwrap_or_default();
    let raw = params.get(query::CUSTNO).ok().flatten();
    for attempt in 0..2 {
        let current = by_number(t, &number, raw)
            .await?
            .ok_or_else(|| Error::not_found(wire::MSG_NOT_FOUND))?;
        let mut next = current.clone();
        convert::apply(&convert::without_echoes(&changes, &current), &mut next);
        if next == current {
            return Ok(());
        }
        let expected = t.store.capability().expected(current.version);
        match t.store.update(&t.id, next, expected).await {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::VersionMismatch && attempt == 0 => {
                tracing::info!("Customer changed during the edit; retrying once");
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(
        ErrorKind::VersionMismatch,
        "the customer kept changing during the edit",
    ))
}

async fn get(t: &TenantEntry, params: &Params) -> Result<Customer, Error> {
    let wanted = validate::cust_num_or_name(params)
        .map_err(|f| Error::validation(vec![f]))?
        .unwrap_or_default();
    let mut keys = query::lookup_keys(wanted);
    if let Some(Key::Number(canonical)) = keys.first() {
        if canonical != wanted {
            keys.insert(1, Key::Number(wanted.to_owned()));
        }
    }
    first(t, &keys)
        .await?
        .ok_or_else(|| Error::not_found(wire::MSG_NOT_FOUND))
}
