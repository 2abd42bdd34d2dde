//! The upstream client: against this crate's own server on a loopback port, and against a
//! mock that answers with the seed's example payloads.

mod common;

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::*;
use custgate_core::{
    Address, AddressKind, CmpOp, Contact, Count, CreateOptions, Customer, CustomerId, CustomerKind,
    CustomerStore, Email, ErrorKind, Field, Filter, Identification, Key, MemoryStore, Phone,
    PhoneKind, Query, SortKey, Status, TextOp, Value as FieldValue,
};
use custgate_odata::{Client, ClientConfig};
use custgate_testkit::fixtures::seed_text;
use serde_json::{json, Value};

fn client(base: &str, token: &str, key: &str) -> Client {
    let config: ClientConfig = serde_json::from_value(json!({
        "upstream": {"base_url": base, "request_timeout_ms": 5000},
        "token": token,
        "company_key": key
    }))
    .unwrap();
    Client::new(config).unwrap()
}

async fn spawn_gateway() -> (String, Arc<MemoryStore>, actix_web::dev::ServerHandle) {
    let (setup, store) = setup();
    let server = custgate_odata::server(&setup).unwrap();
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
    (format!("http://127.0.0.1:{port}/"), store, handle)
}

fn rich_customer() -> Customer {
    let mut c = Customer::new();
    c.kind = Some(CustomerKind::Company);
    c.name.display = Some("Fjord Shipping AS".into());
    c.identifications.push(Identification {
        scheme: "ORG".into(),
        value: "914012708".into(),
    });
    c.finance.credit_days = Some(14);
    c.finance.currency = Some("NOK".into());
    c.addresses = vec![
        Address {
            kind: AddressKind::Billing,
            lines: vec!["Bryggen 1".into()],
            postal_code: Some("5003".into()),
            city: Some("Bergen".into()),
            country: Some("Norge".into()),
            country_code: Some("NO".into()),
            ..Address::default()
        },
        Address {
            kind: AddressKind::Other,
            lines: vec!["Lager 7".into(), "Port 2".into()],
            city: Some("Oslo".into()),
            country_code: Some("NO".into()),
            ..Address::default()
        },
    ];
    c.phones = vec![
        Phone {
            kind: PhoneKind::Phone,
            number: "+4755000000".into(),
            country_code: Some("47".into()),
            description: Some("Office".into()),
            default: true,
        },
        Phone {
            kind: PhoneKind::Mobile,
            number: "+4799999999".into(),
            country_code: Some("47".into()),
            ..Phone::default()
        },
    ];
    c.emails = vec![
        Email {
            address: "post@fjord.no".into(),
            default: true,
            ..Email::default()
        },
        Email {
            address: "faktura@fjord.no".into(),
            description: Some("Invoices".into()),
            ..Email::default()
        },
    ];
    c.contacts = vec![Contact {
        name: Some("Kari Nordmann".into()),
        email: Some("kari@fjord.no".into()),
        phone: Some("+4791234567".into()),
        relation: Some("CFO".into()),
        primary: true,
        active: true,
        ..Contact::default()
    }];
    c
}

/// The parts of a customer both sides must agree on.
fn essence(c: &Customer) -> Value {
    json!({
        "kind": c.kind, "name": c.display_name(), "ids": c.identifications, "number": c.number,
        "status": c.status, "credit_days": c.finance.credit_days, "currency": c.finance.currency,
        "addresses": c.addresses, "phones": c.phones, "emails": c.emails, "contacts": c.contacts,
    })
}

