//! Prometheus metrics of the upstream calls, shared by every [`crate::Upstream`] they are
//! attached to and registered once into the application's registry.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::BreakerState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    upstream: String,
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    upstream: String,
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BreakerLabels {
    upstream: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // From 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Counters, latencies and breaker states of upstream calls.
///
/// - `upstream_requests` (a counter, so `upstream_requests_total` when encoded): every
///   attempt, and every call refused before an attempt, by upstream, operation and
///   outcome (`ok`, `redirect`, `http_4xx`, `rate_limited`, `http_5xx`, `timeout`,
///   `unavailable`, `too_large`, `circuit_open`, `saturated`);
/// - `upstream_request_duration_seconds`: the latency of each attempt that was sent, by
///   upstream and operation;
/// - `upstream_breaker_state`: 0 closed, 1 half-open, 2 open, by upstream, as of the
///   last call or change.
pub struct UpstreamMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily<DurationLabels>,
    breaker: Family<BreakerLabels, Gauge>,
}

impl std::fmt::Debug for UpstreamMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamMetrics").finish_non_exhaustive()
    }
}

impl Default for UpstreamMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl UpstreamMetrics {
    pub fn new() -> Self {
        Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            breaker: Family::default(),
        }
    }

    /// Adds the metrics to `registry` (the application's, whose prefix they take).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "upstream_requests",
            "Upstream call attempts and refused calls, by upstream, operation and outcome",
            self.requests.clone(),
        );
        registry.register(
            "upstream_request_duration_seconds",
            "Upstream call attempt latency, by upstream and operation",
            self.duration.clone(),
        );
        registry.register(
            "upstream_breaker_state",
            "Upstream circuit breaker state (0 closed, 1 half-open, 2 open), by upstream",
            self.breaker.clone(),
        );
    }

    pub(crate) fn count(&self, upstream: &str, operation: &'static str, outcome: &'static str) {
        self.requests
            .get_or_create(&RequestLabels {
                upstream: upstream.to_owned(),
                operation,
                outcome,
            })
            .inc();
    }

    pub(crate) fn observe(&self, upstream: &str, operation: &'static str, seconds: f64) {
        self.duration
            .get_or_create(&DurationLabels {
                upstream: upstream.to_owned(),
                operation,
            })
            .observe(seconds);
    }

    pub(crate) fn breaker_state(&self, upstream: &str, state: BreakerState) {
        self.breaker
            .get_or_create(&BreakerLabels {
                upstream: upstream.to_owned(),
            })
            .set(state.gauge());
    }
}
