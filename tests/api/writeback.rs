//! "Nothing silently lost" on the most common integration flow: a client reads a customer
//! through its dialect, sends exactly what it read back through that dialect's update, and
//! expects nothing else to change.
//!
//! One rich customer is created through the facade (every canonical field the facade
//! accepts), then every writable front reads it as it shows it and writes that back: the
//! canonical record, read through the facade, must not change but for what a write
//! changes by definition. Then each front changes one field it shows, and exactly that
//! canonical field must change. `v1core` is read-only (its writes are 405s), so it has
//! nothing to write back and is not a front here.
//!
//! The fronts run one after another on the same record, each compared with the record as
//! the one before it left it (so a failure names the front that caused it), and the last
//! state with the first read at the end. Every difference is reported at once, by
//! canonical path, `old → new`. A sparse customer (no display name, no amounts) is written
//! back the same way: what a front shows for an absent value must not come back as one.
//!
//! What a write may change is listed, with its reason: [`WRITTEN`] for every front, each
//! front's own bookkeeping ([`Front::allowed`], citing its `docs.md`). A value equal to
//! what a front shows changes nothing (each dialect's `docs.md`), so what a front shows
//! for an absent value (ManEx's `0` amounts, the tenant API's name made of the parts) is
//! not among them.
//!
//! **Through the gateway** the same property holds where the record lives in an
//! upstream system: an upstream custgate (embedded store) of each writable dialect
//! (tenant, ndata, custno, odata; a v1core upstream is lookup-only) holds the customer,
//! created through its own facade, and a gateway over it serves the fronts. Each front
//! reads the customer through the gateway and writes it back; the upstream's own facade
//! must show the record unchanged but for what a write changes by definition and the
//! upstream dialect's bookkeeping ([`upstream_allowed`]), and no write-back may be
//! answered with `X-Custgate-Dropped-Fields`: the gateway read it from the upstream, so
//! the upstream holds all of it. Then each front changes fields it shows: one the upstream
//! holds must change exactly that canonical field upstream; one it cannot hold
//! ([`holds`], from each dialect's "cannot carry" section) must be reported dropped and
//! leave the upstream unchanged. Every run is repeated through a strict gateway over the
//! same upstream, where the write-backs still pass and what cannot be held is refused.
//! Set `WRITEBACK_VERBOSE=1` to see what each write-back changed.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{encode, ndata_token, spawn_app, spawn_gateway, tenant_token, TestApp};
use crate::matrix::{gateway_over, Up};

const FACADE: &str = "/unified/v1/customers";
const UNIFIED_TOKEN: &str = "dev-unified-demo";
const MANEX_KEY: &str = "DEVKEY0001";
const ODATA_TOKEN: &str = "dev-odata-demo";
const ODATA_COMPANY: &str = "11111111-1111-4111-8111-111111111111";
const DROPPED_HEADER: &str = "x-custgate-dropped-fields";

/// Every relation of a Unimicro customer, expanded at every level (`docs.md`, "orderby,
/// expand, select"): the read a client that means to write everything back makes.
const ODATA_EXPAND: &str = "Info,Info.InvoiceAddress,Info.ShippingAddress,Info.Addresses,\
Info.DefaultPhone,Info.Phones,Info.DefaultEmail,Info.Emails,\
Info.DefaultContact.Info.DefaultEmail,Info.DefaultContact.Info.DefaultPhone,\
Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone,\
Info.DefaultBankAccount,Info.BankAccounts,Distributions,PaymentTerms,DeliveryTerms,\
Dimensions,CustomerInvoiceReminderSettings,CustomerQuotes,CustomerOrders,CustomerInvoices,\
CurrencyCode,AcceptableDelta4CustomerPaymentAccount,SubAccountNumberSeries,DefaultSeller,\
Sellers,Companies,Account,Localization";

/// A canonical path (a glob: `*` matches any run of characters) a write may change, and
/// why.
struct Allowed {
    pattern: &'static str,
    why: &'static str,
}

/// What every write changes, whatever the front: the store's version (the facade's
/// `ETag` is that version, `"<version>"`) and the time of the change.
const WRITTEN: &[Allowed] = &[
    Allowed {
        pattern: "version",
        why: "the store counts every write (the ETag follows it)",
    },
    Allowed {
        pattern: "updated_at",
        why: "the store stamps every write",
    },
];

/// The odata front's own child ids: crates/dialects/odata/docs.md, "Everything else is
/// kept" ("Children without an entry get ids from `next_id` in canonical order, so they
/// show the same ids on every read until the record changes") and "The front's own ids
/// over an upstream of another dialect" ("none of it is the client's data"). A write
/// through the front stores the ids it showed, each with the fingerprint that recognises
/// its child; a child's `over` (what the client typed) is data and is not excluded.
const ODATA_OWN_IDS: &[Allowed] = &[
    Allowed {
        pattern: "extensions.odata.children.*.ID",
        why: "odata docs.md: the ids the front showed, kept (not the client's data)",
    },
    Allowed {
        pattern: "extensions.odata.children.*.fp",
        why: "odata docs.md: the fingerprint that matches a child to its id",
    },
    Allowed {
        pattern: "extensions.odata.next_id",
        why: "odata docs.md: the next child id to hand out",
    },
];

