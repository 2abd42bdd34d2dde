//! The server side through actix's test service: authentication, every query parameter,
//! the rights matrix, versions, upserts, errors and tenant isolation.
#![cfg(feature = "server")]

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use common::*;
use custgate_core::{Customer, CustomerId, CustomerStore, Status};
use custgate_ndata::wire;
use serde_json::{json, Value};

/// The test service.
trait App<B>:
    Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
{
}

impl<S, B> App<B> for S where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
{
}

async fn get<B: MessageBody>(app: &impl App<B>, token: &str, uri: &str) -> Reply {
    call(
        app,
        TestRequest::get().uri(uri).insert_header(bearer(token)),
    )
    .await
}

async fn post<B: MessageBody>(app: &impl App<B>, token: &str, body: Value) -> Reply {
    call(
        app,
        TestRequest::post()
            .uri("/customers")
            .insert_header(bearer(token))
            .set_json(body),
    )
    .await
}

async fn put<B: MessageBody>(app: &impl App<B>, token: &str, id: &str, body: Value) -> Reply {
    call(
        app,
        TestRequest::put()
            .uri(&format!("/customers/{id}"))
            .insert_header(bearer(token))
            .set_json(body),
    )
    .await
}

async fn delete<B: MessageBody>(app: &impl App<B>, token: &str, id: &str) -> Reply {
    call(
        app,
        TestRequest::delete()
            .uri(&format!("/customers/{id}"))
            .insert_header(bearer(token)),
    )
    .await
}

