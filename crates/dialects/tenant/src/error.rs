//! Canonical errors → the dialect's answers: ASP.NET Core problem details, with
//! `ValidationProblemDetails` (`errors: {field: [message]}`) for 400.

use std::collections::BTreeMap;

use custgate_core::{Error, ErrorKind};

use crate::wire::ProblemDetails;

/// The `type` and `title` ASP.NET Core writes for a status.
pub fn status_defaults(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "Bad Request",
        ),
        401 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            "Unauthorized",
        ),
        403 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.4",
            "Forbidden",
        ),
        404 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "Not Found",
        ),
        409 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "Conflict",
        ),
        413 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            "Content Too Large",
        ),
        415 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.16",
            "Unsupported Media Type",
        ),
        422 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.21",
            "Unprocessable Entity",
        ),
        429 => (
            "https://tools.ietf.org/html/rfc6585#section-4",
            "Too Many Requests",
        ),
        501 => (
            "https://tools.ietf.org/html/rfc9110#section-15.6.2",
            "Not Implemented",
        ),
        502 => (
            "https://tools.ietf.org/html/rfc9110#section-15.6.3",
            "Bad Gateway",
        ),
        503 => (
            "https://tools.ietf.org/html/rfc9110#section-15.6.4",
            "Service Unavailable",
        ),
        504 => (
            "https://tools.ietf.org/html/rfc9110#section-15.6.5",
            "Gateway Timeout",
        ),
        _ => (
            "https://tools.ietf.org/html/rfc9110#section-15.6.1",
            "An error occurred while processing your request.",
        ),
    }
}

/// The title of a `ValidationProblemDetails`.
pub const VALIDATION_TITLE: &str = "One or more validation errors occurred.";

/// A problem details body for a status, with an optional detail.
pub fn problem(status: u16, detail: Option<String>, trace_id: &str) -> ProblemDetails {
    let (type_, title) = status_defaults(status);
    ProblemDetails {
        type_: Some(type_.to_owned()),
        title: Some(title.to_owned()),
        status: Some(status),
        detail,
        errors: None,
        trace_id: Some(trace_id.to_owned()),
    }
}

/// The HTTP status and body for a canonical error: the one place that decides.
pub fn to_problem(err: &Error, trace_id: &str) -> (u16, ProblemDetails) {
    let detail = || Some(err.message().to_owned());
    let (status, detail) = match err.kind() {
        ErrorKind::Validation => {
            let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for f in err.fields() {
                errors
                    .entry(f.field.clone())
                    .or_default()
                    .push(f.message.clone());
            }
            if errors.is_empty() {
                errors.insert("$".into(), vec![err.message().to_owned()]);
            }
            let mut body = problem(400, None, trace_id);
            body.title = Some(VALIDATION_TITLE.to_owned());
            body.errors = Some(errors);
            return (400, body);
        }
        ErrorKind::NotFound => (404, detail()),
        ErrorKind::AlreadyExists => (409, detail()),
        // Someone changed the record between our read and our write.
        ErrorKind::VersionMismatch => (
            409,
            Some("the customer was changed by another request; read it again and retry".into()),
        ),
        ErrorKind::Unauthenticated => (401, detail()),
        ErrorKind::Forbidden => (403, detail()),
        ErrorKind::Unsupported => (501, detail()),
        ErrorKind::RateLimited => (429, detail()),
        ErrorKind::IdempotencyMismatch => (422, detail()),
        ErrorKind::Conflict => (409, detail()),
        ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamAuth => (
            502,
            Some("the system holding this tenant's customers failed".into()),
        ),
        ErrorKind::UpstreamTimeout => (
            504,
            Some("the system holding this tenant's customers did not answer in time".into()),
        ),
        // Internal details stay in the log.
        ErrorKind::Unexpected => (500, None),
    };
    (status, problem(status, detail, trace_id))
}

#[cfg(feature = "server")]
pub use server::ApiError;

#[cfg(feature = "server")]
mod server {
    use std::fmt;

    use actix_web::http::{header, StatusCode};
    use actix_web::{HttpRequest, HttpResponse, ResponseError};
    use custgate_core::{Error, ErrorKind};

    use super::{problem, to_problem};
    use crate::wire::ProblemDetails;

