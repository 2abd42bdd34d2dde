//! The matrix (issue 8): every front (the unified facade and the five dialects) over every
//! upstream dialect.
//!
//! Each upstream is a second custgate instance on loopback with the embedded store,
//! reached through one dialect's client; one gateway instance per upstream dialect has its
//! `demo` tenant backed by it and serves all six fronts. For each (front, upstream) pair
//! the flows run in the front's own wire format and auth: create, list with a filter, get
//! by the front's key, update, delete. What a flow wrote is read back from the upstream
//! instance directly (its facade), and what it changed comes back through the front. A
//! flow the pair cannot support must answer the front's own clear error (its envelope,
//! the status its `error.rs` gives that case) and leave the upstream untouched; never a
//! 500. The matrix is printed as a table; every cell that went wrong is listed at the end.
//!
//! Where the front could not create the record (it cannot, or the upstream refuses what
//! it can send), the record is written into the upstream directly so that the other flows
//! still run; where the front's own answers give no key, the key is taken from the
//! gateway's facade.
//!
//! Status changes run through the facade over every upstream in a test of their own.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{encode, spawn_app, spawn_gateway_over, TestApp};

const FACADE: &str = "/unified/v1/customers";
const UNIFIED_TOKEN: &str = "dev-unified-demo";
const V1CORE_TOKEN: &str = "dev-v1core-demo";
const ODATA_TOKEN: &str = "dev-odata-demo";
const ODATA_COMPANY: &str = "11111111-1111-4111-8111-111111111111";
const CUSTNO_KEY: &str = "DEVKEY0001";
const DROPPED_HEADER: &str = "x-custgate-dropped-fields";
const PLAN_HEADER: &str = "x-custgate-plan";

/// Cells that still fail because of a gateway or dialect bug, each with its cause. The
/// final assertion skips them (and fails when one of them passes again, so the list stays
/// honest); the table marks them `~`.
const KNOWN_GAPS: &[(Front, Up, Flow, &str)] = &[];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Front {
    Unified,
    Tenant,
    V1core,
    Ndata,
    Custno,
    Odata,
}

impl Front {
    const ALL: [Front; 6] = [
        Front::Unified,
        Front::Tenant,
        Front::V1core,
        Front::Ndata,
        Front::Custno,
        Front::Odata,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Front::Unified => "unified",
            Front::Tenant => "tenant",
            Front::V1core => "v1core",
            Front::Ndata => "ndata",
            Front::Custno => "custno",
            Front::Odata => "odata",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Up {
    Tenant,
    V1core,
    Ndata,
    Custno,
    Odata,
}

impl Up {
    pub(crate) const ALL: [Up; 5] = [Up::Tenant, Up::V1core, Up::Ndata, Up::Custno, Up::Odata];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Up::Tenant => "tenant",
            Up::V1core => "v1core",
            Up::Ndata => "ndata",
            Up::Custno => "custno",
            Up::Odata => "odata",
        }
    }

    /// The gateway's `client` section for an upstream instance at `base`, with the
    /// development credentials of that instance's `demo` tenant.
    pub(crate) fn client_section(self, base: &str) -> Value {
        let upstream = json!({"base_url": format!("{base}/"), "request_timeout_ms": 5000});
        match self {
            Up::Tenant => json!({
                "upstream": upstream,
                "auth": {"kind": "login", "tenant_id": "demo", "user_id": "demo", "password": "demo"}
            }),
            Up::V1core => json!({
                "upstream": upstream,
                "company_code": "jtc",
                "auth": {"kind": "bearer", "token": V1CORE_TOKEN}
            }),
            Up::Ndata => json!({"upstream": upstream, "user_name": "demo", "password": "demo"}),
            Up::Custno => json!({"upstream": upstream, "api_key": CUSTNO_KEY}),
            Up::Odata => {
                json!({"upstream": upstream, "token": ODATA_TOKEN, "company_key": ODATA_COMPANY})
            }
        }
    }

