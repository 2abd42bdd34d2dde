//! Serde types exactly as NData's JSON (camelCase members, `_v` for the version).
//!
//! Every object type keeps the members it does not know in `other`, so that nothing a
//! client sends is lost. Decimals are written as JSON floats (`0.0`, like the seed);
//! date-times as UTC with `Z` and at least two fractional digits
//! (`2022-11-01T00:00:00.00Z`, like the seed), more when the value needs them.

use chrono::{DateTime, NaiveDate, Utc};
use custgate_core::JsonMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The `Customer` resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Customer {
    pub id: Option<String>,
    pub external_id: Option<String>,
    pub is_active: Option<bool>,
    /// `Valid`, `NotYetValid` or `Expired`; derived on output, ignored on input (left
    /// out of what the client sends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(with = "time_opt")]
    pub activation_time: Option<DateTime<Utc>>,
    #[serde(with = "time_opt")]
    pub expiration_time: Option<DateTime<Utc>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub gender: Option<String>,
    #[serde(with = "date_opt")]
    pub birth_date: Option<NaiveDate>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_company: Option<bool>,
    pub company: Option<Company>,
    pub address: Option<Address>,
    pub delivery_address: Option<Address>,
    pub credit: Option<Credit>,
    pub credit_transactions: Option<Vec<serde_json::Value>>,
    pub cards: Option<Vec<Card>>,
    pub credit_rate: Option<Decimal>,
    pub discount_rate: Option<Decimal>,
    pub note: Option<String>,
    pub meta: Option<JsonMap>,
    /// Tracked by the API; left out of what the client sends unless it expects a version.
    #[serde(rename = "_v", skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Members this gateway does not know, kept as they came.
    #[serde(flatten)]
    pub other: JsonMap,
}

impl Customer {
    /// The member names, as written.
    pub const MEMBERS: &'static [&'static str] = &[
        "id",
        "externalId",
        "isActive",
        "status",
        "activationTime",
        "expirationTime",
        "firstName",
        "lastName",
        "fullName",
        "gender",
        "birthDate",
        "email",
        "phone",
        "isCompany",
        "company",
        "address",
        "deliveryAddress",
        "credit",
        "creditTransactions",
        "cards",
        "creditRate",
        "discountRate",
        "note",
        "meta",
        "_v",
    ];
}

/// `company`: the seed's search documentation names `Company.Name`, `Company.VatId` and
/// `Company.TaxId`; other members are kept as they came.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Company {
    pub name: Option<String>,
    pub vat_id: Option<String>,
    pub tax_id: Option<String>,
    #[serde(flatten)]
    pub other: JsonMap,
}

impl Company {
    pub const MEMBERS: &'static [&'static str] = &["name", "vatId", "taxId"];
}

/// `address` and `deliveryAddress` (the vendor's address model is not public: these
/// members are ours; other members are kept as they came).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
    pub region: Option<String>,
    /// The country as written (a name).
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    #[serde(flatten)]
    pub other: JsonMap,
}

impl Address {
    pub const MEMBERS: &'static [&'static str] =
        &["street", "city", "zip", "region", "country", "countryCode"];
}

/// `credit`: prepaid credit held by the customer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Credit {
    pub amount: Option<Decimal>,
    pub currency_label: Option<String>,
    #[serde(flatten)]
    pub other: JsonMap,
}

impl Credit {
    pub const MEMBERS: &'static [&'static str] = &["amount", "currencyLabel"];
}

/// One element of `cards`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Card {
    pub external_id: Option<String>,
    pub is_active: Option<bool>,
    pub is_virtual: Option<bool>,
    pub serial_number: Option<String>,
    pub processor: Option<String>,
    pub status: Option<String>,
    #[serde(with = "time_opt")]
    pub status_time: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
    #[serde(with = "time_opt")]
    pub activation_time: Option<DateTime<Utc>>,
    #[serde(with = "time_opt")]
    pub expiration_time: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub meta: Option<JsonMap>,
    #[serde(flatten)]
    pub other: JsonMap,
}

