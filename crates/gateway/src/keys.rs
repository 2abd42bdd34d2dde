//! Idempotency keys of creates sent upstream. No upstream dialect takes an idempotency
//! key, so the gateway keeps them itself, in the embedded store, with the rules of the
//! store's own idempotent creates: the first request with a key claims it, creates
//! upstream and records its answer; a repeat with the same body gets that answer back
//! without a second create, one with another body `IdempotencyMismatch`, one while the
//! first is still running `Conflict`.
//!
//! When the create fails, what reached the upstream decides
//! ([`custgate_upstream::count_writes`]): when no call that may have written did (none
//! went out, none connected, each was refused with a 4xx), nothing was created and the
//! key is given up, so that a retry creates. Otherwise (a write answered before a later
//! step failed, a timeout, a connection lost mid-call, a 5xx) nobody knows, and the claim
//! stays pending: a retry is refused with `Conflict` rather than risk a second customer,
//! until the claim counts as abandoned (60 seconds, as for the store's own creates).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use custgate_core::memory::{KeyRetention, DEFAULT_KEY_RETENTION};
use custgate_core::{Customer, Error, Idempotency, Result};
use custgate_store::{KeyClaim, SqlStore, PENDING_TIMEOUT};

/// Where the gateway keeps idempotency keys: per scope (a tenant and its upstream).
#[async_trait]
pub trait KeyTable: Send + Sync + fmt::Debug {
    /// Claims the key for this request, or answers from the record of its first use.
    async fn claim(&self, scope: &str, idem: &Idempotency) -> Result<KeyClaim>;

    /// Records the answer of the create that owned the claim.
    async fn complete(&self, scope: &str, key: &str, token: i64, answer: &Customer) -> Result<()>;

    /// Gives the claim up: its create created nothing.
    async fn release(&self, scope: &str, key: &str, token: i64) -> Result<()>;
}

/// The store's `idempotency` table: keys survive restarts and hold across every gateway
/// instance on the same PostgreSQL database.
#[async_trait]
impl KeyTable for SqlStore {
    async fn claim(&self, scope: &str, idem: &Idempotency) -> Result<KeyClaim> {
        self.claim_key(scope, idem).await
    }

    async fn complete(&self, scope: &str, key: &str, token: i64, answer: &Customer) -> Result<()> {
        self.complete_key(scope, key, token, answer).await
    }

    async fn release(&self, scope: &str, key: &str, token: i64) -> Result<()> {
        self.release_key(scope, key, token).await
    }
}

/// Keys in memory, for the `memory://` store and tests: lost on restart, and remembered
/// for the retention from their first use (24 hours unless set), as in the store.
#[derive(Debug)]
pub struct MemoryKeys {
    inner: Mutex<MemoryInner>,
    retention: KeyRetention,
}

impl Default for MemoryKeys {
    fn default() -> Self {
        MemoryKeys::new(DEFAULT_KEY_RETENTION)
    }
}

impl MemoryKeys {
    pub fn new(retention: Duration) -> MemoryKeys {
        MemoryKeys {
            inner: Mutex::default(),
            retention: KeyRetention::new(retention),
        }
    }
}

#[derive(Debug, Default)]
struct MemoryInner {
    records: HashMap<(String, String), Record>,
    last_token: i64,
    /// When expired records were last forgotten.
    last_sweep: Option<Instant>,
}

#[derive(Debug)]
struct Record {
    fingerprint: String,
    state: State,
    /// The key's first use.
    since: Instant,
}

#[derive(Debug)]
enum State {
    Pending { token: i64, since: Instant },
    Done(Box<Customer>),
}

#[async_trait]
impl KeyTable for MemoryKeys {
    async fn claim(&self, scope: &str, idem: &Idempotency) -> Result<KeyClaim> {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let retention = self.retention;
        let m = &mut *m;
        if retention.sweep_due(&mut m.last_sweep) {
            m.records.retain(|_, r| retention.remembers(r.since));
        }
        m.last_token += 1;
        let token = m.last_token;
        let id = (scope.to_owned(), idem.key.as_str().to_owned());
        let pending = State::Pending {
            token,
            since: Instant::now(),
        };
        let record = match m.records.get_mut(&id) {
            Some(record) if retention.remembers(record.since) => record,
            _ => {
                // Never used, or used longer ago than keys are remembered.
                m.records.insert(
                    id,
                    Record {
                        fingerprint: idem.fingerprint.clone(),
                        state: pending,
                        since: Instant::now(),
                    },
                );
                return Ok(KeyClaim::Owned(token));
            }
        };
        if record.fingerprint != idem.fingerprint {
            return Err(Error::idempotency_mismatch());
        }
        match &record.state {
            State::Done(first) => Ok(KeyClaim::Replay(first.clone())),
            State::Pending { since, .. } if since.elapsed() > PENDING_TIMEOUT => {
                record.state = pending;
                Ok(KeyClaim::Owned(token))
            }
            State::Pending { .. } => Err(Error::idempotency_in_flight()),
        }
    }

