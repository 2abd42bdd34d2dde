//! The facade over an actix test service and a MemoryStore shared by two tenants, `demo`
//! and `acme`, configured like config/default.toml.

use std::sync::Arc;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use actix_web::App;
use custgate_core::{DynStore, MemoryStore, TenantId};
use custgate_http::{DialectSetup, Limits, TenantSetup};
use serde_json::{json, Value};

const DEMO: &str = "Bearer dev-unified-demo";
const ACME: &str = "Bearer dev-unified-acme";
const BASE: &str = "/unified/v1/customers";

fn tenant(id: &str, store: &DynStore, config: Option<Value>) -> TenantSetup {
    TenantSetup {
        id: TenantId::parse(id).unwrap(),
        store: store.clone(),
        config,
    }
}

/// demo and acme as in config/default.toml, plus `other` without a facade section, all
/// on one store so that only the tenant scoping keeps them apart.
fn setup_with(limits: Limits) -> DialectSetup {
    let store: DynStore = Arc::new(MemoryStore::new());
    DialectSetup {
        global: json!({"enabled": true}),
        tenants: vec![
            tenant(
                "demo",
                &store,
                Some(json!({"tokens": ["dev-unified-demo"]})),
            ),
            tenant(
                "acme",
                &store,
                Some(json!({"tokens": ["dev-unified-acme"]})),
            ),
            tenant("other", &store, None),
        ],
        limits,
    }
}

fn setup() -> DialectSetup {
    setup_with(Limits::default())
}

async fn app_for(
    setup: &DialectSetup,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let server = custgate_unified::server(setup).expect("the configuration is valid");
    test::init_service(App::new().configure(move |c| server.configure(c))).await
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn etag(&self) -> &str {
        self.header(header::ETAG).expect("an ETag")
    }

    fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }

    /// Checks that this is a problem+json answer with `status` and the problem `slug`.
    #[track_caller]
    fn assert_problem(&self, status: u16, slug: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(
            self.header(header::CONTENT_TYPE),
            Some("application/problem+json"),
            "{:#}",
            self.body
        );
        assert_eq!(
            self.body["type"],
            format!("urn:custgate:problem:{slug}"),
            "{:#}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        for member in ["title", "detail", "instance", "request_id"] {
            assert!(
                self.body[member].is_string(),
                "{member} missing: {:#}",
                self.body
            );
        }
    }

    /// The `field` of every entry of `errors`.
    fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

async fn send<S, B>(app: &S, req: TestRequest) -> Reply
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = test::read_body(res).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)))
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn req(method: Method, uri: &str, auth: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header((header::AUTHORIZATION, auth))
}

fn post(uri: &str, auth: &str, body: &Value) -> TestRequest {
    req(Method::POST, uri, auth).set_json(body)
}

fn put(uri: &str, auth: &str, body: &Value) -> TestRequest {
    req(Method::PUT, uri, auth).set_json(body)
}

fn at(id: &str) -> String {
    format!("{BASE}/{id}")
}

fn list_uri(params: &[(&str, &str)]) -> String {
    format!("{BASE}?{}", serde_urlencoded::to_string(params).unwrap())
}

