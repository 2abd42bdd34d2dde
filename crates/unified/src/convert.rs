//! Request bodies → canonical customers, naming every failing field.
//!
//! The facade's body *is* the canonical [`Customer`] serialization, so there is no wire
//! type to convert from; what this module adds is error reporting: a body that does not
//! deserialize is probed field by field so that every wrong field is named with its path
//! (`addresses[0].kind`), unknown fields are refused by name, and the semantic checks of
//! [`crate::validate`] run on whatever did deserialize.

use std::fmt::Write as _;

use custgate_core::{Customer, CustomerId, Error, FieldError, Result};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::validate;

/// Fields the server writes (the store's, and `dropped_fields` of a write's answer);
/// ignored when a client sends them, so that an answer can be sent back as it came.
pub const SERVER_FIELDS: [&str; 5] = [
    "seq",
    "version",
    "created_at",
    "updated_at",
    "dropped_fields",
];

/// The most field errors one answer lists; a body with more says how many were left out.
pub const MAX_FIELD_ERRORS: usize = 100;

/// What the body is for.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// `POST`: the id is optional; a fresh one is generated when absent.
    Create,
    /// `PUT /customers/{id}`: the id is the path's; a body id must be the same.
    Replace(&'a CustomerId),
}

fn field_error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Turns a parsed JSON body into a customer, or a validation error naming every failing
/// field.
pub fn customer_from_json(body: Value, target: Target<'_>) -> Result<Customer> {
    let Value::Object(mut map) = body else {
        return Err(Error::validation_field(
            "body",
            "must be a JSON object describing a customer",
        ));
    };
    for f in SERVER_FIELDS {
        map.remove(f);
    }
    let mut errors = Vec::new();
    let id = match (map.remove("id"), target) {
        (None | Some(Value::Null), Target::Create) => Some(CustomerId::generate()),
        (None | Some(Value::Null), Target::Replace(path)) => Some(path.clone()),
        (Some(Value::String(s)), target) => match CustomerId::parse(&s) {
            Ok(id) => match target {
                Target::Replace(path) if *path != id => {
                    errors.push(field_error("id", "must be the id in the path, or left out"));
                    None
                }
                _ => Some(id),
            },
            Err(e) => {
                let why = e
                    .fields()
                    .first()
                    .map_or(e.message(), |f| f.message.as_str());
                errors.push(field_error("id", why));
                None
            }
        },
        (Some(_), _) => {
            errors.push(field_error("id", "must be a string"));
            None
        }
    };

    let mut input = Value::Object(map);
    let mut shape_paths = Vec::new();
    let parsed = match Customer::deserialize(&input) {
        Ok(c) => Some(c),
        Err(whole) => {
            let mut found = Vec::new();
            if let Value::Object(m) = &input {
                for (k, v) in m {
                    walk(&mut vec![Seg::Key(k.clone())], v, &mut found);
                }
            }
            if found.is_empty() {
                // Not expected: every failure belongs to some field. Report it whole.
                errors.push(field_error("body", whole.to_string()));
                None
            } else {
                for (path, _) in found.iter().rev() {
                    remove(&mut input, path);
                }
                for (path, message) in found {
                    let shown = show(&path);
                    errors.push(field_error(&shown, message));
                    shape_paths.push(shown);
                }
                Customer::deserialize(&input).ok()
            }
        }
    };

    if let Some(mut customer) = parsed {
        let output = serde_json::to_value(&customer)
            .map_err(|e| Error::unexpected(format!("a customer did not serialize: {e}")))?;
        unknown_fields(&mut Vec::new(), &input, &output, &mut errors);
        if let Some(id) = id {
            customer.id = id;
        }
        // What is already reported (a wrong type, a removed value) is not reported
        // again by the semantic checks.
        shape_paths.extend(errors.iter().map(|e| e.field.clone()));
        errors.extend(
            validate::check(&customer)
                .into_iter()
                .filter(|e| !covered(&e.field, &shape_paths)),
        );
        if errors.is_empty() {
            return Ok(customer);
        }
    }
    if errors.len() > MAX_FIELD_ERRORS {
        let more = errors.len() - MAX_FIELD_ERRORS;
        errors.truncate(MAX_FIELD_ERRORS);
        errors.push(field_error(
            "body",
            format!("has {more} more problems not listed"),
        ));
    }
    Err(Error::validation(errors))
}

