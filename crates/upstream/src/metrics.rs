//! Prometheus metrics of the upstream calls, shared by every [`crate::Upstream`] they are
//! attached to and registered once into the application's registry.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    upstream: Arc<String>,
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    upstream: Arc<String>,
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BreakerLabels {
    upstream: Arc<String>,
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

    // The upstream label is shared, not copied: these run several times per call.

    pub(crate) fn count(
        &self,
        upstream: &Arc<String>,
        operation: &'static str,
        outcome: &'static str,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                upstream: Arc::clone(upstream),
                operation,
                outcome,
            })
            .inc();
    }

    pub(crate) fn observe(&self, upstream: &Arc<String>, operation: &'static str, seconds: f64) {
        self.duration
            .get_or_create(&DurationLabels {
                upstream: Arc::clone(upstream),
                operation,
            })
            .observe(seconds);
    }

    /// The gauge of `upstream`'s breaker state (0 closed, 1 half-open, 2 open): a handle
    /// to keep and set, without a lookup per call.
    pub(crate) fn breaker_gauge(&self, upstream: &Arc<String>) -> Gauge {
        self.breaker
            .get_or_create(&BreakerLabels {
                upstream: Arc::clone(upstream),
            })
            .clone()
    }
}