/// The ids a list query returns, in order.
async fn ids<B: MessageBody>(app: &impl App<B>, token: &str, query: &str) -> Vec<String> {
    let r = get(app, token, &format!("/customers?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(r.body["count"], json!(items.len()), "{query}");
    items
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn assert_problem(r: &Reply, status: u16, error_code: Value) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.text
    );
    assert_eq!(r.body["status"], json!(status));
    assert_eq!(r.body["errorCode"], error_code, "{}", r.text);
    assert!(r.body["traceId"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(r.body["type"].as_str().is_some());
    assert!(r.body["title"].as_str().is_some());
}

fn member_errors(r: &Reply) -> Vec<(String, u64)> {
    r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", r.text))
        .iter()
        .map(|e| {
            (
                e["memberName"].as_str().unwrap_or("").to_owned(),
                e["code"].as_u64().unwrap(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------

#[actix_rt::test]
async fn login_issues_tokens_with_the_users_rights() {
    let w = world();
    let app = app!(w.setup);
    let r = call(
        &app,
        TestRequest::post().uri("/api/auth").set_json(json!({
            "UserName": "clerk", "Password": "clerk", "DeviceName": "pos-7"
        })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let b = &r.body;
    assert_eq!(b["tokenId"].as_str().unwrap().len(), 43);
    assert_eq!(b["refreshToken"].as_str().unwrap().len(), 43);
    assert_ne!(b["tokenId"], b["refreshToken"]);
    assert!(b["expirationTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        b["user"],
        json!({"userName": "clerk", "deviceName": "pos-7", "rights": ["CustomerCreate", "CustomerUpdate"]})
    );

    // Member names and the user name ignore case; DeviceName is optional.
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth")
            .set_json(json!({"userName": "DEMO", "password": "demo"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["rights"], json!(["admin"]));
    assert_eq!(r.body["user"]["deviceName"], Value::Null);
}

#[actix_rt::test]
async fn bad_credentials_are_refused() {
    let w = world();
    let app = app!(w.setup);
    for body in [
        json!({"UserName": "demo", "Password": "wrong", "DeviceName": "x"}),
        json!({"UserName": "nobody", "Password": "demo", "DeviceName": "x"}),
        // A user of another tenant with this tenant's password.
        json!({"UserName": "acme", "Password": "demo"}),
    ] {
        let r = call(&app, TestRequest::post().uri("/api/auth").set_json(body)).await;
        assert_problem(&r, 401, json!(1));
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_eq!(r.body["detail"], "the user name or the password is wrong");
    }
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth")
            .set_json(json!({"DeviceName": "x"})),
    )
    .await;
    assert_problem(&r, 400, json!(3));
    assert_eq!(
        member_errors(&r),
        [("UserName".to_owned(), 1), ("Password".to_owned(), 1)]
    );
    let r = call(
        &app,
        TestRequest::post().uri("/api/auth").set_payload("{nope"),
    )
    .await;
    assert_problem(&r, 400, json!(3));
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth")
            .set_json(json!(["demo"])),
    )
    .await;
    assert_problem(&r, 400, json!(3));
    let r = call(&app, TestRequest::get().uri("/api/auth")).await;
    assert_eq!(r.status, 405);
}

#[actix_rt::test]
async fn every_customer_call_needs_a_live_token() {
    let w = world();
    let app = app!(w.setup);
    for req in [
        TestRequest::get().uri("/customers"),
        TestRequest::get().uri("/customers/x"),
        TestRequest::post().uri("/customers").set_json(json!({})),
        TestRequest::put().uri("/customers/x").set_json(json!({})),
        TestRequest::delete().uri("/customers/x"),
        TestRequest::get()
            .uri("/customers")
            .insert_header(("Authorization", "Bearer not-a-token")),
        TestRequest::get()
            .uri("/customers")
            .insert_header(("Authorization", "Basic ZGVtbzpkZW1v")),
    ] {
        let r = call(&app, req).await;
        assert_problem(&r, 401, json!(1));
    }
}

#[actix_rt::test]
async fn refresh_tokens_renew_the_session_once() {
    let w = world();
    let app = app!(w.setup);
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth")
            .set_json(json!({"UserName": "clerk", "Password": "clerk", "DeviceName": "pos"})),
    )
    .await;
    let old_token = r.body["tokenId"].as_str().unwrap().to_owned();
    let refresh = r.body["refreshToken"].as_str().unwrap().to_owned();

    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth/refresh")
            .set_json(json!({ "refreshToken": refresh })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new_token = r.body["tokenId"].as_str().unwrap().to_owned();
    assert_ne!(new_token, old_token);
    assert_eq!(r.body["user"]["userName"], "clerk");
    assert_eq!(r.body["user"]["deviceName"], "pos");
    assert_eq!(get(&app, &new_token, "/customers").await.status, 200);
    // The old token lives until it expires.
    assert_eq!(get(&app, &old_token, "/customers").await.status, 200);

    // A refresh token works once; an access token is no refresh token.
    for token in [refresh.as_str(), new_token.as_str()] {
        let r = call(
            &app,
            TestRequest::post()
                .uri("/api/auth/refresh")
                .set_json(json!({ "RefreshToken": token })),
        )
        .await;
        assert_problem(&r, 401, json!(1));
    }
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth/refresh")
            .set_json(json!({})),
    )
    .await;
    assert_problem(&r, 400, json!(3));
    assert_eq!(member_errors(&r), [("RefreshToken".to_owned(), 1)]);
}

#[actix_rt::test]
async fn tokens_expire() {
    let mut g = global();
    g["token_ttl_secs"] = json!(1);
    let w = world_with(g, demo_users(), acme_users());
    let app = app!(w.setup);
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth")
            .set_json(json!({"UserName": "demo", "Password": "demo"})),
    )
    .await;
    let token = r.body["tokenId"].as_str().unwrap().to_owned();
    let refresh = r.body["refreshToken"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, &token, "/customers").await.status, 200);
    actix_rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = get(&app, &token, "/customers").await;
    assert_problem(&r, 401, json!(1));
    let r = call(
        &app,
        TestRequest::post()
            .uri("/api/auth/refresh")
            .set_json(json!({ "refreshToken": refresh })),
    )
    .await;
    assert_eq!(r.status, 200);
    let token = r.body["tokenId"].as_str().unwrap();
    assert_eq!(get(&app, token, "/customers").await.status, 200);
}

// ---------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------

#[test]
fn configuration_problems_stop_the_start() {
    let err = |g: Value, demo: Vec<Value>, acme: Vec<Value>| {
        custgate_ndata::server(&world_with(g, demo, acme).setup)
            .err()
            .expect("the configuration is refused")
            .to_string()
    };
    // The development configuration is fine.
    assert!(custgate_ndata::server(&world().setup).is_ok());

    let mut dup = acme_users();
    dup.push(json!({"user_name": "Demo", "password_hash": DEMO_HASH, "rights": []}));
    let e = err(global(), demo_users(), dup);
    assert!(
        e.starts_with("tenants.acme.ndata.users[1].user_name:"),
        "{e}"
    );
    assert!(e.contains("unique across tenants"), "{e}");

    let mut bad_right = demo_users();
    bad_right[1]["rights"] = json!(["CustomerCreate", "CustomerFly"]);
    let e = err(global(), bad_right, acme_users());
    assert!(
        e.contains("tenants.demo.ndata.users[1].rights: unknown right 'CustomerFly'"),
        "{e}"
    );

    let mut bad_hash = demo_users();
    bad_hash[0]["password_hash"] = json!("demo");
    let e = err(global(), bad_hash, acme_users());
    assert!(e.starts_with("tenants.demo.ndata:"), "{e}");
    assert!(e.contains("PHC"), "{e}");

    let mut blank = demo_users();
    blank[0]["user_name"] = json!("  ");
    assert!(err(global(), blank, acme_users()).contains("users[0].user_name"));

    for (key, value) in [
        ("max_take", json!(0)),
        ("max_take", json!(5000)),
        ("token_ttl_secs", json!(0)),
        ("refresh_ttl_secs", json!(0)),
    ] {
        let mut g = global();
        g[key] = value;
        let e = err(g, demo_users(), acme_users());
        assert!(e.starts_with(&format!("dialects.ndata.{key}:")), "{e}");
    }
    let mut g = global();
    g["max_tak"] = json!(5);
    assert!(err(g, demo_users(), acme_users()).contains("max_tak"));
}

// ---------------------------------------------------------------------------------
// Listing and every query parameter
// ---------------------------------------------------------------------------------

fn ts(t: chrono::DateTime<Utc>) -> String {
    wire::format_time(&t)
}

/// Five customers covering what the filters look at; c4 is written by "another dialect"
/// straight into the store (no rates, status quote, a middle name).
async fn seed<B: MessageBody>(app: &impl App<B>, token: &str, w: &World) {
    let now = Utc::now();
    let bodies = [
        json!({
            "id": "c1", "externalId": "EXT-1", "firstName": "John", "lastName": "Doe",
            "cards": [{"serialNumber": "S-100"}, {"serialNumber": "S-101"}],
            "creditRate": 5, "discountRate": 10.0, "note": "VIP",
            "activationTime": ts(now - Duration::days(30)),
            "expirationTime": ts(now - Duration::days(1))
        }),
        json!({
            "id": "c2", "externalId": "EXT-2", "firstName": "Jane", "lastName": "Roe",
            "isCompany": true,
            "company": {"name": "Acme Trading", "vatId": "SK2020123456", "taxId": "2020123456"},
            "cards": [{"serialNumber": "S-200"}],
            "creditRate": 0.0, "discountRate": 0.0,
            "expirationTime": ts(now + Duration::days(30))
        }),
        json!({
            "id": "c3", "firstName": "Émile", "lastName": "Zola", "isActive": false,
            "discountRate": 50, "activationTime": ts(now + Duration::days(2))
        }),
        json!({
            "id": "c5", "externalId": "shop:42", "firstName": "Bob", "lastName": "Smith",
            "note": "likes coffee", "discountRate": 25.5
        }),
    ];
    for b in bodies {
        let r = post(app, token, b).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let mut c4 = Customer {
        id: CustomerId::parse("c4").unwrap(),
        external_id: Some("EXT-4".into()),
        status: Status::Quote,
        ..Customer::default()
    };
    c4.name.first = Some("Anna".into());
    c4.name.middle = Some("Maria".into());
    c4.name.last = Some("Bell".into());
    w.demo
        .create(&tenant("demo"), c4, Default::default())
        .await
        .unwrap();
}

#[actix_rt::test]
async fn listing_pages_sorts_and_counts() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;
    seed(&app, &token, &w).await;

    assert_eq!(
        ids(&app, &token, "").await,
        strs(&["c1", "c2", "c3", "c5", "c4"])
    );
    // $skip / $take with the total before paging.
    let r = get(&app, &token, "/customers?$sort=id&$skip=1&$take=2").await;
    assert_eq!(r.body["count"], 2);
    assert_eq!(r.body["totalCount"], 5);
    assert_eq!(r.body["items"][0]["id"], "c2");
    assert_eq!(r.body["items"][1]["id"], "c3");
    assert_eq!(ids(&app, &token, "$take=0").await, Vec::<String>::new());
    assert_eq!(ids(&app, &token, "$skip=10").await, Vec::<String>::new());
    let r = get(&app, &token, "/customers?$take=1001").await;
    assert_problem(&r, 400, json!(3));
    assert_eq!(member_errors(&r), [("$take".to_owned(), 0)]);

    // $sort: key, key:asc, key:desc, -key, several keys, any case, repeated.
    let by_last = strs(&["c4", "c1", "c2", "c5", "c3"]);
    assert_eq!(ids(&app, &token, "$sort=lastName").await, by_last);
    assert_eq!(ids(&app, &token, "$sort=LASTNAME:asc").await, by_last);
    let mut rev = by_last.clone();
    rev.reverse();
    assert_eq!(ids(&app, &token, "$sort=lastName:desc").await, rev);
    assert_eq!(ids(&app, &token, "$sort=-lastname").await, rev);
    assert_eq!(
        ids(&app, &token, "$sort=discountRate:desc,-id").await,
        strs(&["c3", "c5", "c1", "c2", "c4"])
    );
    assert_eq!(
        ids(&app, &token, "$sort=-discountRate&$sort=id").await,
        strs(&["c3", "c5", "c1", "c2", "c4"])
    );
    assert_eq!(
        ids(&app, &token, "$sort=fullName").await,
        strs(&["c2", "c4", "c5", "c1", "c3"])
    );
    let r = get(&app, &token, "/customers?$sort=shoeSize").await;
    assert_problem(&r, 400, json!(3));
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown sort key 'shoeSize'"));

    // $count=true: no items, the number of matches.
    let r = get(&app, &token, "/customers?$count=true&IsActive=true&$take=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"count": 3, "totalCount": 3}));
    let r = get(&app, &token, "/customers?$count=false&$take=1").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["totalCount"], 5);
}

#[actix_rt::test]
async fn every_filter_parameter_works() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "clerk", "clerk").await;
    seed(&app, &token, &w).await;
    let now = Utc::now();
    let q = |s: &str| s.to_owned();

    let cases: Vec<(String, Vec<&str>)> = vec![
        // Search: first name, last name, company name, VAT id, tax id, note; any case.
        (q("Search=jOhN"), vec!["c1"]),
        (q("Search=zola"), vec!["c3"]),
        (q("Search=trading"), vec!["c2"]),
        (q("Search=sk2020"), vec!["c2"]),
        (q("Search=2020123456"), vec!["c2"]),
        (q("Search=COFFEE"), vec!["c5"]),
        (q("Search=o&Search=e"), vec!["c1", "c2", "c3", "c5"]),
        // IsExpired.
        (q("IsExpired=true"), vec!["c1"]),
        (q("isexpired=FALSE"), vec!["c2", "c3", "c4", "c5"]),
        // CardSerialNumber: any card.
        (q("CardSerialNumber=S-101"), vec!["c1"]),
        (q("CardSerialNumber=startswith:s-1"), vec!["c1"]),
        (q("CardSerialNumber=in:S-200,S-101"), vec!["c1", "c2"]),
        (q("CardSerialNumber=ne:S-200"), vec!["c1", "c3", "c4", "c5"]),
        // ExternalId.
        (q("ExternalId=EXT-1"), vec!["c1"]),
        (q("ExternalId=null"), vec!["c3"]),
        (q("ExternalId=ne:null;contains:ext"), vec!["c1", "c2", "c4"]),
        (q("ExternalId=%22shop:42%22"), vec!["c5"]),
        (q("ExternalId=nin:EXT-1,EXT-2,null"), vec!["c4", "c5"]),
        (q("ExternalId=endswith:-4"), vec!["c4"]),
        // CreditRate / DiscountRate, a missing rate counting as 0.
        (q("CreditRate=gt:0"), vec!["c1"]),
        (q("CreditRate=0"), vec!["c2", "c3", "c4", "c5"]),
        (q("DiscountRate=gt:0;lt:50"), vec!["c1", "c5"]),
        (q("DiscountRate=gt:0&DiscountRate=lt:50"), vec!["c1", "c5"]),
        (q("DiscountRate=ge:25.5"), vec!["c3", "c5"]),
        (q("DiscountRate=0"), vec!["c2", "c4"]),
        (q("DiscountRate=ne:0"), vec!["c1", "c3", "c5"]),
        (q("DiscountRate=in:0,50"), vec!["c2", "c3", "c4"]),
        (q("discountrate=LTE:10"), vec!["c1", "c2", "c4"]),
        // IsActive: quote counts as not active.
        (q("IsActive=true"), vec!["c1", "c2", "c5"]),
        (q("IsActive=false"), vec!["c3", "c4"]),
        (q("IsActive=neq:true"), vec!["c3", "c4"]),
        // ExpirationTime, with a date-time holding colons after an operator or alone.
        (format!("ExpirationTime=gt:{}", ts(now)), vec!["c2"]),
        (format!("ExpirationTime=lt:{}", ts(now)), vec!["c1"]),
        (q("ExpirationTime=null"), vec!["c3", "c4", "c5"]),
        (q("ExpirationTime=gte:2000-01-01"), vec!["c1", "c2"]),
        (q("ExpirationTime=2000-01-01T00:00:00Z"), vec![]),
        // Several parameters AND.
        (
            q("IsActive=true&DiscountRate=gt:0&Search=o"),
            vec!["c1", "c5"],
        ),
    ];
    for (query, expected) in cases {
        let query = query.replace('+', "%2B");
        assert_eq!(
            sorted(ids(&app, &token, &query).await),
            strs(&expected),
            "{query}"
        );
    }

    // The derived status.
    let status = |id: &'static str| {
        let app = &app;
        let token = &token;
        async move { get(app, token, &format!("/customers/{id}")).await.body["status"].clone() }
    };
    assert_eq!(status("c1").await, "Expired");
    assert_eq!(status("c2").await, "Valid");
    assert_eq!(status("c3").await, "NotYetValid");
}

#[actix_rt::test]
async fn bad_query_parameters_are_400s_naming_them() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;
    for (query, member, message) in [
        ("Name=John", "Name", "unknown query parameter 'Name'"),
        (
            "ExternalId=shop:42",
            "ExternalId",
            "unknown operator 'shop'",
        ),
        (
            "DiscountRate=between:1:5",
            "DiscountRate",
            "unknown operator 'between'",
        ),
        (
            "DiscountRate=lots",
            "DiscountRate",
            "'lots' is not a number",
        ),
        (
            "DiscountRate=null",
            "DiscountRate",
            "DiscountRate is never null",
        ),
        (
            "IsActive=gt:true",
            "IsActive",
            "'gt' does not apply to IsActive",
        ),
        ("IsActive=maybe", "IsActive", "'maybe' is not a boolean"),
        (
            "CreditRate=contains:1",
            "CreditRate",
            "'contains' applies to text members only",
        ),
        (
            "ExpirationTime=gt:soon",
            "ExpirationTime",
            "'soon' is not a date-time",
        ),
        (
            "ExpirationTime=gt:null",
            "ExpirationTime",
            "'gt' cannot compare with null",
        ),
        (
            "ExternalId=in:a,,b",
            "ExternalId",
            "'in' has an empty value in its list",
        ),
        (
            "ExternalId=%22open",
            "ExternalId",
            "a quoted value is not closed",
        ),
        (
            "ExternalId=gt:1;",
            "ExternalId",
            "an operation is missing after ';'",
        ),
        ("ExternalId=", "ExternalId", "a value is required"),
        ("IsExpired=yes", "IsExpired", "is not a boolean"),
        ("$skip=-1", "$skip", "is not a whole number"),
        ("$count=1", "$count", "is not a boolean"),
        ("$take=1&$take=2", "$take", "is given more than once"),
        (
            "$sort=id:sideways",
            "$sort",
            "unknown sort direction 'sideways'",
        ),
    ] {
        let r = get(&app, &token, &format!("/customers?{query}")).await;
        assert_problem(&r, 400, json!(3));
        let e = &r.body["errors"][0];
        assert_eq!(e["memberName"], member, "{query}");
        assert!(
            e["message"].as_str().unwrap().contains(message),
            "{query}: {}",
            r.text
        );
        assert_eq!(e["code"], 0);
    }
}

// ---------------------------------------------------------------------------------
// Writes, rights and versions
// ---------------------------------------------------------------------------------

#[actix_rt::test]
async fn the_rights_matrix_is_enforced() {
    let w = world();
    let app = app!(w.setup);
    let admin = login(&app, "demo", "demo").await;
    let r = post(
        &app,
        &admin,
        json!({"id": "r1", "firstName": "Rita", "discountRate": 5}),
    )
    .await;
    assert_eq!(r.status, 201);

    let forbidden = |r: &Reply, right: &str| {
        assert_problem(r, 403, json!(2));
        assert!(
            r.body["detail"].as_str().unwrap().contains(right),
            "{}",
            r.text
        );
    };

    // No rights: reading only.
    let auditor = login(&app, "auditor", "clerk").await;
    assert_eq!(get(&app, &auditor, "/customers").await.status, 200);
    assert_eq!(get(&app, &auditor, "/customers/r1").await.status, 200);
    forbidden(
        &post(&app, &auditor, json!({"firstName": "X"})).await,
        "CustomerCreate",
    );
    forbidden(
        &put(&app, &auditor, "r1", json!({"firstName": "X"})).await,
        "CustomerUpdate",
    );
    forbidden(&delete(&app, &auditor, "r1").await, "CustomerDelete");

    // CustomerCreate: POST, and PUT of a new id; not an update.
    let creator = login(&app, "creator", "clerk").await;
    assert_eq!(post(&app, &creator, json!({"id": "r2"})).await.status, 201);
    assert_eq!(
        put(&app, &creator, "r3", json!({"firstName": "New"}))
            .await
            .status,
        201
    );
    forbidden(
        &put(
            &app,
            &creator,
            "r1",
            json!({"firstName": "Rita", "discountRate": 5}),
        )
        .await,
        "CustomerUpdate",
    );

    // CustomerUpdate: plain changes; not creating, not the discount or the credit.
    let updater = login(&app, "updater", "clerk").await;
    forbidden(
        &put(&app, &updater, "r4", json!({})).await,
        "CustomerCreate",
    );
    forbidden(&post(&app, &updater, json!({})).await, "CustomerCreate");
    let r = put(
        &app,
        &updater,
        "r1",
        json!({"firstName": "Rita", "lastName": "Hay", "discountRate": 5}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A missing rate shows as 0.0: leaving out discountRate changes it.
    forbidden(
        &put(&app, &updater, "r1", json!({"firstName": "Rita"})).await,
        "CustomerSetDiscount",
    );
    forbidden(
        &put(&app, &updater, "r1", json!({"discountRate": 7})).await,
        "CustomerSetDiscount",
    );
    forbidden(
        &put(
            &app,
            &updater,
            "r1",
            json!({"discountRate": 5, "credit": {"amount": 10.0, "currencyLabel": "EUR"}}),
        )
        .await,
        "CustomerSetCredit",
    );
    forbidden(
        &put(
            &app,
            &updater,
            "r1",
            json!({"discountRate": 5, "credit": {"amount": 0.0, "currencyLabel": "EUR"}}),
        )
        .await,
        "CustomerSetCredit",
    );
    // Unchanged credit and discount, written as NData shows them, need no extra right.
    let shown = get(&app, &updater, "/customers/r1").await.body;
    let mut again = shown.clone();
    again["note"] = json!("updated");
    assert_eq!(put(&app, &updater, "r1", again).await.status, 200);

    // CustomerSetDiscount / CustomerSetCredit each allow their own change.
    let discounter = login(&app, "discounter", "clerk").await;
    let r = put(&app, &discounter, "r1", json!({"discountRate": 7.5})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["discountRate"], json!(7.5));
    forbidden(
        &put(
            &app,
            &discounter,
            "r1",
            json!({"discountRate": 7.5, "credit": {"amount": 1}}),
        )
        .await,
        "CustomerSetCredit",
    );
    let crediter = login(&app, "crediter", "clerk").await;
    let r = put(
        &app,
        &crediter,
        "r1",
        json!({"discountRate": 7.5, "credit": {"amount": 12.5, "currencyLabel": "EUR"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["credit"],
        json!({"amount": 12.5, "currencyLabel": "EUR"})
    );
    forbidden(
        &put(&app, &crediter, "r1", json!({"discountRate": 8})).await,
        "CustomerSetDiscount",
    );

    // The clerk of config/default.toml: create and update, nothing else.
    let clerk = login(&app, "clerk", "clerk").await;
    assert_eq!(post(&app, &clerk, json!({"id": "r5"})).await.status, 201);
    assert_eq!(
        put(&app, &clerk, "r5", json!({"note": "hello"}))
            .await
            .status,
        200
    );
    forbidden(
        &put(
            &app,
            &clerk,
            "r5",
            json!({"note": "hello", "discountRate": 1}),
        )
        .await,
        "CustomerSetDiscount",
    );
    forbidden(&delete(&app, &clerk, "r5").await, "CustomerDelete");

    // CustomerDelete.
    let deleter = login(&app, "deleter", "clerk").await;
    let r = delete(&app, &deleter, "r5").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], "r5");
    forbidden(&post(&app, &deleter, json!({})).await, "CustomerCreate");

    // admin grants everything.
    let r = put(
        &app,
        &admin,
        "r1",
        json!({"discountRate": 9, "credit": {"amount": 1}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(delete(&app, &admin, "r1").await.status, 200);
}

#[actix_rt::test]
async fn versions_count_changes_and_stale_writes_are_refused() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;
    let r = post(&app, &token, json!({"id": "v1", "firstName": "Vera"})).await;
    assert_eq!(r.body["_v"], 1);
    assert_eq!(r.header("etag"), Some("\"1\""));

    let r = put(
        &app,
        &token,
        "v1",
        json!({"firstName": "Vera", "note": "a", "_v": 1}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["_v"], 2);
    assert_eq!(r.header("etag"), Some("\"2\""));
    // No _v: not checked.
    let r = put(
        &app,
        &token,
        "v1",
        json!({"firstName": "Vera", "note": "b"}),
    )
    .await;
    assert_eq!(r.body["_v"], 3);
    // Nothing changed: the version stays.
    let r = put(
        &app,
        &token,
        "v1",
        json!({"firstName": "Vera", "note": "b"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["_v"], 3);

    // An older _v: 409, errorCode 6, the stored version in `resource`.
    let r = put(
        &app,
        &token,
        "v1",
        json!({"firstName": "Vera", "note": "c", "_v": 2}),
    )
    .await;
    assert_problem(&r, 409, json!(6));
    assert_eq!(
        r.body["resource"],
        json!({"name": "Customer", "id": "v1", "version": 3})
    );
    let r = put(&app, &token, "v1", json!({"note": "c", "_v": 9})).await;
    assert_problem(&r, 409, json!(6));
    assert_eq!(get(&app, &token, "/customers/v1").await.body["note"], "b");

    // If-Match.
    let with = |tag: &str, body: Value| {
        TestRequest::put()
            .uri("/customers/v1")
            .insert_header(bearer(&token))
            .insert_header(("If-Match", tag.to_owned()))
            .set_json(body)
    };
    let r = call(
        &app,
        with("\"2\"", json!({"firstName": "Vera", "note": "d"})),
    )
    .await;
    assert_problem(&r, 409, json!(6));
    assert_eq!(r.body["resource"]["version"], 3);
    let r = call(
        &app,
        with("\"1\", W/\"3\"", json!({"firstName": "Vera", "note": "d"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["_v"], 4);
    let r = call(&app, with("*", json!({"firstName": "Vera", "note": "e"}))).await;
    assert_eq!(r.body["_v"], 5);
    let r = call(
        &app,
        TestRequest::put()
            .uri("/customers/nobody")
            .insert_header(bearer(&token))
            .insert_header(("If-Match", "*"))
            .set_json(json!({})),
    )
    .await;
    assert_problem(&r, 409, json!(6));
    assert_eq!(
        r.body["resource"],
        json!({"name": "Customer", "id": "nobody", "version": null})
    );

    // DELETE with If-Match.
    let del = |tag: &str| {
        TestRequest::delete()
            .uri("/customers/v1")
            .insert_header(bearer(&token))
            .insert_header(("If-Match", tag.to_owned()))
    };
    assert_problem(&call(&app, del("\"4\"")).await, 409, json!(6));
    let r = call(&app, del("\"5\"")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["_v"], 5);
}

#[actix_rt::test]
async fn put_upserts_and_post_honours_client_ids() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;

    // PUT creates (201 + Location), then updates (200); the path's id wins.
    let r = put(
        &app,
        &token,
        "u%201",
        json!({"id": "ignored", "firstName": "Una", "cards": [{"serialNumber": "K1"}]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["id"], "u 1");
    assert_eq!(r.header("location"), Some("/customers/u%201"));
    assert_eq!(r.body["cards"][0]["isActive"], true);
    let r = put(
        &app,
        &token,
        "u%201",
        json!({"firstName": "Una", "lastName": "Upsert"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["_v"], 2);
    assert_eq!(r.body["fullName"], "Una Upsert");
    assert_eq!(r.body["cards"], json!([]));

    // POST keeps a unique client id, refuses a taken one, assigns one when absent.
    let r = post(&app, &token, json!({"id": "u 1"})).await;
    assert_problem(&r, 400, json!(3));
    assert_eq!(member_errors(&r), [("Id".to_owned(), 2)]);
    let r = post(&app, &token, json!({"firstName": "NoId"})).await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(
        r.header("location"),
        Some(format!("/customers/{id}").as_str())
    );
    let r = put(&app, &token, "a%2Fb", json!({})).await;
    assert_problem(&r, 400, json!(3));
}

#[actix_rt::test]
async fn delete_answers_the_deleted_record() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;
    post(
        &app,
        &token,
        json!({"id": "d1", "firstName": "Dora", "discountRate": 3}),
    )
    .await;
    let r = delete(&app, &token, "d1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["firstName"], "Dora");
    assert_eq!(r.body["discountRate"], json!(3.0));
    let r = delete(&app, &token, "d1").await;
    assert_problem(&r, 404, Value::Null);
    assert_eq!(r.body["resource"]["id"], "d1");
    assert_problem(&get(&app, &token, "/customers/d1").await, 404, Value::Null);
}

#[actix_rt::test]
async fn writes_keep_what_ndata_cannot_show() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;
    let mut c = Customer {
        id: CustomerId::parse("k1").unwrap(),
        status: Status::Quote,
        ..Customer::default()
    };
    c.name.first = Some("Kai".into());
    c.name.middle = Some("Lee".into());
    c.number = Some("K-77".into());
    c.emails = vec![
        custgate_core::Email {
            address: "first@x.sk".into(),
            default: true,
            ..Default::default()
        },
        custgate_core::Email {
            address: "second@x.sk".into(),
            ..Default::default()
        },
    ];
    w.demo
        .create(&tenant("demo"), c, Default::default())
        .await
        .unwrap();

    let mut shown = get(&app, &token, "/customers/k1").await.body;
    assert_eq!(shown["isActive"], false);
    assert_eq!(shown["fullName"], "Kai Lee");
    shown["note"] = json!("written through ndata");
    shown["isActive"] = json!(false);
    let r = put(&app, &token, "k1", shown).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let stored = w
        .demo
        .get(&tenant("demo"), &CustomerId::parse("k1").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.status, Status::Quote);
    assert_eq!(stored.name.middle.as_deref(), Some("Lee"));
    assert_eq!(stored.name.display, None);
    assert_eq!(stored.number.as_deref(), Some("K-77"));
    assert_eq!(stored.emails.len(), 2);
    assert_eq!(stored.note.as_deref(), Some("written through ndata"));
}

// ---------------------------------------------------------------------------------
// Bad bodies
// ---------------------------------------------------------------------------------

#[actix_rt::test]
async fn bad_bodies_are_problem_details() {
    let w = world();
    let app = app!(w.setup);
    let token = login(&app, "demo", "demo").await;
    let raw = |body: String| {
        TestRequest::post()
            .uri("/customers")
            .insert_header(bearer(&token))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body)
    };
    assert_problem(&call(&app, raw("{not json".into())).await, 400, json!(3));
    assert_problem(&call(&app, raw("[]".into())).await, 400, json!(3));
    assert_problem(&call(&app, raw(String::new())).await, 400, json!(3));
    let deep = format!("{{\"meta\":{}1{}}}", "[".repeat(40), "]".repeat(40));
    assert_problem(&call(&app, raw(deep)).await, 400, json!(3));
    let big = format!("{{\"note\":\"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let r = call(&app, raw(big)).await;
    assert_problem(&r, 413, Value::Null);

    let r = post(
        &app,
        &token,
        json!({"creditRate": "lots", "cards": {"serialNumber": 1}}),
    )
    .await;
    assert_problem(&r, 400, json!(3));
    let mut names: Vec<String> = member_errors(&r).into_iter().map(|(m, _)| m).collect();
    names.sort();
    assert_eq!(names, ["Cards", "CreditRate"]);

    let r = post(
        &app,
        &token,
        json!({
            "email": "nope",
            "discountRate": 101,
            "cards": [{"serialNumber": "A"}, {"serialNumber": "A"}, {"isVirtual": true}]
        }),
    )
    .await;
    assert_problem(&r, 400, json!(3));
    assert_eq!(
        member_errors(&r),
        [
            ("Email".to_owned(), 0),
            ("DiscountRate".to_owned(), 0),
            ("Cards[1].SerialNumber".to_owned(), 2),
            ("Cards[2].SerialNumber".to_owned(), 1),
        ]
    );
    assert_eq!(
        w.demo
            .query(&tenant("demo"), &Default::default())
            .await
            .unwrap()
            .items
            .len(),
        0
    );

    let r = call(
        &app,
        TestRequest::patch()
            .uri("/customers/x")
            .insert_header(bearer(&token)),
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

// ---------------------------------------------------------------------------------
// Isolation
// ---------------------------------------------------------------------------------

#[actix_rt::test]
async fn tenants_never_see_each_other() {
    let w = world();
    let app = app!(w.setup);
    let demo = login(&app, "demo", "demo").await;
    let acme = login(&app, "acme", "acme").await;
    let r = post(&app, &demo, json!({"id": "shared", "firstName": "Demo", "externalId": "E1", "cards": [{"serialNumber": "CARD-1"}]})).await;
    assert_eq!(r.status, 201);

    // Reads.
    assert_problem(
        &get(&app, &acme, "/customers/shared").await,
        404,
        Value::Null,
    );
    let r = get(&app, &acme, "/customers").await;
    assert_eq!(r.body["totalCount"], 0);
    for q in [
        "ExternalId=E1",
        "CardSerialNumber=CARD-1",
        "Search=demo",
        "$count=true",
    ] {
        let r = get(&app, &acme, &format!("/customers?{q}")).await;
        assert_eq!(r.body["totalCount"], 0, "{q}");
    }
    // Writes: acme's PUT creates acme's own record; acme's DELETE finds nothing of demo's.
    let r = put(&app, &acme, "shared", json!({"firstName": "Acme"})).await;
    assert_eq!(r.status, 201);
    assert_problem(
        &delete(&app, &acme, "other-demo-id").await,
        404,
        Value::Null,
    );
    let r = post(&app, &demo, json!({"id": "only-demo"})).await;
    assert_eq!(r.status, 201);
    assert_problem(&delete(&app, &acme, "only-demo").await, 404, Value::Null);
    let r = post(&app, &acme, json!({"id": "only-demo"})).await;
    assert_eq!(r.status, 201, "ids are per tenant");

    // demo's records are untouched.
    let r = get(&app, &demo, "/customers/shared").await;
    assert_eq!(r.body["firstName"], "Demo");
    assert_eq!(r.body["_v"], 1);
    assert_eq!(get(&app, &demo, "/customers").await.body["totalCount"], 2);
    assert_eq!(get(&app, &acme, "/customers").await.body["totalCount"], 2);
    let r = delete(&app, &acme, "shared").await;
    assert_eq!(r.body["firstName"], "Acme");
    assert_eq!(get(&app, &demo, "/customers/shared").await.status, 200);
    assert_eq!(
        w.acme
            .query(&tenant("acme"), &Default::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}
