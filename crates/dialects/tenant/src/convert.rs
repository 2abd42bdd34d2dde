//! Wire ↔ canonical, as pure functions.
//!
//! | wire | canonical |
//! |---|---|
//! | `cusId` | `seq` (and, for records read from an upstream, `id` = the decimal `cusId`) |
//! | `cusName` | `name.display` (read: [`Customer::display_name`]) |
//! | `cusMobile` | the default `Mobile` phone, E.164 for a Saudi `05xxxxxxxx` number |
//! | `cusType` | `kind`: `B2B` company, `B2C` person; other values in `extensions.tenant.cusType` |
//! | `idType` + `idNo` | the first identification with one of the ten ZATCA schemes |
//! | `email` | the default email |
//! | `vatNo`, `tinNo` | `tax.vat`, `tax.tin` |
//! | `bldgNo`, `street`, `city`, `postalCode` | the billing address (else the first `Other` address) |
//!
//! Writing ([`apply`]) replaces exactly these fields and keeps everything else on the
//! record, so a `PUT` through this dialect does not wipe what other dialects carry.

use std::borrow::Cow;

use custgate_core::diff::keep_assigned;
use custgate_core::model::{e164, split_e164};
use custgate_core::{
    Address, AddressKind, Customer, CustomerId, CustomerKind, Email, Error, Identification,
    JsonMap, PhoneKind,
};
use serde_json::Value;

use crate::wire::{CustomerBody, CustomerRecord};

/// The dialect's slug: its key in [`Customer::extensions`].
pub const DIALECT: &str = "tenant";

/// The identification types the dialect accepts (ZATCA buyer id schemes without `PAS`).
pub const ID_TYPES: [&str; 10] = [
    "TIN", "CRN", "MOM", "MLS", "700", "SAG", "NAT", "GCC", "IQA", "OTH",
];

/// The scheme stored when a body has an `idNo` but no `idType`.
pub const DEFAULT_ID_TYPE: &str = "OTH";

/// Extension key: a `cusType` other than `B2B`/`B2C`.
pub const EXT_CUS_TYPE: &str = "cusType";
/// Extension key: `true` when the identification's `OTH` scheme stands for a missing
/// `idType`, so that it reads back as `null`.
pub const EXT_ID_TYPE_UNSET: &str = "idTypeUnset";

const SAUDI_CC: &str = "966";

/// The canonical form of a `cusMobile`: E.164 with its dialling code when the number is
/// recognisably Saudi (`05xxxxxxxx`, `+9665…`, `009665…`, `9665…`, spaces and dashes
/// allowed), else the trimmed input without a dialling code.
pub fn canonical_mobile(raw: &str) -> (String, Option<String>) {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
        .collect();
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let national = if !all_digits {
        None
    } else if !plus && digits.len() == 10 && digits.starts_with("05") {
        Some(&digits[1..])
    } else if plus && digits.len() == 12 && digits.starts_with("9665") {
        Some(&digits[3..])
    } else if !plus && digits.len() == 14 && digits.starts_with("009665") {
        Some(&digits[5..])
    } else if !plus && digits.len() == 12 && digits.starts_with("9665") {
        Some(&digits[3..])
    } else {
        None
    };
    match national {
        Some(n) => (e164(Some(SAUDI_CC), n), Some(SAUDI_CC.to_owned())),
        None => (trimmed.to_owned(), None),
    }
}

/// The dialect's form of a canonical mobile number: a Saudi E.164 mobile in the local
/// form `05xxxxxxxx`, anything else as stored.
pub fn local_mobile(number: &str) -> Cow<'_, str> {
    match split_e164(number, SAUDI_CC) {
        Some(n) if n.len() == 9 && n.starts_with('5') && n.bytes().all(|b| b.is_ascii_digit()) => {
            Cow::Owned(format!("0{n}"))
        }
        _ => Cow::Borrowed(number),
    }
}

/// `B2B` → company, `B2C` → person (any case).
pub fn kind_of(cus_type: &str) -> Option<CustomerKind> {
    if cus_type.eq_ignore_ascii_case("B2B") {
        Some(CustomerKind::Company)
    } else if cus_type.eq_ignore_ascii_case("B2C") {
        Some(CustomerKind::Person)
    } else {
        None
    }
}

/// The `cusType` of a kind.
pub fn cus_type_of(kind: CustomerKind) -> &'static str {
    match kind {
        CustomerKind::Company => "B2B",
        CustomerKind::Person => "B2C",
    }
}

