//! Bad input never makes a 5xx: every front gets its seed requests with their bodies and
//! query values mutated (fields removed, values of the wrong type, out of range, huge,
//! control characters, unknown members, bodies that are not JSON), on the embedded store
//! and through the gateway over an upstream, and must answer each one in its own terms:
//! a 2xx, a 4xx, or the 501 of what it does not support. The mutations come from a fixed
//! seed, so a failure is reproduced by running the test again; its message holds the
//! request and the answer. `ROBUSTNESS_SEED=<n>` (and `ROBUSTNESS_ROUNDS=<n>`) explore
//! other mutations locally.

use std::path::Path;

use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::helpers::{ndata_token, spawn_app, tenant_token, TestApp};
use crate::matrix::{gateway_over, Up};

/// Mutated requests per front and backend, unless `ROBUSTNESS_ROUNDS` says otherwise.
const ROUNDS: usize = 60;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// xorshift64*: deterministic, and enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values a client should not send, of every JSON type.
fn odd_value(rng: &mut Rng) -> Value {
    let deep = (0..40).fold(json!([]), |v, _| json!([v]));
    let odd = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e300),
        json!(-0.5),
        json!(""),
        json!(" "),
        json!("\u{0}\u{7}"),
        json!("\u{202e}ltr"),
        json!("😀".repeat(40)),
        json!("x".repeat(3000)),
        json!("%_'\"\\"),
        json!("2024-13-45"),
        json!("9999-12-31T23:59:59Z"),
        json!("NaN"),
        json!(" 12 "),
        json!([]),
        json!({}),
        json!({"a": {"b": [1, "2", null]}}),
        deep,
    ];
    rng.pick(&odd).clone()
}

/// `v` with some members removed, replaced by odd values or mutated in turn, and
/// sometimes an unknown member.
fn mutate(v: &Value, rng: &mut Rng) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                match rng.below(10) {
                    0 => {}
                    1 | 2 => {
                        out.insert(k.clone(), odd_value(rng));
                    }
                    3 => {
                        out.insert(k.clone(), mutate(x, rng));
                    }
                    _ => {
                        out.insert(k.clone(), x.clone());
                    }
                }
            }
            if rng.chance(20) {
                let name = *rng.pick(&["zzz", "ID", "id", "_v", "Info", "CUSTNO", "cusId", "seq"]);
                out.insert(name.into(), odd_value(rng));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(|x| mutate(x, rng)).collect();
            if rng.chance(20) {
                out.push(odd_value(rng));
            }
            Value::Array(out)
        }
        _ if rng.chance(30) => odd_value(rng),
        other => other.clone(),
    }
}

/// The body as sent: the mutated JSON, or now and then something that is not.
fn body_bytes(v: &Value, rng: &mut Rng) -> Vec<u8> {
    match rng.below(40) {
        0 => b"{not json".to_vec(),
        1 => b"\xff\xfe\x00 not utf-8".to_vec(),
        2 => [b"[".repeat(300), b"]".repeat(300)].concat(),
        3 => Vec::new(),
        4 => [serde_json::to_vec(v).unwrap(), b" trailing".to_vec()].concat(),
        _ => serde_json::to_vec(v).unwrap(),
    }
}

/// `query` (`a=1&b=2`) with some parameters dropped, some values odd, now and then an
/// unknown parameter or a broken escape.
fn mutate_query(query: &str, rng: &mut Rng) -> String {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match rng.below(10) {
            0 => {}
            1 => {
                let odd = match odd_value(rng) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.push(format!("{k}={}", crate::helpers::encode(&odd)));
            }
            _ => out.push(format!("{k}={v}")),
        }
    }
    if rng.chance(15) {
        out.push(format!(
            "{}=1",
            rng.pick(&["x", "top", "PageSize", "$take", "limit"])
        ));
    }
    if rng.chance(5) {
        out.push("%zz=%".into());
    }
    out.join("&")
}

fn fixture(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/dialects")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
}

/// One request a front's client might send.
struct Seed {
    method: Method,
    path: &'static str,
    query: &'static str,
    body: Option<Value>,
}

