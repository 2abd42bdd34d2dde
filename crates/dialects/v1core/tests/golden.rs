//! The seed's example through canonical and back, in both languages, and the losslessness
//! of the conversion for any row (property test).

mod common;

use common::*;
use custgate_core::{AddressKind, Customer, CustomerKind, PhoneKind, Status};
use custgate_v1core::lookup::Table;
use custgate_v1core::{from_wire, to_wire, Context, CustomerDto, Lang, Lookups};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Reads `input` as an answer in `from` language, converts every row to canonical (and
/// through the canonical JSON form, as a store would keep it), writes it back in `to`
/// language and compares with `expected`: values, and the order of keys.
fn check(input: &str, from: Lang, to: Lang, expected: &str) {
    let l = Lookups::builtin();
    let rows: Vec<CustomerDto> = serde_json::from_str(input).unwrap();
    let out: Vec<CustomerDto> = rows
        .iter()
        .map(|w| {
            let c = from_wire(w, &Context::new(l, from));
            let stored: Customer =
                serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
            assert_eq!(stored, c);
            to_wire(&stored, &Context::new(l, to))
        })
        .collect();
    let text = serde_json::to_string_pretty(&out).unwrap();
    assert_eq!(json(&text), json(expected));
    assert_eq!(key_order(&text), key_order(expected));
}

#[test]
fn the_seed_round_trips_in_arabic_byte_exact() {
    check(SEED_AR, Lang::Ar, Lang::Ar, SEED_AR);
    // Byte-exact Arabic: the serialized labels are the seed's own bytes.
    let out = serde_json::to_string(&to_wire(
        &seed_customer(),
        &Context::new(Lookups::builtin(), Lang::Ar),
    ))
    .unwrap();
    for label in [
        "شركة",
        "إنشاءات",
        "مكالمة صوتية",
        "رقم السجل التجاري",
        "المملكة العربية السعودية",
        "الرياض",
        "العربية",
    ] {
        assert!(out.contains(&format!("\"{label}\"")), "{label}");
    }
}

#[test]
fn the_seed_round_trips_in_english() {
    check(SEED_EN, Lang::En, Lang::En, SEED_EN);
}

#[test]
fn the_language_switches_both_ways() {
    check(SEED_AR, Lang::Ar, Lang::En, SEED_EN);
    check(SEED_EN, Lang::En, Lang::Ar, SEED_AR);
}

#[test]
fn the_seed_row_in_canonical_form() {
    let c = seed_customer();
    assert_eq!(c.id.as_str(), "54218");
    assert_eq!(c.seq, Some(54218));
    assert_eq!(c.version.get(), 1);
    assert_eq!(c.kind, Some(CustomerKind::Company));
    assert_eq!(c.name.company.as_deref(), Some("Param IT"));
    assert_eq!(
        c.name.contact_person.as_deref(),
        Some("Parameswaran Kalidas")
    );
    assert_eq!(c.identification("CRN"), Some("2103232123"));
    let mobile = c.phone_of(PhoneKind::Mobile).unwrap();
    assert_eq!(mobile.number, "+966568617084");
    assert_eq!(mobile.country_code.as_deref(), Some("966"));
    assert_eq!(c.default_email().unwrap().address, "sri1@gmail.com");
    let a = c.address_of(AddressKind::Billing).unwrap();
    assert_eq!(a.lines, vec!["Holding", "Company"]);
    assert_eq!(a.city.as_deref(), Some("Riyadh"));
    assert_eq!(a.region.as_deref(), Some("Riyadh"));
    assert_eq!(a.country_code.as_deref(), Some("SA"));
    assert_eq!(a.postal_code.as_deref(), Some("31202"));
    assert_eq!(c.locale.industry.as_deref(), Some("construction"));
    assert_eq!(c.locale.occupation.as_deref(), Some("Company"));
    assert_eq!(c.locale.preferred_language.as_deref(), Some("ar"));
    assert_eq!(
        c.locale.preferred_contact_type.as_deref(),
        Some("voice_call")
    );
    assert_eq!(c.status, Status::Active);
    assert_eq!(c.created_at, None);
    assert_eq!(
        c.updated_at.unwrap().to_rfc3339(),
        "2026-05-14T14:24:50.610+00:00"
    );
    let relations: Vec<_> = c
        .contacts
        .iter()
        .map(|k| k.relation.as_deref().unwrap())
        .collect();
    assert_eq!(relations, ["friend", "brother"]);
    assert_eq!(c.contacts[0].phone.as_deref(), Some("+966568617083"));
    assert_eq!(c.contacts[1].profession.as_deref(), Some("Brother Prof"));
    assert!(c.contacts.iter().all(|k| k.active && !k.primary));
    // What has no canonical home is pinned under the dialect's name.
    let pins = c.extension("v1core").unwrap()["pins"].as_object().unwrap();
    let mut pinned: Vec<&str> = pins.keys().map(String::as_str).collect();
    pinned.sort_unstable();
    assert_eq!(
        pinned,
        [
            "companyId",
            "customerContacts",
            "isActive",
            "userActive",
            "versionId"
        ]
    );
    assert_eq!(pins["versionId"]["wire"]["versionId"], 103932);
}

#[test]
fn a_canonical_record_shows_the_seed_shape() {
    let mut c = sample_customer();
    c.seq = Some(7);
    let t = chrono::DateTime::parse_from_rfc3339("2026-05-14T14:24:50.61Z")
        .unwrap()
        .to_utc();
    c.created_at = Some(t);
    c.updated_at = Some(t);
    for (lang, seed) in [(Lang::Ar, SEED_AR), (Lang::En, SEED_EN)] {
        let out = vec![to_wire(&c, &Context::new(Lookups::builtin(), lang))];
        let text = serde_json::to_string(&out).unwrap();
        assert_eq!(json(&text), expected_for_sample(seed, 7, t, t));
        assert_eq!(key_order(&text), key_order(seed));
    }
}

#[test]
fn unknown_ids_pass_through_with_null_labels() {
    let mut row = json(SEED_AR)[0].clone();
    row["customerTypeId"] = 9.into();
    row["customerType"] = "جهة حكومية".into();
    row["cityId"] = 555.into();
    row["city"] = Value::Null;
    row["identificationTypeId"] = 88.into();
    row["identificationType"] = Value::Null;
    row["customerContacts"][0]["relationTypeId"] = 42.into();
    row["customerContacts"][0]["relationType"] = Value::Null;
    let w: CustomerDto = serde_json::from_value(row.clone()).unwrap();
    let l = Lookups::builtin();
    let c = from_wire(&w, &Context::new(l, Lang::Ar));
    assert_eq!(c.kind, None);
    assert_eq!(c.identifications[0].scheme, "OTH");
    assert_eq!(c.addresses[0].city, None);
    assert_eq!(c.contacts[0].relation, None);

    // Same language: exactly what came in, the upstream's own label included.
    let ar = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::Ar))).unwrap();
    assert_eq!(ar, row);
    // Other language: the ids stay, labels we do not know are null.
    let en = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::En))).unwrap();
    assert_eq!(en["customerTypeId"], 9);
    assert_eq!(en["customerType"], Value::Null);
    assert_eq!(en["cityId"], 555);
    assert_eq!(en["city"], Value::Null);
    assert_eq!(en["identificationTypeId"], 88);
    assert_eq!(en["identificationType"], Value::Null);
    assert_eq!(en["customerContacts"][0]["relationTypeId"], 42);
    assert_eq!(en["customerContacts"][0]["relationType"], Value::Null);
    // Known ids in the same groups get their English labels.
    assert_eq!(en["regionId"], 1);
    assert_eq!(en["region"], "Riyadh");
    assert_eq!(en["customerContacts"][1]["relationType"], "Brother");
}

