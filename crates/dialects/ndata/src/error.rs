//! Canonical errors ↔ PORTOS ProblemDetails.
//!
//! [`problem`] is the one place that turns an [`ErrorKind`] into this dialect's HTTP
//! status, `errorCode` and body; with feature `client`, [`from_problem`] reads an
//! upstream's ProblemDetails back into a canonical error.

use custgate_core::{Error, ErrorKind};

use crate::validate::{REQUIRED, UNIQUE};
use crate::wire::{MemberError, ProblemDetails, ResourceRef};

/// PORTOS `errorCode` values.
pub mod error_code {
    pub const UNAUTHENTICATED: u32 = 1;
    pub const UNAUTHORIZED: u32 = 2;
    pub const VALIDATION_FAILED: u32 = 3;
    pub const LICENSE_EXPIRED: u32 = 4;
    pub const RESOURCE_LOCKED: u32 = 5;
    pub const RESOURCE_VERSION_MISMATCH: u32 = 6;
}

/// `code` of an entry of `errors` on a 400.
pub mod member_code {
    /// Any other rule (ours: the vendor documents 1 and 2 only).
    pub const INVALID: u32 = 0;
    pub const REQUIRED: u32 = 1;
    pub const UNIQUE: u32 = 2;
}

/// The resource name in `resource`.
pub const RESOURCE_NAME: &str = "Customer";

/// What a problem is about, besides the error itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProblemContext<'a> {
    /// The request id.
    pub trace_id: &'a str,
    /// The request path.
    pub instance: &'a str,
    /// The customer addressed, if any.
    pub resource_id: Option<&'a str>,
}

fn type_uri(status: u16) -> &'static str {
    match status {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        422 => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        423 => "https://tools.ietf.org/html/rfc4918#section-11.3",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        501 => "https://tools.ietf.org/html/rfc9110#section-15.6.2",
        502 => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        504 => "https://tools.ietf.org/html/rfc9110#section-15.6.5",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    }
}

/// The status and ProblemDetails body for a canonical error.
pub fn problem(err: &Error, cx: &ProblemContext<'_>) -> (u16, ProblemDetails) {
    use error_code as ec;
    let (status, error_code, title) = match err.kind() {
        ErrorKind::Validation | ErrorKind::AlreadyExists => (
            400,
            Some(ec::VALIDATION_FAILED),
            "One or more validation errors occurred.",
        ),
        ErrorKind::Unauthenticated => (401, Some(ec::UNAUTHENTICATED), "Unauthorized"),
        ErrorKind::Forbidden => (403, Some(ec::UNAUTHORIZED), "Forbidden"),
        ErrorKind::NotFound => (404, None, "Not Found"),
        ErrorKind::VersionMismatch => (
            409,
            Some(ec::RESOURCE_VERSION_MISMATCH),
            "The resource version does not match",
        ),
        ErrorKind::IdempotencyMismatch => (422, None, "Unprocessable Entity"),
        ErrorKind::Conflict => (423, Some(ec::RESOURCE_LOCKED), "The resource is locked"),
        ErrorKind::RateLimited => (429, None, "Too Many Requests"),
        ErrorKind::Unsupported => (501, None, "Not Implemented"),
        ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamAuth => (502, None, "Bad Gateway"),
        ErrorKind::UpstreamTimeout => (504, None, "Gateway Timeout"),
        ErrorKind::Unexpected => (500, None, "Internal Server Error"),
    };
    let detail = if status == 500 {
        // The message may hold internals; the trace id finds it in the logs.
        "an unexpected error occurred".to_owned()
    } else {
        err.message().to_owned()
    };
    let errors = (status == 400).then(|| member_errors(err));
    let resource = match err.kind() {
        ErrorKind::VersionMismatch => Some(ResourceRef {
            name: Some(RESOURCE_NAME.into()),
            id: cx.resource_id.map(str::to_owned),
            version: err
                .context_value("stored_version")
                .and_then(|v| v.parse().ok()),
        }),
        ErrorKind::NotFound | ErrorKind::Conflict => cx.resource_id.map(|id| ResourceRef {
            name: Some(RESOURCE_NAME.into()),
            id: Some(id.to_owned()),
            version: None,
        }),
        _ => None,
    };
    let body = ProblemDetails {
        kind: Some(type_uri(status).into()),
        title: Some(title.into()),
        status: Some(status),
        detail: Some(detail),
        instance: Some(cx.instance.to_owned()),
        trace_id: Some(cx.trace_id.to_owned()),
        error_code,
        resource,
        errors,
    };
    (status, body)
}

fn member_errors(err: &Error) -> Vec<MemberError> {
    let unique = err.kind() == ErrorKind::AlreadyExists;
    if err.fields().is_empty() {
        return vec![MemberError {
            member_name: unique.then(|| "Id".to_owned()),
            message: err.message().to_owned(),
            code: if unique {
                member_code::UNIQUE
            } else {
                member_code::INVALID
            },
        }];
    }
    err.fields()
        .iter()
        .map(|f| MemberError {
            member_name: Some(f.field.clone()),
            message: f.message.clone(),
            code: if unique || f.message.starts_with(UNIQUE) {
                member_code::UNIQUE
            } else if f.message == REQUIRED {
                member_code::REQUIRED
            } else {
                member_code::INVALID
            },
        })
        .collect()
}

