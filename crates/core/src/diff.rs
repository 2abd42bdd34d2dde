//! What a write lost: the canonical fields a customer had before a backend stored it and
//! no longer has (or has changed) after.
//!
//! [`dropped_fields`] compares the customer that was `sent` with the one a backend `kept`
//! (typically a dialect's `convert::carried`, or what an upstream answered) and names every
//! loss by its canonical path: the field names of the JSON form of [`Customer`], dots
//! between levels and `[i]` for array elements (`name.middle`, `finance.credit_limit`,
//! `phones[1].kind`, `addresses[0].district`, `extensions.tenant.cusFoo`, `meta.x`). Paths
//! are sorted (as strings) and distinct.
//!
//! ## The rules
//!
//! - **What the backend assigns is not a loss:** `id`, `seq`, `version`, `created_at` and
//!   `updated_at` are never compared. `number` is compared like any field, so a number the
//!   backend assigns where `sent` had none is not a loss either, while a number `sent` had
//!   and `kept` changed is.
//! - **Only what `sent` has counts.** A typed field counts when it holds a value other
//!   than its default: `null`, a blank string, `false` and `0` are not data, so a backend
//!   that writes `false` for an unset flag or drops an empty note loses nothing. In the
//!   free-form maps (`meta`, `custom`, `extensions`, `cards[i].meta`) every member that is
//!   not `null` counts, `false`, `0`, `""` and `{}` included: there a member's presence is
//!   the data.
//! - **Values are compared as the canonical JSON shows them**, after the normalisation a
//!   dialect legitimately applies: strings are equal when they are equal once trimmed
//!   and compared without regard to case (dialects trim values and normalise the case of
//!   codes: `sa` → `SA`, `Male` → `male`, `crn` → `CRN`); two date-times are equal when they
//!   are the same instant, whatever their offset (a truncated fraction is a change);
//!   numbers are equal by value (`1000` and `1000.0`; decimals compare as the JSON numbers
//!   they serialise to). Anything else must be equal as JSON.
//! - **What `kept` adds is not reported:** a field `sent` did not have, a default flag
//!   set on the only email, a dialect's own extension.
//! - **Objects** are compared member by member; an object `kept` lacks altogether
//!   reports each of the members `sent` had (`finance.credit_balance.amount`), never the
//!   object itself, so the paths always name fields.
//! - **Arrays** are compared element by element. Elements are paired before comparing, so
//!   a backend that keeps some elements, or reorders them, is not charged for the shift:
//!   first each element `kept` holds unchanged (its own position first, then any other),
//!   then the remaining pairs most alike (the most equal fields, ties by position),
//!   and when both arrays have the same length the rest in order. A paired element reports
//!   the fields it lost (`phones[1].kind`); an element left without a partner is missing
//!   and reports its own path (`emails[2]`). An element counts whatever it holds: an
//!   empty string dropped from `sales.reps` is an element lost. Paths use the index in
//!   `sent`.

use std::collections::BTreeSet;

use chrono::DateTime;
use serde_json::Value;

use crate::model::Customer;

/// Fields the backend assigns, never compared.
const ASSIGNED: [&str; 5] = ["id", "seq", "version", "created_at", "updated_at"];

/// Top-level members whose contents are free-form JSON.
const FREE_FORM: [&str; 3] = ["meta", "custom", "extensions"];

/// The canonical paths of what `sent` has and `kept` lost or changed, sorted and distinct
/// (see the [module documentation](self) for the rules).
pub fn dropped_fields(sent: &Customer, kept: &Customer) -> Vec<String> {
    let mut sent = json(sent);
    if let Value::Object(members) = &mut sent {
        for key in ASSIGNED {
            members.remove(key);
        }
    }
    let mut out = BTreeSet::new();
    walk(&sent, &json(kept), "", false, &mut out);
    out.into_iter().collect()
}

/// Gives `kept` the fields a backend assigns (`id`, `seq`, `version`, `created_at`,
/// `updated_at`) of `sent`: the ones [`dropped_fields`] never compares. A dialect's
/// `convert::carried` uses it so that a customer its upstream holds entirely comes back
/// equal to itself.
pub fn keep_assigned(sent: &Customer, kept: &mut Customer) {
    kept.id = sent.id.clone();
    kept.seq = sent.seq;
    kept.version = sent.version;
    kept.created_at = sent.created_at;
    kept.updated_at = sent.updated_at;
}

/// The JSON form of a customer. Every field of [`Customer`] is plain data (strings,
/// numbers, decimals as floats, maps with string keys), so serialising cannot fail.
fn json(c: &Customer) -> Value {
    serde_json::to_value(c).expect("a customer serialises to JSON")
}

