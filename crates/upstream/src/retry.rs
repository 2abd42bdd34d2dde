//! Which calls are retried, and how long to wait before the next attempt.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::Method;

use crate::RetryConfig;

/// Whether sending the request twice has the effect of sending it once.
pub(crate) fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Whether the request only reads: it changes nothing upstream, however often it is sent.
pub(crate) fn safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether an answer with this status is worth another attempt of an idempotent call:
/// the upstream or a proxy in front of it failing or overloaded, or a rate limit. A 500
/// is included (an idempotent call cannot do harm twice); a 501 or a 505 would only be
/// answered again.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The wait before retry number `retry` (1 for the first retry): drawn uniformly from
/// zero to `initial * 2^(retry - 1)`, capped at the maximum ("full jitter", so that many
/// clients failing together do not retry together).
pub(crate) fn backoff(config: &RetryConfig, retry: u32) -> Duration {
    let ceiling = config
        .initial_backoff_ms
        .saturating_mul(1u64 << retry.saturating_sub(1).min(32))
        .min(config.max_backoff_ms);
    Duration::from_millis(rand::thread_rng().gen_range(0..=ceiling))
}

/// The wait an answer's `Retry-After` asks for: delta-seconds or an HTTP-date (a date in
/// the past means now). `None` without a readable header.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let date = SystemTime::from(date);
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            retry_after(&headers("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:50:07 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers("99999999999999999999999"), now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&headers("-5"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_stays_below_a_doubling_capped_ceiling() {
        let config = RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..RetryConfig::default()
        };
        for _ in 0..200 {
            assert!(backoff(&config, 1) <= Duration::from_millis(100));
            assert!(backoff(&config, 3) <= Duration::from_millis(400));
            assert!(backoff(&config, 60) <= Duration::from_millis(1_000));
        }
        // The draws are spread, not fixed at the ceiling.
        let draws: std::collections::BTreeSet<_> = (0..50).map(|_| backoff(&config, 5)).collect();
        assert!(draws.len() > 5);
    }

    #[test]
    fn only_safe_or_idempotent_methods_are_retried() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            assert!(idempotent(&m));
        }
        assert!(!idempotent(&Method::POST));
        assert!(!idempotent(&Method::PATCH));
        assert!(retryable_status(503) && retryable_status(429));
        assert!(retryable_status(500) && !retryable_status(501) && !retryable_status(404));
    }
}
