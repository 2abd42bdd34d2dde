//! The dialect's JSON, exactly as the Pristine Invoice Customer API writes it: camelCase
//! properties, `null` for an empty seed field, a bare array for lists, ASP.NET problem
//! details for errors.
//!
//! Request bodies are read the way ASP.NET Core reads them: property names match without
//! regard to case (`CusName`, `cusname`) and unknown properties are ignored. Wrong JSON
//! types are reported per property, every one at once ([`CustomerBody::from_json`]).

use std::collections::BTreeMap;
use std::fmt;

use custgate_core::FieldError;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Characters kept as they are in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A value percent-encoded as one path segment (`John Doe` → `John%20Doe`, `a/b` → `a%2Fb`).
pub fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// The path of a customer's only GET-by-key route, `/api/customer/{cusName}`.
pub fn location(cus_name: &str) -> String {
    format!("/api/customer/{}", encode_segment(cus_name))
}

/// A customer as the API answers it (`GET`, and the bodies of `POST` and `PUT` answers).
///
/// The eight fields of the seed's examples are always written (`null` when empty); the
/// address fields and `tinNo` are written when the record has them, so the seed's
/// examples re-emit exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    pub cus_id: i64,
    pub cus_name: Option<String>,
    pub cus_mobile: Option<String>,
    pub cus_type: Option<String>,
    pub id_type: Option<String>,
    pub id_no: Option<String>,
    pub email: Option<String>,
    pub vat_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bldg_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tin_no: Option<String>,
}

impl CustomerRecord {
    /// A record made of an id and the data fields.
    pub fn new(cus_id: i64, body: CustomerBody) -> Self {
        let CustomerBody {
            cus_name,
            cus_mobile,
            cus_type,
            id_type,
            id_no,
            bldg_no,
            street,
            city,
            postal_code,
            email,
            vat_no,
            tin_no,
        } = body;
        Self {
            cus_id,
            cus_name,
            cus_mobile,
            cus_type,
            id_type,
            id_no,
            email,
            vat_no,
            bldg_no,
            street,
            city,
            postal_code,
            tin_no,
        }
    }

    /// The data fields, without the id.
    pub fn body(&self) -> CustomerBody {
        CustomerBody {
            cus_name: self.cus_name.clone(),
            cus_mobile: self.cus_mobile.clone(),
            cus_type: self.cus_type.clone(),
            id_type: self.id_type.clone(),
            id_no: self.id_no.clone(),
            bldg_no: self.bldg_no.clone(),
            street: self.street.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
            email: self.email.clone(),
            vat_no: self.vat_no.clone(),
            tin_no: self.tin_no.clone(),
        }
    }
}

/// The body of `POST /api/customer` and `PUT /api/customer/{CusId}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cus_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cus_mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cus_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bldg_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tin_no: Option<String>,
}

/// A request body read leniently: the body's fields, and the `cusId` it carried if any
/// (the read shape echoed back by a client).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedBody {
    pub body: CustomerBody,
    pub cus_id: Option<i64>,
}

impl CustomerBody {
    /// The JSON property names, in the seed's order.
    pub const FIELDS: [&'static str; 12] = [
        "cusName",
        "cusMobile",
        "cusType",
        "idType",
        "idNo",
        "bldgNo",
        "street",
        "city",
        "postalCode",
        "email",
        "vatNo",
        "tinNo",
    ];

    /// The slot of a property, matched without regard to ASCII case.
    fn slot(&mut self, name: &str) -> Option<(&'static str, &mut Option<String>)> {
        let canonical = Self::FIELDS
            .iter()
            .copied()
            .find(|f| f.eq_ignore_ascii_case(name))?;
        let slot = match canonical {
            "cusName" => &mut self.cus_name,
            "cusMobile" => &mut self.cus_mobile,
            "cusType" => &mut self.cus_type,
            "idType" => &mut self.id_type,
            "idNo" => &mut self.id_no,
            "bldgNo" => &mut self.bldg_no,
            "street" => &mut self.street,
            "city" => &mut self.city,
            "postalCode" => &mut self.postal_code,
            "email" => &mut self.email,
            "vatNo" => &mut self.vat_no,
            _ => &mut self.tin_no,
        };
        Some((canonical, slot))
    }

