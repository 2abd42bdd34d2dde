//! The reader this crate had before the one-pass import, kept as the tests' oracle: the
//! wire types with derived `Deserialize` (a flattened `extra` map each), property names
//! normalised on a `Value` first, and the failing property searched for afterwards. The
//! new readers must give exactly what this gives, for every input.

use custgate_core::Error;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::convert::join_path;
use crate::wire::{self, JsonMap, Patch};

fn patch<A, B>(p: Patch<A>, f: impl FnOnce(A) -> B) -> Patch<B> {
    match p {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Value(v) => Patch::Value(f(v)),
    }
}

fn patch_vec<A, B: From<A>>(p: Patch<Vec<A>>) -> Patch<Vec<B>> {
    patch(p, |v| v.into_iter().map(B::from).collect())
}

/// The old wire types, field for field, and their conversion into the new ones.
macro_rules! old_types {
    ($(struct $name:ident { $($key:literal $field:ident: $ty:ty => $conv:expr,)* })*) => {$(
        #[derive(Deserialize)]
        pub struct $name {
            $(#[serde(rename = $key, default)] $field: $ty,)*
            #[serde(flatten)]
            extra: JsonMap,
        }

        impl From<$name> for wire::$name {
            fn from(o: $name) -> wire::$name {
                wire::$name {
                    $($field: ($conv)(o.$field),)*
                    extra: o.extra,
                }
            }
        }
    )*};
}

fn same<T>(p: T) -> T {
    p
}

old_types! {
    struct Customer {
        "ID" id: Patch<i64> => same,
        "CustomerNumber" customer_number: Patch<i64> => same,
        "BusinessRelationID" business_relation_id: Patch<Value> => same,
        "OrgNumber" org_number: Patch<String> => same,
        "IsPrivate" is_private: Patch<bool> => same,
        "StatusCode" status_code: Patch<i64> => same,
        "CreditDays" credit_days: Patch<i64> => same,
        "CurrencyCode" currency_code: Patch<CurrencyCode> => |p| patch(p, wire::CurrencyCode::from),
        "CustomValues" custom_values: Patch<JsonMap> => same,
        "Deleted" deleted: Patch<bool> => same,
        "CreatedAt" created_at: Patch<Value> => same,
        "UpdatedAt" updated_at: Patch<Value> => same,
        "Info" info: Patch<BusinessRelation> => |p| patch(p, wire::BusinessRelation::from),
    }
    struct CurrencyEntity {
        "Code" code: Patch<String> => same,
    }
    struct BusinessRelation {
        "ID" id: Patch<Value> => same,
        "Name" name: Patch<String> => same,
        "InvoiceAddressID" invoice_address_id: Patch<i64> => same,
        "ShippingAddressID" shipping_address_id: Patch<i64> => same,
        "DefaultPhoneID" default_phone_id: Patch<i64> => same,
        "DefaultEmailID" default_email_id: Patch<i64> => same,
        "DefaultContactID" default_contact_id: Patch<i64> => same,
        "InvoiceAddress" invoice_address: Patch<Address> => |p| patch(p, wire::Address::from),
        "ShippingAddress" shipping_address: Patch<Address> => |p| patch(p, wire::Address::from),
        "DefaultPhone" default_phone: Patch<Phone> => |p| patch(p, wire::Phone::from),
        "DefaultEmail" default_email: Patch<Email> => |p| patch(p, wire::Email::from),
        "DefaultContact" default_contact: Patch<Contact> => |p| patch(p, wire::Contact::from),
        "Addresses" addresses: Patch<Vec<Address>> => patch_vec,
        "Phones" phones: Patch<Vec<Phone>> => patch_vec,
        "Emails" emails: Patch<Vec<Email>> => patch_vec,
        "Contacts" contacts: Patch<Vec<Contact>> => patch_vec,
    }
    struct Address {
        "ID" id: Patch<i64> => same,
        "AddressLine1" address_line1: Patch<String> => same,
        "AddressLine2" address_line2: Patch<String> => same,
        "AddressLine3" address_line3: Patch<String> => same,
        "PostalCode" postal_code: Patch<String> => same,
        "City" city: Patch<String> => same,
        "Region" region: Patch<String> => same,
        "Country" country: Patch<String> => same,
        "CountryCode" country_code: Patch<String> => same,
        "Deleted" deleted: Patch<bool> => same,
    }
    struct Phone {
        "ID" id: Patch<i64> => same,
        "Type" kind: Patch<i64> => same,
        "Number" number: Patch<String> => same,
        "CountryCode" country_code: Patch<String> => same,
        "Description" description: Patch<String> => same,
        "Deleted" deleted: Patch<bool> => same,
    }
    struct Email {
        "ID" id: Patch<i64> => same,
        "EmailAddress" email_address: Patch<String> => same,
        "Description" description: Patch<String> => same,
        "Deleted" deleted: Patch<bool> => same,
    }
    struct Contact {
        "ID" id: Patch<i64> => same,
        "Role" role: Patch<String> => same,
        "Comment" comment: Patch<String> => same,
        "Info" info: Patch<ContactInfo> => |p| patch(p, wire::ContactInfo::from),
        "Deleted" deleted: Patch<bool> => same,
    }
    struct ContactInfo {
        "Name" name: Patch<String> => same,
        "DefaultEmail" default_email: Patch<Email> => |p| patch(p, wire::Email::from),
        "DefaultPhone" default_phone: Patch<Phone> => |p| patch(p, wire::Phone::from),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum CurrencyCode {
    Code(String),
    Entity(CurrencyEntity),
}

impl From<CurrencyCode> for wire::CurrencyCode {
    fn from(c: CurrencyCode) -> wire::CurrencyCode {
        match c {
            CurrencyCode::Code(s) => wire::CurrencyCode::Code(s),
            CurrencyCode::Entity(e) => wire::CurrencyCode::Entity(e.into()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The old `convert::parse_customer`.
// ---------------------------------------------------------------------------------------

pub fn parse_customer(mut value: Value, path: &str) -> Result<wire::Customer, Error> {
    if !value.is_object() {
        return Err(Error::validation_field(path, "must be a customer object"));
    }
    // Renaming the keys did not change with the one-pass readers: the live one serves.
    wire::normalize_keys(&mut value, &wire::CUSTOMER, "").map_err(|clash| {
        Error::validation_field(
            join_path(path, &clash.path),
            "is given twice with different casing",
        )
    })?;
    match Customer::deserialize(&value) {
        Ok(w) => Ok(w.into()),
        Err(e) => {
            let at = locate::<Customer>(&value, &CUSTOMER_PARTS).unwrap_or_default();
            Err(Error::validation_field(
                join_path(path, &at),
                format!("{e}"),
            ))
        }
    }
}

enum Part {
    Info,
    Address,
    Phone,
    Email,
    Contact,
    ContactInfo,
}

const CUSTOMER_PARTS: [(&str, Part); 1] = [("Info", Part::Info)];
const INFO_PARTS: [(&str, Part); 9] = [
    ("InvoiceAddress", Part::Address),
    ("ShippingAddress", Part::Address),
    ("Addresses", Part::Address),
    ("DefaultPhone", Part::Phone),
    ("Phones", Part::Phone),
    ("DefaultEmail", Part::Email),
    ("Emails", Part::Email),
    ("DefaultContact", Part::Contact),
    ("Contacts", Part::Contact),
];
const CONTACT_PARTS: [(&str, Part); 1] = [("Info", Part::ContactInfo)];
const CONTACT_INFO_PARTS: [(&str, Part); 2] =
    [("DefaultEmail", Part::Email), ("DefaultPhone", Part::Phone)];

fn locate<T: DeserializeOwned>(value: &Value, parts: &[(&str, Part)]) -> Option<String> {
    let Value::Object(m) = value else { return None };
    for (k, v) in m {
        let single = Value::Object(std::iter::once((k.clone(), v.clone())).collect());
        if serde_json::from_value::<T>(single).is_ok() {
            continue;
        }
        let inner = parts
            .iter()
            .find(|(name, _)| name == k)
            .and_then(|(_, part)| match v {
                Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                    locate_part(part, item).map(|p| {
                        if p.is_empty() {
                            format!("[{i}]")
                        } else {
                            format!("[{i}].{p}")
                        }
                    })
                }),
                other => locate_part(part, other),
            });
        return Some(match inner.as_deref() {
            None | Some("") => k.clone(),
            Some(p) if p.starts_with('[') => format!("{k}{p}"),
            Some(p) => format!("{k}.{p}"),
        });
    }
    None
}

fn locate_part(part: &Part, v: &Value) -> Option<String> {
    let found = match part {
        Part::Info => locate::<BusinessRelation>(v, &INFO_PARTS),
        Part::Address => locate::<Address>(v, &[]),
        Part::Phone => locate::<Phone>(v, &[]),
        Part::Email => locate::<Email>(v, &[]),
        Part::Contact => locate::<Contact>(v, &CONTACT_PARTS),
        Part::ContactInfo => locate::<ContactInfo>(v, &CONTACT_INFO_PARTS),
    };
    found.or_else(|| (!v.is_object()).then(String::new))
}

// ---------------------------------------------------------------------------------------
// The old client reader (`client::import` over `custgate_upstream::parse_json`).
// ---------------------------------------------------------------------------------------

#[cfg(feature = "client")]
pub mod client {
    use custgate_core::{Customer, ErrorKind};
    use serde_json::Value;

    use super::*;
    use crate::client::{answer_value as answer, unreadable};
    use crate::convert::{self, Mode};

    pub fn import(v: Value) -> Result<Customer, Error> {
        let w = parse_customer(v, "").map_err(unreadable)?;
        convert::apply(None, &w, Mode::Import).map_err(unreadable)
    }

    pub fn import_one(body: &[u8], max_depth: usize) -> Result<Customer, Error> {
        import(answer(body, max_depth)?)
    }

    pub fn import_list(body: &[u8], max_depth: usize) -> Result<Vec<Customer>, Error> {
        let Value::Array(items) = answer(body, max_depth)? else {
            return Err(Error::new(
                ErrorKind::UpstreamUnavailable,
                "upstream odata answered a list with something other than an array",
            ));
        };
        items.into_iter().map(import).collect()
    }
}

// ---------------------------------------------------------------------------------------
// Old and new, side by side.
// ---------------------------------------------------------------------------------------

mod tests {
    #[cfg(feature = "client")]
    use custgate_core::Customer;
    use custgate_testkit::fixtures::seed_json;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::convert::{self, Mode};

    const DIR: &str = env!("CARGO_MANIFEST_DIR");

    /// Two imports of an answer without a usable `ID` get different generated ids.
    #[cfg(feature = "client")]
    fn same_generated_id(old: &Customer, new: &mut Customer) {
        let generated = |c: &Customer| c.id.as_str().parse::<i64>().is_err();
        if generated(old) && generated(new) {
            new.id = old.id.clone();
        }
    }

    /// The request-body reader: the same wire customer or the same error, and the same
    /// customer from it in every mode.
    fn check_value(v: &Value) {
        for path in ["", "[3]"] {
            let old = parse_customer(v.clone(), path);
            let new = convert::parse_customer(v.clone(), path);
            assert_eq!(new, old, "parse_customer({v}, {path:?})");
        }
    }

    /// JSON text with every object's properties in reverse order (a reader must not
    /// depend on them being sorted).
    fn reversed(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let items: Vec<String> = m
                    .iter()
                    .rev()
                    .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), reversed(v)))
                    .collect();
                format!("{{{}}}", items.join(","))
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(reversed).collect();
                format!("[{}]", items.join(","))
            }
            other => other.to_string(),
        }
    }

    /// Every way the tests write one JSON value.
    fn texts(v: &Value) -> Vec<String> {
        vec![
            v.to_string(),
            reversed(v),
            serde_json::to_string_pretty(v).unwrap(),
        ]
    }

    /// The upstream client's reader, on `text` as an answer with one customer and as a list,
    /// with the default depth limit and a very low one.
    fn check_answer(text: &str) {
        check_depth(text.as_bytes());
        check_answer_at(text, &[64, 5, 4, 3]);
    }

    /// The depth the readers find while reading is the one the text nests (when they read
    /// it), for one customer and for a list.
    fn check_depth(body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        let nests = custgate_core::json::nesting_depth(body);
        let (read, depth) = wire::reading_depth(|| convert::read_customer_for_import(body));
        if read.is_ok() {
            assert_eq!(depth, nests, "{text}");
        }
        let (read, depth) = wire::reading_depth(|| convert::read_customers_for_import(body));
        if read.is_ok() {
            assert_eq!(depth, nests, "{text}");
        }
        let (read, depth) = wire::reading_depth(|| convert::read_customer(body));
        if read.is_ok() {
            assert_eq!(depth, nests, "{text}");
        }
    }

    #[cfg(feature = "client")]
    fn check_answer_at(text: &str, depths: &[usize]) {
        check_body_at(text.as_bytes(), depths);
    }

    /// [`check_answer_at`] for a body that need not be UTF-8.
    #[cfg(feature = "client")]
    fn check_body_at(body: &[u8], depths: &[usize]) {
        use crate::client;
        let text = String::from_utf8_lossy(body);
        for &depth in depths {
            let old = super::client::import_one(body, depth);
            let mut new = client::import_one(body, depth);
            if let (Ok(o), Ok(n)) = (&old, &mut new) {
                same_generated_id(o, n);
            }
            assert_eq!(new, old, "import_one({text}, {depth})");
            let old = super::client::import_list(body, depth);
            let mut new = client::import_list(body, depth);
            if let (Ok(o), Ok(n)) = (&old, &mut new) {
                for (o, n) in o.iter().zip(n.iter_mut()) {
                    same_generated_id(o, n);
                }
            }
            assert_eq!(new, old, "import_list({text}, {depth})");
        }
    }

    #[cfg(not(feature = "client"))]
    fn check_answer_at(_: &str, _: &[usize]) {}

    /// Both readers, on `v` as a request body and as an upstream's answer (alone and in a
    /// list, with its properties in several orders).
    fn check(v: &Value) {
        check_value(v);
        for text in texts(v) {
            check_answer(&text);
        }
        let list = Value::Array(vec![v.clone(), json!({"ID": 7, "Info": {"Name": "x"}})]);
        for text in texts(&list) {
            check_answer(&text);
        }
        let list = Value::Array(vec![json!({"ID": 7}), v.clone()]);
        check_answer(&list.to_string());
    }

    fn fixtures() -> Vec<Value> {
        let mut all: Vec<Value> = [
            "appendix_a.json",
            "validation_error.json",
            "server_error.json",
            "upstream_answer.json",
        ]
        .into_iter()
        .map(|name| seed_json(DIR, name))
        .collect();
        // The lookup answer's customer, and Appendix A as an upstream answers it.
        all.push(all[3][0].clone());
        let w = convert::parse_customer(all[0].clone(), "").unwrap();
        let mut c = convert::apply(None, &w, Mode::Create).unwrap();
        c.seq = Some(42);
        c.number = Some("42".into());
        all.push(convert::to_json(&c));
        all
    }

    /// Every object of `v` (and `v`), by the path to it.
    fn objects(v: &Value, at: Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        match v {
            Value::Object(m) => {
                out.push(at.clone());
                for (k, x) in m {
                    let mut p = at.clone();
                    p.push(PathStep::Key(k.clone()));
                    objects(x, p, out);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    let mut p = at.clone();
                    p.push(PathStep::Index(i));
                    objects(x, p, out);
                }
            }
            _ => {}
        }
    }

    #[derive(Clone, Debug)]
    enum PathStep {
        Key(String),
        Index(usize),
    }

    fn at<'a>(v: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
        path.iter().fold(v, |v, step| match step {
            PathStep::Key(k) => &mut v[k.as_str()],
            PathStep::Index(i) => &mut v[*i],
        })
    }

    /// Renames every property of every object.
    fn recase(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (f(k), recase(x, f))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(|x| recase(x, f)).collect()),
            other => other.clone(),
        }
    }

    fn alternate(k: &str) -> String {
        k.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect()
    }

    /// Values of every type, wrong for most properties.
    fn odd_values() -> Vec<Value> {
        vec![
            Value::Null,
            json!(true),
            json!(-3),
            json!(1.5),
            json!(18446744073709551615u64),
            json!("x"),
            json!([]),
            json!([{"Number": 1}]),
            json!({}),
            json!({"number": "1", "Number": "2"}),
            json!({"Code": "NOK", "name": "krone"}),
        ]
    }

    /// One change at one place of `v`.
    fn mutations(v: &Value) -> Vec<Value> {
        let mut paths = Vec::new();
        objects(v, Vec::new(), &mut paths);
        let mut out = Vec::new();
        for path in paths {
            let mut probe = v.clone();
            let keys: Vec<String> = at(&mut probe, &path)
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let mut edit = |f: &dyn Fn(&mut JsonMap)| {
                let mut x = v.clone();
                if let Value::Object(m) = at(&mut x, &path) {
                    f(m);
                }
                out.push(x);
            };
            edit(&|m| {
                m.insert("Zz_unknown".into(), json!({"a": [1, {"b": null}]}));
                m.insert("gln".into(), json!("7080000000000"));
                m.insert("dimensions".into(), json!({"ID": 0, "projectid": 1}));
            });
            edit(&|m| {
                m.insert("_createguid".into(), json!("g"));
            });
            for k in keys {
                edit(&|m| {
                    m.remove(&k);
                });
                edit(&|m| {
                    m.insert(k.clone(), Value::Null);
                });
                edit(&|m| {
                    let x = m.remove(&k).unwrap();
                    m.insert(k.to_lowercase(), x);
                });
                edit(&|m| {
                    let x = m.remove(&k).unwrap();
                    m.insert(k.to_uppercase(), x);
                });
                // Two spellings of one name.
                edit(&|m| {
                    let x = m[&k].clone();
                    m.insert(alternate(&k), x);
                });
                for odd in odd_values() {
                    edit(&|m| {
                        m.insert(k.clone(), odd.clone());
                    });
                    // A wrong value under another spelling, and a clash elsewhere.
                    edit(&|m| {
                        let x = m.remove(&k).unwrap();
                        m.insert(k.to_lowercase(), odd.clone());
                        m.insert("zz".into(), x);
                    });
                }
            }
        }
        out
    }

    #[test]
    fn fixtures_read_the_same() {
        for f in fixtures() {
            check(&f);
            check(&recase(&f, &|k| k.to_lowercase()));
            check(&recase(&f, &|k| k.to_uppercase()));
            check(&recase(&f, &alternate));
        }
    }

    #[test]
    fn every_change_reads_the_same() {
        let all = fixtures();
        for f in [&all[4], &all[5]] {
            for m in mutations(f) {
                check_value(&m);
                let text = reversed(&m);
                check_depth(text.as_bytes());
                check_answer_at(&text, &[64, 4]);
            }
        }
    }

    #[test]
    fn odd_answers_read_the_same() {
        for v in odd_values() {
            check(&v);
            check(&json!({"Info": v.clone()}));
            check(&json!({"CurrencyCode": v.clone()}));
            check(&json!({"Info": {"Phones": v.clone(), "DefaultContact": {"Info": v.clone()}}}));
            check(&json!({"Info": {"Addresses": [v.clone()]}}));
        }
        // Clashes and wrong values together: the clash is told, wherever it is.
        check(&json!({"CustomerNumber": "x", "Info": {"Name": "a", "name": "b"}}));
        check(&json!({"customerNumber": "x", "IsPrivate": "y"}));
        check(&json!({"info": {"Name": "a"}, "Info": {"Name": "b"}}));
        check(&json!({"info": {"Name": "a", "name": "c"}, "Info": {"Name": "b"}}));
        check(&json!({"Info": [{"name": "a", "Name": "b"}]}));
        check(&json!({"CurrencyCode": [{"code": "a", "Code": "b"}]}));
        check(&json!({"CurrencyCode": {"code": "NOK", "ID": 1, "shortcode": "kr"}}));
        check(&json!({"CurrencyCode": {"code": "NOK", "Code": "SEK"}}));
        check(&json!({"Info": {"Addresses": [[{"city": 1, "City": 2}]]}}));
        check(&json!({"Info": {"Addresses": {"City": 1}}}));
        check(&json!({"Info": {"Addresses": {"City": "x"}}}));
        check(&json!({"Info": {"Contacts": [{"Info": {"Phones": [{"number": 1}], "id": 4}}]}}));
        check(&json!({"ID": -0.0}));
        check(&json!({"ID": 9223372036854775807i64, "CustomerNumber": -9223372036854775807i64}));
    }

    #[cfg(feature = "client")]
    #[test]
    fn odd_texts_read_the_same() {
        for text in [
            "",
            " ",
            "null",
            "[]",
            "[null]",
            "[1]",
            "{}",
            "[{}]",
            "{\"ID\": 1,}",
            "[{\"ID\": 1}",
            "[{\"ID\": 1}] x",
            "[{\"ID\": 1}] ",
            // The same name twice: the last one counts, as in a `Value`.
            r#"{"ID": 1, "ID": 2}"#,
            r#"{"ID": "x", "ID": 2}"#,
            r#"{"ID": 1, "id": 2, "ID": 3}"#,
            r#"{"GLN": 1, "GLN": 2}"#,
            r#"{"gln": 1, "gln": 2}"#,
            r#"{"gln": 1, "GLN": 2}"#,
            r#"{"gln": 1, "GLN": 2, "gln": 3}"#,
            r#"{"zz": 1, "zz": [2]}"#,
            r#"{"Info": {"Name": "a", "name": "b"}, "Info": {"Name": "c"}}"#,
            r#"{"Info": {"Name": "c"}, "Info": {"Name": "a", "name": "b"}}"#,
            r#"{"Info": {"Phones": [{"Number": "1", "Number": 2}]}}"#,
            r#"{"CurrencyCode": {"Code": "NOK", "Code": "SEK"}}"#,
            r#"{"CurrencyCode": {"Code": 5, "Code": "SEK"}}"#,
            r#"{"CustomValues": {"a": 1, "a": 2}}"#,
            r#"[{"ID": 1, "CustomerNumber": "x"}, {"ID": 2] "#,
            r#"[{"ID": 1, "Info": {"Phones": [{"ID": -1}]}}, {"ID": 2, "CustomerNumber": "x"}]"#,
            r#"{"ID": 1, "Info": {"Name": "\u00e6\"\\"}}"#,
            r#"{"I\u0044": 5}"#,
            r#"{"ID": 1e400}"#,
            r#"{"ID": 10000000000000000000000}"#,
            r#"{"CreatedAt": "2020-01-02T03:04:05Z", "UpdatedAt": 5}"#,
            r#"[[[[[[[[[[]]]]]]]]]]"#,
            // A name given twice keeps the last value, the depth is the text's.
            r#"{"ID": 1, "GLN": [[[[1]]]], "GLN": 2}"#,
            r#"{"ID": 1, "Sellers": [[[]]], "Sellers": []}"#,
            r#"{"ID": 1, "sellers": [[{}]], "Sellers": []}"#,
            r#"[{"ID": 1, "Info": {"Zz": [[[1]]]}, "Info": {}}]"#,
            r#"{"ID": 1, "CustomValues": {"a": [[1]], "a": 1}}"#,
            r#"{"ID": 1, "BusinessRelationID": {"a": {"b": [1]}, "a": 1}}"#,
            r#"{"ID": 1, "CreatedAt": [[["x"]]], "CreatedAt": "2020-01-02"}"#,
            r#"{"ID": 1, "CurrencyCode": {"Code": "NOK", "X": [[[]]], "X": 1}}"#,
            r#"[{"ID": 1, "Info": {"Phones": [{"Zz": [[1]], "Zz": 1}], "BankAccounts": [[[]]], "BankAccounts": []}}]"#,
            r#"{"ID": 1, "Info": {"DefaultContact": {"Info": {"Zz": [[{"a": [1]}]], "Zz": 0}}}}"#,
        ] {
            check_answer(text);
        }
        // Bytes that are not UTF-8, in a name, a value, a value the import drops and
        // outside any string.
        for body in [
            &b"{\"ID\": 1, \"Info\": {\"Name\": \"a\xff\"}}"[..],
            b"[{\"ID\": 1, \"N\xc3\": 2}]",
            b"[{\"ID\": 1, \"GLN\": \"\xe2\x82\"}]",
            b"[{\"ID\": 1}] \xff",
            b"{\"ID\": 1, \"Info\": {\"Name\": \"\xc3\xa6\"}}",
        ] {
            check_depth(body);
            check_body_at(body, &[64, 3]);
        }
        let deep = format!("{{\"Zz\": {}1{}}}", "[".repeat(200), "]".repeat(200));
        check_answer(&deep);
        let deep = format!("[{{\"Zz\": {}1{}}}]", "[".repeat(100), "]".repeat(100));
        check_answer(&deep);
    }

    #[test]
    fn level_names_differ_ignoring_case() {
        for level in [
            &wire::CUSTOMER,
            &wire::INFO,
            &wire::ADDRESS,
            &wire::PHONE,
            &wire::EMAIL,
            &wire::CONTACT,
            &wire::CONTACT_INFO,
            &wire::CURRENCY,
        ] {
            let names: Vec<&str> = level
                .keys
                .iter()
                .copied()
                .chain(level.relations.iter().map(|(k, _)| *k))
                .collect();
            assert!(names.len() <= 64, "{}", level.name);
            for (i, a) in names.iter().enumerate() {
                assert_eq!(level.key(a), Some(*a));
                assert_eq!(level.key(&a.to_lowercase()), Some(*a));
                for b in &names[i + 1..] {
                    assert!(!a.eq_ignore_ascii_case(b), "{a} and {b} in {}", level.name);
                }
            }
            assert_eq!(level.key("NoSuchName"), None);
        }
    }

    // -----------------------------------------------------------------------------------
    // Random JSON made of the model's names.
    // -----------------------------------------------------------------------------------

    /// JSON as written, so with properties in any order and given twice.
    #[derive(Clone, Debug)]
    enum Json {
        Null,
        Bool(bool),
        Int(i64),
        Float(f64),
        Str(String),
        List(Vec<Json>),
        Object(Vec<(String, Json)>),
    }

    impl Json {
        fn text(&self) -> String {
            match self {
                Json::Null => "null".into(),
                Json::Bool(b) => b.to_string(),
                Json::Int(n) => n.to_string(),
                Json::Float(f) => Value::from(*f).to_string(),
                Json::Str(s) => Value::String(s.clone()).to_string(),
                Json::List(items) => {
                    let items: Vec<String> = items.iter().map(Json::text).collect();
                    format!("[{}]", items.join(","))
                }
                Json::Object(props) => {
                    let props: Vec<String> = props
                        .iter()
                        .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v.text()))
                        .collect();
                    format!("{{{}}}", props.join(","))
                }
            }
        }
    }

    const NAMES: &[&str] = &[
        "ID",
        "Info",
        "Name",
        "Phones",
        "DefaultPhone",
        "Number",
        "Type",
        "Emails",
        "DefaultEmail",
        "EmailAddress",
        "Addresses",
        "InvoiceAddress",
        "City",
        "Contacts",
        "DefaultContact",
        "DefaultPhoneID",
        "CurrencyCode",
        "Code",
        "CustomValues",
        "CustomerNumber",
        "StatusCode",
        "BusinessRelationID",
        "Deleted",
        "GLN",
        "Dimensions",
        "BankAccounts",
        "CreatedAt",
        "Zz",
    ];

    fn name() -> impl Strategy<Value = String> {
        (0..NAMES.len(), 0..4u8).prop_map(|(i, case)| match case {
            0 | 1 => NAMES[i].to_owned(),
            2 => NAMES[i].to_lowercase(),
            _ => alternate(NAMES[i]),
        })
    }

    fn json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            3 => Just(Json::Null),
            1 => any::<bool>().prop_map(Json::Bool),
            3 => (-3i64..200000).prop_map(Json::Int),
            1 => Just(Json::Float(2.5)),
            3 => prop_oneof![Just("x"), Just("1"), Just("a@b.no"), Just("2020-01-02T03:04:05Z"), Just("NOK")]
                .prop_map(|s| Json::Str(s.to_owned())),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                1 => prop::collection::vec(inner.clone(), 0..3).prop_map(Json::List),
                3 => prop::collection::vec((name(), inner), 0..6).prop_map(Json::Object),
            ]
        })
    }

    fn customer() -> impl Strategy<Value = Json> {
        prop::collection::vec((name(), json()), 0..8).prop_map(Json::Object)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn random_customers_read_the_same(c in customer(), d in customer()) {
            let text = c.text();
            let v: Value = serde_json::from_str(&text).unwrap();
            check_value(&v);
            check_answer(&text);
            check_answer(&format!("[{text},{}]", d.text()));
        }
    }
}
