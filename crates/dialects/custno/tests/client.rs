//! The client: against this crate's own server on a loopback port, and against a mock
//! that answers with the seed's exact payloads.

#![cfg(all(feature = "server", feature = "client"))]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::*;
use custgate_core::{
    CreateOptions, Customer, CustomerId, CustomerKind, CustomerStore, DynStore, Email, ErrorKind,
    Idempotency, IdempotencyKey, Key, MemoryStore, Phone, PhoneKind, Query, Status, Version,
};
use custgate_custno::{Client, ClientConfig};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// Runs an actix app (built by the closure) on 127.0.0.1:0; the base URL and a handle
/// to stop it.
macro_rules! spawn {
    ($factory:expr) => {{
        let srv = HttpServer::new($factory)
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
        let port = srv.addrs()[0].port();
        let running = srv.run();
        let handle = running.handle();
        actix_rt::spawn(running);
        (format!("http://127.0.0.1:{port}/"), handle)
    }};
}

/// This crate's server over one shared `MemoryStore`, on a real port.
fn spawn_own_server() -> (String, actix_web::dev::ServerHandle, DynStore) {
    let store: DynStore = Arc::new(MemoryStore::new());
    let server = custgate_custno::server(&setup(
        json!({"enabled": true}),
        store.clone(),
        store.clone(),
        json!(["DEVKEY0001"]),
    ))
    .unwrap();
    let (url, handle) = spawn!(move || {
        let server = server.clone();
        App::new().configure(move |c| server.configure(c))
    });
    (url, handle, store)
}

fn client(base_url: &str, key: &str) -> Client {
    Client::new(&ClientConfig::new(base_url, key)).unwrap()
}

fn demo() -> custgate_core::TenantId {
    tenant("demo")
}

fn sample() -> Customer {
    let mut c = Customer::new();
    c.name.display = Some("Param IT".into());
    c.status = Status::Quote;
    c.sales.territory = Some("NEW ENGLAND".into());
    c.finance.payment_terms = Some("NET 30".into());
    c.finance.credit_limit = Some(Decimal::new(150_050, 2));
    c.finance.taxable = Some(true);
    c.phones = vec![
        Phone {
            kind: PhoneKind::Phone,
            number: "555-0100".into(),
            default: true,
            ..Phone::default()
        },
        Phone {
            kind: PhoneKind::Fax,
            number: "555-0101".into(),
            ..Phone::default()
        },
    ];
    c
}

