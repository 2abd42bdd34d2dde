//! The canonical customer: one record able to hold everything the five dialects carry.
//!
//! Codes are canonical, not dialect codes: ISO 3166-1 alpha-2 countries, ISO 639-1
//! languages, identification schemes in upper case (`NAT`, `CRN`, `ORG`…), phone numbers
//! in E.164 form (`+966568617084`). What a dialect carries without a home here goes into
//! [`Customer::extensions`] under the dialect's name.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, Version};

/// Free-form JSON object.
pub type JsonMap = serde_json::Map<String, serde_json::Value>;

/// The canonical customer: everything the five dialects carry.
///
/// A record to create starts from [`Customer::new`], which gives it a fresh id.
/// `Customer::default()` is the blank that deserialising fills in: its id is the
/// placeholder `new`, so two records built from it share an id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// The gateway id; unique per tenant.
    pub id: CustomerId,
    /// Per-tenant sequence number assigned by the store (1, 2, 3…): `cusId`, `ID`,
    /// `customerId` in the dialects with integer ids.
    pub seq: Option<i64>,
    /// The customer number (`CUSTNO`, `CustomerNumber`): digits without padding when the
    /// store assigns it.
    pub number: Option<String>,
    pub external_id: Option<String>,
    pub reference_no: Option<String>,
    pub kind: Option<CustomerKind>,
    pub name: Names,
    pub identifications: Vec<Identification>,
    pub tax: TaxIds,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    pub addresses: Vec<Address>,
    pub contacts: Vec<Contact>,
    pub status: Status,
    pub activation_time: Option<DateTime<Utc>>,
    pub expiration_time: Option<DateTime<Utc>>,
    pub finance: Finance,
    pub sales: Sales,
    pub cards: Vec<Card>,
    pub locale: Locale,
    pub note: Option<String>,
    /// Free-form metadata (NData `meta`).
    pub meta: JsonMap,
    /// Custom values (Unimicro `CustomValues`).
    pub custom: JsonMap,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub version: Version,
    /// Per dialect, what that dialect carries that has no canonical home, so that a round
    /// trip through the same dialect loses nothing.
    pub extensions: BTreeMap<String, JsonMap>,
}

impl Default for Customer {
    fn default() -> Self {
        Self {
            id: CustomerId::parse("new").expect("static id is valid"),
            seq: None,
            number: None,
            external_id: None,
            reference_no: None,
            kind: None,
            name: Names::default(),
            identifications: Vec::new(),
            tax: TaxIds::default(),
            emails: Vec::new(),
            phones: Vec::new(),
            addresses: Vec::new(),
            contacts: Vec::new(),
            status: Status::Active,
            activation_time: None,
            expiration_time: None,
            finance: Finance::default(),
            sales: Sales::default(),
            cards: Vec::new(),
            locale: Locale::default(),
            note: None,
            meta: JsonMap::new(),
            custom: JsonMap::new(),
            created_at: None,
            updated_at: None,
            version: Version::FIRST,
            extensions: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Person,
    Company,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Person => "person",
            CustomerKind::Company => "company",
        }
    }
}

/// Lifecycle status. `Blocked` is Unimicro's "Deleted" (90001) status: the record still
/// exists but must not be used; a deleted record is gone from the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Active,
    Inactive,
    Quote,
    Blocked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Quote => "quote",
            Status::Blocked => "blocked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "active" => Some(Status::Active),
            "inactive" => Some(Status::Inactive),
            "quote" => Some(Status::Quote),
            "blocked" => Some(Status::Blocked),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Names {
    /// The name shown for the customer: the person's full name or the company name.
    pub display: Option<String>,
    pub first: Option<String>,
    pub middle: Option<String>,
    pub last: Option<String>,
    pub company: Option<String>,
    pub contact_person: Option<String>,
}

