//! Canonical errors → the dialect's status and body, in one exhaustive match.
//!
//! A 400 is the seed's validation object ([`ValidationObject`]); every other error is the
//! seed's exception body ([`ServerError`]) whose `Message` starts with the `ErrorReference`
//! (`MURA28RA: …`), an 8-character reference derived from the request id and logged with
//! it.

use custgate_core::{Error, ErrorKind};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::wire::{ComplexValidationRule, ServerError, ValidationObject};

/// The seed's validation code and message for a delete blocked by references.
pub const REFERENCES_CODE: i64 = 115001;
pub const REFERENCES_MESSAGE: &str =
    "Customer have references to one or more quote, order, invoice, project or workitem and cannot be deleted!";

/// The validation level of a refusal (the seed's `Level: 30`).
const LEVEL_ERROR: i64 = 30;

/// The error for a delete that references block.
pub fn references(entity_id: i64) -> Error {
    Error::validation_field("", REFERENCES_MESSAGE)
        .with_context("validation_code", REFERENCES_CODE.to_string())
        .with_context("entity_id", entity_id.to_string())
}

/// An 8-character reference (`0-9A-Z`) for an error, derived from the request id.
pub fn error_reference(request_id: &str) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    Sha256::digest(request_id.as_bytes())
        .iter()
        .take(8)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The seed's exception body (`{Message: "REF: …", StackTrace, Source, InnerException,
/// ErrorReference}`).
pub fn exception(reference: &str, message: &str) -> Value {
    let body = ServerError {
        message: format!("{reference}: {message}"),
        stack_trace: String::new(),
        source: String::new(),
        inner_exception: None,
        error_reference: reference.to_owned(),
    };
    serde_json::to_value(body).unwrap_or(Value::Null)
}

/// The status and body of an error, `reference` naming it in the exception body.
pub fn render(e: &Error, reference: &str) -> (u16, Value) {
    let server = |status: u16, message: &str| (status, exception(reference, message));
    match e.kind() {
        ErrorKind::Validation | ErrorKind::AlreadyExists => (400, validation(e)),
        ErrorKind::NotFound => server(404, e.message()),
        ErrorKind::Unauthenticated => server(401, e.message()),
        ErrorKind::Forbidden => server(403, e.message()),
        ErrorKind::VersionMismatch => server(
            409,
            "the customer was changed by someone else while this request ran; read it again and retry",
        ),
        ErrorKind::Conflict | ErrorKind::IdempotencyMismatch => server(409, e.message()),
        ErrorKind::Unsupported => server(501, e.message()),
        ErrorKind::RateLimited => server(429, e.message()),
        ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamAuth => server(502, e.message()),
        ErrorKind::UpstreamTimeout => server(504, e.message()),
        // Internal failures: the reference is enough to find the details in the log.
        ErrorKind::Unexpected => server(500, "an unexpected error occurred"),
    }
}

/// The seed's validation object for a validation error: the first failing property in
/// `PropertyName`, every failure in `Message`.
fn validation(e: &Error) -> Value {
    let code = e
        .context_value("validation_code")
        .and_then(|c| c.parse::<i64>().ok());
    let entity_id = e
        .context_value("entity_id")
        .and_then(|c| c.parse::<i64>().ok())
        .unwrap_or(0);
    let message = if e.fields().is_empty() {
        e.message().to_owned()
    } else {
        e.fields()
            .iter()
            .map(|f| {
                if f.field.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.field, f.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let body = ValidationObject {
        id: code.map_or(0, |_| 69),
        entity_id,
        property_name: e
            .fields()
            .first()
            .map(|f| f.field.clone())
            .unwrap_or_default(),
        entity_type: "Customer".into(),
        message: message.clone(),
        level: LEVEL_ERROR,
        entity_validation_rule: None,
        complex_validation_rule: code.map(|code| ComplexValidationRule {
            entity_type: "Order".into(),
            validation_code: code,
            message,
            system: false,
            operation: 30,
            level: LEVEL_ERROR,
            sync_key: None,
            changed_by_company: false,
            on_conflict: 0,
            id: 69,
            deleted: false,
            created_at: None,
            updated_at: None,
            created_by: None,
            updated_by: None,
        }),
    };
    serde_json::to_value(body).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_testkit::fixtures::seed_json;

    #[test]
    fn references_render_as_the_seed_example() {
        let seed = seed_json(env!("CARGO_MANIFEST_DIR"), "validation_error.json");
        let (status, body) = render(&references(0), "ABCDEFGH");
        assert_eq!(status, 400);
        assert_eq!(body, seed);
    }

    #[test]
    fn other_errors_carry_the_reference() {
        let (status, body) = render(&Error::not_found("customer 5 does not exist"), "MURA28RA");
        assert_eq!(status, 404);
        assert_eq!(body["Message"], "MURA28RA: customer 5 does not exist");
        assert_eq!(body["ErrorReference"], "MURA28RA");
        let (status, body) = render(&Error::unexpected("database file is locked"), "MURA28RA");
        assert_eq!(status, 500);
        assert!(!body["Message"].as_str().unwrap().contains("locked"));
        let r = error_reference("req-1");
        assert_eq!(r.len(), 8);
        assert!(r
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_eq!(r, error_reference("req-1"));
    }

    #[test]
    fn validation_names_the_first_property() {
        let e = Error::validation(vec![
            custgate_core::FieldError {
                field: "Info.Name".into(),
                message: "is required".into(),
            },
            custgate_core::FieldError {
                field: "CustomerNumber".into(),
                message: "must not be negative".into(),
            },
        ]);
        let (status, body) = render(&e, "X");
        assert_eq!(status, 400);
        assert_eq!(body["PropertyName"], "Info.Name");
        assert_eq!(
            body["Message"],
            "Info.Name: is required; CustomerNumber: must not be negative"
        );
        assert_eq!(body["ComplexValidationRule"], Value::Null);
        assert_eq!(body["ID"], 0);
    }
}
