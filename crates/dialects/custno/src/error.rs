//! Canonical errors ↔ the ManEx envelope.
//!
//! Serving: [`reply`] turns an [`Error`] into the HTTP status and envelope of one action,
//! with one exhaustive match over [`ErrorKind`]. Refusals the caller can fix travel as
//! HTTP 200 with `Code: 403` (the vendor's way); failures of the gateway or its backend
//! carry their own HTTP status and the same number in `Code`.
//!
//! Calling: [`from_envelope`] turns an upstream envelope with a `Code` other than 200
//! back into a canonical error.

use custgate_core::{Error, ErrorKind};

use crate::validate::Action;
use crate::wire::{self, Envelope, CODE_REFUSED};

/// The start of every failure message of an action (`Customer add failed.`). The vendor
/// documents it for Add and Edit; Get's is ours, made the same way.
pub fn failed_prefix(action: Action) -> &'static str {
    match action {
        Action::Add => "Customer add failed.",
        Action::Edit => "Customer edit failed.",
        Action::Get => "Customer get failed.",
    }
}

/// The reason of a validation error: its field messages (each a sentence naming the
/// parameter) joined, or its message.
fn reason(e: &Error) -> String {
    if e.fields().is_empty() {
        e.message().to_owned()
    } else {
        // The problems joined as sentences: an upstream's field messages (`city is
        // required`) come without the full stop ours end with, so one is put between two
        // that would run together. The last is left as it is (the vendor's own `… is
        // Required` has none).
        let mut out = String::new();
        for f in e.fields() {
            if !out.is_empty() {
                if !out.ends_with(['.', '!', '?']) {
                    out.push('.');
                }
                out.push(' ');
            }
            out.push_str(f.message.trim_end());
        }
        out
    }
}

/// `message` as a sentence of the envelope's `Message`: its first letter upper case (the
/// vendor's reasons read `Customer add failed.Object reference …`) and a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The HTTP status and envelope answering `e` for `action`.
pub fn reply<T>(action: Action, e: &Error) -> (u16, Envelope<T>) {
    let prefix = failed_prefix(action);
    let refused = |message: String| (200, Envelope::refused(CODE_REFUSED, message, true));
    let failed = |status: u16, what: &str| {
        (
            status,
            Envelope::refused(i64::from(status), format!("{prefix}{what}"), true),
        )
    };
    match e.kind() {
        ErrorKind::Validation => refused(format!("{prefix}{}", reason(e))),
        ErrorKind::NotFound => match action {
            Action::Get => refused(wire::MSG_NOT_FOUND.to_owned()),
            Action::Add | Action::Edit => refused(format!("{prefix}{}", wire::MSG_NOT_FOUND)),
        },
        // The routes phrase it (`Custno 0000000010 already exists.`).
        ErrorKind::AlreadyExists => refused(format!("{prefix}{}", e.message())),
        ErrorKind::Unauthenticated => (
            200,
            Envelope::refused(CODE_REFUSED, wire::MSG_INVALID_KEY, false),
        ),
        ErrorKind::Forbidden => refused(format!("{prefix}This API key may not do this.")),
        ErrorKind::VersionMismatch | ErrorKind::Conflict => refused(format!(
            "{prefix}The customer was changed by another request at the same time; try again."
        )),
        ErrorKind::IdempotencyMismatch => refused(format!("{prefix}{}", e.message())),
        ErrorKind::Unsupported => failed(501, &sentence(e.message())),
        ErrorKind::RateLimited => failed(429, "Too many requests; try again later."),
        ErrorKind::UpstreamTimeout => failed(504, "The customer system did not answer in time."),
        ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamAuth => {
            failed(502, "The customer system is not available.")
        }
        ErrorKind::Unexpected => failed(500, "An error has occurred."),
    }
}