#[actix_rt::test]
async fn crud_with_etags_and_if_match() {
    let app = app_for(&setup()).await;

    let body = json!({
        "kind": "person",
        "name": {"first": "John", "last": "Doe"},
        "emails": [{"address": "john@example.com", "default": true}],
        "phones": [{"kind": "mobile", "number": "+966568617084", "country_code": "966"}],
        "finance": {"credit_limit": 5000, "currency": "SAR"},
        "extensions": {"odata": {"GLN": "7080001"}}
    });
    let created = send(&app, post(BASE, DEMO, &body)).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let id = created.id();
    assert_eq!(created.header(header::LOCATION), Some(at(&id).as_str()));
    assert_eq!(created.etag(), "\"1\"");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["seq"], 1);
    assert_eq!(created.body["number"], "1");
    assert_eq!(created.body["extensions"]["odata"]["GLN"], "7080001");
    assert!(created.body["created_at"].is_string());

    let got = send(&app, req(Method::GET, &at(&id), DEMO)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.etag(), "\"1\"");
    assert_eq!(got.body, created.body);
    assert_eq!(got.body["name"]["first"], "John");

    // A full replace: what is left out is gone; server fields sent are ignored.
    let mut replacement = got.body.clone();
    replacement["note"] = json!("VIP");
    replacement["emails"] = json!([]);
    replacement["version"] = json!(77);
    replacement["seq"] = json!(99);
    let updated = send(
        &app,
        put(&at(&id), DEMO, &replacement).insert_header((header::IF_MATCH, "\"1\"")),
    )
    .await;
    assert_eq!(updated.status, 200, "{:#}", updated.body);
    assert_eq!(updated.etag(), "\"2\"");
    assert_eq!(updated.body["note"], "VIP");
    assert_eq!(updated.body["emails"], json!([]));
    assert_eq!(updated.body["seq"], 1);
    assert_eq!(updated.body["created_at"], created.body["created_at"]);

    // A stale If-Match is refused, with the stored version.
    let stale = send(
        &app,
        put(&at(&id), DEMO, &replacement).insert_header((header::IF_MATCH, "\"1\"")),
    )
    .await;
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(stale.body["stored_version"], 2);

    // Without If-Match the write is unconditional.
    let blind = send(
        &app,
        put(&at(&id), DEMO, &json!({"name": {"display": "J. Doe"}})),
    )
    .await;
    assert_eq!(blind.status, 200);
    assert_eq!(blind.etag(), "\"3\"");
    assert_eq!(blind.body["note"], Value::Null);

    // Status changes, plain and conditional.
    let status = |v: &str| json!({ "status": v });
    let inactive = send(
        &app,
        post(&format!("{}/status", at(&id)), DEMO, &status("inactive")),
    )
    .await;
    assert_eq!(inactive.status, 200, "{:#}", inactive.body);
    assert_eq!(inactive.body["status"], "inactive");
    assert_eq!(inactive.etag(), "\"4\"");
    let stale = send(
        &app,
        post(&format!("{}/status", at(&id)), DEMO, &status("blocked"))
            .insert_header((header::IF_MATCH, "\"3\"")),
    )
    .await;
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(stale.body["stored_version"], 4);
    let blocked = send(
        &app,
        post(&format!("{}/status", at(&id)), DEMO, &status("blocked"))
            .insert_header((header::IF_MATCH, "\"4\"")),
    )
    .await;
    assert_eq!(blocked.status, 200);
    assert_eq!(blocked.body["status"], "blocked");
    assert_eq!(blocked.etag(), "\"5\"");
    let bad = send(
        &app,
        post(&format!("{}/status", at(&id)), DEMO, &status("gone")),
    )
    .await;
    bad.assert_problem(400, "validation");
    assert_eq!(bad.error_fields(), ["status"]);

    // Delete: If-Match honoured, then 204, then 404.
    let stale = send(
        &app,
        req(Method::DELETE, &at(&id), DEMO).insert_header((header::IF_MATCH, "\"4\"")),
    )
    .await;
    stale.assert_problem(412, "precondition-failed");
    let weak = send(
        &app,
        req(Method::DELETE, &at(&id), DEMO).insert_header((header::IF_MATCH, "W/\"5\"")),
    )
    .await;
    weak.assert_problem(412, "precondition-failed");
    let garbage = send(
        &app,
        req(Method::DELETE, &at(&id), DEMO).insert_header((header::IF_MATCH, "five")),
    )
    .await;
    garbage.assert_problem(400, "validation");
    assert_eq!(garbage.error_fields(), ["If-Match"]);
    let deleted = send(
        &app,
        req(Method::DELETE, &at(&id), DEMO).insert_header((header::IF_MATCH, "\"5\"")),
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, Value::Null);
    send(&app, req(Method::GET, &at(&id), DEMO))
        .await
        .assert_problem(404, "not-found");
    send(&app, req(Method::DELETE, &at(&id), DEMO))
        .await
        .assert_problem(404, "not-found");
    send(&app, put(&at(&id), DEMO, &json!({})))
        .await
        .assert_problem(404, "not-found");
    send(
        &app,
        post(&format!("{}/status", at(&id)), DEMO, &status("active")),
    )
    .await
    .assert_problem(404, "not-found");
}

#[actix_rt::test]
async fn client_ids_are_kept_escaped_and_unique() {
    let app = app_for(&setup()).await;
    let created = send(
        &app,
        post(BASE, DEMO, &json!({"id": "cust 7?#", "note": "x"})),
    )
    .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.id(), "cust 7?#");
    let location = created.header(header::LOCATION).unwrap().to_owned();
    assert_eq!(location, "/unified/v1/customers/cust%207%3F%23");
    let got = send(&app, req(Method::GET, &location, DEMO)).await;
    assert_eq!(got.status, 200, "{:#}", got.body);
    assert_eq!(got.id(), "cust 7?#");

    let again = send(&app, post(BASE, DEMO, &json!({"id": "cust 7?#"}))).await;
    again.assert_problem(409, "already-exists");
    let number = send(&app, post(BASE, DEMO, &json!({"number": "1"}))).await;
    number.assert_problem(409, "already-exists");

    // An id that cannot exist is simply not found.
    let long = "x".repeat(200);
    send(&app, req(Method::GET, &at(&long), DEMO))
        .await
        .assert_problem(404, "not-found");
    // The body's id on PUT must be the path's.
    let mismatch = send(&app, put(&location, DEMO, &json!({"id": "other"}))).await;
    mismatch.assert_problem(400, "validation");
    assert_eq!(mismatch.error_fields(), ["id"]);
}

