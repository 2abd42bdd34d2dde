//! Test helpers shared by the server and client tests: an actix test harness over
//! `MemoryStore`s for the development tenants, fixture access, a log capture.

#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::http::{Method, StatusCode};
use actix_web::{test, App, HttpResponse};
use async_trait::async_trait;
use custgate_core::{
    Capability, CreateOptions, Customer, CustomerId, CustomerStore, DynStore, Error, Key,
    MemoryStore, Page, Query, Result, Status, TenantId, Version,
};
use custgate_http::{DialectSetup, DynDialect, Limits, TenantSetup};
use serde_json::{json, Value};

/// The body limit of the harness (small, so that the 413 test stays cheap).
pub const LIMIT_BYTES: usize = 4096;

pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub fn fixture(name: &str) -> String {
    custgate_testkit::fixtures::seed_text(env!("CARGO_MANIFEST_DIR"), name)
}

pub fn fixture_json(name: &str) -> FixtureJson {
    FixtureJson(fixture(name))
}

/// A fixture's text, parsed on demand (its key order is kept for [`compact`]).
pub struct FixtureJson(pub String);

impl FixtureJson {
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap()
    }
}

/// A fixture without the white space outside strings: what a server writing the same
/// JSON compactly sends.
pub fn compact(f: &FixtureJson) -> String {
    let mut out = String::new();
    let (mut in_str, mut escaped) = (false, false);
    for ch in f.0.chars() {
        if in_str {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_str = false;
            }
        } else if ch == '"' {
            in_str = true;
            out.push(ch);
        } else if !ch.is_whitespace() {
            out.push(ch);
        }
    }
    out
}

pub fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The refusal envelope with this message.
pub fn envelope_403(message: &str) -> String {
    format!(
        r#"{{"$id":"1","Code":403,"Message":{},"SessionId":null,"IsValidUser":true,"ResponseObject":null}}"#,
        serde_json::to_string(message).unwrap()
    )
}

/// The object keys of a JSON text, in order.
pub fn keys(text: &str) -> Vec<String> {
    let v: Vec<String> = compact(&FixtureJson(text.to_owned()))
        .split('"')
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[1].starts_with(':'))
        .map(|w| w[0].to_owned())
        .collect();
    v
}

fn trimmed(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.trim().to_owned()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), trimmed(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(trimmed).collect()),
        other => other.clone(),
    }
}

/// Replaces a record field (a time) with a marker on both sides of a comparison.
pub fn mask(v: &mut Value, field: &str) {
    v["ResponseObject"][field] = json!("<masked>");
}

/// The one check of a record answer: equal to the fixture (string values trimmed: we
/// store values trimmed, the seed's Get shows SQL padding) once `masked` fields are
/// masked, and with the fixture's key order.
pub fn check_record_answer(fixture_name: &str, body: &str, masked: impl Fn(&mut Value)) {
    let mut got = json_of(body);
    let mut expected = trimmed(&fixture_json(fixture_name).value());
    masked(&mut got);
    masked(&mut expected);
    assert_eq!(got, expected, "{fixture_name}");
    assert_eq!(
        keys(body),
        keys(&fixture(fixture_name)),
        "{fixture_name}: key order"
    );
}

/// A record time field is a date within the last minute.
pub fn assert_recent(body: &str, field: &str) {
    let v = json_of(body);
    let raw = v["ResponseObject"][field]
        .as_str()
        .unwrap_or_else(|| panic!("{field}: {body}"));
    let t = custgate_custno::ManexDate::parse(raw).unwrap_or_else(|| panic!("{field}: {raw}"));
    let age = chrono::Utc::now() - t.to_utc();
    assert!(age.num_seconds().abs() < 60, "{field} = {raw}");
}

/// A store whose first `n` updates fail with a version mismatch.
#[derive(Debug)]
pub struct FlakyStore {
    inner: MemoryStore,
    failures: AtomicUsize,
}

