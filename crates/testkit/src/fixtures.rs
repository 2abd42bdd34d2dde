//! Sample customers rich enough for filter, sort and round-trip checks: every field type,
//! absent values, multi-valued fields, text that differs only by case, non-ASCII text
//! whose lowercase form is longer than itself, and `LIKE`/`GLOB` special characters.

use chrono::{DateTime, TimeZone, Utc};
use custgate_core::{
    Address, AddressKind, Card, Contact, Customer, CustomerKind, Email, Identification, Money,
    Phone, PhoneKind, Status,
};
use rust_decimal::Decimal;
use serde_json::json;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid fixture date")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("valid fixture decimal")
}

fn email(address: &str, default: bool) -> Email {
    Email {
        address: address.into(),
        description: None,
        default,
    }
}

fn phone(kind: PhoneKind, number: &str, default: bool) -> Phone {
    Phone {
        kind,
        number: number.into(),
        country_code: None,
        description: None,
        default,
    }
}

fn ident(scheme: &str, value: &str) -> Identification {
    Identification {
        scheme: scheme.into(),
        value: value.into(),
    }
}

fn address(
    kind: AddressKind,
    city: Option<&str>,
    postal: Option<&str>,
    cc: Option<&str>,
) -> Address {
    Address {
        kind,
        lines: vec!["Line 1".into()],
        city: city.map(Into::into),
        postal_code: postal.map(Into::into),
        country_code: cc.map(Into::into),
        ..Address::default()
    }
}

fn named(display: &str) -> Customer {
    let mut c = Customer::new();
    c.name.display = Some(display.into());
    c
}

