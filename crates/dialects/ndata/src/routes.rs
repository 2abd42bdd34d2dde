//! The server side: thin actix-web handlers at NData's native paths.
//!
//! Each handler authenticates, extracts, converts, makes its store call(s), converts
//! back and responds; every failure goes through [`crate::error::problem`].

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use custgate_core::{
    CreateOptions, Customer, CustomerId, DynStore, Error, ErrorKind, FieldError, TenantId, Version,
};
use custgate_http::{
    bearer_token, hash_password, request_id, ConfigError, DialectServer, DialectSetup,
    JsonBodyError, Limits, PasswordHashString,
};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tracing::field::{display, Empty};
use tracing::Span;

use crate::auth::{Issued, Session, Sessions, User};
use crate::config::{GlobalConfig, Right, Rights, TenantConfig};
use crate::error::{plain_problem, problem, ProblemContext};
use crate::{convert, query, validate, wire};

/// Everything the handlers share.
pub(crate) struct State {
    tenants: HashMap<TenantId, DynStore>,
    /// By lower-case user name.
    users: HashMap<String, Arc<User>>,
    /// Checked for unknown user names, so that they take as long as known ones.
    decoy_hash: PasswordHashString,
    sessions: Sessions,
    max_take: u32,
    limits: Limits,
}

/// The dialect's server, built once at start.
pub(crate) struct Server {
    state: web::Data<State>,
}

impl DialectServer for Server {
    fn name(&self) -> &'static str {
        crate::NAME
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        let data = self.state.clone();
        cfg.service(
            web::resource("/api/auth")
                .app_data(data.clone())
                .route(web::post().to(login))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/api/auth/refresh")
                .app_data(data.clone())
                .route(web::post().to(refresh))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/customers")
                .app_data(data.clone())
                .route(web::get().to(list))
                .route(web::post().to(create))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/customers/{id}")
                .app_data(data)
                .route(web::get().to(get))
                .route(web::put().to(upsert))
                .route(web::delete().to(delete))
                .default_service(web::to(method_not_allowed)),
        );
    }
}

fn config_error(path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(path, message)
}