    /// Reads a request body as ASP.NET Core would: case-insensitive property names,
    /// unknown properties ignored, strings or `null` for every field, an integer (or
    /// `null`) for `cusId`. Every property of the wrong type is reported at once.
    pub fn from_json(value: &Value) -> Result<ParsedBody, Vec<FieldError>> {
        let Value::Object(map) = value else {
            return Err(vec![FieldError {
                field: "$".into(),
                message: "the request body must be a JSON object".into(),
            }]);
        };
        let mut parsed = ParsedBody::default();
        let mut errors = Vec::new();
        for (key, v) in map {
            if key.eq_ignore_ascii_case("cusId") {
                match v {
                    Value::Null => {}
                    Value::Number(n) if n.as_i64().is_some() => parsed.cus_id = n.as_i64(),
                    _ => errors.push(FieldError {
                        field: "cusId".into(),
                        message: "cusId must be an integer".into(),
                    }),
                }
                continue;
            }
            let Some((name, slot)) = parsed.body.slot(key) else {
                continue;
            };
            match v {
                Value::Null => *slot = None,
                Value::String(s) => *slot = Some(s.clone()),
                _ => errors.push(FieldError {
                    field: name.into(),
                    message: format!("{name} must be a string"),
                }),
            }
        }
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }
}

/// `POST /api/account/login`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub tenant_id: String,
    pub user_id: String,
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("password", &"..")
            .finish()
    }
}

impl LoginRequest {
    /// Reads a login body with case-insensitive property names; every missing, blank or
    /// mistyped property is reported at once.
    pub fn from_json(value: &Value) -> Result<Self, Vec<FieldError>> {
        let Value::Object(map) = value else {
            return Err(vec![FieldError {
                field: "$".into(),
                message: "the request body must be a JSON object".into(),
            }]);
        };
        let mut errors = Vec::new();
        let mut take = |name: &str| -> String {
            let found = map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v);
            match found {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                Some(Value::String(_)) | Some(Value::Null) | None => {
                    errors.push(FieldError {
                        field: name.into(),
                        message: format!("{name} is required"),
                    });
                    String::new()
                }
                Some(_) => {
                    errors.push(FieldError {
                        field: name.into(),
                        message: format!("{name} must be a string"),
                    });
                    String::new()
                }
            }
        };
        let request = LoginRequest {
            tenant_id: take("tenantId"),
            user_id: take("userId"),
            password: take("password"),
        };
        if errors.is_empty() {
            Ok(request)
        } else {
            Err(errors)
        }
    }
}

/// The answer to a successful login.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub user_name: String,
    pub tenant_id: String,
    pub email: Option<String>,
    pub token: String,
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("user_name", &self.user_name)
            .field("tenant_id", &self.tenant_id)
            .field("email", &self.email)
            .field("token", &"..")
            .finish()
    }
}

/// An ASP.NET Core problem details body (RFC 7807 / 9457); with `errors` it is a
/// `ValidationProblemDetails`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDetails {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    #[serde(rename = "traceId", default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl ProblemDetails {
    /// The per-field messages as canonical field errors.
    pub fn field_errors(&self) -> Vec<FieldError> {
        self.errors
            .iter()
            .flatten()
            .flat_map(|(field, messages)| {
                messages.iter().map(move |m| FieldError {
                    field: field.clone(),
                    message: m.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_read_case_insensitively_and_leniently() {
        let parsed = CustomerBody::from_json(&json!({
            "CusName": "A",
            "CUSMOBILE": "0555555555",
            "cusid": 7,
            "unknown": {"x": 1},
            "vatNo": null
        }))
        .unwrap();
        assert_eq!(parsed.cus_id, Some(7));
        assert_eq!(parsed.body.cus_name.as_deref(), Some("A"));
        assert_eq!(parsed.body.cus_mobile.as_deref(), Some("0555555555"));
        assert_eq!(parsed.body.vat_no, None);
    }

    #[test]
    fn every_mistyped_property_is_reported() {
        let errs = CustomerBody::from_json(&json!({"cusName": 5, "idNo": true, "cusId": "x"}))
            .unwrap_err();
        let mut fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["cusId", "cusName", "idNo"]);
        assert!(CustomerBody::from_json(&json!([1])).is_err());
    }

    #[test]
    fn login_bodies_report_missing_fields_and_hide_the_password() {
        let ok =
            LoginRequest::from_json(&json!({"TenantId": "demo", "userid": "u", "password": "p"}))
                .unwrap();
        assert_eq!(ok.tenant_id, "demo");
        assert!(!format!("{ok:?}").contains("\"p\""));
        let errs = LoginRequest::from_json(&json!({"tenantId": " ", "password": 1})).unwrap_err();
        assert_eq!(errs.len(), 3);
    }
}