/// The canonical `idType` (upper case) when it is one of the ten codes.
pub fn id_type_code(raw: &str) -> Option<&'static str> {
    ID_TYPES
        .iter()
        .copied()
        .find(|t| t.eq_ignore_ascii_case(raw.trim()))
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn identification_index(c: &Customer) -> Option<usize> {
    c.identifications
        .iter()
        .position(|i| id_type_code(&i.scheme).is_some())
}

fn address_index(c: &Customer) -> Option<usize> {
    c.addresses
        .iter()
        .position(|a| a.kind == AddressKind::Billing)
        .or_else(|| {
            c.addresses
                .iter()
                .position(|a| a.kind == AddressKind::Other)
        })
}

fn address_is_empty(a: &Address) -> bool {
    a.lines.is_empty()
        && [
            &a.building_no,
            &a.unit_no,
            &a.street,
            &a.district,
            &a.city,
            &a.region,
            &a.postal_code,
            &a.country,
            &a.country_code,
        ]
        .iter()
        .all(|f| f.is_none())
}

fn set_extension(c: &mut Customer, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            c.extension_mut(DIALECT).insert(key.to_owned(), v);
        }
        None => {
            if let Some(ext) = c.extensions.get_mut(DIALECT) {
                ext.remove(key);
                if ext.is_empty() {
                    c.extensions.remove(DIALECT);
                }
            }
        }
    }
}

fn extension<'a>(c: &'a Customer, key: &str) -> Option<&'a Value> {
    c.extension(DIALECT).and_then(|e: &JsonMap| e.get(key))
}

/// Writes the dialect's fields of `body` onto `c`, replacing what the dialect carries
/// (an absent field clears it) and keeping every other canonical field. Values are
/// trimmed; blank ones count as absent.
pub fn apply(body: &CustomerBody, c: &mut Customer) {
    // `cusName` shows a customer without a display name under a name made of its parts
    // (`Customer::display_name`); that name sent back changes nothing, so the shown name
    // keeps following the parts.
    let name = clean(&body.cus_name);
    if name != clean(&c.display_name()) {
        c.name.display = name;
    }

    // `cusMobile` is the customer's voice number: the default mobile, else plain phone.
    let (number, country_code) = match clean(&body.cus_mobile) {
        Some(raw) => {
            let (number, country_code) = canonical_mobile(&raw);
            (Some(number), country_code)
        }
        None => (None, None),
    };
    let shown = c.voice_index(PhoneKind::Mobile);
    c.set_shown_phone(shown, PhoneKind::Mobile, number, country_code);

    let cus_type = clean(&body.cus_type);
    c.kind = cus_type.as_deref().and_then(kind_of);
    let other_type = cus_type.filter(|_| c.kind.is_none()).map(Value::String);
    set_extension(c, EXT_CUS_TYPE, other_type);

    let id_idx = identification_index(c);
    match clean(&body.id_no) {
        Some(value) => {
            let given = clean(&body.id_type);
            let scheme = given
                .as_deref()
                .map(|t| id_type_code(t).map_or_else(|| t.to_ascii_uppercase(), str::to_owned))
                .unwrap_or_else(|| DEFAULT_ID_TYPE.to_owned());
            set_extension(
                c,
                EXT_ID_TYPE_UNSET,
                given.is_none().then_some(Value::Bool(true)),
            );
            match id_idx {
                Some(i) => c.identifications[i] = Identification { scheme, value },
                None => c.identifications.push(Identification { scheme, value }),
            }
        }
        None => {
            if let Some(i) = id_idx {
                c.identifications.remove(i);
            }
            set_extension(c, EXT_ID_TYPE_UNSET, None);
        }
    }

    match (clean(&body.email), c.email_index()) {
        (Some(address), Some(i)) => c.emails[i].address = address,
        (Some(address), None) => c.emails.push(Email {
            address,
            description: None,
            default: true,
        }),
        (None, Some(i)) => {
            c.emails.remove(i);
        }
        (None, None) => {}
    }

    c.tax.vat = clean(&body.vat_no);
    c.tax.tin = clean(&body.tin_no);

    let (building_no, street, city, postal_code) = (
        clean(&body.bldg_no),
        clean(&body.street),
        clean(&body.city),
        clean(&body.postal_code),
    );
    match address_index(c) {
        Some(i) => {
            let a = &mut c.addresses[i];
            a.building_no = building_no;
            a.street = street;
            a.city = city;
            a.postal_code = postal_code;
            if address_is_empty(a) {
                c.addresses.remove(i);
            }
        }
        None => {
            let a = Address {
                kind: AddressKind::Billing,
                building_no,
                street,
                city,
                postal_code,
                ..Address::default()
            };
            if !address_is_empty(&a) {
                c.addresses.push(a);
            }
        }
    }
}