#[test]
fn pins_give_way_to_later_edits() {
    let l = Lookups::builtin();
    let mut c = seed_customer();
    // An edit through another dialect: a new version with another mobile number.
    c.version = c.version.next();
    c.phones[0].number = "+966500000001".into();
    c.contacts[0].active = false;
    let out = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::Ar))).unwrap();
    assert_eq!(out["mobileNumber"], "500000001");
    assert_eq!(out["customerVersionId"], 2);
    // The row id is derived again: it belonged to version 1.
    assert_eq!(out["versionId"], 54218_i64 * 1_000_000 + 2);
    // The contacts changed: they are written from canonical, ids and all.
    assert_eq!(out["customerContacts"][0]["isActive"], false);
    assert_eq!(out["customerContacts"][0]["contactPhoneCodeId"], 1);
    // What has no home and did not change stays.
    assert_eq!(out["companyId"], 1);
    assert_eq!(out["userActive"], 1);
}

#[test]
fn free_text_values_travel_as_labels() {
    let l = Lookups::builtin();
    let mut c = sample_customer();
    c.addresses[0].city = Some("Springfield".into());
    c.addresses[0].region = None;
    c.addresses[0].country_code = Some("NO".into());
    c.addresses[0].country = Some("Norway".into());
    c.locale.nationality = Some("SA".into());
    c.locale.gender = Some("female".into());
    c.identifications[0].scheme = "ORG".into();
    c.phones[0].number = "+4712345678".into();
    c.phones[0].country_code = Some("47".into());
    let out = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::En))).unwrap();
    assert_eq!(
        (&out["cityId"], &out["city"]),
        (&Value::Null, &json!("Springfield"))
    );
    assert_eq!(
        (&out["regionId"], &out["region"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        (&out["countryId"], &out["country"]),
        (&Value::Null, &json!("Norway"))
    );
    assert_eq!(
        (&out["nationalityId"], &out["nationality"]),
        (&json!(1), &json!("Saudi"))
    );
    assert_eq!(
        (&out["genderId"], &out["gender"]),
        (&json!(2), &json!("Female"))
    );
    assert_eq!(out["identificationType"], "ORG");
    assert_eq!(out["identificationTypeId"], Value::Null);
    assert_eq!(
        (&out["phoneCodeId"], &out["phoneCode"], &out["mobileNumber"]),
        (&Value::Null, &json!("0047"), &json!("12345678"))
    );
    // A known city gives its region when the record has none.
    c.addresses[0].city = Some("Jeddah".into());
    let out = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::Ar))).unwrap();
    assert_eq!((&out["cityId"], &out["city"]), (&json!(2), &json!("جدة")));
    assert_eq!(
        (&out["regionId"], &out["region"]),
        (&json!(2), &json!("مكة المكرمة"))
    );
}

