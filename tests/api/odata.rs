//! `odata` (Unimicro `api/biz/customers`) through the whole gateway, on the real store:
//! Appendix A created here reads correctly through the unified facade and the other
//! dialects, a customer created through the facade reads correctly here, changes made on
//! either side survive the other, filters and actions run on the SQL store, and the
//! `CompanyKey` keeps the tenants apart.

use custgate_testkit::fixtures::seed_json;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const FACADE: &str = "/unified/v1/customers";
const BASE: &str = "/api/biz/customers";
const DEMO_KEY: &str = "11111111-1111-4111-8111-111111111111";
const ACME_KEY: &str = "22222222-2222-4222-8222-222222222222";
const SEED_EXPAND: &str = "Info,Info.Phones,Info.DefaultPhone,Info.Addresses,Info.Emails,Info.DefaultEmail,Info.ShippingAddress,Info.InvoiceAddress,Dimensions,Info.DefaultBankAccount,Info.Contacts.Info,Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone";

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    company: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut rb = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(k) = company {
        rb = rb.header("CompanyKey", k);
    }
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

async fn odata(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    send(app, method, path, "dev-odata-demo", Some(DEMO_KEY), body).await
}

async fn facade(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    send(app, method, path, "dev-unified-demo", None, body).await
}

/// The canonical record with this `seq`, through the facade.
async fn facade_by_seq(app: &TestApp, seq: i64) -> Value {
    let (status, body) = facade(
        app,
        Method::GET,
        &format!("{FACADE}?filter=seq%20eq%20{seq}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    items[0].clone()
}

#[tokio::test]
async fn appendix_a_created_here_reads_through_the_facade_and_the_other_dialects() {
    let app = spawn_app().await;
    let seed = seed_json(
        concat!(env!("CARGO_MANIFEST_DIR"), "/crates/dialects/odata"),
        "appendix_a.json",
    );
    let (status, created) = odata(&app, Method::POST, BASE, Some(&seed)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["ID"].as_i64().unwrap();
    let number = created["CustomerNumber"].as_i64().unwrap();

    // Read back here with the seed's expand list: what was sent, with the ids the
    // gateway assigned.
    let (status, read) = odata(
        &app,
        Method::GET,
        &format!("{BASE}/{id}?expand={SEED_EXPAND}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for key in [
        "OrgNumber",
        "IsPrivate",
        "Dimensions",
        "GLN",
        "DefaultCustomerOrderReportID",
        "ReminderEmailAddress",
    ] {
        let mut want = seed[key].clone();
        if key == "Dimensions" {
            want["ID"] = read["Dimensions"]["ID"].clone();
        }
        assert_eq!(read[key], want, "{key}");
    }
    for key in [
        "InvoiceAddress",
        "ShippingAddress",
        "DefaultPhone",
        "DefaultEmail",
    ] {
        let mut child = read["Info"][key].clone();
        assert!(child["ID"].as_i64().unwrap() > 0);
        child["ID"] = json!(0);
        assert_eq!(child, seed["Info"][key], "{key}");
    }

    // The canonical record, through the facade.
    let c = facade_by_seq(&app, id).await;
    assert_eq!(c["number"], number.to_string());
    assert_eq!(c["kind"], "company");
    assert_eq!(c["name"]["display"], "John Doe");
    assert_eq!(c["status"], "active");
    assert_eq!(
        c["identifications"],
        json!([{"scheme": "ORG", "value": "914012708"}])
    );
    assert_eq!(c["phones"][0]["number"], "+979834834678");
    assert_eq!(c["phones"][0]["country_code"], "97");
    assert_eq!(c["phones"][0]["default"], true);
    assert_eq!(c["emails"][0]["address"], "user@softrig.com");
    assert_eq!(c["emails"][0]["default"], true);
    let addresses = c["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), 2);
    assert_eq!(addresses[0]["kind"], "billing");
    assert_eq!(addresses[1]["kind"], "shipping");
    assert_eq!(
        addresses[0]["lines"],
        json!(["Address Line 1", "Address Line 2", "Address Line"])
    );
    assert_eq!(addresses[0]["country_code"], "NO");
    assert_eq!(
        c["extensions"]["odata"]["fields"]["DefaultSeller"]["Name"],
        "Anders"
    );

    // Through ManEx (custno), by name.
    let r = app
        .client
        .get(app.url("/API/Customer/Get/DEVKEY0001?CustNumOrName=John%20Doe"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let manex: Value = r.json().await.unwrap();
    assert_eq!(manex["ResponseObject"]["CUSTNAME"], "John Doe", "{manex}");

    // Through the Pristine Invoice tenant API, by name.
    let token = crate::helpers::tenant_token("demo");
    let (status, pristine) = send(
        &app,
        Method::GET,
        "/api/customer/John%20Doe",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pristine}");
    assert_eq!(pristine["cusName"], "John Doe");
    assert_eq!(pristine["email"], "user@softrig.com");

    // Changed through the facade (a full replace of what it read): the change shows here,
    // the untouched children keep their ids and Appendix A's extra properties survive.
    let mut changed = c.clone();
    changed["addresses"][1]["city"] = json!("Bergen");
    changed["emails"]
        .as_array_mut()
        .unwrap()
        .push(json!({"address": "faktura@softrig.com"}));
    let (status, body) = facade(
        &app,
        Method::PUT,
        &format!("{FACADE}/{}", c["id"].as_str().unwrap()),
        Some(&changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = odata(
        &app,
        Method::GET,
        &format!("{BASE}/{id}?expand={SEED_EXPAND},DefaultSeller"),
        None,
    )
    .await;
    assert_eq!(after["Info"]["ShippingAddress"]["City"], "Bergen");
    assert_eq!(
        after["Info"]["InvoiceAddress"],
        read["Info"]["InvoiceAddress"]
    );
    assert_eq!(after["Info"]["DefaultPhone"], read["Info"]["DefaultPhone"]);
    assert_eq!(after["Info"]["DefaultEmail"], read["Info"]["DefaultEmail"]);
    assert_eq!(
        after["Info"]["Emails"][0]["EmailAddress"],
        "faktura@softrig.com"
    );
    assert_eq!(after["DefaultSeller"], seed["DefaultSeller"]);
    assert_eq!(after["Dimensions"], read["Dimensions"]);
}

#[tokio::test]
async fn a_customer_created_through_the_facade_reads_and_changes_here() {
    let app = spawn_app().await;
    let (status, created) = facade(
        &app,
        Method::POST,
        FACADE,
        Some(&json!({
            "kind": "person",
            "name": {"first": "Kari", "last": "Nordmann"},
            "identifications": [{"scheme": "ORG", "value": "998877665"}],
            "tax": {"vat": "NO998877665MVA"},
            "note": "VIP",
            "finance": {"credit_days": 30, "currency": "NOK"},
            "phones": [
                {"kind": "mobile", "number": "+4791234567", "country_code": "47", "default": true},
                {"kind": "fax", "number": "+4722334455", "country_code": "47"}
            ],
            "emails": [{"address": "kari@example.no", "default": true}, {"address": "kari.private@example.no"}],
            "addresses": [
                {"kind": "billing", "lines": ["Storgata 1"], "postal_code": "0155", "city": "Oslo", "country_code": "NO"},
                {"kind": "other", "street": "Karl Johans gate", "building_no": "22", "city": "Oslo"}
            ],
            "contacts": [{"name": "Ola", "email": "ola@example.no", "relation": "spouse", "primary": true, "active": true}]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let seq = created["seq"].as_i64().unwrap();

    let all = "Info,Info.InvoiceAddress,Info.ShippingAddress,Info.Addresses,Info.DefaultPhone,Info.Phones,Info.DefaultEmail,Info.Emails,Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone,CurrencyCode";
    let (status, c) = odata(
        &app,
        Method::GET,
        &format!("{BASE}/{seq}?expand={all}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(
        c["CustomerNumber"].as_i64().unwrap().to_string(),
        created["number"].as_str().unwrap()
    );
    assert_eq!(c["IsPrivate"], true);
    assert_eq!(c["OrgNumber"], "998877665");
    assert_eq!(c["StatusCode"], 30001);
    assert_eq!(c["CreditDays"], 30);
    assert_eq!(c["CurrencyCode"]["Code"], "NOK");
    let info = &c["Info"];
    assert_eq!(info["Name"], "Kari Nordmann");
    assert_eq!(info["DefaultPhone"]["Type"], 150102);
    assert_eq!(info["DefaultPhone"]["Number"], "91234567");
    assert_eq!(info["DefaultPhone"]["CountryCode"], "47");
    assert_eq!(info["Phones"][0]["Type"], 150103);
    assert_eq!(info["DefaultEmail"]["EmailAddress"], "kari@example.no");
    assert_eq!(info["Emails"][0]["EmailAddress"], "kari.private@example.no");
    assert_eq!(info["InvoiceAddress"]["AddressLine1"], "Storgata 1");
    assert_eq!(info["InvoiceAddress"]["PostalCode"], "0155");
    assert_eq!(info["ShippingAddress"], Value::Null);
    assert_eq!(info["Addresses"][0]["AddressLine1"], "22 Karl Johans gate");
    assert_eq!(info["Contacts"][0]["Role"], "spouse");
    assert_eq!(info["Contacts"][0]["Info"]["Name"], "Ola");
    assert_eq!(info["DefaultContactID"], info["Contacts"][0]["ID"]);

    // Changed here: a phone removed, one added, a description set, the other address'
    // city changed. What this dialect cannot show stays as it was.
    let fax_id = info["Phones"][0]["ID"].clone();
    let other_id = info["Addresses"][0]["ID"].clone();
    let (status, body) = odata(
        &app,
        Method::PUT,
        &format!("{BASE}/{seq}"),
        Some(&json!({"Info": {
            "Phones": [{"ID": fax_id, "Deleted": true}, {"ID": 0, "Type": 150101, "Number": "22000000", "CountryCode": "47"}],
            "DefaultEmail": {"ID": info["DefaultEmail"]["ID"], "Description": "Main"},
            "Addresses": [{"ID": other_id, "City": "Bergen"}]
        }})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = facade_by_seq(&app, seq).await;
    let numbers: Vec<&str> = after["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["+4791234567", "+4722000000"]);
    assert_eq!(after["emails"][0]["description"], "Main");
    assert_eq!(after["addresses"][1]["city"], "Bergen");
    assert_eq!(after["addresses"][1]["street"], "Karl Johans gate");
    assert_eq!(after["addresses"][1]["building_no"], "22");
    assert_eq!(after["name"]["first"], "Kari");
    assert_eq!(after["tax"]["vat"], "NO998877665MVA");
    assert_eq!(after["note"], "VIP");
    assert_eq!(after["contacts"][0]["name"], "Ola");
}

#[tokio::test]
async fn filters_actions_and_tenants_on_the_real_store() {
    let app = spawn_app().await;
    for (name, private) in [
        ("Freeland AS", false),
        ("Ola Nordmann", true),
        ("O'Brien AS", false),
        ("Zeta", false),
    ] {
        let (status, body) = odata(
            &app,
            Method::POST,
            BASE,
            Some(&json!({"IsPrivate": private, "Info": {"Name": name}})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let ids = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["ID"].as_i64().unwrap())
            .collect()
    };

    // The seed's own list request, spaces and all (percent-encoded on the wire).
    let (status, _) = odata(
        &app,
        Method::PUT,
        &format!("{BASE}?action=deactivate&id=4"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, list) = odata(
        &app,
        Method::GET,
        &format!("{BASE}?expand={SEED_EXPAND}&filter=StatusCode%20eq%2030001&top=10&skip=1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ids(&list), [2, 3]);

    for (filter, want) in [
        ("Info.Name eq 'O''Brien AS'", vec![3]),
        ("Info.Name like '%as' and not IsPrivate", vec![1, 3]),
        (
            "contains(Info.Name,'nord') or CustomerNumber gt 3",
            vec![2, 4],
        ),
        ("StatusCode eq 50001", vec![4]),
        ("CustomerNumber ge 2 and CustomerNumber lt 4", vec![2, 3]),
    ] {
        let path = format!(
            "{BASE}?filter={}&orderby=ID",
            filter.replace(' ', "%20").replace('\'', "%27")
        );
        let (status, list) = odata(&app, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {list}");
        assert_eq!(ids(&list), want, "{filter}");
    }
    let (status, err) = odata(
        &app,
        Method::GET,
        &format!("{BASE}?filter=Nope%20eq%201"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["Message"], "filter: unknown field 'Nope' at position 0");

    // Actions and the walk.
    let (status, _) = odata(
        &app,
        Method::PUT,
        &format!("{BASE}?action=block&id=2"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, next) = odata(&app, Method::GET, &format!("{BASE}/1?action=next"), None).await;
    assert_eq!(next["ID"], 3);
    let (_, none) = odata(&app, Method::GET, &format!("{BASE}/4?action=next"), None).await;
    assert_eq!(none, Value::Null);
    assert_eq!(facade_by_seq(&app, 2).await["status"], "blocked");

    // Bulk save on the real store.
    let (status, saved) = odata(
        &app,
        Method::PUT,
        &format!("{BASE}?action=bulk-save"),
        Some(&json!([{"ID": 1, "Info": {"Name": "Freeland ASA"}}, {"Info": {"Name": "Bulk new"}}])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        facade_by_seq(&app, 1).await["name"]["display"],
        "Freeland ASA"
    );

    // Delete: refused while referenced, then gone.
    let (status, _) = odata(
        &app,
        Method::PUT,
        &format!("{BASE}/3"),
        Some(&json!({"CustomerInvoices": [{"ID": 5}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = odata(&app, Method::DELETE, &format!("{BASE}/3"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["ComplexValidationRule"]["ValidationCode"], 115001);
    let (status, _) = odata(&app, Method::DELETE, &format!("{BASE}/1"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = odata(&app, Method::GET, &format!("{BASE}/1"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Tenants: acme sees nothing of demo's, and demo's token cannot open acme's company.
    let (status, list) = send(
        &app,
        Method::GET,
        BASE,
        "dev-odata-acme",
        Some(ACME_KEY),
        None,
    )
    .await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let (status, _) = send(
        &app,
        Method::GET,
        &format!("{BASE}/3"),
        "dev-odata-acme",
        Some(ACME_KEY),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        Method::GET,
        BASE,
        "dev-odata-demo",
        Some(ACME_KEY),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&app, Method::GET, BASE, "dev-odata-demo", None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &app,
        Method::GET,
        BASE,
        "dev-unified-demo",
        Some(DEMO_KEY),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
