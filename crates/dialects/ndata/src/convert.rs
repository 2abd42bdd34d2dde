//! NData wire ↔ canonical, as pure functions.
//!
//! Reading ([`to_wire`]) derives what NData shows from the canonical record. Writing
//! ([`to_canonical`] for a new record, [`merge`] onto a stored one) follows one rule: a
//! member whose value equals what [`to_wire`] shows for the stored record is left as it
//! is, so writing back an unchanged read changes nothing, not even what NData cannot
//! show (a middle name, a third email, an address's district…). What NData carries
//! without a canonical home is kept in `extensions["ndata"]`.

use chrono::{DateTime, Utc};
use custgate_core::diff::keep_assigned;
use custgate_core::{
    Address, AddressKind, Card, Customer, CustomerId, CustomerKind, Email, Error, JsonMap, Money,
    PhoneKind, Status,
};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::wire;

/// The dialect slug, and the key of its extension object.
pub const DIALECT: &str = "ndata";

/// Keys inside `extensions["ndata"]`.
mod ext {
    /// Unknown members of `company`.
    pub const COMPANY: &str = "company";
    /// Unknown members of `address`.
    pub const ADDRESS: &str = "address";
    /// Unknown members of `deliveryAddress`.
    pub const DELIVERY_ADDRESS: &str = "deliveryAddress";
    /// Unknown members of `credit`.
    pub const CREDIT: &str = "credit";
    /// `creditTransactions`, as given.
    pub const CREDIT_TRANSACTIONS: &str = "creditTransactions";
    /// Unknown members of each card, by serial number.
    pub const CARDS: &str = "cards";
    /// Unknown top-level members.
    pub const OTHER: &str = "other";
}

/// NData's validity status, derived from the activation and expiration times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    NotYetValid,
    Expired,
}

impl Validity {
    pub fn of(c: &Customer, now: DateTime<Utc>) -> Self {
        if c.is_expired_at(now) {
            Validity::Expired
        } else if c.is_not_yet_valid_at(now) {
            Validity::NotYetValid
        } else {
            Validity::Valid
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Valid => "Valid",
            Validity::NotYetValid => "NotYetValid",
            Validity::Expired => "Expired",
        }
    }
}

/// The canonical record as NData shows it at `now`.
pub fn to_wire(c: &Customer, now: DateTime<Utc>) -> wire::Customer {
    let ext = c.extension(DIALECT);
    let ext_obj = |key: &str, known: &[&str]| extras(ext.and_then(|e| e.get(key)), known);
    let company = {
        let other = ext_obj(ext::COMPANY, wire::Company::MEMBERS);
        let shown = c.name.company.is_some()
            || c.tax.vat.is_some()
            || c.tax.tin.is_some()
            || !other.is_empty();
        shown.then(|| wire::Company {
            name: c.name.company.clone(),
            vat_id: c.tax.vat.clone(),
            tax_id: c.tax.tin.clone(),
            other,
        })
    };
    let credit = {
        let money = c.finance.credit_balance.clone().unwrap_or_default();
        wire::Credit {
            amount: Some(money.amount),
            currency_label: money.currency,
            other: ext_obj(ext::CREDIT, wire::Credit::MEMBERS),
        }
    };
    let card_extras = ext
        .and_then(|e| e.get(ext::CARDS))
        .and_then(Json::as_object);
    wire::Customer {
        id: Some(c.id.as_str().to_owned()),
        external_id: c.external_id.clone(),
        is_active: Some(c.status == Status::Active),
        status: Some(Validity::of(c, now).as_str().to_owned()),
        activation_time: c.activation_time,
        expiration_time: c.expiration_time,
        first_name: c.name.first.clone(),
        last_name: c.name.last.clone(),
        full_name: c.display_name(),
        gender: c.locale.gender.as_deref().map(gender_to_wire),
        birth_date: c.locale.birth_date,
        email: c.default_email().map(|e| e.address.clone()),
        phone: c.default_voice_index().map(|i| c.phones[i].number.clone()),
        is_company: Some(c.kind == Some(CustomerKind::Company)),
        company,
        address: c
            .address_of(AddressKind::Billing)
            .map(|a| address_to_wire(a, ext_obj(ext::ADDRESS, wire::Address::MEMBERS))),
        delivery_address: c
            .address_of(AddressKind::Shipping)
            .map(|a| address_to_wire(a, ext_obj(ext::DELIVERY_ADDRESS, wire::Address::MEMBERS))),
        credit: Some(credit),
        credit_transactions: Some(
            ext.and_then(|e| e.get(ext::CREDIT_TRANSACTIONS))
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default(),
        ),
        cards: Some(
            c.cards
                .iter()
                .map(|k| {
                    let other = extras(
                        card_extras.and_then(|m| m.get(&k.serial_number)),
                        wire::Card::MEMBERS,
                    );
                    card_to_wire(k, other)
                })
                .collect(),
        ),
        credit_rate: Some(c.finance.credit_rate.unwrap_or(Decimal::ZERO)),
        discount_rate: Some(c.finance.discount_rate.unwrap_or(Decimal::ZERO)),
        note: c.note.clone(),
        meta: Some(c.meta.clone()),
        version: Some(c.version.get()),
        other: ext_obj(ext::OTHER, wire::Customer::MEMBERS),
    }
}

