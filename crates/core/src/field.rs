//! Canonical fields that queries can filter and sort on.
//!
//! One table ([`Field::ALL`]) describes every field: its canonical path (used by the
//! facade's query language and in error messages), its value type, whether it holds many
//! values (then a comparison is true when *any* value matches) and how to read it from a
//! [`Customer`]. The in-memory evaluator and the SQL store both read values through
//! [`Field::values`], so they cannot disagree about what a field means.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{Customer, PhoneKind};

/// The type of a field's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    Text,
    Int,
    Decimal,
    Bool,
    DateTime,
}

/// A literal in a query, or a value read from a customer.
///
/// As JSON a value is untagged, and serde tries the variants in the order declared here:
/// `Text` comes before `Decimal` and `DateTime` so that a JSON string always stays the
/// text it was (`"007"` is not the number 7, a date-like string on a text field is not a
/// date-time); a literal takes its field's type through [`Value::coerce`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    Decimal(Decimal),
    DateTime(DateTime<Utc>),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Converts a literal to the type of a field, so `seq eq '5'` and `credit_rate gt 1`
    /// compare as the field's type. Text literals are parsed; numbers widen.
    pub fn coerce(&self, ty: ValueType) -> Result<Value, String> {
        use Value as V;
        use ValueType as T;
        Ok(match (self, ty) {
            (V::Null, _) => V::Null,
            (V::Text(s), T::Text) => V::Text(s.clone()),
            (V::Int(i), T::Text) => V::Text(i.to_string()),
            (V::Decimal(d), T::Text) => V::Text(d.to_string()),
            (V::Bool(b), T::Bool) => V::Bool(*b),
            (V::Text(s), T::Bool) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" => V::Bool(true),
                "false" | "0" => V::Bool(false),
                _ => return Err(format!("'{s}' is not a boolean")),
            },
            (V::Int(i), T::Int) => V::Int(*i),
            (V::Decimal(d), T::Int) if d.fract().is_zero() => V::Int(
                i64::try_from(d.mantissa() / 10i128.pow(d.scale()))
                    .map_err(|_| format!("{d} is out of range"))?,
            ),
            (V::Text(s), T::Int) => V::Int(
                s.trim()
                    .parse()
                    .map_err(|_| format!("'{s}' is not an integer"))?,
            ),
            (V::Int(i), T::Decimal) => V::Decimal(Decimal::from(*i)),
            (V::Decimal(d), T::Decimal) => V::Decimal(*d),
            (V::Text(s), T::Decimal) => V::Decimal(
                s.trim()
                    .parse()
                    .map_err(|_| format!("'{s}' is not a number"))?,
            ),
            (V::DateTime(t), T::DateTime) => V::DateTime(*t),
            (V::Text(s), T::DateTime) => V::DateTime(parse_datetime(s)?),
            (v, t) => return Err(format!("{v} cannot be compared with a {t:?} field")),
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::DateTime(t) => write!(f, "{}", t.to_rfc3339()),
            Value::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
        }
    }
}

/// Parses an RFC 3339 date-time, a date-time without zone (taken as UTC) or a date
/// (midnight UTC).
pub fn parse_datetime(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(format!("'{s}' is not a date-time"))
}

macro_rules! fields {
    ($( $variant:ident => $path:literal, $ty:ident, $multi:literal; )*) => {
        /// A canonical field that can be filtered or sorted on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $( $variant, )*
        }

        impl Field {
            /// Every field, in declaration order.
            pub const ALL: &'static [Field] = &[ $( Field::$variant, )* ];

            /// The canonical path, e.g. `name.display`.
            pub fn path(self) -> &'static str {
                match self { $( Field::$variant => $path, )* }
            }

            pub fn value_type(self) -> ValueType {
                match self { $( Field::$variant => ValueType::$ty, )* }
            }

            /// Whether the field holds several values (emails, phones…).
            pub fn is_multi(self) -> bool {
                match self { $( Field::$variant => $multi, )* }
            }
        }
    };
}

