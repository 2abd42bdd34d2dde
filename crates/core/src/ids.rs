//! Newtypes whose constructors check their preconditions, so that a value of the type is
//! always valid once it exists.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Error;

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks `raw` and wraps it.
            pub fn parse(raw: &str) -> Result<Self, Error> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(raw).map_err(|why| {
                    Error::validation_field(stringify!($name), why)
                })?;
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn check_tenant(raw: &str) -> Result<(), String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err("must be 1 to 64 characters of a-z, 0-9, '-' or '_'".into())
    }
}

fn check_customer_id(raw: &str) -> Result<(), String> {
    if raw.is_empty() || raw.len() > 128 {
        return Err("must be 1 to 128 bytes long".into());
    }
    if raw.chars().any(|c| c.is_control() || c == '/') {
        return Err("must not contain control characters or '/'".into());
    }
    Ok(())
}

fn check_idempotency_key(raw: &str) -> Result<(), String> {
    if raw.is_empty() || raw.len() > 255 {
        return Err("must be 1 to 255 bytes long".into());
    }
    if !raw.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err("must be printable ASCII without spaces".into());
    }
    Ok(())
}

string_newtype!(
    /// A tenant: one customer base, isolated from every other.
    TenantId,
    check_tenant
);

string_newtype!(
    /// The gateway's own identifier of a customer: a string, unique within a tenant.
    /// Assigned by the store (a UUID v7) unless a dialect brings its own (NData's `id`).
    CustomerId,
    check_customer_id
);

string_newtype!(
    /// The client's `Idempotency-Key`.
    IdempotencyKey,
    check_idempotency_key
);

impl CustomerId {
    /// A new time-ordered identifier: a UUID v7 whose 12 `rand_a` bits count up within a
    /// millisecond (RFC 9562, method 1), so that ids made one after the other in this
    /// process sort in the order they were made. The random bits come from the thread's
    /// generator, not from a system call per id (every record read from an upstream
    /// starts as a new one).
    pub fn generate() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        /// The last id's milliseconds (high 52 bits) and counter (low 12 bits).
        static LAST: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| {
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX >> 12)
            });
        let random: [u8; 10] = rand::random();
        // A new millisecond starts its counter at a random value below half its range,
        // leaving room to count up.
        let fresh = (now << 12) | u64::from(u16::from_be_bytes([random[0], random[1]]) & 0x7ff);
        let mut last = LAST.load(Ordering::Relaxed);
        let stamp = loop {
            // Within the same (or an earlier, if the clock stepped back) millisecond, count
            // up; a full counter moves into the next millisecond.
            let next = fresh.max(last + 1);
            match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break next,
                Err(seen) => last = seen,
            }
        };
        let mut bytes = random;
        bytes[..2].copy_from_slice(&((stamp & 0xfff) as u16).to_be_bytes());
        let id = uuid::Builder::from_unix_timestamp_millis(stamp >> 12, &bytes).into_uuid();
        Self(id.to_string())
    }
}

/// The optimistic-concurrency version of a record: 1 on create, +1 on every change.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
#[serde(transparent)]
pub struct Version(u64);

impl Version {
    pub const FIRST: Version = Version(1);

    pub fn new(v: u64) -> Result<Self, Error> {
        if v == 0 {
            return Err(Error::validation_field("version", "must be at least 1"));
        }
        Ok(Self(v))
    }

    pub fn parse(raw: &str) -> Result<Self, Error> {
        let v = raw
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::validation_field("version", "must be a positive integer"))?;
        Self::new(v)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    #[must_use]
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl Default for Version {
    fn default() -> Self {
        Self::FIRST
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_checked() {
        assert!(TenantId::parse("demo").is_ok());
        assert!(TenantId::parse("acme-2_x").is_ok());
        for bad in ["", "Demo", "a b", "x/y", &"a".repeat(65)] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn customer_ids_are_checked() {
        assert!(CustomerId::parse("customer-id").is_ok());
        assert!(CustomerId::parse("").is_err());
        assert!(CustomerId::parse("a/b").is_err());
        assert!(CustomerId::parse("a\nb").is_err());
        let g = CustomerId::generate();
        assert_eq!(g.as_str().len(), 36);
    }

    #[test]
    fn generated_ids_are_v7_and_sort_in_the_order_they_were_made() {
        let ids: Vec<CustomerId> = (0..10_000).map(|_| CustomerId::generate()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        let uuid = uuid::Uuid::parse_str(ids[0].as_str()).unwrap();
        assert_eq!(uuid.get_version_num(), 7);
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        let (secs, _) = uuid.get_timestamp().unwrap().to_unix();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(now.abs_diff(secs) < 60, "{secs} vs {now}");
    }

    #[test]
    fn versions_start_at_one() {
        assert!(Version::new(0).is_err());
        assert_eq!(Version::parse(" 3 ").unwrap().next().get(), 4);
        assert!(Version::parse("x").is_err());
        assert!(serde_json::from_str::<TenantId>("\"BAD\"").is_err());
    }
}