#[actix_rt::test]
async fn validation_names_every_failing_field() {
    let app = app_for(&setup()).await;
    let bad = send(
        &app,
        post(
            BASE,
            DEMO,
            &json!({
                "status": "vip",
                "kind": "robot",
                "emial": "x@y.io",
                "emails": [{"address": "ok@x.io"}, {"address": "not-an-email"}],
                "addresses": [{"country_code": "Saudi"}],
                "finance": {"credit_limit": "lots", "discount_rate": 150},
                "locale": {"preferred_language": "arabic"}
            }),
        ),
    )
    .await;
    bad.assert_problem(400, "validation");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "addresses[0].country_code",
            "emails[1].address",
            "emial",
            "finance.credit_limit",
            "finance.discount_rate",
            "kind",
            "locale.preferred_language",
            "status",
        ]
    );
    // Nothing was written.
    let all = send(&app, req(Method::GET, BASE, DEMO)).await;
    assert_eq!(all.body["items"], json!([]));

    let not_object = send(&app, post(BASE, DEMO, &json!([1, 2]))).await;
    not_object.assert_problem(400, "validation");
    assert_eq!(not_object.error_fields(), ["body"]);

    let malformed = send(
        &app,
        req(Method::POST, BASE, DEMO)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload("{\"name\": "),
    )
    .await;
    malformed.assert_problem(400, "validation");
    assert_eq!(malformed.error_fields(), ["body"]);

    let empty = send(&app, req(Method::POST, BASE, DEMO)).await;
    empty.assert_problem(400, "validation");

    let form = send(
        &app,
        req(Method::POST, BASE, DEMO)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload("{}"),
    )
    .await;
    form.assert_problem(415, "unsupported-media-type");

    // No Content-Type is taken as JSON; a +json type is JSON.
    let bare = send(
        &app,
        req(Method::POST, BASE, DEMO).set_payload("{\"note\":\"a\"}"),
    )
    .await;
    assert_eq!(bare.status, 201, "{:#}", bare.body);
    let merge = send(
        &app,
        req(Method::POST, BASE, DEMO)
            .insert_header((
                header::CONTENT_TYPE,
                "application/vnd.custgate+json; charset=utf-8",
            ))
            .set_payload("{\"note\":\"b\"}"),
    )
    .await;
    assert_eq!(merge.status, 201, "{:#}", merge.body);
}

#[actix_rt::test]
async fn body_limits_answer_413_and_400() {
    let limits = Limits {
        max_body_bytes: 2048,
        max_json_depth: 5,
        max_page_size: 100,
    };
    let app = app_for(&setup_with(limits)).await;
    let big = json!({"note": "x".repeat(3000)});
    let too_large = send(&app, post(BASE, DEMO, &big)).await;
    too_large.assert_problem(413, "payload-too-large");
    assert!(too_large.body["detail"].as_str().unwrap().contains("2048"));
    // Also on PUT and on a status change.
    send(&app, put(&at("x"), DEMO, &big))
        .await
        .assert_problem(413, "payload-too-large");
    send(&app, post(&format!("{}/status", at("x")), DEMO, &big))
        .await
        .assert_problem(413, "payload-too-large");

    let deep = json!({"meta": {"a": {"b": {"c": {"d": {"e": 1}}}}}});
    let too_deep = send(&app, post(BASE, DEMO, &deep)).await;
    too_deep.assert_problem(400, "validation");
    assert_eq!(too_deep.error_fields(), ["body"]);
    assert!(too_deep.body["detail"]
        .as_str()
        .unwrap()
        .contains("deeper than 5"));

    let fits = json!({"meta": {"a": {"b": {"c": 1}}}, "note": "x".repeat(1000)});
    assert_eq!(send(&app, post(BASE, DEMO, &fits)).await.status, 201);
}

