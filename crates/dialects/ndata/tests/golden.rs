//! The seed's own examples as golden fixtures: each parses and is written back exactly
//! (same members, same values, same order), directly, through the canonical model, and
//! through the server.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use custgate_ndata::{convert, wire};
use serde_json::Value;

/// The object keys of a JSON text in the order they appear.
fn key_order(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i + 1;
            i += 1;
            while b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let key = &text[start..i];
            i += 1;
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < b.len() && b[j] == b':' {
                keys.push(key.to_owned());
            }
        } else {
            i += 1;
        }
    }
    keys
}

/// The one check: `actual` is the fixture, value for value (`0.0` stays a float) and
/// member for member in the seed's order.
fn check(fixture: &str, actual: &str) {
    let expected: Value = json(fixture);
    let got: Value = serde_json::from_str(actual).expect("output is JSON");
    assert_eq!(
        got,
        expected,
        "\nexpected: {}\ngot:      {}",
        serde_json::to_string(&expected).unwrap(),
        actual
    );
    assert_eq!(
        key_order(actual),
        key_order(fixture),
        "member order differs"
    );
}

fn customer_fixtures() -> [(&'static str, &'static str); 4] {
    [
        ("get_response", GET_RESPONSE),
        ("create_request", CREATE_REQUEST),
        ("upsert_request", UPSERT_REQUEST),
        ("delete_response", DELETE_RESPONSE),
    ]
}

#[test]
fn every_example_parses_and_is_written_back_exactly() {
    for (name, text) in customer_fixtures() {
        let w: wire::Customer =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(text, &serde_json::to_string(&w).unwrap());
    }
    let list: wire::QueryResult<wire::Customer> = serde_json::from_str(LIST_RESPONSE).unwrap();
    check(LIST_RESPONSE, &serde_json::to_string(&list).unwrap());
}

#[test]
fn every_example_survives_the_canonical_model() {
    let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    for (name, text) in customer_fixtures() {
        let w: wire::Customer = serde_json::from_str(text).unwrap();
        let c = convert::to_canonical(&w).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(c.id.as_str(), "customer-id");
        assert_eq!(c.name.first.as_deref(), Some("John"));
        assert_eq!(c.name.display.as_deref(), Some("John Doe"));
        assert_eq!(c.default_email().unwrap().address, "john.doe@portos.sk");
        assert_eq!(c.cards.len(), 1);
        let card = &c.cards[0];
        assert_eq!(card.serial_number, "card-serial-number");
        assert_eq!(card.external_id.as_deref(), Some("external-card-id"));
        assert!(card.active && card.is_virtual);
        assert_eq!(card.processor.as_deref(), Some("P"));
        assert_eq!(
            card.activation_time,
            Some(Utc.with_ymd_and_hms(2022, 11, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            c.finance.credit_balance.as_ref().unwrap().amount,
            rust_decimal::Decimal::ZERO
        );
        // Nothing NData-only was needed: the seed's record is all canonical.
        assert!(c.extensions.is_empty(), "{name}: {:?}", c.extensions);
        check(
            text,
            &serde_json::to_string(&convert::to_wire(&c, now)).unwrap(),
        );
    }
}

#[test]
fn the_canonical_json_of_the_seed_round_trips() {
    // What the store and the facade keep is the canonical serialisation: it must give
    // back the same NData record.
    let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let w: wire::Customer = serde_json::from_str(GET_RESPONSE).unwrap();
    let c = convert::to_canonical(&w).unwrap();
    let stored: custgate_core::Customer =
        serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    check(
        GET_RESPONSE,
        &serde_json::to_string(&convert::to_wire(&stored, now)).unwrap(),
    );
}

#[cfg(feature = "server")]
mod server {
    use super::*;
    use actix_web::test::TestRequest;

    /// The seed's calls against the server, in order: create, get, list, upsert (no
    /// change), delete. Each answer is the seed's example.
    #[actix_rt::test]
    async fn the_server_answers_with_the_seed_examples() {
        let w = world();
        let app = app!(w.setup);
        let token = login(&app, "demo", "demo").await;

        let r = call(
            &app,
            TestRequest::post()
                .uri("/customers")
                .insert_header(bearer(&token))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(CREATE_REQUEST),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.header("location"), Some("/customers/customer-id"));
        assert_eq!(r.header("etag"), Some("\"1\""));
        // POST answers the created Customer: the seed's record, as sent.
        check(CREATE_REQUEST, &r.text);

        let r = call(
            &app,
            TestRequest::get()
                .uri("/customers/customer-id")
                .insert_header(bearer(&token)),
        )
        .await;
        assert_eq!(r.status, 200);
        check(GET_RESPONSE, &r.text);

        let r = call(
            &app,
            TestRequest::get()
                .uri("/customers")
                .insert_header(bearer(&token)),
        )
        .await;
        assert_eq!(r.status, 200);
        check(LIST_RESPONSE, &r.text);

        let r = call(
            &app,
            TestRequest::put()
                .uri("/customers/customer-id")
                .insert_header(bearer(&token))
                .set_payload(UPSERT_REQUEST),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        check(UPSERT_REQUEST, &r.text);

        let r = call(
            &app,
            TestRequest::delete()
                .uri("/customers/customer-id")
                .insert_header(bearer(&token)),
        )
        .await;
        assert_eq!(r.status, 200);
        check(DELETE_RESPONSE, &r.text);

        let r = call(
            &app,
            TestRequest::get()
                .uri("/customers/customer-id")
                .insert_header(bearer(&token)),
        )
        .await;
        assert_eq!(r.status, 404);
    }

    /// A PUT of the seed's example to a new id creates it (201), with the seed's shape.
    #[actix_rt::test]
    async fn an_upsert_of_the_seed_creates_it() {
        let w = world();
        let app = app!(w.setup);
        let token = login(&app, "clerk", "clerk").await;
        let r = call(
            &app,
            TestRequest::put()
                .uri("/customers/customer-id")
                .insert_header(bearer(&token))
                .set_payload(UPSERT_REQUEST),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        check(UPSERT_REQUEST, &r.text);
        let stored = custgate_core::CustomerStore::get(
            &*w.demo,
            &tenant("demo"),
            &custgate_core::CustomerId::parse("customer-id").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(stored.cards[0].serial_number, "card-serial-number");
    }
}