/// The canonical error of an upstream envelope that is not a success.
///
/// `Invalid API Key.` (or `IsValidUser: false`) is the gateway's own credential being
/// refused; `… does not exists.` is not found; `… already exists…` a duplicate; any other
/// refusal of Add or Edit is a validation error whose message is the vendor's reason.
pub fn from_envelope(upstream: &str, code: i64, message: &str, is_valid_user: bool) -> Error {
    let lower = message.to_ascii_lowercase();
    let kind = if !is_valid_user || message.trim() == wire::MSG_INVALID_KEY {
        ErrorKind::UpstreamAuth
    } else if lower.contains("does not exist") {
        ErrorKind::NotFound
    } else if lower.contains("already exist") || lower.contains("duplicate") {
        ErrorKind::AlreadyExists
    } else if code == CODE_REFUSED {
        ErrorKind::Validation
    } else {
        u16::try_from(code).map_or(ErrorKind::UpstreamUnavailable, ErrorKind::from_http_status)
    };
    let reason = message
        .split_once(" failed.")
        .map(|(_, r)| r)
        .unwrap_or(message)
        .trim();
    let mut err = match kind {
        ErrorKind::Validation => Error::validation_field("ManEx", reason),
        _ => Error::new(kind, format!("upstream {upstream}: {}", message.trim())),
    };
    err = err
        .with_context("upstream", upstream.to_owned())
        .with_context("upstream_code", code.to_string());
    if matches!(
        kind,
        ErrorKind::UpstreamUnavailable | ErrorKind::RateLimited
    ) {
        err = err.set_temporary(true);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::FieldError;

    fn msg(action: Action, e: &Error) -> (u16, i64, String, bool) {
        let (status, env) = reply::<()>(action, e);
        (status, env.code, env.message, env.is_valid_user)
    }

    #[test]
    fn refusals_use_the_vendors_words() {
        assert_eq!(
            msg(Action::Get, &Error::not_found("x")),
            (200, 403, "Customer does not exists.".into(), true)
        );
        assert_eq!(
            msg(Action::Edit, &Error::not_found("x")),
            (
                200,
                403,
                "Customer edit failed.Customer does not exists.".into(),
                true
            )
        );
        assert_eq!(
            msg(Action::Add, &Error::new(ErrorKind::Unauthenticated, "x")),
            (200, 403, "Invalid API Key.".into(), false)
        );
        let v = Error::validation(vec![
            FieldError {
                field: "Custname".into(),
                message: "Custname is required.".into(),
            },
            FieldError {
                field: "Status".into(),
                message: "Status is required.".into(),
            },
        ]);
        assert_eq!(
            msg(Action::Add, &v).2,
            "Customer add failed.Custname is required. Status is required."
        );
        // An upstream's field messages (the tenant API's) come without full stops: they
        // are still told apart.
        let upstream = Error::validation(vec![
            FieldError {
                field: "city".into(),
                message: "city is required".into(),
            },
            FieldError {
                field: "idNo".into(),
                message: "idNo is required ".into(),
            },
        ]);
        assert_eq!(
            msg(Action::Add, &upstream).2,
            "Customer add failed.city is required. idNo is required"
        );
    }

    #[test]
    fn gateway_failures_keep_their_status() {
        assert_eq!(msg(Action::Get, &Error::unexpected("boom")).0, 500);
        assert_eq!(
            msg(Action::Get, &Error::new(ErrorKind::UpstreamTimeout, "slow")).0,
            504
        );
        let (status, code, m, _) = msg(
            Action::Edit,
            &Error::unsupported("the backend does not support updating customers"),
        );
        assert_eq!((status, code), (501, 501));
        assert_eq!(
            m,
            "Customer edit failed.The backend does not support updating customers."
        );
        // The internal message never reaches the caller.
        assert!(!msg(Action::Get, &Error::unexpected("secret detail"))
            .2
            .contains("secret"));
    }

    #[test]
    fn upstream_envelopes_become_canonical_errors() {
        let k = |code, m: &str, valid| from_envelope("custno", code, m, valid).kind();
        assert_eq!(k(403, "Invalid API Key.", false), ErrorKind::UpstreamAuth);
        assert_eq!(
            k(403, "Customer does not exists.", true),
            ErrorKind::NotFound
        );
        assert_eq!(
            k(
                403,
                "Customer add failed.Object reference not set to an instance of an object.",
                true
            ),
            ErrorKind::Validation
        );
        assert_eq!(
            k(
                403,
                "Customer add failed.Custno 0000000010 already exists.",
                true
            ),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            k(
                403,
                "Customer edit failed.Customer Number or Customer Name is Required",
                true
            ),
            ErrorKind::Validation
        );
        assert_eq!(
            k(
                502,
                "Customer get failed.The customer system is not available.",
                true
            ),
            ErrorKind::UpstreamUnavailable
        );
        let e = from_envelope(
            "custno",
            403,
            "Customer add failed.Status must be one of: Active.",
            true,
        );
        assert_eq!(e.fields()[0].message, "Status must be one of: Active.");
    }
}