    /// The id the gateway gives a record of this upstream, from the record as the
    /// upstream instance's facade shows it.
    pub(crate) fn gateway_id(self, upstream_record: &Value) -> Option<String> {
        match self {
            // `cusId`, `customerId`, `ID`: the upstream's integer id.
            Up::Tenant | Up::V1core | Up::Odata => {
                upstream_record["seq"].as_i64().map(|s| s.to_string())
            }
            Up::Ndata => upstream_record["id"].as_str().map(str::to_owned),
            // The ten-digit `CUSTNO`.
            Up::Custno => upstream_record["number"]
                .as_str()
                .map(|n| format!("{n:0>10}")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Create,
    Get,
    List,
    Update,
    Delete,
}

impl Flow {
    const ALL: [Flow; 5] = [
        Flow::Create,
        Flow::Get,
        Flow::List,
        Flow::Update,
        Flow::Delete,
    ];

    fn letter(self) -> char {
        match self {
            Flow::Create => 'C',
            Flow::Get => 'G',
            Flow::List => 'L',
            Flow::Update => 'U',
            Flow::Delete => 'D',
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a flow of a pair must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Works,
    /// The front's own error with this status (ManEx: its envelope's `Code`), and why.
    Refused(u16, &'static str),
}

/// The expectation for every cell, from the fronts' operations, the upstream clients'
/// capabilities (each dialect's `docs.md`) and the gateway's planner (`core::plan`: a
/// lookup-only upstream answers a query only through one of its lookups).
fn expect(front: Front, up: Up, flow: Flow) -> Expect {
    use Expect::{Refused, Works};
    // What the front itself does not offer.
    match (front, flow) {
        (Front::V1core, Flow::Create | Flow::Update | Flow::Delete) => {
            return Refused(405, "v1core is a read-only lookup API")
        }
        (Front::Custno, Flow::Delete) => {
            return Refused(
                404,
                "ManEx has no delete action (the Web API's unknown action)",
            )
        }
        _ => {}
    }
    // What the upstream cannot do at all.
    match (up, flow) {
        (Up::V1core, Flow::Create | Flow::Update | Flow::Delete) => {
            return Refused(501, "the v1core upstream is lookup-only")
        }
        (Up::Custno, Flow::Delete) => return Refused(501, "ManEx cannot delete customers"),
        _ => {}
    }
    match (front, up, flow) {
        // The tenant API requires idNo, bldgNo, street, city and postalCode; these fronts
        // cannot send them, and get the upstream's validation error in their envelope.
        (Front::Ndata | Front::Odata, Up::Tenant, Flow::Create) => Refused(
            400,
            "the tenant upstream requires an id number and an address",
        ),
        (Front::Custno, Up::Tenant, Flow::Create) => Refused(
            403,
            "the tenant upstream requires an id number and an address (ManEx: Code 403)",
        ),
        (Front::Unified | Front::Odata | Front::Custno, Up::V1core, Flow::List) => {
            Refused(501, "v1core cannot look customers up by name")
        }
        (Front::Tenant, Up::V1core, Flow::Get) => {
            Refused(501, "v1core cannot look customers up by name")
        }
        (Front::Tenant, Up::V1core | Up::Custno, Flow::List) => {
            Refused(501, "a name-contains search needs an upstream that lists")
        }
        (Front::Ndata, Up::V1core | Up::Custno, Flow::List) => {
            Refused(501, "a free-text search needs an upstream that lists")
        }
        (Front::V1core, Up::Custno, Flow::List) => {
            Refused(501, "ManEx cannot look customers up by mobile number")
        }
        _ => Works,
    }
}

/// What happened to one flow of one cell.
#[derive(Clone, Debug)]
enum Outcome {
    Passed,
    /// With the refusal, for `MATRIX_VERBOSE=1`.
    RefusedAsExpected(String),
    Failed(String),
    Skipped(String),
}

/// One HTTP exchange, kept whole for the failure report.
#[derive(Clone, Debug)]
struct Reply {
    request: String,
    status: u16,
    /// Boxed: replies travel in `Err`s.
    headers: Box<HeaderMap>,
    body: Value,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} {}",
            self.request,
            self.status,
            clip(&self.text, 600)
        )?;
        for name in [DROPPED_HEADER, PLAN_HEADER] {
            if let Some(v) = self.header(name) {
                write!(f, " [{name}: {v}]")?;
            }
        }
        Ok(())
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A front's answer: the reply and the front's record in it (or, for lists, the array of
/// records that carry the name looked for).
struct Done {
    reply: Reply,
    record: Value,
}

type Answer = Result<Done, Reply>;

enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// Bearer token plus the `CompanyKey` header.
    Odata,
}

/// [`send`] to the facade, with its token.
async fn facade(
    app: &TestApp,
    method: Method,
    path: &str,
    query: &[(&str, String)],
    body: Option<&Value>,
) -> Reply {
    send(app, method, path, query, Auth::Bearer(UNIFIED_TOKEN), body).await
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    query: &[(&str, String)],
    auth: Auth<'_>,
    body: Option<&Value>,
) -> Reply {
    let mut request = format!("{method} {path}");
    if !query.is_empty() {
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        request.push('?');
        request.push_str(&q.join("&"));
    }
    let mut rb = app.client.request(method, app.url(path));
    if !query.is_empty() {
        rb = rb.query(query);
    }
    rb = match auth {
        Auth::None => rb,
        Auth::Bearer(t) => rb.bearer_auth(t),
        Auth::Odata => rb
            .bearer_auth(ODATA_TOKEN)
            .header("CompanyKey", ODATA_COMPANY),
    };
    if let Some(b) = body {
        request.push(' ');
        request.push_str(&clip(&b.to_string(), 400));
        rb = rb.json(b);
    }
    match rb.timeout(Duration::from_secs(20)).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let headers = Box::new(r.headers().clone());
            let text = r.text().await.unwrap_or_else(|e| format!("<body: {e}>"));
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            Reply {
                request,
                status,
                headers,
                body,
                text,
            }
        }
        Err(e) => Reply {
            request,
            status: 0,
            headers: Box::default(),
            body: Value::Null,
            text: format!("<no answer: {e}>"),
        },
    }
}

fn done(reply: Reply, record: Value) -> Answer {
    Ok(Done { reply, record })
}

/// The data of one cell.
struct Rec {
    name: String,
    renamed: String,
    /// A Saudi mobile number: nine digits starting with 5.
    mobile: String,
    id_no: String,
    email: String,
}

impl Rec {
    fn new(front: Front, up: Up) -> Rec {
        let n = Front::ALL.iter().position(|f| *f == front).unwrap() * 10
            + Up::ALL.iter().position(|u| *u == up).unwrap()
            + 1;
        Rec {
            name: format!("Matrix {} over {}", front.as_str(), up.as_str()),
            renamed: format!("Matrix {} over {} renamed", front.as_str(), up.as_str()),
            mobile: format!("55{n:07}"),
            id_no: format!("70{n:08}"),
            email: format!("{}.{}@matrix.example", front.as_str(), up.as_str()),
        }
    }

    /// The canonical record, rich enough for every upstream (the tenant API's required
    /// fields included), as written straight into an upstream instance.
    fn canonical(&self) -> Value {
        json!({
            "kind": "company",
            "status": "active",
            "name": {"display": self.name},
            "identifications": [{"scheme": "CRN", "value": self.id_no}],
            "phones": [{"kind": "mobile", "number": format!("+966{}", self.mobile), "country_code": "966", "default": true}],
            "emails": [{"address": self.email, "default": true}],
            "addresses": [{"kind": "billing", "building_no": "12", "street": "Main Street",
                           "city": "Riyadh", "postal_code": "12345", "country_code": "SA"}]
        })
    }
}

/// One gateway instance, logged in through every front that needs a login.
struct Session<'a> {
    gw: &'a TestApp,
    tenant_token: String,
    ndata_token: String,
}

impl<'a> Session<'a> {
    async fn open(gw: &'a TestApp) -> Session<'a> {
        let login = send(
            gw,
            Method::POST,
            "/api/account/login",
            &[],
            Auth::None,
            Some(&json!({"tenantId": "demo", "userId": "demo", "password": "demo"})),
        )
        .await;
        let tenant_token = login.body["token"]
            .as_str()
            .unwrap_or("login-failed")
            .to_owned();
        let login = send(
            gw,
            Method::POST,
            "/api/auth",
            &[],
            Auth::None,
            Some(&json!({"UserName": "demo", "Password": "demo", "DeviceName": "matrix"})),
        )
        .await;
        let ndata_token = login.body["tokenId"]
            .as_str()
            .unwrap_or("login-failed")
            .to_owned();
        Session {
            gw,
            tenant_token,
            ndata_token,
        }
    }
}

/// The answer when the reply has the front's success status: its body as the record.
fn want(reply: Reply, status: u16) -> Answer {
    if reply.status != status {
        return Err(reply);
    }
    let record = reply.body.clone();
    done(reply, record)
}

/// The unified facade: the canonical model, keyed by `id`.
mod unified {
    use super::*;

    async fn call(
        s: &Session<'_>,
        m: Method,
        path: &str,
        q: &[(&str, String)],
        body: Option<&Value>,
    ) -> Reply {
        facade(s.gw, m, path, q, body).await
    }

    fn path(h: &Value) -> String {
        format!("{FACADE}/{}", encode(h["id"].as_str().unwrap_or_default()))
    }

    pub async fn create(s: &Session<'_>, r: &Rec) -> Answer {
        want(
            call(s, Method::POST, FACADE, &[], Some(&r.canonical())).await,
            201,
        )
    }

    pub async fn get(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::GET, &path(h), &[], None).await, 200)
    }

    pub async fn list(s: &Session<'_>, r: &Rec) -> Answer {
        let filter = format!("name.display eq '{}'", r.name);
        let Done { reply, record } = want(
            call(s, Method::GET, FACADE, &[("filter", filter)], None).await,
            200,
        )?;
        match record["items"].as_array() {
            Some(_) => done(reply, named(&record["items"], Front::Unified, &r.name)),
            None => Err(reply),
        }
    }

    /// Read, rename, write the whole record back.
    pub async fn update(s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        let mut changed = get(s, h).await?.record;
        changed["name"]["display"] = json!(r.renamed);
        want(
            call(s, Method::PUT, &path(h), &[], Some(&changed)).await,
            200,
        )
    }

    pub async fn delete(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::DELETE, &path(h), &[], None).await, 204)
    }
}

