//! The dialect's native routes (feature `server`): thin handlers that authenticate,
//! parse, convert, make one store call (two for a write by name or id: find, then write),
//! convert back and answer.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use actix_web::http::header;
use actix_web::web::{self, Data, Payload};
use actix_web::{HttpRequest, HttpResponse};
use custgate_core::{find_one, Customer, DynStore, Error, FieldError, Key, TenantId, Version};
use custgate_http::{
    bearer_token, hash_password, ConfigError, DialectServer, DialectSetup, DynDialect,
    JsonBodyError, Limits, PasswordHashString,
};
use serde_json::Value;
use tracing::field::Empty;

use crate::auth::{self, Tokens};
use crate::config::{GlobalConfig, TenantConfig, UserConfig};
use crate::convert;
use crate::error::ApiError;
use crate::query::ListParams;
use crate::validate::check_body;
use crate::wire::{location, CustomerBody, CustomerRecord, LoginRequest, LoginResponse};

struct TenantState {
    store: DynStore,
    users: Vec<UserConfig>,
}

/// Everything the handlers share, built once from configuration.
pub(crate) struct State {
    tokens: Tokens,
    tenants: HashMap<TenantId, TenantState>,
    limits: Limits,
    max_page_size: u32,
}

struct Server {
    state: Data<State>,
}

impl DialectServer for Server {
    fn name(&self) -> &'static str {
        convert::DIALECT
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        // Data sits on each resource, so it cannot clash with another dialect's.
        cfg.service(
            web::resource("/api/customer")
                .app_data(self.state.clone())
                .route(web::get().to(list))
                .route(web::post().to(create)),
        )
        .service(
            web::resource("/api/customer/{key}")
                .app_data(self.state.clone())
                .route(web::get().to(get_by_name))
                .route(web::put().to(update))
                .route(web::delete().to(delete_by_name)),
        )
        .service(
            web::resource("/api/account/login")
                .app_data(self.state.clone())
                .route(web::post().to(login)),
        );
    }
}

/// Builds the dialect's server from configuration, checking every setting.
pub fn server(setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
    let global: GlobalConfig = setup.global(auth::SECTION)?;
    let tokens = Tokens::from_config(&global)?;
    let max_page_size = global
        .max_page_size
        .min(u32::try_from(setup.limits.max_page_size).unwrap_or(u32::MAX));
    if max_page_size == 0 {
        return Err(ConfigError::new(
            format!("{}.max_page_size", auth::SECTION),
            "must be at least 1",
        ));
    }
    let mut tenants = HashMap::new();
    for (t, cfg) in setup.tenant_configs::<TenantConfig>(convert::DIALECT)? {
        let path = format!("tenants.{}.{}", t.id, convert::DIALECT);
        let mut ids = HashSet::new();
        for (i, u) in cfg.users.iter().enumerate() {
            if u.user_id.trim().is_empty() {
                return Err(ConfigError::new(
                    format!("{path}.users[{i}].user_id"),
                    "must not be empty",
                ));
            }
            if !ids.insert(u.user_id.as_str()) {
                return Err(ConfigError::new(
                    format!("{path}.users[{i}].user_id"),
                    format!("'{}' is listed twice", u.user_id),
                ));
            }
        }
        if !cfg.users.is_empty() && !tokens.can_issue() {
            return Err(ConfigError::new(
                format!("{}.private_key_pem", auth::SECTION),
                format!("is required to issue tokens to the users of {path}"),
            ));
        }
        tenants.insert(
            t.id.clone(),
            TenantState {
                store: t.store.clone(),
                users: cfg.users,
            },
        );
    }
    Ok(Arc::new(Server {
        state: Data::new(State {
            tokens,
            tenants,
            limits: setup.limits,
            max_page_size,
        }),
    }))
}

