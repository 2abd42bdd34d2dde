//! Golden fixtures: the seed's own examples, parsed and re-emitted exactly, and carried
//! through the canonical model and back.

use custgate_core::{
    eval, AddressKind, CmpOp, Count, Customer, CustomerKind, Field, Filter, Query, SortKey, TextOp,
    Value,
};
use custgate_tenant::convert::{from_record, new_customer, to_body, to_record};
use custgate_tenant::query::ListParams;
use custgate_tenant::validate::check_body;
use custgate_tenant::wire::{CustomerBody, CustomerRecord};
use custgate_testkit::fixtures::seed_json;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn fixture(name: &str) -> serde_json::Value {
    seed_json(env!("CARGO_MANIFEST_DIR"), name)
}

/// Parses a fixture as `T`, re-emits it and compares with the seed's JSON; returns the
/// parsed value.
fn check<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let seed = fixture(name);
    let parsed: T = serde_json::from_value(seed.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = serde_json::to_value(&parsed).unwrap();
    assert_eq!(again, seed, "{name} does not re-emit as the seed wrote it");
    parsed
}

#[test]
fn seed_responses_re_emit_exactly() {
    let list: Vec<CustomerRecord> = check("list_response.json");
    assert_eq!(list.len(), 1);
    let one: CustomerRecord = check("get_response.json");
    assert_eq!(list[0], one);
}

#[test]
fn seed_requests_re_emit_exactly_and_are_valid() {
    for name in [
        "create_request.json",
        "update_request.json",
        "curl_create_request.json",
    ] {
        let body: CustomerBody = check(name);
        check_body(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The lenient reader (case-insensitive, per-field errors) reads the same.
        assert_eq!(CustomerBody::from_json(&fixture(name)).unwrap().body, body);
    }
}

#[test]
fn seed_responses_survive_the_canonical_model() {
    let one: CustomerRecord = check("get_response.json");
    let c = from_record(&one).unwrap();
    assert_eq!(c.seq, Some(1));
    assert_eq!(c.name.display.as_deref(), Some("John Doe"));
    assert_eq!(c.phones[0].number, "+966555555555");
    assert_eq!(c.kind, Some(CustomerKind::Person));
    assert_eq!(c.identification("NAT"), Some("123456789"));
    assert_eq!(c.default_email().unwrap().address, "john@example.com");
    assert_eq!(c.tax.vat.as_deref(), Some("300000000000003"));
    let back = serde_json::to_value(to_record(&c).unwrap()).unwrap();
    assert_eq!(back, fixture("get_response.json"));

    // Through the canonical JSON too (what the facade and the SQL store keep).
    let json = serde_json::to_string(&c).unwrap();
    let stored: Customer = serde_json::from_str(&json).unwrap();
    assert_eq!(
        serde_json::to_value(to_record(&stored).unwrap()).unwrap(),
        back
    );
}

#[test]
fn seed_requests_survive_the_canonical_model() {
    let body: CustomerBody = check("create_request.json");
    let mut c = new_customer(&body);
    assert_eq!(c.kind, Some(CustomerKind::Company));
    let a = c.address_of(AddressKind::Billing).unwrap();
    assert_eq!(
        (
            a.building_no.as_deref(),
            a.street.as_deref(),
            a.city.as_deref(),
            a.postal_code.as_deref()
        ),
        (
            Some("123"),
            Some("Main Street"),
            Some("Riyadh"),
            Some("12345")
        )
    );
    assert_eq!(c.tax.tin.as_deref(), Some("123456789012345"));
    assert_eq!(to_body(&c), body);
    c.seq = Some(1);
    let record = serde_json::to_value(to_record(&c).unwrap()).unwrap();
    let mut expected = fixture("create_request.json");
    expected["cusId"] = 1.into();
    assert_eq!(
        record, expected,
        "the read shape carries every written field"
    );
}

fn pairs(query_string: &str) -> Vec<(String, String)> {
    serde_urlencoded_pairs(query_string.trim_start_matches('?'))
}

/// A minimal `application/x-www-form-urlencoded` reader for the fixtures (the only escapes
/// in them are `%40` and `%2B`).
fn serde_urlencoded_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                k.to_owned(),
                v.replace('+', " ").replace("%40", "@").replace("%2B", "+"),
            )
        })
        .collect()
}

#[test]
fn seed_list_queries_parse_to_the_documented_canonical_queries() {
    let queries: Vec<String> = serde_json::from_value(fixture("list_queries.json")).unwrap();
    let eq = |field, v: &str| Filter::Compare {
        field,
        op: CmpOp::Eq,
        value: Value::text(v),
    };
    let by_seq = vec![SortKey::asc(Field::Seq)];
    let expected: Vec<(Option<Filter>, Vec<SortKey>, u64, u32)> = vec![
        (
            Some(Filter::Text {
                field: Field::DisplayName,
                op: TextOp::Contains,
                value: "John".into(),
                case_insensitive: true,
            }),
            by_seq.clone(),
            0,
            10,
        ),
        (
            // Any phone's number: a record shows a plain phone when it has no mobile.
            Some(eq(Field::Phone, "+966555555555")),
            by_seq.clone(),
            0,
            10,
        ),
        (Some(eq(Field::Kind, "company")), by_seq.clone(), 0, 10),
        (
            Some(eq(Field::DefaultEmail, "test@example.com")),
            by_seq.clone(),
            0,
            10,
        ),
        (
            Some(eq(Field::Identification, "123456789")),
            by_seq.clone(),
            0,
            10,
        ),
        (
            Some(eq(Field::Vat, "300000000000003")),
            by_seq.clone(),
            0,
            10,
        ),
        (None, vec![SortKey::asc(Field::DisplayName)], 0, 10),
        (None, vec![SortKey::desc(Field::Seq)], 0, 10),
        (None, by_seq.clone(), 10, 10),
        (None, by_seq.clone(), 0, 20),
        (
            Some(Filter::Text {
                field: Field::DisplayName,
                op: TextOp::Contains,
                value: "John".into(),
                case_insensitive: true,
            }),
            by_seq.clone(),
            0,
            5,
        ),
    ];
    assert_eq!(queries.len(), expected.len());
    for (qs, (filter, sort, offset, limit)) in queries.iter().zip(expected) {
        let p = ListParams::parse(&pairs(qs), 100).unwrap_or_else(|e| panic!("{qs}: {e}"));
        let q = p.to_query();
        assert_eq!(
            q,
            Query {
                filter,
                sort,
                offset,
                limit: Some(limit),
                count: Count::WithTotal,
            },
            "{qs}"
        );
        q.check().unwrap();
    }
}

#[test]
fn the_seed_record_matches_the_seed_filters() {
    let c = from_record(&check::<CustomerRecord>("get_response.json")).unwrap();
    for qs in [
        "?CusName=john",
        "?CusMobile=0555555555",
        "?CusMobile=%2B966555555555",
        "?CusType=b2c",
        "?Email=john@example.com",
        "?IdNo=123456789",
        "?VatNo=300000000000003",
    ] {
        let q = ListParams::parse(&pairs(qs), 100).unwrap().to_query();
        assert!(eval::matches(q.filter.as_ref().unwrap(), &c), "{qs}");
    }
    let q = ListParams::parse(&pairs("?CusType=B2B"), 100)
        .unwrap()
        .to_query();
    assert!(!eval::matches(q.filter.as_ref().unwrap(), &c));
}
