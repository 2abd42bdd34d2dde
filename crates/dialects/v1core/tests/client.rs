//! The upstream client against the dialect's own server on a real loopback port, against a
//! mock answering with the seed's exact payload, and through a second gateway (proxy).
#![cfg(all(feature = "server", feature = "client"))]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::server::*;
use common::*;
use custgate_core::{
    CreateOptions, Customer, CustomerId, CustomerKind, CustomerStore, DynStore, ErrorKind, Key,
    MemoryStore, PhoneKind, Query, Status,
};
use custgate_http::DialectSetup;
use custgate_upstream::UpstreamConfig;
use custgate_v1core::{to_wire, Client, ClientConfig, Context, Lang, Lookups};
use serde_json::{json, Value};

/// Serves a dialect setup on 127.0.0.1:0; returns the base URL.
async fn spawn_gateway(setup: DialectSetup) -> (String, ServerHandle) {
    let dialect = custgate_v1core::server(&setup).unwrap();
    let srv = HttpServer::new(move || {
        let d = dialect.clone();
        App::new().configure(move |c| d.configure(c))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    let server = srv.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    (format!("http://127.0.0.1:{port}/"), handle)
}

/// What the mock saw of one request.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    query: Vec<(String, String)>,
    authorization: Option<String>,
    api_key: Option<String>,
}

/// What the mock answers: status, content type, body, delay.
#[derive(Clone)]
struct Reply(u16, &'static str, String, u64);

/// A v1core system: answers every request under `/erp/` with `reply`, recording it.
async fn spawn_mock(reply: Reply) -> (String, Arc<Mutex<Vec<Seen>>>, ServerHandle) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let srv = HttpServer::new(move || {
        let log = log.clone();
        let reply = reply.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let log = log.clone();
            let reply = reply.clone();
            async move {
                let header = |n: &str| {
                    req.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                log.lock().unwrap().push(Seen {
                    path: req.path().to_owned(),
                    query: serde_urlencoded::from_str(req.query_string()).unwrap(),
                    authorization: header("authorization"),
                    api_key: header("x-api-key"),
                });
                if reply.3 > 0 {
                    tokio::time::sleep(Duration::from_millis(reply.3)).await;
                }
                let mut res =
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.0).unwrap());
                if reply.0 == 302 {
                    res.insert_header(("Location", "http://127.0.0.1:1/elsewhere"));
                }
                res.content_type(reply.1).body(reply.2.clone())
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    let server = srv.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    (format!("http://127.0.0.1:{port}/erp"), seen, handle)
}

fn client_config(base: &str, company: &str, auth: Value) -> ClientConfig {
    serde_json::from_value(json!({
        "upstream": { "base_url": base, "request_timeout_ms": 2000 },
        "company_code": company,
        "auth": auth,
    }))
    .unwrap()
}

fn bearer(token: &str) -> Value {
    json!({ "kind": "bearer", "token": token })
}

fn client(base: &str, company: &str, auth: Value) -> Client {
    Client::new(client_config(base, company, auth)).unwrap()
}

fn seed_reply() -> Reply {
    Reply(
        200,
        "application/json; charset=utf-8",
        SEED_AR.to_owned(),
        0,
    )
}

fn param<'a>(s: &'a Seen, name: &str) -> Option<&'a str> {
    s.query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[actix_rt::test]
async fn the_seed_payload_from_a_mock_is_read_losslessly() {
    let (base, seen, handle) = spawn_mock(seed_reply()).await;
    let c = client(&base, "jtc", bearer("s3cret"));
    let demo = tenant("demo");

    let found = c.find(&demo, &Key::Seq(54218)).await.unwrap();
    assert_eq!(found.len(), 1);
    let l = Lookups::builtin();
    let ar = serde_json::to_string(&vec![to_wire(&found[0], &Context::new(l, Lang::Ar))]).unwrap();
    assert_eq!(json(&ar), json(SEED_AR));
    assert_eq!(key_order(&ar), key_order(SEED_AR));
    let en = serde_json::to_string(&vec![to_wire(&found[0], &Context::new(l, Lang::En))]).unwrap();
    assert_eq!(json(&en), json(SEED_EN));
    assert_eq!(found[0].id.as_str(), "54218");
    assert_eq!(found[0].kind, Some(CustomerKind::Company));

    {
        let seen = seen.lock().unwrap();
        let s = &seen[0];
        assert_eq!(s.path, "/erp/v1/core/customer");
        assert_eq!(
            s.query,
            vec![
                ("companyCode".to_owned(), "jtc".to_owned()),
                ("lang".to_owned(), "ar".to_owned()),
                ("customerId".to_owned(), "54218".to_owned()),
            ]
        );
        assert_eq!(s.authorization.as_deref(), Some("Bearer s3cret"));
    }

    // Each key becomes its parameter.
    c.find(&demo, &Key::Mobile("+966568617084".into()))
        .await
        .unwrap();
    c.find(&demo, &Key::Identification("2103232123".into()))
        .await
        .unwrap();
    let by_ref = c
        .find(&demo, &Key::ReferenceNo("333215".into()))
        .await
        .unwrap();
    // The answer does not show the reference number; the client knows it matched.
    assert_eq!(by_ref[0].reference_no.as_deref(), Some("333215"));
    let got = c
        .get(&demo, &CustomerId::parse("54218").unwrap())
        .await
        .unwrap();
    assert_eq!(got.seq, Some(54218));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(param(&seen[1], "mobileNumber"), Some("568617084"));
        assert_eq!(param(&seen[2], "identificationNo"), Some("2103232123"));
        assert_eq!(param(&seen[3], "referenceNo"), Some("333215"));
        assert_eq!(param(&seen[4], "customerId"), Some("54218"));
        assert_eq!(seen.len(), 5);
    }
    c.health().await.unwrap();
    assert_eq!(
        param(&seen.lock().unwrap()[5], "customerId"),
        Some("2147483647")
    );
    handle.stop(false).await;
}

#[actix_rt::test]
async fn credentials_are_sent_as_configured_and_never_shown() {
    let (base, seen, handle) = spawn_mock(seed_reply()).await;
    let demo = tenant("demo");
    let api = client(&base, "jtc", json!({ "kind": "api_key", "key": "k-123" }));
    api.find(&demo, &Key::Seq(1)).await.unwrap();
    let anon = client(&base, "jtc", json!({ "kind": "anonymous" }));
    anon.find(&demo, &Key::Seq(1)).await.unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].api_key.as_deref(), Some("k-123"));
        assert_eq!(seen[0].authorization, None);
        assert_eq!(
            (seen[1].api_key.as_deref(), seen[1].authorization.as_deref()),
            (None, None)
        );
    }
    let cfg = client_config(&base, "jtc", bearer("s3cret"));
    assert!(!format!("{cfg:?}").contains("s3cret"));
    assert!(!format!("{:?}", Client::new(cfg).unwrap()).contains("s3cret"));
    handle.stop(false).await;
}