fn seed(method: Method, path: &'static str, query: &'static str, body: Option<Value>) -> Seed {
    Seed {
        method,
        path,
        query,
        body,
    }
}

/// A customer every upstream that can write takes (the tenant API requires an id number
/// and an address), named as ManEx's seed looks one up.
fn canonical_customer() -> Value {
    json!({"kind": "company", "name": {"display": "CustomerName"},
        "identifications": [{"scheme": "CRN", "value": "1010101010"}],
        "addresses": [{"kind": "billing", "building_no": "1", "street": "King Fahd Road",
            "city": "Riyadh", "postal_code": "12345", "country_code": "SA"}],
        "emails": [{"address": "r@example.com"}],
        "phones": [{"number": "+966551112222", "kind": "mobile"}]})
}

/// Every front's seed requests and the headers that authenticate them.
async fn fronts(app: &TestApp) -> Vec<(&'static str, Vec<(String, String)>, Vec<Seed>)> {
    let tenant_token = tenant_token("demo");
    let ndata_token = ndata_token(app, "demo", "demo").await;
    let bearer = |t: &str| vec![("Authorization".to_owned(), format!("Bearer {t}"))];
    let tenant_body = fixture("tenant/tests/fixtures/create_request.json");
    let ndata_body = fixture("ndata/tests/fixtures/create_request.json");
    let odata_body = fixture("odata/tests/fixtures/appendix_a.json");
    let canonical = canonical_customer();
    let mut odata_headers = bearer("dev-odata-demo");
    odata_headers.push((
        "CompanyKey".into(),
        "11111111-1111-4111-8111-111111111111".into(),
    ));
    use Method as M;
    vec![
        (
            "tenant",
            bearer(&tenant_token),
            vec![
                seed(M::POST, "/api/customer", "", Some(tenant_body.clone())),
                seed(M::PUT, "/api/customer/1", "", Some(tenant_body)),
                seed(
                    M::GET,
                    "/api/customer",
                    "CusName=John&CusMobile=0555555555&SortBy=cusName&PageNumber=1&PageSize=5",
                    None,
                ),
                seed(M::DELETE, "/api/customer/John%20Doe", "", None),
            ],
        ),
        (
            "v1core",
            bearer("dev-v1core-demo"),
            vec![seed(
                M::GET,
                "/v1/core/customer",
                "companyCode=jtc&customerId=1&identificationNo=2103232123&mobileNumber=568617084&referenceNo=333215&lang=ar",
                None,
            )],
        ),
        (
            "ndata",
            bearer(&ndata_token),
            vec![
                seed(M::POST, "/customers", "", Some(ndata_body.clone())),
                seed(M::PUT, "/customers/customer-id", "", Some(ndata_body)),
                seed(
                    M::GET,
                    "/customers",
                    "$skip=0&$take=10&$sort=-firstName&Search=jo&DiscountRate=gt:0;lt:50&$count=true",
                    None,
                ),
                seed(M::DELETE, "/customers/customer-id", "", None),
            ],
        ),
        (
            "custno",
            Vec::new(),
            vec![
                seed(
                    M::POST,
                    "/API/Customer/Add/DEVKEY0001",
                    "CustName=CustomerName&Status=Active&Phone=555&Credlimit=10",
                    Some(json!({"Custname": "CustomerName", "Status": "Active"})),
                ),
                seed(
                    M::POST,
                    "/API/Customer/Edit/DEVKEY0001",
                    "Custno=0000000001&Status=Inactive&Territory=EAST",
                    None,
                ),
                seed(
                    M::GET,
                    "/API/Customer/Get/DEVKEY0001",
                    "CustNumOrName=CustomerName",
                    None,
                ),
            ],
        ),
        (
            "odata",
            odata_headers,
            vec![
                seed(M::POST, "/api/biz/customers", "", Some(odata_body.clone())),
                seed(M::PUT, "/api/biz/customers/1", "", Some(odata_body)),
                seed(
                    M::GET,
                    "/api/biz/customers",
                    "expand=Info,Info.Phones,Info.DefaultPhone,Info.Emails&filter=StatusCode%20eq%2030001%20and%20startswith(Info.Name,'J')&top=10&skip=0&orderby=ID%20desc",
                    None,
                ),
                seed(M::PUT, "/api/biz/customers", "action=deactivate&id=1", None),
            ],
        ),
        (
            "unified",
            bearer("dev-unified-demo"),
            vec![
                seed(M::POST, "/unified/v1/customers", "", Some(canonical.clone())),
                seed(M::PUT, "/unified/v1/customers/1", "", Some(canonical)),
                seed(
                    M::GET,
                    "/unified/v1/customers",
                    "filter=phones.number%20eq%20'%2B966551112222'&sort=-seq&limit=5&total=true",
                    None,
                ),
            ],
        ),
    ]
}