#[actix_rt::test]
async fn every_endpoint_requires_a_token() {
    let app = app_for(&setup()).await;
    let created = send(&app, post(BASE, DEMO, &json!({"note": "x"}))).await;
    let id = created.id();
    let status_uri = format!("{}/status", at(&id));
    let endpoints = [
        (Method::GET, BASE.to_owned()),
        (Method::POST, BASE.to_owned()),
        (Method::GET, at(&id)),
        (Method::PUT, at(&id)),
        (Method::DELETE, at(&id)),
        (Method::POST, status_uri),
    ];
    for (method, uri) in &endpoints {
        let none = TestRequest::default()
            .method(method.clone())
            .uri(uri)
            .set_json(json!({"status": "active"}));
        let r = send(&app, none).await;
        r.assert_problem(401, "unauthenticated");
        assert_eq!(
            r.header(header::WWW_AUTHENTICATE),
            Some("Bearer realm=\"custgate\"")
        );

        for auth in [
            "Bearer nope",
            "Bearer dev-unified-demo2",
            "Basic ZGVtbzpkZW1v",
            "Bearer",
        ] {
            let r = send(
                &app,
                req(method.clone(), uri, auth).set_json(json!({"status": "active"})),
            )
            .await;
            r.assert_problem(401, "unauthenticated");
            assert!(r
                .header(header::WWW_AUTHENTICATE)
                .unwrap()
                .starts_with("Bearer realm=\"custgate\""));
        }
    }
    // Nothing changed.
    let got = send(&app, req(Method::GET, &at(&id), DEMO)).await;
    assert_eq!(got.body, created.body);
}

#[actix_rt::test]
async fn tenants_never_see_each_other() {
    let app = app_for(&setup()).await;
    let mine = send(
        &app,
        post(BASE, DEMO, &json!({"id": "shared", "note": "demo's"})),
    )
    .await;
    assert_eq!(mine.status, 201);
    let status_uri = format!("{}/status", at("shared"));

    // Every endpoint, with acme's token, on demo's record: not found, nothing changed.
    send(&app, req(Method::GET, &at("shared"), ACME))
        .await
        .assert_problem(404, "not-found");
    send(&app, put(&at("shared"), ACME, &json!({"note": "acme's"})))
        .await
        .assert_problem(404, "not-found");
    send(&app, post(&status_uri, ACME, &json!({"status": "blocked"})))
        .await
        .assert_problem(404, "not-found");
    send(&app, req(Method::DELETE, &at("shared"), ACME))
        .await
        .assert_problem(404, "not-found");
    let listed = send(
        &app,
        req(Method::GET, &list_uri(&[("total", "true")]), ACME),
    )
    .await;
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(listed.body["total"], 0);

    // The same id and the same idempotency key are separate per tenant.
    let key = (
        header::HeaderName::from_static("idempotency-key"),
        "same-key",
    );
    let body = json!({"id": "shared", "note": "acme's"});
    let theirs = send(&app, post(BASE, ACME, &body).insert_header(key.clone())).await;
    assert_eq!(theirs.status, 201, "{:#}", theirs.body);
    assert_eq!(theirs.body["seq"], 1);
    let demo_key = send(
        &app,
        post(BASE, DEMO, &json!({"id": "other", "note": "demo's 2"})).insert_header(key),
    )
    .await;
    assert_eq!(demo_key.status, 201, "{:#}", demo_key.body);
    assert_eq!(demo_key.id(), "other");

    let got = send(&app, req(Method::GET, &at("shared"), DEMO)).await;
    assert_eq!(got.body, mine.body);
    let got = send(&app, req(Method::GET, &at("shared"), ACME)).await;
    assert_eq!(got.body["note"], "acme's");
    let listed = send(
        &app,
        req(Method::GET, &list_uri(&[("total", "true")]), DEMO),
    )
    .await;
    assert_eq!(listed.body["total"], 2);
    let listed = send(
        &app,
        req(Method::GET, &list_uri(&[("total", "true")]), ACME),
    )
    .await;
    assert_eq!(listed.body["total"], 1);
}

#[actix_rt::test]
async fn idempotency_keys_replay_and_refuse_other_bodies() {
    let app = app_for(&setup()).await;
    let key = (
        header::HeaderName::from_static("idempotency-key"),
        "create-john-1",
    );
    let body = json!({"name": {"display": "John"}});
    let first = send(&app, post(BASE, DEMO, &body).insert_header(key.clone())).await;
    assert_eq!(first.status, 201);
    let replay = send(&app, post(BASE, DEMO, &body).insert_header(key.clone())).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body);
    assert_eq!(
        replay.header(header::LOCATION),
        first.header(header::LOCATION)
    );
    assert_eq!(replay.etag(), first.etag());

    let other = send(
        &app,
        post(BASE, DEMO, &json!({"name": {"display": "Jane"}})).insert_header(key.clone()),
    )
    .await;
    other.assert_problem(422, "idempotency-key-reused");

    let listed = send(
        &app,
        req(Method::GET, &list_uri(&[("total", "true")]), DEMO),
    )
    .await;
    assert_eq!(listed.body["total"], 1);

    // Without a key, the same body creates another record.
    let second = send(&app, post(BASE, DEMO, &body)).await;
    assert_ne!(second.id(), first.id());

    let bad_key = send(
        &app,
        post(BASE, DEMO, &body).insert_header(("idempotency-key", "has space")),
    )
    .await;
    bad_key.assert_problem(400, "validation");
    assert_eq!(bad_key.error_fields(), ["Idempotency-Key"]);
}

