//! [`Upstream`]: one upstream system's pooled client, breaker, concurrency limit and
//! retry policy, and the one way the dialect clients call it.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use chrono::SecondsFormat;
use custgate_core::{Error, ErrorKind, FieldError};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prometheus_client::metrics::gauge::Gauge;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use tracing::field::Empty;
use tracing::Instrument;

use crate::breaker::{Breaker, BreakerState, Refusal, Transition};
use crate::retry::{backoff, idempotent, retry_after, retryable_status, safe};
use crate::{status_error, UpstreamConfig, UpstreamMetrics};

/// How much of an upstream's error body goes into the log.
const LOGGED_BODY_BYTES: usize = 1024;

const USER_AGENT_VALUE: &str = concat!("custgate/", env!("CARGO_PKG_VERSION"));

/// A request as it goes on the wire.
type HttpRequest = http::Request<Full<Bytes>>;

/// The pooled HTTP/1.1 client requests are sent with (plain or TLS).
type HttpClient =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A handle on one upstream system. Cheap to clone: clones share the connection pool,
/// the circuit breaker, the concurrency limit and the metrics.
///
/// Every call goes through [`Upstream::send`]. Nothing it logs or returns holds a URL or
/// a header; text that could hold a secret registered with [`Upstream::with_secret`]
/// (an upstream's error body) is logged with the secret replaced by `[redacted]`.
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
    secrets: Arc<Vec<SecretString>>,
}

struct Inner {
    name: String,
    config: UpstreamConfig,
    base: url::Url,
    /// What the dialect clients build requests with (never sends them).
    builder: reqwest::Client,
    /// What sends them: hyper's pooled client without reqwest's layers (whose redirect
    /// policy alone parsed every request's URL again).
    http: HttpClient,
    breaker: Breaker,
    permits: Semaphore,
    metrics: OnceLock<Attached>,
}

/// The metrics an upstream records into, with its own label and breaker gauge at hand.
struct Attached {
    all: Arc<UpstreamMetrics>,
    label: Arc<String>,
    breaker: Gauge,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut base = self.inner.base.clone();
        // Credentials in the base URL are not for printing.
        let _ = base.set_username("");
        let _ = base.set_password(None);
        f.debug_struct("Upstream")
            .field("name", &self.inner.name)
            .field("base_url", &base.as_str())
            .field("breaker", &self.breaker_state())
            .finish_non_exhaustive()
    }
}

/// What one attempt got.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// How an attempt failed without an answer, which decides whether it is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// No connection: nothing was sent, so any call may be retried.
    Connect,
    Timeout,
    /// The connection broke while sending or receiving.
    Transport,
    /// The answer was larger than allowed: the same call would get it again.
    TooLarge,
}

struct Failed {
    error: Error,
    failure: Failure,
}

type Outcome = Result<Answer, Failed>;

/// What a call may change upstream, which decides whether it is retried after it may
/// have reached the upstream, and whether [`crate::count_writes`] counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// As its method says: GET, HEAD and OPTIONS read; PUT and DELETE are idempotent.
    ByMethod,
    /// The gateway's own session (a login, a token refresh): idempotent, changes no data.
    Session,
}

fn into_parts(outcome: Outcome) -> Result<(u16, HeaderMap, Bytes), Error> {
    outcome
        .map(|a| (a.status, a.headers, a.body))
        .map_err(|f| f.error)
}

fn status_outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        300..=399 => "redirect",
        429 => "rate_limited",
        400..=499 => "http_4xx",
        _ => "http_5xx",
    }
}

/// An answer that refuses the caller's request rather than tells of trouble upstream:
/// any 4xx but 429, which asks to slow down.
fn client_status(status: u16) -> bool {
    status_outcome(status) == "http_4xx"
}

impl Failure {
    fn outcome(self) -> &'static str {
        match self {
            Failure::Connect | Failure::Transport => "unavailable",
            Failure::Timeout => "timeout",
            Failure::TooLarge => "too_large",
        }
    }
}

