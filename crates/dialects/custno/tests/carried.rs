//! What ManEx cannot carry: `dropped_fields(c, carried(c))` for the richest canonical
//! customer, its agreement with `unrepresentable` (what the client refuses to write), and
//! nothing lost for a customer the dialect itself wrote or that `carried` produced.

use custgate_core::{dropped_fields, Customer, Phone, PhoneKind, Status};
use custgate_custno::convert::{apply, carried, unrepresentable};
use custgate_custno::query::{relaxed_json, Params};
use custgate_custno::validate::{changes, Action};
use custgate_custno::{from_record, Envelope, Record};
use custgate_testkit::fixtures::{everything, sample_customers, seed_text};
use serde_json::Value;

fn fixture(name: &str) -> String {
    seed_text(env!("CARGO_MANIFEST_DIR"), name)
}

fn body_params(text: &str) -> Params {
    let v: Value = serde_json::from_slice(&relaxed_json(text.as_bytes())).unwrap();
    let mut p = Params::default();
    p.extend_json(v.as_object().unwrap());
    p
}

/// A customer as the dialect's Add or Edit makes it from these parameters.
fn written(params: &Params, action: Action) -> Customer {
    let mut c = Customer::new();
    apply(&changes(params, action).unwrap(), &mut c);
    c
}

#[test]
fn the_richest_customer_loses_what_manex_has_no_field_for() {
    let c = everything();
    // ManEx keeps the number, `CUSTNAME` (the display name), the status, one phone and
    // one fax (numbers only), territory, reseller and discount ids, terms, credit limit
    // and status, the receivable high balance and taxable. Its division, reps and note no
    // Add or Edit sets: a customer never read from ManEx (this one) gets them empty.
    let expected = [
        "activation_time",
        "addresses[0]",
        "addresses[1]",
        "addresses[2]",
        "cards[0]",
        "cards[1]",
        "contacts[0]",
        "contacts[1]",
        "custom.newsletter",
        "custom.score",
        "emails[0]",
        "emails[1]",
        "emails[2]",
        "expiration_time",
        "extensions.partner.segment",
        "external_id",
        "finance.credit_balance.amount",
        "finance.credit_balance.currency",
        "finance.credit_days",
        "finance.credit_rate",
        "finance.currency",
        "finance.discount_rate",
        "identifications[0]",
        "identifications[1]",
        "identifications[2]",
        "identifications[3]",
        "kind",
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
        "phones[0]",
        "phones[1]",
        "phones[2].country_code",
        "phones[2].description",
        "phones[3].country_code",
        "phones[3].description",
        "reference_no",
        "sales.division",
        "sales.reps[0]",
        "sales.reps[1]",
        "tax.tin",
        "tax.vat",
    ];
    assert_eq!(dropped_fields(&c, &carried(&c)), expected);
}

#[test]
fn the_note_division_and_reps_stay_as_read_from_manex() {
    // As the client reads a record: what no parameter sets is kept as read.
    let mut record: Record = serde_json::from_value(serde_json::json!({
        "CUSTNO": "0000000010", "CUSTNAME": "Acme", "STATUS": "Active",
        "CUSTNOTE": "call first", "DIVISION": "EAST", "SREPS": "AB,CD"
    }))
    .unwrap();
    let read = from_record(&record);
    assert_eq!(read.note.as_deref(), Some("call first"));
    assert_eq!(dropped_fields(&read, &carried(&read)), Vec::<String>::new());

    // Changed elsewhere, they are what ManEx would not take; the rest is carried.
    let mut edited = read.clone();
    edited.note = Some("changed".into());
    edited.sales.reps.push("EF".into());
    edited.name.display = Some("Acme AS".into());
    let kept = carried(&edited);
    assert_eq!(dropped_fields(&edited, &kept), ["note", "sales.reps[2]"]);
    assert_eq!(kept.note.as_deref(), Some("call first"));
    assert_eq!(kept.name.display.as_deref(), Some("Acme AS"));
    // What the gateway sends instead (`kept`) is written without a refusal.
    assert!(unrepresentable(&kept).is_empty());

    // Read empty, they are not kept in the extension.
    record.body.custnote = Some(String::new());
    record.body.division = None;
    record.body.sreps = Some("  ".into());
    let read = from_record(&record);
    assert!(read
        .extension("custno")
        .is_none_or(|e| !e.contains_key("asRead")));
}

#[test]
fn what_the_client_refuses_is_what_carried_drops() {
    let mut blocked = everything();
    blocked.status = Status::Blocked;
    for c in [everything(), blocked] {
        let dropped = dropped_fields(&c, &carried(&c));
        assert!(!dropped.is_empty());
        // One rule: nothing is written without it, silently.
        assert_eq!(unrepresentable(&c), dropped);
    }

    // One phone is representable, but not its dialling code and description.
    let mut c = Customer::new();
    c.name.display = Some("Acme".into());
    c.phones = vec![Phone {
        kind: PhoneKind::Phone,
        number: "+4722000000".into(),
        country_code: Some("47".into()),
        description: Some("office".into()),
        default: true,
    }];
    assert_eq!(
        dropped_fields(&c, &carried(&c)),
        ["phones[0].country_code", "phones[0].description"]
    );
    assert_eq!(
        unrepresentable(&c),
        ["phones[0].country_code", "phones[0].description"]
    );
}

#[test]
fn what_the_gateway_sends_is_never_refused() {
    // The gateway writes `carried(c)` (or `c` itself when nothing is lost), so the
    // client must take what `carried` keeps.
    let mut blocked = everything();
    blocked.status = Status::Blocked;
    let mut customers = sample_customers();
    customers.extend([everything(), blocked]);
    for c in customers {
        let sent = carried(&c);
        assert_eq!(unrepresentable(&sent), Vec::<String>::new(), "{c:?}");
    }
}

#[test]
fn a_customer_written_through_the_dialect_loses_nothing() {
    let add_body = fixture("add_request.json");
    let add_query = fixture("add_request.query.txt");
    let edit_body = fixture("edit_request.json").replace("YYYY-MM-DD", "2014-11-19");
    let edit_query = fixture("edit_request.query.txt")
        .replace("YYYY-MM-DD", "2014-11-19")
        .trim()
        .replace(' ', "%20");
    let customers = [
        written(&body_params(&add_body), Action::Add),
        written(&Params::from_query(add_query.trim()), Action::Add),
        written(&body_params(&edit_body), Action::Edit),
        written(&Params::from_query(&edit_query), Action::Edit),
    ];
    for c in customers {
        assert_eq!(
            dropped_fields(&c, &carried(&c)),
            Vec::<String>::new(),
            "{c:?}"
        );
    }
    // A record read from ManEx, as the client reads it.
    for name in ["add_response.json", "get_response.json"] {
        let env: Envelope<Record> = serde_json::from_str(&fixture(name)).unwrap();
        let c = from_record(env.response_object.as_ref().unwrap());
        assert_eq!(
            dropped_fields(&c, &carried(&c)),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(carried(&c), c, "{name}");
    }
}