/// A new canonical record from an NData body: the body's `id` when it has one, else a
/// fresh one. `status` and `_v` are not read (the first is derived, the second the
/// store's).
pub fn to_canonical(w: &wire::Customer) -> Result<Customer, Error> {
    let id = match w.id.as_deref() {
        Some(raw) => CustomerId::parse(raw).map_err(|e| {
            Error::validation_field("Id", e.fields().first().map_or("", |f| &f.message))
        })?,
        None => CustomerId::generate(),
    };
    let mut c = Customer {
        id,
        ..Customer::default()
    };
    apply(w, &mut c, None);
    Ok(c)
}

/// The stored record with an NData body written over it; `id`, `seq`, `version` and
/// what NData cannot show are kept.
pub fn merge(w: &wire::Customer, stored: &Customer, now: DateTime<Utc>) -> Customer {
    let shown = to_wire(stored, now);
    let mut c = stored.clone();
    apply(w, &mut c, Some(&shown));
    c
}

fn apply(w: &wire::Customer, c: &mut Customer, shown: Option<&wire::Customer>) {
    macro_rules! changed {
        ($member:ident) => {
            shown.is_none_or(|s| s.$member != w.$member)
        };
    }
    if changed!(external_id) {
        c.external_id = w.external_id.clone();
    }
    if changed!(is_active) {
        match w.is_active {
            Some(true) => c.status = Status::Active,
            // Quote and Blocked are "not active" already: keep the finer status.
            Some(false) if c.status == Status::Active => c.status = Status::Inactive,
            _ => {}
        }
    }
    if changed!(activation_time) {
        c.activation_time = w.activation_time;
    }
    if changed!(expiration_time) {
        c.expiration_time = w.expiration_time;
    }
    if changed!(first_name) {
        c.name.first = w.first_name.clone();
    }
    if changed!(last_name) {
        c.name.last = w.last_name.clone();
    }
    if changed!(full_name) {
        c.name.display = w.full_name.clone();
    }
    if changed!(gender) {
        c.locale.gender = w.gender.as_deref().map(gender_to_canonical);
    }
    if changed!(birth_date) {
        c.locale.birth_date = w.birth_date;
    }
    if changed!(email) {
        set_default_email(c, non_blank(&w.email));
    }
    if changed!(phone) {
        set_default_phone(c, non_blank(&w.phone));
    }
    if changed!(is_company) {
        match w.is_company {
            Some(true) => c.kind = Some(CustomerKind::Company),
            Some(false) => c.kind = Some(CustomerKind::Person),
            None => {}
        }
    }
    if changed!(company) {
        let company = w.company.clone().unwrap_or_default();
        c.name.company = company.name;
        c.tax.vat = company.vat_id;
        c.tax.tin = company.tax_id;
        set_ext(c, ext::COMPANY, object_or_none(company.other));
    }
    if changed!(address) {
        set_address(c, AddressKind::Billing, w.address.as_ref());
        let other = w
            .address
            .as_ref()
            .map(|a| a.other.clone())
            .unwrap_or_default();
        set_ext(c, ext::ADDRESS, object_or_none(other));
    }
    if changed!(delivery_address) {
        set_address(c, AddressKind::Shipping, w.delivery_address.as_ref());
        let other = w
            .delivery_address
            .as_ref()
            .map(|a| a.other.clone())
            .unwrap_or_default();
        set_ext(c, ext::DELIVERY_ADDRESS, object_or_none(other));
    }
    if changed!(credit) {
        c.finance.credit_balance = w.credit.as_ref().map(|cr| Money {
            amount: cr.amount.unwrap_or(Decimal::ZERO),
            currency: cr.currency_label.clone(),
        });
        let other = w
            .credit
            .as_ref()
            .map(|cr| cr.other.clone())
            .unwrap_or_default();
        set_ext(c, ext::CREDIT, object_or_none(other));
    }
    if changed!(credit_transactions) {
        let list = w.credit_transactions.clone().unwrap_or_default();
        set_ext(
            c,
            ext::CREDIT_TRANSACTIONS,
            (!list.is_empty()).then_some(Json::Array(list)),
        );
    }
    if changed!(cards) {
        let cards = w.cards.clone().unwrap_or_default();
        let mut extras = JsonMap::new();
        c.cards = cards
            .into_iter()
            .map(|k| {
                let card = card_to_canonical(&k);
                if !k.other.is_empty() {
                    extras.insert(card.serial_number.clone(), Json::Object(k.other));
                }
                card
            })
            .collect();
        set_ext(c, ext::CARDS, object_or_none(extras));
    }
    if changed!(credit_rate) {
        c.finance.credit_rate = w.credit_rate;
    }
    if changed!(discount_rate) {
        c.finance.discount_rate = w.discount_rate;
    }
    if changed!(note) {
        c.note = w.note.clone();
    }
    if changed!(meta) {
        c.meta = w.meta.clone().unwrap_or_default();
    }
    if changed!(other) {
        set_ext(c, ext::OTHER, object_or_none(w.other.clone()));
    }
}

