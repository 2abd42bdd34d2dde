//! Checks on an NData body, reported all at once with .NET-style member names
//! (`Cards[0].SerialNumber`).

use custgate_core::{CustomerId, Error, FieldError};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use crate::wire;

/// The message of a missing required member (error code 1, Required).
pub const REQUIRED: &str = "is required";
/// The start of the message of a duplicate (error code 2, Unique).
pub const UNIQUE: &str = "must be unique";

/// Reads a customer body (already parsed as JSON and within the size and depth limits).
/// Member names match ignoring case; a member of the wrong shape is reported by name.
pub fn read_customer(mut body: serde_json::Value) -> Result<wire::Customer, Error> {
    if !body.is_object() {
        return Err(Error::validation_field(
            "$",
            "the body must be a JSON object",
        ));
    }
    wire::normalize_customer_members(&mut body);
    read_object(body)
}

/// Reads an object into `T`, naming the top-level members whose values do not fit.
pub fn read_object<T: DeserializeOwned + Default>(body: serde_json::Value) -> Result<T, Error> {
    match serde_json::from_value::<T>(body.clone()) {
        Ok(v) => Ok(v),
        Err(whole) => {
            // Find the culprits: each member alone, the others left at their defaults.
            let mut errs = Vec::new();
            if let serde_json::Value::Object(map) = body {
                for (k, v) in map {
                    let single = serde_json::Value::Object([(k.clone(), v)].into_iter().collect());
                    if let Err(e) = serde_json::from_value::<T>(single) {
                        errs.push(FieldError {
                            field: pascal(&k),
                            message: e.to_string(),
                        });
                    }
                }
            }
            if errs.is_empty() {
                errs.push(FieldError {
                    field: "$".into(),
                    message: whole.to_string(),
                });
            }
            Err(Error::validation(errs))
        }
    }
}

/// `firstName` → `FirstName`, as .NET names members in validation errors.
pub fn pascal(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Checks the rules of a customer body; every problem at once.
pub fn customer(w: &wire::Customer) -> Result<(), Error> {
    let mut errs = Vec::new();
    let mut push = |field: String, message: String| errs.push(FieldError { field, message });
    if let Some(id) = &w.id {
        if let Err(e) = CustomerId::parse(id) {
            let why = e
                .fields()
                .first()
                .map_or("is not valid", |f| f.message.as_str());
            push("Id".into(), why.to_owned());
        }
    }
    if let Some(email) = w.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        let ok = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        }) && !email.contains(char::is_whitespace);
        if !ok {
            push("Email".into(), format!("'{email}' is not an email address"));
        }
    }
    for (name, rate) in [
        ("CreditRate", w.credit_rate),
        ("DiscountRate", w.discount_rate),
    ] {
        if let Some(r) = rate {
            if r < Decimal::ZERO || r > Decimal::ONE_HUNDRED {
                push(name.into(), format!("must be between 0 and 100, not {r}"));
            }
        }
    }
    if let (Some(a), Some(e)) = (w.activation_time, w.expiration_time) {
        if e <= a {
            push(
                "ExpirationTime".into(),
                "must be later than ActivationTime".into(),
            );
        }
    }
    if let Some(0) = w.version {
        push("_v".into(), "must be 1 or more".into());
    }
    if let Some(cards) = &w.cards {
        let mut seen = std::collections::HashSet::new();
        for (i, card) in cards.iter().enumerate() {
            match card.serial_number.as_deref().map(str::trim) {
                None | Some("") => push(format!("Cards[{i}].SerialNumber"), REQUIRED.into()),
                Some(s) => {
                    if !seen.insert(s.to_owned()) {
                        push(
                            format!("Cards[{i}].SerialNumber"),
                            format!("{UNIQUE}: '{s}' is on another card of this customer"),
                        );
                    }
                }
            }
            if let (Some(a), Some(e)) = (card.activation_time, card.expiration_time) {
                if e <= a {
                    push(
                        format!("Cards[{i}].ExpirationTime"),
                        "must be later than ActivationTime".into(),
                    );
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_is_reported() {
        let w = read_customer(json!({
            "id": "a/b",
            "email": "not-an-email",
            "discountRate": 150,
            "activationTime": "2024-01-02T00:00:00Z",
            "expirationTime": "2024-01-01T00:00:00Z",
            "cards": [{"serialNumber": "1"}, {"serialNumber": "1"}, {"isActive": true}],
            "_v": 0
        }))
        .unwrap();
        let e = customer(&w).unwrap_err();
        let names: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "Id",
                "Email",
                "DiscountRate",
                "ExpirationTime",
                "_v",
                "Cards[1].SerialNumber",
                "Cards[2].SerialNumber"
            ]
        );
        assert_eq!(e.fields()[6].message, REQUIRED);
        assert!(e.fields()[5].message.starts_with(UNIQUE));
    }

    #[test]
    fn shape_errors_name_the_member() {
        let e = read_customer(json!({
            "FirstName": "ok",
            "creditRate": "lots",
            "cards": {"serialNumber": "1"},
            "birthDate": "someday"
        }))
        .unwrap_err();
        let mut names: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["BirthDate", "Cards", "CreditRate"]);
        assert!(read_customer(json!([1])).is_err());
        let ok = read_customer(json!({"FIRSTNAME": "John", "x-extra": 1})).unwrap();
        assert_eq!(ok.first_name.as_deref(), Some("John"));
        assert_eq!(ok.other.get("x-extra"), Some(&json!(1)));
    }
}
