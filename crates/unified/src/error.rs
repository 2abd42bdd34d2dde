//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Every canonical [`Error`] becomes a [`Problem`] through the one match in
//! [`Problem::from`]; the few problems that are about HTTP itself (a body too large, a
//! media type, a method, an unknown path) have their own constructors.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use custgate_core::{Error, ErrorKind, FieldError};
use custgate_http::JsonBodyError;
use serde::Serialize;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `type` URIs are `urn:custgate:problem:<slug>`; the README lists every slug.
pub const TYPE_PREFIX: &str = "urn:custgate:problem:";

/// The `WWW-Authenticate` challenge of a request without credentials.
const CHALLENGE: &str = "Bearer realm=\"custgate\"";

/// A problem ready to be answered (boxed: errors travel through `Result`s).
#[derive(Debug)]
pub struct Problem(Box<Details>);

#[derive(Debug)]
struct Details {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    stored_version: Option<u64>,
    headers: Vec<(HeaderName, String)>,
    /// What went wrong internally, logged but not shown.
    internal: Option<String>,
    /// The gateway or its backend failed ([`ErrorKind::is_failure`]): logged as an error.
    failure: bool,
}

impl Problem {
    fn new(status: u16, slug: &'static str, title: &'static str, detail: String) -> Self {
        Self(Box::new(Details {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            slug,
            title,
            detail,
            errors: Vec::new(),
            stored_version: None,
            headers: Vec::new(),
            internal: None,
            failure: false,
        }))
    }

    #[must_use]
    fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.0.headers.push((name, value.into()));
        self
    }

    /// 401 for a request without usable credentials.
    pub fn missing_credentials() -> Self {
        Problem::from(Error::new(
            ErrorKind::Unauthenticated,
            "send the tenant's token as 'Authorization: Bearer <token>'",
        ))
    }

    /// 401 for a token that names no tenant.
    pub fn invalid_token() -> Self {
        let mut p = Problem::from(Error::new(
            ErrorKind::Unauthenticated,
            "the bearer token is not valid",
        ));
        p.0.headers.retain(|(n, _)| n != header::WWW_AUTHENTICATE);
        p.with_header(
            header::WWW_AUTHENTICATE,
            format!("{CHALLENGE}, error=\"invalid_token\""),
        )
    }

    /// 413 for a body over the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Problem::new(
            413,
            "payload-too-large",
            "Payload too large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 415 for a body that is not declared as JSON.
    pub fn unsupported_media_type(given: &str) -> Self {
        Problem::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            format!("the body must be sent as application/json, not {given}"),
        )
    }

    /// 405 with the methods the resource has.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Problem::new(
            405,
            "method-not-allowed",
            "Method not allowed",
            format!("this resource supports {allow}"),
        )
        .with_header(header::ALLOW, allow)
    }

    /// 404 for a path the facade does not have.
    pub fn no_route() -> Self {
        Problem::new(
            404,
            "not-found",
            "Not found",
            "the facade has no resource at this path; see /unified/v1/customers".into(),
        )
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The `application/problem+json` response.
    pub fn respond(self, req: &HttpRequest) -> HttpResponse {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "type")]
            kind: String,
            title: &'a str,
            status: u16,
            detail: &'a str,
            instance: &'a str,
            #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
            errors: &'a [FieldError],
            #[serde(skip_serializing_if = "Option::is_none")]
            stored_version: Option<u64>,
            request_id: &'a str,
        }
        let request_id = custgate_http::request_id(req);
        if self.0.failure {
            tracing::error!(
                request_id = %request_id,
                status = self.0.status.as_u16(),
                problem = self.0.slug,
                detail = %self.0.detail,
                internal = self.0.internal.as_deref().unwrap_or(""),
                "Facade request failed"
            );
        } else {
            tracing::debug!(
                request_id = %request_id,
                status = self.0.status.as_u16(),
                problem = self.0.slug,
                detail = %self.0.detail,
                "Facade request refused"
            );
        }
        let body = Body {
            kind: format!("{TYPE_PREFIX}{}", self.0.slug),
            title: self.0.title,
            status: self.0.status.as_u16(),
            detail: &self.0.detail,
            instance: req.path(),
            errors: &self.0.errors,
            stored_version: self.0.stored_version,
            request_id: &request_id,
        };
        let mut res = HttpResponse::build(self.0.status);
        res.content_type(PROBLEM_JSON)
            .insert_header((header::CACHE_CONTROL, "no-store"));
        for (name, value) in self.0.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.insert_header((name, v));
            }
        }
        match serde_json::to_vec(&body) {
            Ok(bytes) => res.body(bytes),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }
}

