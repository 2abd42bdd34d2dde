//! The facade's handlers: authenticate, extract, make one store call, respond.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use custgate_core::{
    CreateOptions, Customer, CustomerId, Error, ErrorKind, FieldError, Idempotency, IdempotencyKey,
    Status, Version,
};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::field::Empty;

use crate::config::{Settings, Tenant};
use crate::convert::{customer_from_json, Target};
use crate::error::Problem;
use crate::query::parse_list;

/// Where the facade lives.
pub const BASE_PATH: &str = "/unified/v1";

type Reply = Result<HttpResponse, Problem>;

/// Registers the facade's routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, settings: Arc<Settings>) {
    cfg.service(
        web::scope(BASE_PATH)
            .app_data(web::Data::from(settings))
            .service(
                web::resource("/customers")
                    .route(web::get().to(list))
                    .route(web::post().to(create))
                    .default_service(web::to(|req: HttpRequest| async move {
                        Problem::method_not_allowed("GET, POST").respond(&req)
                    })),
            )
            .service(
                web::resource("/customers/{id}")
                    .route(web::get().to(get))
                    .route(web::put().to(replace))
                    .route(web::delete().to(delete))
                    .default_service(web::to(|req: HttpRequest| async move {
                        Problem::method_not_allowed("GET, PUT, DELETE").respond(&req)
                    })),
            )
            .service(
                web::resource("/customers/{id}/status")
                    .route(web::post().to(set_status))
                    .default_service(web::to(|req: HttpRequest| async move {
                        Problem::method_not_allowed("POST").respond(&req)
                    })),
            )
            .default_service(web::to(|req: HttpRequest| async move {
                Problem::no_route().respond(&req)
            })),
    );
}

fn answer(req: &HttpRequest, reply: Reply) -> HttpResponse {
    reply.unwrap_or_else(|p| p.respond(req))
}

/// The tenant of the request's bearer token, recorded on the current span.
fn authenticate<'a>(req: &HttpRequest, settings: &'a Settings) -> Result<&'a Tenant, Problem> {
    let Some(token) = custgate_http::bearer_token(req) else {
        return Err(Problem::missing_credentials());
    };
    let tenant = settings
        .tokens
        .lookup(token)
        .ok_or_else(Problem::invalid_token)?;
    tracing::Span::current().record("tenant", tenant.id.as_str());
    Ok(tenant)
}

/// The `{id}` of the path. An id that cannot exist is answered like a missing one.
fn path_id(req: &HttpRequest) -> Result<CustomerId, Problem> {
    let raw = req.match_info().get("id").unwrap_or_default();
    tracing::Span::current().record("customer_id", raw);
    CustomerId::parse(raw)
        .map_err(|_| Error::not_found(format!("customer '{raw}' does not exist")).into())
}

fn etag(version: Version) -> String {
    format!("\"{version}\"")
}

/// Characters escaped in the id segment of a `Location`.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The facade path of a customer.
pub fn location(id: &CustomerId) -> String {
    format!(
        "{BASE_PATH}/customers/{}",
        utf8_percent_encode(id.as_str(), SEGMENT)
    )
}

/// The head of an answer holding one record: its `ETag`, not to be cached.
fn record_head(status: StatusCode, version: Version) -> HttpResponseBuilder {
    let mut head = HttpResponse::build(status);
    head.insert_header((header::ETAG, etag(version)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    head
}

/// A single record with its `ETag`.
fn record(status: StatusCode, c: &Customer) -> HttpResponse {
    record_head(status, c.version).json(c)
}

/// A record just written, with `dropped_fields` when the tenant's upstream could not
/// carry some of what was sent (gateway mode; the same paths are in the
/// `X-Custgate-Dropped-Fields` header).
fn written(status: StatusCode, c: &Customer) -> HttpResponse {
    let dropped = custgate_core::report::dropped();
    if dropped.is_empty() {
        return record(status, c);
    }
    #[derive(serde::Serialize)]
    struct Written<'a> {
        #[serde(flatten)]
        customer: &'a Customer,
        dropped_fields: Vec<String>,
    }
    record_head(status, c.version).json(Written {
        customer: c,
        dropped_fields: dropped,
    })
}

/// The version an `If-Match` header requires, if any.
///
/// `*` and an absent header require nothing (the record must merely exist). One strong
/// entity tag (`"3"`, or leniently `3`) requires that version. A weak or foreign tag can
/// never match (412); a list or garbage is a 400.
fn if_match(headers: &HeaderMap) -> Result<Option<Version>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || -> Problem {
        Error::validation_field("If-Match", "must be the record's ETag (such as \"3\") or *").into()
    };
    let raw = value.to_str().map_err(|_| bad())?.trim();
    if raw == "*" {
        return Ok(None);
    }
    if raw.contains(',') {
        return Err(Error::validation_field(
            "If-Match",
            "must be a single entity tag; lists are not supported",
        )
        .into());
    }
    let never = |why: &str| -> Problem { Error::new(ErrorKind::VersionMismatch, why).into() };
    if raw.starts_with("W/") {
        return Err(never("a weak entity tag never matches If-Match"));
    }
    let inner = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner,
        None if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => raw,
        None => return Err(bad()),
    };
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(never("the entity tag is not one this API issued"));
    }
    Version::parse(inner)
        .map(Some)
        .map_err(|_| never("the entity tag is not one this API issued"))
}