/// Pristine Invoice: a JWT from the gateway's login route; GET and DELETE by `cusName`,
/// PUT by `cusId`.
mod tenant {
    use super::*;

    async fn call(
        s: &Session<'_>,
        m: Method,
        path: &str,
        q: &[(&str, String)],
        body: Option<&Value>,
    ) -> Reply {
        send(s.gw, m, path, q, Auth::Bearer(&s.tenant_token), body).await
    }

    fn by_name(h: &Value) -> String {
        format!(
            "/api/customer/{}",
            encode(h["cusName"].as_str().unwrap_or_default())
        )
    }

    /// Every field this API has, the required ones included.
    fn body(r: &Rec, name: &str) -> Value {
        json!({
            "cusName": name, "cusMobile": format!("0{}", r.mobile), "cusType": "B2B",
            "idType": "CRN", "idNo": r.id_no, "email": r.email,
            "bldgNo": "12", "street": "Main Street", "city": "Riyadh", "postalCode": "12345"
        })
    }

    pub async fn create(s: &Session<'_>, r: &Rec) -> Answer {
        want(
            call(
                s,
                Method::POST,
                "/api/customer",
                &[],
                Some(&body(r, &r.name)),
            )
            .await,
            201,
        )
    }

    pub async fn get(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::GET, &by_name(h), &[], None).await, 200)
    }

    pub async fn list(s: &Session<'_>, r: &Rec) -> Answer {
        let q = [("CusName", r.name.clone())];
        let Done { reply, record } =
            want(call(s, Method::GET, "/api/customer", &q, None).await, 200)?;
        match record.as_array() {
            Some(_) => done(reply, named(&record, Front::Tenant, &r.name)),
            None => Err(reply),
        }
    }

    /// A PUT replaces this API's fields: the whole body again, renamed.
    pub async fn update(s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        let id = h["cusId"].as_i64().unwrap_or_default();
        let mut b = body(r, &r.renamed);
        b["cusId"] = json!(id);
        want(
            call(
                s,
                Method::PUT,
                &format!("/api/customer/{id}"),
                &[],
                Some(&b),
            )
            .await,
            200,
        )
    }

    pub async fn delete(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::DELETE, &by_name(h), &[], None).await, 204)
    }
}

/// Aljabr DMS: `GET /v1/core/customer` by `customerId` or another criterion; nothing else.
mod v1core {
    use super::*;

    const PATH: &str = "/v1/core/customer";

    async fn call(
        s: &Session<'_>,
        m: Method,
        criterion: (&'static str, String),
        body: Option<&Value>,
    ) -> Reply {
        let q = [
            ("companyCode", "jtc".to_owned()),
            ("lang", "en".to_owned()),
            criterion,
        ];
        send(s.gw, m, PATH, &q, Auth::Bearer(V1CORE_TOKEN), body).await
    }

    fn id(h: &Value) -> (&'static str, String) {
        (
            "customerId",
            h["customerId"].as_i64().unwrap_or_default().to_string(),
        )
    }

    /// The rows of a 200 answer.
    fn rows(reply: Reply) -> Answer {
        let Done { reply, record } = want(reply, 200)?;
        match record.as_array() {
            Some(_) => done(reply, record),
            None => Err(reply),
        }
    }

    /// The API has no writes: the same path with another method.
    async fn write(s: &Session<'_>, m: Method, h: &Value, body: Option<&Value>) -> Answer {
        let reply = call(s, m, id(h), body).await;
        if (200..300).contains(&reply.status) {
            return want(reply.clone(), reply.status);
        }
        Err(reply)
    }

    pub async fn create(s: &Session<'_>, r: &Rec) -> Answer {
        write(
            s,
            Method::POST,
            &json!({"customerId": 1}),
            Some(&r.canonical()),
        )
        .await
    }

    pub async fn get(s: &Session<'_>, h: &Value) -> Answer {
        let Done { reply, record } = rows(call(s, Method::GET, id(h), None).await)?;
        match record.as_array().map(Vec::as_slice) {
            Some([row]) => done(reply, row.clone()),
            _ => Err(reply),
        }
    }

    /// The lookup by mobile number.
    pub async fn list(s: &Session<'_>, r: &Rec) -> Answer {
        let Done { reply, record } =
            rows(call(s, Method::GET, ("mobileNumber", r.mobile.clone()), None).await)?;
        done(reply, named(&record, Front::V1core, &r.name))
    }

    pub async fn update(s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        let mut body = r.canonical();
        body["name"]["display"] = json!(r.renamed);
        write(s, Method::PUT, h, Some(&body)).await
    }

    pub async fn delete(s: &Session<'_>, h: &Value) -> Answer {
        write(s, Method::DELETE, h, None).await
    }
}

/// PORTOS NData: a token from the gateway's `/api/auth`; `/customers/{id}`, string ids.
mod ndata {
    use super::*;

