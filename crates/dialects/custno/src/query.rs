//! The ManEx "query language": named parameters, from the query string and/or a JSON body,
//! with case-insensitive names; and, in reverse, the parameters the client sends upstream.
//!
//! ManEx has no filters or listing: a read is `CustNumOrName`, which [`lookup_keys`] turns
//! into the canonical keys tried in order (the number, then the exact name).

use std::borrow::Cow;

use custgate_core::{FieldError, Key};
use serde_json::{Map, Value};

use crate::convert::{canonical_number, manex_number};

/// The parameters the dialect knows, in their documented spelling.
pub const CUSTNO: &str = "Custno";
pub const CUSTNAME: &str = "Custname";
pub const STATUS: &str = "Status";
pub const PHONE: &str = "Phone";
pub const FAX: &str = "Fax";
pub const TERRITORY: &str = "Territory";
pub const TERMS: &str = "Terms";
pub const CREDLIMIT: &str = "Credlimit";
pub const CREDITOK: &str = "Creditok";
pub const RESL_NO: &str = "Resl_no";
pub const AR_HIGHBAL: &str = "Ar_highBal";
pub const ACCT_DATE: &str = "Acct_date";
pub const SALEDSCTID: &str = "Saledsctid";
pub const ACCTAXABLE: &str = "Acctaxable";
pub const INACTDT: &str = "Inactdt";
pub const INACTINIT: &str = "Inactinit";
pub const MODIFIEDDATE: &str = "modifieddate";
pub const CUSTNUMORNAME: &str = "CustNumOrName";

/// The parameters Add and Edit take, each with the record field it sets.
pub const WRITE_PARAMS: &[(&str, &str)] = &[
    (CUSTNO, "CUSTNO"),
    (CUSTNAME, "CUSTNAME"),
    (STATUS, "STATUS"),
    (PHONE, "PHONE"),
    (FAX, "FAX"),
    (TERRITORY, "TERRITORY"),
    (TERMS, "TERMS"),
    (CREDLIMIT, "CREDLIMIT"),
    (CREDITOK, "CREDITOK"),
    (RESL_NO, "RESL_NO"),
    (AR_HIGHBAL, "AR_HIGHBAL"),
    (ACCT_DATE, "ACCT_DATE"),
    (SALEDSCTID, "SALEDSCTID"),
    (ACCTAXABLE, "ACTTAXABLE"),
    (INACTDT, "INACTDT"),
    (INACTINIT, "INACTINIT"),
    (MODIFIEDDATE, "modifiedDate"),
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum ParamValue {
    Text(String),
    /// A JSON object or array where one value was expected.
    NotScalar,
}

/// The parameters of one request. Names compare ignoring ASCII case; values are trimmed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// (lower-case name, value), in the order given: query string first, then body.
    values: Vec<(String, ParamValue)>,
}

impl Params {
    /// The parameters of a query string (without the leading `?`).
    pub fn from_query(query: &str) -> Params {
        let mut p = Params::default();
        p.extend_query(query);
        p
    }

    /// Adds the pairs of a query string or form body.
    ///
    /// The seed's example URLs end with a stray closing quote (`…&Status=Active'`); a last
    /// value ending in a single unmatched `'` loses it, so the documented URLs work as
    /// written.
    pub fn extend_query(&mut self, query: &str) {
        let start = self.values.len();
        for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            if k.is_empty() {
                continue;
            }
            self.values.push((
                k.to_ascii_lowercase(),
                ParamValue::Text(v.trim().to_owned()),
            ));
        }
        if self.values.len() > start {
            if let Some((_, ParamValue::Text(last))) = self.values.last_mut() {
                if last.ends_with('\'') && last.matches('\'').count() == 1 {
                    last.pop();
                    *last = last.trim().to_owned();
                }
            }
        }
    }

    /// Adds the members of a JSON object. Strings, numbers and booleans are values; `null`
    /// is the same as leaving the parameter out; objects and arrays are refused when the
    /// parameter is read.
    pub fn extend_json(&mut self, object: &Map<String, Value>) {
        for (k, v) in object {
            let value = match v {
                Value::Null => continue,
                Value::String(s) => ParamValue::Text(s.trim().to_owned()),
                Value::Number(n) => ParamValue::Text(n.to_string()),
                Value::Bool(b) => ParamValue::Text(b.to_string()),
                Value::Array(_) | Value::Object(_) => ParamValue::NotScalar,
            };
            self.values.push((k.to_ascii_lowercase(), value));
        }
    }

    /// Whether the parameter is present at all.
    pub fn has(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.values.iter().any(|(k, _)| *k == name)
    }

    /// The parameter's trimmed value, `None` when absent. Given twice with different
    /// values (in any spelling, query string or body) it is an error, as is an object or
    /// array.
    pub fn get(&self, name: &str) -> Result<Option<&str>, FieldError> {
        let lower = name.to_ascii_lowercase();
        let mut found: Option<&str> = None;
        for (k, v) in &self.values {
            if *k != lower {
                continue;
            }
            let v = match v {
                ParamValue::Text(s) => s.as_str(),
                ParamValue::NotScalar => {
                    return Err(FieldError {
                        field: name.into(),
                        message: format!("{name} must be a single value."),
                    })
                }
            };
            match found {
                Some(prev) if prev != v => {
                    return Err(FieldError {
                        field: name.into(),
                        message: format!("{name} is given more than once with different values."),
                    })
                }
                _ => found = Some(v),
            }
        }
        Ok(found)
    }
}