#[actix_rt::test]
async fn the_client_adds_edits_and_gets_through_the_real_server() {
    let (url, handle, store) = spawn_own_server();
    let c = client(&url, "DEVKEY0001");
    c.health().await.unwrap();

    let created = c
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created.id.as_str(), "0000000001");
    assert_eq!(created.number.as_deref(), Some("1"));
    assert_eq!(created.name.display.as_deref(), Some("Param IT"));
    assert_eq!(created.status, Status::Quote);
    assert_eq!(created.sales.territory.as_deref(), Some("NEW ENGLAND"));
    assert_eq!(created.finance.payment_terms.as_deref(), Some("NET 30"));
    assert_eq!(created.finance.credit_limit, Some(Decimal::new(15_005, 1)));
    assert_eq!(created.finance.taxable, Some(true));
    assert_eq!(created.phone_of(PhoneKind::Fax).unwrap().number, "555-0101");
    assert!(created.created_at.is_some());

    // What the server stored is the canonical customer.
    let stored = &store.find(&demo(), &Key::Number("1".into())).await.unwrap()[0];
    assert_eq!(stored.name.display.as_deref(), Some("Param IT"));
    assert_eq!(stored.finance.credit_limit, Some(Decimal::new(15_005, 1)));

    // Get by id, find by number and by name.
    let got = c.get(&demo(), &created.id).await.unwrap();
    assert_eq!(got, created);
    assert_eq!(
        c.find(&demo(), &Key::Number("0000000001".into()))
            .await
            .unwrap(),
        vec![created.clone()]
    );
    assert_eq!(
        c.find(&demo(), &Key::Name("Param IT".into()))
            .await
            .unwrap(),
        vec![created.clone()]
    );
    assert!(c
        .find(&demo(), &Key::Name("Nobody".into()))
        .await
        .unwrap()
        .is_empty());
    // A name that looks like a number is not taken for the number.
    assert!(c
        .find(&demo(), &Key::Name("1".into()))
        .await
        .unwrap()
        .is_empty());
    let e = c
        .get(&demo(), &CustomerId::parse("0000000099").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // A partial edit: only what changed is sent, and the record comes back.
    let mut next = got.clone();
    next.finance.payment_terms = Some("COD".into());
    next.sales.reseller_no = Some("R-1".into());
    next.phones.retain(|p| p.kind != PhoneKind::Fax);
    let updated = c.update(&demo(), next, None).await.unwrap();
    assert_eq!(updated.finance.payment_terms.as_deref(), Some("COD"));
    assert_eq!(updated.sales.reseller_no.as_deref(), Some("R-1"));
    assert!(updated.phone_of(PhoneKind::Fax).is_none());
    assert_eq!(updated.sales.territory.as_deref(), Some("NEW ENGLAND"));
    assert!(updated.updated_at.is_some());

    let s = c
        .set_status(&demo(), &created.id, Status::Inactive)
        .await
        .unwrap();
    assert_eq!(s.status, Status::Inactive);

    // Creates keep their Edit-only fields.
    let mut more = sample();
    more.name.display = Some("Second".into());
    more.number = Some("42".into());
    more.sales.reseller_no = Some("R-2".into());
    more.extension_mut("custno")
        .insert("INACTINIT".into(), json!("JS"));
    let second = c
        .create(&demo(), more, CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(second.id.as_str(), "0000000042");
    assert_eq!(second.sales.reseller_no.as_deref(), Some("R-2"));
    assert_eq!(second.extension("custno").unwrap()["INACTINIT"], "JS");
    let dup = c
        .create(
            &demo(),
            {
                let mut d = sample();
                d.number = Some("42".into());
                d
            },
            CreateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists);
    handle.stop(false).await;
}

#[actix_rt::test]
async fn the_client_refuses_what_manex_cannot_do() {
    let (url, handle, store) = spawn_own_server();
    let c = client(&url, "DEVKEY0001");
    let cap = c.capability();
    assert!(!cap.list && !cap.delete && !cap.expected_version && !cap.client_ids);
    assert!(
        cap.create && cap.update && cap.get && cap.find.number && cap.find.name && !cap.find.email
    );

    let unsupported = |e: custgate_core::Error| assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    unsupported(c.query(&demo(), &Query::default()).await.unwrap_err());
    unsupported(
        c.find(&demo(), &Key::Email("a@b".into()))
            .await
            .unwrap_err(),
    );
    unsupported(
        c.delete(&demo(), &CustomerId::parse("0000000001").unwrap(), None)
            .await
            .unwrap_err(),
    );

    // Data ManEx has no field for is refused, not dropped; nothing is written.
    let mut with_email = sample();
    with_email.emails.push(Email {
        address: "a@b.example".into(),
        ..Email::default()
    });
    let e = c
        .create(&demo(), with_email, CreateOptions::default())
        .await
        .unwrap_err();
    unsupported(e.clone());
    assert!(e.message().contains("emails"), "{e}");
    let mut with_note = sample();
    with_note.note = Some("call first".into());
    let e = c
        .create(&demo(), with_note, CreateOptions::default())
        .await
        .unwrap_err();
    assert!(e.message().contains("CUSTNOTE"), "{e}");
    let idem = CreateOptions {
        idempotency: Some(Idempotency {
            key: IdempotencyKey::parse("k1").unwrap(),
            fingerprint: "f".into(),
        }),
    };
    unsupported(c.create(&demo(), sample(), idem).await.unwrap_err());
    assert!(store
        .query(&demo(), &Query::default())
        .await
        .unwrap()
        .items
        .is_empty());

    let created = c
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap();
    unsupported(
        c.update(&demo(), created.clone(), Some(Version::FIRST))
            .await
            .unwrap_err(),
    );
    let mut renumbered = created.clone();
    renumbered.number = Some("77".into());
    unsupported(c.update(&demo(), renumbered, None).await.unwrap_err());
    let mut divided = created.clone();
    divided.sales.division = Some("EU".into());
    let e = c.update(&demo(), divided, None).await.unwrap_err();
    assert!(e.message().contains("DIVISION"), "{e}");
    unsupported(
        c.set_status(&demo(), &created.id, Status::Blocked)
            .await
            .unwrap_err(),
    );
    // Unchanged, the update writes nothing and answers the record.
    assert_eq!(
        c.update(&demo(), created.clone(), None).await.unwrap(),
        created
    );
    handle.stop(false).await;
}

/// Everything `carried` drops is refused, not only what has no ManEx field at all: the
/// kind, name parts, a phone's dialling code and description, other dialects' extensions.
#[actix_rt::test]
async fn the_client_refuses_every_loss_carried_names() {
    let (url, handle, store) = spawn_own_server();
    let c = client(&url, "DEVKEY0001");
    let refused = |e: custgate_core::Error, path: &str| {
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains(path), "{path}: {e}");
    };
    let mut named = sample();
    named.name.first = Some("Param".into());
    named.kind = Some(CustomerKind::Company);
    let e = c
        .create(&demo(), named, CreateOptions::default())
        .await
        .unwrap_err();
    refused(e.clone(), "name.first");
    refused(e, "kind");
    let mut dialled = sample();
    dialled.phones[0].country_code = Some("1".into());
    refused(
        c.create(&demo(), dialled, CreateOptions::default())
            .await
            .unwrap_err(),
        "phones[0].country_code",
    );
    let mut foreign = sample();
    foreign
        .extension_mut("tenant")
        .insert("cusFoo".into(), json!("bar"));
    refused(
        c.create(&demo(), foreign, CreateOptions::default())
            .await
            .unwrap_err(),
        "extensions.tenant.cusFoo",
    );
    assert!(store
        .query(&demo(), &Query::default())
        .await
        .unwrap()
        .items
        .is_empty());

    // An edit of a record read from ManEx is refused the same way.
    let created = c
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap();
    let mut renamed = created.clone();
    renamed.name.last = Some("IT".into());
    refused(
        c.update(&demo(), renamed, None).await.unwrap_err(),
        "name.last",
    );
    assert_eq!(c.get(&demo(), &created.id).await.unwrap(), created);
    handle.stop(false).await;
}