/// A fresh set of sample customers (new ids on every call), in creation order.
pub fn sample_customers() -> Vec<Customer> {
    let mut out = Vec::new();

    // A person with nearly everything set.
    let mut c = named("John Doe");
    c.kind = Some(CustomerKind::Person);
    c.name.first = Some("John".into());
    c.name.last = Some("Doe".into());
    c.number = Some("1001".into());
    c.external_id = Some("ext-001".into());
    c.reference_no = Some("REF-1".into());
    c.emails = vec![
        email("john@example.com", true),
        email("j.doe@work.example", false),
    ];
    c.phones = vec![
        Phone {
            country_code: Some("966".into()),
            ..phone(PhoneKind::Mobile, "+966555000001", true)
        },
        phone(PhoneKind::Phone, "+4722000000", false),
    ];
    c.identifications = vec![ident("NAT", "1234567890")];
    c.tax.vat = Some("300000000000003".into());
    c.tax.tin = Some("TIN-1".into());
    c.addresses = vec![
        address(
            AddressKind::Billing,
            Some("Riyadh"),
            Some("12345"),
            Some("SA"),
        ),
        address(AddressKind::Shipping, Some("Jeddah"), None, Some("SA")),
    ];
    c.contacts = vec![Contact {
        name: Some("Jane Doe".into()),
        relation: Some("sister".into()),
        primary: true,
        active: true,
        ..Contact::default()
    }];
    c.activation_time = Some(at(2022, 1, 1, 0, 0, 0));
    c.expiration_time = Some(at(2030, 12, 31, 23, 59, 59));
    c.finance.credit_limit = Some(dec("1000"));
    c.finance.credit_balance = Some(Money {
        amount: dec("250.75"),
        currency: Some("SAR".into()),
    });
    c.finance.receivable_high_balance = Some(dec("99.99"));
    c.finance.payment_terms = Some("NET 30".into());
    c.finance.credit_status = Some("OK".into());
    c.finance.discount_rate = Some(dec("10.5"));
    c.finance.credit_rate = Some(dec("2.25"));
    c.finance.taxable = Some(true);
    c.finance.currency = Some("SAR".into());
    c.sales.territory = Some("North".into());
    c.sales.reseller_no = Some("R-1".into());
    c.sales.discount_id = Some("D1".into());
    c.sales.reps = vec!["rep-1".into()];
    c.cards = vec![Card {
        serial_number: "CARD-0001".into(),
        active: true,
        ..Card::default()
    }];
    c.locale.preferred_language = Some("ar".into());
    c.note = Some("VIP customer".into());
    c.meta.insert("tier".into(), json!("gold"));
    c.custom.insert("score".into(), json!(42));
    c.extension_mut("odata")
        .insert("GLN".into(), json!("7080001"));
    out.push(c);

    // Non-ASCII upper case; the lowercase twin of the next one.
    let mut c = named("ÉMILE Zola");
    c.kind = Some(CustomerKind::Person);
    c.name.first = Some("Émile".into());
    c.name.last = Some("Zola".into());
    c.emails = vec![email("Emile.Zola@Example.FR", false)];
    c.phones = vec![phone(PhoneKind::Mobile, "+33612345678", false)];
    c.addresses = vec![address(
        AddressKind::Billing,
        Some("Paris"),
        Some("75001"),
        Some("FR"),
    )];
    c.status = Status::Inactive;
    c.activation_time = Some(
        DateTime::parse_from_rfc3339("2021-06-15T12:30:00.123456Z")
            .expect("valid fixture date")
            .with_timezone(&Utc),
    );
    c.finance.discount_rate = Some(dec("5"));
    c.finance.credit_limit = Some(dec("1000.5"));
    c.finance.taxable = Some(false);
    c.finance.currency = Some("EUR".into());
    c.note = Some("écrivain".into());
    out.push(c);

    let mut c = named("émile zola");
    c.name.first = Some("émile".into());
    c.name.last = Some("zola".into());
    c.addresses = vec![address(AddressKind::Other, Some("paris"), None, None)];
    c.finance.discount_rate = Some(dec("5.0"));
    c.finance.credit_limit = Some(dec("999.99"));
    c.note = Some("Écrivain célèbre".into());
    out.push(c);

    // A company: the display name comes from the company name.
    let mut c = Customer::new();
    c.kind = Some(CustomerKind::Company);
    c.name.company = Some("Acme Corp".into());
    c.name.contact_person = Some("Wile E. Coyote".into());
    c.number = Some("C-77".into());
    c.identifications = vec![ident("ORG", "999888777"), ident("CRN", "1010101010")];
    c.tax.vat = Some("NO999888777MVA".into());
    c.emails = vec![email("info@acme.com", false), email("sales@acme.com", true)];
    c.phones = vec![
        phone(PhoneKind::Phone, "+4722334455", false),
        phone(PhoneKind::Fax, "+4722334456", false),
    ];
    c.addresses = vec![
        address(AddressKind::Billing, Some("Oslo"), Some("0150"), Some("NO")),
        address(
            AddressKind::Shipping,
            Some("Bergen"),
            Some("5003"),
            Some("NO"),
        ),
    ];
    c.status = Status::Blocked;
    c.expiration_time = Some(at(2020, 1, 1, 0, 0, 0));
    c.finance.credit_limit = Some(dec("50000.25"));
    c.finance.receivable_high_balance = Some(dec("12000"));
    c.finance.currency = Some("NOK".into());
    c.sales.territory = Some("West".into());
    c.cards = vec![
        Card {
            serial_number: "CARD-0002".into(),
            ..Card::default()
        },
        Card {
            serial_number: "card-0003".into(),
            ..Card::default()
        },
    ];
    out.push(c);

    let mut c = named("acme corp");
    c.kind = Some(CustomerKind::Company);
    c.name.company = Some("acme corp".into());
    c.number = Some("0042".into());
    c.addresses = vec![address(
        AddressKind::Billing,
        Some("oslo"),
        None,
        Some("no"),
    )];
    c.finance.credit_limit = Some(dec("500"));
    out.push(c);

    // Nothing at all.
    out.push(Customer::new());

    // Characters whose lowercase form differs in length (İ → i̇) or not at all (ß).
    let mut c = named("Ölaf Ünal");
    c.name.first = Some("Ölaf".into());
    c.name.last = Some("Ünal".into());
    c.addresses = vec![address(
        AddressKind::Billing,
        Some("İstanbul"),
        Some("34000"),
        Some("TR"),
    )];
    c.tax.vat = Some("TR-İ1".into());
    c.note = Some("Straße 5".into());
    c.finance.discount_rate = Some(dec("0"));
    c.finance.credit_rate = Some(dec("0.5"));
    out.push(c);

    // Pattern specials everywhere.
    let mut c = named("100% Pure_Water [Ltd]*?");
    c.external_id = Some("a_b%c".into());
    c.reference_no = Some("*star*".into());
    c.emails = vec![email("under_score@x.io", false)];
    c.note = Some("back\\slash \\ 50% off".into());
    c.finance.credit_rate = Some(dec("-1.5"));
    c.finance.credit_limit = Some(dec("0.1"));
    out.push(c);

    // A quote, valid from the future.
    let mut c = named("Zed Quote");
    c.status = Status::Quote;
    c.number = Some("2000".into());
    c.activation_time = Some(at(2031, 1, 1, 8, 0, 0));
    c.finance.taxable = Some(true);
    c.finance.discount_rate = Some(dec("100"));
    c.finance.credit_status = Some("HOLD".into());
    out.push(c);

    // Names equal but for case, for sort tie-breaking.
    for (name, terms, territory) in [
        ("bob", Some("NET 30"), Some("north")),
        ("Bob", Some("net 30"), Some("North")),
        ("BOB", None, None),
    ] {
        let mut c = named(name);
        c.name.last = Some("Builder".into());
        c.finance.payment_terms = terms.map(Into::into);
        c.sales.territory = territory.map(Into::into);
        c.finance.credit_limit = Some(dec("500"));
        out.push(c);
    }

    // Several mobiles, the same identification value under two schemes, empty strings.
    let mut c = named("Mixed Case");
    c.name.first = Some(String::new());
    c.emails = vec![email("Mixed.Case@Example.COM", false)];
    c.phones = vec![
        phone(PhoneKind::Mobile, "+15550001", false),
        phone(PhoneKind::Mobile, "+15550002", true),
    ];
    c.identifications = vec![ident("PAS", "X1234567"), ident("NAT", "X1234567")];
    c.note = Some(String::new());
    c.tax.tin = Some("tin-1".into());
    c.expiration_time = Some(at(2026, 5, 14, 14, 24, 50));
    out.push(c);

    // Empty strings only: no display name can be made of them.
    let mut c = Customer::new();
    c.name.display = Some(String::new());
    c.name.first = Some(String::new());
    c.tax.vat = Some(String::new());
    c.reference_no = Some(String::new());
    out.push(c);

    out
}