/// Refuses bodies declared as something other than JSON; no `Content-Type` is taken as
/// JSON.
fn require_json(req: &HttpRequest) -> Result<(), Problem> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let given = value.to_str().unwrap_or("an unreadable media type");
    let essence = given
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(Problem::unsupported_media_type(given))
    }
}

/// Reads and parses a JSON body within the limits (413 when too large, 400 when too
/// deep or malformed).
async fn json_body(
    req: &HttpRequest,
    payload: web::Payload,
    settings: &Settings,
) -> Result<(web::Bytes, serde_json::Value), Problem> {
    require_json(req)?;
    let bytes = settings.limits.read_body(req, payload).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::validation_field("body", "is empty; send a JSON object").into());
    }
    let value = settings.limits.parse_json(&bytes)?;
    Ok((bytes, value))
}

#[derive(Serialize)]
struct ListBody {
    items: Vec<Customer>,
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
}

/// `GET /unified/v1/customers`.
#[tracing::instrument(skip_all, fields(tenant = Empty))]
async fn list(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let reply = async {
        let tenant = authenticate(&req, &settings)?;
        let ask = parse_list(req.query_string(), &tenant.id, settings.pages)?;
        let mut page = tenant.store.query(&tenant.id, &ask.store_query()).await?;
        let more = page.items.len() > ask.limit as usize;
        page.items.truncate(ask.limit as usize);
        let body = ListBody {
            items: page.items,
            next_cursor: more.then(|| ask.next_cursor()),
            total: page.total.filter(|_| ask.total),
        };
        Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body))
    }
    .await;
    answer(&req, reply)
}

/// `GET /unified/v1/customers/{id}`.
#[tracing::instrument(skip_all, fields(tenant = Empty, customer_id = Empty))]
async fn get(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let reply = async {
        let tenant = authenticate(&req, &settings)?;
        let id = path_id(&req)?;
        // The body is the canonical serialisation, which the store may hold already.
        let doc = tenant.store.get_json(&tenant.id, &id).await?;
        Ok(record_head(StatusCode::OK, doc.version)
            .insert_header(header::ContentType::json())
            .body(doc.json))
    }
    .await;
    answer(&req, reply)
}

/// The `Idempotency-Key` of a create and the fingerprint of its body.
fn idempotency(req: &HttpRequest, body: &[u8]) -> Result<Option<Idempotency>, Problem> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = |why: &str| -> Problem { Error::validation_field("Idempotency-Key", why).into() };
    let raw = value
        .to_str()
        .map_err(|_| invalid("must be printable ASCII without spaces"))?;
    let key = IdempotencyKey::parse(raw).map_err(|e| {
        invalid(
            e.fields()
                .first()
                .map_or(e.message(), |f| f.message.as_str()),
        )
    })?;
    Ok(Some(Idempotency {
        key,
        fingerprint: hex::encode(Sha256::digest(body)),
    }))
}

/// `POST /unified/v1/customers`.
#[tracing::instrument(skip_all, fields(tenant = Empty, customer_id = Empty))]
async fn create(
    req: HttpRequest,
    payload: web::Payload,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let reply = async {
        let tenant = authenticate(&req, &settings)?;
        let (bytes, value) = json_body(&req, payload, &settings).await?;
        let idempotency = idempotency(&req, &bytes)?;
        let customer = customer_from_json(value, Target::Create)?;
        let created = tenant
            .store
            .create(&tenant.id, customer, CreateOptions { idempotency })
            .await?;
        tracing::Span::current().record("customer_id", created.id.as_str());
        let mut res = written(StatusCode::CREATED, &created);
        if let Ok(v) = header::HeaderValue::from_str(&location(&created.id)) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        Ok(res)
    }
    .await;
    answer(&req, reply)
}

/// `PUT /unified/v1/customers/{id}`: a full replace, conditional on `If-Match` when given.
#[tracing::instrument(skip_all, fields(tenant = Empty, customer_id = Empty))]
async fn replace(
    req: HttpRequest,
    payload: web::Payload,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let reply = async {
        let tenant = authenticate(&req, &settings)?;
        let id = path_id(&req)?;
        let expected = if_match(req.headers())?;
        let (_, value) = json_body(&req, payload, &settings).await?;
        let customer = customer_from_json(value, Target::Replace(&id))?;
        let updated = tenant.store.update(&tenant.id, customer, expected).await?;
        Ok(written(StatusCode::OK, &updated))
    }
    .await;
    answer(&req, reply)
}

