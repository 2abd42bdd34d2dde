//! `GET /v1/core/customer` through an actix test service built from configuration like
//! config/default.toml's, over the in-memory reference store.
#![cfg(feature = "server")]

mod common;

use std::sync::Arc;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test as awtest, App};
use common::server::*;
use common::*;
use custgate_core::{
    CreateOptions, Customer, CustomerStore, DynStore, Error, ErrorKind, FindCapability,
    MemoryStore, Phone, PhoneKind,
};
use custgate_http::DialectSetup;
use serde_json::{json, Value};

async fn service(
    setup: &DialectSetup,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    let server = custgate_v1core::server(setup).expect("configuration is valid");
    awtest::init_service(App::new().configure(|c| server.configure(c))).await
}

struct Answer {
    status: StatusCode,
    headers: actix_web::http::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The fields named in a 400 answer.
    fn error_fields(&self) -> Vec<String> {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.text);
        let body = self.json();
        body["errors"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }
}

async fn call<S>(app: &S, method: &str, uri: &str, headers: &[(&str, &str)]) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = awtest::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(uri);
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let res = awtest::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = awtest::read_body(res).await;
    Answer {
        status,
        headers,
        text: String::from_utf8(body.to_vec()).unwrap(),
    }
}

const DEMO: (&str, &str) = ("Authorization", "Bearer dev-v1core-demo");
const ACME: (&str, &str) = ("Authorization", "Bearer dev-v1core-acme");

async fn get<S>(app: &S, query: &str, auth: (&str, &str)) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    call(app, "GET", &format!("/v1/core/customer?{query}"), &[auth]).await
}

/// A memory store with the sample customer in `demo`, and its stored form.
async fn store_with_sample() -> (Arc<MemoryStore>, Customer) {
    let store = Arc::new(MemoryStore::new());
    let created = store
        .create(&tenant("demo"), sample_customer(), CreateOptions::default())
        .await
        .unwrap();
    (store, created)
}

#[actix_rt::test]
async fn the_seed_request_answers_the_seed_response() {
    let store = FixedStore::new(vec![(tenant("demo"), {
        let mut c = seed_customer();
        c.reference_no = Some("333215".into());
        c
    })]);
    let app = service(&dev_setup(store)).await;
    let res = get(&app, SEED_QUERY.trim(), DEMO).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.headers.get("content-type").unwrap(),
        "application/json; charset=utf-8"
    );
    assert_eq!(res.json(), json(SEED_AR));
    assert_eq!(key_order(&res.text), key_order(SEED_AR));
    // The Arabic labels are the seed's bytes.
    assert!(res.text.contains("\"customerType\":\"شركة\""));

    let en = SEED_QUERY.trim().replace("lang=ar", "lang=en");
    let res = get(&app, &en, DEMO).await;
    assert_eq!(res.json(), json(SEED_EN));
    assert_eq!(key_order(&res.text), key_order(SEED_EN));
}

#[actix_rt::test]
async fn a_customer_from_another_dialect_is_found_by_each_criterion() {
    let (store, created) = store_with_sample().await;
    let app = service(&dev_setup(store)).await;
    let seq = created.seq.unwrap();
    let expected_ar = expected_for_sample(
        SEED_AR,
        seq,
        created.created_at.unwrap(),
        created.updated_at.unwrap(),
    );
    for criterion in [
        format!("customerId={seq}"),
        "identificationNo=2103232123".to_owned(),
        "mobileNumber=568617084".to_owned(),
        "referenceNo=333215".to_owned(),
    ] {
        let res = get(&app, &format!("companyCode=jtc&lang=ar&{criterion}"), DEMO).await;
        assert_eq!(res.status, StatusCode::OK, "{criterion}: {}", res.text);
        assert_eq!(res.json(), expected_ar, "{criterion}");
        assert_eq!(key_order(&res.text), key_order(SEED_AR));
    }
    // All four together (AND), in English.
    let res = get(
        &app,
        &format!(
            "companyCode=jtc&lang=en&customerId={seq}&identificationNo=2103232123&mobileNumber=568617084&referenceNo=333215"
        ),
        DEMO,
    )
    .await;
    assert_eq!(
        res.json(),
        expected_for_sample(
            SEED_EN,
            seq,
            created.created_at.unwrap(),
            created.updated_at.unwrap()
        )
    );
    // The inactive contact is still there.
    assert_eq!(res.json()[0]["customerContacts"][1]["isActive"], false);
}