/// The customer the test writes back: every canonical field the facade accepts, with
/// values every writable dialect's own validation accepts when they are sent back (a
/// 15-character VAT number starting and ending with 3 and a five-digit billing postal code
/// for `tenant`, ManEx's documented territory, terms and credit status spellings, rates
/// between 0 and 100 for NData, two-letter country codes for Unimicro). Phones of every
/// kind, with and without a dialling code; a default mobile and a default fax; addresses
/// of every kind, structured and by lines, two of them invoice addresses; and each
/// dialect's own extension, so that every front has something of its own to show and send
/// back.
fn rich_customer() -> Value {
    json!({
        "external_id": "ext-wb-1",
        "reference_no": "REF-WB-1",
        "kind": "company",
        "name": {
            "display": "Param Trading",
            "first": "John",
            "middle": "Quincy",
            "last": "Doe",
            "company": "Param Trading LLC",
            "contact_person": "Jane Roe"
        },
        "identifications": [
            {"scheme": "CRN", "value": "1010101010"},
            {"scheme": "NAT", "value": "1234567890"},
            {"scheme": "ORG", "value": "914012708"},
            {"scheme": "PAS", "value": "P1234567"}
        ],
        "tax": {"vat": "300000000000003", "tin": "123456789012345"},
        "emails": [
            {"address": "billing@param.example", "description": "invoices", "default": false},
            {"address": "john@param.example", "description": "work", "default": true},
            {"address": "john.doe@home.example", "description": null, "default": false}
        ],
        "phones": [
            {"kind": "phone", "number": "+966112345678", "country_code": "966",
             "description": "office", "default": false},
            {"kind": "mobile", "number": "+966555000001", "country_code": "966",
             "description": "main mobile", "default": true},
            {"kind": "mobile", "number": "+4791234567", "country_code": "47",
             "description": null, "default": false},
            {"kind": "phone", "number": "22334455", "country_code": null,
             "description": "switchboard", "default": false},
            {"kind": "fax", "number": "+966112345679", "country_code": "966",
             "description": "office fax", "default": true},
            {"kind": "fax", "number": "0112345670", "country_code": null,
             "description": null, "default": false}
        ],
        "addresses": [
            {"kind": "billing", "lines": ["Tower B", "Floor 12"], "building_no": "1234",
             "unit_no": "56", "street": "King Fahd Road", "district": "Al Olaya",
             "city": "Riyadh", "region": "Riyadh Province", "postal_code": "12345",
             "country": "Saudi Arabia", "country_code": "SA"},
            {"kind": "billing", "lines": ["P.O. Box 5511"], "city": "Jeddah",
             "postal_code": "21432", "country_code": "SA"},
            {"kind": "shipping", "lines": ["Warehouse 7", "Gate 3", "Dock 2", "Bay 9"],
             "city": "Dammam", "postal_code": "32241", "country": "Saudi Arabia",
             "country_code": "SA"},
            {"kind": "other", "building_no": "22", "street": "Karl Johans gate",
             "district": "Sentrum", "unit_no": "H0301", "city": "Oslo",
             "postal_code": "0154", "country_code": "NO"}
        ],
        "contacts": [
            {"name": "Jane Doe", "phone": "+966555000002", "email": "jane@home.example",
             "relation": "brother", "profession": "Engineer", "remarks": "call after 5",
             "primary": true, "active": true, "start_date": "2020-01-01",
             "end_date": "2030-12-31"},
            {"name": "Omar Doe", "phone": "+966555000003", "email": "omar@home.example",
             "relation": "friend", "profession": "Teacher", "remarks": "weekends",
             "primary": false, "active": false, "start_date": "2021-06-01",
             "end_date": null}
        ],
        "status": "quote",
        "activation_time": "2022-01-01T08:00:00Z",
        "expiration_time": "2032-12-31T23:59:59Z",
        "finance": {
            "credit_limit": 50000.5,
            "credit_balance": {"amount": 250.75, "currency": "SAR"},
            "receivable_high_balance": 12000.25,
            "payment_terms": "NET 30",
            "credit_days": 30,
            "credit_status": "OK",
            "discount_rate": 10.5,
            "credit_rate": 2.25,
            "taxable": true,
            "currency": "SAR"
        },
        "sales": {
            "territory": "EAST",
            "division": "Retail",
            "reps": ["rep-1", "rep-2"],
            "reseller_no": "R-77",
            "discount_id": "D10"
        },
        "cards": [
            {"serial_number": "CARD-0001", "external_id": "card-ext-1", "active": true,
             "is_virtual": true, "processor": "P1", "status": "Valid",
             "status_time": "2023-03-01T10:00:00Z", "status_reason": "issued",
             "activation_time": "2023-03-01T00:00:00Z",
             "expiration_time": "2027-03-01T00:00:00Z", "note": "loyalty",
             "meta": {"tier": "gold"}},
            {"serial_number": "CARD-0002", "external_id": null, "active": false,
             "is_virtual": false, "processor": null, "status": null, "status_time": null,
             "status_reason": null, "activation_time": null, "expiration_time": null,
             "note": null, "meta": null}
        ],
        "locale": {
            "preferred_language": "ar",
            "nationality": "SA",
            "gender": "male",
            "birth_date": "1980-05-17",
            "occupation": "Merchant",
            "industry": "trading",
            "income_band": "above_30000",
            "preferred_contact_type": "email",
            "company_type": "llc"
        },
        "note": "VIP customer",
        "meta": {"segment": "enterprise", "since": 2019},
        "custom": {"score": 42, "newsletter": true},
        "extensions": {
            "partner": {"segment": "retail"},
            "ndata": {"other": {"loyaltyTier": "gold"}},
            "custno": {"PROFILE": "Key account"},
            "odata": {"fields": {"GLN": "7080001234567"}}
        }
    })
}

// ---------------------------------------------------------------------------------------
// Differences by canonical path.
// ---------------------------------------------------------------------------------------

/// One leaf of the canonical record that differs (`None`: absent).
#[derive(Debug, PartialEq)]
struct Change {
    path: String,
    old: Option<Value>,
    new: Option<Value>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<Value>| v.as_ref().map_or("(absent)".to_owned(), Value::to_string);
        write!(
            f,
            "{}: {} → {}",
            self.path,
            show(&self.old),
            show(&self.new)
        )
    }
}

/// Every leaf that differs between `old` and `new`: objects by key, arrays by index, a
/// value present on one side only as each of its leaves.
fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_into(String::new(), Some(old), Some(new), &mut out);
    out
}

fn diff_into(path: String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    let before = out.len();
    let all = |v: Option<&Value>, f: fn(&Value) -> bool| v.is_none_or(f);
    if all(old, Value::is_object) && all(new, Value::is_object) {
        let (a, b) = (
            old.and_then(Value::as_object),
            new.and_then(Value::as_object),
        );
        let mut keys: Vec<&String> = a.into_iter().chain(b).flat_map(|m| m.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            diff_into(
                child,
                a.and_then(|m| m.get(k)),
                b.and_then(|m| m.get(k)),
                out,
            );
        }
    } else if all(old, Value::is_array) && all(new, Value::is_array) {
        let (a, b) = (old.and_then(Value::as_array), new.and_then(Value::as_array));
        let len = a.map_or(0, Vec::len).max(b.map_or(0, Vec::len));
        for i in 0..len {
            diff_into(
                format!("{path}[{i}]"),
                a.and_then(|a| a.get(i)),
                b.and_then(|b| b.get(i)),
                out,
            );
        }
    }
    // A scalar, a change of type, or an empty object or array that appeared or went.
    if out.len() == before {
        out.push(Change {
            path,
            old: old.cloned(),
            new: new.cloned(),
        });
    }
}