/// Whether a member at `path` holds no data. In free-form JSON only `null` is empty.
fn is_empty(v: &Value, free: bool) -> bool {
    match v {
        Value::Null => true,
        _ if free => false,
        Value::Bool(b) => !b,
        Value::String(s) => s.trim().is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// Whether two scalars are equal after normalisation.
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            let (x, y) = (x.trim(), y.trim());
            if x == y {
                return true;
            }
            if let (Ok(tx), Ok(ty)) = (
                DateTime::parse_from_rfc3339(x),
                DateTime::parse_from_rfc3339(y),
            ) {
                return tx == ty;
            }
            x.to_lowercase() == y.to_lowercase()
        }
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Whether member `key` of the value at `path` holds free-form JSON.
fn free_form_member(path: &str, key: &str) -> bool {
    if path.is_empty() {
        return FREE_FORM.contains(&key);
    }
    // `cards[i].meta`.
    key == "meta"
        && path
            .strip_prefix("cards[")
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
}

/// Adds to `out` the paths under `path` that `sent` has and `kept` lost or changed.
fn walk(sent: &Value, kept: &Value, path: &str, free: bool, out: &mut BTreeSet<String>) {
    match sent {
        Value::Object(members) => {
            let empty = serde_json::Map::new();
            let kept_members = kept.as_object().unwrap_or(&empty);
            if free && members.is_empty() && !kept.is_object() {
                out.insert(path.to_owned());
                return;
            }
            for (key, value) in members {
                let free = free || free_form_member(path, key);
                if is_empty(value, free) {
                    continue;
                }
                let other = kept_members.get(key).unwrap_or(&Value::Null);
                walk(value, other, &join(path, key), free, out);
            }
        }
        Value::Array(items) => {
            let none = Vec::new();
            let kept_items = kept.as_array().unwrap_or(&none);
            if free && items.is_empty() && !kept.is_array() {
                out.insert(path.to_owned());
                return;
            }
            let pairs = pair(items, kept_items, free);
            for (i, (item, partner)) in items.iter().zip(pairs).enumerate() {
                let item_path = format!("{path}[{i}]");
                match partner {
                    Some(j) => walk(item, &kept_items[j], &item_path, free, out),
                    None => {
                        out.insert(item_path);
                    }
                }
            }
        }
        scalar => {
            if !same_scalar(scalar, kept) {
                out.insert(path.to_owned());
            }
        }
    }
}

/// Whether `kept` holds everything `sent` has.
fn holds(sent: &Value, kept: &Value, free: bool) -> bool {
    let mut lost = BTreeSet::new();
    walk(sent, kept, "", free, &mut lost);
    lost.is_empty()
}

/// How many of the data leaves of `sent` `kept` holds unchanged.
fn likeness(sent: &Value, kept: &Value, free: bool) -> usize {
    match sent {
        Value::Object(members) => members
            .iter()
            .filter(|(_, v)| !is_empty(v, free))
            .map(|(k, v)| likeness(v, kept.get(k).unwrap_or(&Value::Null), free))
            .sum(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| likeness(v, kept.get(i).unwrap_or(&Value::Null), free))
            .sum(),
        scalar => usize::from(!is_empty(scalar, free) && same_scalar(scalar, kept)),
    }
}

/// The element of `kept` each element of `sent` is compared with, if any.
fn pair(sent: &[Value], kept: &[Value], free: bool) -> Vec<Option<usize>> {
    let mut partner: Vec<Option<usize>> = vec![None; sent.len()];
    let mut taken = vec![false; kept.len()];

    // Elements kept unchanged: at their own position first, then anywhere.
    for (i, item) in sent.iter().enumerate() {
        if i < kept.len() && holds(item, &kept[i], free) {
            partner[i] = Some(i);
            taken[i] = true;
        }
    }
    for (i, item) in sent.iter().enumerate() {
        if partner[i].is_some() {
            continue;
        }
        if let Some(j) = (0..kept.len()).find(|&j| !taken[j] && holds(item, &kept[j], free)) {
            partner[i] = Some(j);
            taken[j] = true;
        }
    }

    // Changed elements: the pair most alike first.
    loop {
        let mut best: Option<(usize, usize, usize)> = None;
        for (i, item) in sent.iter().enumerate() {
            if partner[i].is_some() {
                continue;
            }
            for (j, other) in kept.iter().enumerate() {
                if taken[j] {
                    continue;
                }
                let score = likeness(item, other, free);
                if score == 0 {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((s, bi, bj)) => score > s || (score == s && bi == i && j == i && bj != i),
                };
                if better {
                    best = Some((score, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else { break };
        partner[i] = Some(j);
        taken[j] = true;
    }

    // Arrays of one length: what is left pairs in order.
    if sent.len() == kept.len() {
        let mut rest = (0..kept.len()).filter(|&j| !taken[j]);
        for p in partner.iter_mut().filter(|p| p.is_none()) {
            *p = rest.next();
        }
    }
    partner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, AddressKind, Card, Email, Phone, PhoneKind, Status};
    use crate::Version;
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;
    use serde_json::json;

    fn email(address: &str, default: bool) -> Email {
        Email {
            address: address.into(),
            description: None,
            default,
        }
    }

    fn phone(kind: PhoneKind, number: &str) -> Phone {
        Phone {
            kind,
            number: number.into(),
            ..Phone::default()
        }
    }

    fn check(sent: &Customer, kept: &Customer, expected: &[&str]) {
        assert_eq!(dropped_fields(sent, kept), expected);
    }

    #[test]
    fn an_identical_customer_loses_nothing() {
        let mut c = Customer::new();
        c.name.first = Some("John".into());
        c.emails = vec![email("a@x.io", true)];
        c.meta.insert("tier".into(), json!("gold"));
        check(&c, &c.clone(), &[]);
        check(&Customer::default(), &Customer::new(), &[]);
    }

    #[test]
    fn what_the_backend_assigns_is_ignored() {
        let sent = Customer::new();
        let mut kept = Customer::new();
        kept.seq = Some(7);
        kept.number = Some("7".into());
        kept.version = Version::new(3).unwrap();
        kept.created_at = Some(Utc::now());
        kept.updated_at = kept.created_at;
        check(&sent, &kept, &[]);

        // A number the sender chose is data.
        let mut sent = Customer::new();
        sent.number = Some("C-77".into());
        sent.seq = Some(1);
        check(&sent, &kept, &["number"]);
        kept.number = None;
        check(&sent, &kept, &["number"]);
    }

    #[test]
    fn nested_fields_are_named_by_their_paths() {
        let mut sent = Customer::new();
        sent.name.first = Some("John".into());
        sent.name.middle = Some("Q".into());
        sent.finance.credit_limit = Some(Decimal::new(1000, 0));
        sent.finance.credit_balance = Some(crate::Money {
            amount: Decimal::new(5, 0),
            currency: Some("EUR".into()),
        });
        sent.locale.gender = Some("male".into());
        sent.status = Status::Blocked;
        let mut kept = Customer::new();
        kept.name.first = Some("John".into());
        kept.finance.credit_limit = Some(Decimal::new(999, 0));
        check(
            &sent,
            &kept,
            &[
                "finance.credit_balance.amount",
                "finance.credit_balance.currency",
                "finance.credit_limit",
                "locale.gender",
                "name.middle",
                "status",
            ],
        );
    }

    #[test]
    fn defaults_in_typed_fields_are_not_data() {
        let mut sent = Customer::new();
        sent.note = Some("  ".into());
        sent.finance.discount_rate = Some(Decimal::ZERO);
        sent.finance.taxable = Some(false);
        sent.finance.credit_balance = Some(crate::Money::default());
        sent.name.first = Some(String::new());
        check(&sent, &Customer::new(), &[]);
    }

    #[test]
    fn free_form_members_count_when_present() {
        let mut sent = Customer::new();
        sent.meta.insert("vip".into(), json!(false));
        sent.meta.insert("score".into(), json!(0));
        sent.meta.insert("gone".into(), Value::Null);
        sent.meta
            .insert("nested".into(), json!({"a": {"b": 1}, "empty": {}}));
        sent.custom.insert("x".into(), json!([1, 2]));
        sent.extension_mut("tenant")
            .insert("cusFoo".into(), json!("bar"));
        sent.cards = vec![Card {
            serial_number: "S1".into(),
            meta: Some([("pin".to_owned(), json!(""))].into_iter().collect()),
            ..Card::default()
        }];
        let mut kept = Customer::new();
        kept.meta.insert("vip".into(), json!(false));
        kept.custom.insert("x".into(), json!([1]));
        kept.cards = vec![Card {
            serial_number: "S1".into(),
            ..Card::default()
        }];
        check(
            &sent,
            &kept,
            &[
                "cards[0].meta.pin",
                "custom.x[1]",
                "extensions.tenant.cusFoo",
                "meta.nested.a.b",
                "meta.nested.empty",
                "meta.score",
            ],
        );
    }

    #[test]
    fn normalised_values_are_equal() {
        let mut sent = Customer::new();
        sent.addresses = vec![Address {
            kind: AddressKind::Billing,
            city: Some(" Oslo ".into()),
            country_code: Some("no".into()),
            ..Address::default()
        }];
        sent.locale.gender = Some("Male".into());
        sent.activation_time = Some(Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap());
        sent.finance.credit_limit = Some("1000".parse().unwrap());
        sent.meta
            .insert("when".into(), json!("2024-01-01T13:00:00+01:00"));
        let mut kept = sent.clone();
        kept.addresses[0].city = Some("Oslo".into());
        kept.addresses[0].country_code = Some("NO".into());
        kept.locale.gender = Some("male".into());
        kept.finance.credit_limit = Some("1000.00".parse().unwrap());
        kept.meta
            .insert("when".into(), json!("2024-01-01T12:00:00Z"));
        check(&sent, &kept, &[]);

        // A truncated fraction is a change.
        sent.activation_time = Some(
            DateTime::parse_from_rfc3339("2024-01-01T12:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        kept.activation_time = Some(
            DateTime::parse_from_rfc3339("2024-01-01T12:00:00.123Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        check(&sent, &kept, &["activation_time"]);
    }

    #[test]
    fn equal_length_arrays_compare_element_wise() {
        let mut sent = Customer::new();
        sent.phones = vec![phone(PhoneKind::Mobile, "+1"), phone(PhoneKind::Fax, "+2")];
        let mut kept = sent.clone();
        kept.phones[1].kind = PhoneKind::Phone;
        check(&sent, &kept, &["phones[1].kind"]);

        // Nothing alike: still paired in order, field by field.
        kept.phones = vec![phone(PhoneKind::Phone, "+8"), phone(PhoneKind::Phone, "+9")];
        check(
            &sent,
            &kept,
            &[
                "phones[0].kind",
                "phones[0].number",
                "phones[1].kind",
                "phones[1].number",
            ],
        );
    }

    #[test]
    fn reordered_elements_are_not_losses() {
        let mut sent = Customer::new();
        sent.emails = vec![email("a@x.io", false), email("b@x.io", true)];
        let mut kept = Customer::new();
        kept.emails = vec![email("b@x.io", true), email("a@x.io", false)];
        check(&sent, &kept, &[]);
    }

    #[test]
    fn missing_elements_are_named_by_their_index_in_sent() {
        let mut sent = Customer::new();
        sent.emails = vec![
            email("a@x.io", false),
            email("b@x.io", true),
            email("c@x.io", false),
        ];
        let mut kept = Customer::new();
        kept.emails = vec![email("b@x.io", true)];
        check(&sent, &kept, &["emails[0]", "emails[2]"]);

        // A changed element is paired with the one most like it.
        sent.phones = vec![
            phone(PhoneKind::Phone, "+47 1"),
            Phone {
                country_code: Some("966".into()),
                description: Some("work".into()),
                default: true,
                ..phone(PhoneKind::Mobile, "+966555")
            },
            phone(PhoneKind::Fax, "+47 2"),
        ];
        kept.phones = vec![Phone {
            country_code: Some("966".into()),
            default: true,
            ..phone(PhoneKind::Mobile, "+966555")
        }];
        assert_eq!(
            dropped_fields(&sent, &kept),
            [
                "emails[0]",
                "emails[2]",
                "phones[0]",
                "phones[1].description",
                "phones[2]"
            ]
        );
    }

    #[test]
    fn array_elements_count_whatever_they_hold() {
        let mut sent = Customer::new();
        sent.sales.reps = vec!["a".into(), String::new()];
        sent.addresses = vec![Address::default()];
        let mut kept = Customer::new();
        kept.sales.reps = vec!["a".into()];
        check(&sent, &kept, &["addresses[0]", "sales.reps[1]"]);
    }

    #[test]
    fn what_kept_adds_is_not_reported() {
        let mut sent = Customer::new();
        sent.emails = vec![email("a@x.io", false)];
        let mut kept = sent.clone();
        kept.emails[0].default = true;
        kept.emails.push(email("extra@x.io", false));
        kept.name.display = Some("Shown".into());
        kept.extension_mut("ndata")
            .insert("other".into(), json!({"x": 1}));
        check(&sent, &kept, &[]);
    }

    #[test]
    fn the_result_is_sorted_and_distinct() {
        let mut sent = Customer::new();
        sent.note = Some("n".into());
        sent.name.last = Some("L".into());
        sent.addresses = vec![Address {
            lines: vec!["1".into(), "2".into()],
            ..Address::default()
        }];
        let kept = Customer::new();
        let got = dropped_fields(&sent, &kept);
        let mut sorted = got.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(got, sorted);
        assert_eq!(got, ["addresses[0]", "name.last", "note"]);
        assert_eq!(dropped_fields(&sent, &kept), got);
    }
}