impl FlakyStore {
    pub fn new(failures: usize) -> Self {
        Self {
            inner: MemoryStore::new(),
            failures: AtomicUsize::new(failures),
        }
    }
}

#[async_trait]
impl CustomerStore for FlakyStore {
    fn capability(&self) -> &Capability {
        self.inner.capability()
    }
    fn name(&self) -> &str {
        "flaky"
    }
    async fn query(&self, t: &TenantId, q: &Query) -> Result<Page> {
        self.inner.query(t, q).await
    }
    async fn get(&self, t: &TenantId, id: &CustomerId) -> Result<Customer> {
        self.inner.get(t, id).await
    }
    async fn find(&self, t: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        self.inner.find(t, key).await
    }
    async fn create(&self, t: &TenantId, c: Customer, o: CreateOptions) -> Result<Customer> {
        self.inner.create(t, c, o).await
    }
    async fn update(
        &self,
        t: &TenantId,
        c: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            let stored = self.inner.get(t, &c.id).await?;
            // Someone else wrote in between.
            self.inner.set_status(t, &c.id, stored.status).await?;
            let _ = expected;
            return Err(Error::version_mismatch(stored.version.next()));
        }
        self.inner.update(t, c, expected).await
    }
    async fn delete(&self, t: &TenantId, id: &CustomerId, e: Option<Version>) -> Result<Customer> {
        self.inner.delete(t, id, e).await
    }
    async fn set_status(&self, t: &TenantId, id: &CustomerId, s: Status) -> Result<Customer> {
        self.inner.set_status(t, id, s).await
    }
    async fn health(&self) -> Result<()> {
        Ok(())
    }
}

/// The dialect over the development tenants `demo` (`DEVKEY0001`) and `acme`
/// (`ACMEKEY001`), as `config/default.toml` has them.
pub struct Harness {
    pub server: DynDialect,
    pub demo: DynStore,
    pub acme: DynStore,
}

pub fn setup(global: Value, demo: DynStore, acme: DynStore, demo_keys: Value) -> DialectSetup {
    DialectSetup {
        global,
        tenants: vec![
            TenantSetup {
                id: tenant("demo"),
                store: demo,
                config: Some(json!({ "api_keys": demo_keys })),
            },
            TenantSetup {
                id: tenant("acme"),
                store: acme,
                config: Some(json!({"api_keys": ["ACMEKEY001"]})),
            },
        ],
        limits: Limits {
            max_body_bytes: LIMIT_BYTES,
            ..Limits::default()
        },
    }
}

impl Harness {
    pub fn build(global: Value, demo: DynStore, demo_keys: Value) -> Self {
        // One store for both tenants, as in the application: isolation is the dialect's
        // tenant scoping, not separate stores.
        let acme = demo.clone();
        let server = custgate_custno::server(&setup(global, demo.clone(), acme.clone(), demo_keys))
            .expect("the development configuration is valid");
        Self { server, demo, acme }
    }

    pub fn new() -> Self {
        Self::with_global(json!({"enabled": true}))
    }

    pub fn with_global(global: Value) -> Self {
        Self::build(global, Arc::new(MemoryStore::new()), json!(["DEVKEY0001"]))
    }

    pub fn with_flaky_demo(failures: usize) -> Self {
        Self::build(
            json!({"enabled": true}),
            Arc::new(FlakyStore::new(failures)),
            json!(["DEVKEY0001"]),
        )
    }

    pub fn with_demo_keys(keys: Value) -> Self {
        Self::build(json!({"enabled": true}), Arc::new(MemoryStore::new()), keys)
    }

    pub fn store(&self, name: &str) -> DynStore {
        match name {
            "demo" => self.demo.clone(),
            _ => self.acme.clone(),
        }
    }