#[actix_rt::test]
async fn upstream_failures_map_to_canonical_kinds() {
    let problem = r#"{"type":"x","title":"One or more validation errors occurred.","status":400,"errors":{"mobileNumber":["must start with 5"]}}"#;
    let no_id = r#"[{"versionId": 1, "customerId": null}]"#;
    for (reply, kind) in [
        (
            Reply(400, "application/problem+json", problem.into(), 0),
            ErrorKind::Validation,
        ),
        (
            Reply(401, "application/json", "{}".into(), 0),
            ErrorKind::UpstreamAuth,
        ),
        (
            Reply(403, "text/plain", "no".into(), 0),
            ErrorKind::Forbidden,
        ),
        (
            Reply(500, "text/html", "<h1>boom</h1>".into(), 0),
            ErrorKind::UpstreamUnavailable,
        ),
        (
            Reply(503, "text/plain", "".into(), 0),
            ErrorKind::UpstreamUnavailable,
        ),
        (
            Reply(302, "text/plain", "".into(), 0),
            ErrorKind::UpstreamUnavailable,
        ),
        (
            Reply(200, "application/json", "{\"a\":1}".into(), 0),
            ErrorKind::UpstreamUnavailable,
        ),
        (
            Reply(200, "text/html", "<html>".into(), 0),
            ErrorKind::UpstreamUnavailable,
        ),
        (
            Reply(200, "application/json", no_id.into(), 0),
            ErrorKind::UpstreamUnavailable,
        ),
        (
            Reply(200, "application/json", "[]".into(), 1500),
            ErrorKind::UpstreamTimeout,
        ),
    ] {
        let status = reply.0;
        let (base, _, handle) = spawn_mock(reply).await;
        let mut cfg = client_config(&base, "jtc", bearer("t"));
        cfg.upstream.request_timeout_ms = 500;
        let c = Client::new(cfg).unwrap();
        let e = c.find(&tenant("demo"), &Key::Seq(1)).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{status}: {e}");
        if kind == ErrorKind::Validation {
            assert_eq!(e.fields()[0].field, "mobileNumber");
            assert_eq!(e.fields()[0].message, "must start with 5");
        }
        handle.stop(false).await;
    }
    // Nobody listening.
    let c = client("http://127.0.0.1:1/", "jtc", bearer("t"));
    let e = c.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
}

