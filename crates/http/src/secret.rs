//! Secrets in configuration and their checks: passwords (argon2 PHC strings) and shared
//! secrets such as bearer tokens and API keys (plain in development, `sha256:<hex>` in
//! real configurations). Nothing here ever prints a secret.

use std::collections::HashMap;
use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Hashes a password into an argon2id PHC string (what configuration stores).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

/// A password hash from configuration. Checked at load: a malformed hash is a config error.
#[derive(Clone)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    pub fn parse(phc: &str) -> Result<Self, String> {
        PasswordHash::new(phc).map_err(|e| format!("not a PHC password hash: {e}"))?;
        Ok(Self(phc.to_owned()))
    }

    /// Whether `password` matches, in time independent of where it differs.
    pub fn verify(&self, password: &str) -> bool {
        let Ok(hash) = PasswordHash::new(&self.0) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    }
}

impl fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

impl<'de> Deserialize<'de> for PasswordHashString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A shared secret (bearer token, API key) from configuration: `sha256:<64 hex>` or, for
/// development, the plain value. Only the digest is kept in memory.
#[derive(Clone)]
pub struct SharedSecret {
    digest: [u8; 32],
}

impl SharedSecret {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(hex_digest) = raw.strip_prefix("sha256:") {
            let bytes = hex::decode(hex_digest.trim())
                .map_err(|_| "sha256: must be followed by 64 hex digits".to_owned())?;
            let digest: [u8; 32] = bytes
                .try_into()
                .map_err(|_| "sha256: must be followed by 64 hex digits".to_owned())?;
            return Ok(Self { digest });
        }
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Self {
            digest: sha256(raw.as_bytes()),
        })
    }

    /// Whether `presented` is this secret, in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        sha256(presented.as_bytes()).ct_eq(&self.digest).into()
    }

    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

impl<'de> Deserialize<'de> for SharedSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The hex SHA-256 of a secret, for writing `sha256:<hex>` into configuration.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(sha256(secret.as_bytes()))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Maps presented secrets to what they grant (a tenant, a set of companies…).
///
/// Lookup hashes the presented value and finds its SHA-256 digest in the map: timing can
/// only tell an attacker how a digest of their own input compares with stored digests,
/// which says nothing about a secret (SHA-256 is preimage resistant).
pub struct SecretTable<T> {
    entries: HashMap<[u8; 32], T>,
}

impl<T> Default for SecretTable<T> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<T> fmt::Debug for SecretTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretTable({} entries)", self.entries.len())
    }
}

impl<T> SecretTable<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret; `Err` with the value already there when the secret is used twice.
    pub fn insert(&mut self, secret: &SharedSecret, value: T) -> Result<(), &T> {
        use std::collections::hash_map::Entry;
        match self.entries.entry(secret.digest) {
            Entry::Occupied(o) => Err(o.into_mut()),
            Entry::Vacant(v) => {
                v.insert(value);
                Ok(())
            }
        }
    }

    pub fn lookup(&self, presented: &str) -> Option<&T> {
        if presented.is_empty() {
            return None;
        }
        self.entries.get(&sha256(presented.as_bytes()))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &actix_web::HttpRequest) -> Option<&str> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash() {
        let h = PasswordHashString::parse(&hash_password("demo")).unwrap();
        assert!(h.verify("demo"));
        assert!(!h.verify("Demo"));
        assert!(PasswordHashString::parse("demo").is_err());
        assert_eq!(format!("{h:?}"), "PasswordHash(..)");
    }

    #[test]
    fn shared_secrets_accept_plain_and_hashed_forms() {
        let plain = SharedSecret::parse("DEVKEY0001").unwrap();
        let hashed = SharedSecret::parse(&format!("sha256:{}", sha256_hex("DEVKEY0001"))).unwrap();
        assert!(plain.matches("DEVKEY0001"));
        assert!(hashed.matches("DEVKEY0001"));
        assert!(!hashed.matches("DEVKEY0002"));
        assert!(SharedSecret::parse("sha256:abc").is_err());
        assert!(SharedSecret::parse("").is_err());
        assert!(!format!("{plain:?}").contains("DEVKEY"));
    }

    #[test]
    fn secret_tables_find_and_refuse_duplicates() {
        let mut t = SecretTable::new();
        let a = SharedSecret::parse("a-token").unwrap();
        t.insert(&a, "demo").unwrap();
        assert_eq!(t.insert(&a, "acme"), Err(&"demo"));
        assert_eq!(t.lookup("a-token"), Some(&"demo"));
        assert_eq!(t.lookup("b-token"), None);
        assert_eq!(t.lookup(""), None);
    }
}
