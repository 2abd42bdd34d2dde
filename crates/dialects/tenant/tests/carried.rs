//! What an upstream tenant API cannot carry: `dropped_fields(c, carried(c))` for the
//! richest canonical customer, and nothing for a customer the dialect itself wrote.

use custgate_core::dropped_fields;
use custgate_tenant::convert::{carried, from_record, new_customer};
use custgate_tenant::wire::{CustomerBody, CustomerRecord};
use custgate_testkit::fixtures::{everything, seed_json};

fn fixture(name: &str) -> serde_json::Value {
    seed_json(env!("CARGO_MANIFEST_DIR"), name)
}

#[test]
fn the_richest_customer_loses_what_the_dialect_has_no_field_for() {
    let c = everything();
    // What survives: `cusName` (the display name), the default mobile's number, `cusType`
    // (the kind), the first identification with a ZATCA scheme, the default email's
    // address, `vatNo`, `tinNo`, and the billing address's building number, street, city
    // and postal code.
    let expected = [
        "activation_time",
        "addresses[0].country",
        "addresses[0].country_code",
        "addresses[0].district",
        "addresses[0].lines[0]",
        "addresses[0].lines[1]",
        "addresses[0].region",
        "addresses[0].unit_no",
        "addresses[1]",
        "addresses[2]",
        "cards[0]",
        "cards[1]",
        "contacts[0]",
        "contacts[1]",
        "custom.newsletter",
        "custom.score",
        "emails[0].description",
        "emails[1]",
        "emails[2]",
        "expiration_time",
        "extensions.partner.segment",
        "external_id",
        "finance.credit_balance.amount",
        "finance.credit_balance.currency",
        "finance.credit_days",
        "finance.credit_limit",
        "finance.credit_rate",
        "finance.credit_status",
        "finance.currency",
        "finance.discount_rate",
        "finance.payment_terms",
        "finance.receivable_high_balance",
        "finance.taxable",
        "identifications[1]",
        "identifications[2]",
        "identifications[3]",
        "locale.birth_date",
        "locale.company_type",
        "locale.gender",
        "locale.income_band",
        "locale.industry",
        "locale.nationality",
        "locale.occupation",
        "locale.preferred_contact_type",
        "locale.preferred_language",
        "meta.segment",
        "meta.since",
        "name.company",
        "name.contact_person",
        "name.first",
        "name.last",
        "name.middle",
        "note",
        "number",
        "phones[0].description",
        "phones[1]",
        "phones[2]",
        "phones[3]",
        "reference_no",
        "sales.discount_id",
        "sales.division",
        "sales.reps[0]",
        "sales.reps[1]",
        "sales.reseller_no",
        "sales.territory",
        "status",
    ];
    assert_eq!(dropped_fields(&c, &carried(&c)), expected);
}

#[test]
fn a_customer_written_through_the_dialect_loses_nothing() {
    for name in [
        "create_request.json",
        "update_request.json",
        "curl_create_request.json",
    ] {
        let body: CustomerBody = serde_json::from_value(fixture(name)).unwrap();
        let c = new_customer(&body);
        assert_eq!(
            dropped_fields(&c, &carried(&c)),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(carried(&c), c, "{name}");
    }
    let record: CustomerRecord = serde_json::from_value(fixture("get_response.json")).unwrap();
    let c = from_record(&record).unwrap();
    assert_eq!(carried(&c), c);
}
