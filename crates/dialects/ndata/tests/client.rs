//! The client against this crate's own server on a loopback port, and against a mock
//! NData answering with the seed's exact payloads (which also counts logins and
//! refreshes under concurrency).
#![cfg(all(feature = "server", feature = "client"))]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::*;
use custgate_core::{
    Card, CmpOp, Count, Customer, CustomerId, CustomerStore, Email, ErrorKind, Field, Filter, Key,
    Money, Query, SortKey, Status, TextOp, Value as V, Version,
};
use custgate_http::DialectSetup;
use custgate_ndata::{Client, ClientConfig};
use rust_decimal::Decimal;
use serde_json::{json, Value};

async fn spawn_ndata(setup: DialectSetup) -> (String, ServerHandle) {
    let server = custgate_ndata::server(&setup).unwrap();
    let srv = HttpServer::new(move || {
        let s = server.clone();
        App::new().configure(move |c| s.configure(c))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    let running = srv.run();
    let handle = running.handle();
    actix_rt::spawn(running);
    (format!("http://127.0.0.1:{port}/"), handle)
}

fn id(s: &str) -> CustomerId {
    CustomerId::parse(s).unwrap()
}

fn loyal_customer(key: &str) -> Customer {
    let mut c = Customer {
        id: id(key),
        external_id: Some(format!("EXT-{key}")),
        ..Customer::default()
    };
    c.name.first = Some("Carla".into());
    c.name.last = Some(format!("Client {key}"));
    c.emails.push(Email {
        address: format!("{key}@portos.sk"),
        default: true,
        ..Email::default()
    });
    c.cards.push(Card {
        serial_number: format!("CARD-{key}"),
        active: true,
        is_virtual: false,
        processor: Some("P".into()),
        status: Some("Valid".into()),
        ..Card::default()
    });
    c.finance.credit_balance = Some(Money {
        amount: Decimal::new(1250, 2),
        currency: Some("EUR".into()),
    });
    c.finance.discount_rate = Some(Decimal::new(75, 1));
    c.finance.credit_rate = Some(Decimal::new(2, 0));
    c
}

#[actix_rt::test]
async fn the_client_drives_the_in_process_server() {
    let w = world();
    let (base, handle) = spawn_ndata(w.setup.clone()).await;
    let mut cfg = ClientConfig::new(&base, "demo", "demo");
    cfg.max_take = 2;
    let client = Client::new(cfg).unwrap();
    let t = tenant("demo");
    client.health().await.unwrap();

    // Create: cards, credit and discount arrive, the version is 1.
    let created = client
        .create(&t, loyal_customer("a"), Default::default())
        .await
        .unwrap();
    assert_eq!(created.version, Version::FIRST);
    assert_eq!(created.cards[0].serial_number, "CARD-a");
    assert_eq!(created.finance.discount_rate, Some(Decimal::new(75, 1)));
    let stored = w.demo.get(&t, &id("a")).await.unwrap();
    assert_eq!(stored.cards, created.cards);
    assert_eq!(
        stored.finance.credit_balance,
        created.finance.credit_balance
    );
    let e = client
        .create(&t, loyal_customer("a"), Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);

    let mut b = loyal_customer("b");
    b.finance.discount_rate = Some(Decimal::ZERO);
    client.create(&t, b, Default::default()).await.unwrap();
    let mut c = loyal_customer("c");
    c.status = Status::Inactive;
    c.finance.discount_rate = Some(Decimal::new(20, 0));
    c.note = Some("VIP".into());
    client.create(&t, c, Default::default()).await.unwrap();

    // Get.
    let got = client.get(&t, &id("a")).await.unwrap();
    assert_eq!(got.cards, created.cards);
    assert_eq!(got.finance.credit_balance, created.finance.credit_balance);
    assert_eq!(
        client.get(&t, &id("zz")).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Query: filters, sort, paging (pages of 2 upstream), totals.
    let ids =
        |p: &custgate_core::Page| p.items.iter().map(|c| c.id.to_string()).collect::<Vec<_>>();
    let page = client
        .query(
            &t,
            &Query {
                filter: Some(Filter::compare(Field::DiscountRate, CmpOp::Gt, V::Int(5)).unwrap()),
                sort: vec![SortKey::desc(Field::DiscountRate)],
                count: Count::WithTotal,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&page), ["c", "a"]);
    assert_eq!(page.total, Some(2));
    let all = client.query(&t, &Query::default()).await.unwrap();
    assert_eq!(ids(&all), ["a", "b", "c"]);
    assert_eq!(all.total, None);
    let paged = client
        .query(
            &t,
            &Query {
                sort: vec![SortKey::desc(Field::Id)],
                offset: 1,
                limit: Some(2),
                count: Count::WithTotal,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&paged), ["b", "a"]);
    assert_eq!(paged.total, Some(3));
    let only = client
        .query(
            &t,
            &Query {
                filter: Some(Filter::eq(Field::Status, V::text("inactive")).unwrap()),
                count: Count::Only,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((only.items.len(), only.total), (0, Some(1)));
    let found = client
        .query(
            &t,
            &Query::filtered(Filter::And(vec![
                Filter::Search("vip".into()),
                Filter::text(Field::CardSerial, TextOp::StartsWith, "card-", true).unwrap(),
            ])),
        )
        .await
        .unwrap();
    assert_eq!(ids(&found), ["c"]);
    assert_eq!(
        client
            .find(&t, &Key::ExternalId("EXT-b".into()))
            .await
            .unwrap()[0]
            .id,
        id("b")
    );

    // What NData does not support is refused before any call, naming it.
    let e = client
        .find(&t, &Key::Email("a@portos.sk".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("by email"), "{e}");
    let e = client
        .query(
            &t,
            &Query::filtered(Filter::Or(vec![
                Filter::IsNull { field: Field::Note },
                Filter::IsNull { field: Field::Note },
            ])),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = client
        .query(
            &t,
            &Query {
                sort: vec![SortKey::asc(Field::Territory)],
                ..Query::default()
            },
        )
        .await
        .unwrap_err();
    assert!(e.message().contains("sorting on sales.territory"), "{e}");

    // Update with and without the expected version.
    let mut a = got.clone();
    a.note = Some("updated".into());
    let a2 = client
        .update(&t, a.clone(), Some(Version::FIRST))
        .await
        .unwrap();
    assert_eq!(a2.version.get(), 2);
    assert_eq!(a2.note.as_deref(), Some("updated"));
    let e = client
        .update(&t, a.clone(), Some(Version::FIRST))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::VersionMismatch);
    assert_eq!(e.context_value("stored_version"), Some("2"));
    let a3 = client.update(&t, a.clone(), None).await.unwrap();
    assert_eq!(
        a3.version.get(),
        2,
        "an unchanged write does not bump the version"
    );
    let mut ghost = a.clone();
    ghost.id = id("ghost");
    assert_eq!(
        client.update(&t, ghost, None).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Status.
    let s = client
        .set_status(&t, &id("a"), Status::Inactive)
        .await
        .unwrap();
    assert_eq!(s.status, Status::Inactive);
    assert_eq!(s.version.get(), 3);
    let e = client
        .set_status(&t, &id("a"), Status::Quote)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    // Delete.
    let e = client
        .delete(&t, &id("a"), Some(Version::FIRST))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::VersionMismatch);
    let gone = client
        .delete(&t, &id("a"), Some(Version::new(3).unwrap()))
        .await
        .unwrap();
    assert_eq!(gone.id, id("a"));
    assert_eq!(
        client.get(&t, &id("a")).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(client.delete(&t, &id("b"), None).await.unwrap().id, id("b"));

    // The client's user only sees its own tenant.
    let acme = Client::new(ClientConfig::new(&base, "acme", "acme")).unwrap();
    assert_eq!(
        acme.get(&t, &id("c")).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Bad credentials.
    let bad = Client::new(ClientConfig::new(&base, "demo", "wrong")).unwrap();
    let e = bad.get(&t, &id("c")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    assert!(!format!("{e:?}{bad:?}").contains("wrong"));
    handle.stop(false).await;
}

#[actix_rt::test]
async fn the_client_refreshes_an_expired_token() {
    let mut g = global();
    g["token_ttl_secs"] = json!(1);
    let w = world_with(g, demo_users(), acme_users());
    let (base, handle) = spawn_ndata(w.setup.clone()).await;
    let client = Client::new(ClientConfig::new(&base, "clerk", "clerk")).unwrap();
    let t = tenant("demo");
    client
        .create(&t, loyal_customer("r"), Default::default())
        .await
        .unwrap();
    actix_rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(client.get(&t, &id("r")).await.unwrap().id, id("r"));
    // The clerk may not delete: the upstream's 403 is a canonical Forbidden.
    let e = client.delete(&t, &id("r"), None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert!(e.message().contains("CustomerDelete"), "{e}");
    handle.stop(false).await;
}

// ---------------------------------------------------------------------------------
// A mock NData answering with the seed's payloads
// ---------------------------------------------------------------------------------

#[derive(Default)]
struct Mock {
    logins: AtomicUsize,
    refreshes: AtomicUsize,
    issued: AtomicUsize,
    valid: Mutex<Option<String>>,
    refresh_valid: Mutex<Option<String>>,
    refuse_refresh: AtomicBool,
    refuse_everything: AtomicBool,
    queries: Mutex<Vec<String>>,
    bodies: Mutex<Vec<(String, Option<String>, Value)>>,
}

type MockData = web::Data<Arc<Mock>>;

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .content_type("application/problem+json")
        .body(r#"{"type":null,"title":"Unauthorized","status":401,"errorCode":1}"#)
}

fn seed_json(status: u16, text: &'static str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .body(text)
}

impl Mock {
    fn issue(&self) -> HttpResponse {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("tok-{n}");
        let refresh = format!("ref-{n}");
        *self.valid.lock().unwrap() = Some(token.clone());
        *self.refresh_valid.lock().unwrap() = Some(refresh.clone());
        HttpResponse::Ok().json(json!({
            "tokenId": token,
            "refreshToken": refresh,
            "user": {"userName": "pos", "rights": ["admin"]}
        }))
    }

    fn authorized(&self, req: &HttpRequest) -> bool {
        let presented = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        !self.refuse_everything.load(Ordering::SeqCst)
            && presented.is_some()
            && presented == *self.valid.lock().unwrap()
    }

    fn expire(&self) {
        *self.valid.lock().unwrap() = None;
    }
}

async fn mock_login(m: MockData, body: web::Json<Value>) -> HttpResponse {
    m.logins.fetch_add(1, Ordering::SeqCst);
    if body["UserName"] != "pos" || body["Password"] != "secret" || body["DeviceName"] != "till-1" {
        return unauthorized();
    }
    m.issue()
}

async fn mock_refresh(m: MockData, body: web::Json<Value>) -> HttpResponse {
    m.refreshes.fetch_add(1, Ordering::SeqCst);
    // Slow, so that concurrent callers pile up behind the one refresh.
    actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    let expected = m.refresh_valid.lock().unwrap().clone();
    if m.refuse_refresh.load(Ordering::SeqCst)
        || body["refreshToken"].as_str() != expected.as_deref()
    {
        return unauthorized();
    }
    m.issue()
}

async fn mock_list(req: HttpRequest, m: MockData) -> HttpResponse {
    if !m.authorized(&req) {
        return unauthorized();
    }
    m.queries
        .lock()
        .unwrap()
        .push(req.query_string().to_owned());
    seed_json(200, LIST_RESPONSE)
}

async fn mock_get(req: HttpRequest, m: MockData) -> HttpResponse {
    if !m.authorized(&req) {
        return unauthorized();
    }
    seed_json(200, GET_RESPONSE)
}

async fn mock_write(req: HttpRequest, m: MockData, body: web::Json<Value>) -> HttpResponse {
    if !m.authorized(&req) {
        return unauthorized();
    }
    let if_match = req
        .headers()
        .get("if-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    m.bodies
        .lock()
        .unwrap()
        .push((req.method().to_string(), if_match, body.into_inner()));
    if req.method() == actix_web::http::Method::POST {
        seed_json(201, CREATE_REQUEST)
    } else {
        seed_json(200, UPSERT_REQUEST)
    }
}

async fn mock_delete(req: HttpRequest, m: MockData) -> HttpResponse {
    if !m.authorized(&req) {
        return unauthorized();
    }
    seed_json(200, DELETE_RESPONSE)
}

fn mock_client(base: &str, password: &str) -> Client {
    let mut cfg = ClientConfig::new(base, "pos", password);
    cfg.device_name = "till-1".into();
    Client::new(cfg).unwrap()
}

async fn spawn_mock() -> (Arc<Mock>, Client, String, ServerHandle) {
    let mock = Arc::new(Mock::default());
    let data = web::Data::new(mock.clone());
    let srv = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/api/auth", web::post().to(mock_login))
            .route("/api/auth/refresh", web::post().to(mock_refresh))
            .route("/customers", web::get().to(mock_list))
            .route("/customers", web::post().to(mock_write))
            .route("/customers/{id}", web::get().to(mock_get))
            .route("/customers/{id}", web::put().to(mock_write))
            .route("/customers/{id}", web::delete().to(mock_delete))
    })
    .workers(2)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    let running = srv.run();
    let handle = running.handle();
    actix_rt::spawn(running);
    let base = format!("http://127.0.0.1:{port}");
    (mock, mock_client(&base, "secret"), base, handle)
}

fn assert_seed_customer(c: &Customer) {
    assert_eq!(c.id, id("customer-id"));
    assert_eq!(c.version, Version::FIRST);
    assert_eq!(c.status, Status::Active);
    assert_eq!(c.name.first.as_deref(), Some("John"));
    assert_eq!(c.name.last.as_deref(), Some("Doe"));
    assert_eq!(c.name.display.as_deref(), Some("John Doe"));
    assert_eq!(c.default_email().unwrap().address, "john.doe@portos.sk");
    assert_eq!(c.cards.len(), 1);
    assert_eq!(c.cards[0].serial_number, "card-serial-number");
    assert_eq!(c.cards[0].external_id.as_deref(), Some("external-card-id"));
    assert_eq!(c.finance.credit_rate, Some(Decimal::ZERO));
    assert_eq!(
        c.finance.credit_balance.as_ref().unwrap().amount,
        Decimal::ZERO
    );
}

#[actix_rt::test]
async fn the_client_reads_the_seed_payloads() {
    let (mock, client, _, handle) = spawn_mock().await;
    let t = tenant("demo");

    assert_seed_customer(&client.get(&t, &id("customer-id")).await.unwrap());

    let page = client
        .query(
            &t,
            &Query {
                filter: Some(Filter::And(vec![
                    Filter::eq(Field::ExternalId, V::text("abc")).unwrap(),
                    Filter::compare(Field::DiscountRate, CmpOp::Gt, V::Int(0)).unwrap(),
                    Filter::eq(Field::Status, V::text("active")).unwrap(),
                ])),
                sort: vec![
                    SortKey::asc(Field::LastName),
                    SortKey::desc(Field::CreditRate),
                ],
                offset: 5,
                limit: Some(10),
                count: Count::WithTotal,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    assert_eq!(page.items.len(), 1);
    assert_seed_customer(&page.items[0]);
    let sent = mock.queries.lock().unwrap().last().cloned().unwrap();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&sent).unwrap();
    let expected: Vec<(String, String)> = [
        ("ExternalId", "eq:abc"),
        ("DiscountRate", "gt:0"),
        ("IsActive", "eq:true"),
        ("$sort", "lastName,-creditRate"),
        ("$skip", "5"),
        ("$take", "10"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(pairs, expected);

    // Create: an NData body without `status` and `_v`; the answer is the seed's record.
    let created = client
        .create(&t, loyal_customer("n1"), Default::default())
        .await
        .unwrap();
    assert_seed_customer(&created);
    let (method, if_match, body) = mock.bodies.lock().unwrap().last().cloned().unwrap();
    assert_eq!(method, "POST");
    assert_eq!(if_match, None);
    assert_eq!(body["id"], "n1");
    assert_eq!(body["cards"][0]["serialNumber"], "CARD-n1");
    assert_eq!(
        body["credit"],
        json!({"amount": 12.5, "currencyLabel": "EUR"})
    );
    assert_eq!(body["discountRate"], json!(7.5));
    assert!(body.get("_v").is_none() && body.get("status").is_none());

    // Update: read first (the seed says _v 1), then PUT with `_v` and If-Match.
    let mut seed = page.items[0].clone();
    seed.note = Some("changed".into());
    assert_seed_customer(
        &client
            .update(&t, seed.clone(), Some(Version::FIRST))
            .await
            .unwrap(),
    );
    let (method, if_match, body) = mock.bodies.lock().unwrap().last().cloned().unwrap();
    assert_eq!(method, "PUT");
    assert_eq!(if_match.as_deref(), Some("\"1\""));
    assert_eq!(body["_v"], 1);
    assert_eq!(body["note"], "changed");
    let writes = mock.bodies.lock().unwrap().len();
    let e = client
        .update(&t, seed, Some(Version::new(2).unwrap()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::VersionMismatch);
    assert_eq!(
        mock.bodies.lock().unwrap().len(),
        writes,
        "no PUT after a failed check"
    );

    assert_seed_customer(&client.delete(&t, &id("customer-id"), None).await.unwrap());
    assert_eq!(mock.logins.load(Ordering::SeqCst), 1);
    assert_eq!(mock.refreshes.load(Ordering::SeqCst), 0);
    handle.stop(false).await;
}

#[actix_rt::test]
async fn one_refresh_serves_many_concurrent_calls() {
    let (mock, client, _, handle) = spawn_mock().await;
    let t = tenant("demo");
    client.get(&t, &id("customer-id")).await.unwrap();
    assert_eq!(mock.logins.load(Ordering::SeqCst), 1);

    let cid = id("customer-id");
    mock.expire();
    let calls = (0..16).map(|_| client.get(&t, &cid));
    for r in futures_util::future::join_all(calls).await {
        assert_seed_customer(&r.unwrap());
    }
    assert_eq!(mock.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(mock.logins.load(Ordering::SeqCst), 1);

    // A refused refresh falls back to one new login.
    mock.refuse_refresh.store(true, Ordering::SeqCst);
    mock.expire();
    let calls = (0..8).map(|_| client.get(&t, &cid));
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(mock.refreshes.load(Ordering::SeqCst), 2);
    assert_eq!(mock.logins.load(Ordering::SeqCst), 2);

    // A token refused even after logging in again is the gateway's credentials problem.
    mock.refuse_everything.store(true, Ordering::SeqCst);
    let e = client.get(&t, &id("customer-id")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    handle.stop(false).await;
}

#[actix_rt::test]
async fn a_wrong_password_is_an_upstream_auth_error() {
    let (mock, _, base, handle) = spawn_mock().await;
    let wrong = mock_client(&base, "not-the-password");
    let e = wrong
        .get(&tenant("demo"), &id("customer-id"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    assert_eq!(mock.logins.load(Ordering::SeqCst), 1);
    assert!(!format!("{e}").contains("not-the-password"));
    handle.stop(false).await;
}