/// Five customers that exercise every operator.
async fn seed<S, B>(app: &S) -> Vec<String>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let people = [
        json!({
            "kind": "person",
            "name": {"display": "John Doe", "first": "John", "last": "Doe"},
            "emails": [{"address": "john@example.com", "default": true}],
            "phones": [{"kind": "mobile", "number": "+966568617084", "country_code": "966"}],
            "addresses": [{"kind": "billing", "city": "Riyadh", "postal_code": "01234", "country_code": "SA"}],
            "finance": {"credit_limit": 5000, "taxable": true, "currency": "SAR"},
            "activation_time": "2024-01-01T00:00:00Z",
            "note": "VIP"
        }),
        json!({
            "kind": "person",
            "name": {"display": "Jane O'Brien"},
            "emails": [{"address": "jane@Example.org"}, {"address": "jane.work@corp.io"}],
            "addresses": [{"city": "Jeddah", "country_code": "SA"}],
            "finance": {"credit_limit": 1500.5, "taxable": false}
        }),
        json!({
            "kind": "company",
            "name": {"display": "Acme Trading", "company": "Acme Trading AS"},
            "status": "inactive",
            "phones": [{"kind": "phone", "number": "+4712345678", "country_code": "47"}],
            "addresses": [{"city": "Oslo", "country_code": "NO"}],
            "tax": {"vat": "NO999999999MVA"}
        }),
        json!({
            "kind": "person",
            "name": {"display": "joanna smith"},
            "status": "quote",
            "emails": [{"address": "joanna@example.com"}],
            "finance": {"credit_limit": 0}
        }),
        json!({
            "name": {"display": "Zed 100% Blocked"},
            "status": "blocked",
            "emails": [{"address": "z@x.io"}]
        }),
    ];
    let mut names = Vec::new();
    for p in people {
        let r = send(app, post(BASE, DEMO, &p)).await;
        assert_eq!(r.status, 201, "{:#}", r.body);
        names.push(r.body["name"]["display"].as_str().unwrap().to_owned());
    }
    names
}