impl Card {
    pub const MEMBERS: &'static [&'static str] = &[
        "externalId",
        "isActive",
        "isVirtual",
        "serialNumber",
        "processor",
        "status",
        "statusTime",
        "statusReason",
        "activationTime",
        "expirationTime",
        "note",
        "meta",
    ];
}

/// `QueryResult<T>`: `items` is left out when `$count=true`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryResult<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<T>>,
    pub count: u64,
    pub total_count: u64,
}

/// `POST /api/auth` body. Member names are matched case-insensitively (see
/// [`normalize_member_names`]).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuthRequest {
    pub user_name: Option<String>,
    pub password: Option<String>,
    pub device_name: Option<String>,
}

impl AuthRequest {
    pub const MEMBERS: &'static [&'static str] = &["UserName", "Password", "DeviceName"];
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("user_name", &self.user_name)
            .field("password", &"..")
            .field("device_name", &self.device_name)
            .finish()
    }
}

/// `POST /api/auth/refresh` body (our endpoint: the vendor's refresh call is not public).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

impl RefreshRequest {
    pub const MEMBERS: &'static [&'static str] = &["refreshToken"];
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest(..)")
    }
}

/// The answer of `POST /api/auth` and `POST /api/auth/refresh`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthResponse {
    pub token_id: String,
    pub refresh_token: String,
    /// When `tokenId` stops being accepted.
    #[serde(with = "time_opt")]
    pub expiration_time: Option<DateTime<Utc>>,
    /// When `refreshToken` stops being accepted.
    #[serde(with = "time_opt")]
    pub refresh_token_expiration_time: Option<DateTime<Utc>>,
    pub user: AuthUser,
}

impl std::fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthResponse")
            .field("expiration_time", &self.expiration_time)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthUser {
    pub user_name: String,
    pub device_name: Option<String>,
    pub rights: Vec<String>,
}

/// RFC 7807 ProblemDetails as PORTOS writes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub status: Option<u16>,
    pub detail: Option<String>,
    pub instance: Option<String>,
    pub trace_id: Option<String>,
    pub error_code: Option<u32>,
    pub resource: Option<ResourceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<MemberError>>,
}

/// The resource an error is about; `version` is the stored one on a version conflict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRef {
    pub name: Option<String>,
    pub id: Option<String>,
    pub version: Option<u64>,
}

/// One entry of a 400's `errors`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MemberError {
    pub member_name: Option<String>,
    pub message: String,
    pub code: u32,
}

/// Renames object members that match a known member name case-insensitively to the
/// known spelling (ASP.NET reads JSON case-insensitively, so `FirstName` is
/// `firstName`). Nested NData objects are normalised too.
pub fn normalize_customer_members(value: &mut serde_json::Value) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    normalize_member_names(obj, Customer::MEMBERS);
    for (member, known) in [
        ("company", Company::MEMBERS),
        ("address", Address::MEMBERS),
        ("deliveryAddress", Address::MEMBERS),
        ("credit", Credit::MEMBERS),
    ] {
        if let Some(inner) = obj.get_mut(member).and_then(|v| v.as_object_mut()) {
            normalize_member_names(inner, known);
        }
    }
    if let Some(cards) = obj.get_mut("cards").and_then(|v| v.as_array_mut()) {
        for card in cards.iter_mut().filter_map(|c| c.as_object_mut()) {
            normalize_member_names(card, Card::MEMBERS);
        }
    }
}

/// Renames the members of one object to the known spelling when they match it ignoring
/// ASCII case. When two members map to the same name, the exact spelling wins.
pub fn normalize_member_names(obj: &mut JsonMap, known: &[&str]) {
    let renames: Vec<(String, &str)> = obj
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .filter_map(|k| {
            known
                .iter()
                .find(|n| n.eq_ignore_ascii_case(k))
                .map(|n| (k.clone(), *n))
        })
        .collect();
    for (from, to) in renames {
        if let Some(v) = obj.remove(&from) {
            if !obj.contains_key(to) {
                obj.insert(to.to_owned(), v);
            }
        }
    }
}

