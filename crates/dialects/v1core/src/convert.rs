//! Wire ↔ canonical, as pure functions.
//!
//! [`to_wire`] writes a canonical customer as one row of the answer, with labels in the
//! requested language; [`from_wire`] reads a row (from a real v1core system) into a
//! canonical customer.
//!
//! ## Lossless round trips: pins
//!
//! The mapping is many-to-one in places (`zipCode` and `postalCode` both become the
//! postal code, an unknown id has no canonical code, `versionId` is a row id the gateway
//! would derive differently, `companyId` has no canonical home at all). So that a row read
//! by [`from_wire`] comes back byte-for-byte from [`to_wire`], `from_wire` re-encodes what
//! it decoded and, for every group of wire fields that would not come back the same,
//! stores a *pin* in `extensions["v1core"]["pins"]`: the group's wire values, the
//! canonical value they decoded to, and the language of the labels. `to_wire` uses a pin
//! only while the canonical value is still the one it was made from, so an edit through
//! another dialect wins over a stale pin. A pinned label in another language than the one
//! requested is looked up again by its id.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use custgate_core::diff::keep_assigned;
use custgate_core::model::{e164, normalize_country_code, split_e164};
use custgate_core::{
    Address, AddressKind, Contact, Customer, CustomerId, CustomerKind, Email, Identification,
    Phone, PhoneKind, Status, Version,
};
use serde_json::{json, Value};

use crate::lookup::{Lang, Lookups, Table};
use crate::wire::{ContactDto, CustomerDto};
use crate::{JsonMap, DIALECT};

/// The dialling code assumed when a row gives a mobile number without one: the API
/// searches Saudi mobile numbers (`mobileNumber` must start with 5).
pub const DEFAULT_PHONE_CODE: &str = "966";

/// `versionId` = `seq` × this + `version`, for records that did not come from v1core.
pub const VERSION_ID_FACTOR: i64 = 1_000_000;

/// The lookups and language a conversion works with.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub lookups: &'a Lookups,
    pub lang: Lang,
}

impl<'a> Context<'a> {
    pub fn new(lookups: &'a Lookups, lang: Lang) -> Self {
        Self { lookups, lang }
    }
}

// ---------------------------------------------------------------------------------------
// Coded pairs
// ---------------------------------------------------------------------------------------

/// The canonical code of a wire pair (`xxxId`, `xxx`).
///
/// A known id gives its entry's code; an unknown id gives the table's
/// [`Table::unknown_code`]. Without an id, a label that names an entry (in either
/// language, or an alias) gives that entry's code, and any other label is kept as free
/// text where the table allows it.
pub fn decode_pair(
    l: &Lookups,
    table: Table,
    id: Option<i64>,
    label: Option<&str>,
) -> Option<String> {
    if let Some(id) = id {
        return match l.by_id(table, id) {
            Some(e) => Some(e.code.clone()),
            None => table.unknown_code().map(str::to_owned),
        };
    }
    let label = label.filter(|s| !s.trim().is_empty())?;
    if let Some(e) = l.by_code(table, label) {
        return Some(e.code.clone());
    }
    match table {
        Table::PhoneCode => {
            let cc = normalize_country_code(label);
            (!cc.is_empty() && cc.bytes().all(|b| b.is_ascii_digit())).then_some(cc)
        }
        _ if table.free_text() => Some(label.to_owned()),
        _ => None,
    }
}

/// The wire pair of a canonical code: the entry's id and label, or for a value that is
/// not in the table, no id and the value itself as the label (a dialling code as
/// `00<code>`).
pub fn encode_pair(
    l: &Lookups,
    table: Table,
    code: Option<&str>,
    lang: Lang,
) -> (Option<i64>, Option<String>) {
    let Some(code) = code.filter(|s| !s.trim().is_empty()) else {
        return (None, None);
    };
    if let Some(e) = l.by_code(table, code) {
        return (Some(e.id), Some(e.label(lang).to_owned()));
    }
    match table {
        Table::PhoneCode => (None, Some(format!("00{}", normalize_country_code(code)))),
        _ if table.free_text() => (None, Some(code.to_owned())),
        _ => (None, None),
    }
}

// ---------------------------------------------------------------------------------------
// Phones, dates
// ---------------------------------------------------------------------------------------

/// A national number and its phone code pair → (E.164 number, dialling code).
fn join_phone(
    l: &Lookups,
    id: Option<i64>,
    label: Option<&str>,
    national: &str,
) -> (String, String) {
    let cc = id
        .and_then(|id| l.by_id(Table::PhoneCode, id))
        .map(|e| e.code.clone())
        .or_else(|| decode_pair(l, Table::PhoneCode, None, label))
        .unwrap_or_else(|| DEFAULT_PHONE_CODE.to_owned());
    (e164(Some(&cc), national), cc)
}

