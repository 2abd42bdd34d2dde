//! What a backend tells the front about one request beyond its answer: the fields an
//! upstream could not carry and how a query was planned.
//!
//! The front end opens a [`scope`] around each request; a backend deep inside the call
//! records into it with [`record_dropped`] and [`record_plan`] (no-ops outside a scope, so
//! backends and tests need no setup), and the front reads it back with [`dropped`] (the
//! facade puts it in its body) or receives it when the scope ends (the headers).

use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    static REPORT: RefCell<Report>;
}

/// What was recorded during one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Canonical paths the upstream could not carry, sorted and deduplicated.
    pub dropped: Vec<String>,
    /// How each query was split between the backend and the gateway, in call order.
    pub plans: Vec<String>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.dropped.is_empty() && self.plans.is_empty()
    }
}

/// Runs `fut` with an empty report and returns its output with what was recorded.
pub async fn scope<F: Future>(fut: F) -> (F::Output, Report) {
    REPORT
        .scope(RefCell::new(Report::default()), async move {
            let out = fut.await;
            let report = REPORT.with(|r| r.take());
            (out, report)
        })
        .await
}

/// Records fields an upstream could not carry.
pub fn record_dropped(fields: &[String]) {
    if fields.is_empty() {
        return;
    }
    let _ = REPORT.try_with(|r| {
        let mut r = r.borrow_mut();
        r.dropped.extend(fields.iter().cloned());
        r.dropped.sort();
        r.dropped.dedup();
    });
}

/// Records how a query was planned.
pub fn record_plan(plan: impl Into<String>) {
    let plan = plan.into();
    let _ = REPORT.try_with(|r| r.borrow_mut().plans.push(plan));
}

/// The fields recorded as dropped so far in this request.
pub fn dropped() -> Vec<String> {
    REPORT
        .try_with(|r| r.borrow().dropped.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_reach_the_scope_and_stay_in_it() {
        record_dropped(&["outside".into()]);
        let ((), report) = scope(async {
            record_dropped(&["name.middle".into(), "locale.gender".into()]);
            record_dropped(&["name.middle".into()]);
            record_plan("pushed: all; local: none");
            assert_eq!(dropped(), ["locale.gender", "name.middle"]);
        })
        .await;
        assert_eq!(report.dropped, ["locale.gender", "name.middle"]);
        assert_eq!(report.plans, ["pushed: all; local: none"]);
        assert!(dropped().is_empty());
        let ((), empty) = scope(async {}).await;
        assert!(empty.is_empty());
    }
}
