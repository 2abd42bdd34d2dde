//! The server side: the routes on an actix test service over in-memory stores, with the
//! development configuration's odata sections for demo and acme.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::{test, App};
use async_trait::async_trait;
use common::*;
use custgate_core::{
    CreateOptions, Customer, CustomerId, CustomerStore, Error, MemoryStore, Page, Query, Status,
    TenantId, Version,
};
use custgate_testkit::fixtures::{seed_json, seed_text};
use serde_json::{json, Value};

#[derive(Clone, Copy)]
struct Creds {
    token: Option<&'static str>,
    key: Option<&'static str>,
}

const DEMO: Creds = Creds {
    token: Some(DEMO_TOKEN),
    key: Some(DEMO_KEY),
};
const ACME: Creds = Creds {
    token: Some(ACME_TOKEN),
    key: Some(ACME_KEY),
};

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    body: Value,
}

async fn send<S, B>(app: &S, method: Method, uri: &str, creds: Creds, body: Option<Value>) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let bytes = body.map(|b| b.to_string().into_bytes());
    send_raw(app, method, uri, creds, bytes).await
}

async fn send_raw<S, B>(
    app: &S,
    method: Method,
    uri: &str,
    creds: Creds,
    body: Option<Vec<u8>>,
) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut r = test::TestRequest::default().method(method).uri(uri);
    if let Some(t) = creds.token {
        r = r.insert_header(("Authorization", format!("Bearer {t}")));
    }
    if let Some(k) = creds.key {
        r = r.insert_header(("CompanyKey", k));
    }
    if let Some(b) = body {
        r = r
            .insert_header(("Content-Type", "application/json"))
            .set_payload(b);
    }
    let resp = test::call_service(app, r.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = test::read_body(resp).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Resp {
        status,
        headers,
        body,
    }
}

async fn app_for(
    setup: custgate_http::DialectSetup,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    let server = custgate_odata::server(&setup).expect("the configuration is valid");
    test::init_service(App::new().configure(move |c| server.configure(c))).await
}

macro_rules! get {
    ($app:expr, $uri:expr, $creds:expr) => {
        send(&$app, Method::GET, $uri, $creds, None).await
    };
}
macro_rules! post {
    ($app:expr, $uri:expr, $creds:expr, $body:expr) => {
        send(&$app, Method::POST, $uri, $creds, Some($body)).await
    };
}
macro_rules! put {
    ($app:expr, $uri:expr, $creds:expr, $body:expr) => {
        send(&$app, Method::PUT, $uri, $creds, Some($body)).await
    };
}
macro_rules! put_empty {
    ($app:expr, $uri:expr, $creds:expr) => {
        send(&$app, Method::PUT, $uri, $creds, None).await
    };
}
macro_rules! delete {
    ($app:expr, $uri:expr, $creds:expr) => {
        send(&$app, Method::DELETE, $uri, $creds, None).await
    };
}

fn enc(s: &str) -> String {
    s.replace('%', "%25")
        .replace(' ', "%20")
        .replace('\'', "%27")
        .replace('&', "%26")
        .replace('+', "%2B")
}

/// A 400 in the seed's validation-object shape, naming `property`.
fn assert_validation(r: &Resp, property: &str) {
    assert_eq!(r.status, 400, "{r:?}");
    let keys: Vec<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "ComplexValidationRule",
            "EntityID",
            "EntityType",
            "EntityValidationRule",
            "ID",
            "Level",
            "Message",
            "PropertyName"
        ],
        "{r:?}"
    );
    assert_eq!(r.body["EntityType"], "Customer");
    assert_eq!(r.body["PropertyName"], property, "{r:?}");
}

/// Any other error: the seed's exception shape with a reference.
fn assert_exception(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{r:?}");
    let reference = r.body["ErrorReference"].as_str().unwrap();
    assert_eq!(reference.len(), 8);
    assert!(r.body["Message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{reference}: ")));
    assert_eq!(r.body["StackTrace"], "");
    assert_eq!(r.body["InnerException"], Value::Null);
}

fn named(name: &str) -> Value {
    json!({"Info": {"Name": name}})
}

async fn create<S, B>(app: &S, creds: Creds, body: Value) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, Method::POST, "/api/biz/customers", creds, Some(body)).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
}

#[actix_rt::test]
async fn appendix_a_is_created_and_read_back_losslessly() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    let r = post!(app, "/api/biz/customers", DEMO, appendix_a());
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.headers.get("location").unwrap(), "/api/biz/customers/1");
    let saved = appendix_a_saved(&r.body["CreatedAt"], &r.body["UpdatedAt"]);
    assert!(r.body["CreatedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        r.body, saved,
        "the POST answers with the whole saved entity"
    );

    let r = get!(
        app,
        &format!("/api/biz/customers/1?expand={SEED_EXPAND}"),
        DEMO
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, only_seed_expand(saved.clone()));

    let r = get!(
        app,
        &format!("/api/biz/customers/1?$expand={ALL_EXPAND}"),
        DEMO
    );
    assert_eq!(r.body, saved);

    // A PUT of what was read changes nothing.
    let r = put!(app, "/api/biz/customers/1", DEMO, saved.clone());
    assert_eq!(r.status, 200, "{r:?}");
    let mut again = saved.clone();
    again["UpdatedAt"] = r.body["UpdatedAt"].clone();
    assert_eq!(r.body, again);
}