    async fn call(
        s: &Session<'_>,
        m: Method,
        path: &str,
        q: &[(&str, String)],
        body: Option<&Value>,
    ) -> Reply {
        send(s.gw, m, path, q, Auth::Bearer(&s.ndata_token), body).await
    }

    fn path(h: &Value) -> String {
        format!(
            "/customers/{}",
            encode(h["id"].as_str().unwrap_or_default())
        )
    }

    pub async fn create(s: &Session<'_>, r: &Rec) -> Answer {
        let body = json!({"fullName": r.name, "isCompany": true, "email": r.email});
        want(
            call(s, Method::POST, "/customers", &[], Some(&body)).await,
            201,
        )
    }

    pub async fn get(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::GET, &path(h), &[], None).await, 200)
    }

    /// NData's free-text `Search`.
    pub async fn list(s: &Session<'_>, r: &Rec) -> Answer {
        let q = [("Search", r.name.clone())];
        let Done { reply, record } = want(call(s, Method::GET, "/customers", &q, None).await, 200)?;
        match record["items"].as_array() {
            Some(_) => done(reply, named(&record["items"], Front::Ndata, &r.name)),
            None => Err(reply),
        }
    }

    /// Read, rename, write back; without `_v`, which NData does not check when absent.
    pub async fn update(s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        let mut body = get(s, h).await?.record;
        if let Some(o) = body.as_object_mut() {
            o.remove("_v");
        }
        body["fullName"] = json!(r.renamed);
        want(call(s, Method::PUT, &path(h), &[], Some(&body)).await, 200)
    }

    pub async fn delete(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::DELETE, &path(h), &[], None).await, 200)
    }
}

/// ManEx: the API key in the path, the envelope's `Code` as the outcome, `CUSTNO` the key.
mod custno {
    use super::*;

    async fn call(
        s: &Session<'_>,
        m: Method,
        action: &str,
        q: &[(&str, String)],
        body: Option<&Value>,
    ) -> Reply {
        let path = format!("/API/Customer/{action}/{CUSTNO_KEY}");
        send(s.gw, m, &path, q, Auth::None, body).await
    }

    /// The envelope's record when `Code` is 200.
    fn accepted(reply: Reply) -> Answer {
        if reply.status == 200 && reply.body["Code"] == 200 {
            let record = reply.body["ResponseObject"].clone();
            return done(reply, record);
        }
        Err(reply)
    }

    async fn lookup(s: &Session<'_>, key: &str) -> Reply {
        call(
            s,
            Method::GET,
            "Get",
            &[("CustNumOrName", key.to_owned())],
            None,
        )
        .await
    }

    pub async fn create(s: &Session<'_>, r: &Rec) -> Answer {
        let body = json!({"Custname": r.name, "Status": "Active"});
        accepted(call(s, Method::POST, "Add", &[], Some(&body)).await)
    }

    pub async fn get(s: &Session<'_>, h: &Value) -> Answer {
        accepted(lookup(s, h["CUSTNO"].as_str().unwrap_or_default()).await)
    }

    /// ManEx's only search: `CustNumOrName` with the name; "does not exists" is its empty
    /// answer.
    pub async fn list(s: &Session<'_>, r: &Rec) -> Answer {
        let reply = lookup(s, &r.name).await;
        if reply.status == 200 && reply.body["Message"] == "Customer does not exists." {
            return done(reply, json!([]));
        }
        let Done { reply, record } = accepted(reply)?;
        done(reply, named(&json!([record]), Front::Custno, &r.name))
    }

    /// Edit answers no record: the key stays, the name is the new one.
    pub async fn update(s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        let body = json!({"CUSTNO": h["CUSTNO"], "Custname": r.renamed});
        let Done { reply, .. } = accepted(call(s, Method::POST, "Edit", &[], Some(&body)).await)?;
        let mut record = h.clone();
        record["CUSTNAME"] = json!(r.renamed);
        done(reply, record)
    }

    /// ManEx has no Delete action; this is what a client would try.
    pub async fn delete(s: &Session<'_>, h: &Value) -> Answer {
        let body = json!({"CUSTNO": h["CUSTNO"]});
        accepted(call(s, Method::POST, "Delete", &[], Some(&body)).await)
    }
}

/// Unimicro: bearer token and `CompanyKey`; `/api/biz/customers/{ID}`.
mod odata {
    use super::*;

    const BASE: &str = "/api/biz/customers";

    async fn call(
        s: &Session<'_>,
        m: Method,
        path: &str,
        q: &[(&str, String)],
        body: Option<&Value>,
    ) -> Reply {
        send(s.gw, m, path, q, Auth::Odata, body).await
    }

    fn path(h: &Value) -> String {
        format!("{BASE}/{}", h["ID"].as_i64().unwrap_or_default())
    }

    pub async fn create(s: &Session<'_>, r: &Rec) -> Answer {
        let body = json!({
            "IsPrivate": false,
            "Info": {"Name": r.name, "DefaultEmail": {"EmailAddress": r.email}}
        });
        want(call(s, Method::POST, BASE, &[], Some(&body)).await, 201)
    }

    pub async fn get(s: &Session<'_>, h: &Value) -> Answer {
        let q = [("expand", "Info".to_owned())];
        want(call(s, Method::GET, &path(h), &q, None).await, 200)
    }

    pub async fn list(s: &Session<'_>, r: &Rec) -> Answer {
        let q = [
            ("expand", "Info".to_owned()),
            ("filter", format!("Info.Name eq '{}'", r.name)),
        ];
        let Done { reply, record } = want(call(s, Method::GET, BASE, &q, None).await, 200)?;
        match record.as_array() {
            Some(_) => done(reply, named(&record, Front::Odata, &r.name)),
            None => Err(reply),
        }
    }

    /// A PUT merges: only the new name.
    pub async fn update(s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        let body = json!({"Info": {"Name": r.renamed}});
        want(call(s, Method::PUT, &path(h), &[], Some(&body)).await, 200)
    }