/// An identification document or registration: `scheme` is canonical upper case
/// (`TIN CRN MOM MLS 700 SAG NAT GCC IQA PAS OTH` from ZATCA, `ORG` for a national
/// organisation number), `value` as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Identification {
    pub scheme: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaxIds {
    pub vat: Option<String>,
    pub tin: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Email {
    pub address: String,
    pub description: Option<String>,
    pub default: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    #[default]
    Phone,
    Mobile,
    Fax,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Phone {
    pub kind: PhoneKind,
    /// E.164-style when the country is known (`+966568617084`), else as given.
    pub number: String,
    /// Dialling code without `+` or `00` (`966`), when known.
    pub country_code: Option<String>,
    pub description: Option<String>,
    pub default: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    /// Billing / invoice address.
    Billing,
    /// Shipping / delivery address.
    Shipping,
    #[default]
    Other,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    pub kind: AddressKind,
    pub lines: Vec<String>,
    pub building_no: Option<String>,
    pub unit_no: Option<String>,
    pub street: Option<String>,
    pub district: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// Country name as given.
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
}

/// A related person: family, friend, colleague (v1core `customerContacts`, Unimicro
/// `Info.Contacts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub name: Option<String>,
    /// E.164-style number.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Canonical relation code (`friend`, `brother`…) or the dialect's label.
    pub relation: Option<String>,
    pub profession: Option<String>,
    pub remarks: Option<String>,
    pub primary: bool,
    pub active: bool,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Finance {
    pub credit_limit: Option<Decimal>,
    /// Prepaid credit held by the customer (NData `credit`).
    pub credit_balance: Option<Money>,
    /// Accounts receivable high balance (ManEx `AR_HIGHBAL`).
    pub receivable_high_balance: Option<Decimal>,
    /// Payment terms label (`NET 30`) or the number of credit days.
    pub payment_terms: Option<String>,
    pub credit_days: Option<i64>,
    /// Credit status (`OK`, `HOLD`, `REJECT`).
    pub credit_status: Option<String>,
    /// Percentages, 0 to 100.
    pub discount_rate: Option<Decimal>,
    pub credit_rate: Option<Decimal>,
    pub taxable: Option<bool>,
    /// ISO 4217 code.
    pub currency: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sales {
    pub territory: Option<String>,
    pub division: Option<String>,
    pub reps: Vec<String>,
    pub reseller_no: Option<String>,
    pub discount_id: Option<String>,
}

/// A loyalty or payment card (NData `cards`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Card {
    pub serial_number: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub is_virtual: bool,
    pub processor: Option<String>,
    pub status: Option<String>,
    pub status_time: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
    pub activation_time: Option<DateTime<Utc>>,
    pub expiration_time: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub meta: Option<JsonMap>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Locale {
    /// ISO 639-1 (`ar`, `en`).
    pub preferred_language: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<String>,
    /// `male` / `female` / other as given.
    pub gender: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub occupation: Option<String>,
    pub industry: Option<String>,
    pub income_band: Option<String>,
    /// `voice_call`, `sms`, `email`, `whatsapp`… or the dialect's label.
    pub preferred_contact_type: Option<String>,
    pub company_type: Option<String>,
}

impl Customer {
    /// A blank record with a fresh id.
    pub fn new() -> Self {
        Self {
            id: CustomerId::generate(),
            ..Self::default()
        }
    }

    /// The integer the customer number stands for when it is made of ASCII digits only
    /// and fits an `i64` (`"007"` is 7; `"+7"`, `"C-7"` and `""` are none): the numbers a
    /// store counts when it assigns the next free one.
    pub fn number_value(&self) -> Option<i64> {
        let n = self.number.as_deref()?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n.parse().ok()
    }

    /// The position of the default (or first) email address: the one a dialect with a
    /// single email field shows and writes.
    pub fn email_index(&self) -> Option<usize> {
        self.emails
            .iter()
            .position(|e| e.default)
            .or((!self.emails.is_empty()).then_some(0))
    }

    /// The position of the default (or first) phone of `kind`, or of any kind with `None`:
    /// the one a dialect with a single phone field of that kind shows and writes.
    pub fn phone_index(&self, kind: Option<PhoneKind>) -> Option<usize> {
        let of_kind = |p: &Phone| kind.is_none_or(|k| p.kind == k);
        self.phones
            .iter()
            .position(|p| of_kind(p) && p.default)
            .or_else(|| self.phones.iter().position(of_kind))
    }

    /// The position of the phone a dialect with one voice number of `kind` (phone or
    /// mobile) shows and writes: the default (or first) phone of that kind, else the
    /// default (or first) of the other voice kind; never a fax. A customer whose only
    /// number is a mobile still has it shown in a `PHONE` field, and one whose only number
    /// is a plain phone (NData's has no kind) in a mobile field.
    pub fn voice_index(&self, kind: PhoneKind) -> Option<usize> {
        let other = match kind {
            PhoneKind::Phone => PhoneKind::Mobile,
            PhoneKind::Mobile => PhoneKind::Phone,
            PhoneKind::Fax => return self.phone_index(Some(PhoneKind::Fax)),
        };
        self.phone_index(Some(kind))
            .or_else(|| self.phone_index(Some(other)))
    }

    /// The position of the default (or first) phone that is not a fax, of either voice
    /// kind: what a dialect with one phone of no kind (NData's) shows and writes.
    pub fn default_voice_index(&self) -> Option<usize> {
        let voice = |p: &Phone| p.kind != PhoneKind::Fax;
        self.phones
            .iter()
            .position(|p| voice(p) && p.default)
            .or_else(|| self.phones.iter().position(voice))
    }

    /// Writes the phone a dialect's single phone field shows, at `shown` (from
    /// [`Customer::voice_index`] or [`Customer::default_voice_index`]). A number replaces
    /// that phone's, and its dialling code with `country_code` only when the number
    /// changes: the same number sent back keeps the phone's code, or its absence, whatever
    /// the dialect makes of it (the tenant API derives `966` from a Saudi mobile). The phone
    /// keeps its kind, description and flags. Without such a phone, one of `kind` is
    /// added, the default when the customer has none. `None` removes the phone shown.
    pub fn set_shown_phone(
        &mut self,
        shown: Option<usize>,
        kind: PhoneKind,
        number: Option<String>,
        country_code: Option<String>,
    ) {
        match (shown, number) {
            (Some(i), Some(number)) => {
                let p = &mut self.phones[i];
                if p.number != number {
                    p.country_code = country_code;
                }
                p.number = number;
            }
            (None, Some(number)) => {
                let default = !self.phones.iter().any(|p| p.default);
                self.phones.push(Phone {
                    kind,
                    number,
                    country_code,
                    description: None,
                    default,
                });
            }
            (Some(i), None) => {
                self.phones.remove(i);
            }
            (None, None) => {}
        }
    }

    /// The default (or first) email address.
    pub fn default_email(&self) -> Option<&Email> {
        self.email_index().map(|i| &self.emails[i])
    }

    /// The default (or first) phone of any kind.
    pub fn default_phone(&self) -> Option<&Phone> {
        self.phone_index(None).map(|i| &self.phones[i])
    }

    /// The default (or first) phone of a kind.
    pub fn phone_of(&self, kind: PhoneKind) -> Option<&Phone> {
        self.phone_index(Some(kind)).map(|i| &self.phones[i])
    }

    /// The first address of a kind.
    pub fn address_of(&self, kind: AddressKind) -> Option<&Address> {
        self.addresses.iter().find(|a| a.kind == kind)
    }

    /// The value of the first identification with this scheme.
    pub fn identification(&self, scheme: &str) -> Option<&str> {
        self.identifications
            .iter()
            .find(|i| i.scheme.eq_ignore_ascii_case(scheme))
            .map(|i| i.value.as_str())
    }

    /// The display name, or one made of the parts.
    pub fn display_name(&self) -> Option<String> {
        if let Some(d) = self.name.display.as_deref().filter(|d| !d.is_empty()) {
            return Some(d.to_owned());
        }
        if self.kind == Some(CustomerKind::Company) {
            if let Some(c) = &self.name.company {
                return Some(c.clone());
            }
        }
        let parts: Vec<&str> = [&self.name.first, &self.name.middle, &self.name.last]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            self.name.company.clone()
        } else {
            Some(parts.join(" "))
        }
    }

    /// The extension object of one dialect, created on first use.
    pub fn extension_mut(&mut self, dialect: &str) -> &mut JsonMap {
        self.extensions.entry(dialect.to_owned()).or_default()
    }

    /// The extension object of one dialect, if any.
    pub fn extension(&self, dialect: &str) -> Option<&JsonMap> {
        self.extensions.get(dialect)
    }

    /// Whether the record is expired at `now` (NData `status: Expired`).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expiration_time.is_some_and(|t| t <= now)
    }

    /// Whether the record is not yet valid at `now` (NData `status: NotYetValid`).
    pub fn is_not_yet_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.activation_time.is_some_and(|t| t > now)
    }

    /// Checks the invariants every store relies on.
    pub fn check(&self) -> crate::Result<()> {
        let mut errs = Vec::new();
        let mut push = |field: &str, message: &str| {
            errs.push(crate::FieldError {
                field: field.into(),
                message: message.into(),
            })
        };
        for (i, e) in self.emails.iter().enumerate() {
            if e.address.trim().is_empty() {
                push(&format!("emails[{i}].address"), "must not be empty");
            }
        }
        for (i, p) in self.phones.iter().enumerate() {
            if p.number.trim().is_empty() {
                push(&format!("phones[{i}].number"), "must not be empty");
            }
        }
        for (i, c) in self.cards.iter().enumerate() {
            if c.serial_number.trim().is_empty() {
                push(&format!("cards[{i}].serial_number"), "must not be empty");
            }
        }
        for (i, id) in self.identifications.iter().enumerate() {
            if id.scheme.trim().is_empty() || id.value.trim().is_empty() {
                push(
                    &format!("identifications[{i}]"),
                    "scheme and value must not be empty",
                );
            }
        }
        if let (Some(a), Some(b)) = (self.activation_time, self.expiration_time) {
            if b < a {
                push("expiration_time", "must not be before activation_time");
            }
        }
        if let Some(n) = &self.number {
            if n.trim().is_empty() || n.len() > 64 {
                push("number", "must be 1 to 64 characters");
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::validation(errs))
        }
    }
}