    async fn complete(&self, scope: &str, key: &str, token: i64, answer: &Customer) -> Result<()> {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match m.records.get_mut(&(scope.to_owned(), key.to_owned())) {
            Some(r) if matches!(r.state, State::Pending { token: t, .. } if t == token) => {
                r.state = State::Done(Box::new(answer.clone()));
                Ok(())
            }
            _ => Err(Error::idempotency_in_flight()),
        }
    }

    async fn release(&self, scope: &str, key: &str, token: i64) -> Result<()> {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        if m.records
            .get(&id)
            .is_some_and(|r| matches!(r.state, State::Pending { token: t, .. } if t == token))
        {
            m.records.remove(&id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::{ErrorKind, IdempotencyKey};

    fn idem(key: &str, fingerprint: &str) -> Idempotency {
        Idempotency {
            key: IdempotencyKey::parse(key).unwrap(),
            fingerprint: fingerprint.into(),
        }
    }

    #[tokio::test]
    async fn memory_keys_follow_the_stores_rules() {
        let t = MemoryKeys::default();
        let KeyClaim::Owned(first) = t.claim("a@up", &idem("k1", "fp")).await.unwrap() else {
            panic!("the first claim owns the key")
        };
        // While pending: the same request waits its turn, another is a mismatch.
        let e = t.claim("a@up", &idem("k1", "fp")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let e = t.claim("a@up", &idem("k1", "other")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch);
        // Another scope, another key.
        assert!(matches!(
            t.claim("b@up", &idem("k1", "fp")).await.unwrap(),
            KeyClaim::Owned(_)
        ));

        let mut answer = Customer::new();
        answer.seq = Some(7);
        // Only the owner's token completes.
        assert!(t
            .complete("a@up", "k1", first + 100, &answer)
            .await
            .is_err());
        t.complete("a@up", "k1", first, &answer).await.unwrap();
        match t.claim("a@up", &idem("k1", "fp")).await.unwrap() {
            KeyClaim::Replay(c) => assert_eq!(*c, answer),
            KeyClaim::Owned(_) => panic!("a done key replays"),
        }
        // A done key is never released.
        t.release("a@up", "k1", first).await.unwrap();
        assert!(matches!(
            t.claim("a@up", &idem("k1", "fp")).await.unwrap(),
            KeyClaim::Replay(_)
        ));

        // A released claim can be claimed again.
        let KeyClaim::Owned(second) = t.claim("a@up", &idem("k2", "fp")).await.unwrap() else {
            panic!()
        };
        t.release("a@up", "k2", second).await.unwrap();
        assert!(matches!(
            t.claim("a@up", &idem("k2", "fp")).await.unwrap(),
            KeyClaim::Owned(_)
        ));
    }

    #[tokio::test]
    async fn memory_keys_are_forgotten_after_their_retention() {
        let t = MemoryKeys::new(Duration::from_millis(200));
        let KeyClaim::Owned(token) = t.claim("a@up", &idem("k", "fp")).await.unwrap() else {
            panic!("the first claim owns the key")
        };
        t.complete("a@up", "k", token, &Customer::new())
            .await
            .unwrap();
        let KeyClaim::Owned(other) = t.claim("a@up", &idem("o", "fp")).await.unwrap() else {
            panic!("another key is another claim")
        };
        t.release("a@up", "o", other).await.unwrap();
        let e = t.claim("a@up", &idem("k", "other")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch);

        // After the retention: a new request, and the expired records are forgotten.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(matches!(
            t.claim("a@up", &idem("k", "other")).await.unwrap(),
            KeyClaim::Owned(_)
        ));
        let m = t.inner.lock().unwrap();
        assert_eq!(m.records.len(), 1);
        assert_eq!(
            MemoryKeys::default().retention,
            KeyRetention::new(DEFAULT_KEY_RETENTION)
        );
    }
}