#[actix_rt::test]
async fn the_seeds_list_request_works_as_written() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    for i in 1..=40 {
        let c = create(&app, DEMO, named(&format!("Customer {i:02}"))).await;
        if i % 4 == 0 {
            let id = c["ID"].as_i64().unwrap();
            let r = put_empty!(
                app,
                &format!("/api/biz/customers?action=deactivate&id={id}"),
                DEMO
            );
            assert_eq!(r.status, 204);
        }
    }
    let url = seed_text(env!("CARGO_MANIFEST_DIR"), "list_request.txt");
    let url = url.trim();
    let path = url.strip_prefix("https://test.unimicro.no").unwrap();
    let r = get!(app, &path.replace(' ', "%20"), DEMO);
    assert_eq!(r.status, 200, "{r:?}");
    let items = r.body.as_array().unwrap();
    // 30 active customers; skip 20, take 10.
    assert_eq!(items.len(), 10);
    let names: Vec<&str> = items
        .iter()
        .map(|c| c["Info"]["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Customer 27");
    assert!(items.iter().all(|c| c["StatusCode"] == 30001));
    assert!(items[0]["Info"]["Phones"].is_array());
    assert!(items[0]["Dimensions"].is_null());
    assert!(items[0].get("DefaultSeller").is_none());
}

#[actix_rt::test]
async fn authentication_and_company_keys() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    let uri = "/api/biz/customers";
    let cases = [
        (
            Creds {
                token: None,
                key: Some(DEMO_KEY),
            },
            401,
            "a bearer token is required",
        ),
        (
            Creds {
                token: Some("nope"),
                key: Some(DEMO_KEY),
            },
            401,
            "not valid",
        ),
        (
            Creds {
                token: Some(DEMO_TOKEN),
                key: None,
            },
            403,
            "CompanyKey header is required",
        ),
        (
            Creds {
                token: Some(DEMO_TOKEN),
                key: Some("not-a-guid"),
            },
            403,
            "not a GUID",
        ),
        (
            Creds {
                token: Some(DEMO_TOKEN),
                key: Some("33333333-3333-4333-8333-333333333333"),
            },
            403,
            "not one of this token's companies",
        ),
        (
            Creds {
                token: Some(DEMO_TOKEN),
                key: Some(ACME_KEY),
            },
            403,
            "not one of this token's companies",
        ),
        (
            Creds {
                token: Some(ACME_TOKEN),
                key: Some(DEMO_KEY),
            },
            403,
            "not one of this token's companies",
        ),
    ];
    for (creds, status, message) in cases {
        for (method, path) in [
            (Method::GET, uri.to_owned()),
            (Method::POST, uri.to_owned()),
            (Method::GET, format!("{uri}/1")),
            (Method::PUT, format!("{uri}/1")),
            (Method::DELETE, format!("{uri}/1")),
            (Method::PUT, format!("{uri}?action=activate&id=1")),
        ] {
            let body = (method == Method::POST || method == Method::PUT).then(|| named("x"));
            let r = send(&app, method.clone(), &path, creds, body).await;
            assert_exception(&r, status);
            assert!(
                r.body["Message"].as_str().unwrap().contains(message),
                "{method} {path}: {r:?}"
            );
            if status == 401 {
                assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
            }
        }
    }
    // The key's case and surrounding blanks do not matter.
    let lower = Creds {
        token: Some(DEMO_TOKEN),
        key: Some("11111111-1111-4111-8111-111111111111"),
    };
    assert_eq!(get!(app, uri, lower).status, 200);
    let upper = Creds {
        token: Some(DEMO_TOKEN),
        key: Some("11111111-1111-4111-8111-111111111111 "),
    };
    assert_eq!(get!(app, uri, upper).status, 200);
}

#[actix_rt::test]
async fn tenants_are_isolated_on_every_endpoint() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    let mut demo_customer = appendix_a();
    demo_customer["CustomerNumberKidAlias"] = json!("12345");
    create(&app, DEMO, demo_customer).await;
    create(&app, DEMO, named("Second")).await;

    assert_eq!(get!(app, "/api/biz/customers", ACME).body, json!([]));
    assert_eq!(
        get!(app, "/api/biz/customers", DEMO)
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_exception(&get!(app, "/api/biz/customers/1", ACME), 404);
    assert_exception(
        &put!(app, "/api/biz/customers/1", ACME, named("Hijack")),
        404,
    );
    assert_exception(&delete!(app, "/api/biz/customers/1", ACME), 404);
    for action in ["activate", "deactivate", "block"] {
        let r = put_empty!(
            app,
            &format!("/api/biz/customers?action={action}&id=1"),
            ACME
        );
        assert_exception(&r, 404);
    }
    assert_eq!(
        get!(app, "/api/biz/customers/0?action=next", ACME).body,
        Value::Null
    );
    assert_eq!(
        get!(app, "/api/biz/customers/9?action=previous", ACME).body,
        Value::Null
    );
    let kid = "/api/biz/customers?action=validate-customer-KID-Alias&customerKidAlias=12345";
    assert_eq!(get!(app, kid, ACME).body, json!(true));
    assert_eq!(get!(app, kid, DEMO).body, json!(false));
    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save",
        ACME,
        json!([{"ID": 1, "Info": {"Name": "x"}}])
    );
    assert_validation(&r, "[0].ID");

    // Acme's own first customer is its ID 1, separate from demo's.
    let a = create(&app, ACME, named("Acme One")).await;
    assert_eq!(a["ID"], 1);
    assert_eq!(
        get!(app, "/api/biz/customers/1", DEMO).body["OrgNumber"],
        "914012708"
    );
    assert_eq!(
        get!(app, "/api/biz/customers/1?expand=Info", ACME).body["Info"]["Name"],
        "Acme One"
    );
    // Nothing of demo's changed.
    let r = get!(app, "/api/biz/customers/1?expand=Info", DEMO);
    assert_eq!(r.body["Info"]["Name"], "John Doe");
    assert_eq!(r.body["StatusCode"], 30001);
}