#[actix_rt::test]
async fn keys_select_tenants_and_never_leak_into_errors() {
    let (url, handle, store) = spawn_own_server();
    let demo_client = client(&url, "DEVKEY0001");
    let acme_client = client(&url, "ACMEKEY001");
    let created = demo_client
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap();
    // The key, not the tenant argument, selects the tenant upstream.
    assert!(acme_client
        .find(&demo(), &Key::Name("Param IT".into()))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        acme_client
            .get(&demo(), &created.id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        store
            .find(&tenant("acme"), &Key::Number("1".into()))
            .await
            .unwrap()
            .len(),
        0
    );

    let logs = LogCapture::default();
    let guard = logs.install();
    let wrong = client(&url, "WRONGKEY77");
    let e = wrong
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    assert_eq!(
        wrong.health().await.unwrap_err().kind(),
        ErrorKind::UpstreamAuth
    );
    assert!(!format!("{e} {e:?}").contains("WRONGKEY77"));
    assert!(!format!("{wrong:?}").contains("WRONGKEY77"));

    // Nothing listens there: the transport error must not carry the URL with the key.
    let dead = client("http://127.0.0.1:1/", "DEADKEY123");
    let e = dead.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
    assert!(!format!("{e} {e:?}").contains("DEADKEY123"), "{e:?}");
    drop(guard);
    let text = logs.text();
    for k in ["WRONGKEY77", "DEADKEY123", "DEVKEY0001"] {
        assert!(!text.contains(k), "{k} in logs: {text}");
    }
    handle.stop(false).await;
}

/// What the mock received: (path, query, body).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

const MOCK_KEY: &str = "MOCKKEY001";

/// A ManEx stand-in answering with the seed's payloads, verbatim.
fn spawn_mock() -> (String, actix_web::dev::ServerHandle, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let (url, handle) = spawn!(move || {
        let seen = seen.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let seen = seen.clone();
            async move {
                let path = req.path().to_owned();
                let query = req.query_string().to_owned();
                let text = String::from_utf8_lossy(&body).into_owned();
                seen.lock()
                    .unwrap()
                    .push((path.clone(), query.clone(), text.clone()));
                let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
                let reply = |status: u16, name: &str| {
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .content_type("application/json; charset=utf-8")
                        .body(fixture(name))
                };
                let (action, key) = match segs.as_slice() {
                    ["API", "Customer", action, key] => (*action, *key),
                    ["API", "Customer", "Slow", ..] => {
                        actix_rt::time::sleep(Duration::from_secs(2)).await;
                        return reply(200, "get_not_found.json");
                    }
                    _ => return reply(404, "add_error_url.json"),
                };
                match key {
                    MOCK_KEY => {}
                    "PARAMERR01" => return reply(200, "add_error_parameter.json"),
                    "EDITERR001" => return reply(200, "edit_error_parameter.json"),
                    "BOOM000001" => return HttpResponse::InternalServerError().body("boom"),
                    _ => return reply(200, "add_error_api_key.json"),
                }
                match action {
                    "Add" => reply(200, "add_response.json"),
                    "Edit" => reply(200, "edit_response.json"),
                    "Get"
                        if query.contains("CustNumOrName=Customer")
                            || query.contains("CustNumOrName=0000000010") =>
                    {
                        reply(200, "get_response.json")
                    }
                    "Get" => reply(200, "get_not_found.json"),
                    _ => reply(404, "get_error_url.json"),
                }
            }
        }))
    });
    (url, handle, received)
}

