//! How a canonical customer maps onto the tables: one column per single-valued
//! [`Field`] (plus a lowercase twin for text), one `customer_values` row per value of a
//! multi-valued field, and the whole record as JSON in `doc`.
//!
//! Column values are read through [`Field::values`], exactly as the reference evaluator
//! reads them, so the SQL and the evaluator cannot disagree about what a field holds.

use chrono::{DateTime, Utc};
use custgate_core::{Customer, Field, Value, ValueType};

use crate::db::{Bind, Sql};
use crate::error::Result;

/// The column of a single-valued field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    /// The Unicode-lowercase twin of a text column, for case-insensitive matches and
    /// sorting.
    pub(crate) lc: Option<&'static str>,
}

const fn text(name: &'static str, lc: &'static str) -> Option<Column> {
    Some(Column { name, lc: Some(lc) })
}

const fn plain(name: &'static str) -> Option<Column> {
    Some(Column { name, lc: None })
}

/// The column of a single-valued field; `None` for a multi-valued one (those live in
/// `customer_values`). The match is exhaustive on purpose: a new field needs a decision
/// here and a migration.
pub(crate) fn column(field: Field) -> Option<Column> {
    use Field as F;
    match field {
        F::Id => text("id", "id_lc"),
        F::Seq => plain("seq"),
        F::Number => text("number", "number_lc"),
        F::ExternalId => text("external_id", "external_id_lc"),
        F::ReferenceNo => text("reference_no", "reference_no_lc"),
        F::Kind => text("kind", "kind_lc"),
        F::DisplayName => text("display_name", "display_name_lc"),
        F::FirstName => text("first_name", "first_name_lc"),
        F::MiddleName => text("middle_name", "middle_name_lc"),
        F::LastName => text("last_name", "last_name_lc"),
        F::CompanyName => text("company_name", "company_name_lc"),
        F::ContactPerson => text("contact_person", "contact_person_lc"),
        F::DefaultEmail => text("default_email", "default_email_lc"),
        F::DefaultPhone => text("default_phone", "default_phone_lc"),
        F::OrgNumber => text("org_number", "org_number_lc"),
        F::Vat => text("vat", "vat_lc"),
        F::Tin => text("tin", "tin_lc"),
        F::Status => text("status", "status_lc"),
        F::ActivationTime => plain("activation_time"),
        F::ExpirationTime => plain("expiration_time"),
        F::CreditLimit => plain("credit_limit"),
        F::CreditBalance => plain("credit_balance"),
        F::ReceivableHighBalance => plain("receivable_high_balance"),
        F::PaymentTerms => text("payment_terms", "payment_terms_lc"),
        F::CreditStatus => text("credit_status", "credit_status_lc"),
        F::DiscountRate => plain("discount_rate"),
        F::CreditRate => plain("credit_rate"),
        F::Taxable => plain("taxable"),
        F::Currency => text("currency", "currency_lc"),
        F::Territory => text("territory", "territory_lc"),
        F::ResellerNo => text("reseller_no", "reseller_no_lc"),
        F::DiscountId => text("discount_id", "discount_id_lc"),
        F::Note => text("note", "note_lc"),
        F::CreatedAt => plain("created_at"),
        F::UpdatedAt => plain("updated_at"),
        F::Version => plain("version"),
        F::Email
        | F::Phone
        | F::Mobile
        | F::Identification
        | F::IdentificationScheme
        | F::CardSerial
        | F::City
        | F::PostalCode
        | F::CountryCode => None,
    }
}

/// Microseconds since the Unix epoch: how date-times are stored on both databases.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// `t` without its sub-microsecond part: the precision the store keeps.
pub(crate) fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Now, to the microsecond.
pub(crate) fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// Brings a customer into the exact form the store keeps and returns: date-times that are
/// filtered on cut to the microsecond, and everything passed through its JSON form once,
/// so that what `create` returns is what `get` returns later.
///
/// The document is the serialisation of the customer *after* that pass (a decimal read
/// back from a float, say, may print differently from the one given), so the stored text
/// is exactly what serialising the returned customer gives, and `get_json` can send it
/// as it is.
pub(crate) fn canonical(mut c: Customer) -> Result<(Customer, String)> {
    c.activation_time = c.activation_time.map(truncate);
    c.expiration_time = c.expiration_time.map(truncate);
    c.created_at = c.created_at.map(truncate);
    c.updated_at = c.updated_at.map(truncate);
    let first = serde_json::to_string(&c)?;
    let back: Customer = serde_json::from_str(&first)?;
    let json = serde_json::to_string(&back)?;
    Ok((back, json))
}