impl Upstream {
    /// A handle on the upstream at `config.base_url`, called `config.name`, else `name`,
    /// in errors, logs and metrics. Checks the configuration and builds the pooled client
    /// (explicit connect and request timeouts, redirects never followed); nothing is sent
    /// yet.
    ///
    /// A setting it refuses is named as a dialect client's configuration names it
    /// (`upstream.base_url`), since every client keeps this one under `upstream`.
    pub fn new(name: impl Into<String>, config: UpstreamConfig) -> Result<Upstream, Error> {
        config.check().map_err(|e| {
            let fields = e
                .fields()
                .iter()
                .map(|f| FieldError {
                    field: format!("upstream.{}", f.field),
                    message: f.message.clone(),
                })
                .collect();
            Error::validation(fields)
        })?;
        let name = match &config.name {
            Some(configured) => configured.clone(),
            None => name.into(),
        };
        let base = config.base()?;
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::unexpected(format!("cannot build the HTTP client: {e}")))?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_millis(config.connect_timeout_ms)));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .build(connector);
        let breaker = Breaker::new(
            config.breaker.failure_threshold,
            Duration::from_millis(config.breaker.open_ms),
        );
        let permits = Semaphore::new(config.max_concurrency.min(Semaphore::MAX_PERMITS));
        Ok(Upstream {
            inner: Arc::new(Inner {
                name,
                config,
                base,
                builder,
                http,
                breaker,
                permits,
                metrics: OnceLock::new(),
            }),
            secrets: Arc::new(Vec::new()),
        })
    }

    /// Registers a secret that may appear in what the upstream sends back (an API key
    /// that is part of the URL, which some systems echo in their error pages): logged
    /// bodies show `[redacted]` instead, as given and percent-encoded. Call it before
    /// cloning the handle.
    #[must_use]
    pub fn with_secret(mut self, secret: SecretString) -> Self {
        if !secret.expose_secret().is_empty() {
            Arc::make_mut(&mut self.secrets).push(secret);
        }
        self
    }

    /// Records this upstream's calls in `metrics` (shared by every upstream, registered
    /// once with [`UpstreamMetrics::register`]). The first metrics attached stay; later
    /// calls change nothing.
    pub fn attach_metrics(&self, metrics: Arc<UpstreamMetrics>) {
        let label = Arc::new(self.inner.name.clone());
        let attached = Attached {
            breaker: metrics.breaker_gauge(&label),
            all: metrics,
            label,
        };
        if self.inner.metrics.set(attached).is_ok() {
            self.publish_state();
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn config(&self) -> &UpstreamConfig {
        &self.inner.config
    }

    /// The client to build requests for [`Upstream::send`] with (which sends them over
    /// its own pool).
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.builder
    }

    /// The base URL joined with a relative path (a leading slash is ignored).
    ///
    /// A plain path (no query, fragment, scheme or dot segment) is appended to the base's
    /// path without parsing the whole URL again: this runs on every call, and a full
    /// parse (host included) costs more than the rest of building the request.
    pub fn url(&self, path: &str) -> Result<url::Url, Error> {
        let path = path.trim_start_matches('/');
        let base = &self.inner.base;
        let plain = !path.contains(['?', '#', ':', '\\'])
            && !path.split('/').any(|s| s == "." || s == "..")
            && base.query().is_none()
            && base.fragment().is_none();
        if plain {
            let mut url = base.clone();
            url.set_path(&format!("{}{path}", base.path()));
            return Ok(url);
        }
        base.join(path)
            .map_err(|e| Error::unexpected(format!("bad upstream path '{path}': {e}")))
    }

    /// The circuit breaker's state: open turns half-open by itself once its time is up.
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    /// `text` with every registered secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in self.secrets.iter() {
            for form in secret_forms(secret.expose_secret()) {
                if !form.is_empty() {
                    out = out.replace(&form, "[redacted]");
                }
            }
        }
        out
    }

    /// Sends a request and returns the status, headers and body (at most
    /// `max_response_bytes`) of the answer, whatever its status: redirects come back as
    /// their 3xx, never followed, and an error status is the caller's to read.
    ///
    /// Fails at once while the circuit is open, waits up to the request timeout for one
    /// of the `max_concurrency` slots, and retries as [`crate::RetryConfig`] says; each
    /// attempt is an `upstream.call` span below the current one. Errors are canonical:
    /// `UpstreamTimeout`, `UpstreamUnavailable` (temporary unless the body was too
    /// large), or the status's kind when a `Retry-After` asks for longer than allowed.
    /// An error answer is logged with the start of its body, secrets redacted: a 4xx
    /// other than 429 (the upstream refusing what was asked) at info, the rest at warn.
    pub async fn send(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, HeaderMap, Bytes), Error> {
        self.send_as(operation, request, Effect::ByMethod).await
    }

    /// [`Upstream::send`] for a call that opens or renews the gateway's own session (a
    /// login, a token refresh): a POST that changes no customer. It is retried as an
    /// idempotent call (a second session does no harm; a refresh token spent by a lost
    /// answer fails the retry, and the caller logs in), and [`crate::count_writes`] does
    /// not count it, so a create that failed after only a login is known to have created
    /// nothing.
    pub async fn send_session(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, HeaderMap, Bytes), Error> {
        self.send_as(operation, request, Effect::Session).await
    }

    async fn send_as(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
        effect: Effect,
    ) -> Result<(u16, HeaderMap, Bytes), Error> {
        let name = self.name();
        let built = request.build().map_err(|e| {
            Error::unexpected(format!(
                "cannot build a request to upstream {name}: {}",
                e.without_url()
            ))
        })?;
        // Checked before any attempt: a request that cannot be sent tells nothing about
        // the upstream, so it touches neither the breaker nor the metrics.
        let mut request = into_http(name, &built)?;
        drop(built);
        let idempotent = effect == Effect::Session || idempotent(request.method());
        let writes = effect == Effect::ByMethod && !safe(request.method());
        let retry = &self.inner.config.retry;
        let mut attempt = 1;
        let mut previous: Option<Outcome> = None;
        loop {
            let copy = (attempt < retry.max_attempts).then(|| copy_request(&request));
            let outcome = match self.attempt(operation, attempt, writes, request).await {
                Ok(outcome) => outcome,
                // A retry refused: what the last attempt got says more than the refusal.
                Err(refused) => return previous.map_or(Err(refused), into_parts),
            };
            let wait = match &outcome {
                Ok(a) if idempotent && retryable_status(a.status) => {
                    match retry_after(&a.headers, SystemTime::now()) {
                        Some(wait) if copy.is_some() && wait > self.max_retry_after() => {
                            return Err(self.wait_refused(a.status, wait));
                        }
                        Some(wait) => wait,
                        None => backoff(retry, attempt),
                    }
                }
                Err(f) if f.failure == Failure::Connect => backoff(retry, attempt),
                Err(f)
                    if idempotent && matches!(f.failure, Failure::Timeout | Failure::Transport) =>
                {
                    backoff(retry, attempt)
                }
                _ => return into_parts(outcome),
            };
            let Some(next) = copy else {
                return into_parts(outcome);
            };
            tracing::info!(
                upstream = name,
                operation,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "Retrying the upstream call"
            );
            tokio::time::sleep(wait).await;
            previous = Some(outcome);
            request = next;
            attempt += 1;
        }
    }

    fn max_retry_after(&self) -> Duration {
        Duration::from_millis(self.inner.config.retry.max_retry_after_ms)
    }

    /// One attempt: `Err` when it was not sent (breaker open, no free slot in time).
    /// `writes`: the call may change something upstream (counted by
    /// [`crate::count_writes`] once it reached the upstream and was not refused).
    async fn attempt(
        &self,
        operation: &'static str,
        attempt: u32,
        writes: bool,
        request: HttpRequest,
    ) -> Result<Outcome, Error> {
        let inner = &*self.inner;
        let pass = match inner.breaker.admit() {
            Ok(pass) => pass,
            Err(refusal) => {
                self.publish_state();
                self.count(operation, "circuit_open");
                return Err(self.circuit_error(&refusal));
            }
        };
        self.publish_state();
        let permit =
            match tokio::time::timeout(inner.config.request_timeout(), inner.permits.acquire())
                .await
            {
                Ok(Ok(permit)) => permit,
                // The semaphore is never closed; a timeout is the only way here.
                Ok(Err(_)) | Err(_) => {
                    self.count(operation, "saturated");
                    return Err(Error::new(
                        ErrorKind::UpstreamUnavailable,
                        format!(
                            "upstream {} has {} calls in flight and none finished within {} ms",
                            inner.name,
                            inner.config.max_concurrency,
                            inner.config.request_timeout_ms
                        ),
                    )
                    .with_context("upstream", inner.name.clone()));
                }
            };
        let span = tracing::info_span!(
            "upstream.call",
            upstream = %inner.name,
            operation,
            method = %request.method(),
            attempt,
            status = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let outcome = self.exchange(request).instrument(span.clone()).await;
        let elapsed = started.elapsed();
        // What is logged below belongs to the call: inside its span when that is enabled,
        // else (a `warn` filter) directly inside the caller's, so that a warning still
        // carries the front request's id (its span is at ERROR level). Nothing below awaits.
        let _in_call = span.enter();
        drop(permit);
        span.record(
            "duration_ms",
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        );
        let refused = match &outcome {
            Ok(a) => (400..500).contains(&a.status),
            Err(f) => f.failure == Failure::Connect,
        };
        if writes && !refused {
            crate::count_write();
        }
        let (success, label) = match &outcome {
            Ok(a) => {
                span.record("status", a.status);
                (a.status < 500, status_outcome(a.status))
            }
            Err(f) => (false, f.failure.outcome()),
        };
        match inner.breaker.record(pass, success) {
            Some(Transition::Opened) => tracing::warn!(
                upstream = %inner.name,
                open_ms = inner.config.breaker.open_ms,
                "Upstream circuit opened"
            ),
            Some(Transition::Closed) => {
                tracing::info!(upstream = %inner.name, "Upstream circuit closed");
            }
            None => {}
        }
        self.publish_state();
        self.count(operation, label);
        if let Some(m) = inner.metrics.get() {
            m.all.observe(&m.label, operation, elapsed.as_secs_f64());
        }
        match &outcome {
            Ok(a) if !(200..300).contains(&a.status) => {
                let body = self.logged_body(&a.body);
                macro_rules! answered {
                    ($level:ident) => {
                        tracing::$level!(
                            upstream = %inner.name,
                            operation,
                            status = a.status,
                            body = %body,
                            "Upstream answered with an error status"
                        )
                    };
                }
                // A 4xx mostly answers what the caller asked (a name that is not there, a
                // field the upstream refuses): logged, but not as trouble upstream.
                if client_status(a.status) {
                    answered!(info)
                } else {
                    answered!(warn)
                }
            }
            Ok(_) => {}
            Err(f) => tracing::warn!(
                upstream = %inner.name,
                operation,
                error = %f.error,
                "Upstream call failed"
            ),
        }
        Ok(outcome)
    }

    /// Sends and reads the whole (capped) body, within the request timeout.
    async fn exchange(&self, request: HttpRequest) -> Outcome {
        let name = self.name();
        let limit = self.inner.config.request_timeout();
        match tokio::time::timeout(limit, self.exchange_untimed(request)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failed {
                error: Error::new(
                    ErrorKind::UpstreamTimeout,
                    format!("upstream {name} did not answer in time"),
                )
                .with_context("upstream", name.to_owned())
                .with_context(
                    "cause",
                    format!(
                        "no whole answer within {} ms",
                        self.inner.config.request_timeout_ms
                    ),
                ),
                failure: Failure::Timeout,
            }),
        }
    }

    async fn exchange_untimed(&self, request: HttpRequest) -> Outcome {
        let name = self.name();
        let response = self
            .inner
            .http
            .request(request)
            .await
            .map_err(|e| failed(name, &e, e.is_connect()))?;
        let (parts, body) = response.into_parts();
        let limit = self.inner.config.max_response_bytes;
        let body = read_body(name, &parts.headers, body, limit).await?;
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    fn circuit_error(&self, refusal: &Refusal) -> Error {
        let name = self.name();
        let refused = |why: &str| {
            Error::new(
                ErrorKind::UpstreamUnavailable,
                format!("upstream {name} is failing and was not called: {why}"),
            )
            .with_context("upstream", name.to_owned())
        };
        match refusal {
            Refusal::Open { until, remaining } => refused(&format!(
                "circuit open until {}",
                until.to_rfc3339_opts(SecondsFormat::Millis, true)
            ))
            .with_context("retry_after", whole_seconds(*remaining).to_string()),
            Refusal::TrialInFlight => refused("circuit half-open with a trial call in flight"),
        }
    }

    fn wait_refused(&self, status: u16, wait: Duration) -> Error {
        let name = self.name();
        let seconds = whole_seconds(wait);
        status_error(
            name,
            status,
            format!(
                "upstream {name} asked to be called again in {seconds} s, longer than the {} ms the gateway waits",
                self.inner.config.retry.max_retry_after_ms
            ),
        )
        .with_context("retry_after", seconds.to_string())
    }

    fn count(&self, operation: &'static str, outcome: &'static str) {
        if let Some(m) = self.inner.metrics.get() {
            m.all.count(&m.label, operation, outcome);
        }
    }

    fn publish_state(&self) {
        if let Some(m) = self.inner.metrics.get() {
            m.breaker.set(self.breaker_state().gauge());
        }
    }

    /// The start of an error body for the log, secrets redacted. Redacting a little more
    /// than is kept means a secret cut in half at the end is still redacted.
    fn logged_body(&self, body: &[u8]) -> String {
        let longest = self
            .secrets
            .iter()
            .map(|s| s.expose_secret().len() * 3)
            .max()
            .unwrap_or(0);
        let window = &body[..body.len().min(LOGGED_BODY_BYTES + longest)];
        let mut text = self.redact(&String::from_utf8_lossy(window));
        if text.len() > LOGGED_BODY_BYTES {
            let mut cut = LOGGED_BODY_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        } else if window.len() < body.len() {
            text.push('…');
        }
        text
    }
}

