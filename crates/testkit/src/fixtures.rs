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

/// A seed fixture of a crate, `<crate_dir>/tests/fixtures/<name>`, as text; call it with
/// `env!("CARGO_MANIFEST_DIR")`. Panics naming the file when it cannot be read.
pub fn seed_text(crate_dir: &str, name: &str) -> String {
    let path = format!("{crate_dir}/tests/fixtures/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// [`seed_text`] parsed as JSON.
pub fn seed_json(crate_dir: &str, name: &str) -> serde_json::Value {
    serde_json::from_str(&seed_text(crate_dir, name))
        .unwrap_or_else(|e| panic!("{crate_dir}/tests/fixtures/{name}: {e}"))
}

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

/// The richest canonical customer: every field of the model holds a value other than its
/// default, multi-valued fields hold several entries (with every field of each entry
/// set), and the extensions hold an object no dialect knows. Codes are ones the dialects'
/// tables know (`SA`, `male`, `ar`, `llc`…), so what a dialect drops is what it cannot
/// hold, not what it cannot look up. The id is fresh on every call.
pub fn everything() -> Customer {
    let mut c = Customer::new();
    c.seq = Some(1001);
    c.number = Some("1001".into());
    c.external_id = Some("ext-1001".into());
    c.reference_no = Some("REF-1001".into());
    c.kind = Some(CustomerKind::Company);
    c.name = custgate_core::Names {
        display: Some("Param Trading".into()),
        first: Some("John".into()),
        middle: Some("Quincy".into()),
        last: Some("Doe".into()),
        company: Some("Param Trading LLC".into()),
        contact_person: Some("Jane Roe".into()),
    };
    c.identifications = vec![
        ident("CRN", "1010101010"),
        ident("NAT", "1234567890"),
        ident("ORG", "914012708"),
        ident("CRN", "2020202020"),
    ];
    c.tax.vat = Some("300000000000003".into());
    c.tax.tin = Some("123456789012345".into());
    c.emails = vec![
        Email {
            address: "john@param.example".into(),
            description: Some("work".into()),
            default: true,
        },
        Email {
            address: "billing@param.example".into(),
            description: Some("invoices".into()),
            default: false,
        },
        Email {
            address: "john.doe@home.example".into(),
            description: Some("private".into()),
            default: false,
        },
    ];
    c.phones = vec![
        Phone {
            kind: PhoneKind::Mobile,
            number: "+966555000001".into(),
            country_code: Some("966".into()),
            description: Some("main mobile".into()),
            default: true,
        },
        Phone {
            kind: PhoneKind::Mobile,
            number: "+971501234567".into(),
            country_code: Some("971".into()),
            description: Some("Dubai mobile".into()),
            default: false,
        },
        Phone {
            kind: PhoneKind::Phone,
            number: "+966112345678".into(),
            country_code: Some("966".into()),
            description: Some("office".into()),
            default: false,
        },
        Phone {
            kind: PhoneKind::Fax,
            number: "+966112345679".into(),
            country_code: Some("966".into()),
            description: Some("office fax".into()),
            default: false,
        },
    ];
    let full_address = |kind, city: &str, district: &str| Address {
        kind,
        lines: vec!["Tower B".into(), "Floor 12".into()],
        building_no: Some("1234".into()),
        unit_no: Some("56".into()),
        street: Some("King Fahd Road".into()),
        district: Some(district.into()),
        city: Some(city.into()),
        region: Some("Riyadh".into()),
        postal_code: Some("12345".into()),
        country: Some("Saudi Arabia".into()),
        country_code: Some("SA".into()),
    };
    c.addresses = vec![
        full_address(AddressKind::Billing, "Riyadh", "Al Olaya"),
        full_address(AddressKind::Shipping, "Riyadh", "Al Malaz"),
        full_address(AddressKind::Other, "Riyadh", "Al Murabba"),
    ];
    c.contacts = vec![
        Contact {
            name: Some("Jane Doe".into()),
            phone: Some("+966555000002".into()),
            email: Some("jane@home.example".into()),
            relation: Some("brother".into()),
            profession: Some("Engineer".into()),
            remarks: Some("call after 5".into()),
            primary: true,
            active: true,
            start_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
            end_date: chrono::NaiveDate::from_ymd_opt(2030, 12, 31),
        },
        Contact {
            name: Some("Omar Doe".into()),
            phone: Some("+966555000003".into()),
            email: Some("omar@home.example".into()),
            relation: Some("friend".into()),
            profession: Some("Teacher".into()),
            remarks: Some("weekends".into()),
            primary: false,
            active: true,
            start_date: chrono::NaiveDate::from_ymd_opt(2021, 6, 1),
            end_date: chrono::NaiveDate::from_ymd_opt(2029, 6, 1),
        },
    ];
    c.status = Status::Inactive;
    c.activation_time = Some(at(2022, 1, 1, 8, 0, 0));
    c.expiration_time = Some(at(2032, 12, 31, 23, 59, 59));
    c.finance = custgate_core::Finance {
        credit_limit: Some(dec("50000.5")),
        credit_balance: Some(Money {
            amount: dec("250.75"),
            currency: Some("SAR".into()),
        }),
        receivable_high_balance: Some(dec("12000.25")),
        payment_terms: Some("NET 30".into()),
        credit_days: Some(30),
        credit_status: Some("OK".into()),
        discount_rate: Some(dec("10.5")),
        credit_rate: Some(dec("2.25")),
        taxable: Some(true),
        currency: Some("SAR".into()),
    };
    c.sales = custgate_core::Sales {
        territory: Some("Central".into()),
        division: Some("Retail".into()),
        reps: vec!["rep-1".into(), "rep-2".into()],
        reseller_no: Some("R-77".into()),
        discount_id: Some("D10".into()),
    };
    c.cards = vec![
        Card {
            serial_number: "CARD-0001".into(),
            external_id: Some("card-ext-1".into()),
            active: true,
            is_virtual: true,
            processor: Some("P1".into()),
            status: Some("Valid".into()),
            status_time: Some(at(2023, 3, 1, 10, 0, 0)),
            status_reason: Some("issued".into()),
            activation_time: Some(at(2023, 3, 1, 0, 0, 0)),
            expiration_time: Some(at(2027, 3, 1, 0, 0, 0)),
            note: Some("loyalty".into()),
            meta: Some([("tier".to_owned(), json!("gold"))].into_iter().collect()),
        },
        Card {
            serial_number: "CARD-0002".into(),
            external_id: Some("card-ext-2".into()),
            active: true,
            is_virtual: false,
            processor: Some("P2".into()),
            status: Some("Blocked".into()),
            status_time: Some(at(2024, 5, 1, 9, 30, 0)),
            status_reason: Some("lost".into()),
            activation_time: Some(at(2024, 1, 1, 0, 0, 0)),
            expiration_time: Some(at(2028, 1, 1, 0, 0, 0)),
            note: Some("payment".into()),
            meta: Some([("limit".to_owned(), json!(500))].into_iter().collect()),
        },
    ];
    c.locale = custgate_core::Locale {
        preferred_language: Some("ar".into()),
        nationality: Some("SA".into()),
        gender: Some("male".into()),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 5, 17),
        occupation: Some("Merchant".into()),
        industry: Some("trading".into()),
        income_band: Some("above_30000".into()),
        preferred_contact_type: Some("email".into()),
        company_type: Some("llc".into()),
    };
    c.note = Some("VIP customer".into());
    c.meta.insert("segment".into(), json!("enterprise"));
    c.meta.insert("since".into(), json!(2019));
    c.custom.insert("score".into(), json!(42));
    c.custom.insert("newsletter".into(), json!(true));
    c.extension_mut("partner")
        .insert("segment".into(), json!("retail"));
    c.created_at = Some(at(2019, 4, 1, 9, 0, 0));
    c.updated_at = Some(at(2024, 6, 1, 12, 0, 0));
    c.version = custgate_core::Version::new(3).expect("valid fixture version");
    c
}