    pub async fn delete(s: &Session<'_>, h: &Value) -> Answer {
        want(call(s, Method::DELETE, &path(h), &[], None).await, 204)
    }
}

/// Calls the same driver function of the front's module.
macro_rules! drive {
    ($front:expr, $f:ident ( $($arg:expr),* )) => {
        match $front {
            Front::Unified => unified::$f($($arg),*).await,
            Front::Tenant => tenant::$f($($arg),*).await,
            Front::V1core => v1core::$f($($arg),*).await,
            Front::Ndata => ndata::$f($($arg),*).await,
            Front::Custno => custno::$f($($arg),*).await,
            Front::Odata => odata::$f($($arg),*).await,
        }
    };
}

/// The drivers, one per front, behind one interface.
impl Front {
    async fn create(self, s: &Session<'_>, r: &Rec) -> Answer {
        drive!(self, create(s, r))
    }

    async fn get(self, s: &Session<'_>, h: &Value) -> Answer {
        drive!(self, get(s, h))
    }

    /// The front's records carrying the cell's name, as an array.
    async fn list(self, s: &Session<'_>, r: &Rec) -> Answer {
        drive!(self, list(s, r))
    }

    /// Renames the record; answers the front's record after the change (the new key).
    async fn update(self, s: &Session<'_>, h: &Value, r: &Rec) -> Answer {
        drive!(self, update(s, h, r))
    }

    async fn delete(self, s: &Session<'_>, h: &Value) -> Answer {
        drive!(self, delete(s, h))
    }

    /// The customer's name as the front shows it.
    fn name_of(self, record: &Value) -> Option<String> {
        let name = match self {
            Front::Unified => return display_name(record),
            Front::Tenant => &record["cusName"],
            Front::V1core => {
                if record["companyName"].is_string() {
                    &record["companyName"]
                } else {
                    &record["firstName"]
                }
            }
            Front::Ndata => &record["fullName"],
            Front::Custno => &record["CUSTNAME"],
            Front::Odata => &record["Info"]["Name"],
        };
        name.as_str().map(|s| s.trim().to_owned())
    }

    /// The front's key of a record (what `get` addresses it by), for comparisons.
    fn key_of(self, record: &Value) -> Value {
        match self {
            Front::Unified | Front::Ndata => record["id"].clone(),
            Front::Tenant => record["cusId"].clone(),
            Front::V1core => record["customerId"].clone(),
            Front::Custno => record["CUSTNO"].clone(),
            Front::Odata => record["ID"].clone(),
        }
    }

    /// The front's handle of a record the gateway's facade shows.
    fn handle_from_canonical(self, c: &Value) -> Value {
        match self {
            Front::Unified => c.clone(),
            Front::Tenant => json!({"cusId": c["seq"], "cusName": display_name(c)}),
            Front::V1core => json!({"customerId": c["seq"]}),
            Front::Ndata => json!({"id": c["id"]}),
            Front::Custno => {
                json!({"CUSTNO": format!("{:0>10}", c["number"].as_str().unwrap_or_default())})
            }
            Front::Odata => json!({"ID": c["seq"]}),
        }
    }