#[actix_rt::test]
async fn expand_and_select() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    create(&app, DEMO, appendix_a()).await;
    let base = "/api/biz/customers/1";

    let plain = get!(app, base, DEMO).body;
    assert!(plain.get("Info").is_none());
    assert!(plain.get("Dimensions").is_none());
    assert_eq!(plain["OrgNumber"], "914012708");
    assert_eq!(plain["DefaultCustomerOrderReportID"], 84);

    let info = get!(app, &format!("{base}?expand=Info"), DEMO).body;
    assert_eq!(info["Info"]["Name"], "John Doe");
    assert_eq!(info["Info"]["DefaultPhoneID"], 3);
    assert!(info["Info"].get("DefaultPhone").is_none());
    assert!(info["Info"].get("Phones").is_none());

    let phones = get!(app, &format!("{base}?expand=info/defaultphone"), DEMO).body;
    assert_eq!(phones["Info"]["DefaultPhone"]["Number"], "9834834678");
    assert!(phones["Info"].get("DefaultEmail").is_none());

    let sel = get!(
        app,
        &format!("{base}?select=ID,Info.Name,Info.DefaultEmail.EmailAddress"),
        DEMO
    )
    .body;
    assert_eq!(
        sel,
        json!({"ID": 1, "Info": {"Name": "John Doe", "DefaultEmail": {"EmailAddress": "user@softrig.com"}}})
    );
    let sel = get!(
        app,
        &format!("{base}?$select=ID,DefaultSeller&$expand=Info"),
        DEMO
    )
    .body;
    assert_eq!(sel["ID"], 1);
    assert_eq!(sel["DefaultSeller"]["Name"], "Anders");
    assert_eq!(sel.as_object().unwrap().len(), 2);
    let list = get!(app, "/api/biz/customers?select=ID,CustomerNumber", DEMO).body;
    assert_eq!(list, json!([{"ID": 1, "CustomerNumber": 1}]));
    let contacts = get!(app, &format!("{base}?expand=Info.Contacts"), DEMO).body;
    assert_eq!(contacts["Info"]["Contacts"], json!([]));

    assert_validation(&get!(app, &format!("{base}?expand=Nope"), DEMO), "expand");
    assert_validation(
        &get!(app, &format!("{base}?expand=Info.Name"), DEMO),
        "expand",
    );
    assert_validation(&get!(app, &format!("{base}?select=Nope"), DEMO), "select");
    assert_validation(
        &get!(app, &format!("{base}?select=ID.Nope"), DEMO),
        "select",
    );
}