/// The value at a canonical path such as `emails[1].address`, if any.
fn value_at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.replace('[', ".")
        .replace(']', "")
        .split('.')
        .try_fold(v, |v, seg| match v {
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?),
            _ => v.get(seg),
        })
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// What of `changes` is explained by `allowed`, and the changes nothing explains.
struct Verdict<'a> {
    unexplained: Vec<&'a Change>,
    explained: Vec<(&'a Change, &'static str)>,
}

/// Sorts `changes` by whether one of `allowed` names its path.
fn judge<'a>(changes: &'a [Change], allowed: &[&'static [Allowed]]) -> Verdict<'a> {
    let mut v = Verdict {
        unexplained: Vec::new(),
        explained: Vec::new(),
    };
    for c in changes {
        let why = allowed
            .iter()
            .flat_map(|a| a.iter())
            .find(|a| glob(a.pattern, &c.path))
            .map(|a| a.why);
        match why {
            Some(why) => v.explained.push((c, why)),
            None => v.unexplained.push(c),
        }
    }
    v
}

impl Verdict<'_> {
    /// The unexplained changes, one per line, then the explained ones with their reason,
    /// for context.
    fn report(&self) -> String {
        let mut out = String::new();
        for c in &self.unexplained {
            out.push_str(&format!("    {c}\n"));
        }
        if !self.explained.is_empty() {
            out.push_str("    (also changed, as allowed:)\n");
            for (c, why) in &self.explained {
                out.push_str(&format!("      {c}   [{why}]\n"));
            }
        }
        out
    }
}

#[test]
fn the_diff_names_each_changed_leaf() {
    let old = json!({"a": 1, "b": {"c": [1, 2]}, "d": null, "gone": {"x": 1}});
    let new = json!({"a": 1, "b": {"c": [1, 3, 4]}, "d": {"e": true}});
    let shown: Vec<String> = changes(&old, &new).iter().map(|c| c.to_string()).collect();
    assert_eq!(
        shown,
        [
            "b.c[1]: 2 → 3",
            "b.c[2]: (absent) → 4",
            "d: null → {\"e\":true}",
            "gone.x: 1 → (absent)",
        ]
    );
    assert!(glob(
        "extensions.odata.children.*.ID",
        "extensions.odata.children.Phones[3].ID"
    ));
    assert!(!glob("version", "versions"));
    assert!(glob("*", ""));
    assert_eq!(value_at(&new, "b.c[2]"), Some(&json!(4)));
    assert_eq!(value_at(&new, "b.x"), None);
    // An empty object that appears is a change too.
    let shown: Vec<String> = changes(&json!({}), &json!({"e": {}}))
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(shown, ["e: (absent) → {}"]);
}

// ---------------------------------------------------------------------------------------
// The fronts.
// ---------------------------------------------------------------------------------------

/// A writable front: how it reads the customer, writes a body back, and which one field
/// it changes in step 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Front {
    Tenant,
    NData,
    ManEx,
    OData,
    Unified,
}

const FRONTS: [Front; 5] = [
    Front::Tenant,
    Front::NData,
    Front::ManEx,
    Front::OData,
    Front::Unified,
];

/// Where the fronts are reached and where the record is held, and everything needed to
/// address the customer through each front.
///
/// On the embedded store both are one app. In gateway mode the fronts are the gateway's
/// and the record is held by the upstream instance: the fronts address the customer by
/// the keys the gateway shows (its id, `seq`, number and name), while the truth the
/// test compares is the upstream's own facade.
struct Session {
    /// The instance the fronts are reached on: the embedded app, or the gateway.
    app: TestApp,
    /// Gateway mode: the upstream dialect the gateway speaks and the upstream instance.
    upstream: Option<(Up, Arc<TestApp>)>,
    /// Gateway mode: whether the gateway refuses writes the upstream cannot hold.
    strict: bool,
    tenant_token: String,
    ndata_token: String,
    /// The record's id on `app`.
    id: String,
    /// The record's id where it is held (the upstream's facade id in gateway mode).
    held_id: String,
}

/// A response: its status, headers and JSON (`null` when empty).
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Reply {
    /// The `X-Custgate-Dropped-Fields` header: the canonical paths the gateway reported
    /// as not carried by the upstream (`crates/http/src/report.rs`: comma-separated).
    fn dropped(&self) -> Option<Vec<String>> {
        let v = self.headers.get(DROPPED_HEADER)?;
        let v = v.to_str().unwrap_or("<not ASCII>");
        Some(v.split(", ").map(str::to_owned).collect())
    }
}

