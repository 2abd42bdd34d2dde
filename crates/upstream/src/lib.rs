//! HTTP plumbing shared by the upstream clients of the five dialects.
//!
//! Every client holds an [`Upstream`] built from its [`UpstreamConfig`] and sends every
//! request through [`Upstream::send`], which gives all five the same resilience:
//!
//! - a pooled `reqwest` client with explicit connect and request timeouts that never
//!   follows redirects (a 3xx comes back as its status);
//! - a concurrency limit per upstream (`max_concurrency` calls in flight; beyond it a
//!   call waits up to the request timeout, then fails as `UpstreamUnavailable`);
//! - retries of safe or idempotent calls (GET, HEAD, PUT, DELETE, OPTIONS) on transport
//!   errors, timeouts, 500, 502, 503, 504 and 429, with exponential backoff and full
//!   jitter, honouring `Retry-After` up to a cap; any call, POST included, is retried
//!   when it could not connect, because then nothing was sent ([`RetryConfig`]); the
//!   gateway's own logins and token refreshes go through [`Upstream::send_session`] and
//!   are retried as idempotent calls;
//! - a circuit breaker per upstream that opens after consecutive failed attempts, fails
//!   calls at once while open and half-opens by itself ([`BreakerConfig`],
//!   [`Upstream::breaker_state`]);
//! - a cap on the response body, and a JSON depth cap in [`parse_json`];
//! - an `upstream.call` span per attempt (upstream, operation, method, attempt, status,
//!   duration) below the caller's span, a warning with the start of any error body, and
//!   never a URL or a header in a log line or an error; under a `warn` log filter (the
//!   span, at INFO, is then off) a warning still names the upstream and the operation
//!   and sits in the caller's span, the front request's;
//! - [`UpstreamMetrics`]: attempts by outcome, latency, breaker state.
//!
//! HTTP statuses become canonical errors with [`status_error`] (through core's
//! `ErrorKind::from_http_status`), so the five clients agree on what an upstream failure
//! means.

mod breaker;
mod config;
mod metrics;
mod retry;
mod upstream;

use custgate_core::{Error, ErrorKind};
use serde::de::DeserializeOwned;

pub use breaker::BreakerState;
pub use config::{BreakerConfig, RetryConfig, UpstreamConfig};
pub use metrics::UpstreamMetrics;
pub use upstream::Upstream;

tokio::task_local! {
    static WRITES: std::cell::Cell<u32>;
}

/// Runs `work` and counts the calls it made that may have changed something upstream:
/// every call but a read (GET, HEAD, OPTIONS) or a session call (a login, a token
/// refresh: [`Upstream::send_session`]) that reached the upstream (the connection was
/// made) and was not refused with a 4xx. A create that failed with none created
/// nothing; after any (a write answered, a timeout, a connection lost mid-call, a 5xx)
/// nobody knows. Calls made by other tasks (a shared token refresh) are not counted.
pub async fn count_writes<F: std::future::Future>(work: F) -> (F::Output, u32) {
    WRITES
        .scope(std::cell::Cell::new(0), async move {
            let output = work.await;
            (output, WRITES.with(std::cell::Cell::get))
        })
        .await
}

/// Counts one call that may have written, when [`count_writes`] is counting.
pub(crate) fn count_write() {
    let _ = WRITES.try_with(|n| n.set(n.get() + 1));
}

/// A canonical error for an upstream HTTP status, with the upstream's message.
///
/// A server error's message is the upstream's internals (exception texts, SQL): it is
/// logged with the raw body by [`Upstream::send`] under the request's id and never
/// reaches a client; the error says only that the upstream failed.
pub fn status_error(upstream: &str, status: u16, message: impl Into<String>) -> Error {
    let kind = ErrorKind::from_http_status(status);
    let temporary = status >= 500 || status == 429 || status == 408;
    let message = if status >= 500 {
        format!("upstream {upstream} failed (HTTP {status})")
    } else {
        message.into()
    };
    Error::new(kind, message)
        .with_context("upstream", upstream.to_owned())
        .with_context("upstream_status", status.to_string())
        .set_temporary(temporary)
}

/// Parses an upstream JSON body, refusing nesting deeper than `max_depth`. A body that
/// cannot be read is not temporary: the same call would get the same body.
pub fn parse_json<T: DeserializeOwned>(
    upstream: &str,
    bytes: &[u8],
    max_depth: usize,
) -> Result<T, Error> {
    if custgate_core::json::nesting_depth(bytes) > max_depth {
        return Err(Error::new(
            ErrorKind::UpstreamUnavailable,
            format!("upstream {upstream} answered JSON nested deeper than {max_depth} levels"),
        )
        .set_temporary(false));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorKind::UpstreamUnavailable,
            format!("upstream {upstream} answered with JSON we cannot read: {e}"),
        )
        .set_temporary(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(ErrorKind::from_http_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_http_status(400), ErrorKind::Validation);
        assert_eq!(ErrorKind::from_http_status(401), ErrorKind::UpstreamAuth);
        assert_eq!(
            ErrorKind::from_http_status(503),
            ErrorKind::UpstreamUnavailable
        );
        assert!(status_error("x", 503, "down").is_temporary());
        assert!(!status_error("x", 404, "gone").is_temporary());
        assert_eq!(
            ErrorKind::from_http_status(302),
            ErrorKind::UpstreamUnavailable
        );
    }

    #[test]
    fn deep_json_is_refused() {
        assert!(parse_json::<serde_json::Value>("u", b"[[[1]]]", 2).is_err());
        assert!(parse_json::<serde_json::Value>("u", b"[[1]]", 2).is_ok());
        let e = parse_json::<serde_json::Value>("u", b"{", 2).unwrap_err();
        assert!(!e.is_temporary());
    }
}