fn names(reply: &Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {:#}", reply.body))
        .iter()
        .map(|c| c["name"]["display"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_rt::test]
async fn every_filter_operator_through_the_query_language() {
    let app = app_for(&setup()).await;
    seed(&app).await;

    const JOHN: &str = "John Doe";
    const JANE: &str = "Jane O'Brien";
    const ACME: &str = "Acme Trading";
    const JOANNA: &str = "joanna smith";
    const ZED: &str = "Zed 100% Blocked";
    let cases: &[(&str, &[&str])] = &[
        ("status eq 'active'", &[JOHN, JANE]),
        ("status ne 'active'", &[ACME, JOANNA, ZED]),
        ("finance.credit_limit gt 1500.5", &[JOHN]),
        ("finance.credit_limit ge 1500.5", &[JOHN, JANE]),
        ("finance.credit_limit lt 1500.5", &[JOANNA]),
        ("finance.credit_limit le 1500.50", &[JANE, JOANNA]),
        ("seq ge 4", &[JOANNA, ZED]),
        ("finance.taxable eq true", &[JOHN]),
        ("finance.taxable ne true", &[JANE, ACME, JOANNA, ZED]),
        ("name.display contains 'jo'", &[JOANNA]),
        ("name.display contains_ci 'jo'", &[JOHN, JOANNA]),
        ("name.display starts_with 'J'", &[JOHN, JANE]),
        ("name.display starts_with_ci 'j'", &[JOHN, JANE, JOANNA]),
        ("emails.address ends_with '@example.com'", &[JOHN, JOANNA]),
        ("emails.address ends_with_ci '@EXAMPLE.ORG'", &[JANE]),
        ("name.display like 'J%n%'", &[JOHN, JANE]),
        ("name.display like '____ Doe'", &[JOHN]),
        ("name.display like_ci 'j%h'", &[JOANNA]),
        ("name.display contains '100%'", &[ZED]),
        ("name.display eq 'Jane O''Brien'", &[JANE]),
        ("status in ('quote', 'blocked')", &[JOANNA, ZED]),
        ("seq in [1, 3]", &[JOHN, ACME]),
        ("addresses.city in ('Oslo', 'Jeddah')", &[JANE, ACME]),
        ("addresses.postal_code eq 01234", &[JOHN]),
        ("note is null", &[JANE, ACME, JOANNA, ZED]),
        ("note is not null", &[JOHN]),
        ("note eq null", &[JANE, ACME, JOANNA, ZED]),
        ("finance.credit_limit ne null", &[JOHN, JANE, JOANNA]),
        ("not status eq 'active'", &[ACME, JOANNA, ZED]),
        (
            "not (status eq 'active' or status eq 'quote')",
            &[ACME, ZED],
        ),
        (
            "kind eq 'person' and finance.credit_limit gt 0",
            &[JOHN, JANE],
        ),
        (
            "kind eq 'company' or emails.address contains 'x.io'",
            &[ACME, ZED],
        ),
        (
            "(kind eq 'company' or kind is null) and status ne 'blocked'",
            &[ACME],
        ),
        (
            "kind eq 'person' and (status eq 'quote' or note eq 'VIP')",
            &[JOHN, JOANNA],
        ),
        ("emails.address eq 'jane.work@corp.io'", &[JANE]),
        (
            "emails.address ne 'jane.work@corp.io'",
            &[JOHN, ACME, JOANNA, ZED],
        ),
        ("phones.mobile starts_with '+966'", &[JOHN]),
        ("addresses.country_code eq 'SA'", &[JOHN, JANE]),
        ("tax.vat eq 'NO999999999MVA'", &[ACME]),
        ("activation_time ge 2024-01-01", &[JOHN]),
        ("activation_time lt '2024-01-01T00:00:01Z'", &[JOHN]),
        (
            "created_at gt 2000-01-01T00:00:00Z",
            &[JOHN, JANE, ACME, JOANNA, ZED],
        ),
        ("created_at lt 2000-01-01", &[]),
        ("version eq 1", &[JOHN, JANE, ACME, JOANNA, ZED]),
        ("search 'trading'", &[ACME]),
        (
            "SEARCH 'o''brien' OR Name.Display EQ 'Zed 100% Blocked'",
            &[JANE, ZED],
        ),
    ];
    for (filter, expected) in cases {
        let r = send(
            &app,
            req(Method::GET, &list_uri(&[("filter", filter)]), DEMO),
        )
        .await;
        assert_eq!(r.status, 200, "{filter}: {:#}", r.body);
        assert_eq!(names(&r), *expected, "{filter}");
        assert_eq!(r.body["next_cursor"], Value::Null);
        assert!(r.body.get("total").is_none());
    }

    // q is free-text search, combined with the filter by and.
    let r = send(&app, req(Method::GET, &list_uri(&[("q", "DOE")]), DEMO)).await;
    assert_eq!(names(&r), [JOHN]);
    let r = send(
        &app,
        req(
            Method::GET,
            &list_uri(&[("q", "o"), ("filter", "kind eq 'person'")]),
            DEMO,
        ),
    )
    .await;
    assert_eq!(names(&r), [JOHN, JANE, JOANNA]);

    // Bad filters are 400s naming the filter and the position.
    for (filter, needle) in [
        (
            "nme.display eq 'x'",
            "unknown field 'nme.display' (at position 1)",
        ),
        ("status eq active", "quote text with single quotes"),
        ("seq gt 'x'", "'x' is not an integer"),
        ("(status eq 'a'", "expected ')'"),
        ("seq contains '1'", "text fields only"),
    ] {
        let r = send(
            &app,
            req(Method::GET, &list_uri(&[("filter", filter)]), DEMO),
        )
        .await;
        r.assert_problem(400, "validation");
        assert_eq!(r.error_fields(), ["filter"], "{filter}");
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{filter}: {message}");
    }
}

#[actix_rt::test]
async fn sort_page_through_cursors_and_total() {
    let app = app_for(&setup()).await;
    for i in 0..7 {
        let body = json!({
            "name": {"display": format!("Customer {}", (b'A' + (i * 3 % 7) as u8) as char)},
            "finance": {"credit_limit": i * 100},
            "status": if i % 2 == 0 { "active" } else { "inactive" }
        });
        assert_eq!(send(&app, post(BASE, DEMO, &body)).await.status, 201);
    }

    // Sorted by name, descending.
    let all = send(
        &app,
        req(Method::GET, &list_uri(&[("sort", "-name.display")]), DEMO),
    )
    .await;
    assert_eq!(
        names(&all),
        [
            "Customer G",
            "Customer F",
            "Customer E",
            "Customer D",
            "Customer C",
            "Customer B",
            "Customer A"
        ]
    );
    // Two keys: status ascending, then credit limit descending.
    let two = send(
        &app,
        req(
            Method::GET,
            &list_uri(&[("sort", "status,-finance.credit_limit")]),
            DEMO,
        ),
    )
    .await;
    let limits: Vec<(String, i64)> = two.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["finance"]["credit_limit"].as_f64().unwrap() as i64,
            )
        })
        .collect();
    assert_eq!(
        limits,
        [
            ("active".into(), 600),
            ("active".into(), 400),
            ("active".into(), 200),
            ("active".into(), 0),
            ("inactive".into(), 500),
            ("inactive".into(), 300),
            ("inactive".into(), 100),
        ]
    );

    // Pages of three through the cursors, to the end, with the total on every page.
    let filter = "finance.credit_limit ge 0";
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![
            ("filter", filter),
            ("sort", "name.display"),
            ("limit", "3"),
            ("total", "true"),
        ];
        if let Some(c) = &cursor {
            params.push(("cursor", c));
        }
        let page = send(&app, req(Method::GET, &list_uri(&params), DEMO)).await;
        assert_eq!(page.status, 200, "{:#}", page.body);
        assert_eq!(page.body["total"], 7);
        pages += 1;
        seen.extend(names(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "Customer A",
            "Customer B",
            "Customer C",
            "Customer D",
            "Customer E",
            "Customer F",
            "Customer G"
        ]
    );

    // An exact last page has no next cursor.
    let exact = send(&app, req(Method::GET, &list_uri(&[("limit", "7")]), DEMO)).await;
    assert_eq!(names(&exact).len(), 7);
    assert_eq!(exact.body["next_cursor"], Value::Null);

    // A cursor only works with its own filter and sort.
    let first = send(
        &app,
        req(
            Method::GET,
            &list_uri(&[("filter", filter), ("sort", "name.display"), ("limit", "2")]),
            DEMO,
        ),
    )
    .await;
    let c = first.body["next_cursor"].as_str().unwrap().to_owned();
    let moved = send(
        &app,
        req(
            Method::GET,
            &list_uri(&[
                ("filter", filter),
                ("sort", "name.display"),
                ("limit", "4"),
                ("cursor", &c),
            ]),
            DEMO,
        ),
    )
    .await;
    assert_eq!(
        names(&moved),
        ["Customer C", "Customer D", "Customer E", "Customer F"]
    );
    for params in [
        vec![
            ("filter", "finance.credit_limit ge 1"),
            ("sort", "name.display"),
            ("cursor", c.as_str()),
        ],
        vec![
            ("filter", filter),
            ("sort", "-name.display"),
            ("cursor", c.as_str()),
        ],
        vec![("cursor", c.as_str())],
        vec![
            ("filter", filter),
            ("sort", "name.display"),
            ("cursor", "bm90LWEtY3Vyc29y"),
        ],
    ] {
        let r = send(&app, req(Method::GET, &list_uri(&params), DEMO)).await;
        r.assert_problem(400, "validation");
        assert_eq!(r.error_fields(), ["cursor"], "{params:?}");
    }
    // Acme cannot use demo's cursor either.
    let r = send(
        &app,
        req(
            Method::GET,
            &list_uri(&[("filter", filter), ("sort", "name.display"), ("cursor", &c)]),
            ACME,
        ),
    )
    .await;
    r.assert_problem(400, "validation");

    // Limits and other parameters.
    for (params, fields) in [
        (vec![("limit", "0")], vec!["limit"]),
        (vec![("limit", "1001")], vec!["limit"]),
        (
            vec![("limit", "ten"), ("total", "yes")],
            vec!["limit", "total"],
        ),
        (vec![("sort", "emails.address")], vec!["sort"]),
        (vec![("sort", "nope")], vec!["sort"]),
        (vec![("page", "2")], vec!["page"]),
        (vec![("limit", "1"), ("limit", "2")], vec!["limit"]),
    ] {
        let r = send(&app, req(Method::GET, &list_uri(&params), DEMO)).await;
        r.assert_problem(400, "validation");
        assert_eq!(r.error_fields(), fields, "{params:?}");
    }
    let default = send(&app, req(Method::GET, BASE, DEMO)).await;
    assert_eq!(names(&default).len(), 7);
}

