#![cfg(feature = "server")]
//! The dialect's routes in an actix test service over `MemoryStore`, configured like
//! config/default.toml: the seed's examples and curl samples, the validation and auth
//! matrices, demo↔acme isolation on every endpoint, lists, lookups by name, updates and
//! deletes.

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use actix_web::App;
use common::*;
use custgate_core::{
    Customer, CustomerStore, Email, Identification, Key, Phone, PhoneKind, Query, Status,
};
use custgate_tenant::convert;
use serde_json::{json, Value};

struct Reply {
    status: u16,
    headers: HeaderMap,
    json: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The names of the fields in a ValidationProblemDetails, sorted.
    fn error_fields(&self) -> Vec<String> {
        assert_eq!(self.status, 400, "{}", self.json);
        assert_eq!(
            self.json["title"],
            "One or more validation errors occurred."
        );
        assert_eq!(self.json["status"], 400);
        assert!(self.json["traceId"].is_string());
        let mut f: Vec<String> = self.json["errors"]
            .as_object()
            .unwrap_or_else(|| panic!("no errors in {}", self.json))
            .keys()
            .cloned()
            .collect();
        f.sort();
        f
    }
}

async fn send<S, R, B>(app: &S, req: R) -> Reply
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = test::read_body(res).await;
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        json,
    }
}

macro_rules! service {
    ($setup:expr) => {{
        let server = custgate_tenant::server(&$setup).expect("the server builds");
        test::init_service(App::new().configure(move |c| server.configure(c))).await
    }};
}

fn get(path: &str, tenant: &str) -> TestRequest {
    TestRequest::get().uri(path).insert_header(bearer(tenant))
}

fn post(path: &str, tenant: &str, body: &Value) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(bearer(tenant))
        .set_json(body)
}

fn put(path: &str, tenant: &str, body: &Value) -> TestRequest {
    TestRequest::put()
        .uri(path)
        .insert_header(bearer(tenant))
        .set_json(body)
}

fn delete(path: &str, tenant: &str) -> TestRequest {
    TestRequest::delete()
        .uri(path)
        .insert_header(bearer(tenant))
}

fn with_id(mut v: Value, id: i64) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("cusId".into(), id.into());
    out.append(v.as_object_mut().unwrap());
    Value::Object(out)
}