fields! {
    Id => "id", Text, false;
    Seq => "seq", Int, false;
    Number => "number", Text, false;
    ExternalId => "external_id", Text, false;
    ReferenceNo => "reference_no", Text, false;
    Kind => "kind", Text, false;
    DisplayName => "name.display", Text, false;
    FirstName => "name.first", Text, false;
    MiddleName => "name.middle", Text, false;
    LastName => "name.last", Text, false;
    CompanyName => "name.company", Text, false;
    ContactPerson => "name.contact_person", Text, false;
    Email => "emails.address", Text, true;
    DefaultEmail => "emails.default", Text, false;
    Phone => "phones.number", Text, true;
    Mobile => "phones.mobile", Text, true;
    DefaultPhone => "phones.default", Text, false;
    Identification => "identifications.value", Text, true;
    IdentificationScheme => "identifications.scheme", Text, true;
    OrgNumber => "identifications.org", Text, false;
    Vat => "tax.vat", Text, false;
    Tin => "tax.tin", Text, false;
    Status => "status", Text, false;
    ActivationTime => "activation_time", DateTime, false;
    ExpirationTime => "expiration_time", DateTime, false;
    CreditLimit => "finance.credit_limit", Decimal, false;
    CreditBalance => "finance.credit_balance", Decimal, false;
    ReceivableHighBalance => "finance.receivable_high_balance", Decimal, false;
    PaymentTerms => "finance.payment_terms", Text, false;
    CreditStatus => "finance.credit_status", Text, false;
    DiscountRate => "finance.discount_rate", Decimal, false;
    CreditRate => "finance.credit_rate", Decimal, false;
    Taxable => "finance.taxable", Bool, false;
    Currency => "finance.currency", Text, false;
    Territory => "sales.territory", Text, false;
    ResellerNo => "sales.reseller_no", Text, false;
    DiscountId => "sales.discount_id", Text, false;
    CardSerial => "cards.serial_number", Text, true;
    City => "addresses.city", Text, true;
    PostalCode => "addresses.postal_code", Text, true;
    CountryCode => "addresses.country_code", Text, true;
    Note => "note", Text, false;
    CreatedAt => "created_at", DateTime, false;
    UpdatedAt => "updated_at", DateTime, false;
    Version => "version", Int, false;
}