/// The token's tenant, which must be served by this dialect.
fn authenticate<'s>(
    state: &'s State,
    req: &HttpRequest,
) -> Result<(&'s TenantId, &'s TenantState), ApiError> {
    let fail = |e: Error| ApiError::new(&e, req);
    let token = bearer_token(req).ok_or_else(|| {
        fail(
            auth::unauthenticated("a bearer license token is required")
                .with_context("token", "missing"),
        )
    })?;
    let tenant = state.tokens.verify(token).map_err(fail)?;
    let (id, t) = state.tenants.get_key_value(&tenant).ok_or_else(|| {
        fail(auth::unauthenticated(
            "the token's tenant is not served here",
        ))
    })?;
    tracing::Span::current().record("tenant", id.as_str());
    Ok((id, t))
}

/// Reads a JSON body within the limits, answering 413/415/400 in the dialect's envelope.
async fn read_json(state: &State, req: &HttpRequest, payload: Payload) -> Result<Value, ApiError> {
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(ApiError::status(
                415,
                "the request body must be application/json",
                req,
            ));
        }
    }
    state
        .limits
        .read_json::<Value>(req, payload)
        .await
        .map_err(|e| match e {
            JsonBodyError::TooLarge { .. } => ApiError::status(413, e.to_string(), req),
            other => ApiError::new(&Error::validation_field("$", other.to_string()), req),
        })
}

/// Reads and validates a customer body.
async fn read_body(
    state: &State,
    req: &HttpRequest,
    payload: Payload,
) -> Result<(CustomerBody, Option<i64>), ApiError> {
    let json = read_json(state, req, payload).await?;
    let parsed =
        CustomerBody::from_json(&json).map_err(|f| ApiError::new(&Error::validation(f), req))?;
    check_body(&parsed.body).map_err(|e| ApiError::new(&e, req))?;
    Ok((parsed.body, parsed.cus_id))
}

fn record(c: &Customer, req: &HttpRequest) -> Result<CustomerRecord, ApiError> {
    convert::to_record(c).map_err(|e| ApiError::new(&e, req))
}

/// The version to check on a write, when the store can check one.
fn expected(store: &DynStore, stored: &Customer) -> Option<Version> {
    store.capability().expected(stored.version)
}

/// `GET /api/customer`: a bare array of one page, the total in `X-Total-Count`.
#[tracing::instrument(skip_all, fields(dialect = "tenant", tenant = Empty))]
async fn list(req: HttpRequest, state: Data<State>) -> Result<HttpResponse, ApiError> {
    let (tenant, t) = authenticate(&state, &req)?;
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| {
            ApiError::new(
                &Error::validation_field("$", format!("the query string is malformed: {e}")),
                &req,
            )
        })?
        .into_inner();
    let params =
        ListParams::parse(&pairs, state.max_page_size).map_err(|e| ApiError::new(&e, &req))?;
    let page = t
        .store
        .query(tenant, &params.to_query())
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    let records = page
        .items
        .iter()
        .map(|c| record(c, &req))
        .collect::<Result<Vec<_>, _>>()?;
    let total = page.total.unwrap_or(records.len() as u64);
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", total.to_string()))
        .json(records))
}

/// `POST /api/customer`: 201 with the record and its `Location`.
#[tracing::instrument(skip_all, fields(dialect = "tenant", tenant = Empty, cus_id = Empty))]
async fn create(
    req: HttpRequest,
    state: Data<State>,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let (tenant, t) = authenticate(&state, &req)?;
    // A `cusId` in the body is ignored: the store assigns it.
    let (body, _) = read_body(&state, &req, payload).await?;
    let created = t
        .store
        .create(tenant, convert::new_customer(&body), Default::default())
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    let rec = record(&created, &req)?;
    tracing::Span::current().record("cus_id", rec.cus_id);
    let loc = location(rec.cus_name.as_deref().unwrap_or_default());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, loc))
        .json(rec))
}

/// `GET /api/customer/{cusName}`: the lowest `cusId` with exactly this name.
#[tracing::instrument(skip_all, fields(dialect = "tenant", tenant = Empty))]
async fn get_by_name(
    req: HttpRequest,
    state: Data<State>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, t) = authenticate(&state, &req)?;
    let found = find_one(t.store.as_ref(), tenant, &Key::Name(name.into_inner()))
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    Ok(HttpResponse::Ok().json(record(&found, &req)?))
}