#[actix_rt::test]
async fn client_against_the_gateway_itself() {
    let (base, store, handle) = spawn_gateway().await;
    let c = client(&base, DEMO_TOKEN, DEMO_KEY);
    let t = demo();
    c.health().await.unwrap();

    let created = c
        .create(&t, rich_customer(), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created.id.as_str(), "1");
    assert_eq!(created.seq, Some(1));
    assert_eq!(created.number.as_deref(), Some("1"));
    let mut want = rich_customer();
    want.number = Some("1".into());
    assert_eq!(essence(&created), essence(&want));
    // What the gateway stored is the same canonical customer.
    let stored = custgate_core::find_one(&*store, &t, &Key::Seq(1))
        .await
        .unwrap();
    assert_eq!(essence(&stored), essence(&want));

    let got = c.get(&t, &created.id).await.unwrap();
    assert_eq!(essence(&got), essence(&want));

    for name in ["Alpha", "Beta", "Gamma"] {
        let mut x = Customer::new();
        x.name.display = Some(name.into());
        c.create(&t, x, CreateOptions::default()).await.unwrap();
    }
    let page = c
        .query(
            &t,
            &Query {
                filter: Some(Filter::Or(vec![
                    Filter::text(Field::DisplayName, TextOp::Contains, "A", true).unwrap(),
                    Filter::compare(Field::Seq, CmpOp::Eq, FieldValue::Int(1)).unwrap(),
                ])),
                sort: vec![SortKey::desc(Field::DisplayName)],
                offset: 1,
                limit: Some(2),
                ..Query::default()
            },
        )
        .await
        .unwrap();
    let names: Vec<String> = page
        .items
        .iter()
        .map(|x| x.display_name().unwrap())
        .collect();
    assert_eq!(names, ["Fjord Shipping AS", "Beta"]);
    assert_eq!(page.total, None);
    assert_eq!(
        c.find(&t, &Key::Number("3".into())).await.unwrap()[0]
            .display_name()
            .unwrap(),
        "Beta"
    );
    assert_eq!(
        c.find(&t, &Key::Name("Gamma".into())).await.unwrap().len(),
        1
    );
    assert_eq!(
        c.find(&t, &Key::Seq(2)).await.unwrap()[0]
            .display_name()
            .unwrap(),
        "Alpha"
    );

    // Update: one phone removed, one e-mail added, the status changed, the name changed.
    let mut changed = got.clone();
    changed.name.display = Some("Fjord Shipping ASA".into());
    changed.phones.remove(1);
    changed.emails.push(Email {
        address: "ny@fjord.no".into(),
        ..Email::default()
    });
    changed.status = Status::Inactive;
    let saved = c.update(&t, changed.clone(), None).await.unwrap();
    assert_eq!(essence(&saved), essence(&changed));
    let stored = custgate_core::find_one(&*store, &t, &Key::Seq(1))
        .await
        .unwrap();
    assert_eq!(essence(&stored), essence(&changed));

    let blocked = c.set_status(&t, &saved.id, Status::Blocked).await.unwrap();
    assert_eq!(blocked.status, Status::Blocked);
    let again = c.set_status(&t, &saved.id, Status::Blocked).await.unwrap();
    assert_eq!(again.status, Status::Blocked);
    assert_eq!(
        c.set_status(&t, &saved.id, Status::Quote)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Unsupported
    );

    let gone = c
        .delete(&t, &CustomerId::parse("2").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(gone.display_name().as_deref(), Some("Alpha"));
    assert_eq!(
        c.get(&t, &CustomerId::parse("2").unwrap())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        c.get(&t, &CustomerId::parse("not-a-number").unwrap())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // What the client cannot do, it says.
    let e = c
        .query(&t, &Query::filtered(Filter::Search("x".into())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = c
        .query(
            &t,
            &Query {
                count: Count::WithTotal,
                ..Query::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("total"));
    let e = c
        .update(&t, saved.clone(), Some(saved.version))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = c
        .find(&t, &Key::Email("post@fjord.no".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    // The gateway's refusals arrive as canonical errors with its message.
    let mut bad = Customer::new();
    bad.name.display = Some("Bad".into());
    bad.emails.push(Email {
        address: "not-an-address".into(),
        ..Email::default()
    });
    let e = c
        .create(&t, bad, CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.message().contains("not an e-mail address"), "{e}");
    let e = client(&base, "wrong", DEMO_KEY).health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamAuth);
    let e = client(&base, DEMO_TOKEN, ACME_KEY)
        .health()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    // Acme sees none of it.
    let acme_client = client(&base, ACME_TOKEN, ACME_KEY);
    assert!(acme_client
        .query(&acme(), &Query::default())
        .await
        .unwrap()
        .items
        .is_empty());

    handle.stop(false).await;
}

#[actix_rt::test]
async fn unreachable_upstreams_are_temporary_errors() {
    let c = client("http://127.0.0.1:1/", DEMO_TOKEN, DEMO_KEY);
    let e = c.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
}

/// What the mock saw.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, String, Option<String>, Option<String>)>,
}

async fn spawn_mock() -> (String, Arc<Mutex<Seen>>, actix_web::dev::ServerHandle) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    let srv = HttpServer::new(move || {
        let record = record.clone();
        App::new()
            .app_data(web::Data::new(record))
            .route(
                "/api/biz/customers",
                web::get().to(
                    |req: HttpRequest, seen: web::Data<Arc<Mutex<Seen>>>| async move {
                        note(&req, &seen);
                        HttpResponse::Ok().json(json!([appendix_a()]))
                    },
                ),
            )
            .route(
                "/api/biz/customers",
                web::post().to(
                    |req: HttpRequest, seen: web::Data<Arc<Mutex<Seen>>>| async move {
                        note(&req, &seen);
                        HttpResponse::InternalServerError()
                            .content_type("application/json")
                            .body(seed_text(env!("CARGO_MANIFEST_DIR"), "server_error.json"))
                    },
                ),
            )
            .route(
                "/api/biz/customers/{id}",
                web::get().to(
                    |req: HttpRequest, seen: web::Data<Arc<Mutex<Seen>>>| async move {
                        note(&req, &seen);
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(seed_text(env!("CARGO_MANIFEST_DIR"), "appendix_a.json"))
                    },
                ),
            )
            .route(
                "/api/biz/customers/{id}",
                web::delete().to(
                    |req: HttpRequest, seen: web::Data<Arc<Mutex<Seen>>>| async move {
                        note(&req, &seen);
                        HttpResponse::BadRequest()
                            .content_type("application/json")
                            .body(seed_text(
                                env!("CARGO_MANIFEST_DIR"),
                                "validation_error.json",
                            ))
                    },
                ),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = srv.addrs()[0].port();
    let running = srv.run();
    let handle = running.handle();
    actix_rt::spawn(running);
    (format!("http://127.0.0.1:{port}/"), seen, handle)
}

fn note(req: &HttpRequest, seen: &Mutex<Seen>) {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    seen.lock().unwrap().requests.push((
        format!("{} {}", req.method(), req.path()),
        req.query_string().to_owned(),
        header("Authorization"),
        header("CompanyKey"),
    ));
}

fn decode(q: &str) -> String {
    let mut out = Vec::new();
    let b = q.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&q[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[actix_rt::test]
async fn client_reads_the_seeds_payloads() {
    let (base, seen, handle) = spawn_mock().await;
    let c = client(&base, "seed-token", DEMO_KEY);
    let t = demo();

    let page = c
        .query(
            &t,
            &Query {
                filter: Some(Filter::And(vec![
                    Filter::eq(Field::Status, FieldValue::text("active")).unwrap(),
                    Filter::eq(Field::DisplayName, FieldValue::text("John Doe")).unwrap(),
                ])),
                limit: Some(10),
                offset: 20,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let john = &page.items[0];
    assert_eq!(john.display_name().as_deref(), Some("John Doe"));
    assert_eq!(john.identification("ORG"), Some("914012708"));
    assert_eq!(john.kind, Some(CustomerKind::Company));
    // Appendix A is a request: its StatusCode is still null, read as a quote (docs.md).
    assert_eq!(john.status, Status::Quote);
    assert_eq!(john.addresses.len(), 2);
    assert_eq!(john.addresses[0].kind, AddressKind::Billing);
    assert_eq!(john.addresses[1].kind, AddressKind::Shipping);
    assert_eq!(
        john.addresses[0].lines,
        ["Address Line 1", "Address Line 2", "Address Line"]
    );
    assert_eq!(john.addresses[0].country_code.as_deref(), Some("NO"));
    assert_eq!(john.phones[0].number, "+979834834678");
    assert!(john.phones[0].default);
    assert_eq!(john.emails[0].address, "user@softrig.com");
    assert_eq!(
        john.extension("odata").unwrap()["fields"]["DefaultSeller"]["Name"],
        "Anders"
    );
    // Rendered back, the customer is the seed's payload again.
    let back = custgate_odata::convert::to_json(john);
    let seed = appendix_a();
    for key in [
        "OrgNumber",
        "Dimensions",
        "DefaultSeller",
        "Distributions",
        "GLN",
        "AvtaleGiro",
    ] {
        assert_eq!(back[key], seed[key], "{key}");
    }
    for key in [
        "InvoiceAddress",
        "ShippingAddress",
        "DefaultPhone",
        "DefaultEmail",
    ] {
        // The seed's children are new (ID 0); the client numbers them locally.
        let mut child = back["Info"][key].clone();
        assert!(child["ID"].as_i64().unwrap() > 0);
        child["ID"] = json!(0);
        assert_eq!(child, seed["Info"][key], "{key}");
    }

    let got = c.get(&t, &CustomerId::parse("5").unwrap()).await.unwrap();
    assert_eq!(got.display_name().as_deref(), Some("John Doe"));

    let e = c
        .delete(&t, &CustomerId::parse("5").unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.message().starts_with("Customer have references"));

    let mut x = Customer::new();
    x.name.display = Some("x".into());
    let e = c.create(&t, x, CreateOptions::default()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
    assert_eq!(e.context_value("error_reference"), Some("MURA28RA"));

    {
        let seen = seen.lock().unwrap();
        let (what, query, auth, key) = &seen.requests[0];
        assert_eq!(what, "GET /api/biz/customers");
        assert_eq!(auth.as_deref(), Some("Bearer seed-token"));
        assert_eq!(key.as_deref(), Some(DEMO_KEY));
        let q = decode(query);
        assert!(
            q.contains("filter=(StatusCode eq 30001) and (Info.Name eq 'John Doe')"),
            "{q}"
        );
        assert!(
            q.contains("top=10") && q.contains("skip=20") && q.contains("expand=Info,"),
            "{q}"
        );
        assert!(seen
            .requests
            .iter()
            .any(|r| r.0 == "DELETE /api/biz/customers/5"));
        assert!(seen
            .requests
            .iter()
            .any(|r| r.0 == "POST /api/biz/customers"));
    }
    handle.stop(false).await;
}