#[actix_rt::test]
async fn seed_curl_samples_replay() {
    let (setup, _) = setup();
    let app = service!(setup);
    // curl -X POST -H "Authorization: Bearer <token>" -H "Content-Type: application/json" -d '{…}' …/api/customer
    let curl_body = fixture_text("curl_create_request.json");
    let r = send(
        &app,
        TestRequest::post()
            .uri("/api/customer")
            .insert_header(bearer("demo"))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(curl_body.clone())
            .to_request(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.header("location"), Some("/api/customer/John%20Doe"));
    let expected = with_id(serde_json::from_str(&curl_body).unwrap(), 1);
    assert_eq!(r.json, expected);

    // curl -H "Authorization: Bearer <token>" "…/api/customer?CusName=John&PageSize=5"
    let r = send(
        &app,
        get("/api/customer?CusName=John&PageSize=5", "demo").to_request(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-total-count"), Some("1"));
    assert_eq!(r.json, json!([expected]));
}

#[actix_rt::test]
async fn seed_examples_go_through_every_endpoint() {
    let (setup, _) = setup();
    let app = service!(setup);
    let create = fixture("create_request.json");
    let r = send(&app, post("/api/customer", "demo", &create).to_request()).await;
    assert_eq!(r.status, 201);
    let created = with_id(create, 1);
    assert_eq!(r.json, created);

    let r = send(&app, get("/api/customer/John%20Doe", "demo").to_request()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, created);

    let update = fixture("update_request.json");
    let r = send(&app, put("/api/customer/1", "demo", &update).to_request()).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let updated = with_id(update, 1);
    assert_eq!(r.json, updated);

    let r = send(&app, get("/api/customer", "demo").to_request()).await;
    assert_eq!(r.json, json!([updated]));
    assert_eq!(r.header("x-total-count"), Some("1"));

    let r = send(
        &app,
        delete("/api/customer/Updated%20Name", "demo").to_request(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.json, Value::Null);
    let r = send(
        &app,
        get("/api/customer/Updated%20Name", "demo").to_request(),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["title"], "Not Found");
    assert_eq!(r.json["status"], 404);
    assert!(r.json["traceId"].is_string());
}

#[actix_rt::test]
async fn records_without_address_have_the_seed_list_shape() {
    let (setup, store) = setup();
    let app = service!(setup);
    // A customer written elsewhere with exactly the seed list example's data.
    let seed: custgate_tenant::wire::CustomerRecord =
        serde_json::from_value(fixture("get_response.json")).unwrap();
    let c = convert::from_record(&seed).unwrap();
    let c = Customer {
        id: Customer::new().id,
        ..c
    };
    store
        .create(&tenant("demo"), c, Default::default())
        .await
        .unwrap();
    let r = send(&app, get("/api/customer", "demo").to_request()).await;
    assert_eq!(r.json, fixture("list_response.json"));
    let r = send(&app, get("/api/customer/John%20Doe", "demo").to_request()).await;
    assert_eq!(r.json, fixture("get_response.json"));
}

#[actix_rt::test]
async fn validation_matrix_over_http() {
    let (setup, store) = setup();
    let app = service!(setup);
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("cusName", json!(null), vec!["cusName"]),
        ("idNo", json!(""), vec!["idNo"]),
        ("bldgNo", json!(null), vec!["bldgNo"]),
        ("street", json!("  "), vec!["street"]),
        ("city", json!(null), vec!["city"]),
        ("postalCode", json!(null), vec!["postalCode"]),
        ("vatNo", json!("30000000000003"), vec!["vatNo"]),
        ("vatNo", json!("100000000000003"), vec!["vatNo"]),
        ("vatNo", json!("300000000000001"), vec!["vatNo"]),
        ("idType", json!("PAS"), vec!["idType"]),
        ("postalCode", json!("1234"), vec!["postalCode"]),
        ("cusMobile", json!(555), vec!["cusMobile"]),
    ];
    for (field, value, failing) in cases {
        let mut b = body("Valid");
        b[field] = value.clone();
        for req in [
            post("/api/customer", "demo", &b),
            put("/api/customer/1", "demo", &b),
        ] {
            let r = send(&app, req.to_request()).await;
            assert_eq!(r.error_fields(), failing, "{field} = {value}");
        }
    }
    // Every rule at once.
    let r = send(
        &app,
        post(
            "/api/customer",
            "demo",
            &json!({"cusType": "B2B", "idType": "X", "vatNo": "1"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(
        r.error_fields(),
        [
            "bldgNo",
            "city",
            "cusName",
            "idNo",
            "idType",
            "postalCode",
            "street",
            "vatNo"
        ]
    );
    let r = send(
        &app,
        post(
            "/api/customer",
            "demo",
            &json!({"cusName": "x", "idNo": "1", "bldgNo": "1", "street": "s", "city": "c",
                    "postalCode": "123", "cusType": "b2b"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(r.error_fields(), ["postalCode"]);
    assert_eq!(
        r.json["errors"]["postalCode"][0],
        "postalCode must be exactly 5 characters long for B2B customers"
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json; charset=utf-8")
    );
    // Nothing was half-written.
    let all = store
        .query(&tenant("demo"), &Query::default())
        .await
        .unwrap();
    assert!(all.items.is_empty());
}

#[actix_rt::test]
async fn malformed_bodies_are_refused_in_the_dialect_envelope() {
    let (setup, _) = setup();
    let app = service!(setup);
    let raw = |payload: Vec<u8>| {
        TestRequest::post()
            .uri("/api/customer")
            .insert_header(bearer("demo"))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(payload)
    };
    let r = send(&app, raw(b"{".to_vec()).to_request()).await;
    assert_eq!(r.error_fields(), ["$"]);
    let r = send(&app, raw(b"[1,2]".to_vec()).to_request()).await;
    assert_eq!(r.error_fields(), ["$"]);
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let r = send(&app, raw(deep.into_bytes()).to_request()).await;
    assert_eq!(r.error_fields(), ["$"]);
    let big = format!("{{\"cusName\":\"{}\"}}", "x".repeat(1024 * 1024));
    let r = send(&app, raw(big.into_bytes()).to_request()).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json["status"], 413);
    let r = send(
        &app,
        TestRequest::post()
            .uri("/api/customer")
            .insert_header(bearer("demo"))
            .insert_header(("Content-Type", "text/plain"))
            .set_payload(fixture_text("create_request.json"))
            .to_request(),
    )
    .await;
    assert_eq!(r.status, 415);
    // Property names are matched without regard to case, unknown ones ignored.
    let mut shouting = serde_json::Map::new();
    for (k, v) in fixture("create_request.json").as_object().unwrap() {
        shouting.insert(k.to_uppercase(), v.clone());
    }
    shouting.insert("Extra".into(), json!({"nested": true}));
    let r = send(
        &app,
        post("/api/customer", "demo", &Value::Object(shouting)).to_request(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json, with_id(fixture("create_request.json"), 1));
}

/// Every endpoint, as (method, path, body).
fn endpoints() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "/api/customer", None),
        ("POST", "/api/customer", Some(body("New"))),
        ("GET", "/api/customer/John%20Doe", None),
        ("PUT", "/api/customer/1", Some(body("John Doe"))),
        ("DELETE", "/api/customer/John%20Doe", None),
    ]
}

fn request(method: &str, path: &str, body: &Option<Value>) -> TestRequest {
    let r = match method {
        "GET" => TestRequest::get(),
        "POST" => TestRequest::post(),
        "PUT" => TestRequest::put(),
        _ => TestRequest::delete(),
    }
    .uri(path);
    match body {
        Some(b) => r.set_json(b),
        None => r,
    }
}

#[actix_rt::test]
async fn auth_matrix_on_every_endpoint() {
    let (setup, _) = setup();
    let app = service!(setup);
    let r = send(
        &app,
        post("/api/customer", "demo", &body("John Doe")).to_request(),
    )
    .await;
    assert_eq!(r.status, 201);

    let t = now();
    let none_token = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(json!({"TenantId": "demo", "exp": t + 600}).to_string())
        )
    };
    let bad: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("not bearer", Some(format!("Basic {}", token("demo")))),
        ("malformed", Some("Bearer not-a-jwt".into())),
        (
            "wrong key",
            Some(format!(
                "Bearer {}",
                hs256(
                    json!({"TenantId": "demo", "exp": t + 600}),
                    "another-secret"
                )
            )),
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                hs256(json!({"TenantId": "demo", "exp": t - 120}), SECRET)
            )),
        ),
        (
            "not yet valid",
            Some(format!(
                "Bearer {}",
                hs256(
                    json!({"TenantId": "demo", "exp": t + 7200, "nbf": t + 3600}),
                    SECRET
                )
            )),
        ),
        (
            "no exp",
            Some(format!(
                "Bearer {}",
                hs256(json!({"TenantId": "demo"}), SECRET)
            )),
        ),
        (
            "no TenantId",
            Some(format!("Bearer {}", hs256(json!({"exp": t + 600}), SECRET))),
        ),
        (
            "unknown tenant",
            Some(format!(
                "Bearer {}",
                hs256(json!({"TenantId": "ghost", "exp": t + 600}), SECRET)
            )),
        ),
        (
            "tenant without a tenant section",
            Some(format!("Bearer {}", token("other"))),
        ),
        ("alg none", Some(format!("Bearer {none_token}"))),
    ];
    for (method, path, body) in endpoints() {
        for (case, header) in &bad {
            let mut req = request(method, path, &body);
            if let Some(h) = header {
                req = req.insert_header(("Authorization", h.as_str()));
            }
            let r = send(&app, req.to_request()).await;
            assert_eq!(r.status, 401, "{method} {path}: {case}: {}", r.json);
            assert_eq!(r.json["title"], "Unauthorized");
            assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        }
    }
    // Within the leeway an expired token still passes; a numeric exp in the past does not.
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/customer")
            .insert_header((
                "Authorization",
                format!(
                    "Bearer {}",
                    hs256(json!({"TenantId": "demo", "exp": t - 5}), SECRET)
                ),
            ))
            .to_request(),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[actix_rt::test]
async fn algorithm_confusion_is_refused_with_rsa_and_ec_keys() {
    let store = std::sync::Arc::new(custgate_core::MemoryStore::new());
    for (alg, public, private) in [
        (
            jsonwebtoken::Algorithm::RS256,
            "keys/rsa_public.pem",
            "keys/rsa_private.pem",
        ),
        (
            jsonwebtoken::Algorithm::ES256,
            "keys/ec_public.pem",
            "keys/ec_private.pem",
        ),
    ] {
        let public_pem = fixture_text(public);
        let private_pem = fixture_text(private);
        let global = json!({
            "jwt_algorithm": format!("{alg:?}"),
            "public_key_pem": public_pem,
            "private_key_pem": private_pem,
        });
        let app = service!(setup_with(global, store.clone()));
        let claims = json!({"TenantId": "demo", "exp": now() + 600});
        let key = if alg == jsonwebtoken::Algorithm::RS256 {
            jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap()
        } else {
            jsonwebtoken::EncodingKey::from_ec_pem(private_pem.as_bytes()).unwrap()
        };
        let good = jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, &key).unwrap();
        // HS256 keyed with the public key: the classic confusion attack.
        let confused = hs256(claims.clone(), &public_pem);
        for (token, status) in [(good, 200), (confused, 401), (token("demo"), 401)] {
            let r = send(
                &app,
                TestRequest::get()
                    .uri("/api/customer")
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .to_request(),
            )
            .await;
            assert_eq!(r.status, status, "{alg:?}");
        }
        // Login issues tokens signed with the private key.
        let r = send(
            &app,
            TestRequest::post()
                .uri("/api/account/login")
                .set_json(json!({"tenantId": "demo", "userId": "demo", "password": "demo"}))
                .to_request(),
        )
        .await;
        assert_eq!(r.status, 200);
        let header = jsonwebtoken::decode_header(r.json["token"].as_str().unwrap()).unwrap();
        assert_eq!(header.alg, alg);
    }
}

#[actix_rt::test]
async fn configuration_is_checked_at_start() {
    let store = std::sync::Arc::new(custgate_core::MemoryStore::new());
    let mut s = setup_with(
        json!({"jwt_algorithm": "RS256", "public_key_pem": fixture_text("keys/rsa_public.pem")}),
        store.clone(),
    );
    let e = custgate_tenant::server(&s).err().unwrap();
    assert_eq!(
        e.path, "dialects.tenant.private_key_pem",
        "users need a signing key"
    );
    s.tenants.retain(|t| t.config.is_none());
    assert!(
        custgate_tenant::server(&s).is_ok(),
        "verify-only is fine without users"
    );

    let e = custgate_tenant::server(&setup_with(
        json!({"jwt_algorithm": "RS256",
               "public_key_pem": fixture_text("keys/rsa_public.pem"),
               "private_key_pem": fixture_text("keys/other_rsa_private.pem")}),
        store.clone(),
    ))
    .err()
    .unwrap();
    assert!(e.message.contains("does not match"), "{e}");

    let mut s = setup_with(global(), store.clone());
    s.tenants[0].config = Some(json!({"users": [
        {"user_id": "a", "password_hash": DEMO_HASH},
        {"user_id": "a", "password_hash": DEMO_HASH}
    ]}));
    assert_eq!(
        custgate_tenant::server(&s).err().unwrap().path,
        "tenants.demo.tenant.users[1].user_id"
    );
    s.tenants[0].config = Some(json!({"users": [{"user_id": "a", "password_hash": "plain"}]}));
    assert_eq!(
        custgate_tenant::server(&s).err().unwrap().path,
        "tenants.demo.tenant"
    );
    s.tenants[0].config = Some(json!({"user": []}));
    assert_eq!(
        custgate_tenant::server(&s).err().unwrap().path,
        "tenants.demo.tenant"
    );
    let e = custgate_tenant::server(&setup_with(json!({}), store))
        .err()
        .unwrap();
    assert_eq!(e.path, "dialects.tenant.jwt_secret");
}

#[actix_rt::test]
async fn tenants_are_isolated_on_every_endpoint() {
    let (setup, _) = setup();
    let app = service!(setup);
    let r = send(
        &app,
        post("/api/customer", "demo", &body("John Doe")).to_request(),
    )
    .await;
    assert_eq!(r.status, 201);
    let demo_record = r.json;

    // acme sees nothing of demo's.
    for (method, path, body) in endpoints() {
        if method == "POST" {
            continue;
        }
        let r = send(
            &app,
            request(method, path, &body)
                .insert_header(bearer("acme"))
                .to_request(),
        )
        .await;
        match method {
            "GET" if path == "/api/customer" => {
                assert_eq!(r.status, 200);
                assert_eq!(r.json, json!([]));
                assert_eq!(r.header("x-total-count"), Some("0"));
            }
            _ => assert_eq!(r.status, 404, "{method} {path}"),
        }
    }
    // acme's own customer 1 is a different record.
    let r = send(
        &app,
        post("/api/customer", "acme", &body("Acme One")).to_request(),
    )
    .await;
    assert_eq!(r.json["cusId"], 1);
    let r = send(
        &app,
        put("/api/customer/1", "acme", &body("Acme Renamed")).to_request(),
    )
    .await;
    assert_eq!(r.json["cusName"], "Acme Renamed");
    let r = send(
        &app,
        get("/api/customer/Acme%20Renamed", "demo").to_request(),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(&app, get("/api/customer?CusName=acme", "demo").to_request()).await;
    assert_eq!(r.json, json!([]));
    let r = send(
        &app,
        delete("/api/customer/Acme%20Renamed", "demo").to_request(),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(&app, get("/api/customer/John%20Doe", "demo").to_request()).await;
    assert_eq!(r.json, demo_record, "demo's record is untouched");
    let r = send(&app, get("/api/customer", "acme").to_request()).await;
    assert_eq!(r.header("x-total-count"), Some("1"));
}

/// Five customers for the list tests.
fn list_seed() -> Vec<TestRequest> {
    let people = [
        (
            "Charlie Brown",
            "0551111111",
            "B2C",
            "NAT",
            "111",
            "charlie@example.com",
            "300000000000013",
        ),
        (
            "alice Smith",
            "0552222222",
            "B2B",
            "CRN",
            "222",
            "alice@example.com",
            "300000000000023",
        ),
        (
            "Bob Johnson",
            "0553333333",
            "B2C",
            "IQA",
            "333",
            "bob@example.com",
            "300000000000033",
        ),
        (
            "Dora Johnson",
            "+4712345678",
            "B2B",
            "CRN",
            "444",
            "dora@example.com",
            "300000000000043",
        ),
        (
            "Eve",
            "0555555555",
            "B2C",
            "NAT",
            "555",
            "eve@example.com",
            "300000000000053",
        ),
    ];
    people
        .into_iter()
        .map(|(name, mobile, ty, id_type, id_no, email, vat)| {
            let b = json!({"cusName": name, "cusMobile": mobile, "cusType": ty, "idType": id_type,
                "idNo": id_no, "bldgNo": "1", "street": "s", "city": "Riyadh", "postalCode": "12345",
                "email": email, "vatNo": vat});
            post("/api/customer", "demo", &b)
        })
        .collect()
}

fn names(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cusName"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_rt::test]
async fn lists_filter_sort_and_page() {
    let (setup, _) = setup();
    let app = service!(setup);
    for req in list_seed() {
        let r = send(&app, req.to_request()).await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
    let list = |qs: &str| get(&format!("/api/customer{qs}"), "demo").to_request();

    for (qs, expected, total) in [
        (
            "",
            vec![
                "Charlie Brown",
                "alice Smith",
                "Bob Johnson",
                "Dora Johnson",
                "Eve",
            ],
            "5",
        ),
        ("?CusName=johnson", vec!["Bob Johnson", "Dora Johnson"], "2"),
        ("?cusname=JOHN&custype=b2b", vec!["Dora Johnson"], "1"),
        ("?CusMobile=0553333333", vec!["Bob Johnson"], "1"),
        ("?CusMobile=%2B966553333333", vec!["Bob Johnson"], "1"),
        ("?CusMobile=%2B4712345678", vec!["Dora Johnson"], "1"),
        ("?CusType=B2B", vec!["alice Smith", "Dora Johnson"], "2"),
        ("?Email=eve@example.com", vec!["Eve"], "1"),
        ("?Email=EVE@example.com", vec![], "0"),
        ("?IdNo=222", vec!["alice Smith"], "1"),
        ("?VatNo=300000000000033", vec!["Bob Johnson"], "1"),
        (
            "?CusName=&IdNo=",
            vec![
                "Charlie Brown",
                "alice Smith",
                "Bob Johnson",
                "Dora Johnson",
                "Eve",
            ],
            "5",
        ),
        (
            "?SortBy=CusName",
            vec![
                "alice Smith",
                "Bob Johnson",
                "Charlie Brown",
                "Dora Johnson",
                "Eve",
            ],
            "5",
        ),
        (
            "?sortby=cusname&isdescending=TRUE",
            vec![
                "Eve",
                "Dora Johnson",
                "Charlie Brown",
                "Bob Johnson",
                "alice Smith",
            ],
            "5",
        ),
        (
            "?SortBy=email&PageSize=2",
            vec!["alice Smith", "Bob Johnson"],
            "5",
        ),
        (
            "?SortBy=VatNo&IsDescending=true&PageSize=2&PageNumber=2",
            vec!["Bob Johnson", "alice Smith"],
            "5",
        ),
        (
            "?SortBy=cusType&PageSize=2",
            vec!["alice Smith", "Dora Johnson"],
            "5",
        ),
        (
            "?SortBy=cusId&IsDescending=true&PageSize=1",
            vec!["Eve"],
            "5",
        ),
        (
            "?IsDescending=true&PageSize=2",
            vec!["Eve", "Dora Johnson"],
            "5",
        ),
        ("?PageSize=2&PageNumber=3", vec!["Eve"], "5"),
        ("?PageSize=2&PageNumber=4", vec![], "5"),
        (
            "?CusName=o&PageSize=2&PageNumber=2&SortBy=cusName",
            vec!["Dora Johnson"],
            "3",
        ),
    ] {
        let r = send(&app, list(qs)).await;
        assert_eq!(names(&r), expected, "{qs}");
        assert_eq!(r.header("x-total-count"), Some(total), "{qs}");
    }

    for (qs, fields) in [
        ("?PageSize=101", vec!["PageSize"]),
        ("?PageSize=0", vec!["PageSize"]),
        ("?PageNumber=0", vec!["PageNumber"]),
        ("?PageNumber=x&PageSize=-1", vec!["PageNumber", "PageSize"]),
        (
            "?PageNumber=18446744073709551615&PageSize=100",
            vec!["PageNumber"],
        ),
        ("?SortBy=Nope", vec!["SortBy"]),
        ("?SortBy=cusMobile", vec!["SortBy"]),
        ("?IsDescending=maybe", vec!["IsDescending"]),
        ("?CusType=B2G", vec!["CusType"]),
        ("?CusName=a&cusName=b", vec!["CusName"]),
        ("?Unknown=1", vec!["Unknown"]),
        (
            "?SortBy=x&IsDescending=x&PageSize=x",
            vec!["IsDescending", "PageSize", "SortBy"],
        ),
    ] {
        let r = send(&app, list(qs)).await;
        assert_eq!(r.error_fields(), fields, "{qs}");
    }
    let r = send(&app, list("?SortBy=Nope")).await;
    assert!(r.json["errors"]["SortBy"][0]
        .as_str()
        .unwrap()
        .contains("'Nope'"));
}

/// A misspelt filter would otherwise be ignored and the list answer every customer of the
/// tenant: unknown parameters are a 400 naming each one (once), with the known ones.
#[actix_rt::test]
async fn unknown_list_parameters_are_refused() {
    let (setup, _) = setup();
    let app = service!(setup);
    for req in list_seed() {
        let r = send(&app, req.to_request()).await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
    let list = |qs: &str| get(&format!("/api/customer{qs}"), "demo").to_request();

    let r = send(&app, list("?CusNmae=johnson")).await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["title"], "One or more validation errors occurred.");
    assert_eq!(
        r.json["errors"],
        json!({"CusNmae": ["'CusNmae' is not a list parameter; the parameters are CusName, \
            CusMobile, CusType, Email, IdNo, VatNo, SortBy, IsDescending, PageNumber, PageSize"]})
    );
    assert!(r.header("x-total-count").is_none());

    // Each unknown name once, next to the other problems; empty values count too.
    let r = send(
        &app,
        list("?CusName=o&Name=x&Name=y&Page=2&PageSize=0&mail="),
    )
    .await;
    assert_eq!(r.error_fields(), ["Name", "Page", "PageSize", "mail"]);
    assert_eq!(r.json["errors"]["Name"].as_array().unwrap().len(), 1);

    // The documented names in any case still filter.
    let r = send(&app, list("?CUSNAME=johnson&pagesize=1")).await;
    assert_eq!(names(&r), ["Bob Johnson"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
}

#[actix_rt::test]
async fn names_address_records_exactly() {
    let (setup, _) = setup();
    let app = service!(setup);
    for name in ["Same", "Same", "123", "a/b c", "Zoë & Co"] {
        let r = send(
            &app,
            post("/api/customer", "demo", &body(name)).to_request(),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let r = send(&app, get("/api/customer/Same", "demo").to_request()).await;
    assert_eq!(r.json["cusId"], 1, "the lowest cusId wins");
    let r = send(&app, get("/api/customer/same", "demo").to_request()).await;
    assert_eq!(r.status, 404, "names are case-sensitive");
    let r = send(&app, get("/api/customer/123", "demo").to_request()).await;
    assert_eq!(r.json["cusId"], 3, "a number in the path is a name");
    let r = send(&app, get("/api/customer/1", "demo").to_request()).await;
    assert_eq!(r.status, 404);

    // Location headers encode the name; they resolve to the record.
    let r = send(
        &app,
        post("/api/customer", "demo", &body("Zoë/Ünïcode ?#")).to_request(),
    )
    .await;
    let loc = r.header("location").unwrap().to_owned();
    assert_eq!(loc, "/api/customer/Zo%C3%AB%2F%C3%9Cn%C3%AFcode%20%3F%23");
    let got = send(&app, get(&loc, "demo").to_request()).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json, r.json);
    let r = send(&app, get("/api/customer/a%2Fb%20c", "demo").to_request()).await;
    assert_eq!(r.json["cusName"], "a/b c");

    // DELETE removes the first of the same-named, then the next.
    let r = send(&app, delete("/api/customer/Same", "demo").to_request()).await;
    assert_eq!(r.status, 204);
    let r = send(&app, get("/api/customer/Same", "demo").to_request()).await;
    assert_eq!(r.json["cusId"], 2);
    let r = send(
        &app,
        delete("/api/customer/Zo%C3%AB%20%26%20Co", "demo").to_request(),
    )
    .await;
    assert_eq!(r.status, 204);
    let r = send(&app, delete("/api/customer/Nobody", "demo").to_request()).await;
    assert_eq!(r.status, 404);
    let r = send(&app, get("/api/customer", "demo").to_request()).await;
    assert_eq!(r.header("x-total-count"), Some("4"));
}

#[actix_rt::test]
async fn updates_merge_onto_the_stored_record() {
    let (setup, store) = setup();
    let app = service!(setup);
    let r = send(
        &app,
        post("/api/customer", "demo", &body("John Doe")).to_request(),
    )
    .await;
    assert_eq!(r.status, 201);
    let demo = tenant("demo");
    // Another dialect adds what this one does not carry.
    let mut c = custgate_core::find_one(store.as_ref(), &demo, &Key::Seq(1))
        .await
        .unwrap();
    c.note = Some("VIP".into());
    c.status = Status::Quote;
    c.phones.push(Phone {
        kind: PhoneKind::Fax,
        number: "+966112223333".into(),
        ..Phone::default()
    });
    c.emails.push(Email {
        address: "billing@example.com".into(),
        ..Email::default()
    });
    c.identifications.push(Identification {
        scheme: "PAS".into(),
        value: "P123".into(),
    });
    c.extension_mut("odata")
        .insert("GLN".into(), json!("7080000000000"));
    let c = store.update(&demo, c, None).await.unwrap();
    let version = c.version;

    let mut b = fixture("update_request.json");
    b["cusMobile"] = json!("+966 50 000 0000");
    b["cusType"] = json!("Walk-in");
    b["idType"] = json!(null);
    let r = send(&app, put("/api/customer/1", "demo", &b).to_request()).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["cusMobile"], "0500000000");
    assert_eq!(r.json["cusType"], "Walk-in");
    assert_eq!(r.json["idType"], Value::Null);
    assert_eq!(r.json["email"], "updated@example.com");

    let after = store.get(&demo, &c.id).await.unwrap();
    assert_eq!(after.version, version.next());
    assert_eq!(after.note.as_deref(), Some("VIP"));
    assert_eq!(after.status, Status::Quote);
    assert_eq!(after.phones.len(), 2);
    assert_eq!(after.phones[0].number, "+966500000000");
    assert_eq!(after.emails.len(), 2);
    assert_eq!(after.emails[0].address, "updated@example.com");
    assert_eq!(after.identification("PAS"), Some("P123"));
    assert_eq!(after.identification("OTH"), Some("123456789"));
    assert!(after.extension("odata").is_some());
    assert_eq!(after.extension("tenant").unwrap()["cusType"], "Walk-in");
    assert_eq!(after.name.display.as_deref(), Some("Updated Name"));

    // Bad ids, mismatched body ids and absent records.
    let r = send(
        &app,
        put("/api/customer/abc", "demo", &body("x")).to_request(),
    )
    .await;
    assert_eq!(r.error_fields(), ["CusId"]);
    let mut with_other_id = body("x");
    with_other_id["cusId"] = json!(2);
    let r = send(
        &app,
        put("/api/customer/1", "demo", &with_other_id).to_request(),
    )
    .await;
    assert_eq!(r.error_fields(), ["cusId"]);
    with_other_id["cusId"] = json!(1);
    let r = send(
        &app,
        put("/api/customer/1", "demo", &with_other_id).to_request(),
    )
    .await;
    assert_eq!(r.status, 200, "the read shape echoed back is accepted");
    let r = send(
        &app,
        put("/api/customer/99", "demo", &body("x")).to_request(),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(
        &app,
        put("/api/customer/99", "demo", &json!({})).to_request(),
    )
    .await;
    assert_eq!(r.status, 400, "the body is checked before the lookup");
    // POST ignores a cusId.
    let r = send(
        &app,
        post("/api/customer", "demo", &with_id(body("Fresh"), 77)).to_request(),
    )
    .await;
    assert_eq!(r.json["cusId"], 2);
}

#[actix_rt::test]
async fn customers_written_elsewhere_read_in_the_dialect_form() {
    let (setup, store) = setup();
    let app = service!(setup);
    let mut c = Customer::new();
    c.name.first = Some("Sara".into());
    c.name.last = Some("Ali".into());
    c.kind = Some(custgate_core::CustomerKind::Person);
    c.phones.push(Phone {
        kind: PhoneKind::Mobile,
        number: "+966568617084".into(),
        country_code: Some("966".into()),
        ..Phone::default()
    });
    c.identifications.push(Identification {
        scheme: "ORG".into(),
        value: "999".into(),
    });
    c.identifications.push(Identification {
        scheme: "IQA".into(),
        value: "2100000000".into(),
    });
    c.addresses.push(custgate_core::Address {
        kind: custgate_core::AddressKind::Shipping,
        city: Some("Jeddah".into()),
        ..Default::default()
    });
    store
        .create(&tenant("demo"), c, Default::default())
        .await
        .unwrap();
    let r = send(&app, get("/api/customer/Sara%20Ali", "demo").to_request()).await;
    assert_eq!(
        r.json,
        json!({"cusId": 1, "cusName": "Sara Ali", "cusMobile": "0568617084", "cusType": "B2C",
               "idType": "IQA", "idNo": "2100000000", "email": null, "vatNo": null})
    );
    let r = send(
        &app,
        get("/api/customer?CusMobile=0568617084", "demo").to_request(),
    )
    .await;
    assert_eq!(names(&r), ["Sara Ali"]);
}

#[actix_rt::test]
async fn login_issues_tokens_for_configured_users() {
    let (setup, _) = setup();
    let app = service!(setup);
    let login = |b: Value| {
        TestRequest::post()
            .uri("/api/account/login")
            .set_json(b)
            .to_request()
    };
    let r = send(
        &app,
        login(json!({"tenantId": "demo", "userId": "demo", "password": "demo"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["userName"], "demo");
    assert_eq!(r.json["tenantId"], "demo");
    assert_eq!(r.json["email"], "demo@example.com");
    let demo_token = r.json["token"].as_str().unwrap().to_owned();

    let r = send(
        &app,
        TestRequest::post()
            .uri("/api/customer")
            .insert_header(("Authorization", format!("Bearer {demo_token}")))
            .set_json(body("Via Login"))
            .to_request(),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = send(
        &app,
        login(json!({"TenantId": "acme", "UserId": "acme", "Password": "acme"})),
    )
    .await;
    let acme_token = r.json["token"].as_str().unwrap().to_owned();
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/customer")
            .insert_header(("Authorization", format!("Bearer {acme_token}")))
            .to_request(),
    )
    .await;
    assert_eq!(
        r.json,
        json!([]),
        "acme's token does not reach demo's customers"
    );

    for bad in [
        json!({"tenantId": "demo", "userId": "demo", "password": "wrong"}),
        json!({"tenantId": "demo", "userId": "acme", "password": "acme"}),
        json!({"tenantId": "acme", "userId": "demo", "password": "demo"}),
        json!({"tenantId": "ghost", "userId": "demo", "password": "demo"}),
        json!({"tenantId": "other", "userId": "demo", "password": "demo"}),
        json!({"tenantId": "Not A Tenant", "userId": "demo", "password": "demo"}),
    ] {
        let r = send(&app, login(bad.clone())).await;
        assert_eq!(r.status, 401, "{bad}");
        assert!(r.json.get("token").is_none());
    }
    let r = send(&app, login(json!({"tenantId": "demo", "password": 5}))).await;
    assert_eq!(r.error_fields(), ["password", "userId"]);
}
