//! `ndata` (PORTOS `/customers`) through the whole gateway, on the real store: cards,
//! credit and discount written here survive a read through the unified facade and a
//! write back either way; NData filters run on the SQL store; rights, versions and
//! tenants hold end to end.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{ndata_token, spawn_app, TestApp};

const FACADE: &str = "/unified/v1/customers";
const FACADE_DEMO: &str = "dev-unified-demo";

/// A call with a bearer token; the answer's status and its JSON (`null` when empty).
async fn ndata(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut rb = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let r = rb.send().await.expect("the gateway answers");
    let status = r.status();
    let text = r.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, value)
}

/// A call to the unified facade with the demo tenant's token.
async fn facade(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    ndata(app, method, FACADE_DEMO, path, body).await
}

fn loyal_customer() -> Value {
    json!({
        "id": "nd-e2e-1",
        "externalId": "POS-1",
        "isActive": true,
        "firstName": "Jana",
        "lastName": "Nováková",
        "email": "jana@portos.sk",
        "phone": "+421900123456",
        "isCompany": true,
        "company": {"name": "Kaviareň s.r.o.", "vatId": "SK2020123456", "taxId": "2020123456", "registrationId": "12345678"},
        "address": {"street": "Hlavná 1", "city": "Košice", "zip": "04001", "country": "Slovensko", "countryCode": "SK"},
        "credit": {"amount": 12.5, "currencyLabel": "EUR"},
        "creditTransactions": [{"amount": 12.5, "time": "2024-01-02T10:00:00.00Z"}],
        "cards": [
            {
                "externalId": "ext-card-1", "isActive": true, "isVirtual": false,
                "serialNumber": "CARD-0001", "processor": "P", "status": "Valid",
                "statusTime": "2024-01-01T08:30:00.00Z", "statusReason": "issued",
                "activationTime": "2022-11-01T00:00:00.00Z", "expirationTime": "2030-12-31T23:59:59.00Z",
                "note": "first card", "meta": {"color": "gold"}
            },
            {"serialNumber": "CARD-0002", "isVirtual": true, "isActive": false}
        ],
        "creditRate": 2.0,
        "discountRate": 7.5,
        "note": "regular",
        "meta": {"source": "pos"},
        "loyaltyTier": "gold"
    })
}

/// The record without what the server keeps changing.
fn stable(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("_v");
    v
}