#[actix_rt::test]
async fn filters_orderby_top_and_skip() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    for (name, email, private) in [
        ("Freeland AS", "post@freeland.no", false),
        ("Nordmann, Ola", "ola@nordmann.no", true),
        ("O'Brien Consulting", "hello@obrien.ie", false),
    ] {
        create(
            &app,
            DEMO,
            json!({"IsPrivate": private, "Info": {"Name": name, "DefaultEmail": {"EmailAddress": email}}}),
        )
        .await;
    }
    let list = |f: &str| format!("/api/biz/customers?expand=Info&filter={}", enc(f));
    let names = |r: &Resp| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Info"]["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&get!(
            app,
            &list("Info.Name eq 'O''Brien Consulting'"),
            DEMO
        )),
        ["O'Brien Consulting"]
    );
    assert_eq!(
        names(&get!(app, &list("Info.Name like 'FREE%'"), DEMO)),
        ["Freeland AS"]
    );
    assert_eq!(
        names(&get!(app, &list("Info.Name notlike '%AS'"), DEMO)).len(),
        2
    );
    assert_eq!(
        names(&get!(
            app,
            &list("contains(Info.DefaultEmail.EmailAddress,'.NO')"),
            DEMO
        ))
        .len(),
        2
    );
    assert_eq!(
        names(&get!(app, &list("IsPrivate eq true"), DEMO)),
        ["Nordmann, Ola"]
    );
    assert_eq!(
        names(&get!(
            app,
            &list("ID gt 1 and (CustomerNumber eq 3 or startswith(Info.Name,'nord'))"),
            DEMO
        ))
        .len(),
        2
    );
    assert_eq!(
        names(&get!(app, &list("CustomerNumber ge 2"), DEMO)).len(),
        2
    );

    let r = get!(
        app,
        "/api/biz/customers?expand=Info&orderby=Info.Name desc&top=2&skip=1"
            .replace(' ', "%20")
            .as_str(),
        DEMO
    );
    assert_eq!(names(&r), ["Nordmann, Ola", "Freeland AS"]);
    let r = get!(app, "/api/biz/customers?$orderby=ID%20desc&$top=1", DEMO);
    assert_eq!(r.body[0]["ID"], 3);

    let r = get!(app, &list("Info.Nmae eq 'x'"), DEMO);
    assert_validation(&r, "filter");
    assert_eq!(
        r.body["Message"],
        "filter: unknown field 'Info.Nmae' at position 0"
    );
    let r = get!(app, &list("ID eq 1 and (Info.Name eq 'x'"), DEMO);
    assert_validation(&r, "filter");
    assert!(
        r.body["Message"]
            .as_str()
            .unwrap()
            .contains("at position 29"),
        "{r:?}"
    );
    let r = get!(
        app,
        &list(&format!("{}ID eq 1{}", "(".repeat(60), ")".repeat(60))),
        DEMO
    );
    assert!(r.body["Message"].as_str().unwrap().contains("nests deeper"));
    let r = get!(app, &list(&"ID eq 1 or ".repeat(1000)), DEMO);
    assert!(r.body["Message"].as_str().unwrap().contains("longer than"));
    assert_validation(
        &get!(app, "/api/biz/customers?orderby=StatusCode", DEMO),
        "orderby",
    );
    assert_validation(&get!(app, "/api/biz/customers?top=1001", DEMO), "top");
    assert_validation(&get!(app, "/api/biz/customers?top=x", DEMO), "top");
    assert_validation(&get!(app, "/api/biz/customers?skip=-1", DEMO), "skip");
    assert_validation(
        &get!(
            app,
            "/api/biz/customers?filter=ID%20eq%201&$filter=ID%20eq%202",
            DEMO
        ),
        "filter",
    );
    assert_validation(&get!(app, "/api/biz/customers?action=frob", DEMO), "action");
}

