//! Golden fixtures: the seed's own examples, parsed and written again, and Appendix A
//! through the canonical model and back.

mod common;

use common::*;
use custgate_core::{Customer, CustomerKind, Status};
use custgate_odata::convert::{self, Mode};
use custgate_odata::wire::{self, ServerError, ValidationObject};
use custgate_testkit::fixtures::{seed_json, seed_text};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Parses a fixture into its wire type and checks that writing it again gives `expected`.
fn check<T: Serialize + DeserializeOwned>(fixture: &str, expected: &Value) {
    let parsed: T = serde_json::from_str(fixture).expect("the fixture parses");
    assert_eq!(&serde_json::to_value(&parsed).unwrap(), expected);
}

fn fixture(name: &str) -> (String, Value) {
    let dir = env!("CARGO_MANIFEST_DIR");
    (seed_text(dir, name), seed_json(dir, name))
}

#[test]
fn seed_examples_re_emit_exactly() {
    let (text, value) = fixture("appendix_a.json");
    check::<wire::Customer>(&text, &value);
    let (text, value) = fixture("validation_error.json");
    check::<ValidationObject>(&text, &value);
    let (text, value) = fixture("server_error.json");
    check::<ServerError>(&text, &value);
}

/// What the store does on create: seq, number, timestamps.
fn as_stored(mut c: Customer) -> Customer {
    c.seq = Some(1);
    if c.number.is_none() {
        c.number = Some("1".into());
    }
    let t = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z")
        .unwrap()
        .into();
    c.created_at = Some(t);
    c.updated_at = Some(t);
    c
}

#[test]
fn appendix_a_through_the_canonical_model() {
    let w = convert::parse_customer(appendix_a(), "").unwrap();
    let c = as_stored(convert::apply(None, &w, Mode::Create).unwrap());
    assert_eq!(c.display_name().as_deref(), Some("John Doe"));
    assert_eq!(c.identification("ORG"), Some("914012708"));
    assert_eq!(c.kind, Some(CustomerKind::Company));
    assert_eq!(c.status, Status::Active);
    assert_eq!(c.phones[0].number, "+979834834678");
    assert_eq!(c.emails[0].address, "user@softrig.com");
    assert_eq!(c.addresses.len(), 2);
    let t = json!("2026-01-02T03:04:05.678Z");
    assert_eq!(convert::to_json(&c), appendix_a_saved(&t, &t));

    // The canonical record survives JSON (the store's and the facade's form) unchanged.
    let json = serde_json::to_string(&c).unwrap();
    let back: Customer = serde_json::from_str(&json).unwrap();
    assert_eq!(convert::to_json(&back), appendix_a_saved(&t, &t));

    // Read back from an upstream, the saved entity is the same record again.
    let saved = appendix_a_saved(&t, &t);
    let imported = convert::apply(
        None,
        &convert::parse_customer(saved.clone(), "").unwrap(),
        Mode::Import,
    )
    .unwrap();
    assert_eq!(convert::to_json(&imported), saved);
}

#[test]
fn an_unchanged_put_changes_nothing() {
    let w = convert::parse_customer(appendix_a(), "").unwrap();
    let c = as_stored(convert::apply(None, &w, Mode::Create).unwrap());
    let shown = convert::to_json(&c);
    let again = convert::apply(
        Some(&c),
        &convert::parse_customer(shown, "").unwrap(),
        Mode::Update,
    )
    .unwrap();
    assert_eq!(again, c);
    let empty = convert::apply(
        Some(&c),
        &convert::parse_customer(json!({}), "").unwrap(),
        Mode::Update,
    )
    .unwrap();
    assert_eq!(empty, c);
}
