//! What a v1core record cannot hold: `dropped_fields(c, carried(c))` for the richest
//! canonical customer, and nothing for a customer read from a v1core system.

use custgate_core::dropped_fields;
use custgate_testkit::fixtures::{everything, seed_text};
use custgate_v1core::convert::{carried, carried_with};
use custgate_v1core::{from_wire, Context, CustomerDto, Lang, Lookups};

fn rows(name: &str) -> Vec<CustomerDto> {
    serde_json::from_str(&seed_text(env!("CARGO_MANIFEST_DIR"), name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_richest_customer_loses_what_a_row_has_no_field_for() {
    let c = everything();
    // A row holds the name parts (not the display name), every coded locale field, the
    // default email's address, the default and one further mobile or phone (no
    // descriptions), the first identification and a second CRN (`commercialRecord`), the
    // VAT number, one address (street and lines folded into `address1`/`address2`, so
    // both read back as lines), the contacts without e-mail, and active/inactive.
    let expected = [
        "activation_time",
        "addresses[0].lines[0]",
        "addresses[0].lines[1]",
        "addresses[0].street",
        "addresses[1]",
        "addresses[2]",
        "cards[0]",
        "cards[1]",
        "contacts[0].email",
        "contacts[1].email",
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
        "meta.segment",
        "meta.since",
        "name.display",
        "note",
        "number",
        "phones[0].description",
        "phones[1].description",
        "phones[2]",
        "phones[3]",
        "reference_no",
        "sales.discount_id",
        "sales.division",
        "sales.reps[0]",
        "sales.reps[1]",
        "sales.reseller_no",
        "sales.territory",
        "tax.tin",
    ];
    assert_eq!(dropped_fields(&c, &carried(&c)), expected);
}

#[test]
fn a_customer_read_from_v1core_loses_nothing() {
    let l = Lookups::builtin();
    for (name, lang) in [
        ("customer_response.ar.json", Lang::Ar),
        ("customer_response.en.json", Lang::En),
    ] {
        for row in rows(name) {
            let ctx = Context::new(l, lang);
            let c = from_wire(&row, &ctx);
            // The pins remember the labels' language: read back in the same one.
            let kept = carried_with(&c, &ctx);
            assert_eq!(dropped_fields(&c, &kept), Vec::<String>::new(), "{name}");
            assert_eq!(kept, c, "{name}");
        }
    }
    // The client's default language is Arabic, the seed's first answer.
    for row in rows("customer_response.ar.json") {
        let c = from_wire(&row, &Context::new(l, Lang::Ar));
        assert_eq!(carried(&c), c);
    }
}