/// A parameter no request reads, or one this request does not read, is a 400 naming it:
/// ignored, a misspelt `filter` would answer with every customer.
#[actix_rt::test]
async fn parameters_a_request_does_not_read_are_refused() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    let id = create(&app, DEMO, named("Freeland AS")).await["ID"]
        .as_i64()
        .unwrap();
    create(&app, DEMO, named("Nordmann, Ola")).await;
    let one = format!(
        "/api/biz/customers?filter={}",
        enc("Info.Name eq 'Freeland AS'")
    );
    assert_eq!(get!(app, &one, DEMO).body.as_array().unwrap().len(), 1);
    for (uri, property) in [
        (one.replace("filter", "fliter"), "fliter"),
        (one.replace("filter", "$filtr"), "filtr"),
        (format!("/api/biz/customers?id={id}"), "id"),
        (
            "/api/biz/customers?action=validate-customer-KID-Alias&customerKidAlias=12&top=1"
                .to_owned(),
            "top",
        ),
        (
            format!("/api/biz/customers/{id}?filter=ID%20eq%202"),
            "filter",
        ),
        (format!("/api/biz/customers/{id}?top=1&skip=1"), "top"),
    ] {
        let r = get!(app, &uri, DEMO);
        assert_validation(&r, property);
    }
    // hateoas only switches the vendor's links, which this API never shows.
    assert_eq!(get!(app, &format!("{one}&hateoas=false"), DEMO).status, 200);

    let r = post!(app, "/api/biz/customers?action=bulk-save", DEMO, named("x"));
    assert_validation(&r, "action");
    let r = put!(
        app,
        &format!("/api/biz/customers/{id}?filter=x"),
        DEMO,
        named("y")
    );
    assert_validation(&r, "filter");
    let r = put_empty!(
        app,
        &format!("/api/biz/customers?action=block&id={id}&top=1"),
        DEMO
    );
    assert_validation(&r, "top");
    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save&id=1",
        DEMO,
        json!([])
    );
    assert_validation(&r, "id");
    let r = delete!(
        app,
        &format!("/api/biz/customers/{id}?filter=ID%20eq%202"),
        DEMO
    );
    assert_validation(&r, "filter");

    // Nothing of the refused requests happened.
    let r = get!(app, &format!("/api/biz/customers/{id}?expand=Info"), DEMO);
    assert_eq!(r.body["Info"]["Name"], "Freeland AS");
    assert_eq!(r.body["StatusCode"], 30001);
    assert_eq!(
        get!(app, "/api/biz/customers", DEMO)
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[actix_rt::test]
async fn create_rules_and_numbers() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    let a = create(
        &app,
        DEMO,
        json!({"CustomerNumber": 0, "OrgNumber": "999888777"}),
    )
    .await;
    assert_eq!(a["CustomerNumber"], 1);
    let b = create(
        &app,
        DEMO,
        json!({"CustomerNumber": 5000, "Info": {"Name": "B"}}),
    )
    .await;
    assert_eq!(b["CustomerNumber"], 5000);
    let c = create(&app, DEMO, named("C")).await;
    assert_eq!(c["CustomerNumber"], 5001);
    assert_eq!(c["StatusCode"], 30001);
    let r = post!(
        app,
        "/api/biz/customers",
        DEMO,
        json!({"CustomerNumber": 5000, "Info": {"Name": "dup"}})
    );
    assert_validation(&r, "CustomerNumber");
    assert!(r.body["Message"].as_str().unwrap().contains("5000"));
    let r = put!(
        app,
        &format!("/api/biz/customers/{}", c["ID"]),
        DEMO,
        json!({"CustomerNumber": 1})
    );
    assert_validation(&r, "CustomerNumber");

    assert_validation(
        &post!(app, "/api/biz/customers", DEMO, json!({"IsPrivate": true})),
        "Info.Name",
    );
    assert_validation(
        &post!(
            app,
            "/api/biz/customers",
            DEMO,
            json!({"ID": 7, "Info": {"Name": "x"}})
        ),
        "ID",
    );
    assert_validation(
        &post!(
            app,
            "/api/biz/customers",
            DEMO,
            json!({"Info": {"Name": "x", "Phones": [{"Number": "1"}]}})
        ),
        "Info.Phones[0].Type",
    );
    assert_validation(
        &post!(
            app,
            "/api/biz/customers",
            DEMO,
            json!({"Info": {"Name": "x", "DefaultEmail": {"EmailAddress": "no"}}})
        ),
        "Info.DefaultEmail.EmailAddress",
    );
    assert_validation(
        &post!(
            app,
            "/api/biz/customers",
            DEMO,
            json!({"CustomerNumber": "abc"})
        ),
        "CustomerNumber",
    );
    assert_validation(&post!(app, "/api/biz/customers", DEMO, json!([1])), "");
    assert_validation(
        &post!(
            app,
            "/api/biz/customers",
            DEMO,
            json!({"orgnumber": "1", "OrgNumber": "2"})
        ),
        "OrgNumber",
    );
    let r = send_raw(
        &app,
        Method::POST,
        "/api/biz/customers",
        DEMO,
        Some(b"{\"Info\":".to_vec()),
    )
    .await;
    assert_validation(&r, "");
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    assert_validation(
        &send_raw(
            &app,
            Method::POST,
            "/api/biz/customers",
            DEMO,
            Some(deep.into_bytes()),
        )
        .await,
        "",
    );
    let big = format!("{{\"Info\":{{\"Name\":\"{}\"}}}}", "x".repeat(1_100_000));
    assert_exception(
        &send_raw(
            &app,
            Method::POST,
            "/api/biz/customers",
            DEMO,
            Some(big.into_bytes()),
        )
        .await,
        413,
    );
    // Names are matched ignoring case, as the vendor does.
    let d = create(
        &app,
        DEMO,
        json!({"info": {"name": "lower", "defaultemail": {"emailaddress": "l@x.no"}}}),
    )
    .await;
    assert_eq!(d["Info"]["Name"], "lower");
    assert_eq!(d["Info"]["DefaultEmail"]["EmailAddress"], "l@x.no");
    // Nothing half-written: exactly the four good customers exist.
    assert_eq!(
        get!(app, "/api/biz/customers", DEMO)
            .body
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let r = send(
        &app,
        Method::PATCH,
        "/api/biz/customers/1",
        DEMO,
        Some(named("x")),
    )
    .await;
    assert_exception(&r, 405);
}

#[actix_rt::test]
async fn updates_merge_children() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    let c = create(
        &app,
        DEMO,
        json!({"Info": {"Name": "Kari", "DefaultPhone": {"Type": 150102, "Number": "11111111", "CountryCode": "47"},
               "Phones": [{"Type": 150101, "Number": "22222222"}, {"Type": 150103, "Number": "33333333"}],
               "Emails": [{"EmailAddress": "a@kari.no"}],
               "Contacts": [{"Role": "Accountant", "Info": {"Name": "Per", "DefaultEmail": {"EmailAddress": "per@x.no"}}}]}}),
    )
    .await;
    let phones = c["Info"]["Phones"].as_array().unwrap().clone();
    let (p1, p2) = (
        phones[0]["ID"].as_i64().unwrap(),
        phones[1]["ID"].as_i64().unwrap(),
    );
    let default_id = c["Info"]["DefaultPhone"]["ID"].as_i64().unwrap();
    let r = put!(
        app,
        "/api/biz/customers/1",
        DEMO,
        json!({"ID": 1, "Info": {"Phones": [
            {"ID": p1, "Number": "22220000", "Description": "Desk"},
            {"ID": p2, "Deleted": true},
            {"ID": 0, "Type": 150102, "Number": "44444444", "_createguid": "abc"}
        ], "Emails": [{"EmailAddress": "b@kari.no"}]}})
    );
    assert_eq!(r.status, 200, "{r:?}");
    let info = &r.body["Info"];
    assert_eq!(info["Name"], "Kari");
    assert_eq!(info["DefaultPhone"]["ID"], default_id);
    assert_eq!(info["DefaultPhone"]["Number"], "11111111");
    let phones = info["Phones"].as_array().unwrap();
    assert_eq!(phones.len(), 2);
    assert_eq!(phones[0]["ID"], p1);
    assert_eq!(phones[0]["Number"], "22220000");
    assert_eq!(phones[0]["Description"], "Desk");
    assert_eq!(phones[0]["Type"], 150101);
    assert_eq!(phones[1]["Number"], "44444444");
    assert_eq!(phones[1]["_createguid"], "abc");
    assert!(phones[1]["ID"].as_i64().unwrap() > p2);
    assert_eq!(info["Emails"].as_array().unwrap().len(), 2);
    assert_eq!(info["Contacts"][0]["Info"]["Name"], "Per");

    // A new default phone; the old one stays as a plain phone.
    let r = put!(
        app,
        "/api/biz/customers/1",
        DEMO,
        json!({"Info": {"DefaultPhone": {"Type": 150101, "Number": "55555555"}}})
    );
    assert_eq!(r.body["Info"]["DefaultPhone"]["Number"], "55555555");
    assert!(r.body["Info"]["Phones"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["ID"] == default_id));
    // Pointing DefaultPhoneID at a phone makes it the default.
    let r = put!(
        app,
        "/api/biz/customers/1",
        DEMO,
        json!({"Info": {"DefaultPhoneID": default_id}})
    );
    assert_eq!(r.body["Info"]["DefaultPhone"]["ID"], default_id);

    assert_validation(
        &put!(app, "/api/biz/customers/1", DEMO, json!({"ID": 2})),
        "ID",
    );
    assert_validation(
        &put!(
            app,
            "/api/biz/customers/1",
            DEMO,
            json!({"StatusCode": 50001})
        ),
        "StatusCode",
    );
    assert_validation(
        &put!(
            app,
            "/api/biz/customers/1",
            DEMO,
            json!({"Info": {"Phones": [{"ID": 999, "Number": "1"}]}})
        ),
        "Info.Phones[0].ID",
    );
    assert_validation(&put!(app, "/api/biz/customers/x", DEMO, named("x")), "id");
    assert_exception(&put!(app, "/api/biz/customers/77", DEMO, named("x")), 404);
    // A failed update left the record as it was.
    let r = get!(app, "/api/biz/customers/1?expand=Info.DefaultPhone", DEMO);
    assert_eq!(r.body["Info"]["DefaultPhone"]["ID"], default_id);
    assert_eq!(r.body["StatusCode"], 30001);
}