/// An E.164 number → (phone code id, phone code label, national number). The dialling
/// code is the given one, else the longest code in the table the number starts with.
fn split_phone(
    l: &Lookups,
    number: &str,
    cc: Option<&str>,
    lang: Lang,
) -> (Option<i64>, Option<String>, String) {
    let number = number.trim();
    let cc = cc
        .map(normalize_country_code)
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let digits = number.strip_prefix('+')?;
            l.entries(Table::PhoneCode)
                .iter()
                .filter(|e| digits.starts_with(&e.code))
                .max_by_key(|e| e.code.len())
                .map(|e| e.code.clone())
        });
    let Some(cc) = cc else {
        return (None, None, number.to_owned());
    };
    let national = split_e164(number, &cc).unwrap_or(number).to_owned();
    let (id, label) = encode_pair(l, Table::PhoneCode, Some(&cc), lang);
    (id, label, national)
}

/// A date-time without zone (`2026-05-14T14:24:50.61`), an RFC 3339 date-time or a date;
/// zoneless values are UTC.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    custgate_core::field::parse_datetime(s).ok()
}

/// The vendor's (.NET) form: no zone, fraction to 100 ns with trailing zeros removed.
pub fn format_datetime(t: DateTime<Utc>) -> String {
    let n = t.naive_utc();
    let mut out = n.format("%Y-%m-%dT%H:%M:%S").to_string();
    let ticks = (n.nanosecond() / 100).min(9_999_999);
    if ticks > 0 {
        let frac = format!("{ticks:07}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out
}

/// `yyyy-MM-dd`, or the date of a date-time.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| parse_datetime(s).map(|t| t.date_naive()))
}

pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------------------------------
// What the row shows of a canonical customer
// ---------------------------------------------------------------------------------------

/// The address the row shows: the billing address, else the first.
pub fn main_address(c: &Customer) -> Option<&Address> {
    c.address_of(AddressKind::Billing)
        .or_else(|| c.addresses.first())
}

/// The index of the phone the row shows in `mobileNumber`: the customer's voice number
/// ([`Customer::voice_index`]), the default (else first) mobile, else plain phone (a
/// number written where phones have no kind, NData's, is still the customer's mobile).
fn primary_mobile_index(c: &Customer) -> Option<usize> {
    c.voice_index(PhoneKind::Mobile)
}

pub fn primary_mobile(c: &Customer) -> Option<&Phone> {
    primary_mobile_index(c).map(|i| &c.phones[i])
}

/// The phone the row shows in `additionalMobileNumber`: the first phone that is not the
/// primary mobile and not a fax.
pub fn additional_phone(c: &Customer) -> Option<&Phone> {
    let primary = primary_mobile_index(c);
    c.phones
        .iter()
        .enumerate()
        .find(|(i, p)| Some(*i) != primary && p.kind != PhoneKind::Fax)
        .map(|(_, p)| p)
}

/// The identification the row shows in `identificationNo`: the first.
pub fn primary_identification(c: &Customer) -> Option<&Identification> {
    c.identifications.first()
}

/// The value the row shows in `commercialRecord`: a further `CRN` identification after
/// the first one.
pub fn commercial_record(c: &Customer) -> Option<&str> {
    c.identifications
        .iter()
        .skip(1)
        .find(|i| i.scheme.eq_ignore_ascii_case("CRN"))
        .map(|i| i.value.as_str())
}

/// The row id of a record that did not come from v1core.
pub fn derive_version_id(seq: Option<i64>, version: Version) -> Option<i64> {
    let v = i64::try_from(version.get()).ok()?;
    seq?.checked_mul(VERSION_ID_FACTOR)?.checked_add(v)
}

// ---------------------------------------------------------------------------------------
// Canonical → wire
// ---------------------------------------------------------------------------------------

/// One row of the answer for a canonical customer, with labels in `ctx.lang`.
pub fn to_wire(c: &Customer, ctx: &Context<'_>) -> CustomerDto {
    let dto = encode(c, ctx);
    apply_pins(c, dto, ctx)
}

fn encode(c: &Customer, ctx: &Context<'_>) -> CustomerDto {
    let l = ctx.lookups;
    let lang = ctx.lang;
    let pair = |t: Table, code: Option<&str>| encode_pair(l, t, code, lang);

    let (nationality_id, nationality) = pair(Table::Nationality, c.locale.nationality.as_deref());
    let (gender_id, gender) = pair(Table::Gender, c.locale.gender.as_deref());
    let (customer_type_id, customer_type) =
        pair(Table::CustomerType, c.kind.map(CustomerKind::as_str));
    let (company_type_id, company_type) =
        pair(Table::CompanyType, c.locale.company_type.as_deref());
    let (industry_type_id, industry_type) = pair(Table::IndustryType, c.locale.industry.as_deref());
    let (preferred_contact_type_id, preferred_contact_type) = pair(
        Table::PreferredContactType,
        c.locale.preferred_contact_type.as_deref(),
    );
    let (monthly_income_id, monthly_income) =
        pair(Table::MonthlyIncome, c.locale.income_band.as_deref());
    let (preferred_language_id, preferred_language) = pair(
        Table::PreferredLanguage,
        c.locale.preferred_language.as_deref(),
    );

    // Names: a record that only has a display name shows it as the company name or the
    // first name.
    let mut first_name = c.name.first.clone();
    let mut company_name = c.name.company.clone();
    let no_parts = [&c.name.first, &c.name.middle, &c.name.last, &c.name.company]
        .iter()
        .all(|p| p.is_none());
    if no_parts {
        if let Some(d) = c.name.display.clone().filter(|d| !d.trim().is_empty()) {
            if c.kind == Some(CustomerKind::Company) {
                company_name = Some(d);
            } else {
                first_name = Some(d);
            }
        }
    }

    let (phone_code_id, phone_code, mobile_number) = match primary_mobile(c) {
        Some(p) => {
            let (id, label, national) = split_phone(l, &p.number, p.country_code.as_deref(), lang);
            (id, label, Some(national))
        }
        None => (None, None, None),
    };
    let (additional_phone_code_id, additional_phone_code, additional_mobile_number) =
        match additional_phone(c) {
            Some(p) => {
                let (id, label, national) =
                    split_phone(l, &p.number, p.country_code.as_deref(), lang);
                (id, label, Some(national))
            }
            None => (None, None, None),
        };

    let (identification_type_id, identification_type, identification_no) =
        match primary_identification(c) {
            Some(i) => {
                let (id, label) = pair(Table::IdentificationType, Some(&i.scheme));
                (id, label, Some(i.value.clone()))
            }
            None => (None, None, None),
        };

    let a = main_address(c);
    let field = |f: fn(&Address) -> &Option<String>| a.and_then(|a| f(a).clone());
    let (country_id, country) = match a {
        Some(a) => {
            let entry = a
                .country_code
                .as_deref()
                .and_then(|cc| l.by_code(Table::Country, cc))
                .or_else(|| {
                    a.country
                        .as_deref()
                        .and_then(|n| l.by_code(Table::Country, n))
                });
            match entry {
                Some(e) => (Some(e.id), Some(e.label(lang).to_owned())),
                None => (None, a.country.clone().or_else(|| a.country_code.clone())),
            }
        }
        None => (None, None),
    };
    let (city_id, city) = pair(Table::City, a.and_then(|a| a.city.as_deref()));
    let (region_id, region) = match a.and_then(|a| a.region.as_deref()) {
        Some(r) => pair(Table::Region, Some(r)),
        // A known city tells the region.
        None => city_id
            .and_then(|id| l.by_id(Table::City, id))
            .and_then(|city| city.region)
            .and_then(|r| l.by_id(Table::Region, r))
            .map_or((None, None), |e| {
                (Some(e.id), Some(e.label(lang).to_owned()))
            }),
    };
    let (address1, address2) = match a {
        Some(a) => {
            let parts: Vec<&str> = a
                .street
                .iter()
                .chain(a.lines.iter())
                .map(String::as_str)
                .collect();
            let first = parts.first().map(|s| (*s).to_owned());
            let rest = (parts.len() > 1).then(|| parts[1..].join(", "));
            (first, rest)
        }
        None => (None, None),
    };

    let customer_contacts = c
        .contacts
        .iter()
        .enumerate()
        .map(|(i, k)| encode_contact(i, k, c.seq, ctx))
        .collect();

    CustomerDto {
        version_id: derive_version_id(c.seq, c.version),
        customer_id: c.seq,
        customer_version_id: i64::try_from(c.version.get()).ok(),
        first_name,
        middle_name: c.name.middle.clone(),
        last_name: c.name.last.clone(),
        company_name,
        contact_name: c.name.contact_person.clone(),
        nationality_id,
        nationality,
        gender_id,
        gender,
        customer_type_id,
        customer_type,
        company_type_id,
        company_type,
        industry_type_id,
        industry_type,
        date_of_birth: c.locale.birth_date.map(format_date),
        occupation: c.locale.occupation.clone(),
        preferred_contact_type_id,
        preferred_contact_type,
        email_address: c.default_email().map(|e| e.address.clone()),
        phone_code_id,
        phone_code,
        mobile_number,
        additional_phone_code_id,
        additional_phone_code,
        additional_mobile_number,
        identification_type_id,
        identification_type,
        identification_no,
        country_id,
        country,
        region_id,
        region,
        city_id,
        city,
        zip_code: None,
        address1,
        address2,
        monthly_income_id,
        monthly_income,
        created_date: c.created_at.map(format_datetime),
        is_active: Some(Value::Bool(c.status == Status::Active)),
        preferred_language_id,
        preferred_language,
        company_id: None,
        company: None,
        national_address: None,
        commercial_record: commercial_record(c).map(|v| Value::String(v.to_owned())),
        plot_identification: None,
        building_no: field(|a| &a.building_no),
        unit_no: field(|a| &a.unit_no),
        vat_reg_no: c.tax.vat.clone(),
        start_date: c.updated_at.map(format_datetime),
        end_date: None,
        city_sub_division_name: field(|a| &a.district),
        postal_code: field(|a| &a.postal_code),
        user_active: None,
        customer_contacts: Some(customer_contacts),
        extra: JsonMap::new(),
    }
}

fn encode_contact(i: usize, k: &Contact, seq: Option<i64>, ctx: &Context<'_>) -> ContactDto {
    let (relation_type_id, relation_type) = encode_pair(
        ctx.lookups,
        Table::RelationType,
        k.relation.as_deref(),
        ctx.lang,
    );
    let (contact_phone_code_id, phone_code, contact_number) = match &k.phone {
        Some(p) => {
            let (id, label, national) = split_phone(ctx.lookups, p, None, ctx.lang);
            (id, label, Some(national))
        }
        None => (None, None, None),
    };
    ContactDto {
        contact_id: i64::try_from(i + 1).ok(),
        customer_id: seq,
        customer: None,
        contact_number,
        relation_type_id,
        relation_type,
        contact_name: k.name.clone(),
        contact_phone_code_id,
        phone_code,
        primary_contact: Some(k.primary),
        contact_start_date: k.start_date.map(format_date),
        contact_end_date: k.end_date.map(format_date),
        is_active: Some(k.active),
        contact_is_enable: None,
        profession: k.profession.clone(),
        remarks: k.remarks.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Wire → canonical
// ---------------------------------------------------------------------------------------

/// A canonical customer from one row of a real system's answer. The gateway id is the
/// `customerId` (else `version-<versionId>`); whatever would not come back the same
/// through [`to_wire`] is pinned in `extensions["v1core"]`.
pub fn from_wire(w: &CustomerDto, ctx: &Context<'_>) -> Customer {
    let mut c = decode(w, ctx.lookups);
    let wire = as_object(serde_json::to_value(w));
    let encoded = as_object(serde_json::to_value(encode(&c, ctx)));
    let mut pins = JsonMap::new();
    for g in GROUPS {
        if g.keys.iter().any(|k| wire.get(*k) != encoded.get(*k)) {
            let values: JsonMap = g
                .keys
                .iter()
                .map(|k| {
                    (
                        (*k).to_owned(),
                        wire.get(*k).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            pins.insert(
                g.keys[0].to_owned(),
                json!({ "wire": values, "canon": (g.canon)(&c), "lang": ctx.lang.as_str() }),
            );
        }
    }
    let mut ext = JsonMap::new();
    if !pins.is_empty() {
        ext.insert("pins".into(), Value::Object(pins));
    }
    if !w.extra.is_empty() {
        ext.insert("extra".into(), Value::Object(w.extra.clone()));
    }
    if !ext.is_empty() {
        c.extensions.insert(DIALECT.to_owned(), ext);
    }
    c
}

fn as_object(v: Result<Value, serde_json::Error>) -> JsonMap {
    match v {
        Ok(Value::Object(m)) => m,
        _ => JsonMap::new(),
    }
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.trim().is_empty())
}

fn decode(w: &CustomerDto, l: &Lookups) -> Customer {
    let mut c = Customer::default();
    let pair =
        |t: Table, id: Option<i64>, label: &Option<String>| decode_pair(l, t, id, label.as_deref());

    c.id = w
        .customer_id
        .map(|n| n.to_string())
        .or_else(|| w.version_id.map(|n| format!("version-{n}")))
        .and_then(|s| CustomerId::parse(&s).ok())
        .unwrap_or(c.id);
    c.seq = w.customer_id;
    c.version = w
        .customer_version_id
        .and_then(|v| u64::try_from(v).ok())
        .and_then(|v| Version::new(v).ok())
        .unwrap_or(Version::FIRST);
    c.reference_no = w
        .extra
        .get("referenceNo")
        .and_then(Value::as_str)
        .map(str::to_owned);

    c.name.first = w.first_name.clone();
    c.name.middle = w.middle_name.clone();
    c.name.last = w.last_name.clone();
    c.name.company = w.company_name.clone();
    c.name.contact_person = w.contact_name.clone();
    c.kind = match pair(Table::CustomerType, w.customer_type_id, &w.customer_type).as_deref() {
        Some("person") => Some(CustomerKind::Person),
        Some("company") => Some(CustomerKind::Company),
        _ => None,
    };

    c.locale.nationality = pair(Table::Nationality, w.nationality_id, &w.nationality);
    c.locale.gender = pair(Table::Gender, w.gender_id, &w.gender);
    c.locale.company_type = pair(Table::CompanyType, w.company_type_id, &w.company_type);
    c.locale.industry = pair(Table::IndustryType, w.industry_type_id, &w.industry_type);
    c.locale.birth_date = w.date_of_birth.as_deref().and_then(parse_date);
    c.locale.occupation = w.occupation.clone();
    c.locale.preferred_contact_type = pair(
        Table::PreferredContactType,
        w.preferred_contact_type_id,
        &w.preferred_contact_type,
    );
    c.locale.income_band = pair(Table::MonthlyIncome, w.monthly_income_id, &w.monthly_income);
    c.locale.preferred_language = pair(
        Table::PreferredLanguage,
        w.preferred_language_id,
        &w.preferred_language,
    );

    if let Some(address) = non_empty(&w.email_address) {
        c.emails.push(Email {
            address,
            description: None,
            default: true,
        });
    }
    for (id, label, number, default) in [
        (w.phone_code_id, &w.phone_code, &w.mobile_number, true),
        (
            w.additional_phone_code_id,
            &w.additional_phone_code,
            &w.additional_mobile_number,
            false,
        ),
    ] {
        if let Some(national) = non_empty(number) {
            let (number, cc) = join_phone(l, id, label.as_deref(), &national);
            c.phones.push(Phone {
                kind: PhoneKind::Mobile,
                number,
                country_code: Some(cc),
                description: None,
                default,
            });
        }
    }

    if let Some(value) = non_empty(&w.identification_no) {
        let scheme = pair(
            Table::IdentificationType,
            w.identification_type_id,
            &w.identification_type,
        )
        .filter(|s| is_scheme(s))
        .unwrap_or_else(|| "OTH".to_owned());
        c.identifications.push(Identification { scheme, value });
    }
    if let Some(Value::String(cr)) = &w.commercial_record {
        if !cr.trim().is_empty() {
            c.identifications.push(Identification {
                scheme: "CRN".into(),
                value: cr.clone(),
            });
        }
    }
    c.tax.vat = w.vat_reg_no.clone();

    let has_address = w.country_id.is_some()
        || w.country.is_some()
        || w.region_id.is_some()
        || w.region.is_some()
        || w.city_id.is_some()
        || w.city.is_some()
        || w.zip_code.is_some()
        || w.postal_code.is_some()
        || w.address1.is_some()
        || w.address2.is_some()
        || w.building_no.is_some()
        || w.unit_no.is_some()
        || w.city_sub_division_name.is_some();
    if has_address {
        let country = match w.country_id {
            Some(id) => l.by_id(Table::Country, id),
            None => w
                .country
                .as_deref()
                .and_then(|n| l.by_code(Table::Country, n)),
        };
        let (country_code, country_name) = match country {
            Some(e) => (Some(e.code.clone()), Some(e.en.clone())),
            None if w.country_id.is_none() => (None, non_empty(&w.country)),
            None => (None, None),
        };
        c.addresses.push(Address {
            kind: AddressKind::Billing,
            lines: [&w.address1, &w.address2]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            building_no: w.building_no.clone(),
            unit_no: w.unit_no.clone(),
            street: None,
            district: w.city_sub_division_name.clone(),
            city: pair(Table::City, w.city_id, &w.city),
            region: pair(Table::Region, w.region_id, &w.region),
            postal_code: w.postal_code.clone().or_else(|| w.zip_code.clone()),
            country: country_name,
            country_code,
        });
    }

    c.status = match &w.is_active {
        Some(Value::Bool(false)) => Status::Inactive,
        _ => Status::Active,
    };
    c.created_at = w.created_date.as_deref().and_then(parse_datetime);
    c.updated_at = w.start_date.as_deref().and_then(parse_datetime);

    c.contacts = w
        .customer_contacts
        .iter()
        .flatten()
        .map(|k| decode_contact(k, l))
        .collect();
    c
}

fn is_scheme(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 8
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn decode_contact(k: &ContactDto, l: &Lookups) -> Contact {
    Contact {
        name: k.contact_name.clone(),
        phone: non_empty(&k.contact_number)
            .map(|n| join_phone(l, k.contact_phone_code_id, k.phone_code.as_deref(), &n).0),
        email: None,
        relation: decode_pair(
            l,
            Table::RelationType,
            k.relation_type_id,
            k.relation_type.as_deref(),
        ),
        profession: k.profession.clone(),
        remarks: k.remarks.clone(),
        primary: k.primary_contact.unwrap_or(false),
        active: k.is_active.unwrap_or(true),
        start_date: k.contact_start_date.as_deref().and_then(parse_date),
        end_date: k.contact_end_date.as_deref().and_then(parse_date),
    }
}

// ---------------------------------------------------------------------------------------
// What a v1core record can hold
// ---------------------------------------------------------------------------------------

/// What a v1core record can hold of `c`: `c` as one row of the answer ([`to_wire`]) read
/// back the way the client reads rows ([`from_wire`]), through JSON as on the wire. The
/// v1core API is lookup-only, so the client never writes: this is what any read of a
/// v1core system can show, the dialect's part of what `dropped_fields` reports. It uses
/// the built-in lookup tables and the client's default language (`ar`); a client with
/// lookup overrides gives [`carried_with`] its own [`Context`], since what a code comes
/// back as depends on the tables. The fields a backend assigns (`id`, `seq`, `version`,
/// timestamps) are `c`'s own (see [`keep_assigned`]).
pub fn carried(c: &Customer) -> Customer {
    carried_with(c, &Context::new(Lookups::builtin(), Lang::default()))
}

/// [`carried`] with the lookups and language of a configured client.
pub fn carried_with(c: &Customer, ctx: &Context<'_>) -> Customer {
    let row = to_wire(c, ctx);
    let answer = serde_json::to_value(&row)
        .and_then(serde_json::from_value::<CustomerDto>)
        .unwrap_or(row);
    let mut kept = from_wire(&answer, ctx);
    keep_assigned(c, &mut kept);
    kept
}

// ---------------------------------------------------------------------------------------
// Pins
// ---------------------------------------------------------------------------------------

/// A group of wire fields encoded together, and the canonical value they come from.
struct Group {
    keys: &'static [&'static str],
    canon: fn(&Customer) -> Value,
}

fn addr(c: &Customer, f: fn(&Address) -> Value) -> Value {
    main_address(c).map(f).unwrap_or(Value::Null)
}

/// Every wire field of a customer row, in groups (a test checks the coverage).
static GROUPS: &[Group] = &[
    Group {
        keys: &["versionId"],
        canon: |c| json!([c.seq, c.version]),
    },
    Group {
        keys: &["customerId"],
        canon: |c| json!(c.seq),
    },
    Group {
        keys: &["customerVersionId"],
        canon: |c| json!(c.version),
    },
    Group {
        keys: &[
            "firstName",
            "middleName",
            "lastName",
            "companyName",
            "contactName",
        ],
        canon: |c| json!([c.name, c.kind]),
    },
    Group {
        keys: &["nationalityId", "nationality"],
        canon: |c| json!(c.locale.nationality),
    },
    Group {
        keys: &["genderId", "gender"],
        canon: |c| json!(c.locale.gender),
    },
    Group {
        keys: &["customerTypeId", "customerType"],
        canon: |c| json!(c.kind),
    },
    Group {
        keys: &["companyTypeId", "companyType"],
        canon: |c| json!(c.locale.company_type),
    },
    Group {
        keys: &["industryTypeId", "industryType"],
        canon: |c| json!(c.locale.industry),
    },
    Group {
        keys: &["dateOfBirth"],
        canon: |c| json!(c.locale.birth_date),
    },
    Group {
        keys: &["occupation"],
        canon: |c| json!(c.locale.occupation),
    },
    Group {
        keys: &["preferredContactTypeId", "preferredContactType"],
        canon: |c| json!(c.locale.preferred_contact_type),
    },
    Group {
        keys: &["emailAddress"],
        canon: |c| json!(c.default_email().map(|e| &e.address)),
    },
    Group {
        keys: &["phoneCodeId", "phoneCode", "mobileNumber"],
        canon: |c| json!(primary_mobile(c)),
    },
    Group {
        keys: &[
            "additionalPhoneCodeId",
            "additionalPhoneCode",
            "additionalMobileNumber",
        ],
        canon: |c| json!(additional_phone(c)),
    },
    Group {
        keys: &[
            "identificationTypeId",
            "identificationType",
            "identificationNo",
        ],
        canon: |c| json!(primary_identification(c)),
    },
    Group {
        keys: &["countryId", "country"],
        canon: |c| addr(c, |a| json!([a.country_code, a.country])),
    },
    Group {
        keys: &["regionId", "region"],
        canon: |c| addr(c, |a| json!([a.region, a.city])),
    },
    Group {
        keys: &["cityId", "city"],
        canon: |c| addr(c, |a| json!(a.city)),
    },
    Group {
        keys: &["zipCode", "postalCode"],
        canon: |c| addr(c, |a| json!(a.postal_code)),
    },
    Group {
        keys: &["address1", "address2"],
        canon: |c| addr(c, |a| json!([a.street, a.lines])),
    },
    Group {
        keys: &["monthlyIncomeId", "monthlyIncome"],
        canon: |c| json!(c.locale.income_band),
    },
    Group {
        keys: &["createdDate"],
        canon: |c| json!(c.created_at),
    },
    Group {
        keys: &["isActive"],
        canon: |c| json!(c.status),
    },
    Group {
        keys: &["preferredLanguageId", "preferredLanguage"],
        canon: |c| json!(c.locale.preferred_language),
    },
    Group {
        keys: &["companyId"],
        canon: |_| Value::Null,
    },
    Group {
        keys: &["company"],
        canon: |_| Value::Null,
    },
    Group {
        keys: &["nationalAddress"],
        canon: |_| Value::Null,
    },
    Group {
        keys: &["commercialRecord"],
        canon: |c| json!(commercial_record(c)),
    },
    Group {
        keys: &["plotIdentification"],
        canon: |_| Value::Null,
    },
    Group {
        keys: &["buildingNo"],
        canon: |c| addr(c, |a| json!(a.building_no)),
    },
    Group {
        keys: &["unitNo"],
        canon: |c| addr(c, |a| json!(a.unit_no)),
    },
    Group {
        keys: &["vatRegNo"],
        canon: |c| json!(c.tax.vat),
    },
    Group {
        keys: &["startDate"],
        canon: |c| json!(c.updated_at),
    },
    Group {
        keys: &["endDate"],
        canon: |_| Value::Null,
    },
    Group {
        keys: &["citySubDivisionName"],
        canon: |c| addr(c, |a| json!(a.district)),
    },
    Group {
        keys: &["userActive"],
        canon: |_| Value::Null,
    },
    Group {
        keys: &["customerContacts"],
        canon: |c| json!([c.seq, c.contacts]),
    },
];

/// The coded pairs of a customer row: id field, label field, table.
const PAIRS: &[(&str, &str, Table)] = &[
    ("nationalityId", "nationality", Table::Nationality),
    ("genderId", "gender", Table::Gender),
    ("customerTypeId", "customerType", Table::CustomerType),
    ("companyTypeId", "companyType", Table::CompanyType),
    ("industryTypeId", "industryType", Table::IndustryType),
    (
        "preferredContactTypeId",
        "preferredContactType",
        Table::PreferredContactType,
    ),
    ("phoneCodeId", "phoneCode", Table::PhoneCode),
    (
        "additionalPhoneCodeId",
        "additionalPhoneCode",
        Table::PhoneCode,
    ),
    (
        "identificationTypeId",
        "identificationType",
        Table::IdentificationType,
    ),
    ("countryId", "country", Table::Country),
    ("regionId", "region", Table::Region),
    ("cityId", "city", Table::City),
    ("monthlyIncomeId", "monthlyIncome", Table::MonthlyIncome),
    (
        "preferredLanguageId",
        "preferredLanguage",
        Table::PreferredLanguage,
    ),
];

/// The coded pairs of a contact.
const CONTACT_PAIRS: &[(&str, &str, Table)] = &[
    ("relationTypeId", "relationType", Table::RelationType),
    ("contactPhoneCodeId", "phoneCode", Table::PhoneCode),
];

fn apply_pins(c: &Customer, dto: CustomerDto, ctx: &Context<'_>) -> CustomerDto {
    let Some(pins) = c
        .extension(DIALECT)
        .and_then(|e| e.get("pins"))
        .and_then(Value::as_object)
    else {
        return dto;
    };
    let mut row = as_object(serde_json::to_value(&dto));
    let mut changed = false;
    for g in GROUPS {
        let Some(pin) = pins.get(g.keys[0]).and_then(Value::as_object) else {
            continue;
        };
        if pin.get("canon") != Some(&(g.canon)(c)) {
            continue;
        }
        let Some(values) = pin.get("wire").and_then(Value::as_object) else {
            continue;
        };
        for k in g.keys {
            if let Some(v) = values.get(*k) {
                row.insert((*k).to_owned(), v.clone());
            }
        }
        let pin_lang = pin
            .get("lang")
            .and_then(Value::as_str)
            .and_then(Lang::parse);
        if pin_lang != Some(ctx.lang) {
            relabel(&mut row, g.keys, ctx);
        }
        changed = true;
    }
    if !changed {
        return dto;
    }
    // A pin that no longer fits the row's types (edited by hand) is dropped with the rest.
    serde_json::from_value(Value::Object(row)).unwrap_or(dto)
}

/// Puts the labels of pinned pairs into the requested language.
fn relabel(row: &mut JsonMap, keys: &[&str], ctx: &Context<'_>) {
    for (id_key, label_key, table) in PAIRS {
        if keys.contains(label_key) {
            relabel_pair(row, id_key, label_key, *table, ctx);
        }
    }
    if keys.contains(&"customerContacts") {
        if let Some(Value::Array(items)) = row.get_mut("customerContacts") {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                for (id_key, label_key, table) in CONTACT_PAIRS {
                    relabel_pair(item, id_key, label_key, *table, ctx);
                }
            }
        }
    }
}

fn relabel_pair(obj: &mut JsonMap, id_key: &str, label_key: &str, table: Table, ctx: &Context<'_>) {
    let l = ctx.lookups;
    let id = obj.get(id_key).and_then(Value::as_i64);
    let label = obj.get(label_key).and_then(Value::as_str);
    let new = match id {
        Some(id) => l.label(table, id, ctx.lang).map(str::to_owned),
        None => label.map(|s| {
            l.by_code(table, s)
                .map(|e| e.label(ctx.lang).to_owned())
                .unwrap_or_else(|| s.to_owned())
        }),
    };
    obj.insert(label_key.to_owned(), new.map_or(Value::Null, Value::String));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_field_is_in_exactly_one_group() {
        let mut keys: Vec<&str> = GROUPS.iter().flat_map(|g| g.keys.iter().copied()).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a field is in two groups");
        let mut wire = crate::wire::customer_keys();
        wire.sort();
        assert_eq!(keys, wire.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn dates_keep_the_vendor_form() {
        let t = parse_datetime("2026-05-14T14:24:50.61").unwrap();
        assert_eq!(format_datetime(t), "2026-05-14T14:24:50.61");
        let t = parse_datetime("2026-05-14T14:24:50").unwrap();
        assert_eq!(format_datetime(t), "2026-05-14T14:24:50");
        let t = parse_datetime("2026-05-14T14:24:50.1234567").unwrap();
        assert_eq!(format_datetime(t), "2026-05-14T14:24:50.1234567");
        let t = parse_datetime("2026-05-14T14:24:50.123456789Z").unwrap();
        assert_eq!(format_datetime(t), "2026-05-14T14:24:50.1234567");
        assert_eq!(
            parse_date("1990-01-31"),
            NaiveDate::from_ymd_opt(1990, 1, 31)
        );
        assert_eq!(
            parse_date("1990-01-31T00:00:00"),
            NaiveDate::from_ymd_opt(1990, 1, 31)
        );
        assert_eq!(parse_date("31/01/1990"), None);
    }

    #[test]
    fn pairs_decode_and_encode() {
        let l = Lookups::builtin();
        assert_eq!(
            decode_pair(l, Table::Country, Some(1), None).as_deref(),
            Some("SA")
        );
        assert_eq!(decode_pair(l, Table::Country, Some(999), Some("x")), None);
        assert_eq!(
            decode_pair(l, Table::IdentificationType, Some(999), None).as_deref(),
            Some("OTH")
        );
        assert_eq!(
            decode_pair(l, Table::City, None, Some("جدة")).as_deref(),
            Some("Jeddah")
        );
        assert_eq!(
            decode_pair(l, Table::City, None, Some("Springfield")).as_deref(),
            Some("Springfield")
        );
        assert_eq!(
            decode_pair(l, Table::CustomerType, None, Some("Government")),
            None
        );
        assert_eq!(
            decode_pair(l, Table::PhoneCode, None, Some("00999")).as_deref(),
            Some("999")
        );
        assert_eq!(
            encode_pair(l, Table::City, Some("Riyadh"), Lang::Ar),
            (Some(1), Some("الرياض".to_owned()))
        );
        assert_eq!(
            encode_pair(l, Table::City, Some("Springfield"), Lang::En),
            (None, Some("Springfield".to_owned()))
        );
        assert_eq!(
            encode_pair(l, Table::PhoneCode, Some("999"), Lang::En),
            (None, Some("00999".to_owned()))
        );
    }

    #[test]
    fn phones_split_by_the_longest_known_code() {
        let l = Lookups::builtin();
        assert_eq!(
            split_phone(l, "+966568617084", None, Lang::Ar),
            (Some(1), Some("00966".into()), "568617084".into())
        );
        assert_eq!(
            split_phone(l, "+971501234567", None, Lang::Ar),
            (Some(2), Some("00971".into()), "501234567".into())
        );
        assert_eq!(
            split_phone(l, "+4712345678", Some("47"), Lang::Ar),
            (None, Some("0047".into()), "12345678".into())
        );
        assert_eq!(
            split_phone(l, "0555", None, Lang::Ar),
            (None, None, "0555".into())
        );
        assert_eq!(
            join_phone(l, None, None, "568617084"),
            ("+966568617084".to_owned(), "966".to_owned())
        );
        assert_eq!(
            join_phone(l, Some(2), Some("00971"), "501234567"),
            ("+971501234567".to_owned(), "971".to_owned())
        );
    }

    #[test]
    fn version_ids_derive_from_seq_and_version() {
        assert_eq!(
            derive_version_id(Some(7), Version::new(3).unwrap()),
            Some(7_000_003)
        );
        assert_eq!(derive_version_id(None, Version::FIRST), None);
        assert_eq!(derive_version_id(Some(i64::MAX), Version::FIRST), None);
    }
}