/// A new canonical customer (fresh id) from a request body.
pub fn new_customer(body: &CustomerBody) -> Customer {
    let mut c = Customer::new();
    apply(body, &mut c);
    c
}

/// The dialect's data fields of a canonical customer. Values are shown trimmed and
/// blank ones as absent, as they would be stored through this dialect.
pub fn to_body(c: &Customer) -> CustomerBody {
    let cus_type = match c.kind {
        Some(k) => Some(cus_type_of(k).to_owned()),
        None => extension(c, EXT_CUS_TYPE)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    };
    let (id_type, id_no) = match identification_index(c).map(|i| &c.identifications[i]) {
        Some(id) => {
            let unset = id.scheme == DEFAULT_ID_TYPE
                && extension(c, EXT_ID_TYPE_UNSET) == Some(&Value::Bool(true));
            let scheme = (!unset).then(|| id.scheme.clone());
            let value = Some(id.value.trim()).filter(|v| !v.is_empty());
            (scheme, value.map(str::to_owned))
        }
        None => (None, None),
    };
    let address = address_index(c).map(|i| &c.addresses[i]);
    let addr = |f: fn(&Address) -> &Option<String>| address.and_then(|a| clean(f(a)));
    let text = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    CustomerBody {
        cus_name: c.display_name().as_deref().and_then(text),
        cus_mobile: c
            .voice_index(PhoneKind::Mobile)
            .and_then(|i| text(&local_mobile(c.phones[i].number.trim()))),
        cus_type,
        id_type,
        id_no,
        bldg_no: addr(|a| &a.building_no),
        street: addr(|a| &a.street),
        city: addr(|a| &a.city),
        postal_code: addr(|a| &a.postal_code),
        email: c.email_index().and_then(|i| text(&c.emails[i].address)),
        vat_no: clean(&c.tax.vat),
        tin_no: clean(&c.tax.tin),
    }
}

/// The record the API answers for a stored customer; `cusId` is its `seq`.
pub fn to_record(c: &Customer) -> Result<CustomerRecord, Error> {
    let cus_id = c
        .seq
        .ok_or_else(|| Error::unexpected(format!("customer '{}' has no sequence number", c.id)))?;
    Ok(CustomerRecord::new(cus_id, to_body(c)))
}

/// A canonical customer from a record read from an upstream system: `id` is the
/// decimal `cusId`, `seq` the `cusId` itself.
pub fn from_record(r: &CustomerRecord) -> Result<Customer, Error> {
    let id = CustomerId::parse(&r.cus_id.to_string())?;
    let mut c = Customer {
        id,
        seq: Some(r.cus_id),
        ..Customer::default()
    };
    apply(&r.body(), &mut c);
    Ok(c)
}