async fn send(r: reqwest::RequestBuilder) -> Reply {
    let r = r.send().await.expect("the gateway answers");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Creates `customer` through `app`'s facade; the record it answered.
async fn create_through_facade(app: &TestApp, customer: &Value) -> Value {
    let created = send(
        app.client
            .post(app.url(FACADE))
            .bearer_auth(UNIFIED_TOKEN)
            .json(customer),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    created.body
}

/// The record `id` of `app`'s facade, checking that its `ETag` is its version.
async fn facade_read(app: &TestApp, id: &str) -> Value {
    let r = send(
        app.client
            .get(app.url(&format!("{FACADE}/{}", encode(id))))
            .bearer_auth(UNIFIED_TOKEN),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:#}", r.body);
    let etag = r.headers.get("etag").and_then(|v| v.to_str().ok());
    assert_eq!(
        etag,
        Some(format!("\"{}\"", r.body["version"]).as_str()),
        "the ETag is the version"
    );
    r.body
}

impl Session {
    /// A fresh app with `customer` created through the facade.
    async fn start(customer: &Value) -> Session {
        let app = spawn_app().await;
        let tenant_token = tenant_token("demo");
        let ndata_token = ndata_token(&app, "demo", "demo").await;
        let created = create_through_facade(&app, customer).await;
        let id = created["id"].as_str().unwrap().to_owned();
        Session {
            app,
            upstream: None,
            strict: false,
            tenant_token,
            ndata_token,
            held_id: id.clone(),
            id,
        }
    }

    /// An upstream instance of dialect `up` with `customer` created in it through its
    /// own facade, and a gateway over it (`matrix::gateway_over`): the fronts are the
    /// gateway's.
    async fn over(up: Up, customer: &Value) -> Session {
        let (upstream, gateway) = gateway_over(up).await;
        let created = create_through_facade(&upstream, customer).await;
        let held_id = created["id"].as_str().unwrap().to_owned();
        let id = up
            .gateway_id(&created)
            .unwrap_or_else(|| panic!("{up:?}: no gateway id in {created:#}"));
        let tenant_token = tenant_token("demo");
        let ndata_token = ndata_token(&gateway, "demo", "demo").await;
        Session {
            app: gateway,
            upstream: Some((up, Arc::new(upstream))),
            strict: false,
            tenant_token,
            ndata_token,
            id,
            held_id,
        }
    }

    /// A strict gateway over this session's upstream ([`strict_gateway_over`]), on the
    /// same record.
    async fn strict_twin(&self) -> Session {
        let (up, upstream) = self.upstream.clone().expect("a gateway session");
        let gateway = strict_gateway_over(up, &upstream).await;
        let ndata_token = ndata_token(&gateway, "demo", "demo").await;
        Session {
            app: gateway,
            upstream: Some((up, upstream)),
            strict: true,
            tenant_token: self.tenant_token.clone(),
            ndata_token,
            id: self.id.clone(),
            held_id: self.held_id.clone(),
        }
    }

    fn request(&self, front: Front, method: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.app.client.request(method, self.app.url(path));
        match front {
            Front::Tenant => r.bearer_auth(&self.tenant_token),
            Front::NData => r.bearer_auth(&self.ndata_token),
            Front::ManEx => r,
            Front::OData => r
                .bearer_auth(ODATA_TOKEN)
                .header("CompanyKey", ODATA_COMPANY),
            Front::Unified => r.bearer_auth(UNIFIED_TOKEN),
        }
    }

    /// The canonical record where it is held (in gateway mode, the upstream's own
    /// facade); its `ETag` is its version.
    async fn canonical(&self) -> Value {
        match &self.upstream {
            None => facade_read(&self.app, &self.held_id).await,
            Some((_, upstream)) => facade_read(upstream, &self.held_id).await,
        }
    }

    /// The record as the fronts' instance holds it (in gateway mode, the gateway's
    /// facade): its keys are the ones the fronts address it by.
    async fn shown(&self) -> Value {
        facade_read(&self.app, &self.id).await
    }

    /// Whether the facade's `If-Match` can be honoured: on the embedded store, and over
    /// an upstream that checks versions. Only NData does (ndata docs.md, client:
    /// "expected versions"); the tenant client has "no … expected versions", ManEx
    /// "`expected_version: false`: ManEx keeps none", Unimicro "no versions": there the
    /// facade's conditional PUT is a 501, so the write-back goes without it.
    fn checks_versions(&self) -> bool {
        matches!(self.upstream, None | Some((Up::Ndata, _)))
    }

    /// The customer as `front` shows it, and what its update needs besides the body (the
    /// facade's `ETag`, where it can be checked).
    async fn read(&self, front: Front) -> (Value, Option<String>) {
        let c = self.shown().await;
        let path = match front {
            // By name: the display name, else (a person's) first and last name, as the
            // tenant API shows a name made of parts (its docs.md mapping table). Names are
            // unique here, so the lowest cusId with the name is this customer.
            Front::Tenant => {
                let part = |k: &str| c["name"][k].as_str().unwrap_or_default().to_owned();
                let name = c["name"]["display"].as_str().map_or_else(
                    || format!("{} {}", part("first"), part("last")),
                    str::to_owned,
                );
                format!("/api/customer/{}", encode(&name))
            }
            Front::NData => format!("/customers/{}", encode(&self.id)),
            Front::ManEx => format!(
                "/API/Customer/Get/{MANEX_KEY}?CustNumOrName={:0>10}",
                c["number"].as_str().unwrap()
            ),
            Front::OData => format!("/api/biz/customers/{}?expand={ODATA_EXPAND}", c["seq"]),
            Front::Unified => format!("{FACADE}/{}", encode(&self.id)),
        };
        let r = send(self.request(front, Method::GET, &path)).await;
        assert_eq!(r.status, StatusCode::OK, "{front:?} read: {:#}", r.body);
        match front {
            Front::ManEx => {
                assert_eq!(r.body["Code"], 200, "{front:?} read: {:#}", r.body);
                (r.body["ResponseObject"].clone(), None)
            }
            Front::Unified if self.checks_versions() => {
                let etag = r.headers["etag"].to_str().unwrap().to_owned();
                (r.body, Some(etag))
            }
            _ => (r.body, None),
        }
    }

    /// Sends `body` through `front`'s update, exactly as given, and answers the reply as
    /// it is.
    ///
    /// Nothing is stripped, because no dialect's docs.md asks a client to leave anything
    /// out of a write-back: the tenant API takes a `cusId` equal to the path's; NData's
    /// `_v` is the version check and its derived `status` is ignored on input; ManEx's
    /// `CUSTNO` names the customer and record fields that are not Edit parameters (`$id`,
    /// `LinkAddList`, margins…) are ignored as unknown parameters; Unimicro takes `ID`
    /// equal to the path's, an unchanged `StatusCode` and ignores the server-managed
    /// properties; the facade ignores its server fields (`seq`, `version`, timestamps) and
    /// gets the read's `ETag` as `If-Match` where it can be checked.
    async fn try_write(&self, front: Front, body: &Value, etag: Option<&str>) -> Reply {
        let c = self.shown().await;
        let (method, path) = match front {
            Front::Tenant => (Method::PUT, format!("/api/customer/{}", c["seq"])),
            Front::NData => (Method::PUT, format!("/customers/{}", encode(&self.id))),
            Front::ManEx => (Method::POST, format!("/API/Customer/Edit/{MANEX_KEY}")),
            Front::OData => (Method::PUT, format!("/api/biz/customers/{}", c["seq"])),
            Front::Unified => (Method::PUT, format!("{FACADE}/{}", encode(&self.id))),
        };
        let mut r = self.request(front, method, &path).json(body);
        if let Some(tag) = etag {
            r = r.header("If-Match", tag);
        }
        send(r).await
    }

    /// Where the record is held and how it is reached, for the verbose output.
    fn label(&self) -> String {
        match &self.upstream {
            None => "embedded".to_owned(),
            Some((up, _)) if self.strict => format!("strict gateway over {}", up.as_str()),
            Some((up, _)) => format!("gateway over {}", up.as_str()),
        }
    }

    /// The fields the tenant API requires (tenant docs.md, "Writes": "required `idNo`,
    /// `bldgNo`, `street`, `city`, `postalCode`") that the upstream cannot hold, sorted:
    /// the tenant front shows them empty, so it refuses what it read as invalid. That is
    /// the two documented facts together, not a loss: nothing is written.
    fn tenant_required_unheld(&self) -> &'static [&'static str] {
        match &self.upstream {
            None | Some((Up::Tenant | Up::V1core, _)) => &[],
            // ndata docs.md drops "`identifications`" and "every address's `building_no`".
            Some((Up::Ndata, _)) => &["bldgNo", "idNo"],
            // custno docs.md drops "`identifications`" and "`addresses`".
            Some((Up::Custno, _)) => &["bldgNo", "city", "idNo", "postalCode", "street"],
            // odata docs.md drops "every identification but `ORG`" and "`building_no`,
            // `unit_no`, `street` and `district` of an address that has `lines` (one
            // without lines is sent as lines made of them, which read back as lines)".
            Some((Up::Odata, _)) => &["bldgNo", "idNo", "street"],
        }
    }

    /// Whether `front` must supply fields to write at all: the tenant front over an
    /// upstream that cannot hold what the tenant API requires.
    fn supplies(&self, front: Front) -> bool {
        front == Front::Tenant && !self.tenant_required_unheld().is_empty()
    }

    /// Whether `path`, reported dropped by a tenant front's write with the required fields
    /// supplied, is what supplying them costs ([`SUPPLIED`]).
    fn supplied_loss(&self, path: &str) -> bool {
        SUPPLIED.iter().any(|p| path.starts_with(p))
    }

    /// Fills in what [`Session::tenant_required_unheld`] names in a tenant API record, as
    /// a client of the tenant API must to write at all (with an `idType`, so that the
    /// identification is a plain one). The upstream cannot hold any of it.
    fn supply_tenant_required(&self, shown: &mut Value) {
        for field in self.tenant_required_unheld() {
            let value = match *field {
                "idNo" => {
                    shown["idType"] = json!("CRN");
                    "1010101010"
                }
                "bldgNo" => "1234",
                "street" => "King Fahd Road",
                "city" => "Riyadh",
                "postalCode" => "12345",
                other => panic!("no value to supply for {other}"),
            };
            shown[*field] = json!(value);
        }
    }

    /// What a write through this session may change where the record is held, besides
    /// what the front keeps for itself: [`WRITTEN`], and in gateway mode the upstream
    /// dialect's own bookkeeping ([`upstream_allowed`]).
    fn allowed(&self, front: Front) -> Vec<&'static [Allowed]> {
        match &self.upstream {
            None => vec![WRITTEN, front.allowed()],
            Some((up, _)) => vec![WRITTEN, upstream_allowed(*up)],
        }
    }
}

impl Front {
    /// What this front's write-back may change besides [`WRITTEN`], each citing the
    /// dialect's `docs.md`. Only the bookkeeping a front keeps for itself is excluded,
    /// never a field a client sent: the tenant, NData and facade write-backs change nothing
    /// at all.
    fn allowed(self) -> &'static [Allowed] {
        match self {
            Front::Tenant | Front::NData | Front::ManEx | Front::Unified => &[],
            Front::OData => ODATA_OWN_IDS,
        }
    }

    /// The fields this front changes, one write each: the first is a field of its own
    /// (one few other dialects have), the second one that other upstreams hold too or
    /// that shows another way of not holding it.
    fn edits(self) -> [Edit; 2] {
        let edit = |wire, path, value| Edit {
            front: self,
            wire,
            path,
            value,
        };
        match self {
            // The default email (the second one) is `email`; a VAT number the tenant
            // API's validation accepts (15 characters, starting and ending with 3).
            Front::Tenant => [
                edit(
                    "/email",
                    "emails[1].address",
                    json!("john.doe@param.example"),
                ),
                edit("/vatNo", "tax.vat", json!("310000000000003")),
            ],
            Front::NData => [
                edit("/lastName", "name.last", json!("Doe-Saleh")),
                edit("/note", "note", json!("VIP customer since 2019")),
            ],
            Front::ManEx => [
                edit("/TERRITORY", "sales.territory", json!("WEST")),
                edit("/CUSTNAME", "name.display", json!("Param Trading Est")),
            ],
            Front::OData => [
                edit("/Info/Name", "name.display", json!("Param Trading Co")),
                edit("/CreditDays", "finance.credit_days", json!(45)),
            ],
            Front::Unified => [
                edit("/locale/occupation", "locale.occupation", json!("Importer")),
                edit("/external_id", "external_id", json!("ext-wb-2")),
            ],
        }
    }
}