#[actix_rt::test]
async fn what_the_api_cannot_do_is_unsupported_without_a_call() {
    let (base, seen, handle) = spawn_mock(seed_reply()).await;
    let c = client(&base, "jtc", bearer("t"));
    let demo = tenant("demo");
    let cap = c.capability();
    assert!(!cap.list && !cap.create && !cap.update && !cap.delete && !cap.set_status);
    assert!(
        cap.get
            && cap.find.seq
            && cap.find.identification
            && cap.find.mobile
            && cap.find.reference_no
    );
    assert!(!cap.find.email && !cap.find.name && !cap.find.number);

    let e = c.query(&demo, &Query::default()).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            ErrorKind::Unsupported,
            "the backend does not support listing customers"
        )
    );
    let e = c
        .create(&demo, Customer::new(), CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        "the backend does not support creating customers"
    );
    let e = c.update(&demo, Customer::new(), None).await.unwrap_err();
    assert_eq!(
        e.message(),
        "the backend does not support updating customers"
    );
    let id = CustomerId::parse("1").unwrap();
    let e = c.delete(&demo, &id, None).await.unwrap_err();
    assert_eq!(
        e.message(),
        "the backend does not support deleting customers"
    );
    let e = c
        .set_status(&demo, &id, Status::Inactive)
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        "the backend does not support changing a customer's status"
    );
    let e = c
        .find(&demo, &Key::Email("a@b.sa".into()))
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        "the backend does not support looking customers up by email"
    );
    let e = c
        .find(&demo, &Key::Mobile("+4712345678".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    // An id this client never hands out cannot exist upstream.
    let e = c
        .get(&demo, &CustomerId::parse("0190-uuid").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(seen.lock().unwrap().is_empty(), "no call went upstream");
    handle.stop(false).await;

    // Bad client configuration is refused up front.
    let mut cfg = client_config("ftp://x", "jtc", bearer("t"));
    assert!(Client::new(cfg.clone()).is_err());
    cfg.upstream = UpstreamConfig::with_base_url("http://127.0.0.1:1/");
    cfg.company_code = " ".into();
    assert!(Client::new(cfg).is_err());
    let cfg = client_config(
        "http://127.0.0.1:1/",
        "jtc",
        json!({ "kind": "api_key", "header": "bad header", "key": "k" }),
    );
    assert!(Client::new(cfg).is_err());
}

/// The sample in demo (seq 1) and another in acme, behind a gateway.
async fn gateway_with_sample() -> (String, ServerHandle, Customer) {
    let store = Arc::new(MemoryStore::new());
    let created = store
        .create(&tenant("demo"), sample_customer(), CreateOptions::default())
        .await
        .unwrap();
    let mut other = sample_customer();
    other.reference_no = Some("acme-1".into());
    store
        .create(&tenant("acme"), other, CreateOptions::default())
        .await
        .unwrap();
    let (base, handle) = spawn_gateway(dev_setup(store)).await;
    (base, handle, created)
}

#[actix_rt::test]
async fn the_client_reads_the_gateway_itself() {
    let (base, handle, created) = gateway_with_sample().await;
    let demo = tenant("demo");
    for lang in ["ar", "en"] {
        let mut cfg = client_config(&base, "jtc", bearer("dev-v1core-demo"));
        cfg.lang = Lang::parse(lang).unwrap();
        let c = Client::new(cfg).unwrap();
        c.health().await.unwrap();
        for key in [
            Key::Seq(created.seq.unwrap()),
            Key::Identification("2103232123".into()),
            Key::Mobile("+966568617084".into()),
            Key::ReferenceNo("333215".into()),
        ] {
            let found = c.find(&demo, &key).await.unwrap();
            assert_eq!(found.len(), 1, "{key:?}");
            let got = &found[0];
            // Everything the dialect carries comes back in canonical form.
            assert_eq!(got.seq, created.seq);
            assert_eq!(got.kind, created.kind);
            assert_eq!(got.name.company, created.name.company);
            assert_eq!(got.name.contact_person, created.name.contact_person);
            assert_eq!(got.identifications, created.identifications);
            assert_eq!(got.emails, created.emails);
            let (a, b) = (
                got.phone_of(PhoneKind::Mobile).unwrap(),
                created.phone_of(PhoneKind::Mobile).unwrap(),
            );
            assert_eq!((&a.number, &a.country_code), (&b.number, &b.country_code));
            assert_eq!(got.addresses, created.addresses);
            assert_eq!(got.contacts, created.contacts);
            assert_eq!(got.locale, created.locale);
            assert_eq!(got.status, Status::Active);
            assert_eq!(got.version, created.version);
            assert_eq!(
                got.updated_at.map(|t| t.timestamp_micros() / 10),
                created.updated_at.map(|t| t.timestamp_micros() / 10)
            );
        }
        // The other company's record is not there.
        assert!(c
            .find(&demo, &Key::ReferenceNo("acme-1".into()))
            .await
            .unwrap()
            .is_empty());
    }
    // Bad credentials or an unknown company: the gateway's own credentials are refused.
    for (company, token) in [
        ("jtc", "wrong"),
        ("acme", "dev-v1core-demo"),
        ("nope", "dev-v1core-demo"),
    ] {
        let c = client(&base, company, bearer(token));
        let e = c.find(&tenant("demo"), &Key::Seq(1)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UpstreamAuth, "{company}");
    }
    handle.stop(false).await;
}

#[actix_rt::test]
async fn a_gateway_over_a_v1core_upstream_answers_like_the_upstream() {
    let (upstream, upstream_handle, created) = gateway_with_sample().await;
    let backend: DynStore = Arc::new(client(&upstream, "jtc", bearer("dev-v1core-demo")));
    let (front, front_handle) = spawn_gateway(setup_with(
        backend,
        json!({}),
        vec![("demo", json!({ "company_code": "jtc", "auth": { "kind": "bearer", "tokens": ["front-token"] } }))],
    ))
    .await;
    let http = reqwest::Client::new();
    let seq = created.seq.unwrap();
    for query in [
        format!("companyCode=jtc&lang=ar&customerId={seq}&identificationNo=2103232123&mobileNumber=568617084&referenceNo=333215"),
        format!("companyCode=jtc&lang=en&customerId={seq}"),
        "companyCode=jtc&lang=ar&mobileNumber=568617084&identificationNo=2103232123".to_owned(),
        format!("companyCode=jtc&lang=ar&customerId={}&referenceNo=333215", seq + 1),
    ] {
        let get = |base: &str, token: &str| {
            http.get(format!("{base}v1/core/customer?{query}"))
                .bearer_auth(token)
                .send()
        };
        let direct = get(&upstream, "dev-v1core-demo").await.unwrap();
        let proxied = get(&front, "front-token").await.unwrap();
        assert_eq!(direct.status(), 200);
        assert_eq!(proxied.status(), 200);
        let (a, b) = (direct.text().await.unwrap(), proxied.text().await.unwrap());
        assert_eq!(a, b, "{query}");
    }
    front_handle.stop(false).await;
    upstream_handle.stop(false).await;
}