/// `DELETE /unified/v1/customers/{id}`, conditional on `If-Match` when given.
#[tracing::instrument(skip_all, fields(tenant = Empty, customer_id = Empty))]
async fn delete(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let reply = async {
        let tenant = authenticate(&req, &settings)?;
        let id = path_id(&req)?;
        let expected = if_match(req.headers())?;
        tenant.store.delete(&tenant.id, &id, expected).await?;
        Ok(HttpResponse::NoContent().finish())
    }
    .await;
    answer(&req, reply)
}

/// The body of a status change: exactly `{"status": "<status>"}`.
fn status_from_json(value: serde_json::Value) -> Result<Status, Error> {
    let serde_json::Value::Object(map) = value else {
        return Err(Error::validation_field(
            "body",
            "must be a JSON object such as {\"status\":\"inactive\"}",
        ));
    };
    let allowed = "must be one of active, inactive, quote, blocked";
    let mut errors = Vec::new();
    let mut status = None;
    match map.get("status") {
        None => errors.push(("status".to_owned(), "is required".to_owned())),
        Some(serde_json::Value::String(s)) => match Status::parse(s) {
            Some(st) => status = Some(st),
            None => errors.push(("status".to_owned(), allowed.to_owned())),
        },
        Some(_) => errors.push(("status".to_owned(), allowed.to_owned())),
    }
    for k in map.keys().filter(|k| k.as_str() != "status") {
        errors.push((k.clone(), "is not a field of a status change".to_owned()));
    }
    match status {
        Some(s) if errors.is_empty() => Ok(s),
        _ => Err(Error::validation(
            errors
                .into_iter()
                .map(|(field, message)| FieldError { field, message })
                .collect(),
        )),
    }
}

/// `POST /unified/v1/customers/{id}/status`.
///
/// Without `If-Match` this is the store's `set_status`. With it, the change must apply to
/// that version: the record is read, checked and written back with the store's own
/// version check, so a concurrent change in between is still caught.
#[tracing::instrument(skip_all, fields(tenant = Empty, customer_id = Empty))]
async fn set_status(
    req: HttpRequest,
    payload: web::Payload,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let reply = async {
        let tenant = authenticate(&req, &settings)?;
        let id = path_id(&req)?;
        let expected = if_match(req.headers())?;
        let (_, value) = json_body(&req, payload, &settings).await?;
        let status = status_from_json(value)?;
        let changed = match expected {
            None => tenant.store.set_status(&tenant.id, &id, status).await?,
            Some(v) => {
                let mut c = tenant.store.get(&tenant.id, &id).await?;
                if c.version != v {
                    return Err(Error::version_mismatch(c.version).into());
                }
                c.status = status;
                tenant.store.update(&tenant.id, c, Some(v)).await?
            }
        };
        Ok(record(StatusCode::OK, &changed))
    }
    .await;
    answer(&req, reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn check(value: Option<&str>, expected: Result<Option<u64>, u16>) {
        let mut req = TestRequest::default();
        if let Some(v) = value {
            req = req.insert_header((header::IF_MATCH, v));
        }
        let got = if_match(req.to_http_request().headers())
            .map(|v| v.map(Version::get))
            .map_err(|p| p.status().as_u16());
        assert_eq!(got, expected, "{value:?}");
    }

    #[test]
    fn if_match_forms() {
        check(None, Ok(None));
        check(Some("*"), Ok(None));
        check(Some("\"3\""), Ok(Some(3)));
        check(Some(" \"12\" "), Ok(Some(12)));
        check(Some("3"), Ok(Some(3)));
        check(Some("W/\"3\""), Err(412));
        check(Some("\"abc\""), Err(412));
        check(Some("\"0\""), Err(412));
        check(Some("\"\""), Err(412));
        check(Some("\"1\", \"2\""), Err(400));
        check(Some("abc"), Err(400));
    }

    #[test]
    fn locations_escape_the_id() {
        let id = CustomerId::parse("a b?c#d%e").unwrap();
        assert_eq!(location(&id), "/unified/v1/customers/a%20b%3Fc%23d%25e");
        let plain = CustomerId::parse("0190-abc").unwrap();
        assert_eq!(location(&plain), "/unified/v1/customers/0190-abc");
    }

    #[test]
    fn status_bodies() {
        use serde_json::json;
        assert_eq!(
            status_from_json(json!({"status": "inactive"})).unwrap(),
            Status::Inactive
        );
        assert_eq!(
            status_from_json(json!({"status": "BLOCKED"})).unwrap(),
            Status::Blocked
        );
        for (body, fields) in [
            (json!({}), vec!["status"]),
            (json!({"status": "gone"}), vec!["status"]),
            (json!({"status": 1}), vec!["status"]),
            (json!({"status": "active", "why": "x"}), vec!["why"]),
            (json!("active"), vec!["body"]),
        ] {
            let e = status_from_json(body.clone()).unwrap_err();
            let got: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
            assert_eq!(got, fields, "{body}");
        }
    }
}