/// One field a front changes: where its wire shows it (a JSON pointer), the canonical
/// path that must change, and the new value (the same on both sides).
struct Edit {
    front: Front,
    wire: &'static str,
    path: &'static str,
    value: Value,
}

impl Edit {
    /// Sets the wire field in `shown`, making the objects on the way (a relation the
    /// front shows as `null` or not at all).
    fn apply(&self, shown: &mut Value) {
        let mut at = shown;
        for seg in self.wire.split('/').skip(1) {
            if !at.is_object() {
                *at = json!({});
            }
            at = at
                .as_object_mut()
                .unwrap()
                .entry(seg.to_owned())
                .or_insert(Value::Null);
        }
        *at = self.value.clone();
    }

    /// The change it must make where the record is held, from the record before.
    fn wanted(&self, before: &Value) -> Change {
        Change {
            path: self.path.to_owned(),
            old: value_at(before, self.path).cloned(),
            new: Some(self.value.clone()),
        }
    }
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {} = {} ({})",
            self.front, self.wire, self.value, self.path
        )
    }
}

/// Creates `customer`, then has every front read it and write exactly that back, in
/// turn; the failures, or nothing. A front may change what [`WRITTEN`] and its own
/// [`Front::allowed`] name, nothing else.
async fn write_back_through_every_front(customer: &Value) -> String {
    let s = Session::start(customer).await;
    write_back_in_turn(&s).await
}