/// The members of an extension object, without any that would collide with a known
/// member when flattened back.
fn extras(value: Option<&Json>, known: &[&str]) -> JsonMap {
    value
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn object_or_none(m: JsonMap) -> Option<Json> {
    (!m.is_empty()).then_some(Json::Object(m))
}

/// Sets or removes one key of `extensions["ndata"]`, dropping the object when it empties.
fn set_ext(c: &mut Customer, key: &str, value: Option<Json>) {
    match value {
        Some(v) => {
            c.extension_mut(DIALECT).insert(key.to_owned(), v);
        }
        None => {
            if let Some(e) = c.extensions.get_mut(DIALECT) {
                e.remove(key);
                if e.is_empty() {
                    c.extensions.remove(DIALECT);
                }
            }
        }
    }
}

fn non_blank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// NData's `email` is the default (or first) email: a value replaces its address (or
/// adds a default email), null removes it.
fn set_default_email(c: &mut Customer, address: Option<String>) {
    match (c.email_index(), address) {
        (Some(i), Some(a)) => c.emails[i].address = a,
        (None, Some(a)) => c.emails.push(Email {
            address: a,
            description: None,
            default: true,
        }),
        (Some(i), None) => {
            c.emails.remove(i);
        }
        (None, None) => {}
    }
}

/// NData's `phone` is the default (or first) phone that is not a fax, handled like
/// `email`.
fn set_default_phone(c: &mut Customer, number: Option<String>) {
    let shown = c.default_voice_index();
    c.set_shown_phone(shown, PhoneKind::Phone, number, None);
}

fn address_to_wire(a: &Address, other: JsonMap) -> wire::Address {
    wire::Address {
        street: a.street.clone(),
        city: a.city.clone(),
        zip: a.postal_code.clone(),
        region: a.region.clone(),
        country: a.country.clone(),
        country_code: a.country_code.clone(),
        other,
    }
}

/// Writes an NData address over the first canonical address of `kind` (keeping its
/// lines, building and unit numbers and district), adds one, or removes it on null.
fn set_address(c: &mut Customer, kind: AddressKind, w: Option<&wire::Address>) {
    let idx = c.addresses.iter().position(|a| a.kind == kind);
    match (idx, w) {
        (Some(i), Some(w)) => write_address(&mut c.addresses[i], w),
        (None, Some(w)) => {
            let mut a = Address {
                kind,
                ..Address::default()
            };
            write_address(&mut a, w);
            c.addresses.push(a);
        }
        (Some(i), None) => {
            c.addresses.remove(i);
        }
        (None, None) => {}
    }
}

fn write_address(a: &mut Address, w: &wire::Address) {
    a.street = w.street.clone();
    a.city = w.city.clone();
    a.postal_code = w.zip.clone();
    a.region = w.region.clone();
    a.country = w.country.clone();
    a.country_code = w
        .country_code
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase());
}

fn card_to_wire(k: &Card, other: JsonMap) -> wire::Card {
    wire::Card {
        external_id: k.external_id.clone(),
        is_active: Some(k.active),
        is_virtual: Some(k.is_virtual),
        serial_number: Some(k.serial_number.clone()),
        processor: k.processor.clone(),
        status: k.status.clone(),
        status_time: k.status_time,
        status_reason: k.status_reason.clone(),
        activation_time: k.activation_time,
        expiration_time: k.expiration_time,
        note: k.note.clone(),
        meta: k.meta.clone(),
        other,
    }
}

