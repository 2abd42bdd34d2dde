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

use std::fmt;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{encode, spawn_app, tenant_token, TestApp};

const FACADE: &str = "/unified/v1/customers";
const UNIFIED_TOKEN: &str = "dev-unified-demo";
const MANEX_KEY: &str = "DEVKEY0001";
const ODATA_TOKEN: &str = "dev-odata-demo";
const ODATA_COMPANY: &str = "11111111-1111-4111-8111-111111111111";

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

/// The app and everything needed to address the customer through each front.
struct Session {
    app: TestApp,
    tenant_token: String,
    ndata_token: String,
    id: String,
}

/// A response: its status, headers and JSON (`null` when empty).
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
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

impl Session {
    /// A fresh app with `customer` created through the facade.
    async fn start(customer: &Value) -> Session {
        let app = spawn_app().await;
        let tenant_token = tenant_token("demo");
        let login = send(
            app.client
                .post(app.url("/api/auth"))
                .json(&json!({"UserName": "demo", "Password": "demo", "DeviceName": "writeback"})),
        )
        .await;
        assert_eq!(login.status, StatusCode::OK, "{:#}", login.body);
        let ndata_token = login.body["tokenId"].as_str().unwrap().to_owned();
        let created = send(
            app.client
                .post(app.url(FACADE))
                .bearer_auth(UNIFIED_TOKEN)
                .json(customer),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        Session {
            app,
            tenant_token,
            ndata_token,
            id,
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

    /// The canonical record, through the facade; its `ETag` is its version.
    async fn canonical(&self) -> Value {
        let r = send(self.request(
            Front::Unified,
            Method::GET,
            &format!("{FACADE}/{}", self.id),
        ))
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

    /// The customer as `front` shows it, and what its update needs besides the body (the
    /// facade's `ETag`).
    async fn read(&self, front: Front) -> (Value, Option<String>) {
        let c = self.canonical().await;
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
            Front::NData => format!("/customers/{}", self.id),
            Front::ManEx => format!(
                "/API/Customer/Get/{MANEX_KEY}?CustNumOrName={:0>10}",
                c["number"].as_str().unwrap()
            ),
            Front::OData => format!("/api/biz/customers/{}?expand={ODATA_EXPAND}", c["seq"]),
            Front::Unified => format!("{FACADE}/{}", self.id),
        };
        let r = send(self.request(front, Method::GET, &path)).await;
        assert_eq!(r.status, StatusCode::OK, "{front:?} read: {:#}", r.body);
        match front {
            Front::ManEx => {
                assert_eq!(r.body["Code"], 200, "{front:?} read: {:#}", r.body);
                (r.body["ResponseObject"].clone(), None)
            }
            Front::Unified => {
                let etag = r.headers["etag"].to_str().unwrap().to_owned();
                (r.body, Some(etag))
            }
            _ => (r.body, None),
        }
    }

    /// Sends `body` through `front`'s update, exactly as given; the update must succeed.
    ///
    /// Nothing is stripped, because no dialect's docs.md asks a client to leave anything
    /// out of a write-back: the tenant API takes a `cusId` equal to the path's; NData's
    /// `_v` is the version check and its derived `status` is ignored on input; ManEx's
    /// `CUSTNO` names the customer and record fields that are not Edit parameters (`$id`,
    /// `LinkAddList`, margins…) are ignored as unknown parameters; Unimicro takes `ID`
    /// equal to the path's, an unchanged `StatusCode` and ignores the server-managed
    /// properties; the facade ignores its server fields (`seq`, `version`, timestamps) and
    /// gets the read's `ETag` as `If-Match`.
    async fn write(&self, front: Front, body: &Value, etag: Option<&str>) {
        let c = self.canonical().await;
        let (method, path) = match front {
            Front::Tenant => (Method::PUT, format!("/api/customer/{}", c["seq"])),
            Front::NData => (Method::PUT, format!("/customers/{}", self.id)),
            Front::ManEx => (Method::POST, format!("/API/Customer/Edit/{MANEX_KEY}")),
            Front::OData => (Method::PUT, format!("/api/biz/customers/{}", c["seq"])),
            Front::Unified => (Method::PUT, format!("{FACADE}/{}", self.id)),
        };
        let mut r = self.request(front, method, &path).json(body);
        if let Some(tag) = etag {
            r = r.header("If-Match", tag);
        }
        let r = send(r).await;
        assert_eq!(r.status, StatusCode::OK, "{front:?} write: {:#}", r.body);
        if front == Front::ManEx {
            assert_eq!(
                r.body["Message"], "Customer edited successfully.",
                "{front:?} write: {:#}",
                r.body
            );
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

    /// Changes one field this front shows in `shown`; the canonical path that must change
    /// and its new value.
    fn edit(self, shown: &mut Value) -> (&'static str, Value) {
        match self {
            // The default email (the second one) is `email`.
            Front::Tenant => {
                shown["email"] = json!("john.doe@param.example");
                ("emails[1].address", json!("john.doe@param.example"))
            }
            Front::NData => {
                shown["lastName"] = json!("Doe-Saleh");
                ("name.last", json!("Doe-Saleh"))
            }
            Front::ManEx => {
                shown["TERRITORY"] = json!("WEST");
                ("sales.territory", json!("WEST"))
            }
            Front::OData => {
                shown["Info"]["Name"] = json!("Param Trading Co");
                ("name.display", json!("Param Trading Co"))
            }
            Front::Unified => {
                shown["locale"]["occupation"] = json!("Importer");
                ("locale.occupation", json!("Importer"))
            }
        }
    }
}

/// Creates `customer`, then has every front read it and write exactly that back, in
/// turn; the failures, or nothing. A front may change what [`WRITTEN`] and its own
/// [`Front::allowed`] name, nothing else.
async fn write_back_through_every_front(customer: &Value) -> String {
    let s = Session::start(customer).await;
    let first = s.canonical().await;
    let mut failures = String::new();
    let mut before = first.clone();
    for front in FRONTS {
        let (shown, etag) = s.read(front).await;
        s.write(front, &shown, etag.as_deref()).await;
        let after = s.canonical().await;
        let all = changes(&before, &after);
        let verdict = judge(&all, &[WRITTEN, front.allowed()]);
        if !verdict.unexplained.is_empty() {
            failures.push_str(&format!(
                "  {front:?} changed what it wrote back unchanged:\n{}",
                verdict.report()
            ));
        }
        before = after;
    }
    let all = changes(&first, &before);
    let every: Vec<&'static [Allowed]> = std::iter::once(WRITTEN)
        .chain(FRONTS.iter().map(|&f| f.allowed()))
        .collect();
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

#[tokio::test]
async fn one_field_changed_through_every_front_changes_only_that_field() {
    let s = Session::start(&rich_customer()).await;
    let mut failures = String::new();
    for front in FRONTS {
        let before = s.canonical().await;
        let (mut shown, etag) = s.read(front).await;
        let (path, value) = front.edit(&mut shown);
        s.write(front, &shown, etag.as_deref()).await;
        let after = s.canonical().await;
        let all = changes(&before, &after);
        let verdict = judge(&all, &[WRITTEN, front.allowed()]);
        let wanted = Change {
            path: path.to_owned(),
            old: value_at(&before, path).cloned(),
            new: Some(value.clone()),
        };
        if verdict.unexplained != [&wanted] {
            failures.push_str(&format!(
                "  {front:?} was to change only {wanted}, and changed:\n{}",
                verdict.report()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "one-field edits changed other data:\n{failures}"
    );
}