    /// Sends one request through the whole middleware stack (request ids and the access
    /// log); paths the dialect does not take answer 418 "other dialect".
    pub async fn send(&self, req: test::TestRequest) -> (StatusCode, String, Option<String>) {
        let server = self.server.clone();
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(
                    custgate_http::observe::observe,
                ))
                .configure(|c| server.configure(c))
                .default_service(actix_web::web::to(|| async {
                    HttpResponse::ImATeapot().body("other dialect")
                })),
        )
        .await;
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status();
        let allow = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = test::read_body(res).await;
        (status, String::from_utf8(body.to_vec()).unwrap(), allow)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let (s, b, _) = self.send(test::TestRequest::get().uri(path)).await;
        (s, b)
    }

    pub async fn get_with_host(&self, path: &str, host: &str) -> (StatusCode, String) {
        let (s, b, _) = self
            .send(
                test::TestRequest::get()
                    .uri(path)
                    .insert_header(("host", host)),
            )
            .await;
        (s, b)
    }

    pub async fn post(&self, path: &str, content_type: &str, body: &[u8]) -> (StatusCode, String) {
        let (s, b, _) = self
            .send(
                test::TestRequest::post()
                    .uri(path)
                    .insert_header(("content-type", content_type))
                    .set_payload(body.to_vec()),
            )
            .await;
        (s, b)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, String) {
        self.post(path, "application/json", body.to_string().as_bytes())
            .await
    }

    pub async fn call_method(
        &self,
        method: Method,
        path: &str,
    ) -> (StatusCode, String, Option<String>) {
        self.send(test::TestRequest::default().method(method).uri(path))
            .await
    }

    /// A request that must succeed (`Code: 200`); its envelope.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        let v = json_of(&body);
        assert_eq!(
            (status, &v["Code"]),
            (StatusCode::OK, &json!(200)),
            "{path}: {body}"
        );
        v
    }

    /// The demo tenant's record with this number, through Get.
    pub async fn record(&self, custno: &str) -> Value {
        let v = self
            .ok(&format!(
                "/API/Customer/Get/DEVKEY0001?CustNumOrName={custno}"
            ))
            .await;
        v["ResponseObject"].clone()
    }

    /// How many customers the demo tenant has.
    pub async fn count(&self) -> usize {
        self.demo
            .query(&tenant("demo"), &Query::default())
            .await
            .unwrap()
            .items
            .len()
    }

    /// `n` customers in the demo tenant, numbered 1 to `n` by the store.
    pub async fn seed_numbers(&self, n: usize) {
        for i in 1..=n {
            let mut c = Customer::new();
            c.name.display = Some(format!("Seed {i}"));
            self.demo
                .create(&tenant("demo"), c, CreateOptions::default())
                .await
                .unwrap();
        }
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Everything `tracing` writes, at every level and on every thread, while installed.
///
/// One global subscriber is installed once per test binary and copies each line to every
/// capture that is active. (Scoped per-thread subscribers miss events: a callsite first hit
/// by a test running in parallel without a subscriber is cached as uninteresting.)
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

static ACTIVE: Mutex<Vec<LogCapture>> = Mutex::new(Vec::new());

/// Stops a capture when dropped.
pub struct CaptureGuard(LogCapture);

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        ACTIVE
            .lock()
            .unwrap()
            .retain(|c| !Arc::ptr_eq(&c.0, &(self.0).0));
    }
}

#[derive(Clone, Copy)]
struct Router;

impl Write for Router {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for c in ACTIVE.lock().unwrap().iter() {
            c.0.lock().unwrap().extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Router {
    type Writer = Router;

    fn make_writer(&'a self) -> Router {
        *self
    }
}

impl LogCapture {
    pub fn install(&self) -> CaptureGuard {
        static INIT: std::sync::Once = std::sync::Once::new();
        INIT.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
                .with_writer(Router)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
        });
        ACTIVE.lock().unwrap().push(self.clone());
        CaptureGuard(self.clone())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
