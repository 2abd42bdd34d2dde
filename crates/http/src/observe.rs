//! Request ids, access logs and request metrics for every route, in one middleware.
//!
//! The access log and the metric labels never hold a secret: the route label is the
//! matched pattern (`/API/Customer/Get/{key}`), and the logged path has API-key segments
//! replaced by `[redacted]`. Query strings are not logged.

use std::borrow::Cow;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served: the client's `X-Request-Id` when it is sane, else
/// a new UUID.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The request id of `req` (set by [`observe`]); a fresh one outside the middleware.
pub fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(new_request_id)
}

/// A random (version 4) UUID from the thread's generator, without a system call per id.
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| s.to_owned())
}

/// Which dialect a path belongs to, for labels and logs.
pub fn dialect_of(path: &str) -> &'static str {
    // Compared without case and without copying: this runs on every request.
    let mut segs = path.trim_start_matches('/').split('/');
    let mut next = || segs.next();
    let is = |seg: Option<&str>, name: &str| seg.is_some_and(|s| s.eq_ignore_ascii_case(name));
    let first = next();
    if is(first, "unified") {
        return "unified";
    }
    if is(first, "customers") {
        return "ndata";
    }
    let second = next();
    if is(first, "v1") && is(second, "core") {
        return "v1core";
    }
    if !is(first, "api") {
        return "gateway";
    }
    let has_third = next().is_some();
    match second {
        Some(c) if c.eq_ignore_ascii_case("biz") => "odata",
        Some(c) if c.eq_ignore_ascii_case("auth") => "ndata",
        Some(c) if c.eq_ignore_ascii_case("account") => "tenant",
        Some(c) if c.eq_ignore_ascii_case("customer") => {
            if has_third && next().is_some() {
                "custno"
            } else {
                "tenant"
            }
        }
        // Misspelt ManEx controllers (`/api/CustomerAdd/{key}`) still carry a key.
        Some(c)
            if has_third
                && c.len() > "customer".len()
                && c.as_bytes()[.."customer".len()].eq_ignore_ascii_case(b"customer") =>
        {
            "custno"
        }
        _ => "gateway",
    }
}

/// The path with secret segments (the ManEx API key) replaced.
pub fn redact_path(path: &str) -> String {
    redact(path, dialect_of(path))
}

/// [`redact_path`] for a path already classified by [`dialect_of`].
fn redact(path: &str, dialect: &str) -> String {
    if dialect != "custno" {
        return path.to_owned();
    }
    // `/API/Customer/Get/KEY`: the key follows the action; `/api/CustomerAdd/KEY`: it
    // follows the (misspelt) controller.
    let from = if path
        .split('/')
        .nth(2)
        .is_some_and(|c| c.eq_ignore_ascii_case("customer"))
    {
        4
    } else {
        3
    };
    path.split('/')
        .enumerate()
        .map(|(i, s)| if i >= from { "[redacted]" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    dialect: &'static str,
    route: String,
    method: Cow<'static, str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    dialect: &'static str,
    route: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The gateway's Prometheus metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<LatencyLabels>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("custgate");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily<LatencyLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_requests",
            "HTTP requests served, by dialect, route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by dialect and route",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// The registry, for metrics kept elsewhere (the upstreams') to be registered once at
    /// start.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The metrics in the Prometheus/OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    fn record(
        &self,
        dialect: &'static str,
        route: String,
        method: &Method,
        status: u16,
        secs: f64,
    ) {
        let labels = LatencyLabels { dialect, route };
        self.latency.get_or_create(&labels).observe(secs);
        self.requests
            .get_or_create(&RequestLabels {
                dialect,
                route: labels.route,
                method: method_label(method),
                status,
            })
            .inc();
    }
}

/// The method as a label, without an allocation for the standard ones.
fn method_label(method: &Method) -> Cow<'static, str> {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    match STANDARD.iter().position(|m| m == method) {
        Some(i) => Cow::Borrowed(NAMES[i]),
        None => Cow::Owned(method.as_str().to_owned()),
    }
}

/// `GET /metrics`.
pub async fn metrics_handler(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.encode())
}

