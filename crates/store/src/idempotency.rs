//! Idempotent creates, in two phases so that a concurrent duplicate is visible:
//!
//! 1. a `pending` record for (tenant, key) is inserted and committed on its own; whoever
//!    inserts it owns the key, everyone else reads it: a `done` record with the same
//!    fingerprint replays the first answer, another fingerprint is `IdempotencyMismatch`,
//!    a `pending` one is `Conflict` until it is older than [`PENDING_TIMEOUT`],
//!    when it counts as abandoned (its owner crashed) and is taken over;
//! 2. the customer is inserted and the record marked `done` with the answer, in one
//!    transaction. When the create fails the pending record is deleted again.
//!
//! The owner is recognised by the record's `created_at` (microseconds), its claim token.
//!
//! A key is remembered for `store.idempotency_retention_hours` (24 by default) from its
//! first use: an older record counts as absent and is claimed afresh, and at most once an
//! hour a claim first sweeps the expired records away.

use custgate_core::{Customer, Error, Idempotency, TenantId};

use crate::backend::parse_doc;
use crate::db::Conn;
use crate::error::{Result, StoreError};
use crate::schema;
use crate::SqlStore;

/// How long a pending record blocks its key: 60 s.
pub const PENDING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// [`PENDING_TIMEOUT`] in the records' unit.
const PENDING_TIMEOUT_MICROS: i64 = PENDING_TIMEOUT.as_secs() as i64 * 1_000_000;

/// How often a claim is retried when the record changes under it.
const ATTEMPTS: usize = 5;

/// How often expired records are swept: 1 h.
const SWEEP_EVERY_MICROS: i64 = 3_600_000_000;

/// How long keys are remembered, and when the expired ones are swept next.
#[derive(Debug)]
pub(crate) struct Retention {
    micros: i64,
    next_sweep: std::sync::atomic::AtomicI64,
}

impl Retention {
    /// Keys remembered for `retention` (saturating: any length, however large).
    pub(crate) fn of(retention: std::time::Duration) -> Retention {
        let micros = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
        Retention {
            micros,
            next_sweep: std::sync::atomic::AtomicI64::new(0),
        }
    }

    fn expired(&self, now: i64, created_at: i64) -> bool {
        now.saturating_sub(created_at) > self.micros
    }

    /// Whether this caller sweeps now (one caller per period).
    fn sweep_due(&self, now: i64) -> bool {
        use std::sync::atomic::Ordering;
        let next = self.next_sweep.load(Ordering::Relaxed);
        now >= next
            && self
                .next_sweep
                .compare_exchange(
                    next,
                    now + SWEEP_EVERY_MICROS,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention::of(custgate_core::memory::DEFAULT_KEY_RETENTION)
    }
}

enum Attempt {
    Done(KeyClaim),
    Retry,
}

fn in_flight() -> StoreError {
    Error::idempotency_in_flight().into()
}

/// A claim on an idempotency key: this store's own creates', or ([`SqlStore::claim_key`])
/// one that runs elsewhere.
#[derive(Debug)]
pub enum KeyClaim {
    /// The caller owns the key: it creates, then records the answer under this token
    /// ([`SqlStore::complete_key`]), or gives the key up ([`SqlStore::release_key`]) when
    /// nothing was created.
    Owned(i64),
    /// The key was used with the same request before: its first answer.
    Replay(Box<Customer>),
}

impl SqlStore {
    /// Phase 1 for a create that runs elsewhere (in gateway mode, upstream): the records
    /// and rules of this store's own idempotent creates, in `scope` rather than a tenant's
    /// (a scope no tenant id can spell keeps the two apart). A key used with another
    /// request is `IdempotencyMismatch`, one still pending `Conflict`.
    pub async fn claim_key(
        &self,
        scope: &str,
        idem: &Idempotency,
    ) -> custgate_core::Result<KeyClaim> {
        Ok(self.claim_in(scope, idem).await?)
    }