fn card_to_canonical(k: &wire::Card) -> Card {
    Card {
        serial_number: k.serial_number.clone().unwrap_or_default(),
        external_id: k.external_id.clone(),
        // A card is active unless it says otherwise.
        active: k.is_active.unwrap_or(true),
        is_virtual: k.is_virtual.unwrap_or(false),
        processor: k.processor.clone(),
        status: k.status.clone(),
        status_time: k.status_time,
        status_reason: k.status_reason.clone(),
        activation_time: k.activation_time,
        expiration_time: k.expiration_time,
        note: k.note.clone(),
        meta: k.meta.clone(),
    }
}

/// `Male`/`Female` (any case) become `male`/`female`; anything else is kept as given.
fn gender_to_canonical(g: &str) -> String {
    let t = g.trim();
    if t.eq_ignore_ascii_case("male") {
        "male".to_owned()
    } else if t.eq_ignore_ascii_case("female") {
        "female".to_owned()
    } else {
        t.to_owned()
    }
}

fn gender_to_wire(g: &str) -> String {
    match g {
        "male" => "Male".to_owned(),
        "female" => "Female".to_owned(),
        other => other.to_owned(),
    }
}

/// What `c` looks like once the upstream client (`Client`, feature `client`) has written
/// it to an NData system and read it back: [`to_wire`] without `status` and `_v` (the body
/// the client sends), through JSON as on the wire, read with [`to_canonical`] (what the
/// client makes of the answer), assuming the upstream stores what it is sent. The derived
/// `status` is the only member that depends on the clock and the client leaves it out, so
/// the instant given to [`to_wire`] does not matter. The fields the upstream assigns
/// (`id`, `seq`, `version`, timestamps) are `c`'s own (see [`keep_assigned`]).
pub fn carried(c: &Customer) -> Customer {
    let mut sent = to_wire(c, DateTime::<Utc>::UNIX_EPOCH);
    sent.status = None;
    sent.version = None;
    let answer = serde_json::to_value(&sent)
        .and_then(serde_json::from_value::<wire::Customer>)
        .unwrap_or(sent);
    // `to_canonical` fails only on an id it cannot read; nothing is carried then.
    let mut kept = to_canonical(&answer).unwrap_or_default();
    keep_assigned(c, &mut kept);
    kept
}

/// What NData shows as `discountRate` (a missing rate shows as 0).
pub fn shown_discount(c: &Customer) -> Decimal {
    c.finance.discount_rate.unwrap_or(Decimal::ZERO)
}