    /// Whether `reply` is this front's own error with `expected` as its status (ManEx: the
    /// envelope's `Code`), in the front's envelope.
    fn clear_error(self, reply: &Reply, expected: u16) -> Result<(), String> {
        let b = &reply.body;
        let status = match (self, b["Code"].as_u64()) {
            (Front::Custno, Some(code)) => code as u16,
            _ => reply.status,
        };
        if status != expected {
            return Err(format!(
                "expected the front's clear error {expected}, got {status}: {reply}"
            ));
        }
        let envelope = match self {
            Front::Unified => {
                reply.header("content-type") == Some("application/problem+json")
                    && b["status"] == reply.status
                    && b["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("urn:custgate:problem:"))
            }
            Front::V1core if reply.status == 405 => {
                reply.header("allow").is_some_and(|a| a.contains("GET"))
            }
            Front::Tenant | Front::V1core => {
                b["status"] == reply.status && b["title"].is_string() && b["traceId"].is_string()
            }
            Front::Ndata => {
                b["status"] == reply.status
                    && b["traceId"].is_string()
                    && b.as_object().is_some_and(|o| o.contains_key("errorCode"))
            }
            Front::Custno if b["Code"].is_u64() => {
                b["$id"] == "1"
                    && b["Message"].is_string()
                    && b["ResponseObject"].is_null()
                    && b.as_object().is_some_and(|o| o.contains_key("IsValidUser"))
            }
            Front::Custno => b["Message"].is_string() && b["MessageDetail"].is_string(),
            Front::Odata if reply.status == 400 => {
                b["Message"].is_string()
                    && b.as_object()
                        .is_some_and(|o| o.contains_key("PropertyName"))
            }
            Front::Odata => {
                let reference = b["ErrorReference"].as_str().unwrap_or("\u{0}");
                b["Message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("{reference}: ")))
            }
        };
        if envelope {
            Ok(())
        } else {
            Err(format!(
                "status {status} as expected, but not in the front's error envelope: {reply}"
            ))
        }
    }
}

/// The name a canonical record shows: its display name, else what
/// `Customer::display_name` makes of the name parts (a company's name for a company, else
/// first, middle and last, else the company's name).
fn display_name(c: &Value) -> Option<String> {
    let name = &c["name"];
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(d) = text(&name["display"]) {
        return Some(d);
    }
    if c["kind"] == "company" {
        if let Some(company) = text(&name["company"]) {
            return Some(company);
        }
    }
    let parts: Vec<String> = ["first", "middle", "last"]
        .iter()
        .filter_map(|p| text(&name[*p]))
        .collect();
    if parts.is_empty() {
        text(&name["company"])
    } else {
        Some(parts.join(" "))
    }
}

/// The records of `items` (the front's own records) that carry `name`.
fn named(items: &Value, front: Front, name: &str) -> Value {
    let matching: Vec<Value> = items
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| front.name_of(c).as_deref() == Some(name))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Value::Array(matching)
}

/// The upstream instance's records with this display name, read through its own facade.
async fn upstream_named(upstream: &TestApp, name: &str) -> Result<Vec<Value>, String> {
    let reply = facade(
        upstream,
        Method::GET,
        FACADE,
        &[("filter", format!("name.display eq '{name}'"))],
        None,
    )
    .await;
    match reply.body["items"].as_array() {
        Some(items) if reply.status == 200 => Ok(items.clone()),
        _ => Err(format!("the upstream's facade did not answer: {reply}")),
    }
}

/// Checks that the upstream instance holds `want` records named `name`.
async fn upstream_holds(upstream: &TestApp, name: &str, want: usize) -> Result<(), String> {
    let found = upstream_named(upstream, name).await?;
    if found.len() == want {
        Ok(())
    } else {
        Err(format!(
            "the upstream holds {} record(s) named '{name}', expected {want}",
            found.len()
        ))
    }
}

/// A write the front answered as a success must name what the upstream could not carry.
fn check_dropped(front: Front, up: Up, reply: &Reply) -> Result<(), String> {
    // Every front but ManEx sends an email; ManEx (as an upstream) has no field for it.
    if up != Up::Custno || front == Front::Custno {
        return Ok(());
    }
    let header = reply.header(DROPPED_HEADER).unwrap_or_default();
    if !header.contains("emails") {
        return Err(format!(
            "the email ManEx cannot carry is not reported in {DROPPED_HEADER} ('{header}'): {reply}"
        ));
    }
    if front == Front::Unified {
        let listed = reply.body["dropped_fields"].as_array().is_some_and(|a| {
            a.iter()
                .any(|f| f.as_str().is_some_and(|f| f.contains("emails")))
        });
        if !listed {
            return Err(format!(
                "the facade's answer does not list the dropped email in dropped_fields: {reply}"
            ));
        }
    }
    Ok(())
}

/// A list that went through the gateway's planner says how it was planned. (ManEx's
/// search is a lookup, not a query.)
fn check_plan(front: Front, reply: &Reply) -> Result<(), String> {
    if front == Front::Custno
        || reply
            .header(PLAN_HEADER)
            .is_some_and(|p| p.starts_with("pushed: "))
    {
        Ok(())
    } else {
        Err(format!(
            "no {PLAN_HEADER} header on a planned query: {reply}"
        ))
    }
}

/// A flow's answer judged against its expectation: either it answered as it should be
/// able to (still to be checked against the upstream), or the outcome is settled.
enum Verdict {
    Answered(Done),
    Judged(Outcome),
}

fn verdict(front: Front, expected: Expect, answer: Answer) -> Verdict {
    match (expected, answer) {
        (Expect::Works, Ok(d)) => Verdict::Answered(d),
        (Expect::Refused(status, why), Err(reply)) => {
            Verdict::Judged(match front.clear_error(&reply, status) {
                Ok(()) => Outcome::RefusedAsExpected(reply.to_string()),
                Err(m) => Outcome::Failed(format!("{m} ({why})")),
            })
        }
        (Expect::Refused(status, why), Ok(d)) => Verdict::Judged(Outcome::Failed(format!(
            "expected the front's clear error {status} ({why}), but it answered: {}",
            d.reply
        ))),
        (_, Err(reply)) => Verdict::Judged(Outcome::Failed(format!("expected success: {reply}"))),
    }
}

/// A refused write must have left the upstream as it was: `want` records named `name`.
async fn untouched(outcome: Outcome, upstream: &TestApp, name: &str, want: usize) -> Outcome {
    if !matches!(outcome, Outcome::RefusedAsExpected(_)) {
        return outcome;
    }
    match upstream_holds(upstream, name, want).await {
        Ok(()) => outcome,
        Err(m) => Outcome::Failed(format!("refused, yet {m}")),
    }
}

fn passed_if(check: Result<(), String>) -> Outcome {
    match check {
        Ok(()) => Outcome::Passed,
        Err(m) => Outcome::Failed(m),
    }
}

/// Every flow not run yet is skipped for `why`.
fn skip_rest(out: Vec<Option<Outcome>>, why: &str) -> Vec<Outcome> {
    out.into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Skipped(why.to_owned())))
        .collect()
}