    /// Phase 2 for a create that ran elsewhere: records its answer under the claim.
    /// `Conflict` when the claim was taken over meanwhile (it was pending too long).
    pub async fn complete_key(
        &self,
        scope: &str,
        key: &str,
        token: i64,
        answer: &Customer,
    ) -> custgate_core::Result<()> {
        let json = serde_json::to_string(answer).map_err(StoreError::from)?;
        let mut tx = self.write_tx().await?;
        let res = complete(&mut tx.conn(), scope, key, token, &json).await;
        Ok(tx.finish(res).await?)
    }

    /// Gives a claim up when its create created nothing.
    pub async fn release_key(
        &self,
        scope: &str,
        key: &str,
        token: i64,
    ) -> custgate_core::Result<()> {
        Ok(self.release(scope, key, token).await?)
    }

    /// Phase 1: claims `idem.key` for this request, or answers from its record.
    pub(crate) async fn claim(&self, tenant: &TenantId, idem: &Idempotency) -> Result<KeyClaim> {
        self.claim_in(tenant.as_str(), idem).await
    }

    async fn claim_in(&self, tenant: &str, idem: &Idempotency) -> Result<KeyClaim> {
        let now = schema::micros(schema::now());
        if self.keys.sweep_due(now) {
            if let Err(e) = self.sweep_keys(now.saturating_sub(self.keys.micros)).await {
                tracing::warn!(error = %e, "Could not sweep expired idempotency keys");
            }
        }
        for _ in 0..ATTEMPTS {
            let mut tx = self.write_tx().await?;
            let res = claim_once(&mut tx.conn(), tenant, idem, &self.keys).await;
            match tx.finish(res).await? {
                Attempt::Done(claim) => return Ok(claim),
                Attempt::Retry => tokio::task::yield_now().await,
            }
        }
        Err(in_flight())
    }

    /// Deletes every record first used before `before` (microseconds).
    async fn sweep_keys(&self, before: i64) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let res = async {
            let mut conn = tx.conn();
            let mut sql = conn.sql();
            sql.push("DELETE FROM idempotency WHERE created_at < ")
                .bind_int(before);
            Ok::<u64, StoreError>(conn.execute(&sql).await?)
        }
        .await;
        let swept = tx.finish(res).await?;
        tracing::info!(swept, "Expired idempotency keys swept");
        Ok(swept)
    }

    /// Deletes the pending record of a failed create, when it is still this claim's.
    pub(crate) async fn release(&self, tenant: &str, key: &str, token: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let res = async {
            let mut conn = tx.conn();
            let mut sql = conn.sql();
            sql.push("DELETE FROM idempotency WHERE tenant = ")
                .bind_text(tenant)
                .push(" AND key = ")
                .bind_text(key)
                .push(" AND state = 'pending' AND created_at = ")
                .bind_int(token);
            conn.execute(&sql).await?;
            Ok(())
        }
        .await;
        tx.finish(res).await
    }
}