    /// An error answer of the dialect, ready to send.
    #[derive(Debug)]
    pub struct ApiError {
        status: u16,
        body: Box<ProblemDetails>,
        /// Whether to ask for a bearer token (`WWW-Authenticate`).
        challenge: Option<&'static str>,
    }

    impl ApiError {
        /// The answer for a canonical error; unexpected errors are logged here.
        pub fn new(err: &Error, req: &HttpRequest) -> Self {
            let trace_id = custgate_http::request_id(req);
            if matches!(
                err.kind(),
                ErrorKind::Unexpected
                    | ErrorKind::UpstreamUnavailable
                    | ErrorKind::UpstreamAuth
                    | ErrorKind::UpstreamTimeout
            ) {
                tracing::error!(trace_id = %trace_id, error = %err, "Request failed");
            }
            let (status, body) = to_problem(err, &trace_id);
            let challenge = match err.kind() {
                ErrorKind::Unauthenticated => {
                    Some(if err.context_value("token") == Some("missing") {
                        "Bearer"
                    } else {
                        "Bearer error=\"invalid_token\""
                    })
                }
                _ => None,
            };
            Self {
                status,
                body: Box::new(body),
                challenge,
            }
        }

        /// An answer for a status outside the canonical kinds (413, 415).
        pub fn status(status: u16, detail: impl Into<String>, req: &HttpRequest) -> Self {
            Self {
                status,
                body: Box::new(problem(
                    status,
                    Some(detail.into()),
                    &custgate_http::request_id(req),
                )),
                challenge: None,
            }
        }

        pub fn body(&self) -> &ProblemDetails {
            &self.body
        }
    }

    impl fmt::Display for ApiError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}", self.status)?;
            if let Some(d) = &self.body.detail {
                write!(f, ": {d}")?;
            }
            Ok(())
        }
    }

    impl ResponseError for ApiError {
        fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }

        fn error_response(&self) -> HttpResponse {
            let mut res = HttpResponse::build(self.status_code());
            res.content_type("application/problem+json; charset=utf-8");
            if let Some(c) = self.challenge {
                res.insert_header((header::WWW_AUTHENTICATE, c));
            }
            res.body(serde_json::to_string(&self.body).unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::FieldError;

    #[test]
    fn validation_errors_become_validation_problem_details() {
        let err = Error::validation(vec![
            FieldError {
                field: "idNo".into(),
                message: "idNo is required".into(),
            },
            FieldError {
                field: "city".into(),
                message: "city is required".into(),
            },
        ]);
        let (status, body) = to_problem(&err, "t-1");
        assert_eq!(status, 400);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "One or more validation errors occurred.",
                "status": 400,
                "errors": {"idNo": ["idNo is required"], "city": ["city is required"]},
                "traceId": "t-1"
            })
        );
        assert_eq!(body.field_errors().len(), 2);
    }

    #[test]
    fn every_kind_has_a_status_and_unexpected_ones_hide_details() {
        for (kind, status) in [
            (ErrorKind::NotFound, 404),
            (ErrorKind::AlreadyExists, 409),
            (ErrorKind::VersionMismatch, 409),
            (ErrorKind::Unauthenticated, 401),
            (ErrorKind::Forbidden, 403),
            (ErrorKind::Unsupported, 501),
            (ErrorKind::RateLimited, 429),
            (ErrorKind::IdempotencyMismatch, 422),
            (ErrorKind::Conflict, 409),
            (ErrorKind::UpstreamUnavailable, 502),
            (ErrorKind::UpstreamAuth, 502),
            (ErrorKind::UpstreamTimeout, 504),
            (ErrorKind::Unexpected, 500),
        ] {
            let (s, body) = to_problem(&Error::new(kind, "secret internals"), "t");
            assert_eq!(s, status, "{kind}");
            assert_eq!(body.status, Some(status));
            assert!(body.title.is_some());
            if matches!(
                kind,
                ErrorKind::Unexpected
                    | ErrorKind::UpstreamUnavailable
                    | ErrorKind::UpstreamAuth
                    | ErrorKind::UpstreamTimeout
            ) {
                assert!(body.detail.is_none_or(|d| !d.contains("secret")), "{kind}");
            }
        }
    }
}
