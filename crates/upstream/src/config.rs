//! The settings of one upstream: where it is, how long to wait, how much to accept, how
//! to retry, when to stop calling it and how many calls may be in flight.

use std::time::Duration;

use custgate_core::Error;
use serde::Deserialize;

/// Connection settings common to every upstream.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// How errors, logs and metrics call this upstream; unset, the name the client
    /// gives it (its dialect's). In gateway mode the backend's `name` sets it.
    pub name: Option<String>,
    /// Base URL of the upstream system, e.g. `https://erp.example.com/`.
    pub base_url: String,
    pub connect_timeout_ms: u64,
    /// The longest one attempt may take, from connecting to the last byte of the body;
    /// also the longest a call waits for a free slot under `max_concurrency`.
    pub request_timeout_ms: u64,
    /// The largest response body accepted.
    pub max_response_bytes: usize,
    /// The deepest JSON nesting accepted in a response.
    pub max_json_depth: usize,
    pub pool_max_idle_per_host: usize,
    /// The most calls in flight to this upstream at once.
    pub max_concurrency: usize,
    pub retry: RetryConfig,
    pub breaker: BreakerConfig,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            name: None,
            base_url: String::new(),
            connect_timeout_ms: 2_000,
            request_timeout_ms: 10_000,
            max_response_bytes: 8 * 1024 * 1024,
            max_json_depth: 64,
            pool_max_idle_per_host: 32,
            max_concurrency: 32,
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
        }
    }
}

/// When and how often a failed call is tried again. Only safe or idempotent calls are
/// retried (GET, HEAD, PUT, DELETE, OPTIONS), on transport errors, timeouts, 500, 502,
/// 503, 504 and 429; any call is retried when it could not connect (nothing was sent).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per call, the first included: 1 means no retry.
    pub max_attempts: u32,
    /// The ceiling of the first backoff; each retry doubles it, and the wait is drawn
    /// uniformly below the ceiling ("full jitter").
    pub initial_backoff_ms: u64,
    /// The highest the backoff ceiling grows.
    pub max_backoff_ms: u64,
    /// The longest `Retry-After` waited for; an upstream asking for more fails the call
    /// at once, with the wait it asked for in the error's `retry_after` context.
    pub max_retry_after_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff_ms: 100,
            max_backoff_ms: 2_000,
            max_retry_after_ms: 5_000,
        }
    }
}

/// The circuit breaker: after `failure_threshold` consecutive failed attempts (no
/// answer, a timeout, a 5xx, an oversized or unreadable body) calls fail at once for
/// `open_ms`; then one trial call goes through, and its outcome closes or reopens it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub open_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_ms: 10_000,
        }
    }
}

impl UpstreamConfig {
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }

    /// The base URL, checked: http or https, with a trailing slash so that relative
    /// paths join below it.
    pub fn base(&self) -> Result<url::Url, Error> {
        let mut raw = self.base_url.trim().to_owned();
        if !raw.ends_with('/') {
            raw.push('/');
        }
        let url = url::Url::parse(&raw).map_err(|e| {
            Error::validation_field(
                "base_url",
                format!(
                    "'{}' is not a URL: {e}",
                    custgate_core::redact::url(&self.base_url)
                ),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::validation_field("base_url", "must be http or https"));
        }
        Ok(url)
    }

    /// Checks every setting; [`crate::Upstream::new`] calls it.
    pub fn check(&self) -> Result<(), Error> {
        self.base()?;
        if self.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Error::validation_field("name", "must not be empty"));
        }
        let positive = [
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("max_concurrency", self.max_concurrency as u64),
            ("retry.max_attempts", u64::from(self.retry.max_attempts)),
            (
                "breaker.failure_threshold",
                u64::from(self.breaker.failure_threshold),
            ),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(Error::validation_field(field, "must be at least 1"));
            }
        }
        if self.retry.initial_backoff_ms > self.retry.max_backoff_ms {
            return Err(Error::validation_field(
                "retry.initial_backoff_ms",
                "must not be above retry.max_backoff_ms",
            ));
        }
        Ok(())
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        // A URL that does not parse is quoted without its password.
        let e = UpstreamConfig::with_base_url("http://user:s3cret@host:99999/")
            .base()
            .unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("user:***@host:99999"), "{e}");
        assert!(UpstreamConfig::with_base_url("ftp://x").base().is_err());
        assert!(UpstreamConfig::with_base_url("nope").base().is_err());
        assert_eq!(
            UpstreamConfig::with_base_url("http://127.0.0.1:9/api")
                .base()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/api/"
        );
    }

    #[test]
    fn sections_default_and_refuse_unknown_keys() {
        let c: UpstreamConfig = serde_json::from_value(serde_json::json!({
            "base_url": "http://127.0.0.1:9/",
            "retry": {"max_attempts": 1},
            "breaker": {"open_ms": 50}
        }))
        .unwrap();
        assert_eq!(c.retry.max_attempts, 1);
        assert_eq!(c.retry.max_retry_after_ms, 5_000);
        assert_eq!(c.breaker.open_ms, 50);
        assert_eq!(c.breaker.failure_threshold, 5);
        assert_eq!(c.max_concurrency, 32);
        for bad in [
            serde_json::json!({"retry": {"attempts": 2}}),
            serde_json::json!({"breaker": {"threshold": 2}}),
            serde_json::json!({"timeout": 2}),
        ] {
            assert!(serde_json::from_value::<UpstreamConfig>(bad).is_err());
        }
    }

    #[test]
    fn settings_that_would_stop_every_call_are_refused() {
        let ok = UpstreamConfig::with_base_url("http://127.0.0.1:9/");
        assert!(ok.check().is_ok());
        let mut c = ok.clone();
        c.retry.max_attempts = 0;
        assert_eq!(
            c.check().unwrap_err().fields()[0].field,
            "retry.max_attempts"
        );
        let mut c = ok.clone();
        c.max_concurrency = 0;
        assert_eq!(c.check().unwrap_err().fields()[0].field, "max_concurrency");
        let mut c = ok.clone();
        c.breaker.failure_threshold = 0;
        assert!(c.check().is_err());
        let mut c = ok;
        c.retry.initial_backoff_ms = 5_000;
        assert!(c.check().is_err());
    }
}