#[actix_rt::test]
async fn delete_is_refused_while_referenced() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    create(&app, DEMO, named("Free")).await;
    create(
        &app,
        DEMO,
        json!({"Info": {"Name": "Busy"}, "CustomerOrders": [{"ID": 10}]}),
    )
    .await;
    let r = delete!(app, "/api/biz/customers/1", DEMO);
    assert_eq!(r.status, 204);
    assert_exception(&get!(app, "/api/biz/customers/1", DEMO), 404);
    assert_exception(&delete!(app, "/api/biz/customers/1", DEMO), 404);

    let r = delete!(app, "/api/biz/customers/2", DEMO);
    assert_validation(&r, "");
    let mut seed = seed_json(env!("CARGO_MANIFEST_DIR"), "validation_error.json");
    seed["EntityID"] = json!(2);
    assert_eq!(r.body, seed);
    assert_eq!(get!(app, "/api/biz/customers/2", DEMO).status, 200);
    // Once the references are gone, the delete goes through.
    assert_eq!(
        put!(
            app,
            "/api/biz/customers/2",
            DEMO,
            json!({"CustomerOrders": []})
        )
        .status,
        200
    );
    assert_eq!(delete!(app, "/api/biz/customers/2", DEMO).status, 204);
}

#[actix_rt::test]
async fn status_actions() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    create(&app, DEMO, named("A")).await;
    let act = |a: &str| format!("/api/biz/customers?action={a}&id=1");
    let status = |r: Resp| r.body["StatusCode"].clone();

    assert_validation(&put_empty!(app, &act("activate"), DEMO), "StatusCode");
    assert_eq!(put_empty!(app, &act("deactivate"), DEMO).status, 204);
    assert_eq!(status(get!(app, "/api/biz/customers/1", DEMO)), 50001);
    assert_validation(&put_empty!(app, &act("deactivate"), DEMO), "StatusCode");
    assert_eq!(put_empty!(app, &act("block"), DEMO).status, 204);
    assert_eq!(status(get!(app, "/api/biz/customers/1", DEMO)), 90001);
    let r = put_empty!(app, &act("deactivate"), DEMO);
    assert_validation(&r, "StatusCode");
    assert!(r.body["Message"]
        .as_str()
        .unwrap()
        .contains("activate it before"));
    assert_validation(&put_empty!(app, &act("block"), DEMO), "StatusCode");
    assert_eq!(put_empty!(app, &act("ACTIVATE"), DEMO).status, 204);
    assert_eq!(status(get!(app, "/api/biz/customers/1", DEMO)), 30001);

    assert_validation(
        &put_empty!(app, "/api/biz/customers?action=block", DEMO),
        "id",
    );
    assert_validation(
        &put_empty!(app, "/api/biz/customers?action=block&id=abc", DEMO),
        "id",
    );
    assert_validation(
        &put_empty!(app, "/api/biz/customers?action=block&id=0", DEMO),
        "id",
    );
    assert_validation(
        &put_empty!(app, "/api/biz/customers?action=explode&id=1", DEMO),
        "action",
    );
    assert_validation(&put_empty!(app, "/api/biz/customers", DEMO), "action");
    assert_exception(
        &put_empty!(app, "/api/biz/customers?action=block&id=42", DEMO),
        404,
    );
}