/// Builds the server from configuration, checking every setting.
pub(crate) fn build(setup: &DialectSetup) -> Result<Server, ConfigError> {
    let global: GlobalConfig = setup.global("dialects.ndata")?;
    let ttl = |secs: u64, name: &str| {
        i64::try_from(secs)
            .ok()
            .filter(|s| (1..=10 * 366 * 86_400).contains(s))
            .map(Duration::seconds)
            .ok_or_else(|| {
                config_error(
                    &format!("dialects.ndata.{name}"),
                    "must be from 1 second to 10 years",
                )
            })
    };
    let token_ttl = ttl(global.token_ttl_secs, "token_ttl_secs")?;
    let refresh_ttl = ttl(global.refresh_ttl_secs, "refresh_ttl_secs")?;
    let max_page = setup.limits.max_page_size;
    if global.max_take == 0 || global.max_take as usize > max_page {
        return Err(config_error(
            "dialects.ndata.max_take",
            format!("must be from 1 to limits.max_page_size ({max_page})"),
        ));
    }

    let mut tenants = HashMap::new();
    let mut users: HashMap<String, Arc<User>> = HashMap::new();
    for (tenant, cfg) in setup.tenant_configs::<TenantConfig>(crate::NAME)? {
        for (i, u) in cfg.users.iter().enumerate() {
            let path = format!("tenants.{}.ndata.users[{i}]", tenant.id);
            let name = u.user_name.trim();
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(config_error(
                    &format!("{path}.user_name"),
                    "must not be empty or hold control characters",
                ));
            }
            let rights = u
                .rights
                .iter()
                .map(|r| {
                    Right::parse(r).ok_or_else(|| {
                        config_error(
                            &format!("{path}.rights"),
                            format!(
                                "unknown right '{r}' (known: {})",
                                Right::ALL
                                    .iter()
                                    .map(|r| r.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let key = name.to_lowercase();
            if let Some(other) = users.get(&key) {
                return Err(config_error(
                    &format!("{path}.user_name"),
                    format!(
                        "'{name}' is already a user of tenant '{}': POST /api/auth has no \
                         tenant field, so NData user names must be unique across tenants \
                         (ignoring case)",
                        other.tenant
                    ),
                ));
            }
            users.insert(
                key,
                Arc::new(User {
                    tenant: tenant.id.clone(),
                    user_name: name.to_owned(),
                    hash: u.password_hash.clone(),
                    rights: Rights::new(rights),
                }),
            );
        }
        tenants.insert(tenant.id.clone(), tenant.store.clone());
    }
    let decoy = hash_password(&String::from_utf8_lossy(&rand_bytes()));
    let decoy_hash = PasswordHashString::parse(&decoy)
        .map_err(|e| config_error("dialects.ndata", format!("cannot hash a password: {e}")))?;
    Ok(Server {
        state: web::Data::new(State {
            tenants,
            users,
            decoy_hash,
            sessions: Sessions::new(token_ttl, refresh_ttl),
            max_take: global.max_take,
            limits: setup.limits,
        }),
    })
}

fn rand_bytes() -> [u8; 16] {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b
}

/// Why a request failed.
enum Failure {
    /// A canonical error, with the id of the customer addressed.
    Error(Error, Option<String>),
    /// The body could not be read within the limits.
    Body(JsonBodyError),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e, None)
    }
}

impl From<JsonBodyError> for Failure {
    fn from(e: JsonBodyError) -> Self {
        Failure::Body(e)
    }
}

type Reply = Result<HttpResponse, Failure>;

trait About<T> {
    /// Names the customer an error is about.
    fn about(self, id: &CustomerId) -> Result<T, Failure>;
}

impl<T> About<T> for Result<T, Error> {
    fn about(self, id: &CustomerId) -> Result<T, Failure> {
        self.map_err(|e| Failure::Error(e, Some(id.as_str().to_owned())))
    }
}

fn json_response(status: u16, body: &impl serde::Serialize, content_type: &str) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, content_type))
            .body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "Cannot serialise a response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn respond(req: &HttpRequest, reply: Reply) -> HttpResponse {
    let failure = match reply {
        Ok(resp) => return resp,
        Err(f) => f,
    };
    let trace_id = request_id(req);
    let mut cx = ProblemContext {
        trace_id: &trace_id,
        instance: req.path(),
        resource_id: None,
    };
    let (status, body) = match &failure {
        Failure::Error(e, id) => {
            cx.resource_id = id.as_deref();
            let (status, body) = problem(e, &cx);
            if e.kind().is_failure() {
                tracing::error!(error = %e, status, trace_id = %trace_id, "Request failed");
            } else {
                tracing::info!(kind = e.kind().as_str(), status, "Request refused");
            }
            (status, body)
        }
        Failure::Body(JsonBodyError::TooLarge { limit }) => (
            413,
            plain_problem(
                413,
                "Payload Too Large",
                format!("the request body is larger than {limit} bytes"),
                &cx,
            ),
        ),
        Failure::Body(other) => problem(&Error::validation_field("$", other.to_string()), &cx),
    };
    let mut resp = json_response(status, &body, "application/problem+json");
    if status == 401 {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// 405 for a method a resource does not serve.
async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let trace_id = request_id(&req);
    let cx = ProblemContext {
        trace_id: &trace_id,
        instance: req.path(),
        resource_id: None,
    };
    let body = plain_problem(
        405,
        "Method Not Allowed",
        format!("{} is not served at this path", req.method()),
        &cx,
    );
    json_response(405, &body, "application/problem+json")
}

/// The session behind the request's bearer token.
fn session(req: &HttpRequest, state: &State) -> Result<Session, Failure> {
    let token = bearer_token(req).ok_or_else(|| {
        Error::new(
            ErrorKind::Unauthenticated,
            "an 'Authorization: Bearer <tokenId>' header is required",
        )
    })?;
    let s = state
        .sessions
        .authenticate(token, Utc::now())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthenticated,
                "the token is unknown or has expired; log in again or refresh it",
            )
        })?;
    let span = Span::current();
    span.record("tenant", display(&s.user.tenant));
    span.record("user", display(&s.user.user_name));
    Ok(s)
}

fn store<'a>(state: &'a State, s: &Session) -> Result<&'a DynStore, Failure> {
    state
        .tenants
        .get(&s.user.tenant)
        .ok_or_else(|| Error::unexpected(format!("tenant '{}' has no store", s.user.tenant)).into())
}

fn require(s: &Session, right: Right) -> Result<(), Failure> {
    if s.user.rights.allows(right) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Forbidden,
            format!(
                "user '{}' lacks the {} right",
                s.user.user_name,
                right.as_str()
            ),
        )
        .into())
    }
}

