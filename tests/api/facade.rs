//! The unified facade through the whole gateway: config/default.toml, the real SQLite
//! store, the request-id middleware and the limits.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const DEMO: &str = "dev-unified-demo";
const ACME: &str = "dev-unified-acme";
const BASE: &str = "/unified/v1/customers";

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Reply {
    async fn read(r: Response) -> Reply {
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }

    #[track_caller]
    fn assert_problem(&self, status: u16, slug: &str) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(
            self.header("content-type"),
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
        // The problem's request_id is the response's X-Request-Id.
        assert_eq!(
            self.body["request_id"].as_str(),
            self.header("x-request-id"),
            "{:#}",
            self.body
        );
    }

    fn names(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items: {:#}", self.body))
            .iter()
            .map(|c| c["name"]["display"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn call(app: &TestApp, method: Method, path: &str, token: &str) -> RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(token)
}

async fn send(r: RequestBuilder) -> Reply {
    Reply::read(r.send().await.expect("the gateway answers")).await
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Reply {
    let r = send(call(app, Method::POST, BASE, token).json(body)).await;
    assert_eq!(r.status, 201, "{:#}", r.body);
    r
}

async fn list(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Reply {
    send(call(app, Method::GET, BASE, token).query(params)).await
}

#[tokio::test]
async fn crud_with_etags_on_the_embedded_store() {
    let app = spawn_app().await;
    let created = create(
        &app,
        DEMO,
        &json!({
            "kind": "person",
            "name": {"first": "John", "last": "Doe"},
            "emails": [{"address": "john@example.com", "default": true}],
            "phones": [{"kind": "mobile", "number": "+966568617084", "country_code": "966"}],
            "addresses": [{"kind": "billing", "city": "Riyadh", "country_code": "SA"}],
            "finance": {"credit_limit": 5000, "currency": "SAR"},
            "extensions": {"odata": {"GLN": "7080001"}}
        }),
    )
    .await;
    let id = created.id();
    let location = created.header("location").unwrap().to_owned();
    assert_eq!(location, format!("{BASE}/{id}"));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["seq"], 1);

    let got = send(call(&app, Method::GET, &location, DEMO)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body, created.body);
    assert_eq!(got.body["extensions"]["odata"]["GLN"], "7080001");

    let mut changed = got.body.clone();
    changed["note"] = json!("VIP");
    let updated = send(
        call(&app, Method::PUT, &location, DEMO)
            .header("If-Match", "\"1\"")
            .json(&changed),
    )
    .await;
    assert_eq!(updated.status, 200, "{:#}", updated.body);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    assert_eq!(updated.body["note"], "VIP");

    let stale = send(
        call(&app, Method::PUT, &location, DEMO)
            .header("If-Match", "\"1\"")
            .json(&changed),
    )
    .await;
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(stale.body["stored_version"], 2);

    let status = send(
        call(&app, Method::POST, &format!("{location}/status"), DEMO)
            .header("If-Match", "\"2\"")
            .json(&json!({"status": "inactive"})),
    )
    .await;
    assert_eq!(status.status, 200, "{:#}", status.body);
    assert_eq!(status.body["status"], "inactive");
    assert_eq!(status.header("etag"), Some("\"3\""));
    let plain = send(
        call(&app, Method::POST, &format!("{location}/status"), DEMO)
            .json(&json!({"status": "quote"})),
    )
    .await;
    assert_eq!(plain.header("etag"), Some("\"4\""));

    let stale = send(call(&app, Method::DELETE, &location, DEMO).header("If-Match", "\"3\"")).await;
    stale.assert_problem(412, "precondition-failed");
    let deleted =
        send(call(&app, Method::DELETE, &location, DEMO).header("If-Match", "\"4\"")).await;
    assert_eq!(deleted.status, 204);
    send(call(&app, Method::GET, &location, DEMO))
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn filters_sort_cursors_and_totals_run_in_sql() {
    let app = spawn_app().await;
    let people = [
        json!({"kind": "person", "name": {"display": "John Doe"}, "note": "VIP",
               "emails": [{"address": "john@example.com"}],
               "addresses": [{"city": "Riyadh", "postal_code": "01234", "country_code": "SA"}],
               "finance": {"credit_limit": 5000, "taxable": true}}),
        json!({"kind": "person", "name": {"display": "Jane O'Brien"},
               "emails": [{"address": "jane@Example.org"}, {"address": "jane.work@corp.io"}],
               "addresses": [{"city": "Jeddah", "country_code": "SA"}],
               "finance": {"credit_limit": 1500.5, "taxable": false}}),
        json!({"kind": "company", "name": {"display": "Acme Trading"}, "status": "inactive",
               "addresses": [{"city": "Oslo", "country_code": "NO"}]}),
        json!({"kind": "person", "name": {"display": "joanna smith"}, "status": "quote",
               "emails": [{"address": "joanna@example.com"}], "finance": {"credit_limit": 0}}),
        json!({"name": {"display": "Zed Blocked"}, "status": "blocked",
               "emails": [{"address": "z@x.io"}]}),
    ];
    for p in &people {
        create(&app, DEMO, p).await;
    }
    const JOHN: &str = "John Doe";
    const JANE: &str = "Jane O'Brien";
    const TRADING: &str = "Acme Trading";
    const JOANNA: &str = "joanna smith";
    const ZED: &str = "Zed Blocked";
    let cases: &[(&str, &[&str])] = &[
        ("status eq 'active'", &[JOHN, JANE]),
        ("status ne 'active'", &[TRADING, JOANNA, ZED]),
        ("finance.credit_limit gt 1500.5", &[JOHN]),
        ("finance.credit_limit ge 1500.5", &[JOHN, JANE]),
        ("finance.credit_limit lt 1500.5", &[JOANNA]),
        ("finance.credit_limit le 1500.5", &[JANE, JOANNA]),
        ("finance.taxable eq false", &[JANE]),
        ("name.display contains 'jo'", &[JOANNA]),
        ("name.display contains_ci 'jo'", &[JOHN, JOANNA]),
        ("name.display starts_with_ci 'j'", &[JOHN, JANE, JOANNA]),
        ("emails.address ends_with_ci '@example.org'", &[JANE]),
        ("name.display like 'J%n%'", &[JOHN, JANE]),
        ("name.display eq 'Jane O''Brien'", &[JANE]),
        ("status in ('quote', 'blocked')", &[JOANNA, ZED]),
        ("addresses.postal_code eq 01234", &[JOHN]),
        ("note is null", &[JANE, TRADING, JOANNA, ZED]),
        ("note is not null", &[JOHN]),
        (
            "emails.address ne 'jane.work@corp.io'",
            &[JOHN, TRADING, JOANNA, ZED],
        ),
        (
            "not (status eq 'active' or status eq 'quote')",
            &[TRADING, ZED],
        ),
        (
            "(kind eq 'company' or kind is null) and status ne 'blocked'",
            &[TRADING],
        ),
        (
            "addresses.country_code eq 'SA' and finance.credit_limit gt 2000",
            &[JOHN],
        ),
        (
            "created_at gt 2000-01-01",
            &[JOHN, JANE, TRADING, JOANNA, ZED],
        ),
        ("search 'trading'", &[TRADING]),
    ];
    for (filter, expected) in cases {
        let r = list(&app, DEMO, &[("filter", filter)]).await;
        assert_eq!(r.status, 200, "{filter}: {:#}", r.body);
        assert_eq!(r.names(), *expected, "{filter}");
    }
    let r = list(&app, DEMO, &[("q", "o'brien")]).await;
    assert_eq!(r.names(), [JANE]);

    // Sort descending by name, pages of two through the cursors, the total on each.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("sort", "-name.display"), ("limit", "2"), ("total", "true")];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let page = list(&app, DEMO, &params).await;
        assert_eq!(page.status, 200, "{:#}", page.body);
        assert_eq!(page.body["total"], 5);
        seen.extend(page.names());
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, [ZED, JOHN, JOANNA, JANE, TRADING]);

    // A cursor belongs to its query.
    let first = list(&app, DEMO, &[("sort", "-name.display"), ("limit", "2")]).await;
    assert!(first.body.get("total").is_none());
    let c = first.body["next_cursor"].as_str().unwrap();
    let r = list(&app, DEMO, &[("sort", "name.display"), ("cursor", c)]).await;
    r.assert_problem(400, "validation");
    assert_eq!(r.body["errors"][0]["field"], "cursor");

    let r = list(&app, DEMO, &[("filter", "nme.display eq 'x'")]).await;
    r.assert_problem(400, "validation");
    assert_eq!(r.body["errors"][0]["field"], "filter");
}

#[tokio::test]
async fn idempotent_creates_replay_refuse_and_survive_a_race() {
    let app = spawn_app().await;
    let body = json!({"name": {"display": "Once"}});
    let post = |key: &str, body: &Value| {
        call(&app, Method::POST, BASE, DEMO)
            .header("Idempotency-Key", key)
            .json(body)
    };
    let first = send(post("key-1", &body)).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let replay = send(post("key-1", &body)).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("location"), first.header("location"));
    send(post("key-1", &json!({"name": {"display": "Twice"}})))
        .await
        .assert_problem(422, "idempotency-key-reused");
    // Keys are per tenant: acme's "key-1" is a different request.
    let acme = send(
        call(&app, Method::POST, BASE, ACME)
            .header("Idempotency-Key", "key-1")
            .json(&json!({"name": {"display": "Acme's"}})),
    )
    .await;
    assert_eq!(acme.status, 201, "{:#}", acme.body);

    // Two identical requests at once: one creates, the other replays or is told to wait.
    let race = json!({"name": {"display": "Raced"}});
    let (a, b) = tokio::join!(send(post("key-race", &race)), send(post("key-race", &race)));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    match statuses {
        [201, 201] => assert_eq!(a.body, b.body, "a replay answers the first body"),
        [201, 409] => {
            let loser = if a.status == 409 { &a } else { &b };
            loser.assert_problem(409, "idempotency-key-in-flight");
            assert_eq!(loser.header("retry-after"), Some("1"));
        }
        other => panic!("unexpected answers {other:?}: {:#} {:#}", a.body, b.body),
    }
    let raced = list(
        &app,
        DEMO,
        &[("filter", "name.display eq 'Raced'"), ("total", "true")],
    )
    .await;
    assert_eq!(raced.body["total"], 1, "{:#}", raced.body);
    let once = list(
        &app,
        DEMO,
        &[("filter", "name.display eq 'Once'"), ("total", "true")],
    )
    .await;
    assert_eq!(once.body["total"], 1);
}

#[tokio::test]
async fn tokens_and_tenants_are_enforced() {
    let app = spawn_app().await;
    let mine = create(&app, DEMO, &json!({"id": "only-demo", "note": "demo's"})).await;
    let path = format!("{BASE}/only-demo");

    let none = send(app.client.get(app.url(BASE))).await;
    none.assert_problem(401, "unauthenticated");
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"custgate\"")
    );
    let bad = send(call(&app, Method::GET, &path, "dev-unified-nope")).await;
    bad.assert_problem(401, "unauthenticated");
    assert!(bad
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    // Another dialect's token is not a facade token.
    send(call(&app, Method::GET, &path, "dev-odata-demo"))
        .await
        .assert_problem(401, "unauthenticated");

    send(call(&app, Method::GET, &path, ACME))
        .await
        .assert_problem(404, "not-found");
    send(call(&app, Method::PUT, &path, ACME).json(&json!({"note": "acme's"})))
        .await
        .assert_problem(404, "not-found");
    send(
        call(&app, Method::POST, &format!("{path}/status"), ACME)
            .json(&json!({"status": "blocked"})),
    )
    .await
    .assert_problem(404, "not-found");
    send(call(&app, Method::DELETE, &path, ACME))
        .await
        .assert_problem(404, "not-found");
    let theirs = list(&app, ACME, &[("total", "true")]).await;
    assert_eq!(theirs.body["total"], 0);
    assert_eq!(theirs.body["items"], json!([]));

    let still = send(call(&app, Method::GET, &path, DEMO)).await;
    assert_eq!(still.body, mine.body);
}

#[tokio::test]
async fn errors_are_problem_details_and_limits_hold() {
    let app = spawn_app().await;
    let invalid = send(call(&app, Method::POST, BASE, DEMO).json(&json!({
        "status": "vip",
        "emial": "x@y.io",
        "emails": [{"address": "nope"}],
        "addresses": [{"country_code": "Saudi"}]
    })))
    .await;
    invalid.assert_problem(400, "validation");
    let mut fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "addresses[0].country_code",
            "emails[0].address",
            "emial",
            "status"
        ]
    );
    assert_eq!(invalid.body["instance"], BASE);

    // config/default.toml: max_body_bytes = 1048576, max_json_depth = 32.
    let big = json!({"note": "x".repeat(1_100_000)});
    send(call(&app, Method::POST, BASE, DEMO).json(&big))
        .await
        .assert_problem(413, "payload-too-large");
    let deep = format!("{{\"meta\": {}1{}}}", "[".repeat(40), "]".repeat(40));
    let r = send(
        call(&app, Method::POST, BASE, DEMO)
            .header("Content-Type", "application/json")
            .body(deep),
    )
    .await;
    r.assert_problem(400, "validation");
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("deeper than 32"));

    send(
        call(&app, Method::POST, BASE, DEMO)
            .header("Content-Type", "text/plain")
            .body("{}"),
    )
    .await
    .assert_problem(415, "unsupported-media-type");

    let r = send(call(&app, Method::PATCH, &format!("{BASE}/x"), DEMO)).await;
    r.assert_problem(405, "method-not-allowed");
    send(call(
        &app,
        Method::GET,
        &format!("{BASE}/does-not-exist"),
        DEMO,
    ))
    .await
    .assert_problem(404, "not-found");
    // Nothing was written by any of this.
    let all = list(&app, DEMO, &[("total", "true")]).await;
    assert_eq!(all.body["total"], 0);
}