/// The spellings of a secret that can appear in a body: as given, as a URL path segment
/// and as a form or query value.
fn secret_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let mut url = url::Url::parse("http://x/").expect("a constant URL parses");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.push(secret);
    }
    forms.push(url.path().trim_start_matches('/').to_owned());
    forms.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    forms.sort();
    forms.dedup();
    // Longest first, so that no shorter spelling cuts a longer one apart.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The request as hyper sends it: the built request's method, URL, headers and (buffered)
/// body, with our user agent and `Accept: */*` unless the client set its own (the
/// headers reqwest's client added when it sent requests itself).
fn into_http(upstream: &str, request: &reqwest::Request) -> Result<HttpRequest, Error> {
    // Neither the URL nor the body is quoted: some upstreams carry a key in the URL.
    let unsendable = |why: &str| {
        Error::unexpected(format!(
            "cannot send a request to upstream {upstream}: {why}"
        ))
    };
    let body = match request.body() {
        None => Bytes::new(),
        Some(b) => match b.as_bytes() {
            Some(bytes) => Bytes::copy_from_slice(bytes),
            None => return Err(unsendable("its body is a stream")),
        },
    };
    let uri: http::Uri = request
        .url()
        .as_str()
        .parse()
        .map_err(|_| unsendable("its URL is not a request target"))?;
    let mut out = http::Request::new(Full::new(body));
    *out.method_mut() = request.method().clone();
    *out.uri_mut() = uri;
    *out.headers_mut() = request.headers().clone();
    let headers = out.headers_mut();
    headers
        .entry(USER_AGENT)
        .or_insert(HeaderValue::from_static(USER_AGENT_VALUE));
    headers
        .entry(ACCEPT)
        .or_insert(HeaderValue::from_static("*/*"));
    Ok(out)
}