/// Runs the five flows of one (front, upstream) cell: create, list, get, update, delete.
async fn run_cell(front: Front, up: Up, s: &Session<'_>, upstream: &TestApp) -> Vec<Outcome> {
    let r = Rec::new(front, up);
    let mut out: Vec<Option<Outcome>> = vec![None; Flow::ALL.len()];
    let expected = |flow| expect(front, up, flow);
    let mut handle: Option<Value> = None;

    // Create: the record reaches the upstream, and what it cannot carry is reported.
    let outcome = match verdict(front, expected(Flow::Create), front.create(s, &r).await) {
        Verdict::Answered(d) => match upstream_holds(upstream, &r.name, 1).await {
            Ok(()) => {
                let check = check_dropped(front, up, &d.reply);
                handle = Some(d.record);
                passed_if(check)
            }
            Err(m) => Outcome::Failed(format!("{m} after {}", d.reply)),
        },
        Verdict::Judged(o) => untouched(o, upstream, &r.name, 0).await,
    };
    out[Flow::Create.index()] = Some(outcome);

    // Without the record upstream (the create was refused), it is written there directly.
    let seeded = match upstream_named(upstream, &r.name).await {
        Ok(found) if found.is_empty() => {
            let body = r.canonical();
            let reply = facade(upstream, Method::POST, FACADE, &[], Some(&body)).await;
            match reply.status {
                201 => Ok(reply.body),
                _ => Err(format!(
                    "could not write the record into the upstream: {reply}"
                )),
            }
        }
        Ok(found) => Ok(found[0].clone()),
        Err(m) => Err(m),
    };
    let in_upstream = match seeded {
        Ok(v) => v,
        Err(m) => return skip_rest(out, &m),
    };

    // List with a filter: the record once, with the key create answered.
    let outcome = match verdict(front, expected(Flow::List), front.list(s, &r).await) {
        Verdict::Answered(d) => {
            let found = d.record.as_array().cloned().unwrap_or_default();
            match found.as_slice() {
                [one] => match &handle {
                    Some(h) if front.key_of(h) != front.key_of(one) => Outcome::Failed(format!(
                        "the list shows key {} where create answered {}: {}",
                        front.key_of(one),
                        front.key_of(h),
                        d.reply
                    )),
                    _ => {
                        handle.get_or_insert_with(|| one.clone());
                        passed_if(check_plan(front, &d.reply))
                    }
                },
                _ => Outcome::Failed(format!(
                    "the list does not show it exactly once: {}",
                    d.reply
                )),
            }
        }
        Verdict::Judged(o) => o,
    };
    out[Flow::List.index()] = Some(outcome);

    // The front's key: from its own answers, else through the gateway's facade.
    if handle.is_none() {
        let Some(id) = up.gateway_id(&in_upstream) else {
            return skip_rest(out, &format!("no gateway id for {in_upstream}"));
        };
        match unified::get(s, &json!({ "id": id })).await {
            Ok(d) => handle = Some(front.handle_from_canonical(&d.record)),
            Err(reply) => {
                let m = format!("no key: the gateway's facade cannot read the record: {reply}");
                return skip_rest(out, &m);
            }
        }
    }
    let mut handle = handle.unwrap_or_default();

    // Get by the front's key.
    let get_works = expected(Flow::Get) == Expect::Works;
    let outcome = match verdict(front, expected(Flow::Get), front.get(s, &handle).await) {
        Verdict::Answered(d) => match front.name_of(&d.record) {
            Some(n) if n == r.name => Outcome::Passed,
            _ => Outcome::Failed(format!(
                "it does not show the name '{}': {}",
                r.name, d.reply
            )),
        },
        Verdict::Judged(o) => o,
    };
    out[Flow::Get.index()] = Some(outcome);

    // Update: the new name reaches the upstream and comes back through the front.
    let mut current = r.name.clone();
    let outcome = match verdict(
        front,
        expected(Flow::Update),
        front.update(s, &handle, &r).await,
    ) {
        Verdict::Answered(d) => {
            let upstream_check = match upstream_holds(upstream, &r.renamed, 1).await {
                Ok(()) => upstream_holds(upstream, &r.name, 0).await,
                Err(m) => Err(m),
            };
            if let Err(m) = upstream_check {
                Outcome::Failed(format!("{m} after {}", d.reply))
            } else {
                current = r.renamed.clone();
                handle = d.record;
                if !get_works {
                    Outcome::Passed
                } else {
                    match front.get(s, &handle).await {
                        Ok(g) if front.name_of(&g.record).as_deref() == Some(&r.renamed) => {
                            Outcome::Passed
                        }
                        Ok(g) => Outcome::Failed(format!(
                            "the front does not show the new name: {}",
                            g.reply
                        )),
                        Err(reply) => Outcome::Failed(format!(
                            "the front cannot read it after the update: {reply}"
                        )),
                    }
                }
            }
        }
        Verdict::Judged(o) => untouched(o, upstream, &r.name, 1).await,
    };
    out[Flow::Update.index()] = Some(outcome);

    // Delete: gone upstream, and the front no longer shows it.
    let outcome = match verdict(
        front,
        expected(Flow::Delete),
        front.delete(s, &handle).await,
    ) {
        Verdict::Answered(d) => match upstream_holds(upstream, &current, 0).await {
            Err(m) => Outcome::Failed(format!("{m} after {}", d.reply)),
            Ok(()) if !get_works => Outcome::Passed,
            Ok(()) => match front.get(s, &handle).await {
                Ok(g) => Outcome::Failed(format!(
                    "the front still shows the deleted record: {}",
                    g.reply
                )),
                Err(reply) if reply.status >= 500 => Outcome::Failed(format!(
                    "reading the deleted record is a server error: {reply}"
                )),
                Err(_) => Outcome::Passed,
            },
        },
        Verdict::Judged(o) => untouched(o, upstream, &current, 1).await,
    };
    out[Flow::Delete.index()] = Some(outcome);

    skip_rest(out, "not run")
}

/// One upstream dialect's column: its upstream instance, a gateway over it, every front.
/// An upstream instance of dialect `up` (the embedded store) and a gateway instance whose
/// `demo` tenant is backed by it.
pub(crate) async fn gateway_over(up: Up) -> (TestApp, TestApp) {
    let upstream = spawn_app().await;
    let gateway = spawn_gateway_over(up.as_str(), up.client_section(&upstream.address)).await;
    (upstream, gateway)
}

async fn run_column(up: Up) -> Vec<(Front, Vec<Outcome>)> {
    let (upstream, gateway) = gateway_over(up).await;
    let session = Session::open(&gateway).await;
    let mut column = Vec::new();
    for front in Front::ALL {
        column.push((front, run_cell(front, up, &session, &upstream).await));
    }
    column
}

fn known_gap(front: Front, up: Up, flow: Flow) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(f, u, w, _)| (*f, *u, *w) == (front, up, flow))
        .map(|g| g.3)
}

fn mark(outcome: &Outcome, known: bool) -> char {
    match (outcome, known) {
        (Outcome::Failed(_) | Outcome::Skipped(_), true) => '~',
        (Outcome::Passed, _) => '✓',
        (Outcome::RefusedAsExpected(_), _) => '⊘',
        (Outcome::Failed(_), false) => '✗',
        (Outcome::Skipped(_), false) => '?',
    }
}