/// Sends every front its mutated seed requests; the failures, each with its request and
/// answer. A front that answered none of them past its validation (a success or a 501),
/// or refused none, fails too: its requests would not have reached what they test.
async fn hammer(app: &TestApp, seed_value: u64) -> Vec<String> {
    let seed_value = env_number("ROBUSTNESS_SEED").map_or(seed_value, |s| s ^ seed_value);
    let mut rng = Rng(seed_value.max(1));
    let rounds = env_number("ROBUSTNESS_ROUNDS").map_or(ROUNDS, |n| n as usize);
    let mut failures = Vec::new();
    for (front, headers, seeds) in fronts(app).await {
        // A customer for this front to find, whatever the one before did (nothing to
        // check: a lookup-only upstream refuses it).
        app.client
            .post(app.url("/unified/v1/customers"))
            .bearer_auth("dev-unified-demo")
            .json(&canonical_customer())
            .send()
            .await
            .unwrap();
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..rounds {
            let s = rng.pick(&seeds);
            // One request in four is the seed's own, so that some reach the store.
            let plain = rng.chance(25);
            let query = if plain {
                s.query.to_owned()
            } else {
                mutate_query(s.query, &mut rng)
            };
            let url = app.url(&format!("{}?{query}", s.path));
            let mut req = app.client.request(s.method.clone(), &url);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            let mut sent = String::new();
            if let Some(body) = &s.body {
                let bytes = if plain {
                    serde_json::to_vec(body).unwrap()
                } else {
                    body_bytes(&mutate(body, &mut rng), &mut rng)
                };
                sent = String::from_utf8_lossy(&bytes).chars().take(300).collect();
                req = req.header("Content-Type", "application/json").body(bytes);
            }
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{front}: {} {url}: no answer: {e}", s.method));
                    continue;
                }
            };
            let mut status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            // ManEx answers 200 with its own status in the envelope's `Code`.
            if front == "custno" && status == 200 {
                let code = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["Code"].as_u64());
                status = code.and_then(|c| u16::try_from(c).ok()).unwrap_or(status);
            }
            // Answered past authentication and validation: a success, or the 501 of
            // what the backend cannot do (over a lookup-only upstream, most writes).
            accepted += usize::from((200..300).contains(&status) || status == 501);
            refused += usize::from((400..500).contains(&status));
            if status >= 500 && status != 501 {
                failures.push(format!(
                    "{front}: {} {url} {sent}\n  -> {status} {}",
                    s.method,
                    text.chars().take(400).collect::<String>()
                ));
            }
        }
        if accepted == 0 || refused == 0 {
            failures.push(format!(
                "{front}: {accepted} of {rounds} requests accepted, {refused} refused"
            ));
        }
    }
    failures
}

#[tokio::test]
async fn mutated_seed_requests_never_get_a_server_error_on_the_embedded_store() {
    let app = spawn_app().await;
    let failures = hammer(&app, 0x5eed_0001).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
}

#[tokio::test]
async fn mutated_seed_requests_never_get_a_server_error_through_the_gateway() {
    for (i, up) in Up::ALL.into_iter().enumerate() {
        let (_upstream, gateway) = gateway_over(up).await;
        let failures = hammer(&gateway, 0x5eed_0100 + i as u64).await;
        assert!(
            failures.is_empty(),
            "over a {} upstream:\n{}",
            up.as_str(),
            failures.join("\n")
        );
    }
}