/// Converts a phone number given in national form with a separate dialling code
/// (`568617084`, `00966`) into E.164 (`+966568617084`).
pub fn e164(country_code: Option<&str>, national: &str) -> String {
    let national = national.trim();
    if national.starts_with('+') {
        return national.to_owned();
    }
    match country_code.map(normalize_country_code) {
        Some(cc) if !cc.is_empty() => {
            format!("+{cc}{}", national.trim_start_matches('0'))
        }
        _ => national.to_owned(),
    }
}

/// `00966`, `+966` and `966` all become `966`.
pub fn normalize_country_code(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw.strip_prefix('+').unwrap_or(raw);
    let raw = raw.strip_prefix("00").unwrap_or(raw);
    raw.to_owned()
}

/// Splits an E.164 number into its dialling code and national number when the code is
/// `known` to be the one in front.
pub fn split_e164<'a>(number: &'a str, country_code: &str) -> Option<&'a str> {
    number.strip_prefix('+')?.strip_prefix(country_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_e164() {
        assert_eq!(e164(Some("00966"), "568617084"), "+966568617084");
        assert_eq!(e164(Some("+966"), "0568617084"), "+966568617084");
        assert_eq!(e164(None, "0555555555"), "0555555555");
        assert_eq!(e164(Some("966"), "+4712345678"), "+4712345678");
        assert_eq!(split_e164("+966568617084", "966"), Some("568617084"));
        assert_eq!(split_e164("0555", "966"), None);
    }

    #[test]
    fn display_name_falls_back_to_parts() {
        let mut c = Customer::new();
        c.name.first = Some("John".into());
        c.name.last = Some("Doe".into());
        assert_eq!(c.display_name().as_deref(), Some("John Doe"));
        c.kind = Some(CustomerKind::Company);
        c.name.company = Some("Param IT".into());
        assert_eq!(c.display_name().as_deref(), Some("Param IT"));
        c.name.display = Some("Shown".into());
        assert_eq!(c.display_name().as_deref(), Some("Shown"));
    }

    #[test]
    fn defaults_prefer_the_flagged_entry() {
        let mut c = Customer::new();
        c.phones = vec![
            Phone {
                kind: PhoneKind::Mobile,
                number: "+1".into(),
                ..Phone::default()
            },
            Phone {
                kind: PhoneKind::Mobile,
                number: "+2".into(),
                default: true,
                ..Phone::default()
            },
        ];
        assert_eq!(c.phone_of(PhoneKind::Mobile).unwrap().number, "+2");
        assert_eq!(c.default_phone().unwrap().number, "+2");
        assert!(c.phone_of(PhoneKind::Fax).is_none());
        assert_eq!(c.phone_index(Some(PhoneKind::Mobile)), Some(1));
        assert_eq!(c.phone_index(None), Some(1));
        assert_eq!(c.phone_index(Some(PhoneKind::Fax)), None);
        assert_eq!(c.email_index(), None);
        c.emails.push(Email {
            address: "a@b".into(),
            ..Email::default()
        });
        assert_eq!(c.email_index(), Some(0));
    }

    #[test]
    fn a_voice_number_falls_back_to_the_other_voice_kind_never_to_a_fax() {
        let phone = |kind, number: &str| Phone {
            kind,
            number: number.into(),
            ..Phone::default()
        };
        let mut c = Customer::new();
        c.phones = vec![phone(PhoneKind::Fax, "+1"), phone(PhoneKind::Mobile, "+2")];
        assert_eq!(c.voice_index(PhoneKind::Mobile), Some(1));
        assert_eq!(c.voice_index(PhoneKind::Phone), Some(1));
        c.phones.push(phone(PhoneKind::Phone, "+3"));
        assert_eq!(c.voice_index(PhoneKind::Phone), Some(2));
        assert_eq!(c.voice_index(PhoneKind::Mobile), Some(1));
        c.phones.remove(1);
        assert_eq!(c.voice_index(PhoneKind::Mobile), Some(1));
        c.phones.remove(1);
        assert_eq!(c.voice_index(PhoneKind::Mobile), None);
        assert_eq!(c.voice_index(PhoneKind::Fax), Some(0));
        assert_eq!(c.default_voice_index(), None);
        c.phones[0].default = true;
        c.phones.push(phone(PhoneKind::Mobile, "+4"));
        c.phones.push(Phone {
            default: true,
            ..phone(PhoneKind::Phone, "+5")
        });
        assert_eq!(c.default_voice_index(), Some(2));
        c.phones[2].default = false;
        assert_eq!(c.default_voice_index(), Some(1));
    }

    #[test]
    fn the_shown_phone_is_written_in_place() {
        let mut c = Customer::new();
        c.phones = vec![Phone {
            kind: PhoneKind::Mobile,
            number: "+4791234567".into(),
            country_code: Some("47".into()),
            description: Some("work".into()),
            ..Phone::default()
        }];
        // The same number keeps the code, with or without one given; a new number drops
        // it.
        c.set_shown_phone(Some(0), PhoneKind::Phone, Some("+4791234567".into()), None);
        assert_eq!(c.phones[0].country_code.as_deref(), Some("47"));
        c.set_shown_phone(
            Some(0),
            PhoneKind::Phone,
            Some("+4791234567".into()),
            Some("44".into()),
        );
        assert_eq!(c.phones[0].country_code.as_deref(), Some("47"));
        c.set_shown_phone(Some(0), PhoneKind::Phone, Some("+4799999999".into()), None);
        assert_eq!(c.phones[0].country_code, None);
        assert_eq!(c.phones[0].kind, PhoneKind::Mobile);
        assert_eq!(c.phones[0].description.as_deref(), Some("work"));
        // Added as the default only when no phone is.
        c.set_shown_phone(None, PhoneKind::Fax, Some("+4722".into()), None);
        assert!(c.phones[1].default && c.phones[1].kind == PhoneKind::Fax);
        c.set_shown_phone(
            None,
            PhoneKind::Phone,
            Some("+4723".into()),
            Some("47".into()),
        );
        assert!(!c.phones[2].default);
        assert_eq!(c.phones[2].country_code.as_deref(), Some("47"));
        c.set_shown_phone(Some(0), PhoneKind::Phone, None, None);
        assert_eq!(c.phones.len(), 2);
        c.set_shown_phone(None, PhoneKind::Phone, None, None);
        assert_eq!(c.phones.len(), 2);
    }

    #[test]
    fn numbers_count_when_all_digits() {
        let number_value = |n: Option<&str>| {
            let mut c = Customer::new();
            c.number = n.map(str::to_owned);
            c.number_value()
        };
        assert_eq!(number_value(Some("1002")), Some(1002));
        assert_eq!(number_value(Some("007")), Some(7));
        assert_eq!(number_value(Some("+7")), None);
        assert_eq!(number_value(Some("C-7")), None);
        assert_eq!(number_value(Some("")), None);
        assert_eq!(number_value(Some("99999999999999999999")), None);
        assert_eq!(number_value(None), None);
    }

    #[test]
    fn check_reports_every_problem() {
        let mut c = Customer::new();
        c.emails.push(Email::default());
        c.cards.push(Card::default());
        let e = c.check().unwrap_err();
        assert_eq!(e.fields().len(), 2);
    }

    #[test]
    fn json_round_trip_keeps_everything() {
        let mut c = Customer::new();
        c.finance.credit_limit = Some(Decimal::new(12345, 2));
        c.extension_mut("odata")
            .insert("GLN".into(), serde_json::json!("123"));
        let json = serde_json::to_string(&c).unwrap();
        let back: Customer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