/// Rewrites the JSON the seed writes into JSON: single-quoted strings become
/// double-quoted ones, and a byte-order mark and no-break spaces (U+00A0, the seed's
/// indentation) outside strings become white space. Valid JSON comes back unchanged.
pub fn relaxed_json(bytes: &[u8]) -> Cow<'_, [u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let needs_work = bytes.contains(&b'\'') || bytes.windows(2).any(|w| w == b"\xC2\xA0");
    if !needs_work {
        return Cow::Borrowed(bytes);
    }
    #[derive(PartialEq)]
    enum State {
        Outside,
        Double,
        Single,
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut state = State::Outside;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match state {
            State::Outside => match b {
                b'"' => {
                    out.push(b);
                    state = State::Double;
                }
                b'\'' => {
                    out.push(b'"');
                    state = State::Single;
                }
                0xC2 if bytes.get(i + 1) == Some(&0xA0) => {
                    out.push(b' ');
                    i += 1;
                }
                _ => out.push(b),
            },
            State::Double => {
                out.push(b);
                if b == b'\\' {
                    if let Some(&next) = bytes.get(i + 1) {
                        out.push(next);
                        i += 1;
                    }
                } else if b == b'"' {
                    state = State::Outside;
                }
            }
            State::Single => match b {
                b'\\' => match bytes.get(i + 1) {
                    Some(b'\'') => {
                        out.push(b'\'');
                        i += 1;
                    }
                    Some(&next) => {
                        out.push(b'\\');
                        out.push(next);
                        i += 1;
                    }
                    None => out.push(b'\\'),
                },
                b'"' => out.extend_from_slice(b"\\\""),
                b'\'' => {
                    out.push(b'"');
                    state = State::Outside;
                }
                _ => out.push(b),
            },
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// The keys `CustNumOrName` is tried as, in order: the customer number (leading zeros
/// dropped, see [`canonical_number`]), then the exact trimmed name.
pub fn lookup_keys(cust_num_or_name: &str) -> Vec<Key> {
    let v = cust_num_or_name.trim();
    if v.is_empty() {
        return Vec::new();
    }
    vec![Key::Number(canonical_number(v)), Key::Name(v.to_owned())]
}

/// The query string of a Get for `key` (the client's side of [`lookup_keys`]); `None` for
/// keys ManEx cannot look up.
pub fn get_params(key: &Key) -> Option<Vec<(&'static str, String)>> {
    let value = match key {
        Key::Number(n) => manex_number(n.trim()),
        Key::Name(n) => n.trim().to_owned(),
        _ => return None,
    };
    Some(vec![(CUSTNUMORNAME, value)])
}

/// The parameter value that sets a record field to `v` (the client's side of the
/// validation): strings as they are, numbers in decimal notation, booleans as
/// `true`/`false`, `null` as the empty value (which clears a field).
pub fn param_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// The write parameters that set `desired`'s values where they differ from `baseline`
/// (both records as JSON objects), with `always` included whatever their values.
pub fn write_params(
    desired: &Map<String, Value>,
    baseline: &Map<String, Value>,
    always: &[&str],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (param, field) in WRITE_PARAMS {
        let d = desired.get(*field).unwrap_or(&Value::Null);
        let b = baseline.get(*field).unwrap_or(&Value::Null);
        if always.contains(param) || !same_value(d, b) {
            out.insert((*param).to_owned(), Value::String(param_value(d)));
        }
    }
    out
}

/// Whether two record values mean the same (trailing blanks of SQL `char` columns and
/// number formats aside).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.trim() == y.trim(),
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.trim().is_empty(),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ignore_case_and_values_are_trimmed() {
        let p = Params::from_query("CUSTNAME=%20Acme%20&status=Active&Territory=NEW+ENGLAND");
        assert_eq!(p.get("Custname").unwrap(), Some("Acme"));
        assert_eq!(p.get("STATUS").unwrap(), Some("Active"));
        assert_eq!(p.get("territory").unwrap(), Some("NEW ENGLAND"));
        assert_eq!(p.get("Phone").unwrap(), None);
        assert!(p.has("custName"));
    }

    #[test]
    fn the_seeds_stray_quote_is_dropped() {
        let p = Params::from_query("?CustName=CustomerName&Status=Active'");
        assert_eq!(p.get("Status").unwrap(), Some("Active"));
        let p = Params::from_query("CUSTNAME=O'Brien'");
        assert_eq!(p.get("Custname").unwrap(), Some("O'Brien'"));
        let p = Params::from_query("Custname=O'Brien");
        assert_eq!(p.get("Custname").unwrap(), Some("O'Brien"));
    }

    #[test]
    fn conflicting_values_are_refused() {
        let mut p = Params::from_query("Custname=A&CUSTNAME=A");
        assert_eq!(p.get("custname").unwrap(), Some("A"));
        p.extend_json(&serde_json::from_str(r#"{"custname":"B","Phone":[1]}"#).unwrap());
        let e = p.get("Custname").unwrap_err();
        assert_eq!(
            e.message,
            "Custname is given more than once with different values."
        );
        assert_eq!(
            p.get("Phone").unwrap_err().message,
            "Phone must be a single value."
        );
    }

    #[test]
    fn json_values_become_text_and_null_is_absent() {
        let mut p = Params::default();
        p.extend_json(
            &serde_json::from_str(r#"{"Credlimit":12.5,"Acctaxable":true,"Fax":null}"#).unwrap(),
        );
        assert_eq!(p.get("credlimit").unwrap(), Some("12.5"));
        assert_eq!(p.get("acctaxable").unwrap(), Some("true"));
        assert!(!p.has("fax"));
    }

    #[test]
    fn single_quotes_become_json() {
        let check = |raw: &str, expected: serde_json::Value| {
            let fixed = relaxed_json(raw.as_bytes());
            let v: serde_json::Value = serde_json::from_slice(&fixed)
                .unwrap_or_else(|e| panic!("{raw}: {e}: {}", String::from_utf8_lossy(&fixed)));
            assert_eq!(v, expected, "{raw}");
        };
        check(
            "{\n'CUSTNO':'0000000000',\n'territory':'NEW ENGLAND'\n}",
            serde_json::json!({"CUSTNO":"0000000000","territory":"NEW ENGLAND"}),
        );
        check(
            r#"{'a':'say "hi"','b':"it's",'c':'it\'s'}"#,
            serde_json::json!({"a":"say \"hi\"","b":"it's","c":"it's"}),
        );
        check(
            "{\n\u{a0}\"Custname\": \"A\u{a0}B\"\n}",
            serde_json::json!({"Custname":"A\u{a0}B"}),
        );
        check("\u{feff}{\"a\":1}", serde_json::json!({"a":1}));
        assert!(matches!(relaxed_json(br#"{"a":"b"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn lookups_try_the_number_then_the_name() {
        assert_eq!(
            lookup_keys(" 0000000010 "),
            vec![Key::Number("10".into()), Key::Name("0000000010".into())]
        );
        assert_eq!(
            lookup_keys("Customer"),
            vec![Key::Number("Customer".into()), Key::Name("Customer".into())]
        );
        assert!(lookup_keys("  ").is_empty());
        assert_eq!(
            get_params(&Key::Number("10".into())).unwrap(),
            vec![(CUSTNUMORNAME, "0000000010".to_owned())]
        );
        assert!(get_params(&Key::Email("a@b".into())).is_none());
    }

    #[test]
    fn write_params_carry_only_differences() {
        let desired = serde_json::json!({"CUSTNAME":"A","PHONE":"","CREDLIMIT":5,"STATUS":"Active","PROFILE":"x"});
        let baseline =
            serde_json::json!({"CUSTNAME":"A ","PHONE":"1","CREDLIMIT":5.0,"STATUS":"Quote"});
        let p = write_params(
            desired.as_object().unwrap(),
            baseline.as_object().unwrap(),
            &[CUSTNO],
        );
        assert_eq!(
            Value::Object(p),
            serde_json::json!({"Custno":"","Phone":"","Status":"Active"})
        );
    }
}