/// A ProblemDetails for a status that has no canonical kind (405, 413).
pub fn plain_problem(
    status: u16,
    title: &str,
    detail: String,
    cx: &ProblemContext<'_>,
) -> ProblemDetails {
    ProblemDetails {
        kind: Some(type_uri(status).into()),
        title: Some(title.into()),
        status: Some(status),
        detail: Some(detail),
        instance: Some(cx.instance.to_owned()),
        trace_id: Some(cx.trace_id.to_owned()),
        error_code: (status == 400).then_some(error_code::VALIDATION_FAILED),
        resource: None,
        errors: None,
    }
}

/// The canonical error for an upstream NData answer that is not a success.
#[cfg(feature = "client")]
pub fn from_problem(upstream: &str, status: u16, body: &[u8]) -> Error {
    use custgate_core::{FieldError, Version};

    let p: ProblemDetails = serde_json::from_slice(body).unwrap_or_default();
    let message = p
        .detail
        .clone()
        .or(p.title.clone())
        .unwrap_or_else(|| format!("upstream {upstream} answered HTTP {status}"));
    let fields: Vec<FieldError> = p
        .errors
        .iter()
        .flatten()
        .map(|e| FieldError {
            field: e.member_name.clone().unwrap_or_else(|| "$".into()),
            message: e.message.clone(),
        })
        .collect();
    let unique = p
        .errors
        .iter()
        .flatten()
        .any(|e| e.code == member_code::UNIQUE);
    let err = match (status, p.error_code) {
        (_, Some(error_code::RESOURCE_VERSION_MISMATCH)) | (409, _) => {
            match p
                .resource
                .as_ref()
                .and_then(|r| r.version)
                .and_then(|v| Version::new(v).ok())
            {
                Some(v) => Error::version_mismatch(v),
                None => Error::new(ErrorKind::VersionMismatch, message),
            }
        }
        (400, _) if unique => Error::new(ErrorKind::AlreadyExists, message).with_fields(fields),
        (400, _) if !fields.is_empty() => Error::validation(fields),
        (423, _) | (_, Some(error_code::RESOURCE_LOCKED)) => {
            Error::new(ErrorKind::Conflict, message)
        }
        (403, _) | (_, Some(error_code::UNAUTHORIZED)) => Error::new(ErrorKind::Forbidden, message),
        _ => {
            return custgate_upstream::status_error(upstream, status, message);
        }
    };
    err.with_context("upstream", upstream.to_owned())
        .with_context("upstream_status", status.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::{FieldError, Version};

    fn cx() -> ProblemContext<'static> {
        ProblemContext {
            trace_id: "t-1",
            instance: "/customers/c1",
            resource_id: Some("c1"),
        }
    }

    #[test]
    fn version_conflicts_carry_the_stored_version() {
        let (status, body) = problem(&Error::version_mismatch(Version::new(4).unwrap()), &cx());
        assert_eq!(status, 409);
        assert_eq!(body.error_code, Some(6));
        assert_eq!(
            body.resource,
            Some(ResourceRef {
                name: Some("Customer".into()),
                id: Some("c1".into()),
                version: Some(4)
            })
        );
        assert!(body.errors.is_none());
        assert_eq!(body.trace_id.as_deref(), Some("t-1"));
    }

    #[test]
    fn validation_errors_list_members_with_codes() {
        let e = Error::validation(vec![
            FieldError {
                field: "Cards[0].SerialNumber".into(),
                message: REQUIRED.into(),
            },
            FieldError {
                field: "Email".into(),
                message: "'x' is not an email address".into(),
            },
        ]);
        let (status, body) = problem(&e, &cx());
        assert_eq!(status, 400);
        assert_eq!(body.error_code, Some(3));
        let codes: Vec<u32> = body.errors.unwrap().iter().map(|e| e.code).collect();
        assert_eq!(codes, [1, 0]);

        let dup = Error::new(
            ErrorKind::AlreadyExists,
            "a customer with id 'c1' exists already",
        );
        let (status, body) = problem(&dup, &cx());
        assert_eq!(status, 400);
        let errors = body.errors.unwrap();
        assert_eq!(errors[0].member_name.as_deref(), Some("Id"));
        assert_eq!(errors[0].code, 2);
    }

    #[test]
    fn statuses_and_codes_follow_the_kind() {
        for (kind, status, code) in [
            (ErrorKind::Unauthenticated, 401, Some(1)),
            (ErrorKind::Forbidden, 403, Some(2)),
            (ErrorKind::NotFound, 404, None),
            (ErrorKind::Conflict, 423, Some(5)),
            (ErrorKind::Unsupported, 501, None),
            (ErrorKind::UpstreamTimeout, 504, None),
            (ErrorKind::Unexpected, 500, None),
        ] {
            let (s, body) = problem(&Error::new(kind, "secret internals"), &cx());
            assert_eq!((s, body.error_code), (status, code), "{kind:?}");
            assert_eq!(body.status, Some(status));
            if status == 500 {
                assert!(!body.detail.unwrap().contains("secret"));
            }
        }
    }

    #[cfg(feature = "client")]
    #[test]
    fn upstream_problems_become_canonical_errors() {
        let (_, body) = problem(&Error::version_mismatch(Version::new(7).unwrap()), &cx());
        let bytes = serde_json::to_vec(&body).unwrap();
        let e = from_problem("ndata", 409, &bytes);
        assert_eq!(e.kind(), ErrorKind::VersionMismatch);
        assert_eq!(e.context_value("stored_version"), Some("7"));

        let dup = Error::new(ErrorKind::AlreadyExists, "exists");
        let (_, body) = problem(&dup, &cx());
        let e = from_problem("ndata", 400, &serde_json::to_vec(&body).unwrap());
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);

        let e = from_problem("ndata", 404, b"not json");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = from_problem("ndata", 503, b"");
        assert!(e.is_temporary());
    }
}