impl From<Error> for Problem {
    /// The one place a canonical error kind becomes a status, a problem type and a title.
    fn from(e: Error) -> Self {
        let (status, slug, title) = match e.kind() {
            ErrorKind::NotFound => (404, "not-found", "Not found"),
            ErrorKind::AlreadyExists => (409, "already-exists", "Already exists"),
            ErrorKind::VersionMismatch => (412, "precondition-failed", "Precondition failed"),
            ErrorKind::Validation => (400, "validation", "Invalid request"),
            ErrorKind::Unauthenticated => (401, "unauthenticated", "Unauthenticated"),
            ErrorKind::Forbidden => (403, "forbidden", "Forbidden"),
            ErrorKind::Unsupported => (501, "unsupported", "Not supported by the backend"),
            ErrorKind::RateLimited => (429, "rate-limited", "Too many requests"),
            ErrorKind::IdempotencyMismatch => (
                422,
                "idempotency-key-reused",
                "Idempotency key used with another request",
            ),
            ErrorKind::Conflict => (
                409,
                "idempotency-key-in-flight",
                "A request with this idempotency key is in progress",
            ),
            ErrorKind::UpstreamUnavailable => (502, "upstream-unavailable", "Backend unavailable"),
            ErrorKind::UpstreamTimeout => (504, "upstream-timeout", "Backend timed out"),
            ErrorKind::UpstreamAuth => (502, "upstream-auth", "Backend refused the gateway"),
            ErrorKind::Unexpected => (500, "internal", "Internal error"),
        };
        let mut p = Problem::new(status, slug, title, e.message().to_owned());
        p.0.errors = e.fields().to_vec();
        p.0.failure = e.kind().is_failure();
        if status == 500 {
            p.0.internal = Some(e.to_string());
            p.0.detail =
                "an unexpected error occurred; quote the request_id when reporting it".into();
        }
        p.0.stored_version = e
            .context_value("stored_version")
            .and_then(|v| v.parse().ok());
        if let Some(secs) = e.context_value("retry_after") {
            p = p.with_header(header::RETRY_AFTER, secs);
        } else if e.kind() == ErrorKind::Conflict {
            p = p.with_header(header::RETRY_AFTER, "1");
        }
        if e.kind() == ErrorKind::Unauthenticated {
            p = p.with_header(header::WWW_AUTHENTICATE, CHALLENGE);
        }
        p
    }
}

impl From<JsonBodyError> for Problem {
    fn from(e: JsonBodyError) -> Self {
        match e {
            JsonBodyError::TooLarge { limit } => Problem::payload_too_large(limit),
            other => Problem::from(Error::validation_field("body", other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;
    use actix_web::test::TestRequest;

    async fn answer(p: Problem) -> (u16, serde_json::Value, HttpResponse<()>) {
        let req = TestRequest::with_uri("/unified/v1/customers/x").to_http_request();
        let res = p.respond(&req);
        let status = res.status().as_u16();
        let (head, body) = res.into_parts();
        let bytes = to_bytes(body).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap(), head)
    }

    #[actix_rt::test]
    async fn every_kind_maps_to_a_problem() {
        let kinds = [
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
        ];
        for (kind, status) in kinds {
            let (got, body, head) = answer(Problem::from(Error::new(kind, "secret detail"))).await;
            assert_eq!(got, status, "{kind}");
            assert_eq!(body["status"], status);
            assert_eq!(body["instance"], "/unified/v1/customers/x");
            assert!(body["type"].as_str().unwrap().starts_with(TYPE_PREFIX));
            assert!(body["request_id"].is_string());
            assert_eq!(
                head.headers().get(header::CONTENT_TYPE).unwrap(),
                PROBLEM_JSON
            );
            // Internal errors never leak their message.
            assert_eq!(body["detail"] == "secret detail", status != 500, "{kind}");
        }
    }

    #[actix_rt::test]
    async fn problems_carry_fields_versions_and_challenges() {
        let e = Error::validation(vec![
            FieldError {
                field: "a".into(),
                message: "x".into(),
            },
            FieldError {
                field: "b".into(),
                message: "y".into(),
            },
        ]);
        let (_, body, _) = answer(Problem::from(e)).await;
        assert_eq!(body["errors"][1]["field"], "b");

        let v = custgate_core::Version::new(4).unwrap();
        let (_, body, _) = answer(Problem::from(Error::version_mismatch(v))).await;
        assert_eq!(body["stored_version"], 4);
        assert!(body.get("errors").is_none());

        let (_, _, head) = answer(Problem::invalid_token()).await;
        let challenges: Vec<_> = head.headers().get_all(header::WWW_AUTHENTICATE).collect();
        assert_eq!(challenges.len(), 1);
        assert!(challenges[0].to_str().unwrap().contains("invalid_token"));

        let (status, _, head) = answer(Problem::from(JsonBodyError::TooLarge { limit: 9 })).await;
        assert_eq!(status, 413);
        assert!(head.headers().get(header::WWW_AUTHENTICATE).is_none());
        let (_, _, head) = answer(Problem::from(Error::new(ErrorKind::Conflict, "busy"))).await;
        assert_eq!(head.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }
}
