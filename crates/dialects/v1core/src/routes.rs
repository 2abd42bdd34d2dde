//! `GET /v1/core/customer`: extract, check, one lookup, convert, respond.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use custgate_core::{Error, ErrorKind};
use custgate_http::{
    bearer_token, request_id, ConfigError, DialectServer, DialectSetup, DynDialect,
};

use crate::config::{self, Auth, Company, Settings};
use crate::convert::{self, Context};
use crate::wire::CustomerDto;
use crate::{error, query, validate, DIALECT, PATH};

struct Server {
    settings: Arc<Settings>,
}

impl DialectServer for Server {
    fn name(&self) -> &'static str {
        DIALECT
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.service(
            web::resource(PATH)
                .app_data(web::Data::from(self.settings.clone()))
                .route(web::get().to(get_customer))
                .default_service(web::to(method_not_allowed)),
        );
    }
}

/// Builds the dialect's server from configuration.
pub fn server(setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
    Ok(Arc::new(Server {
        settings: Arc::new(config::build(setup)?),
    }))
}

#[tracing::instrument(
    skip_all,
    fields(dialect = DIALECT, request_id = tracing::field::Empty, company = tracing::field::Empty, rows = tracing::field::Empty)
)]
async fn get_customer(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let trace = request_id(&req);
    let span = tracing::Span::current();
    span.record("request_id", trace.as_str());
    match lookup(&req, &settings).await {
        Ok(rows) => {
            span.record("rows", rows.len());
            HttpResponse::Ok()
                .content_type("application/json; charset=utf-8")
                .json(rows)
        }
        Err(e) => respond_error(&e, &trace),
    }
}

async fn lookup(req: &HttpRequest, settings: &Settings) -> Result<Vec<CustomerDto>, Error> {
    let params = validate::parse_params(req.query_string())?;
    let Some(code) = params.company_code.as_deref() else {
        // Without a company there is nobody to authenticate against: report every
        // problem of the request.
        return Err(validate::check(&params)
            .err()
            .unwrap_or_else(|| Error::validation_field("companyCode", "is required")));
    };
    let company = settings.company(code).ok_or_else(unauthenticated)?;
    tracing::Span::current().record("company", company.code.as_str());
    authenticate(req, company)?;
    let request = validate::check(&params)?;
    let rows = query::lookup(
        company.store.as_ref(),
        &company.tenant,
        &request.criteria,
        settings.max_results,
    )
    .await?;
    let ctx = Context::new(&settings.lookups, request.lang);
    Ok(rows.iter().map(|c| convert::to_wire(c, &ctx)).collect())
}

/// Unknown company codes and bad credentials get the same answer, so that the answer
/// does not tell which companies exist.
fn unauthenticated() -> Error {
    Error::new(
        ErrorKind::Unauthenticated,
        "unknown company code, or missing or invalid credentials",
    )
}

fn authenticate(req: &HttpRequest, company: &Company) -> Result<(), Error> {
    let ok = match &company.auth {
        Auth::Anonymous => true,
        Auth::Bearer(tokens) => bearer_token(req).is_some_and(|t| tokens.lookup(t).is_some()),
        Auth::ApiKey { header, keys } => req
            .headers()
            .get(header)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|k| keys.lookup(k.trim()).is_some()),
    };
    if ok {
        return Ok(());
    }
    let e = unauthenticated();
    Err(match &company.auth {
        Auth::Bearer(_) => e.with_context("challenge", "Bearer realm=\"v1core\""),
        _ => e,
    })
}

fn respond_error(e: &Error, trace: &str) -> HttpResponse {
    let body = error::problem(e, Some(trace));
    match e.kind() {
        ErrorKind::Unexpected => tracing::error!(error = %e, "Lookup failed"),
        k if k.is_failure() => tracing::warn!(kind = %k, error = %e, "Lookup failed upstream"),
        k => tracing::info!(kind = %k, message = e.message(), "Lookup refused"),
    }
    let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    res.content_type("application/problem+json; charset=utf-8");
    if let Some(challenge) = e
        .context_value("challenge")
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        res.insert_header((header::WWW_AUTHENTICATE, challenge));
    }
    res.json(body)
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let e = Error::unsupported(format!(
        "{} is not allowed: the v1core customer API is a read-only lookup (GET)",
        req.method()
    ));
    let mut body = error::problem(&e, Some(&request_id(&req)));
    body.status = 405;
    body.title = "Method Not Allowed".into();
    body.kind = "https://tools.ietf.org/html/rfc9110#section-15.5.6".into();
    HttpResponse::MethodNotAllowed()
        .content_type("application/problem+json; charset=utf-8")
        .insert_header((header::ALLOW, "GET"))
        .json(body)
}