#[tokio::test]
async fn cards_credit_and_discount_survive_the_facade_and_a_write_back() {
    let app = spawn_app().await;
    let token = ndata_token(&app, "demo", "demo").await;
    let (status, created) = ndata(
        &app,
        reqwest::Method::POST,
        &token,
        "/customers",
        Some(&loyal_customer()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created:#}");
    assert_eq!(created["_v"], 1);

    // The facade sees the canonical record.
    let (status, canonical) = facade(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/nd-e2e-1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{canonical:#}");
    assert_eq!(canonical["kind"], "company");
    assert_eq!(canonical["name"]["company"], "Kaviareň s.r.o.");
    assert_eq!(canonical["tax"]["vat"], "SK2020123456");
    assert_eq!(canonical["cards"][0]["serial_number"], "CARD-0001");
    assert_eq!(canonical["cards"][0]["meta"]["color"], "gold");
    assert_eq!(canonical["cards"][1]["is_virtual"], true);
    assert_eq!(
        canonical["finance"]["credit_balance"]["amount"],
        json!(12.5)
    );
    assert_eq!(canonical["finance"]["credit_balance"]["currency"], "EUR");
    assert_eq!(canonical["finance"]["discount_rate"], json!(7.5));
    assert_eq!(canonical["finance"]["credit_rate"], json!(2.0));
    assert_eq!(
        canonical["extensions"]["ndata"]["other"]["loyaltyTier"],
        "gold"
    );
    assert_eq!(
        canonical["extensions"]["ndata"]["company"]["registrationId"],
        "12345678"
    );
    assert_eq!(
        canonical["extensions"]["ndata"]["creditTransactions"][0]["amount"],
        json!(12.5)
    );

    // A write back through the facade (the whole record, as read) changes nothing NData
    // shows.
    let (status, replaced) = facade(
        &app,
        reqwest::Method::PUT,
        &format!("{FACADE}/nd-e2e-1"),
        Some(&canonical),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced:#}");
    let (status, after_facade) = ndata(
        &app,
        reqwest::Method::GET,
        &token,
        "/customers/nd-e2e-1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stable(after_facade.clone()), stable(created.clone()));

    // A write back through NData (as read, with its `_v`) changes nothing the facade shows.
    let (status, put) = ndata(
        &app,
        reqwest::Method::PUT,
        &token,
        "/customers/nd-e2e-1",
        Some(&after_facade),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{put:#}");
    assert_eq!(stable(put), stable(created));
    let (_, again) = facade(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/nd-e2e-1"),
        None,
    )
    .await;
    for member in [
        "cards",
        "finance",
        "name",
        "tax",
        "extensions",
        "emails",
        "phones",
        "addresses",
        "meta",
        "status",
    ] {
        assert_eq!(again[member], canonical[member], "{member}");
    }
}

#[tokio::test]
async fn a_facade_customer_keeps_what_ndata_cannot_show() {
    let app = spawn_app().await;
    let (status, created) = facade(
        &app,
        reqwest::Method::POST,
        FACADE,
        Some(&json!({
            "id": "nd-e2e-2",
            "kind": "person",
            "status": "quote",
            "name": {"first": "Ahmed", "middle": "Ali", "last": "Saleh"},
            "identifications": [{"scheme": "NAT", "value": "1012345678"}],
            "emails": [
                {"address": "ahmed@example.com", "default": true},
                {"address": "ahmed.work@example.com"}
            ],
            "cards": [{"serial_number": "CARD-9", "active": true}],
            "finance": {"discount_rate": 5, "credit_balance": {"amount": 100, "currency": "SAR"}}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created:#}");

    // NData shows it its way.
    let clerk = ndata_token(&app, "clerk", "clerk").await;
    let (status, shown) = ndata(
        &app,
        reqwest::Method::GET,
        &clerk,
        "/customers/nd-e2e-2",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["isActive"], false);
    assert_eq!(shown["fullName"], "Ahmed Ali Saleh");
    assert_eq!(shown["email"], "ahmed@example.com");
    assert_eq!(shown["cards"][0]["serialNumber"], "CARD-9");
    assert_eq!(shown["discountRate"], json!(5.0));
    assert_eq!(
        shown["credit"],
        json!({"amount": 100.0, "currencyLabel": "SAR"})
    );
    assert_eq!(shown["creditRate"], json!(0.0));

    // The clerk changes the note; nothing else moves, not even what NData cannot show.
    let mut body = shown.clone();
    body["note"] = json!("called back");
    let (status, put) = ndata(
        &app,
        reqwest::Method::PUT,
        &clerk,
        "/customers/nd-e2e-2",
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{put:#}");
    let (_, after) = facade(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/nd-e2e-2"),
        None,
    )
    .await;
    assert_eq!(after["note"], "called back");
    for member in [
        "status",
        "name",
        "identifications",
        "emails",
        "cards",
        "finance",
        "kind",
    ] {
        assert_eq!(after[member], created[member], "{member}");
    }

    // But the clerk may not change the discount.
    body["_v"] = put["_v"].clone();
    body["discountRate"] = json!(9);
    let (status, problem) = ndata(
        &app,
        reqwest::Method::PUT,
        &clerk,
        "/customers/nd-e2e-2",
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["errorCode"], 2);
}

#[tokio::test]
async fn ndata_filters_run_on_the_real_store() {
    let app = spawn_app().await;
    let token = ndata_token(&app, "demo", "demo").await;
    for body in [
        json!({"id": "f1", "firstName": "John", "lastName": "Doe", "discountRate": 10, "cards": [{"serialNumber": "S-100"}], "expirationTime": "2001-01-01T00:00:00Z"}),
        json!({"id": "f2", "firstName": "Jane", "lastName": "Roe", "isActive": false, "externalId": "EXT-2", "note": "VIP"}),
        json!({"id": "f3", "firstName": "Bob", "lastName": "Smith", "discountRate": 25.5, "cards": [{"serialNumber": "S-300"}]}),
    ] {
        let (status, _) = ndata(
            &app,
            reqwest::Method::POST,
            &token,
            "/customers",
            Some(&body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // A record from the facade without rates: NData shows (and filters) them as 0.
    let (status, _) = facade(
        &app,
        reqwest::Method::POST,
        FACADE,
        Some(&json!({"id": "f4", "name": {"first": "Anna"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("DiscountRate=gt:0;lt:50&$sort=id", vec!["f1", "f3"]),
        ("DiscountRate=0&$sort=id", vec!["f2", "f4"]),
        ("CardSerialNumber=startswith:s-&$sort=-id", vec!["f3", "f1"]),
        ("IsActive=false", vec!["f2"]),
        (
            "ExternalId=null&$sort=lastName:desc",
            vec!["f3", "f1", "f4"],
        ),
        ("Search=vip", vec!["f2"]),
        ("IsExpired=true", vec!["f1"]),
        ("$sort=firstName&$skip=1&$take=2", vec!["f3", "f2"]),
    ] {
        let (status, body) = ndata(
            &app,
            reqwest::Method::GET,
            &token,
            &format!("/customers?{query}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body:#}");
        assert_eq!(ids(&body), expected, "{query}");
    }
    let (_, counted) = ndata(
        &app,
        reqwest::Method::GET,
        &token,
        "/customers?$count=true",
        None,
    )
    .await;
    assert_eq!(counted, json!({"count": 4, "totalCount": 4}));
}

#[tokio::test]
async fn rights_versions_and_tenants_hold_end_to_end() {
    let app = spawn_app().await;
    let demo = ndata_token(&app, "demo", "demo").await;
    let clerk = ndata_token(&app, "clerk", "clerk").await;
    let acme = ndata_token(&app, "acme", "acme").await;
    let (status, created) = ndata(
        &app,
        reqwest::Method::POST,
        &clerk,
        "/customers",
        Some(&json!({"id": "nd-e2e-3", "firstName": "Vera"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, problem) = ndata(
        &app,
        reqwest::Method::DELETE,
        &clerk,
        "/customers/nd-e2e-3",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["errorCode"], 2);

    let mut v2 = created.clone();
    v2["note"] = json!("first change");
    let (status, _) = ndata(
        &app,
        reqwest::Method::PUT,
        &clerk,
        "/customers/nd-e2e-3",
        Some(&v2),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The same `_v` again is stale now.
    v2["note"] = json!("second change");
    let (status, problem) = ndata(
        &app,
        reqwest::Method::PUT,
        &clerk,
        "/customers/nd-e2e-3",
        Some(&v2),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["errorCode"], 6);
    assert_eq!(problem["resource"]["version"], 2);

    // acme sees nothing of demo's, through NData or the facade.
    let (status, _) = ndata(
        &app,
        reqwest::Method::GET,
        &acme,
        "/customers/nd-e2e-3",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = ndata(&app, reqwest::Method::GET, &acme, "/customers", None).await;
    assert_eq!(list["totalCount"], 0);
    let r = app
        .client
        .get(app.url(&format!("{FACADE}/nd-e2e-3")))
        .bearer_auth("dev-unified-acme")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let (status, deleted) = ndata(
        &app,
        reqwest::Method::DELETE,
        &demo,
        "/customers/nd-e2e-3",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["note"], "first change");
    let (status, _) = facade(
        &app,
        reqwest::Method::GET,
        &format!("{FACADE}/nd-e2e-3"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A number written here, where a phone has no kind, is the customer's phone on every
/// front: the tenant API's `cusMobile` (and its `CusMobile` filter), v1core's
/// `mobileNumber` (and its lookup), ManEx's `PHONE`. An edit through the tenant API then
/// changes that phone, not a second one.
#[tokio::test]
async fn a_phone_written_here_is_the_customers_number_on_every_front() {
    let app = spawn_app().await;
    let token = ndata_token(&app, "demo", "demo").await;
    let body = json!({"id": "nd-phone-1", "firstName": "Huda", "lastName": "Saleh",
        "phone": "+966551112222", "isActive": true});
    let (status, created) = ndata(
        &app,
        reqwest::Method::POST,
        &token,
        "/customers",
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created:#}");

    // The tenant API: shown and found in the local form.
    let tenant_token = crate::helpers::tenant_token("demo");
    let (status, rows) = ndata(
        &app,
        reqwest::Method::GET,
        &tenant_token,
        "/api/customer?CusMobile=0551112222",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows:#}");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows:#}");
    assert_eq!(rows[0]["cusMobile"], "0551112222");
    let name = rows[0]["cusName"].as_str().unwrap().to_owned();
    let cus_id = rows[0]["cusId"].clone();

    // v1core: found by the number, shown as the mobile.
    let (status, rows) = ndata(
        &app,
        reqwest::Method::GET,
        "dev-v1core-demo",
        "/v1/core/customer?companyCode=jtc&lang=en&mobileNumber=551112222",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows:#}");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows:#}");
    assert_eq!(rows[0]["mobileNumber"], "551112222");
    assert_eq!(rows[0]["additionalMobileNumber"], Value::Null);

    // ManEx: PHONE.
    let (status, manex) = ndata(
        &app,
        reqwest::Method::GET,
        "unused",
        &format!(
            "/API/Customer/Get/DEVKEY0001?CustNumOrName={}",
            name.replace(' ', "%20")
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        manex["ResponseObject"]["PHONE"], "+966551112222",
        "{manex:#}"
    );

    // An edit through the tenant API changes that phone: NData still has one.
    let (status, record) = ndata(
        &app,
        reqwest::Method::PUT,
        &tenant_token,
        &format!("/api/customer/{cus_id}"),
        Some(
            &json!({"cusName": name, "cusMobile": "0553334444", "cusType": "B2C",
            "idType": "NAT", "idNo": "1000000001", "bldgNo": "1", "street": "King Fahd Road",
            "city": "Riyadh", "postalCode": "12345"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record:#}");
    let (_, after) = ndata(
        &app,
        reqwest::Method::GET,
        &token,
        "/customers/nd-phone-1",
        None,
    )
    .await;
    assert_eq!(after["phone"], "+966553334444", "{after:#}");
}
