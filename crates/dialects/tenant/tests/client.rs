#![cfg(all(feature = "server", feature = "client"))]
//! The upstream client against this crate's own server on a real loopback port, and
//! against a mock answering with the seed's exact example payloads.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::*;
use custgate_core::{
    eval, CmpOp, Count, CreateOptions, Customer, CustomerKind, CustomerStore, ErrorKind, Field,
    Filter, Idempotency, IdempotencyKey, Key, MemoryStore, Query, SortKey, Status, TextOp, Value,
    Version,
};
use custgate_tenant::config::ClientConfig;
use custgate_tenant::convert::{new_customer, to_body};
use custgate_tenant::wire::CustomerBody;
use custgate_tenant::Client;
use serde_json::{json, Value as Json};

/// Runs the dialect's server on 127.0.0.1:0; returns its base URL.
fn spawn_server(global: Json, store: Arc<MemoryStore>) -> String {
    let server = custgate_tenant::server(&setup_with(global, store)).expect("server builds");
    let srv = HttpServer::new(move || {
        let server = server.clone();
        App::new().configure(move |c| server.configure(c))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    actix_rt::spawn(srv.run());
    format!("http://127.0.0.1:{port}/")
}

fn client(base_url: &str, auth: Json, page_size: u32) -> Client {
    let cfg: ClientConfig = serde_json::from_value(json!({
        "upstream": {"base_url": base_url, "request_timeout_ms": 2000},
        "auth": auth,
        "page_size": page_size,
    }))
    .unwrap();
    Client::new(cfg).unwrap()
}

fn token_auth(tenant: &str) -> Json {
    json!({"kind": "token", "token": token(tenant)})
}

fn customer(name: &str, mobile: &str, ty: &str, id_no: &str, email: &str, vat: &str) -> Customer {
    new_customer(&CustomerBody {
        cus_name: Some(name.into()),
        cus_mobile: Some(mobile.into()),
        cus_type: Some(ty.into()),
        id_type: Some("NAT".into()),
        id_no: Some(id_no.into()),
        bldg_no: Some("1".into()),
        street: Some("Main Street".into()),
        city: Some("Riyadh".into()),
        postal_code: Some("12345".into()),
        email: Some(email.into()),
        vat_no: Some(vat.into()),
        tin_no: None,
    })
}

fn seqs(items: &[Customer]) -> Vec<i64> {
    items.iter().map(|c| c.seq.unwrap()).collect()
}

#[actix_rt::test]
async fn crud_through_the_client() {
    let store = Arc::new(MemoryStore::new());
    let base = spawn_server(global(), store.clone());
    let c = client(&base, token_auth("demo"), 100);
    let demo = tenant("demo");
    c.health().await.unwrap();

    let body: CustomerBody = serde_json::from_value(fixture("create_request.json")).unwrap();
    let created = c
        .create(&demo, new_customer(&body), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created.id.as_str(), "1");
    assert_eq!(created.seq, Some(1));
    assert_eq!(to_body(&created), body);
    // The server stored it canonically, in demo.
    let stored = store.query(&demo, &Query::default()).await.unwrap().items;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].phones[0].number, "+966555555555");

    assert_eq!(c.get(&demo, &created.id).await.unwrap(), created);
    for key in [
        Key::Name("John Doe".into()),
        Key::Email("john@example.com".into()),
        Key::Mobile("+966555555555".into()),
        Key::Identification("123456789".into()),
        Key::Seq(1),
    ] {
        assert_eq!(
            c.find(&demo, &key).await.unwrap(),
            vec![created.clone()],
            "{key:?}"
        );
    }
    assert!(c
        .find(&demo, &Key::Name("John".into()))
        .await
        .unwrap()
        .is_empty());
    let e = c.find(&demo, &Key::Number("1".into())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    let mut changed = created.clone();
    changed.name.display = Some("Updated Name".into());
    changed.kind = Some(CustomerKind::Person);
    let updated = c.update(&demo, changed, None).await.unwrap();
    assert_eq!(updated.name.display.as_deref(), Some("Updated Name"));
    assert_eq!(updated.kind, Some(CustomerKind::Person));
    assert_eq!(updated.id, created.id);

    let deleted = c.delete(&demo, &created.id, None).await.unwrap();
    assert_eq!(deleted, updated);
    let e = c.get(&demo, &created.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c.delete(&demo, &created.id, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(store
        .query(&demo, &Query::default())
        .await
        .unwrap()
        .items
        .is_empty());
}

#[actix_rt::test]
async fn lists_match_the_reference_evaluator() {
    let store = Arc::new(MemoryStore::new());
    let base = spawn_server(global(), store.clone());
    // A small page size makes the client walk pages.
    let c = client(&base, token_auth("demo"), 2);
    let demo = tenant("demo");
    for (n, (name, mobile, ty)) in [
        ("Charlie Brown", "0551111111", "B2C"),
        ("alice Smith", "0552222222", "B2B"),
        ("Bob Johnson", "0553333333", "B2C"),
        ("Dora Johnson", "+4712345678", "B2B"),
        ("Eve", "0555555555", "B2C"),
        ("eve adams", "0556666666", "B2B"),
        ("Frank", "0557777777", "B2C"),
    ]
    .into_iter()
    .enumerate()
    {
        let cust = customer(
            name,
            mobile,
            ty,
            &format!("id{}", n % 3),
            &format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
            &format!("30000000000{n:03}3"),
        );
        c.create(&demo, cust, CreateOptions::default())
            .await
            .unwrap();
    }
    let text = |v: &str| Filter::Text {
        field: Field::DisplayName,
        op: TextOp::Contains,
        value: v.into(),
        case_insensitive: true,
    };
    let eq = |f, v: &str| Filter::eq(f, Value::text(v)).unwrap();
    let filters = vec![
        None,
        Some(text("johnson")),
        Some(text("E")),
        Some(eq(Field::Mobile, "+966553333333")),
        Some(eq(Field::Mobile, "+4712345678")),
        Some(eq(Field::Phone, "+966553333333")),
        Some(eq(Field::Kind, "company")),
        Some(eq(Field::Kind, "person")),
        Some(eq(Field::Email, "eve@example.com")),
        Some(eq(Field::DefaultEmail, "frank@example.com")),
        Some(eq(Field::Identification, "id1")),
        Some(eq(Field::Vat, "300000000002003")),
        Some(Filter::And(vec![
            text("e"),
            eq(Field::Kind, "person"),
            eq(Field::Identification, "id1"),
        ])),
    ];
    let sorts = vec![
        vec![],
        vec![SortKey::asc(Field::Seq)],
        vec![SortKey::desc(Field::Seq)],
        vec![SortKey::asc(Field::DisplayName)],
        vec![SortKey::desc(Field::DisplayName)],
        vec![SortKey::asc(Field::Kind)],
        vec![SortKey::desc(Field::DefaultEmail)],
        vec![SortKey::asc(Field::Vat)],
        vec![SortKey::desc(Field::Tin)],
    ];
    let pages: Vec<(u64, Option<u32>)> = vec![
        (0, None),
        (0, Some(3)),
        (3, Some(2)),
        (1, Some(5)),
        (6, Some(10)),
        (20, Some(2)),
    ];
    let reference: Vec<Customer> = store.query(&demo, &Query::default()).await.unwrap().items;
    let mut checked = 0;
    for filter in &filters {
        for sort in &sorts {
            for &(offset, limit) in &pages {
                let q = Query {
                    filter: filter.clone(),
                    sort: sort.clone(),
                    offset,
                    limit,
                    count: Count::WithTotal,
                };
                let expected = eval::run(&q, reference.iter());
                let got = c.query(&demo, &q).await.unwrap();
                assert_eq!(seqs(&got.items), seqs(&expected.items), "{q:?}");
                assert_eq!(got.total, expected.total, "{q:?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, filters.len() * sorts.len() * pages.len());

    let only = c
        .query(
            &demo,
            &Query {
                filter: Some(eq(Field::Kind, "company")),
                count: Count::Only,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert!(only.items.is_empty());
    assert_eq!(only.total, Some(3));
    let no_total = c.query(&demo, &Query::default()).await.unwrap();
    assert_eq!(no_total.total, None);
    assert_eq!(no_total.items.len(), 7);
}

#[actix_rt::test]
async fn what_the_dialect_cannot_do_is_unsupported() {
    let store = Arc::new(MemoryStore::new());
    let base = spawn_server(global(), store);
    let c = client(&base, token_auth("demo"), 100);
    let demo = tenant("demo");
    let eq = |f, v: &str| Filter::eq(f, Value::text(v)).unwrap();
    let unsupported = [
        Query::filtered(Filter::Or(vec![eq(Field::Vat, "1"), eq(Field::Vat, "2")])),
        Query::filtered(Filter::not(eq(Field::Vat, "1"))),
        Query::filtered(Filter::text(Field::DisplayName, TextOp::StartsWith, "a", true).unwrap()),
        Query::filtered(Filter::text(Field::DisplayName, TextOp::Contains, "a", false).unwrap()),
        Query::filtered(Filter::And(vec![eq(Field::Vat, "1"), eq(Field::Vat, "2")])),
        Query::filtered(eq(Field::Kind, "robot")),
        Query::filtered(eq(Field::City, "Riyadh")),
        Query::filtered(Filter::Search("x".into())),
        Query {
            sort: vec![SortKey::asc(Field::DisplayName), SortKey::asc(Field::Vat)],
            ..Query::default()
        },
        Query {
            sort: vec![SortKey::asc(Field::CreatedAt)],
            ..Query::default()
        },
    ];
    for q in unsupported {
        let e = c.query(&demo, &q).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{q:?}");
    }
    let cust = customer(
        "A",
        "0550000000",
        "B2C",
        "1",
        "a@example.com",
        "300000000000003",
    );
    let created = c
        .create(&demo, cust.clone(), CreateOptions::default())
        .await
        .unwrap();
    let idem = CreateOptions {
        idempotency: Some(Idempotency {
            key: IdempotencyKey::parse("k1").unwrap(),
            fingerprint: "f".into(),
        }),
    };
    for e in [
        c.create(&demo, cust, idem).await.unwrap_err(),
        c.update(&demo, created.clone(), Some(Version::FIRST))
            .await
            .unwrap_err(),
        c.delete(&demo, &created.id, Some(Version::FIRST))
            .await
            .unwrap_err(),
        c.set_status(&demo, &created.id, Status::Blocked)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    }
}

#[actix_rt::test]
async fn ids_are_found_by_binary_search_and_deletes_hit_only_their_record() {
    let store = Arc::new(MemoryStore::new());
    let base = spawn_server(global(), store.clone());
    let c = client(&base, token_auth("demo"), 2);
    let demo = tenant("demo");
    let mut ids = Vec::new();
    for i in 0..13 {
        let name = if i == 4 || i == 9 {
            "Twin".to_owned()
        } else {
            format!("C{i}")
        };
        let cust = customer(
            &name,
            "0550000000",
            "B2C",
            "1",
            "a@example.com",
            "300000000000003",
        );
        ids.push(
            c.create(&demo, cust, CreateOptions::default())
                .await
                .unwrap()
                .id,
        );
    }
    // Holes in the id sequence.
    for i in [0, 1, 2, 6, 7] {
        c.delete(&demo, &ids[i], None).await.unwrap();
    }
    for (i, id) in ids.iter().enumerate() {
        let got = c.get(&demo, id).await;
        if [0, 1, 2, 6, 7].contains(&i) {
            assert_eq!(got.unwrap_err().kind(), ErrorKind::NotFound, "{id}");
        } else {
            assert_eq!(got.unwrap().id, *id);
        }
    }
    for missing in ["0", "-3", "99", "x"] {
        let id = custgate_core::CustomerId::parse(missing).unwrap();
        assert_eq!(
            c.get(&demo, &id).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    // The second "Twin" cannot be deleted by name while the first exists.
    let e = c.delete(&demo, &ids[9], None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(c.get(&demo, &ids[9]).await.is_ok());
    c.delete(&demo, &ids[4], None).await.unwrap();
    c.delete(&demo, &ids[9], None).await.unwrap();
    let twins = c.find(&demo, &Key::Name("Twin".into())).await.unwrap();
    assert!(twins.is_empty());
}

#[actix_rt::test]
async fn upstream_errors_become_canonical_errors() {
    let store = Arc::new(MemoryStore::new());
    let base = spawn_server(global(), store);
    let demo = tenant("demo");
    let c = client(&base, token_auth("demo"), 100);
    let mut bad = customer(
        "A",
        "0550000000",
        "B2B",
        "1",
        "a@example.com",
        "300000000000003",
    );
    bad.addresses.clear();
    bad.tax.vat = Some("123".into());
    let e = c
        .create(&demo, bad, CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let mut fields: Vec<_> = e.fields().iter().map(|f| f.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["bldgNo", "city", "postalCode", "street", "vatNo"]);

    let mut ghost = customer(
        "G",
        "0550000000",
        "B2C",
        "1",
        "g@example.com",
        "300000000000003",
    );
    ghost.seq = Some(42);
    let e = c.update(&demo, ghost, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // A token the upstream refuses.
    let wrong = client(&base, json!({"kind": "token", "token": "nope"}), 100);
    let e = wrong.query(&demo, &Query::default()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    let wrong = client(
        &base,
        json!({"kind": "login", "tenant_id": "demo", "user_id": "demo", "password": "bad"}),
        100,
    );
    let e = wrong.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);

    // Nobody listening.
    let dead = client("http://127.0.0.1:1/", token_auth("demo"), 100);
    let e = dead.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
}

#[actix_rt::test]
async fn login_credentials_are_exchanged_and_renewed() {
    let store = Arc::new(MemoryStore::new());
    let mut g = global();
    g["token_ttl_secs"] = json!(1);
    g["leeway_secs"] = json!(0);
    let base = spawn_server(g, store);
    let c = client(
        &base,
        json!({"kind": "login", "tenant_id": "acme", "user_id": "acme", "password": "acme"}),
        100,
    );
    let acme = tenant("acme");
    let cust = customer(
        "A",
        "0550000000",
        "B2C",
        "1",
        "a@example.com",
        "300000000000003",
    );
    let created = c
        .create(&acme, cust, CreateOptions::default())
        .await
        .unwrap();
    // The token expires; the next call is refused once, logs in again and succeeds.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(c.get(&acme, &created.id).await.unwrap(), created);
    // The credentials reach acme only.
    let demo_view = client(&base, token_auth("demo"), 100);
    assert!(demo_view
        .query(&tenant("demo"), &Query::default())
        .await
        .unwrap()
        .items
        .is_empty());
}

/// What the mock saw: method, path, query string, Authorization.
type Seen = Arc<Mutex<Vec<(String, String, String, String)>>>;

fn spawn_mock(seen: Seen) -> String {
    async fn answer(req: HttpRequest, body: web::Bytes, seen: web::Data<Seen>) -> HttpResponse {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        seen.lock().unwrap().push((
            req.method().to_string(),
            req.path().to_owned(),
            req.query_string().to_owned(),
            auth.clone(),
        ));
        let json = |name: &str| fixture_text(name);
        match (req.method().as_str(), req.path()) {
            ("POST", "/api/account/login") => {
                let b: Json = serde_json::from_slice(&body).unwrap();
                if b["password"] == "secret" {
                    HttpResponse::Ok().json(json!({"userName": "john", "tenantId": "7",
                        "email": "john@example.com", "token": "seed-token"}))
                } else {
                    HttpResponse::Unauthorized().finish()
                }
            }
            _ if auth != "Bearer seed-token" => HttpResponse::Unauthorized().finish(),
            ("GET", "/api/customer") if req.query_string().contains("CusName=Broken") => {
                HttpResponse::InternalServerError().finish()
            }
            ("GET", "/api/customer") if req.query_string().contains("CusName=Slow") => {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                HttpResponse::Ok().finish()
            }
            ("GET", "/api/customer") if req.query_string().contains("CusName=Moved") => {
                HttpResponse::Found()
                    .insert_header(("Location", "http://127.0.0.2:1/"))
                    .finish()
            }
            ("GET", "/api/customer") if req.query_string().contains("CusName=Huge") => {
                HttpResponse::Ok()
                    .insert_header(("X-Total-Count", "1"))
                    .body(format!("[{}]", "{}, ".repeat(1 << 20)))
            }
            ("GET", "/api/customer") if req.query_string().contains("CusName=Invalid") => {
                HttpResponse::BadRequest().json(json!({
                    "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                    "title": "One or more validation errors occurred.", "status": 400,
                    "errors": {"PageSize": ["too big"]}, "traceId": "x"}))
            }
            ("GET", "/api/customer") => HttpResponse::Ok()
                .insert_header(("X-Total-Count", "1"))
                .content_type("application/json; charset=utf-8")
                .body(json("list_response.json")),
            ("GET", "/api/customer/John%20Doe") => HttpResponse::Ok()
                .content_type("application/json; charset=utf-8")
                .body(json("get_response.json")),
            ("POST", "/api/customer") => HttpResponse::Created()
                .insert_header(("Location", "/api/customer/John%20Doe"))
                .finish(),
            ("PUT", "/api/customer/1") => {
                let mut updated: Json = serde_json::from_str(&json("update_request.json")).unwrap();
                updated["cusId"] = 1.into();
                HttpResponse::Ok().json(updated)
            }
            ("DELETE", "/api/customer/John%20Doe") => HttpResponse::NoContent().finish(),
            _ => HttpResponse::NotFound().json(json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
                "title": "Not Found", "status": 404})),
        }
    }
    let data = web::Data::new(seen);
    let srv = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(answer))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    actix_rt::spawn(srv.run());
    format!("http://127.0.0.1:{port}/")
}

#[actix_rt::test]
async fn the_client_reads_the_seed_payloads() {
    let seen: Seen = Arc::default();
    let base = spawn_mock(seen.clone());
    // The failures at the end check how each maps, one call each: no retries, and a
    // breaker that does not open on them (the upstream crate's fault tests cover both).
    let cfg: ClientConfig = serde_json::from_value(json!({
        "upstream": {"base_url": base, "request_timeout_ms": 500, "max_response_bytes": 1048576,
            "retry": {"max_attempts": 1}, "breaker": {"failure_threshold": 100}},
        "auth": {"kind": "login", "tenant_id": "7", "user_id": "john", "password": "secret"},
    }))
    .unwrap();
    let c = Client::new(cfg).unwrap();
    assert!(!format!("{c:?}").contains("secret"));
    let t = tenant("demo");

    let page = c
        .query(
            &t,
            &Query {
                filter: Some(Filter::And(vec![
                    Filter::text(Field::DisplayName, TextOp::Contains, "John", true).unwrap(),
                    Filter::compare(Field::Mobile, CmpOp::Eq, Value::text("+966555555555"))
                        .unwrap(),
                ])),
                sort: vec![SortKey::desc(Field::DisplayName)],
                limit: Some(5),
                count: Count::WithTotal,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    assert_eq!(page.items.len(), 1);
    let john = &page.items[0];
    assert_eq!(john.id.as_str(), "1");
    assert_eq!(john.name.display.as_deref(), Some("John Doe"));
    assert_eq!(john.phones[0].number, "+966555555555");
    assert_eq!(john.kind, Some(CustomerKind::Person));
    assert_eq!(john.identification("NAT"), Some("123456789"));
    assert_eq!(
        serde_json::to_value(custgate_tenant::convert::to_record(john).unwrap()).unwrap(),
        fixture("get_response.json")
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].1, "/api/account/login");
        let (method, path, query, auth) = &seen[1];
        assert_eq!((method.as_str(), path.as_str()), ("GET", "/api/customer"));
        assert_eq!(
            query,
            "CusName=John&CusMobile=0555555555&SortBy=cusName&IsDescending=true&PageSize=5"
        );
        assert_eq!(auth, "Bearer seed-token");
    }

    // A create answered with 201 and only a Location is read back from there.
    let body: CustomerBody = serde_json::from_value(fixture("create_request.json")).unwrap();
    let created = c
        .create(&t, new_customer(&body), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created, *john);
    let found = c.find(&t, &Key::Name("John Doe".into())).await.unwrap();
    assert_eq!(found, vec![john.clone()]);

    let updated = c.update(&t, john.clone(), None).await.unwrap();
    assert_eq!(updated.name.display.as_deref(), Some("Updated Name"));
    assert_eq!(
        updated.default_email().unwrap().address,
        "updated@example.com"
    );
    assert_eq!(updated.tax.tin.as_deref(), Some("123456789012345"));

    let deleted = c.delete(&t, &john.id, None).await.unwrap();
    assert_eq!(deleted, *john);
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|(m, p, _, _)| m == "DELETE" && p == "/api/customer/John%20Doe"));

    // Failures map to canonical kinds.
    for (name, kind, temporary) in [
        ("Broken", ErrorKind::UpstreamUnavailable, true),
        ("Slow", ErrorKind::UpstreamTimeout, true),
        ("Moved", ErrorKind::UpstreamUnavailable, false),
        ("Huge", ErrorKind::UpstreamUnavailable, false),
        ("Invalid", ErrorKind::Validation, false),
    ] {
        let e = c.find(&t, &Key::Name(name.into())).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{name}: {e}");
        assert_eq!(e.is_temporary(), temporary, "{name}");
        if kind == ErrorKind::Validation {
            assert_eq!(e.fields()[0].field, "PageSize");
        }
    }
    // A 404 from the upstream is a canonical not-found.
    let mut ghost = john.clone();
    ghost.seq = Some(2);
    let e = c.update(&t, ghost, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}
