//! `custno` (ManEx API-key customer API) through the whole gateway: customers added here
//! are read through the unified facade and the other way round, on the real store.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const DEMO_KEY: &str = "DEVKEY0001";
const ACME_KEY: &str = "ACMEKEY001";
const FACADE: &str = "/unified/v1/customers";

async fn manex_get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app
        .client
        .get(app.url(path))
        .send()
        .await
        .expect("the gateway answers");
    let status = r.status();
    (status, r.text().await.unwrap())
}

async fn manex_post(app: &TestApp, path: &str, body: &Value) -> Value {
    let r = app
        .client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
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
async fn a_customer_added_here_is_read_through_the_facade() {
    let app = spawn_app().await;
    let added = manex_post(
        &app,
        &format!("/API/Customer/Add/{DEMO_KEY}"),
        &json!({
            "Custname": "Gulf Traders",
            "Status": "quote",
            "Territory": "new england",
            "Terms": "net 30",
            "Credlimit": 2500,
            "Creditok": "hold",
            "Acctaxable": "Y"
        }),
    )
    .await;
    assert_eq!(added["Code"], 200, "{added:#}");
    let custno = added["ResponseObject"]["CUSTNO"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(custno.len(), 10);
    let number = custno.trim_start_matches('0');

    let found = facade_find(&app, "dev-unified-demo", &format!("number eq '{number}'")).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    let c = &found[0];
    assert_eq!(c["name"]["display"], "Gulf Traders");
    assert_eq!(c["status"], "quote");
    assert_eq!(c["sales"]["territory"], "NEW ENGLAND");
    assert_eq!(c["finance"]["payment_terms"], "NET 30");
    assert_eq!(c["finance"]["credit_limit"].as_f64(), Some(2500.0));
    assert_eq!(c["finance"]["credit_status"], "HOLD");
    assert_eq!(c["finance"]["taxable"], true);

    // The other tenant sees nothing, through either door.
    assert!(
        facade_find(&app, "dev-unified-acme", &format!("number eq '{number}'"))
            .await
            .is_empty()
    );
    let (_, body) = manex_get(
        &app,
        &format!("/API/Customer/Get/{ACME_KEY}?CustNumOrName={custno}"),
    )
    .await;
    assert_eq!(json_of(&body)["Message"], "Customer does not exists.");
}

#[tokio::test]
async fn a_customer_created_through_the_facade_is_found_here_by_number_and_name() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url(FACADE))
        .bearer_auth("dev-unified-demo")
        .json(&json!({
            "kind": "company",
            "name": {"display": "Desert Rose Trading"},
            "status": "active",
            "sales": {"territory": "EAST"},
            "finance": {"payment_terms": "COD", "credit_limit": 100}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let number = created["number"]
        .as_str()
        .expect("the store numbers customers")
        .to_owned();
    let custno = format!("{number:0>10}");

    for q in [custno.as_str(), number.as_str(), "Desert%20Rose%20Trading"] {
        let (status, body) = manex_get(
            &app,
            &format!("/API/Customer/Get/{DEMO_KEY}?CustNumOrName={q}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let v = json_of(&body);
        assert_eq!(v["Code"], 200, "{q}: {v:#}");
        let r = &v["ResponseObject"];
        assert_eq!(r["CUSTNO"], custno.as_str());
        assert_eq!(r["CUSTNAME"], "Desert Rose Trading");
        assert_eq!(r["TERRITORY"], "EAST");
        assert_eq!(r["TERMS"], "COD");
        assert_eq!(r["CREDLIMIT"], 100);
        assert_eq!(r["STATUS"], "Active");
    }

    // An edit here is seen there, and keeps what ManEx does not show.
    let edited = manex_post(
        &app,
        &format!("/API/Customer/Edit/{DEMO_KEY}"),
        &json!({"CUSTNO": custno, "Terms": "net 45", "Status": "Inactive"}),
    )
    .await;
    assert_eq!(edited["Message"], "Customer edited successfully.");
    let id = created["id"].as_str().unwrap();
    let r = app
        .client
        .get(app.url(&format!("{FACADE}/{id}")))
        .bearer_auth("dev-unified-demo")
        .send()
        .await
        .unwrap();
    let now: Value = r.json().await.unwrap();
    assert_eq!(now["finance"]["payment_terms"], "NET 45");
    assert_eq!(now["status"], "inactive");
    assert_eq!(now["kind"], "company");
    assert_eq!(now["sales"]["territory"], "EAST");

    let (_, body) = manex_get(
        &app,
        &format!("/API/Customer/Get/{ACME_KEY}?CustNumOrName={custno}"),
    )
    .await;
    assert_eq!(json_of(&body)["Message"], "Customer does not exists.");
}

#[tokio::test]
async fn the_seeds_urls_and_errors_work_through_the_gateway() {
    let app = spawn_app().await;
    // The seed's Add URL as written, stray quote included, in any case.
    let (status, body) = manex_get(
        &app,
        "/api/customer/add/DEVKEY0001?CustName=CustomerName&Status=Active'",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v = json_of(&body);
    assert_eq!(v["Message"], "Customer added successfully.", "{v:#}");
    assert_eq!(v["ResponseObject"]["STATUS"], "Active");
    assert!(v["ResponseObject"]["modifiedDate"].is_null());

    let (status, body) = manex_get(
        &app,
        "/API/Customer/Get/WRONGKEY01?CustNumOrName=CustomerName",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        r#"{"$id":"1","Code":403,"Message":"Invalid API Key.","SessionId":null,"IsValidUser":false,"ResponseObject":null}"#
    );

    let (status, body) = manex_get(&app, "/api/CustomerAdd/123456789").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v = json_of(&body);
    assert_eq!(
        v["MessageDetail"],
        "No type was found that matches the controller named 'CustomerAdd'."
    );
    assert_eq!(
        v["Message"],
        format!(
            "No HTTP resource was found that matches the request URI '{}/api/CustomerAdd/123456789'.",
            app.address
        )
    );

    // The tenant dialect's paths are not taken.
    let (status, _) = manex_get(&app, "/api/customer/CustomerName").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