/// Every front of `s` reads the record and writes exactly that back, in turn; each
/// front's changes are judged against the record as the one before left it, and the last
/// state against the first at the end. In gateway mode a write-back must also carry no
/// `X-Custgate-Dropped-Fields`: what was read from the upstream is all the upstream can
/// hold, so nothing of it can be dropped.
///
/// Over an upstream that cannot hold what the tenant API requires, the tenant front
/// refuses what it read ([`Session::tenant_required_unheld`]); it then writes it back
/// with those fields supplied, as its clients must ([`Session::supply_tenant_required`]):
/// only they may be reported dropped (or, strict, refused), and the upstream must not
/// change.
async fn write_back_in_turn(s: &Session) -> String {
    let first = s.canonical().await;
    let mut failures = String::new();
    let mut before = first.clone();
    let verbose = std::env::var_os("WRITEBACK_VERBOSE").is_some();
    for front in FRONTS {
        let (mut shown, etag) = s.read(front).await;
        let unheld = s.tenant_required_unheld();
        let supplied = s.supplies(front);
        if supplied {
            let reply = s.try_write(front, &shown, etag.as_deref()).await;
            let mut named: Vec<&str> = reply.body["errors"]
                .as_object()
                .map(|e| e.keys().map(String::as_str).collect())
                .unwrap_or_default();
            named.sort_unstable();
            if reply.status != StatusCode::BAD_REQUEST || named != unheld {
                failures.push_str(&format!(
                    "  Tenant was to refuse the write-back for want of {unheld:?}, and answered \
                     {} {:#}\n",
                    reply.status, reply.body
                ));
            }
            let after = s.canonical().await;
            let verdict_changes = changes(&before, &after);
            let verdict = judge(&verdict_changes, &s.allowed(front));
            if !verdict.unexplained.is_empty() {
                failures.push_str(&format!(
                    "  Tenant refused the write-back, and yet the record changed:\n{}",
                    verdict.report()
                ));
            }
            s.supply_tenant_required(&mut shown);
        }
        let reply = s.try_write(front, &shown, etag.as_deref()).await;
        let dropped = reply.dropped().unwrap_or_default();
        if supplied {
            // Only what was supplied is lost: reported, or refused by a strict gateway.
            let want = if s.strict { 400 } else { 200 };
            let named = reply.body.to_string();
            if reply.status.as_u16() != want
                || (s.strict && !SUPPLIED.iter().any(|p| named.contains(p)))
            {
                failures.push_str(&format!(
                    "  Tenant's write-back with {unheld:?} supplied was to answer {want}, and \
                     answered {} {:#}\n",
                    reply.status, reply.body
                ));
            }
            let outside: Vec<&String> = dropped.iter().filter(|f| !s.supplied_loss(f)).collect();
            if !outside.is_empty() || (!s.strict && dropped.is_empty()) {
                failures.push_str(&format!(
                    "  Tenant's write-back with {unheld:?} supplied was to report them \
                     dropped, and {DROPPED_HEADER} is {dropped:?}\n"
                ));
            }
        } else {
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{front:?} write: {:#}",
                reply.body
            );
            assert_eq!(
                front.outcome(&reply),
                200,
                "{front:?} write: {:#}",
                reply.body
            );
            if !dropped.is_empty() {
                failures.push_str(&format!(
                    "  {front:?}'s write-back was answered with {DROPPED_HEADER}: {}\n",
                    dropped.join(", ")
                ));
            }
        }
        let after = s.canonical().await;
        let all = changes(&before, &after);
        let verdict = judge(&all, &s.allowed(front));
        if !verdict.unexplained.is_empty() {
            failures.push_str(&format!(
                "  {front:?} changed what it wrote back unchanged:\n{}",
                verdict.report()
            ));
        }
        if verbose {
            println!(
                "{}: {front:?} wrote back ({} {}):\n{}",
                s.label(),
                reply.status,
                dropped.join(", "),
                verdict.report()
            );
        }
        before = after;
    }
    let all = changes(&first, &before);
    let mut every: Vec<&'static [Allowed]> = Vec::new();
    for front in FRONTS {
        every.extend(s.allowed(front));
    }
    let verdict = judge(&all, &every);
    if !verdict.unexplained.is_empty() {
        failures.push_str(&format!(
            "  after every front, the record differs from the first read:\n{}",
            verdict.report()
        ));
    }
    failures
}

#[tokio::test]
async fn a_write_back_through_every_front_changes_nothing() {
    let failures = write_back_through_every_front(&rich_customer()).await;
    assert!(
        failures.is_empty(),
        "write-backs lost or changed data:\n{failures}"
    );
}

/// A customer with only what every writable front needs to take a write-back (the tenant
/// API requires `idNo`, `bldgNo`, `street`, `city` and `postalCode`, and a name): no display
/// name, no phones or emails, no finance; blocked, a status ManEx shows as `Inactive`.
/// What a front shows for an absent value (a name made of the parts, a zero amount, a
/// `false` flag) must not come back as a value.
fn sparse_customer() -> Value {
    json!({
        "kind": "person",
        "status": "blocked",
        "name": {"first": "Sara", "last": "Ali"},
        "identifications": [{"scheme": "NAT", "value": "1000000001"}],
        "addresses": [{"kind": "billing", "building_no": "1", "street": "Main Street",
                       "city": "Riyadh", "postal_code": "12345"}]
    })
}

#[tokio::test]
async fn a_write_back_of_a_sparse_customer_through_every_front_changes_nothing() {
    let failures = write_back_through_every_front(&sparse_customer()).await;
    assert!(
        failures.is_empty(),
        "write-backs lost or changed data:\n{failures}"
    );
}