fn last(received: &Received) -> (String, String, Value) {
    let (p, q, b) = received.lock().unwrap().last().cloned().unwrap();
    let body = if b.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&b).unwrap()
    };
    (p, q, body)
}

#[actix_rt::test]
async fn the_client_reads_the_seeds_payloads() {
    let (url, handle, received) = spawn_mock();
    let c = client(&url, MOCK_KEY);
    c.health().await.unwrap();

    // Add: the seed's answer becomes the canonical customer.
    let mut new = Customer::new();
    new.name.display = Some("CustomerName".into());
    let created = c
        .create(&demo(), new, CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created.id.as_str(), "0000000010");
    assert_eq!(created.number.as_deref(), Some("10"));
    assert_eq!(created.name.display.as_deref(), Some("CustomerName"));
    assert_eq!(created.status, Status::Active);
    assert_eq!(
        created.extension("custno").unwrap()["ACCT_DATE"],
        "2014-11-19T10:09:57.041868-05:00"
    );
    let (path, _, body) = last(&received);
    assert_eq!(path, format!("/API/Customer/Add/{MOCK_KEY}"));
    assert_eq!(
        body,
        json!({"Custname": "CustomerName", "Status": "Active"})
    );

    // Get: by name and by number; the padding of SQL char columns is trimmed.
    let found = c
        .find(&demo(), &Key::Name("Customer".into()))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let got = &found[0];
    assert_eq!(got.name.display.as_deref(), Some("Customer"));
    assert_eq!(got.sales.territory.as_deref(), Some("NEW ENGLAND"));
    assert_eq!(got.status, Status::Active);
    let (path, query, _) = last(&received);
    assert_eq!(path, format!("/API/Customer/Get/{MOCK_KEY}"));
    assert_eq!(query, "CustNumOrName=Customer");
    assert_eq!(
        c.find(&demo(), &Key::Number("10".into())).await.unwrap(),
        found
    );
    assert_eq!(last(&received).1, "CustNumOrName=0000000010");
    assert!(c
        .find(&demo(), &Key::Name("Someone".into()))
        .await
        .unwrap()
        .is_empty());

    // Edit: only the changed parameters, with the ten-digit number.
    let mut next = got.clone();
    next.sales.territory = Some("EAST".into());
    next.finance.credit_limit = Some(Decimal::from(500));
    c.update(&demo(), next, None).await.unwrap();
    let edits: Vec<Value> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _, _)| p.contains("/Edit/"))
        .map(|(_, _, b)| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(
        edits,
        vec![json!({"Custno": "0000000010", "Territory": "EAST", "Credlimit": "500"})]
    );
    handle.stop(false).await;
}