/// What `c` looks like once the upstream client (`Client`, feature `client`) has written
/// it to an upstream tenant API and read it back: [`to_body`] (what the client sends) as the record
/// the upstream answers, read with [`from_record`] (what the client makes of the answer),
/// through JSON as on the wire, assuming the upstream stores what it is sent. The fields
/// the upstream assigns (`id`, `seq`, `version`, timestamps) are `c`'s own (see
/// [`keep_assigned`]). `dropped_fields(c, &carried(c))` names what a tenant upstream
/// cannot carry.
pub fn carried(c: &Customer) -> Customer {
    let sent = CustomerRecord::new(c.seq.unwrap_or(1), to_body(c));
    let answer = serde_json::to_value(&sent)
        .and_then(serde_json::from_value::<CustomerRecord>)
        .unwrap_or(sent);
    // `from_record` fails only on an id it cannot make from `cusId`; nothing is carried then.
    let mut kept = from_record(&answer).unwrap_or_default();
    keep_assigned(c, &mut kept);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::{Contact, Phone, Status};

    fn seed_body() -> CustomerBody {
        CustomerBody {
            cus_name: Some("John Doe".into()),
            cus_mobile: Some("0555555555".into()),
            cus_type: Some("B2B".into()),
            id_type: Some("CRN".into()),
            id_no: Some("123456789".into()),
            bldg_no: Some("123".into()),
            street: Some("Main Street".into()),
            city: Some("Riyadh".into()),
            postal_code: Some("12345".into()),
            email: Some("john@example.com".into()),
            vat_no: Some("300000000000003".into()),
            tin_no: Some("123456789012345".into()),
        }
    }

    #[test]
    fn saudi_mobiles_become_e164_and_read_back_locally() {
        for raw in [
            "0555555555",
            " 055 555 5555 ",
            "+966555555555",
            "+966 55 555 5555",
            "00966555555555",
            "966555555555",
        ] {
            assert_eq!(
                canonical_mobile(raw),
                ("+966555555555".into(), Some("966".into())),
                "{raw}"
            );
        }
        for raw in [
            "555555555",
            "+4712345678",
            "0112345678",
            "05x5555555",
            "abc",
        ] {
            assert_eq!(canonical_mobile(raw), (raw.to_owned(), None), "{raw}");
        }
        assert_eq!(local_mobile("+966555555555"), "0555555555");
        assert_eq!(local_mobile("+4712345678"), "+4712345678");
        assert_eq!(local_mobile("+96611234567"), "+96611234567");
    }

    #[test]
    fn the_seed_body_maps_to_the_documented_canonical_fields() {
        let c = new_customer(&seed_body());
        assert_eq!(c.name.display.as_deref(), Some("John Doe"));
        assert_eq!(c.phones.len(), 1);
        assert_eq!(c.phones[0].kind, PhoneKind::Mobile);
        assert_eq!(c.phones[0].number, "+966555555555");
        assert_eq!(c.phones[0].country_code.as_deref(), Some("966"));
        assert!(c.phones[0].default);
        assert_eq!(c.kind, Some(CustomerKind::Company));
        assert_eq!(c.identification("CRN"), Some("123456789"));
        assert_eq!(c.default_email().unwrap().address, "john@example.com");
        assert_eq!(c.tax.vat.as_deref(), Some("300000000000003"));
        assert_eq!(c.tax.tin.as_deref(), Some("123456789012345"));
        let a = c.address_of(AddressKind::Billing).unwrap();
        assert_eq!(a.building_no.as_deref(), Some("123"));
        assert_eq!(a.street.as_deref(), Some("Main Street"));
        assert_eq!(a.city.as_deref(), Some("Riyadh"));
        assert_eq!(a.postal_code.as_deref(), Some("12345"));
        assert!(c.extensions.is_empty());
        assert_eq!(to_body(&c), seed_body());
    }

    #[test]
    fn other_customer_types_and_missing_id_types_round_trip() {
        let mut body = seed_body();
        body.cus_type = Some("B2G".into());
        body.id_type = None;
        let c = new_customer(&body);
        assert_eq!(c.kind, None);
        assert_eq!(c.identification("OTH"), Some("123456789"));
        let ext = c.extension(DIALECT).unwrap();
        assert_eq!(ext["cusType"], "B2G");
        assert_eq!(ext["idTypeUnset"], true);
        assert_eq!(to_body(&c), body);

        // Writing a known type clears the extension again.
        let mut again = c.clone();
        apply(&seed_body(), &mut again);
        assert!(again.extensions.is_empty());
        assert_eq!(again.kind, Some(CustomerKind::Company));
    }

    #[test]
    fn apply_keeps_what_the_dialect_does_not_carry() {
        let mut c = Customer::new();
        c.status = Status::Quote;
        c.note = Some("keep me".into());
        c.name.first = Some("John".into());
        c.phones.push(Phone {
            kind: PhoneKind::Fax,
            number: "+966112345678".into(),
            default: true,
            ..Phone::default()
        });
        c.emails.push(Email {
            address: "other@example.com".into(),
            ..Email::default()
        });
        c.emails.push(Email {
            address: "main@example.com".into(),
            default: true,
            ..Email::default()
        });
        c.identifications.push(Identification {
            scheme: "PAS".into(),
            value: "P1".into(),
        });
        c.addresses.push(Address {
            kind: AddressKind::Shipping,
            city: Some("Jeddah".into()),
            ..Address::default()
        });
        c.addresses.push(Address {
            kind: AddressKind::Billing,
            district: Some("Olaya".into()),
            city: Some("Dammam".into()),
            ..Address::default()
        });
        c.contacts.push(Contact::default());
        c.extension_mut("odata").insert("GLN".into(), "1".into());

        apply(&seed_body(), &mut c);
        assert_eq!(c.status, Status::Quote);
        assert_eq!(c.note.as_deref(), Some("keep me"));
        assert_eq!(c.name.first.as_deref(), Some("John"));
        assert_eq!(c.phones.len(), 2);
        assert!(!c.phones[1].default, "the fax stays the default phone");
        assert_eq!(c.emails[0].address, "other@example.com");
        assert_eq!(c.emails[1].address, "john@example.com");
        assert_eq!(c.identifications.len(), 2);
        assert_eq!(c.addresses[0].city.as_deref(), Some("Jeddah"));
        assert_eq!(c.addresses[1].city.as_deref(), Some("Riyadh"));
        assert_eq!(c.addresses[1].district.as_deref(), Some("Olaya"));
        assert_eq!(c.contacts.len(), 1);
        assert!(c.extension("odata").is_some());
        assert_eq!(to_body(&c), seed_body());

        // Clearing the dialect's fields removes only what it carries.
        apply(&CustomerBody::default(), &mut c);
        assert_eq!(c.phones.len(), 1);
        assert_eq!(c.emails.len(), 1);
        assert_eq!(c.identifications.len(), 1);
        assert_eq!(
            c.addresses.len(),
            2,
            "the district keeps the billing address"
        );
        assert_eq!(c.tax.vat, None);
        assert_eq!(c.kind, None);
    }

    #[test]
    fn a_customer_without_a_mobile_shows_its_plain_phone_never_its_fax() {
        let phone = |kind, number: &str| Phone {
            kind,
            number: number.into(),
            ..Phone::default()
        };
        let mut c = Customer::new();
        c.phones = vec![phone(PhoneKind::Fax, "+966112223333")];
        assert_eq!(to_body(&c).cus_mobile, None);
        c.phones.push(phone(PhoneKind::Phone, "+966551112222"));
        assert_eq!(to_body(&c).cus_mobile.as_deref(), Some("0551112222"));
        // A write changes that phone, and keeps its kind and the fax.
        let mut body = to_body(&c);
        body.cus_mobile = Some("0553334444".into());
        apply(&body, &mut c);
        assert_eq!(c.phones.len(), 2);
        assert_eq!(
            (c.phones[1].kind, c.phones[1].number.as_str()),
            (PhoneKind::Phone, "+966553334444")
        );
        // A mobile comes first.
        c.phones.push(phone(PhoneKind::Mobile, "+966554445555"));
        assert_eq!(to_body(&c).cus_mobile.as_deref(), Some("0554445555"));
    }

    #[test]
    fn a_name_made_of_the_parts_sent_back_changes_nothing() {
        let mut c = Customer::new();
        c.seq = Some(1);
        c.name.first = Some("Sara".into());
        c.name.last = Some("Ali".into());
        let body = to_body(&c);
        assert_eq!(body.cus_name.as_deref(), Some("Sara Ali"));
        let mut written = c.clone();
        apply(&body, &mut written);
        assert_eq!(
            written.name.display, None,
            "the shown name keeps following the parts"
        );

        // Another name is one.
        let renamed = CustomerBody {
            cus_name: Some("Sara A. Ali".into()),
            ..body
        };
        apply(&renamed, &mut written);
        assert_eq!(written.name.display.as_deref(), Some("Sara A. Ali"));
    }

    #[test]
    fn a_saudi_mobile_sent_back_keeps_its_dialling_code_or_its_absence() {
        let mut c = Customer::new();
        c.seq = Some(1);
        c.name.display = Some("A".into());
        // As NData writes it: no kind it could say, no dialling code.
        c.phones.push(Phone {
            kind: PhoneKind::Phone,
            number: "+966551112222".into(),
            ..Phone::default()
        });
        let body = to_body(&c);
        assert_eq!(body.cus_mobile.as_deref(), Some("0551112222"));
        let mut written = c.clone();
        apply(&body, &mut written);
        assert_eq!(written.phones, c.phones);

        // A changed Saudi mobile gets the code.
        let changed = CustomerBody {
            cus_mobile: Some("0551113333".into()),
            ..body
        };
        apply(&changed, &mut written);
        assert_eq!(written.phones[0].number, "+966551113333");
        assert_eq!(written.phones[0].country_code.as_deref(), Some("966"));
    }

    #[test]
    fn blank_values_are_absent_and_values_are_trimmed() {
        let body = CustomerBody {
            cus_name: Some("  Jane  ".into()),
            email: Some("   ".into()),
            cus_mobile: Some(String::new()),
            ..CustomerBody::default()
        };
        let c = new_customer(&body);
        assert_eq!(c.name.display.as_deref(), Some("Jane"));
        assert!(c.emails.is_empty());
        assert!(c.phones.is_empty());
        assert!(c.addresses.is_empty());
        c.check().unwrap();
    }

    #[test]
    fn records_from_upstream_get_their_cus_id_as_id() {
        let r = CustomerRecord::new(42, seed_body());
        let c = from_record(&r).unwrap();
        assert_eq!(c.id.as_str(), "42");
        assert_eq!(c.seq, Some(42));
        assert_eq!(to_record(&c).unwrap(), r);
        assert!(to_record(&Customer::new()).is_err());
    }
}
