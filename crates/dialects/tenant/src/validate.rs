//! The seed's validation rules for `POST` and `PUT` bodies, every failing field reported
//! at once.
//!
//! - required (non-blank): `cusName` (ours: the dialect addresses records by name),
//!   `idNo`, `bldgNo`, `street`, `city`, `postalCode`;
//! - `vatNo`, when present: 15 characters, starting and ending with `3`;
//! - `idType`, when present: one of `TIN CRN MOM MLS 700 SAG NAT GCC IQA OTH` (any case);
//! - `cusType` `B2B` (any case): `postalCode` exactly 5 characters.
//!
//! ZATCA's stricter rules (`^3\d{13}3$`, 4-digit building numbers, 5-digit postal codes for
//! everyone) are not enforced: the seed's own examples break them.

use custgate_core::{Error, FieldError};

use crate::convert::{id_type_code, ID_TYPES};
use crate::wire::CustomerBody;

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// Checks a request body; `Err` is a validation error naming every failing field.
pub fn check_body(body: &CustomerBody) -> Result<(), Error> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        })
    };
    for (field, value) in [
        ("cusName", &body.cus_name),
        ("idNo", &body.id_no),
        ("bldgNo", &body.bldg_no),
        ("street", &body.street),
        ("city", &body.city),
        ("postalCode", &body.postal_code),
    ] {
        if blank(value) {
            fail(field, format!("{field} is required"));
        }
    }
    if let Some(vat) = body
        .vat_no
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        if vat.chars().count() != 15 || !vat.starts_with('3') || !vat.ends_with('3') {
            fail(
                "vatNo",
                "vatNo must be 15 characters long, starting and ending with '3'".into(),
            );
        }
    }
    if let Some(t) = body
        .id_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if id_type_code(t).is_none() {
            fail(
                "idType",
                format!("idType must be one of: {}", ID_TYPES.join(", ")),
            );
        }
    }
    let b2b = body
        .cus_type
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("B2B"));
    if b2b {
        if let Some(pc) = body
            .postal_code
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if pc.chars().count() != 5 {
                fail(
                    "postalCode",
                    "postalCode must be exactly 5 characters long for B2B customers".into(),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> CustomerBody {
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

    fn failing(body: &CustomerBody) -> Vec<String> {
        match check_body(body) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields().iter().map(|f| f.field.clone()).collect(),
        }
    }

    /// Each rule failing alone, then all together.
    #[test]
    fn validation_matrix() {
        type Breaker = fn(&mut CustomerBody);
        let cases: &[(&str, Breaker)] = &[
            ("cusName", |b| b.cus_name = None),
            ("idNo", |b| b.id_no = Some("  ".into())),
            ("bldgNo", |b| b.bldg_no = None),
            ("street", |b| b.street = Some(String::new())),
            ("city", |b| b.city = None),
            ("postalCode", |b| b.postal_code = None),
            ("vatNo", |b| b.vat_no = Some("30000000000003".into())),
            ("vatNo", |b| b.vat_no = Some("400000000000003".into())),
            ("vatNo", |b| b.vat_no = Some("300000000000004".into())),
            ("idType", |b| b.id_type = Some("PAS".into())),
            ("postalCode", |b| b.postal_code = Some("1234".into())),
        ];
        assert!(failing(&valid()).is_empty());
        for (field, breaker) in cases {
            let mut b = valid();
            breaker(&mut b);
            assert_eq!(failing(&b), vec![field.to_string()], "{b:?}");
        }

        let everything = CustomerBody {
            cus_type: Some("b2b".into()),
            id_type: Some("XYZ".into()),
            vat_no: Some("1".into()),
            ..CustomerBody::default()
        };
        assert_eq!(
            failing(&everything),
            [
                "cusName",
                "idNo",
                "bldgNo",
                "street",
                "city",
                "postalCode",
                "vatNo",
                "idType"
            ]
        );
        let mut short_b2b = valid();
        short_b2b.postal_code = Some("123456".into());
        short_b2b.vat_no = Some("3".into());
        short_b2b.id_type = Some("passport".into());
        assert_eq!(failing(&short_b2b), ["vatNo", "idType", "postalCode"]);
    }

    #[test]
    fn optional_rules_apply_only_when_present() {
        let mut b = valid();
        b.vat_no = None;
        b.id_type = None;
        b.cus_type = Some("B2C".into());
        b.postal_code = Some("123".into());
        assert!(check_body(&b).is_ok());
        b.vat_no = Some(" ".into());
        b.id_type = Some("nat".into());
        assert!(check_body(&b).is_ok());
        // Characters, not bytes.
        b.cus_type = Some("B2B".into());
        b.postal_code = Some("١٢٣٤٥".into());
        assert!(check_body(&b).is_ok());
    }
}