async fn read_json(
    req: &HttpRequest,
    payload: web::Payload,
    state: &State,
) -> Result<serde_json::Value, Failure> {
    Ok(state.limits.read_json(req, payload).await?)
}

async fn read_customer(
    req: &HttpRequest,
    payload: web::Payload,
    state: &State,
) -> Result<wire::Customer, Failure> {
    let body = read_json(req, payload, state).await?;
    let w = validate::read_customer(body)?;
    validate::customer(&w)?;
    Ok(w)
}

const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn etag(v: Version) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{v}\""))
}

fn customer_response(status: u16, c: &Customer) -> HttpResponse {
    let mut resp = json_response(
        status,
        &convert::to_wire(c, Utc::now()),
        "application/json; charset=utf-8",
    );
    if let Ok(v) = HeaderValue::from_str(&etag(c.version).1) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// `If-Match`: `*`, or a list of entity tags (`"3"`, `W/"3"`).
enum IfMatch {
    Any,
    Versions(Vec<u64>),
}

impl IfMatch {
    fn from_request(req: &HttpRequest) -> Option<IfMatch> {
        let values: Vec<&str> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return None;
        }
        let mut versions = Vec::new();
        for tag in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
            if tag == "*" {
                return Some(IfMatch::Any);
            }
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            // A tag that is not one of ours matches nothing.
            if let Ok(v) = tag.trim_matches('"').parse() {
                versions.push(v);
            }
        }
        Some(IfMatch::Versions(versions))
    }

    fn matches(&self, v: Version) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Versions(vs) => vs.contains(&v.get()),
        }
    }
}

fn auth_response(issued: Issued, user: &User, device_name: Option<String>) -> HttpResponse {
    let body = wire::AuthResponse {
        token_id: issued.token_id,
        refresh_token: issued.refresh_token,
        expiration_time: Some(issued.expires),
        refresh_token_expiration_time: Some(issued.refresh_expires),
        user: wire::AuthUser {
            user_name: user.user_name.clone(),
            device_name,
            rights: user.rights.names(),
        },
    };
    let mut resp = json_response(200, &body, "application/json; charset=utf-8");
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn required(member: &str, value: &Option<String>) -> Option<FieldError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .is_none()
        .then(|| FieldError {
            field: member.into(),
            message: validate::REQUIRED.into(),
        })
}

/// `POST /api/auth`.
#[tracing::instrument(name = "ndata.login", skip_all, fields(user = Empty, tenant = Empty))]
async fn login(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
    let reply: Reply = async {
        let mut body = read_json(&req, payload, &state).await?;
        let Some(obj) = body.as_object_mut() else {
            return Err(Error::validation_field("$", "the body must be a JSON object").into());
        };
        wire::normalize_member_names(obj, wire::AuthRequest::MEMBERS);
        let r: wire::AuthRequest = validate::read_object(body)?;
        let missing: Vec<FieldError> = [
            required("UserName", &r.user_name),
            required("Password", &r.password),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !missing.is_empty() {
            return Err(Error::validation(missing).into());
        }
        let name = r.user_name.unwrap_or_default();
        let password = r.password.unwrap_or_default();
        Span::current().record("user", display(&name));
        let user = state.users.get(&name.trim().to_lowercase()).cloned();
        let hash = user
            .as_ref()
            .map_or_else(|| state.decoy_hash.clone(), |u| u.hash.clone());
        let verified = web::block(move || hash.verify(&password))
            .await
            .map_err(|e| Error::unexpected(format!("the password check did not run: {e}")))?;
        let user = match user {
            Some(u) if verified => u,
            _ => {
                return Err(Error::new(
                    ErrorKind::Unauthenticated,
                    "the user name or the password is wrong",
                )
                .into())
            }
        };
        Span::current().record("tenant", display(&user.tenant));
        let device = r.device_name.filter(|d| !d.is_empty());
        let issued = state
            .sessions
            .issue(user.clone(), device.clone(), Utc::now());
        tracing::info!(user = %user.user_name, tenant = %user.tenant, "User logged in");
        Ok(auth_response(issued, &user, device))
    }
    .await;
    respond(&req, reply)
}

/// `POST /api/auth/refresh` with `{"refreshToken": "..."}`: a new pair of tokens; the
/// refresh token is used up.
#[tracing::instrument(name = "ndata.refresh", skip_all, fields(user = Empty, tenant = Empty))]
async fn refresh(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
    let reply: Reply = async {
        let mut body = read_json(&req, payload, &state).await?;
        let Some(obj) = body.as_object_mut() else {
            return Err(Error::validation_field("$", "the body must be a JSON object").into());
        };
        wire::normalize_member_names(obj, wire::RefreshRequest::MEMBERS);
        let r: wire::RefreshRequest = validate::read_object(body)?;
        if let Some(e) = required("RefreshToken", &r.refresh_token) {
            return Err(Error::validation(vec![e]).into());
        }
        let token = r.refresh_token.unwrap_or_default();
        let s = state.sessions.redeem(&token, Utc::now()).ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthenticated,
                "the refresh token is unknown, used or expired; log in again",
            )
        })?;
        Span::current().record("user", display(&s.user.user_name));
        Span::current().record("tenant", display(&s.user.tenant));
        let issued = state
            .sessions
            .issue(s.user.clone(), s.device_name.clone(), Utc::now());
        Ok(auth_response(issued, &s.user, s.device_name))
    }
    .await;
    respond(&req, reply)
}