#[test]
fn a_display_name_alone_is_shown() {
    let l = Lookups::builtin();
    let mut c = Customer::new();
    c.name.display = Some("Ahmad Ali".into());
    let out = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::Ar))).unwrap();
    assert_eq!(out["firstName"], "Ahmad Ali");
    assert_eq!(out["companyName"], Value::Null);
    c.kind = Some(CustomerKind::Company);
    let out = serde_json::to_value(to_wire(&c, &Context::new(l, Lang::Ar))).unwrap();
    assert_eq!(out["companyName"], "Ahmad Ali");
    assert_eq!(out["customerContacts"], json!([]));
}

#[test]
fn numbers_for_text_fields_and_unknown_fields_are_read() {
    let mut row = json(SEED_AR)[0].clone();
    row["postalCode"] = 31202.into();
    row["referenceNo"] = "333215".into();
    row["somethingNew"] = json!({"a": 1});
    let w: CustomerDto = serde_json::from_value(row).unwrap();
    assert_eq!(w.postal_code.as_deref(), Some("31202"));
    let c = from_wire(&w, &Context::new(Lookups::builtin(), Lang::Ar));
    assert_eq!(c.reference_no.as_deref(), Some("333215"));
    assert_eq!(
        c.extension("v1core").unwrap()["extra"]["somethingNew"],
        json!({"a": 1})
    );
    // Unknown fields are kept, never written.
    let out =
        serde_json::to_value(to_wire(&c, &Context::new(Lookups::builtin(), Lang::Ar))).unwrap();
    assert!(out.get("somethingNew").is_none());
    assert!(out.get("referenceNo").is_none());
    // A wrongly typed field is refused with its name.
    let mut row = json(SEED_AR)[0].clone();
    row["customerId"] = "abc".into();
    assert!(serde_json::from_value::<CustomerDto>(row).is_err());
}

// ---------------------------------------------------------------------------------------
// Property: any row survives from_wire → canonical JSON → to_wire unchanged, in its own
// language; in the other language its ids survive and known ids get that language's
// labels.
// ---------------------------------------------------------------------------------------

fn pool(key: &str) -> Vec<Value> {
    let ids = vec![
        Value::Null,
        json!(1),
        json!(2),
        json!(3),
        json!(5),
        json!(999),
    ];
    let labels = vec![
        Value::Null,
        json!("الرياض"),
        json!("Riyadh"),
        json!("شركة"),
        json!("Company"),
        json!("free text"),
        json!(""),
    ];
    let texts = vec![
        Value::Null,
        json!(""),
        json!("Holding"),
        json!(" spaced "),
        json!("٣١٢٠٢"),
    ];
    let dates = vec![
        Value::Null,
        json!("2026-05-14T14:24:50.61"),
        json!("2026-05-14T14:24:50.610"),
        json!("2026-05-14"),
        json!("not a date"),
        json!("2026-05-14T14:24:50Z"),
    ];
    let raw = vec![
        Value::Null,
        json!(1),
        json!(0),
        json!(true),
        json!(false),
        json!("x"),
        json!({"a": 1}),
    ];
    let phone_codes = vec![
        Value::Null,
        json!("00966"),
        json!("00971"),
        json!("+966"),
        json!("0047"),
        json!(""),
    ];
    let mobiles = vec![
        Value::Null,
        json!("568617084"),
        json!("0501234567"),
        json!(""),
        json!("+4712345"),
    ];
    match key {
        "versionId" => vec![Value::Null, json!(103932), json!(54218000001_i64), json!(7)],
        "customerId" => vec![Value::Null, json!(1), json!(54218)],
        "customerVersionId" => vec![Value::Null, json!(0), json!(1), json!(2), json!(-1)],
        "phoneCode" | "additionalPhoneCode" => phone_codes,
        "mobileNumber" | "additionalMobileNumber" => mobiles,
        "dateOfBirth" | "createdDate" | "startDate" | "endDate" => dates,
        "isActive" | "companyId" | "company" | "nationalAddress" | "plotIdentification"
        | "userActive" => raw,
        "commercialRecord" => vec![
            Value::Null,
            json!("1010"),
            json!(""),
            json!(5),
            json!({"x": 1}),
        ],
        "emailAddress" => vec![Value::Null, json!(""), json!("a@b.sa")],
        k if k.ends_with("Id") => ids,
        k if Table::from_name(k).is_some() => labels,
        _ => texts,
    }
}