#[actix_rt::test]
async fn the_default_page_is_fifty_and_the_maximum_is_configurable() {
    let mut s = setup();
    s.global = json!({"enabled": true, "max_limit": 60});
    let app = app_for(&s).await;
    for i in 0..55 {
        let r = send(&app, post(BASE, DEMO, &json!({"note": format!("n{i}")}))).await;
        assert_eq!(r.status, 201);
    }
    let first = send(&app, req(Method::GET, BASE, DEMO)).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50);
    let next = first.body["next_cursor"].as_str().unwrap();
    let rest = send(&app, req(Method::GET, &list_uri(&[("cursor", next)]), DEMO)).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    let r = send(&app, req(Method::GET, &list_uri(&[("limit", "61")]), DEMO)).await;
    r.assert_problem(400, "validation");
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("60"));
}

#[actix_rt::test]
async fn unknown_paths_and_methods_are_problems() {
    let app = app_for(&setup()).await;
    let r = send(&app, req(Method::PATCH, &at("x"), DEMO)).await;
    r.assert_problem(405, "method-not-allowed");
    assert_eq!(r.header(header::ALLOW), Some("GET, PUT, DELETE"));
    let r = send(&app, req(Method::DELETE, BASE, DEMO)).await;
    r.assert_problem(405, "method-not-allowed");
    assert_eq!(r.header(header::ALLOW), Some("GET, POST"));
    let r = send(&app, req(Method::GET, &format!("{}/status", at("x")), DEMO)).await;
    r.assert_problem(405, "method-not-allowed");
    let r = send(&app, req(Method::GET, "/unified/v1/customer", DEMO)).await;
    r.assert_problem(404, "not-found");
    assert_eq!(r.body["instance"], "/unified/v1/customer");
}

