//! The dialect's JSON, exactly as the vendor writes it.
//!
//! Field order is the seed's order (serde writes struct fields in declaration order) and
//! every field is always written, `null` included. Fields the seed only ever shows as
//! `null` and that have no canonical meaning (`company`, `nationalAddress`…) are kept as
//! raw JSON so that whatever a real system sends comes back unchanged. Text fields that
//! a real system might send as numbers (`buildingNo`, `postalCode`…) accept both.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::JsonMap;

/// One row of the `GET /v1/core/customer` answer (the answer is always an array).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomerDto {
    pub version_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub customer_version_id: Option<i64>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub contact_name: Option<String>,
    pub nationality_id: Option<i64>,
    pub nationality: Option<String>,
    pub gender_id: Option<i64>,
    pub gender: Option<String>,
    pub customer_type_id: Option<i64>,
    pub customer_type: Option<String>,
    pub company_type_id: Option<i64>,
    pub company_type: Option<String>,
    pub industry_type_id: Option<i64>,
    pub industry_type: Option<String>,
    #[serde(deserialize_with = "text")]
    pub date_of_birth: Option<String>,
    pub occupation: Option<String>,
    pub preferred_contact_type_id: Option<i64>,
    pub preferred_contact_type: Option<String>,
    pub email_address: Option<String>,
    pub phone_code_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub phone_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub mobile_number: Option<String>,
    pub additional_phone_code_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub additional_phone_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub additional_mobile_number: Option<String>,
    pub identification_type_id: Option<i64>,
    pub identification_type: Option<String>,
    #[serde(deserialize_with = "text")]
    pub identification_no: Option<String>,
    pub country_id: Option<i64>,
    pub country: Option<String>,
    pub region_id: Option<i64>,
    pub region: Option<String>,
    pub city_id: Option<i64>,
    pub city: Option<String>,
    #[serde(deserialize_with = "text")]
    pub zip_code: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub monthly_income_id: Option<i64>,
    pub monthly_income: Option<String>,
    pub created_date: Option<String>,
    pub is_active: Option<Value>,
    pub preferred_language_id: Option<i64>,
    pub preferred_language: Option<String>,
    pub company_id: Option<Value>,
    pub company: Option<Value>,
    pub national_address: Option<Value>,
    pub commercial_record: Option<Value>,
    pub plot_identification: Option<Value>,
    #[serde(deserialize_with = "text")]
    pub building_no: Option<String>,
    #[serde(deserialize_with = "text")]
    pub unit_no: Option<String>,
    #[serde(deserialize_with = "text")]
    pub vat_reg_no: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub city_sub_division_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub postal_code: Option<String>,
    pub user_active: Option<Value>,
    pub customer_contacts: Option<Vec<ContactDto>>,
    /// Fields a real system sends that the seed does not show; kept (in the customer's
    /// extensions) but never written.
    #[serde(flatten, skip_serializing)]
    pub extra: JsonMap,
}

/// One element of `customerContacts`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactDto {
    pub contact_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub customer: Option<Value>,
    #[serde(deserialize_with = "text")]
    pub contact_number: Option<String>,
    pub relation_type_id: Option<i64>,
    pub relation_type: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone_code_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub phone_code: Option<String>,
    pub primary_contact: Option<bool>,
    pub contact_start_date: Option<String>,
    pub contact_end_date: Option<String>,
    pub is_active: Option<bool>,
    pub contact_is_enable: Option<Value>,
    pub profession: Option<String>,
    pub remarks: Option<String>,
}

/// The error body: ASP.NET Core's `ProblemDetails`, with `errors` (field → messages) on
/// validation failures (`ValidationProblemDetails`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<std::collections::BTreeMap<String, Vec<String>>>,
    #[serde(rename = "traceId", default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// A text field that may come as a JSON string or number.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a string or a number, found {other}"
            )))
        }
    })
}

/// The names of every field of a customer row (sorted, not in wire order).
pub fn customer_keys() -> Vec<String> {
    match serde_json::to_value(CustomerDto::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}