/// Each front changes each of its [`Front::edits`] in turn, on one record; each must
/// change exactly its canonical field. On the embedded store every field is held.
#[tokio::test]
async fn one_field_changed_through_every_front_changes_only_that_field() {
    let s = Session::start(&rich_customer()).await;
    let mut failures = String::new();
    for front in FRONTS {
        for edit in front.edits() {
            failures.push_str(&edit_one_field(&s, &edit, Holds::Yes).await);
        }
    }
    assert!(
        failures.is_empty(),
        "one-field edits changed other data:\n{failures}"
    );
}

/// Reads the record through the edit's front, changes the one field, writes it back and
/// judges what changed where the record is held; the failure, or nothing. The tenant front
/// supplies the required fields the upstream does not hold, as in [`write_back_in_turn`].
///
/// - [`Holds::Yes`]: exactly the edit's canonical field changes (and what a write
///   changes by definition); no field is reported dropped.
/// - [`Holds::Drops`]: the upstream cannot hold the field. A gateway that is not strict
///   (the default, `UpstreamSettings::strict`) writes the rest and names what was lost in
///   `X-Custgate-Dropped-Fields`, every name under the edit's field; a strict one refuses
///   the write as invalid, naming the field (ARCHITECTURE.md: "reported through
///   `core::report`, or refused when `strict`"). Either way the upstream does not change.
/// - [`Holds::Refuses`]: the front answers that error, naming that text, and the upstream
///   does not change.
async fn edit_one_field(s: &Session, edit: &Edit, holds: Holds) -> String {
    let front = edit.front;
    let supplied = s.supplies(front);
    let holds = match holds {
        // What is supplied cannot be held, so a strict gateway refuses the write whole.
        _ if supplied && s.strict => Holds::Refuses(400, SUPPLIED[0]),
        Holds::Drops(under) if s.strict => Holds::Refuses(front.invalid(), under),
        other => other,
    };
    let before = s.canonical().await;
    let (mut shown, etag) = s.read(front).await;
    edit.apply(&mut shown);
    if supplied {
        s.supply_tenant_required(&mut shown);
    }
    let reply = s.try_write(front, &shown, etag.as_deref()).await;
    let answered = front.outcome(&reply);
    let after = s.canonical().await;
    let all = changes(&before, &after);
    let verdict = judge(&all, &s.allowed(front));
    // What supplying the tenant API's required fields costs is reported, and is no
    // failure of the edit.
    let dropped = reply.dropped().and_then(|d| {
        let rest: Vec<String> = d.into_iter().filter(|f| !s.supplied_loss(f)).collect();
        (!rest.is_empty()).then_some(rest)
    });
    let mut failures = String::new();
    let mut fail = |what: String| failures.push_str(&format!("  {edit}: {what}\n"));
    let failed = || format!("the write failed: {} {:#}", reply.status, reply.body);
    match holds {
        Holds::Yes => {
            if answered != 200 {
                fail(failed());
            }
            if let Some(d) = &dropped {
                fail(format!("{DROPPED_HEADER}: {}", d.join(", ")));
            }
            let wanted = edit.wanted(&before);
            if verdict.unexplained != [&wanted] {
                fail(format!(
                    "was to change only {wanted}, and changed:\n{}",
                    verdict.report()
                ));
            }
        }
        Holds::Drops(under) => {
            if answered != 200 {
                fail(failed());
            }
            match &dropped {
                None => fail(format!(
                    "no {DROPPED_HEADER} though the upstream cannot hold it"
                )),
                Some(d) if !d.iter().all(|f| f.starts_with(under)) => fail(format!(
                    "{DROPPED_HEADER} names more than {under}: {}",
                    d.join(", ")
                )),
                Some(_) => {}
            }
            if !verdict.unexplained.is_empty() {
                fail(format!(
                    "the upstream cannot hold it, yet changed:\n{}",
                    verdict.report()
                ));
            }
        }
        Holds::Refuses(status, naming) => {
            if answered != status || !reply.body.to_string().contains(naming) {
                fail(format!(
                    "was to be refused with {status} naming {naming}, and answered {} {:#}",
                    reply.status, reply.body
                ));
            }
            if let Some(d) = &dropped {
                fail(format!("refused, yet {DROPPED_HEADER}: {}", d.join(", ")));
            }
            if !verdict.unexplained.is_empty() {
                fail(format!(
                    "was refused, yet the upstream changed:\n{}",
                    verdict.report()
                ));
            }
        }
    }
    failures
}

impl Front {
    /// The status a write through this front answered: ManEx's is its envelope's `Code`
    /// (a refusal the caller can fix travels as HTTP 200 with `Code: 403`, custno
    /// docs.md), every other front's the HTTP status.
    fn outcome(self, reply: &Reply) -> u16 {
        match (self, reply.body["Code"].as_u64()) {
            (Front::ManEx, Some(code)) => u16::try_from(code).unwrap_or(u16::MAX),
            _ => reply.status.as_u16(),
        }
    }