async fn claim_once(
    conn: &mut Conn<'_>,
    tenant: &str,
    idem: &Idempotency,
    retention: &Retention,
) -> Result<Attempt> {
    let now = schema::micros(schema::now());
    let key = idem.key.as_str();
    let mut sql = conn.sql();
    sql.push(
        "INSERT INTO idempotency (tenant, key, fingerprint, state, customer_json, created_at) VALUES (",
    )
    .bind_text(tenant)
    .push(", ")
    .bind_text(key)
    .push(", ")
    .bind_text(idem.fingerprint.clone())
    .push(", 'pending', NULL, ")
    .bind_int(now)
    .push(") ON CONFLICT (tenant, key) DO NOTHING");
    if conn.execute(&sql).await? == 1 {
        return Ok(Attempt::Done(KeyClaim::Owned(now)));
    }

    let mut sql = conn.sql();
    sql.push(
        "SELECT fingerprint, state, customer_json, created_at FROM idempotency WHERE tenant = ",
    )
    .bind_text(tenant)
    .push(" AND key = ")
    .bind_text(key);
    let row: Option<(String, String, Option<String>, i64)> = conn.fetch_optional(&sql).await?;
    let Some((fingerprint, state, answer, created_at)) = row else {
        // Released between our insert and our read.
        return Ok(Attempt::Retry);
    };
    if retention.expired(now, created_at) {
        // Forgotten: the key is a new request, whatever it was used with.
        let mut sql = conn.sql();
        sql.push("UPDATE idempotency SET fingerprint = ")
            .bind_text(idem.fingerprint.clone())
            .push(", state = 'pending', customer_json = NULL, created_at = ")
            .bind_int(now)
            .push(" WHERE tenant = ")
            .bind_text(tenant)
            .push(" AND key = ")
            .bind_text(key)
            .push(" AND created_at = ")
            .bind_int(created_at);
        return Ok(if conn.execute(&sql).await? == 1 {
            Attempt::Done(KeyClaim::Owned(now))
        } else {
            Attempt::Retry
        });
    }
    if fingerprint != idem.fingerprint {
        return Err(Error::idempotency_mismatch().into());
    }
    match (state.as_str(), answer) {
        ("done", Some(json)) => Ok(Attempt::Done(KeyClaim::Replay(Box::new(parse_doc(&json)?)))),
        ("pending", _) if now - created_at > PENDING_TIMEOUT_MICROS => {
            // Abandoned: take it over, unless someone else just did.
            let mut sql = conn.sql();
            sql.push("UPDATE idempotency SET created_at = ")
                .bind_int(now)
                .push(" WHERE tenant = ")
                .bind_text(tenant)
                .push(" AND key = ")
                .bind_text(key)
                .push(" AND state = 'pending' AND created_at = ")
                .bind_int(created_at);
            Ok(if conn.execute(&sql).await? == 1 {
                Attempt::Done(KeyClaim::Owned(now))
            } else {
                Attempt::Retry
            })
        }
        ("pending", _) => Err(in_flight()),
        (other, _) => Err(StoreError::Invalid(format!(
            "idempotency record in unknown state '{other}'"
        ))),
    }
}

/// Phase 2, inside the create's transaction: records the answer.
pub(crate) async fn complete(
    conn: &mut Conn<'_>,
    tenant: &str,
    key: &str,
    token: i64,
    answer: &str,
) -> Result<()> {
    let mut sql = conn.sql();
    sql.push("UPDATE idempotency SET state = 'done', customer_json = ")
        .bind_text(answer)
        .push(" WHERE tenant = ")
        .bind_text(tenant)
        .push(" AND key = ")
        .bind_text(key)
        .push(" AND state = 'pending' AND created_at = ")
        .bind_int(token);
    if conn.execute(&sql).await? == 1 {
        Ok(())
    } else {
        // Our claim was taken over after it timed out: the other request answers.
        Err(in_flight())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_hours_and_sweeps_once_a_period() {
        let r = Retention::of(std::time::Duration::from_secs(24 * 3600));
        let day = 24 * 3_600_000_000;
        assert!(!r.expired(day, 0));
        assert!(r.expired(day + 1, 0));
        // Any number of hours, however large, without overflowing.
        let forever = Retention::of(std::time::Duration::from_secs(u64::MAX));
        assert!(!forever.expired(i64::MAX, i64::MIN));
        assert_eq!(i64::MAX.saturating_sub(forever.micros), 0);
        // The first caller sweeps; the next one only a period later.
        assert!(r.sweep_due(5));
        assert!(!r.sweep_due(6));
        assert!(!r.sweep_due(5 + SWEEP_EVERY_MICROS - 1));
        assert!(r.sweep_due(5 + SWEEP_EVERY_MICROS));
    }
}
