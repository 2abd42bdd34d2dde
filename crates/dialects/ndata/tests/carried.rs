//! What an upstream NData system cannot carry: `dropped_fields(c, carried(c))` for the
//! richest canonical customer, and nothing for a customer the dialect itself wrote.

use custgate_core::dropped_fields;
use custgate_ndata::convert::{carried, to_canonical};
use custgate_ndata::wire;
use custgate_testkit::fixtures::{everything, seed_json};

fn fixture(name: &str) -> serde_json::Value {
    seed_json(env!("CARGO_MANIFEST_DIR"), name)
}

#[test]
fn the_richest_customer_loses_what_the_dialect_has_no_member_for() {
    let c = everything();
    // NData keeps the name (first, last, full), company name and tax ids, the validity
    // times, active/inactive, gender and birth date, the default email's address, the
    // default phone's number (as a plain `phone`: its kind, dialling code and description
    // are lost), the billing and shipping addresses without building, unit, district and
    // lines, the credit balance and both rates, every card, the note, `meta` and the
    // external id.
    let expected = [
        "addresses[0].building_no",
        "addresses[0].district",
        "addresses[0].lines[0]",
        "addresses[0].lines[1]",
        "addresses[0].unit_no",
        "addresses[1].building_no",
        "addresses[1].district",
        "addresses[1].lines[0]",
        "addresses[1].lines[1]",
        "addresses[1].unit_no",
        "addresses[2]",
        "contacts[0]",
        "contacts[1]",
        "custom.newsletter",
        "custom.score",
        "emails[0].description",
        "emails[1]",
        "emails[2]",
        "extensions.partner.segment",
        "finance.credit_days",
        "finance.credit_limit",
        "finance.credit_status",
        "finance.currency",
        "finance.payment_terms",
        "finance.receivable_high_balance",
        "finance.taxable",
        "identifications[0]",
        "identifications[1]",
        "identifications[2]",
        "identifications[3]",
        "locale.company_type",
        "locale.income_band",
        "locale.industry",
        "locale.nationality",
        "locale.occupation",
        "locale.preferred_contact_type",
        "locale.preferred_language",
        "name.contact_person",
        "name.middle",
        "number",
        "phones[0].country_code",
        "phones[0].description",
        "phones[0].kind",
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
    ];
    assert_eq!(dropped_fields(&c, &carried(&c)), expected);
}

#[test]
fn a_customer_written_through_the_dialect_loses_nothing() {
    for name in [
        "create_request.json",
        "upsert_request.json",
        "get_response.json",
    ] {
        let w: wire::Customer = serde_json::from_value(fixture(name)).unwrap();
        let c = to_canonical(&w).unwrap();
        assert_eq!(
            dropped_fields(&c, &carried(&c)),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(carried(&c), c, "{name}");
    }
}