/// Another copy of a request, for a retry (the body is shared, not copied).
fn copy_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// A failure without an answer, as a canonical error that never holds the URL (some
/// upstreams carry a key in it) but does hold the chain of causes. `connect`: no
/// connection was made, so nothing was sent.
fn failed(upstream: &str, e: &(dyn std::error::Error + 'static), connect: bool) -> Failed {
    let mut cause = e.to_string();
    let mut timed_out = false;
    let mut source = e.source();
    while let Some(s) = source {
        cause.push_str(": ");
        cause.push_str(&s.to_string());
        timed_out |= s
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
        source = s.source();
    }
    let (failure, kind, what) = if connect {
        let kind = if timed_out {
            ErrorKind::UpstreamTimeout
        } else {
            ErrorKind::UpstreamUnavailable
        };
        (Failure::Connect, kind, "could not be reached")
    } else {
        (Failure::Transport, ErrorKind::UpstreamUnavailable, "failed")
    };
    Failed {
        error: Error::new(kind, format!("upstream {upstream} {what}"))
            .with_context("upstream", upstream.to_owned())
            .with_context("cause", cause),
        failure,
    }
}

/// Reads a response body, refusing more than `limit` bytes: a declared length above it
/// is refused before reading, and reading stops as soon as the count passes it.
async fn read_body(
    upstream: &str,
    headers: &HeaderMap,
    mut body: hyper::body::Incoming,
    limit: usize,
) -> Result<Bytes, Failed> {
    let declared = headers
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(upstream, limit));
    }
    let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit));
    let mut buf = BytesMut::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| failed(upstream, &e, false))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if buf.len() + chunk.len() > limit {
            return Err(too_large(upstream, limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn too_large(upstream: &str, limit: usize) -> Failed {
    Failed {
        error: Error::new(
            ErrorKind::UpstreamUnavailable,
            format!("upstream {upstream} answered with more than {limit} bytes"),
        )
        .with_context("upstream", upstream.to_owned())
        // The same call would get the same oversized answer: not worth a retry.
        .set_temporary(false),
        failure: Failure::TooLarge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream() -> Upstream {
        Upstream::new(
            "t",
            UpstreamConfig::with_base_url("http://user:pw@127.0.0.1:9/api"),
        )
        .unwrap()
        .with_secret(SecretString::from("k3y/with space"))
    }

    #[test]
    fn urls_join_below_the_base_and_debug_hides_credentials() {
        let u = upstream();
        assert_eq!(
            u.url("/customer").unwrap().as_str(),
            "http://user:pw@127.0.0.1:9/api/customer"
        );
        let debug = format!("{u:?}");
        assert!(debug.contains("127.0.0.1:9/api/"), "{debug}");
        assert!(!debug.contains("pw") && !debug.contains("k3y"), "{debug}");
        assert_eq!(u.breaker_state(), BreakerState::Closed);
        assert!(Upstream::new("t", UpstreamConfig::with_base_url("ftp://x")).is_err());
    }

    #[test]
    fn plain_paths_join_as_url_join_does() {
        for base in ["http://h:9/api/", "http://h/", "https://user:pw@h/a%20b/c/"] {
            let u = Upstream::new("t", UpstreamConfig::with_base_url(base)).unwrap();
            let parsed = url::Url::parse(base).unwrap();
            for path in [
                "customer",
                "/customer",
                "api/biz/customers/42",
                "a b/ä/%2F/x+y",
                "trailing/",
                "",
                "with?query=1",
                "../up",
                "./here",
                "x#frag",
                "a\\b",
                "mailto:x",
            ] {
                assert_eq!(
                    u.url(path).unwrap().as_str(),
                    parsed.join(path.trim_start_matches('/')).unwrap().as_str(),
                    "{base} + {path}"
                );
            }
        }
    }

    #[test]
    fn secrets_are_redacted_in_every_spelling() {
        let u = upstream();
        let text = "a k3y/with space b k3y%2Fwith%20space c k3y%2Fwith+space d";
        assert_eq!(u.redact(text), "a [redacted] b [redacted] c [redacted] d");
    }

    #[test]
    fn logged_bodies_are_cut_after_redacting() {
        let u = upstream();
        let mut body = vec![b'x'; LOGGED_BODY_BYTES - 4];
        body.extend_from_slice(b"k3y/with space and more");
        let logged = u.logged_body(&body);
        assert!(!logged.contains("k3y"), "{logged}");
        assert!(logged.ends_with('…'));
        assert!(logged.len() <= LOGGED_BODY_BYTES + '…'.len_utf8());
        assert_eq!(u.logged_body(b"short"), "short");
        assert!(u.logged_body(&vec![b'y'; 5000]).ends_with('…'));
    }

    #[test]
    fn waits_are_rounded_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
        assert_eq!(whole_seconds(Duration::ZERO), 0);
    }
}