#[actix_rt::test]
async fn next_and_previous_skip_deleted_ones() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    for n in ["1", "2", "3", "4"] {
        create(&app, DEMO, named(n)).await;
    }
    assert_eq!(
        put_empty!(app, "/api/biz/customers?action=block&id=2", DEMO).status,
        204
    );
    assert_eq!(delete!(app, "/api/biz/customers/3", DEMO).status, 204);
    let id = |r: Resp| r.body["ID"].clone();
    assert_eq!(id(get!(app, "/api/biz/customers/1?action=next", DEMO)), 4);
    assert_eq!(
        id(get!(app, "/api/biz/customers/4?action=previous", DEMO)),
        1
    );
    assert_eq!(
        get!(app, "/api/biz/customers/4?action=next", DEMO).body,
        Value::Null
    );
    let r = get!(app, "/api/biz/customers/1?action=previous", DEMO);
    assert_eq!((r.status, r.body), (200, Value::Null));
    let r = get!(
        app,
        "/api/biz/customers/1?action=next&expand=Info&select=ID,Info.Name",
        DEMO
    );
    assert_eq!(r.body, json!({"ID": 4, "Info": {"Name": "4"}}));
    assert_validation(
        &get!(app, "/api/biz/customers/1?action=sideways", DEMO),
        "action",
    );
}

#[actix_rt::test]
async fn validate_kid_alias() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    create(
        &app,
        DEMO,
        json!({"Info": {"Name": "K"}, "CustomerNumberKidAlias": "777001"}),
    )
    .await;
    let q = |a: &str| {
        format!("/api/biz/customers?action=validate-customer-KID-Alias&customerKidAlias={a}")
    };
    assert_eq!(get!(app, &q("777001"), DEMO).body, json!(false));
    assert_eq!(get!(app, &q("777002"), DEMO).body, json!(true));
    assert_eq!(
        get!(app, &q("1"), DEMO).body,
        json!(false),
        "1 is taken as a customer number and too short"
    );
    assert_eq!(get!(app, &q("12ab"), DEMO).body, json!(false));
    assert_validation(
        &get!(
            app,
            "/api/biz/customers?action=validate-customer-KID-Alias",
            DEMO
        ),
        "customerKidAlias",
    );
    assert_validation(
        &post!(
            app,
            "/api/biz/customers",
            DEMO,
            json!({"Info": {"Name": "K"}, "CustomerNumberKidAlias": "x1"})
        ),
        "CustomerNumberKidAlias",
    );
}

#[actix_rt::test]
async fn bulk_save_is_all_or_nothing() {
    let (setup, _) = setup();
    let app = app_for(setup).await;
    create(&app, DEMO, named("Existing")).await;
    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save",
        DEMO,
        json!([{"ID": 1, "Info": {"Name": "Renamed"}}, {"Info": {"Name": "New one"}}, {"ID": 0, "OrgNumber": "123456789"}])
    );
    assert_eq!(r.status, 200, "{r:?}");
    let saved = r.body.as_array().unwrap();
    assert_eq!(saved.len(), 3);
    assert_eq!(saved[0]["Info"]["Name"], "Renamed");
    assert_eq!(saved[1]["ID"], 2);
    assert_eq!(saved[2]["ID"], 3);

    // One bad element: nothing is written, every problem is named.
    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save",
        DEMO,
        json!([{"ID": 1, "Info": {"Name": "Again"}}, {"Info": {"Name": "Fine"}}, {"Info": {"Name": "Bad", "Emails": [{"EmailAddress": "x"}]}}, {"ID": 99}])
    );
    assert_validation(&r, "[2].Info.Emails[0].EmailAddress");
    assert!(r.body["Message"].as_str().unwrap().contains("[3].ID"));
    assert_eq!(
        get!(app, "/api/biz/customers", DEMO)
            .body
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        get!(app, "/api/biz/customers/1?expand=Info", DEMO).body["Info"]["Name"],
        "Renamed"
    );

    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save",
        DEMO,
        json!([{"CustomerNumber": 900, "Info": {"Name": "a"}}, {"CustomerNumber": 900, "Info": {"Name": "b"}}, {"ID": 2, "CustomerNumber": 1}])
    );
    assert_validation(&r, "[1].CustomerNumber");
    assert!(r.body["Message"]
        .as_str()
        .unwrap()
        .contains("[2].CustomerNumber"));
    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save",
        DEMO,
        json!([{"ID": 1}, {"ID": 1}])
    );
    assert_validation(&r, "[1].ID");
    assert_validation(
        &put!(
            app,
            "/api/biz/customers?action=bulk-save",
            DEMO,
            json!({"Info": {}})
        ),
        "",
    );
    assert_eq!(
        put!(app, "/api/biz/customers?action=bulk-save", DEMO, json!([])).body,
        json!([])
    );
}

/// A store that fails every create of a customer named "boom", after validation passed.
#[derive(Debug)]
struct Flaky {
    inner: MemoryStore,
    creates: AtomicUsize,
}