impl Field {
    /// Looks a field up by its canonical path, ignoring ASCII case.
    pub fn from_path(path: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.path().eq_ignore_ascii_case(path))
    }

    /// The fields free-text search looks in (case-insensitive contains).
    pub const SEARCH: &'static [Field] = &[
        Field::DisplayName,
        Field::FirstName,
        Field::LastName,
        Field::CompanyName,
        Field::Vat,
        Field::Tin,
        Field::Note,
    ];

    /// The field's values on a customer; empty when absent.
    pub fn values(self, c: &Customer) -> Vec<Value> {
        fn text(s: &Option<String>) -> Vec<Value> {
            s.iter().map(|s| Value::Text(s.clone())).collect()
        }
        fn dec(d: Option<Decimal>) -> Vec<Value> {
            d.into_iter().map(Value::Decimal).collect()
        }
        fn time(t: Option<DateTime<Utc>>) -> Vec<Value> {
            t.into_iter().map(Value::DateTime).collect()
        }
        match self {
            Field::Id => vec![Value::Text(c.id.as_str().to_owned())],
            Field::Seq => c.seq.into_iter().map(Value::Int).collect(),
            Field::Number => text(&c.number),
            Field::ExternalId => text(&c.external_id),
            Field::ReferenceNo => text(&c.reference_no),
            Field::Kind => c
                .kind
                .into_iter()
                .map(|k| Value::text(k.as_str()))
                .collect(),
            Field::DisplayName => text(&c.display_name()),
            Field::FirstName => text(&c.name.first),
            Field::MiddleName => text(&c.name.middle),
            Field::LastName => text(&c.name.last),
            Field::CompanyName => text(&c.name.company),
            Field::ContactPerson => text(&c.name.contact_person),
            Field::Email => c.emails.iter().map(|e| Value::text(&e.address)).collect(),
            Field::DefaultEmail => c
                .default_email()
                .map(|e| Value::text(&e.address))
                .into_iter()
                .collect(),
            Field::Phone => c.phones.iter().map(|p| Value::text(&p.number)).collect(),
            Field::Mobile => c
                .phones
                .iter()
                .filter(|p| p.kind == PhoneKind::Mobile)
                .map(|p| Value::text(&p.number))
                .collect(),
            Field::DefaultPhone => c
                .default_phone()
                .map(|p| Value::text(&p.number))
                .into_iter()
                .collect(),
            Field::Identification => c
                .identifications
                .iter()
                .map(|i| Value::text(&i.value))
                .collect(),
            Field::IdentificationScheme => c
                .identifications
                .iter()
                .map(|i| Value::text(&i.scheme))
                .collect(),
            Field::OrgNumber => c
                .identification("ORG")
                .map(Value::text)
                .into_iter()
                .collect(),
            Field::Vat => text(&c.tax.vat),
            Field::Tin => text(&c.tax.tin),
            Field::Status => vec![Value::text(c.status.as_str())],
            Field::ActivationTime => time(c.activation_time),
            Field::ExpirationTime => time(c.expiration_time),
            Field::CreditLimit => dec(c.finance.credit_limit),
            Field::CreditBalance => dec(c.finance.credit_balance.as_ref().map(|m| m.amount)),
            Field::ReceivableHighBalance => dec(c.finance.receivable_high_balance),
            Field::PaymentTerms => text(&c.finance.payment_terms),
            Field::CreditStatus => text(&c.finance.credit_status),
            Field::DiscountRate => dec(c.finance.discount_rate),
            Field::CreditRate => dec(c.finance.credit_rate),
            Field::Taxable => c.finance.taxable.into_iter().map(Value::Bool).collect(),
            Field::Currency => text(&c.finance.currency),
            Field::Territory => text(&c.sales.territory),
            Field::ResellerNo => text(&c.sales.reseller_no),
            Field::DiscountId => text(&c.sales.discount_id),
            Field::CardSerial => c
                .cards
                .iter()
                .map(|k| Value::text(&k.serial_number))
                .collect(),
            Field::City => c
                .addresses
                .iter()
                .filter_map(|a| a.city.as_ref())
                .map(Value::text)
                .collect(),
            Field::PostalCode => c
                .addresses
                .iter()
                .filter_map(|a| a.postal_code.as_ref())
                .map(Value::text)
                .collect(),
            Field::CountryCode => c
                .addresses
                .iter()
                .filter_map(|a| a.country_code.as_ref())
                .map(Value::text)
                .collect(),
            Field::Note => text(&c.note),
            Field::CreatedAt => time(c.created_at),
            Field::UpdatedAt => time(c.updated_at),
            Field::Version => vec![Value::Int(c.version.get() as i64)],
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.path())
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Field::from_path(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown field '{raw}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for f in Field::ALL {
            assert!(seen.insert(f.path()), "duplicate path {}", f.path());
            assert_eq!(Field::from_path(f.path()), Some(*f));
            assert_eq!(Field::from_path(&f.path().to_uppercase()), Some(*f));
        }
        assert_eq!(Field::from_path("nope"), None);
    }

    #[test]
    fn literals_coerce_to_the_field_type() {
        assert_eq!(
            Value::text("5").coerce(ValueType::Int).unwrap(),
            Value::Int(5)
        );
        assert_eq!(
            Value::Int(2).coerce(ValueType::Decimal).unwrap(),
            Value::Decimal(Decimal::from(2))
        );
        assert!(Value::text("x").coerce(ValueType::Int).is_err());
        assert!(Value::Bool(true).coerce(ValueType::DateTime).is_err());
        let t = Value::text("2022-11-01T10:00:00Z")
            .coerce(ValueType::DateTime)
            .unwrap();
        assert_eq!(t.to_string(), "2022-11-01T10:00:00+00:00");
        assert!(parse_datetime("2026-05-14T14:24:50.61").is_ok());
        assert!(parse_datetime("2026-05-14").is_ok());
    }

    #[test]
    fn json_strings_stay_text() {
        let value = |json: &str| serde_json::from_str::<Value>(json).unwrap();
        assert_eq!(value(r#""007""#), Value::text("007"));
        assert_eq!(
            value(r#""2022-11-01T10:00:00Z""#),
            Value::text("2022-11-01T10:00:00Z")
        );
        assert_eq!(value("7"), Value::Int(7));
        assert_eq!(value("0.5"), Value::Decimal(Decimal::new(5, 1)));
        assert_eq!(value("null"), Value::Null);
        let filter = |json: &str| {
            serde_json::from_str::<crate::Filter>(json)
                .unwrap()
                .normalize()
                .unwrap()
        };
        assert_eq!(
            filter(r#"{"compare":{"field":"number","op":"eq","value":"007"}}"#).to_string(),
            "number eq '007'"
        );
        assert_eq!(
            filter(r#"{"compare":{"field":"note","op":"eq","value":"2022-11-01T10:00:00Z"}}"#)
                .to_string(),
            "note eq '2022-11-01T10:00:00Z'"
        );
        assert_eq!(
            filter(
                r#"{"compare":{"field":"created_at","op":"gt","value":"2022-11-01T10:00:00Z"}}"#
            )
            .to_string(),
            "created_at gt 2022-11-01T10:00:00+00:00"
        );
    }

    #[test]
    fn multi_valued_fields_read_every_value() {
        let mut c = Customer::new();
        c.emails = vec![
            crate::Email {
                address: "a@x".into(),
                ..Default::default()
            },
            crate::Email {
                address: "b@x".into(),
                default: true,
                ..Default::default()
            },
        ];
        assert_eq!(Field::Email.values(&c).len(), 2);
        assert_eq!(Field::DefaultEmail.values(&c), vec![Value::text("b@x")]);
    }
}