const CONTACT_KEYS: &[(&str, &str)] = &[
    ("contactId", "small"),
    ("customerId", "small"),
    ("customer", "raw"),
    ("contactNumber", "mobile"),
    ("relationTypeId", "id"),
    ("relationType", "label"),
    ("contactName", "text"),
    ("contactPhoneCodeId", "id"),
    ("phoneCode", "phone"),
    ("primaryContact", "bool"),
    ("contactStartDate", "date"),
    ("contactEndDate", "date"),
    ("isActive", "bool"),
    ("contactIsEnable", "raw"),
    ("profession", "text"),
    ("remarks", "text"),
];

fn contact_pool(kind: &str) -> Vec<Value> {
    match kind {
        "small" => vec![Value::Null, json!(1), json!(2), json!(54218)],
        "id" => pool("relationTypeId"),
        "label" => vec![
            Value::Null,
            json!("صديق"),
            json!("Brother"),
            json!("neighbour"),
            json!(""),
        ],
        "mobile" => pool("mobileNumber"),
        "phone" => pool("phoneCode"),
        "bool" => vec![Value::Null, json!(true), json!(false)],
        "date" => vec![
            Value::Null,
            json!("2024-01-02"),
            json!("2024-01-02T00:00:00"),
            json!("x"),
        ],
        "raw" => pool("company"),
        _ => pool("address1"),
    }
}

/// A row built from choice bytes: byte `i` picks the value of field `i` from its pool.
fn row_from(choices: &[u8], contacts: &[Vec<u8>], contacts_null: bool) -> CustomerDto {
    let keys = wire_keys();
    let mut row = serde_json::Map::new();
    for (i, k) in keys.iter().enumerate() {
        if k == "customerContacts" {
            continue;
        }
        let p = pool(k);
        row.insert(k.clone(), p[choices[i] as usize % p.len()].clone());
    }
    let list: Vec<Value> = contacts
        .iter()
        .map(|bytes| {
            let mut m = serde_json::Map::new();
            for (i, (k, kind)) in CONTACT_KEYS.iter().enumerate() {
                let p = contact_pool(kind);
                m.insert((*k).to_owned(), p[bytes[i] as usize % p.len()].clone());
            }
            Value::Object(m)
        })
        .collect();
    row.insert(
        "customerContacts".into(),
        if contacts_null {
            Value::Null
        } else {
            Value::Array(list)
        },
    );
    serde_json::from_value(Value::Object(row)).expect("pools hold well-typed values")
}

fn wire_keys() -> Vec<String> {
    custgate_v1core::wire::customer_keys()
}

fn pairs() -> Vec<(String, Table)> {
    Table::ALL
        .iter()
        .filter(|t| **t != Table::PhoneCode && **t != Table::RelationType)
        .map(|t| (format!("{}Id", t.name()), *t))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_row_round_trips(
        choices in prop::collection::vec(any::<u8>(), 64),
        contacts in prop::collection::vec(prop::collection::vec(any::<u8>(), 16), 0..3),
        contacts_null in any::<bool>(),
        lang_is_ar in any::<bool>(),
    ) {
        let l = Lookups::builtin();
        let (lang, other) = if lang_is_ar { (Lang::Ar, Lang::En) } else { (Lang::En, Lang::Ar) };
        let w = row_from(&choices, &contacts, contacts_null);
        let c = from_wire(&w, &Context::new(l, lang));
        prop_assert!(c.check().is_ok(), "{:?}", c.check());
        let stored: Customer = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        let back = to_wire(&stored, &Context::new(l, lang));
        prop_assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&w).unwrap());

        let switched = serde_json::to_value(to_wire(&stored, &Context::new(l, other))).unwrap();
        let orig = serde_json::to_value(&w).unwrap();
        for (id_key, table) in pairs() {
            let label_key = table.name();
            prop_assert_eq!(&switched[&id_key], &orig[&id_key], "{}", id_key);
            if let Some(id) = orig[&id_key].as_i64() {
                let expected = l.label(table, id, other).map(|s| json!(s)).unwrap_or(Value::Null);
                prop_assert_eq!(&switched[label_key], &expected, "{}", label_key);
            }
        }
    }
}