/// `GET /customers`.
#[tracing::instrument(name = "ndata.list", skip_all, fields(tenant = Empty, user = Empty))]
async fn list(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let reply: Reply = async {
        let s = session(&req, &state)?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).map_err(|e| {
                Error::validation_field("$query", format!("the query string cannot be read: {e}"))
            })?;
        let now = Utc::now();
        let q = query::parse_list(&pairs, now, state.max_take)?;
        let page = store(&state, &s)?.query(&s.user.tenant, &q).await?;
        let total = page.total.unwrap_or(page.items.len() as u64);
        let body = if q.count == custgate_core::Count::Only {
            wire::QueryResult {
                items: None,
                count: total,
                total_count: total,
            }
        } else {
            wire::QueryResult {
                count: page.items.len() as u64,
                items: Some(
                    page.items
                        .iter()
                        .map(|c| convert::to_wire(c, now))
                        .collect(),
                ),
                total_count: total,
            }
        };
        Ok(json_response(200, &body, "application/json; charset=utf-8"))
    }
    .await;
    respond(&req, reply)
}

/// The path's id for a read or delete: one that cannot be valid cannot exist either.
fn existing_id(raw: &str) -> Result<CustomerId, Failure> {
    CustomerId::parse(raw).map_err(|_| {
        Failure::Error(
            Error::not_found(format!("customer '{raw}' does not exist")),
            Some(raw.to_owned()),
        )
    })
}

/// `GET /customers/{id}`.
#[tracing::instrument(name = "ndata.get", skip_all, fields(tenant = Empty, user = Empty, id = %path))]
async fn get(req: HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let reply: Reply = async {
        let s = session(&req, &state)?;
        let id = existing_id(&path)?;
        let c = store(&state, &s)?
            .get(&s.user.tenant, &id)
            .await
            .about(&id)?;
        Ok(customer_response(200, &c))
    }
    .await;
    respond(&req, reply)
}

fn location(id: &CustomerId) -> String {
    format!("/customers/{}", utf8_percent_encode(id.as_str(), SEGMENT))
}

