//! What an upstream Unimicro cannot carry: `dropped_fields(c, carried(c))` for the
//! richest canonical customer, and nothing for a customer the dialect itself wrote.

mod common;

use common::{appendix_a, appendix_a_saved};
use custgate_core::dropped_fields;
use custgate_odata::convert::{apply, carried, parse_customer, Mode};
use custgate_testkit::fixtures::everything;
use serde_json::json;

#[test]
fn the_richest_customer_loses_what_unimicro_has_no_property_for() {
    let c = everything();
    // Unimicro keeps the number, `Info.Name` (the display name), `OrgNumber` (the `ORG`
    // identification), `IsPrivate` (the kind), the status, credit days, currency, custom
    // values, every phone and e-mail, every address as lines (an address with lines loses
    // its structured building, unit, street and district), and the contacts without
    // profession and dates.
    let expected = [
        "activation_time",
        "addresses[0].building_no",
        "addresses[0].district",
        "addresses[0].street",
        "addresses[0].unit_no",
        "addresses[1].building_no",
        "addresses[1].district",
        "addresses[1].street",
        "addresses[1].unit_no",
        "addresses[2].building_no",
        "addresses[2].district",
        "addresses[2].street",
        "addresses[2].unit_no",
        "cards[0]",
        "cards[1]",
        "contacts[0].end_date",
        "contacts[0].profession",
        "contacts[0].start_date",
        "contacts[1].end_date",
        "contacts[1].profession",
        "contacts[1].start_date",
        "expiration_time",
        "extensions.partner.segment",
        "external_id",
        "finance.credit_balance.amount",
        "finance.credit_balance.currency",
        "finance.credit_limit",
        "finance.credit_rate",
        "finance.credit_status",
        "finance.discount_rate",
        "finance.payment_terms",
        "finance.receivable_high_balance",
        "finance.taxable",
        "identifications[0]",
        "identifications[1]",
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
        "reference_no",
        "sales.discount_id",
        "sales.division",
        "sales.reps[0]",
        "sales.reps[1]",
        "sales.reseller_no",
        "sales.territory",
        "tax.tin",
        "tax.vat",
    ];
    assert_eq!(dropped_fields(&c, &carried(&c)), expected);
}

#[test]
fn a_customer_written_through_the_dialect_loses_nothing() {
    // Appendix A as the dialect creates it…
    let w = parse_customer(appendix_a(), "").unwrap();
    let c = apply(None, &w, Mode::Create).unwrap();
    assert_eq!(dropped_fields(&c, &carried(&c)), Vec::<String>::new());
    assert_eq!(carried(&c), c);

    // …and as the client reads it from an upstream that saved it.
    let t = json!("2026-01-02T03:04:05.678Z");
    let saved = parse_customer(appendix_a_saved(&t, &t), "").unwrap();
    let c = apply(None, &saved, Mode::Import).unwrap();
    assert_eq!(dropped_fields(&c, &carried(&c)), Vec::<String>::new());
    assert_eq!(carried(&c), c);
}
