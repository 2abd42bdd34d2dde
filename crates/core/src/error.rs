//! The one error type of custgate.
//!
//! Every crate keeps its own private error enums and converts them into [`Error`] at its
//! boundary; every dialect turns an [`ErrorKind`] into its own status and body with one
//! exhaustive match.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What went wrong, as far as a caller needs to decide what to do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The customer (or another addressed thing) does not exist in this tenant.
    NotFound,
    /// A record with the same unique key exists already.
    AlreadyExists,
    /// The caller's expected version is not the stored one.
    VersionMismatch,
    /// The input breaks a rule; see [`Error::fields`].
    Validation,
    /// No or bad credentials.
    Unauthenticated,
    /// Credentials are fine but do not allow this.
    Forbidden,
    /// The backend does not support this (an operation, a filter, a sort); the message says what.
    Unsupported,
    /// Too many requests; retry later.
    RateLimited,
    /// The idempotency key was used before with another request.
    IdempotencyMismatch,
    /// Another request with the same idempotency key is still in flight.
    Conflict,
    /// The upstream system could not be reached or failed.
    UpstreamUnavailable,
    /// The upstream system did not answer in time.
    UpstreamTimeout,
    /// The upstream system refused the gateway's own credentials.
    UpstreamAuth,
    /// Anything else: a bug or an unexpected state.
    Unexpected,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::VersionMismatch => "version_mismatch",
            ErrorKind::Validation => "validation",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::IdempotencyMismatch => "idempotency_mismatch",
            ErrorKind::Conflict => "conflict",
            ErrorKind::UpstreamUnavailable => "upstream_unavailable",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::UpstreamAuth => "upstream_auth",
            ErrorKind::Unexpected => "unexpected",
        }
    }

    /// The HTTP status a plain JSON API would use; dialects may choose otherwise.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::AlreadyExists => 409,
            ErrorKind::VersionMismatch => 412,
            ErrorKind::Validation => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::Unsupported => 501,
            ErrorKind::RateLimited => 429,
            ErrorKind::IdempotencyMismatch => 422,
            ErrorKind::Conflict => 409,
            ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamAuth => 502,
            ErrorKind::UpstreamTimeout => 504,
            ErrorKind::Unexpected => 500,
        }
    }
}

impl ErrorKind {
    /// Whether the gateway or its upstream failed (a bug, an upstream down, slow or
    /// refusing the gateway's credentials): what an operator should look at, logged as an
    /// error. Every other kind is a refusal of the request (including `Unsupported`, a
    /// limit of the tenant's backend, and `RateLimited`).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            ErrorKind::Unexpected
                | ErrorKind::UpstreamUnavailable
                | ErrorKind::UpstreamTimeout
                | ErrorKind::UpstreamAuth
        )
    }

    /// The kind for a failure status answered by another system (an upstream): what the
    /// status means to the gateway, not what the gateway would answer.
    pub fn from_http_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::Validation,
            401 => ErrorKind::UpstreamAuth,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::AlreadyExists,
            412 => ErrorKind::VersionMismatch,
            429 => ErrorKind::RateLimited,
            408 | 504 => ErrorKind::UpstreamTimeout,
            501 => ErrorKind::Unsupported,
            _ => ErrorKind::UpstreamUnavailable,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message about one input field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field as the caller named it (a dialect field name or a canonical path).
    pub field: String,
    pub message: String,
}

/// The custgate error: a kind, a message, optional per-field messages, context pairs and a
/// temporary flag that says whether the same call may succeed later.
#[derive(Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    fields: Vec<FieldError>,
    context: Vec<(&'static str, String)>,
    temporary: bool,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let temporary = matches!(
            kind,
            ErrorKind::RateLimited
                | ErrorKind::Conflict
                | ErrorKind::UpstreamUnavailable
                | ErrorKind::UpstreamTimeout
        );
        Self {
            kind,
            message: message.into(),
            fields: Vec::new(),
            context: Vec::new(),
            temporary,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// An idempotency key sent again with another request (another body).
    pub fn idempotency_mismatch() -> Self {
        Self::new(
            ErrorKind::IdempotencyMismatch,
            "the idempotency key was used with another request",
        )
    }

    /// An idempotency key sent again while its first request is still being served.
    pub fn idempotency_in_flight() -> Self {
        Self::new(
            ErrorKind::Conflict,
            "a request with the same idempotency key is still in progress",
        )
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unexpected, message)
    }

    /// A validation error about a single field.
    pub fn validation_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self::new(ErrorKind::Validation, format!("{field}: {message}"))
            .with_fields(vec![FieldError { field, message }])
    }

    /// A validation error listing every failing field at once.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(ErrorKind::Validation, message).with_fields(fields)
    }

    pub fn version_mismatch(stored: crate::Version) -> Self {
        Self::new(
            ErrorKind::VersionMismatch,
            format!("the stored version is {stored}"),
        )
        .with_context("stored_version", stored.to_string())
    }

    #[must_use]
    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }

    #[must_use]
    pub fn with_context(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.context.push((key, value.into()));
        self
    }

    #[must_use]
    pub fn set_temporary(mut self, temporary: bool) -> Self {
        self.temporary = temporary;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    pub fn context(&self) -> &[(&'static str, String)] {
        &self.context
    }

    /// The value of one context pair.
    pub fn context_value(&self, key: &str) -> Option<&str> {
        self.context
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_temporary(&self) -> bool {
        self.temporary
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if !self.fields.is_empty() {
            d.field("fields", &self.fields);
        }
        if !self.context.is_empty() {
            d.field("context", &self.context);
        }
        d.field("temporary", &self.temporary).finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        for (k, v) in &self.context {
            write!(f, ", {k}: {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_lists_every_field() {
        let e = Error::validation(vec![
            FieldError {
                field: "idNo".into(),
                message: "is required".into(),
            },
            FieldError {
                field: "city".into(),
                message: "is required".into(),
            },
        ]);
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.fields().len(), 2);
        assert_eq!(e.message(), "idNo: is required; city: is required");
        assert!(!e.is_temporary());
    }

    #[test]
    fn failures_are_the_gateways_or_the_upstreams() {
        use ErrorKind as K;
        for k in [
            K::Unexpected,
            K::UpstreamUnavailable,
            K::UpstreamTimeout,
            K::UpstreamAuth,
        ] {
            assert!(k.is_failure(), "{k}");
        }
        for k in [
            K::NotFound,
            K::AlreadyExists,
            K::VersionMismatch,
            K::Validation,
            K::Unauthenticated,
            K::Forbidden,
            K::Unsupported,
            K::RateLimited,
            K::IdempotencyMismatch,
            K::Conflict,
        ] {
            assert!(!k.is_failure(), "{k}");
        }
    }

    #[test]
    fn upstream_failures_are_temporary() {
        assert!(Error::new(ErrorKind::UpstreamTimeout, "slow").is_temporary());
        assert!(!Error::not_found("x").is_temporary());
        let e = Error::version_mismatch(crate::Version::new(3).unwrap());
        assert_eq!(e.context_value("stored_version"), Some("3"));
        assert_eq!(
            e.to_string(),
            "version_mismatch: the stored version is 3, stored_version: 3"
        );
    }
}
