//! Canonical errors as the dialect answers them: an HTTP status and an ASP.NET Core
//! `ProblemDetails` body (the vendor's dates and names say ASP.NET; its error bodies are
//! not documented, so we answer the framework's standard shapes).

use std::collections::BTreeMap;

use custgate_core::{Error, ErrorKind};

use crate::wire::ProblemDetails;

/// What the dialect answers for one kind: status, `type` URI and `title`.
pub fn describe(kind: ErrorKind) -> (u16, &'static str, &'static str) {
    const RFC: &str = "https://tools.ietf.org/html/rfc9110#section-15";
    // One match over every kind: a kind added to core does not compile until it has a line
    // here.
    match kind {
        ErrorKind::Validation => (
            400,
            "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "One or more validation errors occurred.",
        ),
        ErrorKind::Unauthenticated => (
            401,
            "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            "Unauthorized",
        ),
        ErrorKind::Forbidden => (
            403,
            "https://tools.ietf.org/html/rfc9110#section-15.5.4",
            "Forbidden",
        ),
        ErrorKind::NotFound => (
            404,
            "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "Not Found",
        ),
        ErrorKind::AlreadyExists | ErrorKind::Conflict => (
            409,
            "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "Conflict",
        ),
        ErrorKind::VersionMismatch => (
            412,
            "https://tools.ietf.org/html/rfc9110#section-15.5.13",
            "Precondition Failed",
        ),
        ErrorKind::IdempotencyMismatch => (
            422,
            "https://tools.ietf.org/html/rfc9110#section-15.5.21",
            "Unprocessable Content",
        ),
        ErrorKind::RateLimited => (
            429,
            "https://tools.ietf.org/html/rfc6585#section-4",
            "Too Many Requests",
        ),
        ErrorKind::Unsupported => (
            501,
            "https://tools.ietf.org/html/rfc9110#section-15.6.2",
            "Not Implemented",
        ),
        ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamAuth => (
            502,
            "https://tools.ietf.org/html/rfc9110#section-15.6.3",
            "Bad Gateway",
        ),
        ErrorKind::UpstreamTimeout => (
            504,
            "https://tools.ietf.org/html/rfc9110#section-15.6.5",
            "Gateway Timeout",
        ),
        ErrorKind::Unexpected => (500, RFC, "An error occurred while processing your request."),
    }
}

/// The body for an error. Validation errors list their fields (ASP.NET's
/// `ValidationProblemDetails`); unexpected errors never show their message, which may
/// describe internals (it is logged instead).
pub fn problem(err: &Error, trace_id: Option<&str>) -> ProblemDetails {
    let (status, kind, title) = describe(err.kind());
    let mut errors = None;
    let mut detail = Some(err.message().to_owned());
    match err.kind() {
        ErrorKind::Validation => {
            let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for f in err.fields() {
                map.entry(f.field.clone())
                    .or_default()
                    .push(f.message.clone());
            }
            if map.is_empty() {
                map.entry(String::new())
                    .or_default()
                    .push(err.message().to_owned());
            }
            errors = Some(map);
            detail = None;
        }
        _ if status == 500 => detail = None,
        _ => {}
    }
    ProblemDetails {
        kind: kind.to_owned(),
        title: title.to_owned(),
        status,
        detail,
        errors,
        trace_id: trace_id.map(str::to_owned),
    }
}

/// A canonical error from an upstream's `ProblemDetails` (or any JSON error body).
pub fn from_problem(upstream_status: u16, body: &[u8]) -> (String, Vec<custgate_core::FieldError>) {
    let Ok(p) = serde_json::from_slice::<ProblemDetails>(body) else {
        let text = String::from_utf8_lossy(body);
        let text: String = text.chars().take(200).collect();
        let message = if text.trim().is_empty() {
            format!("the upstream answered HTTP {upstream_status}")
        } else {
            format!(
                "the upstream answered HTTP {upstream_status}: {}",
                text.trim()
            )
        };
        return (message, Vec::new());
    };
    let fields = p
        .errors
        .iter()
        .flatten()
        .flat_map(|(field, msgs)| {
            msgs.iter().map(move |m| custgate_core::FieldError {
                field: field.clone(),
                message: m.clone(),
            })
        })
        .collect();
    let message = p.detail.unwrap_or(p.title);
    (message, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::FieldError;

    #[test]
    fn validation_errors_list_their_fields() {
        let e = Error::validation(vec![
            FieldError {
                field: "lang".into(),
                message: "is required".into(),
            },
            FieldError {
                field: "mobileNumber".into(),
                message: "must start with 5".into(),
            },
        ]);
        let p = problem(&e, Some("t-1"));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "One or more validation errors occurred.",
                "status": 400,
                "errors": { "lang": ["is required"], "mobileNumber": ["must start with 5"] },
                "traceId": "t-1"
            })
        );
    }

    #[test]
    fn every_kind_has_a_status_and_internals_stay_hidden() {
        for (kind, status) in [
            (ErrorKind::NotFound, 404),
            (ErrorKind::AlreadyExists, 409),
            (ErrorKind::VersionMismatch, 412),
            (ErrorKind::Validation, 400),
            (ErrorKind::Unauthenticated, 401),
            (ErrorKind::Forbidden, 403),
            (ErrorKind::Unsupported, 501),
            (ErrorKind::RateLimited, 429),
            (ErrorKind::IdempotencyMismatch, 422),
            (ErrorKind::Conflict, 409),
            (ErrorKind::UpstreamUnavailable, 502),
            (ErrorKind::UpstreamTimeout, 504),
            (ErrorKind::UpstreamAuth, 502),
            (ErrorKind::Unexpected, 500),
        ] {
            assert_eq!(describe(kind).0, status, "{kind}");
        }
        let p = problem(&Error::unexpected("db at /var/x exploded"), None);
        assert_eq!(p.detail, None);
        let p = problem(
            &Error::unsupported("the backend does not support listing customers"),
            None,
        );
        assert_eq!(
            p.detail.as_deref(),
            Some("the backend does not support listing customers")
        );
    }

    #[test]
    fn upstream_problems_become_messages_and_fields() {
        let body = br#"{"type":"x","title":"One or more validation errors occurred.","status":400,"errors":{"lang":["The lang field is required."]}}"#;
        let (msg, fields) = from_problem(400, body);
        assert_eq!(msg, "One or more validation errors occurred.");
        assert_eq!(fields[0].field, "lang");
        let (msg, fields) = from_problem(503, b"<html>down</html>");
        assert_eq!(msg, "the upstream answered HTTP 503: <html>down</html>");
        assert!(fields.is_empty());
    }
}