#[actix_rt::test]
async fn the_seeds_errors_become_canonical_errors() {
    let (url, handle, _) = spawn_mock();
    let kind_of = |e: custgate_core::Error| e.kind();

    let e = client(&url, "BADKEY0001")
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(kind_of(e), ErrorKind::UpstreamAuth);

    let e = client(&url, "PARAMERR01")
        .create(&demo(), sample(), CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(
        e.fields()[0].message,
        "Object reference not set to an instance of an object."
    );

    let e = client(&url, "EDITERR001")
        .set_status(
            &demo(),
            &CustomerId::parse("0000000010").unwrap(),
            Status::Active,
        )
        .await
        .unwrap_err();
    // The Get before the edit already fails the same way on this mock.
    assert_eq!(e.kind(), ErrorKind::Validation);

    let e = client(&url, "BOOM000001").health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());

    // A wrong root URL: the Web API 404 (whose Message repeats the URL and key).
    let e = client(&format!("{url}nowhere/"), MOCK_KEY)
        .health()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.message().contains("check base_url"), "{e}");
    assert!(!format!("{e:?}").contains(MOCK_KEY), "{e:?}");

    // A slow system: the timeout, without the key.
    let mut cfg = ClientConfig::new(format!("{url}API/Customer/Slow/"), "SLOWKEY001");
    cfg.upstream.request_timeout_ms = 200;
    let slow = Client::new(&cfg).unwrap();
    let e = slow.health().await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::UpstreamTimeout | ErrorKind::UpstreamUnavailable
        ),
        "{e:?}"
    );
    assert!(!format!("{e:?}").contains("SLOWKEY001"), "{e:?}");
    handle.stop(false).await;
}

#[test]
fn clients_check_their_configuration() {
    let c = Client::new(&ClientConfig::new("http://127.0.0.1:9/manex", "a/b?c")).unwrap();
    assert!(!format!("{c:?}").contains("a/b"));
    assert!(Client::new(&ClientConfig::new("ftp://x", "K")).is_err());
    assert!(Client::new(&ClientConfig::new("http://x/", " ")).is_err());
}

#[actix_rt::test]
async fn an_error_body_echoing_the_key_is_logged_and_returned_without_it() {
    // The vendor's Web API errors repeat the request URI, API key included; this one
    // also repeats it decoded, and in the detail that becomes the error's message.
    let (url, handle) = spawn!(|| {
        App::new().default_service(web::to(|req: HttpRequest| async move {
            let uri = req.uri().to_string();
            let decoded = uri.replace("%2F", "/").replace("%20", " ");
            HttpResponse::NotFound().json(json!({
                "Message": format!("No HTTP resource was found that matches the request URI '{uri}'."),
                "MessageDetail": format!("No action was found on the controller for '{decoded}'."),
            }))
        }))
    });
    let key = "ECHO/KEY 1";
    let logs = LogCapture::default();
    let guard = logs.install();
    let c = client(&url, key);
    let e = c.health().await.unwrap_err();
    drop(guard);
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.message().contains("[redacted]"), "{e}");
    let text = logs.text();
    assert!(
        text.contains("Upstream answered with an error status"),
        "{text}"
    );
    for spelling in [key, "ECHO%2FKEY%201", "ECHO%2FKEY+1"] {
        assert!(!format!("{e} {e:?}").contains(spelling), "{e:?}");
        assert!(!text.contains(spelling), "{spelling} in logs: {text}");
    }
    assert!(text.contains("[redacted]"), "{text}");
    handle.stop(false).await;
}