/// Whether `field` is at or under one of `paths` (already reported).
fn covered(field: &str, paths: &[String]) -> bool {
    paths.iter().any(|p| {
        field == p
            || field
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// One step of a path into the body.
#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `addresses[0].city`.
fn show(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Whether a customer holding only `value` at `path` deserializes; the error if not. An
/// index becomes a one-element array, so each element is checked on its own.
fn probe(path: &[Seg], value: &Value) -> Option<String> {
    let mut skeleton = value.clone();
    for seg in path.iter().rev() {
        skeleton = match seg {
            Seg::Key(k) => {
                let mut m = Map::new();
                m.insert(k.clone(), skeleton);
                Value::Object(m)
            }
            Seg::Index(_) => Value::Array(vec![skeleton]),
        };
    }
    serde_json::from_value::<Customer>(skeleton)
        .err()
        .map(|e| e.to_string())
}

/// Finds the innermost failing values under `path`.
fn walk(path: &mut Vec<Seg>, value: &Value, out: &mut Vec<(Vec<Seg>, String)>) {
    if out.len() > MAX_FIELD_ERRORS {
        return;
    }
    let Some(message) = probe(path, value) else {
        return;
    };
    let before = out.len();
    let takes_object = probe(path, &Value::Object(Map::new())).is_none();
    match value {
        // serde reads a struct from an array too (by position); the facade does not.
        Value::Array(_) if takes_object => {
            out.push((path.clone(), NOT_AN_ARRAY.to_owned()));
            return;
        }
        // Descend only where a container of this kind belongs; otherwise the container
        // itself is the mistake.
        Value::Object(m) if takes_object => {
            for (k, v) in m {
                path.push(Seg::Key(k.clone()));
                walk(path, v, out);
                path.pop();
            }
        }
        Value::Array(a) if probe(path, &Value::Array(Vec::new())).is_none() => {
            for (i, v) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(path, v, out);
                path.pop();
            }
        }
        _ => {}
    }
    if out.len() == before {
        out.push((path.clone(), message));
    }
}

const NOT_AN_ARRAY: &str = "must be a JSON object, not an array";

/// Removes the value at `path` (a key from its object, an element from its array).
fn remove(root: &mut Value, path: &[Seg]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = root;
    for seg in parents {
        let next = match (seg, cur) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(k),
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return,
        }
    }
    match (last, cur) {
        (Seg::Key(k), Value::Object(m)) => {
            m.remove(k);
        }
        (Seg::Index(i), Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Reports every key of `input` that the customer's own serialization does not have.
/// Free-form maps (`meta`, `custom`, `extensions`) keep every key, so only names the model
/// does not know are reported.
fn unknown_fields(path: &mut Vec<Seg>, input: &Value, output: &Value, out: &mut Vec<FieldError>) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, iv) in i {
                path.push(Seg::Key(k.clone()));
                match o.get(k) {
                    None => out.push(field_error(show(path), "is not a field of a customer")),
                    Some(ov) => unknown_fields(path, iv, ov, out),
                }
                path.pop();
            }
        }
        (Value::Array(_), Value::Object(_)) => {
            out.push(field_error(show(path), NOT_AN_ARRAY));
        }
        (Value::Array(i), Value::Array(o)) => {
            for (n, (iv, ov)) in i.iter().zip(o).enumerate() {
                path.push(Seg::Index(n));
                unknown_fields(path, iv, ov, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Converts `body` for a create and compares the failing fields with `expected`
    /// (empty: the body is accepted).
    fn check(body: Value, expected: &[&str]) {
        let got: Vec<String> = match customer_from_json(body.clone(), Target::Create) {
            Ok(_) => Vec::new(),
            Err(e) => e.fields().iter().map(|f| f.field.clone()).collect(),
        };
        assert_eq!(got, expected, "body: {body}");
    }

    #[test]
    fn bodies_name_every_failing_field() {
        check(json!({}), &[]);
        check(
            json!({"name": {"display": "Jo"}, "emails": [{"address": "jo@x.io"}]}),
            &[],
        );
        check(json!([]), &["body"]);
        check(json!({"id": 5}), &["id"]);
        check(json!({"id": "a/b"}), &["id"]);
        check(json!({"status": "vip"}), &["status"]);
        check(
            json!({"status": "vip", "kind": 3, "name": {"first": 1, "last": "ok"}}),
            &["kind", "name.first", "status"],
        );
        check(
            json!({"emails": [{"address": "ok@x.io"}, {"address": "a@x", "default": "yes"}]}),
            &["emails[1].default"],
        );
        check(json!({"emails": [{"address": 5}]}), &["emails[0].address"]);
        check(json!({"emails": {"address": "x@y"}}), &["emails"]);
        check(json!({"finance": []}), &["finance"]);
        check(json!({"finance": [5000]}), &["finance"]);
        check(json!({"finance": ["x"]}), &["finance"]);
        check(json!({"emails": [[]]}), &["emails[0]"]);
        check(json!({"meta": []}), &["meta"]);
        check(
            json!({"finance": {"credit_limit": "lots"}}),
            &["finance.credit_limit"],
        );
        check(json!({"extensions": {"odata": 5}}), &["extensions.odata"]);
        check(json!({"meta": {"anything": [1, {"x": null}]}}), &[]);
        check(
            json!({"emial": "x@y", "name": {"dispaly": "x"}}),
            &["emial", "name.dispaly"],
        );
        check(
            json!({"addresses": [{"cty": "Riyadh"}]}),
            &["addresses[0].cty"],
        );
        check(
            json!({"status": "vip", "emial": "x", "emails": [{"address": "nope"}]}),
            &["status", "emial", "emails[0].address"],
        );
        // A wrongly typed field is reported once, not again by the semantic checks.
        check(
            json!({"emails": [{"address": 5}], "tax": {"vat": 1}}),
            &["emails[0].address", "tax.vat"],
        );
    }

    #[test]
    fn a_flood_of_mistakes_is_cut_short() {
        let body = json!({"emails": vec![json!(1); 5000], "note": 5});
        let e = customer_from_json(body, Target::Create).unwrap_err();
        assert_eq!(e.fields().len(), MAX_FIELD_ERRORS + 1);
        assert_eq!(e.fields()[0].field, "emails[0]");
        let last = e.fields().last().unwrap();
        assert_eq!(last.field, "body");
        assert!(last.message.contains("more problems"), "{}", last.message);
    }

    #[test]
    fn server_fields_are_ignored_and_ids_kept_or_made() {
        let c = customer_from_json(
            json!({"id": "c-1", "seq": "x", "version": 99, "created_at": "never",
                   "dropped_fields": ["name.middle"]}),
            Target::Create,
        )
        .unwrap();
        assert_eq!(c.id.as_str(), "c-1");
        assert_eq!(c.version.get(), 1);
        assert_eq!(c.seq, None);
        let fresh = customer_from_json(json!({"id": null}), Target::Create).unwrap();
        assert_eq!(fresh.id.as_str().len(), 36);

        let path = CustomerId::parse("c-1").unwrap();
        let same = customer_from_json(json!({"id": "c-1"}), Target::Replace(&path)).unwrap();
        assert_eq!(same.id, path);
        let absent = customer_from_json(json!({}), Target::Replace(&path)).unwrap();
        assert_eq!(absent.id, path);
        let e = customer_from_json(json!({"id": "c-2"}), Target::Replace(&path)).unwrap_err();
        assert_eq!(e.fields()[0].field, "id");
    }

    #[test]
    fn a_full_customer_round_trips() {
        let mut c = Customer::new();
        c.name.display = Some("Acme".into());
        c.emails.push(custgate_core::Email {
            address: "a@acme.io".into(),
            default: true,
            ..Default::default()
        });
        c.addresses.push(custgate_core::Address {
            country_code: Some("SA".into()),
            ..Default::default()
        });
        c.finance.credit_balance = Some(custgate_core::Money {
            amount: rust_decimal::Decimal::new(1050, 2),
            currency: Some("SAR".into()),
        });
        c.extension_mut("odata").insert("GLN".into(), json!("123"));
        let body = serde_json::to_value(&c).unwrap();
        let back = customer_from_json(body, Target::Create).unwrap();
        assert_eq!(back, c);
    }
}
