//! Users and sessions of the server side: `POST /api/auth` checks a configured user's
//! password and issues an opaque `tokenId` and `refreshToken` (32 random bytes,
//! base64url), kept in memory with their expiry. Only SHA-256 digests of the tokens are
//! stored, so the map's lookup timing tells an attacker nothing and a memory dump holds
//! no usable token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use custgate_core::TenantId;
use custgate_http::PasswordHashString;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Rights;

/// A configured user.
#[derive(Debug)]
pub(crate) struct User {
    pub tenant: TenantId,
    pub user_name: String,
    pub hash: PasswordHashString,
    pub rights: Rights,
}

/// What a token stands for.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub user: Arc<User>,
    pub device_name: Option<String>,
    pub expires: DateTime<Utc>,
}

/// A freshly issued pair of tokens.
pub(crate) struct Issued {
    pub token_id: String,
    pub refresh_token: String,
    pub expires: DateTime<Utc>,
    pub refresh_expires: DateTime<Utc>,
}

#[derive(Default)]
struct Maps {
    access: HashMap<[u8; 32], Session>,
    refresh: HashMap<[u8; 32], Session>,
}

/// Live tokens, in memory (a restart logs everyone out).
pub(crate) struct Sessions {
    token_ttl: Duration,
    refresh_ttl: Duration,
    maps: Mutex<Maps>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions {
    pub fn new(token_ttl: Duration, refresh_ttl: Duration) -> Self {
        Self {
            token_ttl,
            refresh_ttl,
            maps: Mutex::new(Maps::default()),
        }
    }

    fn maps(&self) -> std::sync::MutexGuard<'_, Maps> {
        // The maps stay consistent whatever panicked while holding the lock.
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a token and a refresh token for `user`, dropping expired ones.
    pub fn issue(
        &self,
        user: Arc<User>,
        device_name: Option<String>,
        now: DateTime<Utc>,
    ) -> Issued {
        let issued = Issued {
            token_id: new_token(),
            refresh_token: new_token(),
            expires: now + self.token_ttl,
            refresh_expires: now + self.refresh_ttl,
        };
        let mut maps = self.maps();
        maps.access.retain(|_, s| s.expires > now);
        maps.refresh.retain(|_, s| s.expires > now);
        maps.access.insert(
            digest(&issued.token_id),
            Session {
                user: user.clone(),
                device_name: device_name.clone(),
                expires: issued.expires,
            },
        );
        maps.refresh.insert(
            digest(&issued.refresh_token),
            Session {
                user,
                device_name,
                expires: issued.refresh_expires,
            },
        );
        issued
    }

    /// The session of a live `tokenId`.
    pub fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Option<Session> {
        self.maps()
            .access
            .get(&digest(token))
            .filter(|s| s.expires > now)
            .cloned()
    }

    /// Uses up a live refresh token (each works once) and returns its session.
    pub fn redeem(&self, refresh_token: &str, now: DateTime<Utc>) -> Option<Session> {
        self.maps()
            .refresh
            .remove(&digest(refresh_token))
            .filter(|s| s.expires > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Arc<User> {
        Arc::new(User {
            tenant: TenantId::parse("demo").unwrap(),
            user_name: "demo".into(),
            hash: PasswordHashString::parse(&custgate_http::hash_password("x")).unwrap(),
            rights: Rights::default(),
        })
    }

    #[test]
    fn tokens_expire_and_refresh_tokens_work_once() {
        let s = Sessions::new(Duration::seconds(10), Duration::seconds(100));
        let now = Utc::now();
        let i = s.issue(user(), Some("pos-1".into()), now);
        assert_eq!(i.token_id.len(), 43);
        assert_ne!(i.token_id, i.refresh_token);
        let got = s.authenticate(&i.token_id, now).unwrap();
        assert_eq!(got.user.user_name, "demo");
        assert_eq!(got.device_name.as_deref(), Some("pos-1"));
        assert!(s.authenticate(&i.refresh_token, now).is_none());
        assert!(s
            .authenticate(&i.token_id, now + Duration::seconds(10))
            .is_none());
        assert!(s.redeem(&i.token_id, now).is_none());
        assert!(s
            .redeem(&i.refresh_token, now + Duration::seconds(50))
            .is_some());
        assert!(s.redeem(&i.refresh_token, now).is_none());
        let late = s.issue(user(), None, now);
        assert!(s
            .redeem(&late.refresh_token, now + Duration::seconds(100))
            .is_none());
    }

    #[test]
    fn expired_sessions_are_swept_on_issue() {
        let s = Sessions::new(Duration::seconds(1), Duration::seconds(1));
        let now = Utc::now();
        for _ in 0..5 {
            s.issue(user(), None, now);
        }
        s.issue(user(), None, now + Duration::seconds(5));
        assert_eq!(s.maps().access.len(), 1);
        assert_eq!(s.maps().refresh.len(), 1);
    }
}