    /// How this front refuses an invalid write (each dialect's `error.rs`): 400, and
    /// ManEx's `Code: 403` ("Customer edit failed.<reason>").
    fn invalid(self) -> u16 {
        match self {
            Front::ManEx => 403,
            _ => 400,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Through the gateway.
// ---------------------------------------------------------------------------------------

/// The upstream dialects a gateway can write to. v1core is not among them: a v1core
/// upstream is lookup-only (v1core docs.md; `matrix::expect`: "the v1core upstream is
/// lookup-only", every write a 501), so there is nothing to write back.
const WRITABLE_UPSTREAMS: [Up; 4] = [Up::Tenant, Up::Ndata, Up::Custno, Up::Odata];

/// What a write through the gateway may change in the upstream besides [`WRITTEN`]: the
/// upstream dialect's own bookkeeping, which its server keeps when its client writes.
fn upstream_allowed(up: Up) -> &'static [Allowed] {
    match up {
        Up::Tenant | Up::V1core | Up::Ndata | Up::Custno => &[],
        // The upstream's odata front keeps its own child ids (odata docs.md, "Everything
        // else is kept"): the client's write addresses the children by them.
        Up::Odata => ODATA_OWN_IDS,
    }
}

/// The canonical homes of what [`Session::supply_tenant_required`] fills in: the
/// identification and the billing address's parts (tenant docs.md mapping table), which
/// the upstreams that need them supplied drop.
const SUPPLIED: &[&str] = &["identifications", "addresses"];

/// Whether an upstream holds what an edit changes.
#[derive(Clone, Copy, Debug)]
enum Holds {
    Yes,
    /// It cannot hold it: dropped and reported, or refused by a strict gateway; every
    /// reported path starts with this.
    Drops(&'static str),
    /// The write is refused with this status (ManEx: `Code`), and the answer names this.
    Refuses(u16, &'static str),
}

/// Whether `up` holds the canonical `path` (one of [`Front::edits`]), from the "What an
/// upstream of this dialect cannot carry" section of each dialect's docs.md.
fn holds(up: Up, path: &str) -> Holds {
    use Holds::{Drops, Yes};
    match (path, up) {
        // Every upstream keeps the display name: `cusName`, `fullName`, `CUSTNAME`,
        // `Info.Name`.
        ("name.display", _) => Yes,
        // tenant: "the default email's address"; ndata: "the default email's address";
        // odata: "every phone and e-mail". custno: "It drops everything else: … emails".
        ("emails[1].address", Up::Custno) => Drops("emails"),
        ("emails[1].address", _) => Yes,
        // tenant: "`vatNo`"; ndata: "the company name and tax ids". custno drops `tax`,
        // odata "`tax.vat` and `tax.tin`".
        ("tax.vat", Up::Tenant | Up::Ndata) => Yes,
        ("tax.vat", _) => Drops("tax.vat"),
        // Only NData keeps the name parts (`firstName`, `lastName`); tenant, custno and
        // odata drop "the name parts".
        ("name.last", Up::Ndata) => Yes,
        ("name.last", _) => Drops("name.last"),
        // ndata keeps "the note"; tenant and odata drop `note`.
        ("note", Up::Ndata) => Yes,
        // custno docs.md: "its note, division and reps … stay as read", since no Add or
        // Edit parameter sets them.
        ("note", _) => Drops("note"),
        // ManEx keeps the territory; the others drop "all of `sales`".
        ("sales.territory", Up::Custno) => Yes,
        ("sales.territory", _) => Drops("sales.territory"),
        // Unimicro keeps "credit days"; tenant drops "all of `finance`", ndata "`finance`
        // but the credit balance and the two rates", custno `credit_days`.
        ("finance.credit_days", Up::Odata) => Yes,
        ("finance.credit_days", _) => Drops("finance.credit_days"),
        // No upstream dialect keeps an occupation: tenant and custno drop `locale`, ndata
        // "`locale` but `gender` and `birth_date`", odata "all of `sales` and `locale`".
        ("locale.occupation", _) => Drops("locale.occupation"),
        // ndata keeps "the external id"; tenant, custno and odata drop `external_id`.
        ("external_id", Up::Ndata) => Yes,
        ("external_id", _) => Drops("external_id"),
        _ => panic!("holds: no entry for {path} over {up:?}"),
    }
}

/// A gateway over `upstream` (dialect `up`) like `matrix::gateway_over`'s, but strict:
/// it refuses a write that carries anything the upstream cannot hold.
async fn strict_gateway_over(up: Up, upstream: &TestApp) -> TestApp {
    spawn_gateway(json!({
        "dialect": up.as_str(),
        "strict": true,
        "client": up.client_section(&upstream.address),
    }))
    .await
}

/// Runs `each` over a fresh upstream of every writable dialect with `customer` in it,
/// through a gateway over it and then through a strict one over the same upstream,
/// the upstreams concurrently; the failures, by upstream.
async fn over_every_upstream<F, Fut>(customer: fn() -> Value, each: F) -> String
where
    F: Fn(Arc<Session>) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    let tasks: Vec<_> = WRITABLE_UPSTREAMS
        .into_iter()
        .map(|up| {
            let run = async move {
                let s = Arc::new(Session::over(up, &customer()).await);
                let mut failures = each(s.clone()).await;
                let strict = s.strict_twin().await;
                let f = each(Arc::new(strict)).await;
                if !f.is_empty() {
                    failures.push_str(&format!("  through a strict gateway:\n{f}"));
                }
                failures
            };
            (up, tokio::spawn(run))
        })
        .collect();
    let mut failures = String::new();
    for (up, task) in tasks {
        let f = match task.await {
            Ok(f) => f,
            Err(e) => format!("  panicked: {e}\n"),
        };
        if !f.is_empty() {
            failures.push_str(&format!("over a {} upstream:\n{f}", up.as_str()));
        }
    }
    failures
}

#[tokio::test]
async fn a_write_back_through_the_gateway_changes_nothing_upstream() {
    let started = Instant::now();
    let failures = over_every_upstream(
        rich_customer,
        |s| async move { write_back_in_turn(&s).await },
    )
    .await;
    println!("gateway write-backs ran in {:.1?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "write-backs through the gateway lost or changed data upstream:\n{failures}"
    );
}

#[tokio::test]
async fn a_write_back_of_a_sparse_customer_through_the_gateway_changes_nothing_upstream() {
    let failures = over_every_upstream(
        sparse_customer,
        |s| async move { write_back_in_turn(&s).await },
    )
    .await;
    assert!(
        failures.is_empty(),
        "write-backs through the gateway lost or changed data upstream:\n{failures}"
    );
}

/// Every front's [`Front::edits`] through a gateway over every writable upstream: held,
/// exactly that field changes upstream; not held, it is reported dropped (or, through the
/// strict gateway, refused) and the upstream does not change. The strict gateway runs
/// after the other on the same record, so the edits it would hold are already made and
/// only the ones it cannot hold are sent again.
#[tokio::test]
async fn one_field_changed_through_the_gateway_changes_only_that_field_upstream_or_is_reported_dropped(
) {
    let failures = over_every_upstream(rich_customer, |s| async move {
        let up = s.upstream.as_ref().expect("a gateway session").0;
        let mut failures = String::new();
        for front in FRONTS {
            for edit in front.edits() {
                let holds = holds(up, edit.path);
                if s.strict && matches!(holds, Holds::Yes) && !s.supplies(front) {
                    continue;
                }
                failures.push_str(&edit_one_field(&s, &edit, holds).await);
            }
        }
        failures
    })
    .await;
    assert!(
        failures.is_empty(),
        "one-field edits through the gateway went wrong upstream:\n{failures}"
    );
}