/// Formats a date-time the way this dialect writes them: UTC, `Z`, at least two
/// fractional digits and as many more as the value needs (`2022-11-01T00:00:00.00Z`).
pub fn format_time(t: &DateTime<Utc>) -> String {
    let nanos = t.timestamp_subsec_nanos();
    if nanos >= 1_000_000_000 {
        // A leap second: chrono's own form.
        return t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    }
    let digits = format!("{nanos:09}");
    let trimmed = digits.trim_end_matches('0');
    let frac = if trimmed.len() < 2 {
        &digits[..2]
    } else {
        trimmed
    };
    format!("{}.{frac}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// Parses a date-time as this dialect accepts them: RFC 3339, a date-time without zone
/// (UTC) or a date (midnight UTC). A `+` of an offset that arrived as a space (an
/// unencoded `+` in a query string) is put back.
pub fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    match custgate_core::field::parse_datetime(raw) {
        Ok(t) => Ok(t),
        Err(e) => {
            let trimmed = raw.trim();
            if let Some(pos) = trimmed.rfind(' ') {
                if pos > 10 {
                    let fixed = format!("{}+{}", &trimmed[..pos], &trimmed[pos + 1..]);
                    if let Ok(t) = custgate_core::field::parse_datetime(&fixed) {
                        return Ok(t);
                    }
                }
            }
            Err(e)
        }
    }
}

/// Parses a birth date: `YYYY-MM-DD`, or a date-time whose date as written is taken.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let s = raw.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.date_naive());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.date());
        }
    }
    Err(format!("'{s}' is not a date"))
}

/// Serde for optional date-times in this dialect's format.
pub mod time_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_time(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(raw) => super::parse_time(&raw)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Serde for optional dates (`YYYY-MM-DD` out; a date or a date-time in).
pub mod date_opt {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(raw) => super::parse_date(&raw)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_keep_two_fractional_digits_at_least() {
        let t = Utc.with_ymd_and_hms(2022, 11, 1, 0, 0, 0).unwrap();
        assert_eq!(format_time(&t), "2022-11-01T00:00:00.00Z");
        let t = t + chrono::Duration::milliseconds(120);
        assert_eq!(format_time(&t), "2022-11-01T00:00:00.12Z");
        let t = t + chrono::Duration::nanoseconds(3);
        assert_eq!(format_time(&t), "2022-11-01T00:00:00.120000003Z");
        assert_eq!(parse_time(&format_time(&t)).unwrap(), t);
    }

    #[test]
    fn times_parse_leniently() {
        let t = Utc.with_ymd_and_hms(2022, 11, 1, 9, 0, 0).unwrap();
        assert_eq!(parse_time("2022-11-01T10:00:00+01:00").unwrap(), t);
        assert_eq!(parse_time("2022-11-01T10:00:00 01:00").unwrap(), t);
        assert_eq!(parse_time("2022-11-01T09:00:00").unwrap(), t);
        assert!(parse_time("yesterday").is_err());
        assert_eq!(
            parse_date("1980-05-01T00:00:00+02:00").unwrap(),
            NaiveDate::from_ymd_opt(1980, 5, 1).unwrap()
        );
        assert!(parse_date("1980-13-01").is_err());
    }

    #[test]
    fn member_names_are_matched_ignoring_case() {
        let mut v = serde_json::json!({
            "FirstName": "John",
            "COMPANY": {"VatId": "SK1"},
            "Cards": [{"SerialNumber": "1"}],
            "custom": 1
        });
        normalize_customer_members(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "firstName": "John",
                "company": {"vatId": "SK1"},
                "cards": [{"serialNumber": "1"}],
                "custom": 1
            })
        );
    }

    #[test]
    fn decimals_are_written_as_floats() {
        let c = Credit {
            amount: Some(Decimal::ZERO),
            ..Credit::default()
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"amount":0.0,"currencyLabel":null}"#
        );
        let back: Credit = serde_json::from_str(r#"{"amount":12.5,"x":1}"#).unwrap();
        assert_eq!(back.amount, Some(Decimal::new(125, 1)));
        assert_eq!(back.other.get("x"), Some(&serde_json::json!(1)));
    }
}