/// Every column of the `customers` row except `tenant` and `doc`, with its value.
pub(crate) fn row(c: &Customer) -> Vec<(&'static str, RowValue)> {
    let mut out = Vec::with_capacity(64);
    out.push(("number_int", RowValue::Int(c.number_value())));
    for field in Field::ALL.iter().copied() {
        let Some(col) = column(field) else { continue };
        let value = field.values(c).into_iter().next();
        match field.value_type() {
            ValueType::Text => {
                let s = match value {
                    Some(Value::Text(s)) => Some(s),
                    _ => None,
                };
                if let Some(lc) = col.lc {
                    out.push((lc, RowValue::Text(s.as_ref().map(|s| s.to_lowercase()))));
                }
                out.push((col.name, RowValue::Text(s)));
            }
            ValueType::Int => out.push((
                col.name,
                RowValue::Int(match value {
                    Some(Value::Int(i)) => Some(i),
                    _ => None,
                }),
            )),
            ValueType::Decimal => out.push((
                col.name,
                RowValue::Decimal(match value {
                    Some(Value::Decimal(d)) => Some(d),
                    _ => None,
                }),
            )),
            ValueType::Bool => out.push((
                col.name,
                RowValue::Bool(match value {
                    Some(Value::Bool(b)) => Some(b),
                    _ => None,
                }),
            )),
            ValueType::DateTime => out.push((
                col.name,
                RowValue::Int(match value {
                    Some(Value::DateTime(t)) => Some(micros(t)),
                    _ => None,
                }),
            )),
        }
    }
    out
}

/// A column value of the `customers` row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RowValue {
    Text(Option<String>),
    Int(Option<i64>),
    Decimal(Option<rust_decimal::Decimal>),
    Bool(Option<bool>),
}

impl RowValue {
    pub(crate) fn bind(self, sql: &mut Sql) {
        match self {
            RowValue::Text(v) => sql.bind(Bind::Text(v)),
            RowValue::Int(v) => sql.bind(Bind::Int(v)),
            RowValue::Bool(v) => sql.bind(Bind::Bool(v)),
            RowValue::Decimal(v) => sql.bind_decimal(v),
        };
    }
}

/// The `customer_values` rows of a customer: (field path, value) for every value of every
/// multi-valued field.
pub(crate) fn multi_values(c: &Customer) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for field in Field::ALL.iter().copied().filter(|f| f.is_multi()) {
        for v in field.values(c) {
            if let Value::Text(s) = v {
                out.push((field.path(), s));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_valued_field_has_a_column() {
        let mut names = std::collections::HashSet::new();
        for f in Field::ALL.iter().copied() {
            match column(f) {
                Some(col) => {
                    assert!(!f.is_multi(), "{f} is multi-valued but has a column");
                    assert_eq!(
                        col.lc.is_some(),
                        f.value_type() == ValueType::Text,
                        "{f}: text columns and only they have a lowercase twin"
                    );
                    assert!(names.insert(col.name));
                    if let Some(lc) = col.lc {
                        assert_eq!(lc, format!("{}_lc", col.name));
                        assert!(names.insert(lc));
                    }
                }
                None => {
                    assert!(f.is_multi(), "{f} has no column");
                    // The side table holds text only.
                    assert_eq!(f.value_type(), ValueType::Text, "{f}");
                }
            }
        }
    }

    #[test]
    fn canonical_form_keeps_microseconds() {
        let mut c = Customer::new();
        c.activation_time = Some(
            DateTime::parse_from_rfc3339("2024-01-02T03:04:05.123456789Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        let (c, json) = canonical(c).unwrap();
        assert_eq!(
            c.activation_time.unwrap().to_rfc3339(),
            "2024-01-02T03:04:05.123456+00:00"
        );
        assert!(json.contains("2024-01-02T03:04:05.123456Z"), "{json}");
    }
}