/// `PUT /api/customer/{CusId}`: replaces the dialect's fields, keeping the rest.
#[tracing::instrument(skip_all, fields(dialect = "tenant", tenant = Empty, cus_id = Empty))]
async fn update(
    req: HttpRequest,
    state: Data<State>,
    key: web::Path<String>,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let (tenant, t) = authenticate(&state, &req)?;
    let raw = key.into_inner();
    let cus_id: i64 = raw.trim().parse().map_err(|_| {
        ApiError::new(
            &Error::validation_field("CusId", format!("'{raw}' is not a valid customer id")),
            &req,
        )
    })?;
    tracing::Span::current().record("cus_id", cus_id);
    let (body, body_id) = read_body(&state, &req, payload).await?;
    if body_id.is_some_and(|b| b != cus_id) {
        return Err(ApiError::new(
            &Error::validation(vec![FieldError {
                field: "cusId".into(),
                message: "cusId in the body does not match the id in the path".into(),
            }]),
            &req,
        ));
    }
    let stored = find_one(t.store.as_ref(), tenant, &Key::Seq(cus_id))
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    let expected = expected(&t.store, &stored);
    let mut merged = stored;
    convert::apply(&body, &mut merged);
    let updated = t
        .store
        .update(tenant, merged, expected)
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    Ok(HttpResponse::Ok().json(record(&updated, &req)?))
}

/// `DELETE /api/customer/{cusName}`: 204; the lowest `cusId` with exactly this name.
#[tracing::instrument(skip_all, fields(dialect = "tenant", tenant = Empty))]
async fn delete_by_name(
    req: HttpRequest,
    state: Data<State>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, t) = authenticate(&state, &req)?;
    let found = find_one(t.store.as_ref(), tenant, &Key::Name(name.into_inner()))
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    let expected = expected(&t.store, &found);
    t.store
        .delete(tenant, &found.id, expected)
        .await
        .map_err(|e| ApiError::new(&e, &req))?;
    Ok(HttpResponse::NoContent().finish())
}

/// A hash checked when the user does not exist, so that the answer takes as long as
/// for a wrong password.
fn decoy_hash() -> &'static PasswordHashString {
    static DECOY: OnceLock<PasswordHashString> = OnceLock::new();
    DECOY.get_or_init(|| {
        PasswordHashString::parse(&hash_password("custgate-decoy-password"))
            .expect("a fresh hash parses")
    })
}

/// `POST /api/account/login`: a license token for a configured user.
#[tracing::instrument(skip_all, fields(dialect = "tenant", tenant = Empty))]
async fn login(
    req: HttpRequest,
    state: Data<State>,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let json = read_json(&state, &req, payload).await?;
    let body =
        LoginRequest::from_json(&json).map_err(|f| ApiError::new(&Error::validation(f), &req))?;
    let bad_credentials = || {
        ApiError::new(
            &auth::unauthenticated("the tenant, user or password is wrong"),
            &req,
        )
    };
    let tenant = TenantId::parse(body.tenant_id.trim())
        .ok()
        .and_then(|id| state.tenants.get_key_value(&id));
    let user = tenant.and_then(|(_, t)| t.users.iter().find(|u| u.user_id == body.user_id));
    let hash = user.map_or_else(|| decoy_hash().clone(), |u| u.password_hash.clone());
    let password = body.password;
    // Argon2 takes tens of milliseconds: off the async workers.
    let ok = web::block(move || hash.verify(&password))
        .await
        .map_err(|_| ApiError::new(&Error::unexpected("password check failed"), &req))?;
    let (Some((tenant, _)), Some(user), true) = (tenant, user, ok) else {
        return Err(bad_credentials());
    };
    tracing::Span::current().record("tenant", tenant.as_str());
    let token = state
        .tokens
        .issue(tenant, Some(&user.user_id), user.email.as_deref())
        .map_err(|e| ApiError::new(&e, &req))?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        user_name: user.user_id.clone(),
        tenant_id: tenant.as_str().to_owned(),
        email: user.email.clone(),
        token,
    }))
}