fn created(c: &Customer) -> HttpResponse {
    let mut resp = customer_response(201, c);
    if let Ok(v) = HeaderValue::from_str(&location(&c.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// An `AlreadyExists` on create is about the id.
fn duplicate_id(e: Error) -> Error {
    if e.kind() == ErrorKind::AlreadyExists && e.fields().is_empty() {
        let message = e.message().to_owned();
        e.with_fields(vec![FieldError {
            field: "Id".into(),
            message: format!("{}: {message}", validate::UNIQUE),
        }])
    } else {
        e
    }
}

/// `POST /customers`.
#[tracing::instrument(name = "ndata.create", skip_all, fields(tenant = Empty, user = Empty, id = Empty))]
async fn create(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
    let reply: Reply = async {
        let s = session(&req, &state)?;
        require(&s, Right::CustomerCreate)?;
        let w = read_customer(&req, payload, &state).await?;
        let c = convert::to_canonical(&w)?;
        Span::current().record("id", display(&c.id));
        let saved = store(&state, &s)?
            .create(&s.user.tenant, c, CreateOptions::default())
            .await
            .map_err(duplicate_id)?;
        Ok(created(&saved))
    }
    .await;
    respond(&req, reply)
}

/// `PUT /customers/{id}`: creates (201) or updates (200).
#[tracing::instrument(name = "ndata.upsert", skip_all, fields(tenant = Empty, user = Empty, id = %path))]
async fn upsert(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let reply: Reply = async {
        let s = session(&req, &state)?;
        if !s.user.rights.allows(Right::CustomerCreate)
            && !s.user.rights.allows(Right::CustomerUpdate)
        {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!(
                    "user '{}' lacks the CustomerCreate and CustomerUpdate rights",
                    s.user.user_name
                ),
            )
            .into());
        }
        let id = CustomerId::parse(&path).map_err(|e| {
            Error::validation_field(
                "Id",
                e.fields().first().map_or("is not valid", |f| &f.message),
            )
        })?;
        let mut w = read_customer(&req, payload, &state).await?;
        // The path's id wins over the body's.
        w.id = Some(id.as_str().to_owned());
        let if_match = IfMatch::from_request(&req);
        let st = store(&state, &s)?;
        let tenant = &s.user.tenant;
        // A create that loses a race with another create becomes an update.
        for attempt in 0..2 {
            let stored = match st.get(tenant, &id).await {
                Ok(c) => Some(c),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => return Err(Failure::Error(e, Some(id.to_string()))),
            };
            let Some(stored) = stored else {
                require(&s, Right::CustomerCreate)?;
                if if_match.is_some() {
                    return Err(Failure::Error(
                        Error::new(
                            ErrorKind::VersionMismatch,
                            "If-Match is given but the customer does not exist",
                        ),
                        Some(id.to_string()),
                    ));
                }
                let c = convert::to_canonical(&w)?;
                match st.create(tenant, c, CreateOptions::default()).await {
                    Ok(saved) => return Ok(created(&saved)),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt == 0 => continue,
                    Err(e) => return Err(Failure::Error(duplicate_id(e), Some(id.to_string()))),
                }
            };
            require(&s, Right::CustomerUpdate)?;
            let stale_body = w.version.is_some_and(|v| v != stored.version.get());
            let stale_header = if_match
                .as_ref()
                .is_some_and(|m| !m.matches(stored.version));
            if stale_body || stale_header {
                return Err(Failure::Error(
                    Error::version_mismatch(stored.version),
                    Some(id.to_string()),
                ));
            }
            let updated = convert::merge(&w, &stored, Utc::now());
            if convert::shown_discount(&updated) != convert::shown_discount(&stored) {
                require(&s, Right::CustomerSetDiscount)?;
            }
            if convert::shown_credit(&updated) != convert::shown_credit(&stored) {
                require(&s, Right::CustomerSetCredit)?;
            }
            if updated == stored {
                // Nothing changed: the version stays.
                return Ok(customer_response(200, &stored));
            }
            let expected = st.capability().expected(stored.version);
            let saved = st.update(tenant, updated, expected).await.about(&id)?;
            return Ok(customer_response(200, &saved));
        }
        Err(Failure::Error(
            Error::new(
                ErrorKind::Conflict,
                "the customer is being created by another request",
            ),
            Some(id.to_string()),
        ))
    }
    .await;
    respond(&req, reply)
}

/// `DELETE /customers/{id}`: 200 with the deleted record.
#[tracing::instrument(name = "ndata.delete", skip_all, fields(tenant = Empty, user = Empty, id = %path))]
async fn delete(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<State>,
) -> HttpResponse {
    let reply: Reply = async {
        let s = session(&req, &state)?;
        require(&s, Right::CustomerDelete)?;
        let id = existing_id(&path)?;
        let st = store(&state, &s)?;
        let expected = match IfMatch::from_request(&req) {
            None => None,
            Some(m) => {
                let stored = st.get(&s.user.tenant, &id).await.about(&id)?;
                if !m.matches(stored.version) {
                    return Err(Failure::Error(
                        Error::version_mismatch(stored.version),
                        Some(id.to_string()),
                    ));
                }
                // Checked here; the backend checks again when it can.
                st.capability().expected(stored.version)
            }
        };
        let deleted = st.delete(&s.user.tenant, &id, expected).await.about(&id)?;
        Ok(json_response(
            200,
            &convert::to_wire(&deleted, Utc::now()),
            "application/json; charset=utf-8",
        ))
    }
    .await;
    respond(&req, reply)
}