#[actix_rt::test]
async fn criteria_are_and_ed_and_no_match_is_an_empty_array() {
    let (store, created) = store_with_sample().await;
    let mut other = sample_customer();
    other.reference_no = Some("999".into());
    other.identifications[0].value = "7000000001".into();
    store
        .create(&tenant("demo"), other, CreateOptions::default())
        .await
        .unwrap();
    let app = service(&dev_setup(store)).await;
    let seq = created.seq.unwrap();

    // Both share the mobile number.
    let res = get(&app, "companyCode=jtc&lang=ar&mobileNumber=568617084", DEMO).await;
    let ids: Vec<i64> = res
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["customerId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![seq, seq + 1]);
    // AND: the mobile and the reference number of the second one.
    let res = get(
        &app,
        "companyCode=jtc&lang=ar&mobileNumber=568617084&referenceNo=999",
        DEMO,
    )
    .await;
    let ids: Vec<i64> = res
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["customerId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![seq + 1]);
    // A customerId and a reference number of different customers: nothing.
    let res = get(
        &app,
        &format!("companyCode=jtc&lang=ar&customerId={seq}&referenceNo=999"),
        DEMO,
    )
    .await;
    assert_eq!((res.status, res.json()), (StatusCode::OK, json!([])));
    let res = get(&app, "companyCode=jtc&lang=ar&mobileNumber=500000000", DEMO).await;
    assert_eq!((res.status, res.text.as_str()), (StatusCode::OK, "[]"));
}

/// A Saudi mobile number stored as a plain phone (NData's one `phone` has no kind;
/// Unimicro may file a mobile as type 150101) is found by the number its row shows.
#[actix_rt::test]
async fn a_mobile_number_finds_a_phone_of_any_kind() {
    let store = Arc::new(MemoryStore::new());
    let plain = |number: &str| Phone {
        kind: PhoneKind::Phone,
        number: number.into(),
        ..Phone::default()
    };
    let mut only_plain = sample_customer();
    only_plain.phones = vec![plain("+966551112222")];
    let mut second = sample_customer();
    second.reference_no = Some("2".into());
    second.phones.push(plain("+966553334444"));
    let mut seqs = Vec::new();
    for c in [only_plain, second] {
        let c = store
            .create(&tenant("demo"), c, CreateOptions::default())
            .await
            .unwrap();
        seqs.push(c.seq.unwrap());
    }
    let app = service(&dev_setup(store)).await;
    // The plain phone of a customer without a mobile is its `mobileNumber`; a second
    // phone is the `additionalMobileNumber`.
    for (number, seq, shown) in [
        ("551112222", seqs[0], "mobileNumber"),
        ("553334444", seqs[1], "additionalMobileNumber"),
    ] {
        let res = get(
            &app,
            &format!("companyCode=jtc&lang=en&mobileNumber={number}"),
            DEMO,
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let rows = res.json();
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "{number}: {rows}");
        assert_eq!(rows[0]["customerId"], json!(seq));
        // The row shows the number it was found by.
        assert_eq!(rows[0][shown], json!(number), "{rows}");
    }
}

#[actix_rt::test]
async fn every_validation_rule_answers_400_in_the_dialect_envelope() {
    let (store, _) = store_with_sample().await;
    let app = service(&dev_setup(store)).await;
    for (query, fields) in [
        ("lang=ar&customerId=1", vec!["companyCode"]),
        ("companyCode=jtc&customerId=1", vec!["lang"]),
        ("companyCode=jtc&lang=de&customerId=1", vec!["lang"]),
        ("companyCode=jtc&lang=ar", vec!["criteria"]),
        (
            "companyCode=jtc&lang=ar&mobileNumber=0568617084",
            vec!["mobileNumber"],
        ),
        (
            "companyCode=jtc&lang=ar&mobileNumber=468617084",
            vec!["mobileNumber"],
        ),
        ("companyCode=jtc&lang=ar&customerId=x", vec!["customerId"]),
        (
            "companyCode=jtc&lang=ar&customerId=1&customerId=2",
            vec!["customerId"],
        ),
        (
            "mobileNumber=1",
            vec!["companyCode", "lang", "mobileNumber"],
        ),
        ("", vec!["companyCode", "criteria", "lang"]),
    ] {
        let res = get(&app, query, DEMO).await;
        assert_eq!(res.error_fields(), fields, "{query}");
        assert_eq!(
            res.headers.get("content-type").unwrap(),
            "application/problem+json; charset=utf-8"
        );
        let body = res.json();
        assert_eq!(body["status"], 400);
        assert_eq!(body["title"], "One or more validation errors occurred.");
        assert!(body["traceId"].is_string());
    }
    let res = get(&app, "companyCode=jtc&lang=ar&mobileNumber=468617084", DEMO).await;
    assert_eq!(
        res.json()["errors"]["mobileNumber"],
        json!(["must start with 5"])
    );
    // A malformed query string is a 400 too, never a 500.
    let res = get(&app, "companyCode=jtc&lang=ar&customerId=%ZZ", DEMO).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

/// A misspelt criterion would otherwise be dropped and the lookup widened: two customers
/// share the mobile number, and `referenceNumber=999` must not answer both.
#[actix_rt::test]
async fn unknown_parameters_are_refused_once_authenticated() {
    let (store, _) = store_with_sample().await;
    let mut other = sample_customer();
    other.reference_no = Some("999".into());
    store
        .create(&tenant("demo"), other, CreateOptions::default())
        .await
        .unwrap();
    let app = service(&dev_setup(store)).await;
    let misspelt = "companyCode=jtc&lang=ar&mobileNumber=568617084&referenceNumber=999";
    let res = get(&app, misspelt, DEMO).await;
    assert_eq!(res.error_fields(), ["referenceNumber"]);
    assert_eq!(
        res.json()["errors"]["referenceNumber"],
        json!([
            "is not a parameter of this API; the parameters are companyCode, lang, \
                customerId, identificationNo, mobileNumber, referenceNo"
        ])
    );
    // Credentials come first, as for every other rule.
    let res = get(&app, misspelt, ("Authorization", "Bearer wrong")).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // Spelt right, the same lookup finds the one customer.
    let res = get(
        &app,
        &misspelt.replace("referenceNumber", "referenceNo"),
        DEMO,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json().as_array().unwrap().len(), 1);
}

#[actix_rt::test]
async fn credentials_are_checked_per_company() {
    let (store, created) = store_with_sample().await;
    let app = service(&dev_setup(store)).await;
    let q = format!(
        "companyCode=jtc&lang=ar&customerId={}",
        created.seq.unwrap()
    );
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![ACME],
        vec![("Authorization", "Basic ZGVtbzpkZW1v")],
        vec![("X-Api-Key", "dev-v1core-demo")],
    ] {
        let res = call(&app, "GET", &format!("/v1/core/customer?{q}"), &headers).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert_eq!(
            res.headers.get("www-authenticate").unwrap(),
            "Bearer realm=\"v1core\""
        );
        assert_eq!(res.json()["status"], 401);
        assert!(!res.text.contains("dev-v1core"));
    }
    // An unknown company answers like bad credentials.
    let res = get(&app, "companyCode=nope&lang=ar&customerId=1", DEMO).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json()["detail"],
        "unknown company code, or missing or invalid credentials"
    );
    // Authentication comes before the other rules once the company is known.
    let res = get(
        &app,
        "companyCode=jtc&lang=xx",
        ("Authorization", "Bearer wrong"),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // Company codes ignore case.
    let res = get(&app, &q.replace("jtc", "JTC"), DEMO).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_rt::test]
async fn companies_never_see_each_other() {
    let (store, created) = store_with_sample().await;
    let acme_customer = store
        .create(
            &tenant("acme"),
            {
                let mut c = sample_customer();
                c.reference_no = Some("acme-1".into());
                c
            },
            CreateOptions::default(),
        )
        .await
        .unwrap();
    let app = service(&dev_setup(store)).await;
    let demo_seq = created.seq.unwrap();
    for criterion in [
        format!("customerId={demo_seq}"),
        "identificationNo=2103232123".into(),
        "mobileNumber=568617084".into(),
        "referenceNo=333215".into(),
        "referenceNo=acme-1".into(),
    ] {
        let demo = get(&app, &format!("companyCode=jtc&lang=en&{criterion}"), DEMO).await;
        let acme = get(&app, &format!("companyCode=acme&lang=en&{criterion}"), ACME).await;
        let refs = |a: &Answer| -> Vec<i64> {
            a.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["customerId"].as_i64().unwrap())
                .collect()
        };
        // Each company sees only its own record (both have seq 1 in their tenant).
        let expected_demo = if criterion == "referenceNo=acme-1" {
            vec![]
        } else {
            vec![demo_seq]
        };
        let expected_acme = if criterion == "referenceNo=333215" {
            vec![]
        } else {
            vec![acme_customer.seq.unwrap()]
        };
        assert_eq!(refs(&demo), expected_demo, "{criterion}");
        assert_eq!(refs(&acme), expected_acme, "{criterion}");
    }
    // One company's token never opens the other.
    let res = get(&app, "companyCode=acme&lang=en&referenceNo=acme-1", DEMO).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn labels_follow_lang_and_unknown_ids_pass_through() {
    let mut row = json(SEED_AR)[0].clone();
    row["industryTypeId"] = 77.into();
    row["industryType"] = Value::Null;
    let w: custgate_v1core::CustomerDto = serde_json::from_value(row).unwrap();
    let unknown = custgate_v1core::from_wire(
        &w,
        &custgate_v1core::Context::new(
            custgate_v1core::Lookups::builtin(),
            custgate_v1core::Lang::Ar,
        ),
    );
    let store = FixedStore::new(vec![(tenant("demo"), unknown)]);
    let app = service(&dev_setup(store)).await;
    for (lang, customer_type, relation) in [
        ("ar", "شركة", "صديق"),
        ("en", "Company", "Friend"),
        ("AR", "شركة", "صديق"),
    ] {
        let res = get(
            &app,
            &format!("companyCode=jtc&lang={lang}&customerId=54218"),
            DEMO,
        )
        .await;
        let row = &res.json()[0];
        assert_eq!(row["customerType"], customer_type);
        assert_eq!(row["customerContacts"][0]["relationType"], relation);
        assert_eq!(row["industryTypeId"], 77);
        assert_eq!(row["industryType"], Value::Null);
    }
}

#[actix_rt::test]
async fn writes_are_not_offered() {
    let (store, _) = store_with_sample().await;
    let app = service(&dev_setup(store)).await;
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let res = call(
            &app,
            method,
            "/v1/core/customer?companyCode=jtc&lang=ar&customerId=1",
            &[DEMO],
        )
        .await;
        assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(res.headers.get("allow").unwrap(), "GET");
        assert_eq!(res.json()["status"], 405);
    }
}

#[actix_rt::test]
async fn api_keys_and_explicit_anonymous_access() {
    let (store, created) = store_with_sample().await;
    let setup = setup_with(
        store,
        json!({}),
        vec![
            (
                "demo",
                json!({ "company_code": "jtc", "auth": { "kind": "api_key", "keys": ["k-demo"] } }),
            ),
            (
                "acme",
                json!({ "company_code": "open", "auth": { "kind": "anonymous" } }),
            ),
        ],
    );
    let app = service(&setup).await;
    let seq = created.seq.unwrap();
    let q = format!("companyCode=jtc&lang=ar&customerId={seq}");
    let res = call(
        &app,
        "GET",
        &format!("/v1/core/customer?{q}"),
        &[("X-Api-Key", "k-demo")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()[0]["customerId"], seq);
    let res = call(
        &app,
        "GET",
        &format!("/v1/core/customer?{q}"),
        &[("X-Api-Key", "k-acme")],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.headers.get("www-authenticate").is_none());
    let res = call(
        &app,
        "GET",
        &format!("/v1/core/customer?{q}"),
        &[("Authorization", "Bearer k-demo")],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // Anonymous, because configured so: acme's (empty) data, no credentials needed.
    let res = call(
        &app,
        "GET",
        "/v1/core/customer?companyCode=open&lang=ar&customerId=1",
        &[],
    )
    .await;
    assert_eq!((res.status, res.json()), (StatusCode::OK, json!([])));
}

#[actix_rt::test]
async fn lookup_overrides_and_the_result_cap_come_from_configuration() {
    let store = Arc::new(MemoryStore::new());
    for i in 0..3 {
        let mut c = sample_customer();
        c.addresses[0].city = Some("Diriyah".into());
        c.addresses[0].region = None;
        c.reference_no = Some(format!("r{i}"));
        store
            .create(&tenant("demo"), c, CreateOptions::default())
            .await
            .unwrap();
    }
    let global = json!({
        "enabled": true,
        "max_results": 2,
        "lookups": { "city": [ { "id": 26, "ar": "الدرعية", "en": "Diriyah", "code": "Diriyah", "region": 1 } ] }
    });
    let app = service(&setup_with(store, global, dev_tenants())).await;
    let res = get(&app, "companyCode=jtc&lang=ar&mobileNumber=568617084", DEMO).await;
    let rows = res.json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["customerId"], 1);
    assert_eq!(rows[0]["cityId"], 26);
    assert_eq!(rows[0]["city"], "الدرعية");
    assert_eq!(rows[0]["regionId"], 1);
}

#[actix_rt::test]
async fn backends_that_can_only_look_up_are_used_by_key() {
    let (memory, created) = store_with_sample().await;
    let store: DynStore = FindOnlyStore::new(
        memory,
        FindCapability {
            reference_no: true,
            ..FindCapability::default()
        },
    );
    let app = service(&dev_setup(store)).await;
    let seq = created.seq.unwrap();
    // Looked up by reference number, the other criteria checked in the gateway.
    let res = get(
        &app,
        &format!("companyCode=jtc&lang=ar&customerId={seq}&referenceNo=333215"),
        DEMO,
    )
    .await;
    assert_eq!(res.json()[0]["customerId"], seq);
    let res = get(
        &app,
        &format!(
            "companyCode=jtc&lang=ar&customerId={}&referenceNo=333215",
            seq + 1
        ),
        DEMO,
    )
    .await;
    assert_eq!(res.json(), json!([]));
    // Nothing the backend can look up: 501 naming what is missing.
    let res = get(&app, "companyCode=jtc&lang=ar&mobileNumber=568617084", DEMO).await;
    assert_eq!(res.status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(
        res.json()["detail"],
        "the backend does not support listing customers"
    );
}

#[actix_rt::test]
async fn backend_failures_answer_in_the_envelope_without_internals() {
    for (error, status) in [
        (Error::unexpected("disk /var/lib/x is full"), 500),
        (
            Error::new(
                ErrorKind::UpstreamTimeout,
                "upstream odata did not answer in time",
            ),
            504,
        ),
        (
            Error::new(
                ErrorKind::UpstreamUnavailable,
                "upstream odata could not be reached",
            ),
            502,
        ),
        (Error::new(ErrorKind::RateLimited, "slow down"), 429),
    ] {
        let store: DynStore = Arc::new(FailingStore(error));
        let app = service(&dev_setup(store)).await;
        let res = get(&app, "companyCode=jtc&lang=ar&customerId=1", DEMO).await;
        assert_eq!(res.status.as_u16(), status);
        let body = res.json();
        assert_eq!(body["status"], status);
        assert!(!res.text.contains("/var/lib"));
    }
}

#[test]
fn configuration_is_checked_at_start() {
    let store: DynStore = Arc::new(MemoryStore::new());
    let bad = |global: Value, tenants: Vec<(&str, Value)>| match custgate_v1core::server(
        &setup_with(store.clone(), global, tenants),
    ) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let bearer = |code: &str, token: &str| json!({ "company_code": code, "auth": { "kind": "bearer", "tokens": [token] } });
    assert_eq!(
        bad(json!({}), vec![("demo", json!({ "company_code": "jtc" }))]),
        "tenants.demo.v1core.auth: is required; use { kind = \"anonymous\" } to allow access without credentials"
    );
    assert!(bad(
        json!({}),
        vec![("demo", bearer("jtc", "a")), ("acme", bearer("JTC", "b"))]
    )
    .starts_with(
        "tenants.acme.v1core.company_code: 'JTC' is already the company code of tenant 'demo'"
    ));
    assert_eq!(
        bad(json!({}), vec![("demo", bearer("jtc", "a")), ("acme", bearer("acme", "a"))]),
        "tenants.acme.v1core.auth.tokens: reuses a secret of company 'jtc'; every company needs its own"
    );
    assert!(bad(
        json!({}),
        vec![(
            "demo",
            json!({ "company_code": "jtc", "auth": { "kind": "bearer", "tokens": [] } })
        )]
    )
    .ends_with("must list at least one secret"));
    assert!(bad(
        json!({}),
        vec![(
            "demo",
            json!({ "company_code": "j tc", "auth": { "kind": "anonymous" } })
        )]
    )
    .starts_with("tenants.demo.v1core.company_code"));
    assert!(bad(json!({}), vec![("demo", json!({ "company_code": "jtc", "auth": { "kind": "api_key", "header": "Authorization", "keys": ["k"] } }))])
        .contains("use kind = \"bearer\""));
    assert!(bad(json!({}), vec![("demo", json!({ "company_code": "jtc", "auth": { "kind": "api_key", "header": "bad header", "keys": ["k"] } }))])
        .contains("not a valid header name"));
    assert!(bad(
        json!({}),
        vec![(
            "demo",
            json!({ "company_code": "jtc", "auth": { "kind": "password" } })
        )]
    )
    .starts_with("tenants.demo.v1core"));
    assert!(bad(
        json!({}),
        vec![(
            "demo",
            json!({ "company_code": "jtc", "auth": { "kind": "anonymous" }, "extra": 1 })
        )]
    )
    .contains("unknown field"));
    assert!(bad(json!({ "lookups": { "town": [] } }), vec![])
        .starts_with("dialects.v1core.lookups.town: unknown lookup table"));
    assert!(bad(json!({ "max_results": 0 }), vec![]).starts_with("dialects.v1core.max_results"));
    assert!(bad(json!({ "maxResults": 5 }), vec![]).contains("unknown field"));
    // The development configuration is accepted.
    assert!(custgate_v1core::server(&dev_setup(store.clone())).is_ok());
}