#[test]
fn configuration_is_checked_at_start() {
    let store: DynStore = Arc::new(MemoryStore::new());
    let build = |global: Value, demo: Value, acme: Value| {
        custgate_unified::server(&DialectSetup {
            global,
            tenants: vec![
                tenant("demo", &store, Some(demo)),
                tenant("acme", &store, Some(acme)),
            ],
            limits: Limits::default(),
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let ok = json!({"enabled": true});
    assert_eq!(
        build(
            ok.clone(),
            json!({"tokens": ["a"]}),
            json!({"tokens": ["b"]})
        ),
        Ok(())
    );
    let hashed = format!("sha256:{}", custgate_http::sha256_hex("b"));
    let dup = build(
        ok.clone(),
        json!({"tokens": ["a", "b"]}),
        json!({"tokens": [hashed]}),
    );
    let message = dup.unwrap_err();
    assert!(
        message.starts_with("tenants.acme.unified.tokens[0]:"),
        "{message}"
    );
    assert!(
        message.contains("also a token of tenant 'demo'"),
        "{message}"
    );
    assert!(!message.contains("\"b\""), "{message}");
    let twice = build(
        ok.clone(),
        json!({"tokens": ["a", "a"]}),
        json!({"tokens": ["b"]}),
    );
    assert!(twice
        .unwrap_err()
        .starts_with("tenants.demo.unified.tokens[1]: is listed twice"));
    let empty = build(ok.clone(), json!({"tokens": []}), json!({"tokens": ["b"]}));
    assert!(empty
        .unwrap_err()
        .starts_with("tenants.demo.unified.tokens:"));
    let unknown = build(
        ok.clone(),
        json!({"tokens": ["a"], "token": "x"}),
        json!({"tokens": ["b"]}),
    );
    assert!(unknown.unwrap_err().starts_with("tenants.demo.unified:"));
    let bad_hash = build(
        ok.clone(),
        json!({"tokens": ["sha256:zz"]}),
        json!({"tokens": ["b"]}),
    );
    assert!(bad_hash.unwrap_err().starts_with("tenants.demo.unified:"));
    let too_big = build(
        json!({"max_limit": 5000}),
        json!({"tokens": ["a"]}),
        json!({"tokens": ["b"]}),
    );
    assert!(too_big
        .unwrap_err()
        .starts_with("dialects.unified.max_limit:"));
    let bad_default = build(
        json!({"max_limit": 10, "default_limit": 20}),
        json!({"tokens": ["a"]}),
        json!({"tokens": ["b"]}),
    );
    assert!(bad_default
        .unwrap_err()
        .starts_with("dialects.unified.default_limit:"));
    let typo = build(
        json!({"enabeld": true}),
        json!({"tokens": ["a"]}),
        json!({"tokens": ["b"]}),
    );
    assert!(typo.unwrap_err().starts_with("dialects.unified:"));
}

#[actix_rt::test]
async fn hashed_tokens_authenticate() {
    let store: DynStore = Arc::new(MemoryStore::new());
    let setup = DialectSetup {
        global: json!({}),
        tenants: vec![tenant(
            "demo",
            &store,
            Some(json!({"tokens": [format!("sha256:{}", custgate_http::sha256_hex("s3cret"))]})),
        )],
        limits: Limits::default(),
    };
    let app = app_for(&setup).await;
    assert_eq!(
        send(&app, req(Method::GET, BASE, "Bearer s3cret"))
            .await
            .status,
        200
    );
    send(&app, req(Method::GET, BASE, "Bearer sha256:whatever"))
        .await
        .assert_problem(401, "unauthenticated");
}
