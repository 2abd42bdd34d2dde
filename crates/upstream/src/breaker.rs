//! The circuit breaker of one upstream.
//!
//! Closed, it counts consecutive failed attempts; at the threshold it opens. Open, it
//! refuses every call until its time is up; then it is half-open and lets exactly one
//! trial call through: a success closes it, a failure opens it again. Outcomes of calls
//! admitted before the last change (a slow call finishing after the circuit opened)
//! change nothing, so a stale success cannot close an open circuit.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// What the breaker does with the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail at once.
    Open,
    /// The next call is a trial; others fail at once while it is in flight.
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// The value of the state gauge: 0 closed, 1 half-open, 2 open.
    pub(crate) fn gauge(self) -> i64 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::HalfOpen => 1,
            BreakerState::Open => 2,
        }
    }
}

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
        until_utc: DateTime<Utc>,
    },
    HalfOpen {
        trial_in_flight: bool,
    },
}

/// Why a call was not let through.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Open until then; `remaining` is how long from now.
    Open {
        until: DateTime<Utc>,
        remaining: Duration,
    },
    /// Half-open with the trial call still in flight.
    TrialInFlight,
}

/// A state change worth logging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    Opened,
    Closed,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    open_for: Duration,
    state: Mutex<State>,
}

/// A call let through. Report its outcome with [`Breaker::record`]; dropped without an
/// outcome (the call was cancelled or never sent), a trial frees the half-open slot.
pub(crate) struct Pass<'a> {
    breaker: &'a Breaker,
    trial: bool,
    reported: bool,
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if self.trial && !self.reported {
            let mut state = self.breaker.lock();
            if let State::HalfOpen { trial_in_flight } = &mut *state {
                *trial_in_flight = false;
            }
        }
    }
}

impl Breaker {
    pub(crate) fn new(threshold: u32, open_for: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            open_for,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few integers and always consistent: a panic elsewhere while the
        // lock was held cannot leave it half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn state(&self) -> BreakerState {
        match &*self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until, .. } if Instant::now() < *until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Lets a call through, or says why not.
    pub(crate) fn admit(&self) -> Result<Pass<'_>, Refusal> {
        let mut state = self.lock();
        let trial = match &mut *state {
            State::Closed { .. } => false,
            State::Open { until, until_utc } => {
                let now = Instant::now();
                if now < *until {
                    return Err(Refusal::Open {
                        until: *until_utc,
                        remaining: *until - now,
                    });
                }
                *state = State::HalfOpen {
                    trial_in_flight: true,
                };
                true
            }
            State::HalfOpen { trial_in_flight } => {
                if *trial_in_flight {
                    return Err(Refusal::TrialInFlight);
                }
                *trial_in_flight = true;
                true
            }
        };
        Ok(Pass {
            breaker: self,
            trial,
            reported: false,
        })
    }

    /// Records the outcome of a call let through by `pass`.
    pub(crate) fn record(&self, mut pass: Pass<'_>, success: bool) -> Option<Transition> {
        pass.reported = true;
        let mut state = self.lock();
        match (&mut *state, success) {
            (State::Closed { failures }, true) => {
                *failures = 0;
                None
            }
            (State::Closed { failures }, false) => {
                *failures += 1;
                if *failures >= self.threshold {
                    *state = self.open();
                    Some(Transition::Opened)
                } else {
                    None
                }
            }
            (State::HalfOpen { .. }, true) if pass.trial => {
                *state = State::Closed { failures: 0 };
                Some(Transition::Closed)
            }
            (State::HalfOpen { .. }, false) if pass.trial => {
                *state = self.open();
                Some(Transition::Opened)
            }
            // An outcome of a call admitted before the circuit opened.
            (State::HalfOpen { .. } | State::Open { .. }, _) => None,
        }
    }

    fn open(&self) -> State {
        State::Open {
            until: Instant::now() + self.open_for,
            until_utc: Utc::now()
                + chrono::Duration::from_std(self.open_for).unwrap_or(chrono::Duration::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(b: &Breaker) -> Option<Transition> {
        let pass = b.admit().unwrap();
        b.record(pass, false)
    }

    #[test]
    fn consecutive_failures_open_it_and_a_success_resets_the_count() {
        let b = Breaker::new(3, Duration::from_secs(60));
        assert_eq!(fail(&b), None);
        assert_eq!(fail(&b), None);
        let pass = b.admit().unwrap();
        assert_eq!(b.record(pass, true), None);
        assert_eq!(fail(&b), None);
        assert_eq!(fail(&b), None);
        assert_eq!(fail(&b), Some(Transition::Opened));
        assert_eq!(b.state(), BreakerState::Open);
        assert!(matches!(b.admit(), Err(Refusal::Open { .. })));
    }

    #[test]
    fn half_open_lets_one_trial_through_and_its_outcome_decides() {
        let b = Breaker::new(1, Duration::ZERO);
        assert_eq!(fail(&b), Some(Transition::Opened));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let trial = b.admit().unwrap();
        assert!(matches!(b.admit(), Err(Refusal::TrialInFlight)));
        assert_eq!(b.record(trial, false), Some(Transition::Opened));
        let trial = b.admit().unwrap();
        assert_eq!(b.record(trial, true), Some(Transition::Closed));
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_cancelled_trial_frees_the_slot() {
        let b = Breaker::new(1, Duration::ZERO);
        fail(&b);
        drop(b.admit().unwrap());
        assert!(b.admit().is_ok());
    }

    #[test]
    fn a_stale_success_does_not_close_an_open_circuit() {
        let b = Breaker::new(1, Duration::from_secs(60));
        let early = b.admit().unwrap();
        assert_eq!(fail(&b), Some(Transition::Opened));
        assert_eq!(b.record(early, true), None);
        assert_eq!(b.state(), BreakerState::Open);
    }
}