#[async_trait]
impl CustomerStore for Flaky {
    fn capability(&self) -> &custgate_core::Capability {
        self.inner.capability()
    }
    fn name(&self) -> &str {
        "flaky"
    }
    async fn query(&self, t: &TenantId, q: &Query) -> custgate_core::Result<Page> {
        self.inner.query(t, q).await
    }
    async fn get(&self, t: &TenantId, id: &CustomerId) -> custgate_core::Result<Customer> {
        self.inner.get(t, id).await
    }
    async fn create(
        &self,
        t: &TenantId,
        c: Customer,
        o: CreateOptions,
    ) -> custgate_core::Result<Customer> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        if c.name.display.as_deref() == Some("boom") {
            return Err(Error::unexpected("disk full"));
        }
        self.inner.create(t, c, o).await
    }
    async fn update(
        &self,
        t: &TenantId,
        c: Customer,
        v: Option<Version>,
    ) -> custgate_core::Result<Customer> {
        self.inner.update(t, c, v).await
    }
    async fn delete(
        &self,
        t: &TenantId,
        id: &CustomerId,
        v: Option<Version>,
    ) -> custgate_core::Result<Customer> {
        self.inner.delete(t, id, v).await
    }
    async fn set_status(
        &self,
        t: &TenantId,
        id: &CustomerId,
        s: Status,
    ) -> custgate_core::Result<Customer> {
        self.inner.set_status(t, id, s).await
    }
    async fn health(&self) -> custgate_core::Result<()> {
        Ok(())
    }
}

#[actix_rt::test]
async fn bulk_save_takes_back_earlier_writes_when_one_fails() {
    let flaky = Arc::new(Flaky {
        inner: MemoryStore::new(),
        creates: AtomicUsize::new(0),
    });
    let app = app_for(setup_with(flaky.clone(), Arc::new(MemoryStore::new()))).await;
    create(
        &app,
        DEMO,
        json!({"Info": {"Name": "Original", "Phones": [{"Type": 150101, "Number": "1"}]}}),
    )
    .await;
    let before = get!(
        app,
        &format!("/api/biz/customers/1?expand={ALL_EXPAND}"),
        DEMO
    )
    .body;
    let r = put!(
        app,
        "/api/biz/customers?action=bulk-save",
        DEMO,
        json!([{"ID": 1, "Info": {"Name": "Changed", "Phones": [{"ID": 0, "Type": 150102, "Number": "2"}]}},
               {"Info": {"Name": "created then taken back"}},
               {"Info": {"Name": "boom"}}])
    );
    assert_exception(&r, 500);
    assert!(!r.body["Message"].as_str().unwrap().contains("disk"));
    assert_eq!(flaky.creates.load(Ordering::SeqCst), 3);
    let list = get!(app, "/api/biz/customers", DEMO).body;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let mut after = get!(
        app,
        &format!("/api/biz/customers/1?expand={ALL_EXPAND}"),
        DEMO
    )
    .body;
    after["UpdatedAt"] = before["UpdatedAt"].clone();
    assert_eq!(after, before);
}

#[actix_rt::test]
async fn configuration_is_checked_once_at_start() {
    let store: custgate_core::DynStore = Arc::new(MemoryStore::new());
    let mut setup = setup_with(store.clone(), store.clone());
    setup.tenants[1].config = Some(json!({"company_key": DEMO_KEY, "tokens": ["x"]}));
    let e = custgate_odata::server(&setup).err().unwrap();
    assert_eq!(e.path, "tenants.acme.odata.company_key");
    setup.tenants[1].config = Some(json!({"company_key": "nope", "tokens": ["x"]}));
    assert_eq!(
        custgate_odata::server(&setup).err().unwrap().path,
        "tenants.acme.odata.company_key"
    );
    setup.tenants[1].config = Some(json!({"company_key": ACME_KEY, "tokens": []}));
    assert_eq!(
        custgate_odata::server(&setup).err().unwrap().path,
        "tenants.acme.odata.tokens"
    );
    setup.tenants[1].config = Some(json!({"company_key": ACME_KEY, "tokens": ["x"], "extra": 1}));
    assert_eq!(
        custgate_odata::server(&setup).err().unwrap().path,
        "tenants.acme.odata"
    );
    setup.tenants[1].config = Some(json!({"company_key": ACME_KEY, "tokens": ["x"]}));
    setup.global = json!({"max_top": 0});
    assert_eq!(
        custgate_odata::server(&setup).err().unwrap().path,
        "dialects.odata.max_top"
    );
    setup.global = json!({"max_top": 10, "unknown": true});
    assert_eq!(
        custgate_odata::server(&setup).err().unwrap().path,
        "dialects.odata"
    );
}

#[actix_rt::test]
async fn one_token_may_reach_several_companies() {
    let store: custgate_core::DynStore = Arc::new(MemoryStore::new());
    let mut setup = setup_with(store.clone(), store.clone());
    setup.tenants[1].config =
        Some(json!({"company_key": ACME_KEY, "tokens": [DEMO_TOKEN, ACME_TOKEN]}));
    let app = app_for(setup).await;
    let both = Creds {
        token: Some(DEMO_TOKEN),
        key: Some(ACME_KEY),
    };
    create(&app, both, named("In acme")).await;
    assert_eq!(
        get!(app, "/api/biz/customers", ACME)
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(get!(app, "/api/biz/customers", DEMO).body, json!([]));
}