/// What NData shows as `credit` (`amount`, `currencyLabel`).
pub fn shown_credit(c: &Customer) -> (Decimal, Option<String>) {
    let m = c.finance.credit_balance.clone().unwrap_or_default();
    (m.amount, m.currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use custgate_core::Phone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn status_is_derived_from_the_times() {
        let mut c = Customer::new();
        assert_eq!(Validity::of(&c, now()), Validity::Valid);
        c.activation_time = Some(now() + chrono::Duration::days(1));
        assert_eq!(Validity::of(&c, now()), Validity::NotYetValid);
        c.expiration_time = Some(now());
        assert_eq!(Validity::of(&c, now()), Validity::Expired);
    }

    #[test]
    fn is_active_false_keeps_a_finer_status() {
        let mut stored = Customer::new();
        stored.status = Status::Quote;
        let mut w = to_wire(&stored, now());
        assert_eq!(w.is_active, Some(false));
        w.note = Some("changed".into());
        assert_eq!(merge(&w, &stored, now()).status, Status::Quote);
        w.is_active = Some(true);
        let active = merge(&w, &stored, now());
        assert_eq!(active.status, Status::Active);
        w.is_active = Some(false);
        assert_eq!(merge(&w, &active, now()).status, Status::Inactive);
    }

    #[test]
    fn an_unchanged_write_back_changes_nothing() {
        let mut stored = Customer::new();
        stored.name.first = Some("John".into());
        stored.name.middle = Some("Q".into());
        stored.name.last = Some("Doe".into());
        stored.emails = vec![
            Email {
                address: "a@x.sk".into(),
                ..Email::default()
            },
            Email {
                address: "b@x.sk".into(),
                default: true,
                ..Email::default()
            },
        ];
        stored.addresses.push(Address {
            kind: AddressKind::Billing,
            district: Some("Old Town".into()),
            city: Some("Bratislava".into()),
            ..Address::default()
        });
        stored.number = Some("7".into());
        let w = to_wire(&stored, now());
        assert_eq!(w.full_name.as_deref(), Some("John Q Doe"));
        assert_eq!(w.email.as_deref(), Some("b@x.sk"));
        assert_eq!(merge(&w, &stored, now()), stored);
    }

    #[test]
    fn the_phone_is_never_a_fax() {
        let mut stored = Customer::new();
        stored.phones.push(Phone {
            kind: PhoneKind::Fax,
            number: "+421211".into(),
            default: true,
            ..Phone::default()
        });
        let mut w = to_wire(&stored, now());
        assert_eq!(w.phone, None);
        // A phone written here is added beside the fax, not over it.
        w.phone = Some("+421900".into());
        let merged = merge(&w, &stored, now());
        assert_eq!(merged.phones.len(), 2);
        assert_eq!(merged.phones[0].number, "+421211");
        assert!(merged.phones[0].default && !merged.phones[1].default);
        assert_eq!(to_wire(&merged, now()).phone.as_deref(), Some("+421900"));
    }

    #[test]
    fn changed_members_are_written_over_the_stored_record() {
        let mut stored = Customer::new();
        stored.addresses.push(Address {
            kind: AddressKind::Billing,
            district: Some("Old Town".into()),
            city: Some("Bratislava".into()),
            ..Address::default()
        });
        stored.emails.push(Email {
            address: "a@x.sk".into(),
            default: true,
            ..Email::default()
        });
        let mut w = to_wire(&stored, now());
        w.address.as_mut().unwrap().city = Some("Košice".into());
        w.email = Some("new@x.sk".into());
        w.discount_rate = Some(Decimal::new(5, 0));
        w.company = Some(wire::Company {
            name: Some("Param".into()),
            vat_id: Some("SK2020".into()),
            tax_id: None,
            other: [("ico".to_owned(), Json::from("123"))]
                .into_iter()
                .collect(),
        });
        let c = merge(&w, &stored, now());
        let a = c.address_of(AddressKind::Billing).unwrap();
        assert_eq!(a.city.as_deref(), Some("Košice"));
        assert_eq!(a.district.as_deref(), Some("Old Town"));
        assert_eq!(c.emails.len(), 1);
        assert_eq!(c.emails[0].address, "new@x.sk");
        assert_eq!(c.finance.discount_rate, Some(Decimal::new(5, 0)));
        assert_eq!(c.name.company.as_deref(), Some("Param"));
        assert_eq!(c.tax.vat.as_deref(), Some("SK2020"));
        assert_eq!(to_wire(&c, now()).company, w.company);

        w.company = None;
        w.email = None;
        w.address = None;
        let c = merge(&w, &c, now());
        assert!(c.name.company.is_none() && c.tax.vat.is_none());
        assert!(c.extensions.is_empty());
        assert!(c.emails.is_empty());
        assert!(c.addresses.is_empty());
    }

    #[test]
    fn unknown_members_survive_a_round_trip() {
        let w: wire::Customer = serde_json::from_value(serde_json::json!({
            "id": "c1",
            "loyaltyLevel": "gold",
            "address": {"street": "Main 1", "floor": 3},
            "cards": [{"serialNumber": "S1", "pin": "x"}],
            "credit": {"amount": 5.5, "currencyLabel": "EUR", "limit": 10},
            "creditTransactions": [{"amount": 5.5}]
        }))
        .unwrap();
        let c = to_canonical(&w).unwrap();
        let back = to_wire(&c, now());
        assert_eq!(back.other.get("loyaltyLevel"), Some(&Json::from("gold")));
        assert_eq!(
            back.address.as_ref().unwrap().other.get("floor"),
            Some(&Json::from(3))
        );
        assert_eq!(
            back.cards.as_ref().unwrap()[0].other.get("pin"),
            Some(&Json::from("x"))
        );
        assert_eq!(
            back.credit.as_ref().unwrap().other.get("limit"),
            Some(&Json::from(10))
        );
        assert_eq!(back.credit_transactions.as_ref().unwrap().len(), 1);
        assert_eq!(
            c.finance.credit_balance,
            Some(Money {
                amount: Decimal::new(55, 1),
                currency: Some("EUR".into())
            })
        );
    }

    #[test]
    fn colliding_extension_members_are_not_flattened_twice() {
        let mut c = Customer::new();
        c.extension_mut(DIALECT).insert(
            "other".into(),
            serde_json::json!({"firstName": "evil", "ok": true}),
        );
        let w = to_wire(&c, now());
        assert!(!w.other.contains_key("firstName"));
        let text = serde_json::to_string(&w).unwrap();
        assert_eq!(text.matches("\"firstName\"").count(), 1);
    }
}
