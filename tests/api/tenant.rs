//! `tenant` (the Pristine Invoice JWT Customer API) through the whole gateway: customers
//! created here are read through the unified facade with every field, and the other way
//! round, on the real store; tokens come from the login route and from the CLI.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{custgate, spawn_app, tenant_token, TestApp};

const FACADE: &str = "/unified/v1/customers";
const SEED_CREATE: &str =
    include_str!("../../crates/dialects/tenant/tests/fixtures/create_request.json");
const SEED_UPDATE: &str =
    include_str!("../../crates/dialects/tenant/tests/fixtures/update_request.json");

fn seed(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A license token from `POST /api/account/login` (config/default.toml's users).
async fn login(app: &TestApp, tenant: &str, password: &str) -> String {
    let r = app
        .client
        .post(app.url("/api/account/login"))
        .json(&json!({"tenantId": tenant, "userId": tenant, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["userName"], tenant);
    assert_eq!(body["tenantId"], tenant);
    body["token"].as_str().unwrap().to_owned()
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.expect("the gateway answers");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, json)
}

async fn facade_find(app: &TestApp, token: &str, filter: &str) -> Vec<Value> {
    let r = app
        .client
        .get(app.url(FACADE))
        .bearer_auth(token)
        .query(&[("filter", filter)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_customer_created_here_is_read_through_the_facade_with_every_field() {
    let app = spawn_app().await;
    let token = login(&app, "demo", "demo").await;
    let (status, headers, created) = call(
        &app,
        reqwest::Method::POST,
        "/api/customer",
        &token,
        Some(&seed(SEED_CREATE)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(headers["location"], "/api/customer/John%20Doe");
    let cus_id = created["cusId"].as_i64().unwrap();
    let mut expected = seed(SEED_CREATE);
    expected["cusId"] = cus_id.into();
    assert_eq!(created, expected);

    let found = facade_find(&app, "dev-unified-demo", &format!("seq eq {cus_id}")).await;
    assert_eq!(found.len(), 1);
    let c = &found[0];
    assert_eq!(c["name"]["display"], "John Doe");
    assert_eq!(c["kind"], "company");
    assert_eq!(
        c["phones"],
        json!([{"kind": "mobile", "number": "+966555555555", "country_code": "966",
                "description": null, "default": true}])
    );
    assert_eq!(
        c["identifications"],
        json!([{"scheme": "CRN", "value": "123456789"}])
    );
    assert_eq!(
        c["emails"],
        json!([{"address": "john@example.com", "description": null, "default": true}])
    );
    assert_eq!(
        c["tax"],
        json!({"vat": "300000000000003", "tin": "123456789012345"})
    );
    let address = &c["addresses"][0];
    assert_eq!(address["kind"], "billing");
    assert_eq!(address["building_no"], "123");
    assert_eq!(address["street"], "Main Street");
    assert_eq!(address["city"], "Riyadh");
    assert_eq!(address["postal_code"], "12345");
    assert_eq!(c["addresses"].as_array().unwrap().len(), 1);

    // The same record by id through the facade, and unchanged when read here again.
    let id = c["id"].as_str().unwrap();
    let (status, _, by_id) = call(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/{id}"),
        "dev-unified-demo",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&by_id, c);
    let (_, _, again) = call(
        &app,
        reqwest::Method::GET,
        "/api/customer/John%20Doe",
        &token,
        None,
    )
    .await;
    assert_eq!(again, expected);
}

#[tokio::test]
async fn a_customer_created_through_the_facade_is_read_and_updated_here() {
    let app = spawn_app().await;
    let (status, _, created) = call(
        &app,
        reqwest::Method::POST,
        FACADE,
        "dev-unified-demo",
        Some(&json!({
            "kind": "person",
            "name": {"first": "Sara", "last": "Ali"},
            "phones": [{"kind": "mobile", "number": "+966568617084", "country_code": "966", "default": true},
                       {"kind": "phone", "number": "+966112223333"}],
            "identifications": [{"scheme": "IQA", "value": "2100000000"}],
            "emails": [{"address": "sara@example.com", "default": true}],
            "tax": {"vat": "300000000000013"},
            "addresses": [{"kind": "billing", "building_no": "7", "street": "King Fahd Rd",
                           "district": "Olaya", "city": "Riyadh", "postal_code": "12211",
                           "country_code": "SA"}],
            "note": "prefers mornings",
            "locale": {"preferred_language": "ar"},
            "finance": {"credit_limit": 500}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let seq = created["seq"].as_i64().unwrap();

    let token = tenant_token("demo");
    let (status, _, here) = call(
        &app,
        reqwest::Method::GET,
        "/api/customer/Sara%20Ali",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{here}");
    assert_eq!(
        here,
        json!({"cusId": seq, "cusName": "Sara Ali", "cusMobile": "0568617084", "cusType": "B2C",
               "idType": "IQA", "idNo": "2100000000", "email": "sara@example.com",
               "vatNo": "300000000000013", "bldgNo": "7", "street": "King Fahd Rd",
               "city": "Riyadh", "postalCode": "12211"})
    );
    let (status, headers, list) = call(
        &app,
        reqwest::Method::GET,
        "/api/customer?CusMobile=0568617084&CusType=B2C",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-total-count"], "1");
    assert_eq!(list, json!([here]));

    // A PUT here replaces this dialect's fields and keeps the facade's others.
    let (status, _, updated) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/customer/{seq}"),
        &token,
        Some(&seed(SEED_UPDATE)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["cusName"], "Updated Name");
    let (_, _, after) = call(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/{id}"),
        "dev-unified-demo",
        None,
    )
    .await;
    assert_eq!(after["name"]["display"], "Updated Name");
    assert_eq!(after["name"]["first"], "Sara");
    assert_eq!(after["note"], "prefers mornings");
    assert_eq!(after["locale"]["preferred_language"], "ar");
    assert_eq!(after["kind"], "company");
    assert_eq!(after["phones"].as_array().unwrap().len(), 2);
    assert_eq!(after["phones"][0]["number"], "+966555555555");
    assert_eq!(after["phones"][1]["number"], "+966112223333");
    assert_eq!(after["addresses"][0]["district"], "Olaya");
    assert_eq!(after["addresses"][0]["country_code"], "SA");
    assert_eq!(after["addresses"][0]["street"], "Main Street");
    assert_eq!(
        after["identifications"],
        json!([{"scheme": "CRN", "value": "123456789"}])
    );
    assert_eq!(after["version"], 2);

    let (status, _, _) = call(
        &app,
        reqwest::Method::DELETE,
        "/api/customer/Updated%20Name",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/{id}"),
        "dev-unified-demo",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tenants_stay_apart_through_every_door() {
    let app = spawn_app().await;
    let demo = login(&app, "demo", "demo").await;
    let acme = login(&app, "acme", "acme").await;
    let (status, _, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/customer",
        &demo,
        Some(&seed(SEED_CREATE)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    for (method, path, body) in [
        (reqwest::Method::GET, "/api/customer/John%20Doe", None),
        (
            reqwest::Method::PUT,
            "/api/customer/1",
            Some(seed(SEED_UPDATE)),
        ),
        (reqwest::Method::DELETE, "/api/customer/John%20Doe", None),
    ] {
        let (status, _, body) = call(&app, method.clone(), path, &acme, body.as_ref()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["status"], 404);
    }
    let (_, headers, list) = call(&app, reqwest::Method::GET, "/api/customer", &acme, None).await;
    assert_eq!(list, json!([]));
    assert_eq!(headers["x-total-count"], "0");
    assert!(
        facade_find(&app, "dev-unified-acme", "name.display eq 'John Doe'")
            .await
            .is_empty()
    );
    assert_eq!(
        facade_find(&app, "dev-unified-demo", "name.display eq 'John Doe'")
            .await
            .len(),
        1
    );

    // A token signed with another key, or for a tenant without a `tenant` section, is a 401.
    let (status, headers, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/customer",
        "eyJhbGciOiJub25lIn0.eyJUZW5hbnRJZCI6ImRlbW8ifQ.",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
}

#[tokio::test]
async fn the_cli_prints_a_token_the_gateway_accepts() {
    let out = custgate(
        "config/default.toml",
        &["token", "tenant", "--tenant", "acme"],
    )
    .output()
    .expect("the custgate binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let app = spawn_app().await;
    let (status, _, created) = call(
        &app,
        reqwest::Method::POST,
        "/api/customer",
        &token,
        Some(&seed(SEED_CREATE)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        facade_find(&app, "dev-unified-acme", "name.display eq 'John Doe'")
            .await
            .len(),
        1,
        "the token's tenant is acme"
    );
}

/// Every list query of the seed answers 200; a misspelt filter is a 400 naming it, never
/// the whole tenant's list.
#[tokio::test]
async fn seed_list_queries_work_and_unknown_parameters_are_refused() {
    let app = spawn_app().await;
    let token = login(&app, "demo", "demo").await;
    let (status, _, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/customer",
        &token,
        Some(&seed(SEED_CREATE)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let queries: Vec<String> = serde_json::from_str(include_str!(
        "../../crates/dialects/tenant/tests/fixtures/list_queries.json"
    ))
    .unwrap();
    for qs in queries {
        let path = format!("/api/customer{qs}");
        let (status, headers, body) = call(&app, reqwest::Method::GET, &path, &token, None).await;
        assert_eq!(status, StatusCode::OK, "{qs}: {body}");
        assert!(headers.contains_key("x-total-count"), "{qs}");
    }

    let (status, headers, body) = call(
        &app,
        reqwest::Method::GET,
        "/api/customer?CusName=John&VatNumber=300000000000099",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(!headers.contains_key("x-total-count"));
    assert_eq!(body["title"], "One or more validation errors occurred.");
    let errors = body["errors"].as_object().unwrap();
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["VatNumber"]);
    assert!(errors["VatNumber"][0]
        .as_str()
        .unwrap()
        .contains("the parameters are CusName"));
}