/// The middleware: use with `actix_web::middleware::from_fn(observe)`, with
/// `web::Data<Metrics>` registered as app data.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();

    // Everything logged while serving the request, upstream calls included, carries its id.
    // The span is at ERROR level so that it is there whatever the log filter lets through:
    // under `warn`, an INFO span would be filtered out and a warning would lose its id.
    let span = tracing::error_span!("request", request_id = %id);
    let mut res = tracing::Instrument::instrument(next.call(req), span).await?;

    let status = res.status().as_u16();
    let request = res.request();
    let (method, path) = (request.method(), request.path());
    let dialect = dialect_of(path);
    let elapsed = started.elapsed();
    if let Some(m) = metrics {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        m.record(dialect, route, method, status, elapsed.as_secs_f64());
    }
    tracing::info!(
        target: "custgate::access",
        request_id = %id,
        dialect,
        method = %method,
        path = %redact(path, dialect),
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "Request served"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_dialects() {
        for (path, d) in [
            ("/unified/v1/customers", "unified"),
            ("/v1/core/customer", "v1core"),
            ("/api/biz/customers/3", "odata"),
            ("/api/auth", "ndata"),
            ("/api/auth/refresh", "ndata"),
            ("/customers/x", "ndata"),
            ("/api/account/login", "tenant"),
            ("/api/customer", "tenant"),
            ("/api/customer/John", "tenant"),
            ("/API/Customer/Get/DEVKEY0001", "custno"),
            ("/healthz", "gateway"),
            ("/UNIFIED/v1/customers", "unified"),
            ("//unified", "unified"),
            ("/V1/Core", "v1core"),
            ("/v1/corex", "gateway"),
            ("/Api/Biz", "odata"),
            ("/CUSTOMERS", "ndata"),
            ("/api/customer/x/y", "custno"),
            ("/api/CUSTOMER/Get", "tenant"),
            ("/api/CustomerAdd", "gateway"),
            ("/api/CustomerAdd/KEY", "custno"),
            ("/api/customers/KEY", "custno"),
            ("/api/custom/KEY", "gateway"),
            ("/api", "gateway"),
            ("/api/", "gateway"),
            ("/", "gateway"),
            ("", "gateway"),
        ] {
            assert_eq!(dialect_of(path), d, "{path}");
        }
    }

    /// A warning logged while serving a request carries the request's id even when the
    /// log filter lets only warnings through.
    #[actix_rt::test]
    async fn a_warning_carries_the_request_id_under_a_warn_filter() {
        use actix_web::{middleware::from_fn, test, App, HttpResponse};
        let logs = custgate_testkit::LogBuffer::default();
        let writer = logs.clone();
        let _guard = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::WARN)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish(),
        );
        let app = test::init_service(App::new().wrap(from_fn(observe)).route(
            "/x",
            web::get().to(|| async {
                tracing::warn!("Upstream call failed");
                HttpResponse::Ok().finish()
            }),
        ))
        .await;
        let req = test::TestRequest::get()
            .uri("/x")
            .insert_header((REQUEST_ID, "req-4242"))
            .to_request();
        assert_eq!(test::call_service(&app, req).await.status(), 200);
        let text = logs.text();
        let warned = logs.lines_with("Upstream call failed");
        let line = warned
            .first()
            .unwrap_or_else(|| panic!("the warning is logged: {text}"));
        assert!(line.contains("request{request_id=req-4242}"), "{line}");
        // The access log is INFO: not written under this filter.
        assert!(!text.contains("Request served"), "{text}");
    }

    #[test]
    fn api_keys_are_redacted() {
        assert_eq!(
            redact_path("/API/Customer/Get/DEVKEY0001"),
            "/API/Customer/Get/[redacted]"
        );
        assert_eq!(
            redact_path("/api/CustomerAdd/DEVKEY0001"),
            "/api/CustomerAdd/[redacted]"
        );
        assert_eq!(dialect_of("/api/CustomerEdit/KEY"), "custno");
        assert_eq!(
            redact_path("/api/customer/John%20Doe"),
            "/api/customer/John%20Doe"
        );
    }

    #[test]
    fn metrics_encode_recorded_requests() {
        let m = Metrics::new();
        m.record(
            "custno",
            "/API/Customer/Get/{key}".to_owned(),
            &Method::GET,
            200,
            0.01,
        );
        let text = m.encode();
        assert!(text.contains("custgate_http_requests_total"));
        assert!(text.contains("route=\"/API/Customer/Get/{key}\""));
        assert!(!text.contains("DEVKEY"));
    }
}