#[tokio::test]
async fn every_front_over_every_upstream_does_what_the_pair_supports_and_refuses_the_rest_clearly()
{
    let started = Instant::now();
    let tasks: Vec<_> = Up::ALL
        .into_iter()
        .map(|up| (up, tokio::spawn(run_column(up))))
        .collect();
    let mut results: Vec<(Front, Up, Vec<Outcome>)> = Vec::new();
    for (up, task) in tasks {
        match task.await {
            Ok(column) => {
                for (front, outcomes) in column {
                    results.push((front, up, outcomes));
                }
            }
            Err(e) => {
                for front in Front::ALL {
                    let why = format!("the {up:?} column panicked: {e}");
                    results.push((front, up, vec![Outcome::Skipped(why); Flow::ALL.len()]));
                }
            }
        }
    }

    // The table: rows fronts, columns upstreams.
    let width = 16;
    let mut table = format!("\n{:<10}", "front \\ up");
    for up in Up::ALL {
        table.push_str(&format!("| {:<width$}", up.as_str()));
    }
    table.push('\n');
    table.push_str(&"-".repeat(10 + (width + 2) * Up::ALL.len()));
    table.push('\n');
    let mut failures = Vec::new();
    let mut healed = Vec::new();
    let verbose = std::env::var_os("MATRIX_VERBOSE").is_some();
    let mut refusals = Vec::new();
    let mut gaps = Vec::new();
    for front in Front::ALL {
        table.push_str(&format!("{:<10}", front.as_str()));
        for up in Up::ALL {
            let (_, _, outcomes) = results
                .iter()
                .find(|(f, u, _)| *f == front && *u == up)
                .expect("every cell ran");
            let mut cell = String::new();
            for (flow, outcome) in Flow::ALL.into_iter().zip(outcomes) {
                let known = known_gap(front, up, flow);
                cell.push(flow.letter());
                cell.push(mark(outcome, known.is_some()));
                cell.push(' ');
                let pair = format!("{} over {} {:?}", front.as_str(), up.as_str(), flow);
                match (outcome, known) {
                    (Outcome::Failed(m) | Outcome::Skipped(m), None) => {
                        let kind = if matches!(outcome, Outcome::Failed(_)) {
                            "FAILED"
                        } else {
                            "SKIPPED"
                        };
                        failures.push(format!("{pair}: {kind}: {m}"));
                    }
                    (Outcome::Failed(m) | Outcome::Skipped(m), Some(why)) => {
                        gaps.push(format!(
                            "known gap: {pair}: {why}\n    seen: {}",
                            clip(m, 300)
                        ));
                    }
                    (Outcome::RefusedAsExpected(reply), None) if verbose => {
                        refusals.push(format!("{pair}: {reply}"));
                    }
                    (_, Some(why)) => healed.push(format!(
                        "{pair}: listed in KNOWN_GAPS ({why}) but passes now; remove it"
                    )),
                    _ => {}
                }
            }
            table.push_str(&format!("| {:<width$}", cell.trim_end()));
        }
        table.push('\n');
    }
    table.push_str(
        "\n✓ passed  ⊘ the front's clear error, expected and seen\n✗ failed  ? skipped (a step \
         before it failed)  ~ known gap (KNOWN_GAPS)\n",
    );
    for refusal in &refusals {
        table.push_str(&format!("refused as expected: {refusal}\n"));
    }
    for gap in &gaps {
        table.push_str(gap);
        table.push('\n');
    }
    table.push_str(&format!("matrix ran in {:.1?}\n", started.elapsed()));
    println!("{table}");

    failures.extend(healed);
    assert!(
        failures.is_empty(),
        "{} cell flow(s) went wrong:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Status changes through the facade (`POST /customers/{id}/status`) over every upstream:
/// the upstreams that can change a status (ndata's `IsActive`, ManEx's `Status`,
/// Unimicro's actions) do, and the change is read back from the upstream instance; the
/// two that cannot (the tenant API has no status, v1core is lookup-only) answer the
/// facade's 501 and leave the record as it was. The odata front's `action=` then does the
/// same in its own wire format and error body.
#[tokio::test]
async fn the_facade_and_the_odata_front_change_a_status_over_every_upstream_that_can() {
    let columns: Vec<_> = Up::ALL
        .into_iter()
        .map(|up| {
            tokio::spawn(async move {
                let (upstream, gateway) = gateway_over(up).await;
                let r = Rec {
                    name: format!("Status over {}", up.as_str()),
                    ..Rec::new(Front::Unified, up)
                };
                let created =
                    facade(&upstream, Method::POST, FACADE, &[], Some(&r.canonical())).await;
                assert_eq!(created.status, 201, "{up:?}: {created}");
                let id = up
                    .gateway_id(&created.body)
                    .unwrap_or_else(|| panic!("{up:?}: no gateway id in {created}"));
                let path = format!("{FACADE}/{}/status", encode(&id));
                let body = json!({"status": "inactive"});
                let reply = facade(&gateway, Method::POST, &path, &[], Some(&body)).await;
                let can = matches!(up, Up::Ndata | Up::Custno | Up::Odata);
                if can {
                    assert_eq!(reply.status, 200, "{up:?}: {reply}");
                    assert_eq!(reply.body["status"], "inactive", "{up:?}: {reply}");
                    assert_eq!(reply.body["id"], id.as_str(), "{up:?}: {reply}");
                } else {
                    assert_eq!(reply.status, 501, "{up:?}: {reply}");
                    assert_eq!(
                        reply.body["type"], "urn:custgate:problem:unsupported",
                        "{up:?}: not the facade's problem: {reply}"
                    );
                }
                let held = upstream_named(&upstream, &r.name)
                    .await
                    .unwrap_or_else(|m| panic!("{up:?}: {m}"));
                assert_eq!(held.len(), 1, "{up:?}: {held:?}");
                let want = if can { "inactive" } else { "active" };
                assert_eq!(
                    held[0]["status"], want,
                    "{up:?}: the upstream holds {}",
                    held[0]
                );

                // The odata front's action, keyed by its `ID`: back to active where the
                // facade's change went through; else a change it refuses the same way
                // (activating an active customer would be its own validation error).
                let action = if can { "activate" } else { "deactivate" };
                let path = format!("{FACADE}/{}", encode(&id));
                let read = facade(&gateway, Method::GET, &path, &[], None).await;
                let odata_id = read.body["seq"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{up:?}: no seq: {read}"));
                let reply = send(
                    &gateway,
                    Method::PUT,
                    "/api/biz/customers",
                    &[("action", action.into()), ("id", odata_id.to_string())],
                    Auth::Odata,
                    None,
                )
                .await;
                if can {
                    assert_eq!(reply.status, 204, "{up:?}: {reply}");
                } else {
                    assert_eq!(reply.status, 501, "{up:?}: {reply}");
                    let message = reply.body["Message"].as_str().unwrap_or_default();
                    let reference = reply.body["ErrorReference"].as_str().unwrap_or("?");
                    assert!(
                        message.starts_with(&format!("{reference}: ")),
                        "{up:?}: not odata's exception body: {reply}"
                    );
                }
                let held = upstream_named(&upstream, &r.name)
                    .await
                    .unwrap_or_else(|m| panic!("{up:?}: {m}"));
                assert_eq!(
                    held[0]["status"], "active",
                    "{up:?}: the upstream holds {}",
                    held[0]
                );
            })
        })
        .collect();
    for task in columns {
        task.await.expect("a status column panicked");
    }
}
