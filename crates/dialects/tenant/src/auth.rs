//! License tokens: JWTs with a `TenantId` claim, signed and checked with the one
//! configured algorithm and key.
//!
//! Verification pins the algorithm (a token whose header names another algorithm —
//! `none`, or HS256 signed with an RSA public key — is refused), requires `exp` (checked
//! with the configured leeway), checks `nbf` when present, refuses an `aud` we were not
//! told about, and requires a `TenantId` claim (a string, or an integer written as one).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use custgate_core::{Error, ErrorKind, TenantId};
use custgate_http::{parse_section, ConfigError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{GlobalConfig, JwtAlgorithm};

/// The configuration path of the global section, for messages.
pub const SECTION: &str = "dialects.tenant";

const MAX_LEEWAY_SECS: u64 = 300;

/// How many verified tokens are remembered; when full, the memory starts again.
const VERIFIED_CAPACITY: usize = 4096;

/// The claims of a token this gateway issues.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "TenantId")]
    pub tenant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// What verification reads: the `TenantId` claim in any JSON form, and the times that
/// decide how long the token stays valid.
#[derive(Deserialize)]
struct PresentedClaims {
    #[serde(rename = "TenantId", default)]
    tenant_id: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    nbf: Option<Value>,
}

/// A token that verified: whom it grants, and the times to check again on each use.
struct Verified {
    tenant: TenantId,
    exp: u64,
    nbf: Option<u64>,
}

impl Verified {
    /// Whether the token is still valid at `now`, by the rules `jsonwebtoken` applied
    /// when it verified (`exp` with the leeway; `nbf`, when it was a whole number, too).
    fn valid_at(&self, now: u64, leeway: u64) -> bool {
        self.exp >= now.saturating_sub(leeway)
            && self.nbf.is_none_or(|nbf| nbf <= now.saturating_add(leeway))
    }
}

/// Signs and checks license tokens.
pub struct Tokens {
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    ttl_secs: u64,
    /// Tokens whose signature and claims were checked, by the whole token: a client sends
    /// the same one with every request, and checking it again costs more than the rest of
    /// authenticating the request. Only the times are checked again. Never printed.
    verified: Mutex<HashMap<String, Verified>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("algorithm", &self.algorithm)
            .field("can_issue", &self.encoding.is_some())
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn field(name: &str) -> String {
    format!("{SECTION}.{name}")
}

impl Tokens {
    /// Builds the keys from the global section, checking every setting.
    pub fn from_config(cfg: &GlobalConfig) -> Result<Self, ConfigError> {
        if cfg.token_ttl_secs == 0 {
            return Err(ConfigError::new(
                field("token_ttl_secs"),
                "must be at least 1",
            ));
        }
        if cfg.leeway_secs > MAX_LEEWAY_SECS {
            return Err(ConfigError::new(
                field("leeway_secs"),
                format!("must be at most {MAX_LEEWAY_SECS}"),
            ));
        }
        let (algorithm, decoding, encoding) = match cfg.jwt_algorithm {
            JwtAlgorithm::HS256 => {
                for (name, set) in [
                    ("public_key_pem", cfg.public_key_pem.is_some()),
                    ("private_key_pem", cfg.private_key_pem.is_some()),
                ] {
                    if set {
                        return Err(ConfigError::new(field(name), "is only for RS256 and ES256"));
                    }
                }
                let secret = cfg
                    .jwt_secret
                    .as_ref()
                    .map(|s| s.expose_secret().as_bytes())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        ConfigError::new(field("jwt_secret"), "is required for HS256")
                    })?;
                if secret.len() < 32 {
                    tracing::warn!(
                        setting = %field("jwt_secret"),
                        "The HS256 secret is shorter than 32 bytes; use a longer one outside development"
                    );
                }
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret),
                    Some(EncodingKey::from_secret(secret)),
                )
            }
            alg @ (JwtAlgorithm::RS256 | JwtAlgorithm::ES256) => {
                if cfg.jwt_secret.is_some() {
                    return Err(ConfigError::new(field("jwt_secret"), "is only for HS256"));
                }
                let public = cfg.public_key_pem.as_deref().ok_or_else(|| {
                    ConfigError::new(field("public_key_pem"), format!("is required for {alg:?}"))
                })?;
                let rsa = alg == JwtAlgorithm::RS256;
                let decoding = if rsa {
                    DecodingKey::from_rsa_pem(public.as_bytes())
                } else {
                    DecodingKey::from_ec_pem(public.as_bytes())
                }
                .map_err(|e| {
                    ConfigError::new(
                        field("public_key_pem"),
                        format!("not a {alg:?} public key: {e}"),
                    )
                })?;
                let encoding = match &cfg.private_key_pem {
                    None => None,
                    Some(pem) => {
                        let pem = pem.expose_secret().as_bytes();
                        let key = if rsa {
                            EncodingKey::from_rsa_pem(pem)
                        } else {
                            EncodingKey::from_ec_pem(pem)
                        };
                        // The key's own error text is not repeated: it could quote the key.
                        Some(key.map_err(|_| {
                            ConfigError::new(
                                field("private_key_pem"),
                                format!("not a {alg:?} private key in PEM form (PKCS#8 for ES256)"),
                            )
                        })?)
                    }
                };
                let algorithm = if rsa {
                    Algorithm::RS256
                } else {
                    Algorithm::ES256
                };
                (algorithm, decoding, encoding)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = cfg.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        let tokens = Tokens {
            algorithm,
            decoding,
            encoding,
            validation,
            ttl_secs: cfg.token_ttl_secs,
            verified: Mutex::new(HashMap::new()),
        };
        if tokens.encoding.is_some() {
            // A signing key that does not match the verification key would issue tokens
            // the gateway itself refuses.
            let probe = TenantId::parse("probe").expect("static tenant id is valid");
            let token = tokens
                .issue(&probe, None, None)
                .map_err(|e| ConfigError::new(field("private_key_pem"), e.to_string()))?;
            tokens.verify(&token).map_err(|_| {
                ConfigError::new(
                    field("private_key_pem"),
                    "does not match public_key_pem: tokens signed with it do not verify",
                )
            })?;
        }
        Ok(tokens)
    }

    /// Whether tokens can be issued (HS256, or a private key configured).
    pub fn can_issue(&self) -> bool {
        self.encoding.is_some()
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// A token for `tenant`, valid from now for the configured lifetime.
    pub fn issue(
        &self,
        tenant: &TenantId,
        subject: Option<&str>,
        email: Option<&str>,
    ) -> Result<String, Error> {
        let key = self.encoding.as_ref().ok_or_else(|| {
            Error::unsupported("issuing tokens needs dialects.tenant.private_key_pem")
        })?;
        let now = now();
        let claims = Claims {
            tenant_id: tenant.as_str().to_owned(),
            sub: subject.map(str::to_owned),
            email: email.map(str::to_owned),
            iat: now,
            nbf: now,
            exp: now.saturating_add(self.ttl_secs),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, key)
            .map_err(|e| Error::unexpected(format!("cannot sign a token: {e}")))
    }

    /// The tenant a token grants, or `Unauthenticated` saying why not (the reason never
    /// quotes the token).
    pub fn verify(&self, token: &str) -> Result<TenantId, Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = verified.get(token) {
            if v.valid_at(now, self.validation.leeway) {
                return Ok(v.tenant.clone());
            }
            // Expired (or, after a clock step, not valid yet): the full check says why.
            verified.remove(token);
        }
        drop(verified);
        let v = self.verify_uncached(token)?;
        let tenant = v.tenant.clone();
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.to_owned(), v);
        Ok(tenant)
    }

    /// [`Tokens::verify`] without the memory of verified tokens.
    fn verify_uncached(&self, token: &str) -> Result<Verified, Error> {
        let data = jsonwebtoken::decode::<PresentedClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                let why = match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::ImmatureSignature => "the token is not valid yet",
                    K::InvalidAlgorithm | K::InvalidAlgorithmName => {
                        "the token is not signed with the configured algorithm"
                    }
                    K::InvalidSignature => "the token's signature is not valid",
                    K::MissingRequiredClaim(_) => "the token has no valid exp claim",
                    K::InvalidAudience => "the token is meant for another audience",
                    _ => "the token is malformed",
                };
                unauthenticated(why)
            })?;
        let claims = data.claims;
        let raw = match claims.tenant_id {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            _ => return Err(unauthenticated("the token has no TenantId claim")),
        };
        let tenant = TenantId::parse(&raw)
            .map_err(|_| unauthenticated("the token's TenantId is not a tenant"))?;
        // `exp` verified as a whole number (it is required); an `nbf` that is not one was
        // not checked, and is not checked later either.
        let exp = claims
            .exp
            .as_ref()
            .and_then(Value::as_u64)
            .ok_or_else(|| unauthenticated("the token has no valid exp claim"))?;
        Ok(Verified {
            tenant,
            exp,
            nbf: claims.nbf.as_ref().and_then(Value::as_u64),
        })
    }
}

/// An `Unauthenticated` error with a reason.
pub fn unauthenticated(why: &str) -> Error {
    Error::new(ErrorKind::Unauthenticated, why)
}

/// A development token for `tenant`, signed with the key of the global section
/// `[dialects.tenant]` (as `custgate token tenant --tenant ID` prints it). The caller
/// checks that the tenant is configured with a `[tenants.<id>.tenant]` section; tokens
/// for other tenants are refused by the server.
pub fn issue_dev_token(global_section: &Value, tenant: &str) -> Result<String, ConfigError> {
    let cfg: GlobalConfig = parse_section(global_section, SECTION)?;
    let tokens = Tokens::from_config(&cfg)?;
    let tenant = TenantId::parse(tenant)
        .map_err(|e| ConfigError::new("--tenant", e.message().to_owned()))?;
    if !tokens.can_issue() {
        return Err(ConfigError::new(
            field("private_key_pem"),
            format!("is required to issue {:?} tokens", cfg.jwt_algorithm),
        ));
    }
    tokens
        .issue(&tenant, Some("dev"), None)
        .map_err(|e| ConfigError::new(SECTION, e.message().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hs() -> Tokens {
        let cfg: GlobalConfig = parse_section(
            &json!({"jwt_algorithm": "HS256", "jwt_secret": "dev-tenant-jwt-secret", "leeway_secs": 0}),
            SECTION,
        )
        .unwrap();
        Tokens::from_config(&cfg).unwrap()
    }

    #[test]
    fn issued_tokens_verify_and_name_their_tenant() {
        let t = hs();
        let demo = TenantId::parse("demo").unwrap();
        let token = t
            .issue(&demo, Some("demo"), Some("demo@example.com"))
            .unwrap();
        assert_eq!(t.verify(&token).unwrap(), demo);
        assert!(!format!("{t:?}").contains("dev-tenant"));
    }

    #[test]
    fn claims_are_checked() {
        let t = hs();
        let sign = |claims: serde_json::Value| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(b"dev-tenant-jwt-secret"),
            )
            .unwrap()
        };
        let exp = now() + 600;
        let numeric = sign(json!({"TenantId": 42, "exp": exp}));
        assert_eq!(t.verify(&numeric).unwrap().as_str(), "42");
        for (claims, why) in [
            (
                json!({"TenantId": "demo", "exp": exp, "aud": "other"}),
                "audience",
            ),
            (json!({"TenantId": "Demo", "exp": exp}), "not a tenant"),
            (json!({"TenantId": -1, "exp": exp}), "no TenantId"),
            (json!({"TenantId": ["demo"], "exp": exp}), "no TenantId"),
            (json!({"TenantId": "demo", "exp": "later"}), "exp"),
            (json!({"TenantId": "demo", "exp": now() - 1}), "expired"),
        ] {
            let e = t.verify(&sign(claims.clone())).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unauthenticated);
            assert!(e.message().contains(why), "{claims}: {e}");
        }
    }

    #[test]
    fn verified_tokens_are_remembered_but_their_times_are_checked_again() {
        let t = hs();
        let demo = TenantId::parse("demo").unwrap();
        let token = t.issue(&demo, None, None).unwrap();
        let remembered = || t.verified.lock().unwrap().len();
        let before = remembered();
        assert_eq!(t.verify(&token).unwrap(), demo);
        assert_eq!(t.verify(&token).unwrap(), demo);
        assert_eq!(remembered(), before + 1);
        // A tampered token is never remembered, whatever was remembered before.
        let tampered = format!("{}x", &token);
        assert!(t.verify(&tampered).is_err());
        assert_eq!(remembered(), before + 1);
        // A token remembered while it was valid that has expired since: refused, and the
        // full check says why.
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({"TenantId": "demo", "exp": now() - 10}),
            &EncodingKey::from_secret(b"dev-tenant-jwt-secret"),
        )
        .unwrap();
        let entry = Verified {
            tenant: demo.clone(),
            exp: now() - 10,
            nbf: None,
        };
        t.verified.lock().unwrap().insert(expired.clone(), entry);
        let e = t.verify(&expired).unwrap_err();
        assert!(e.message().contains("expired"), "{e}");
        assert!(!t.verified.lock().unwrap().contains_key(&expired));
    }

    #[test]
    fn remembered_times_follow_the_validation_rules() {
        let v = |exp, nbf| Verified {
            tenant: TenantId::parse("demo").unwrap(),
            exp,
            nbf,
        };
        assert!(v(100, None).valid_at(100, 0));
        assert!(!v(99, None).valid_at(100, 0));
        assert!(v(95, None).valid_at(100, 5));
        assert!(!v(94, None).valid_at(100, 5));
        assert!(v(200, Some(100)).valid_at(100, 0));
        assert!(!v(200, Some(101)).valid_at(100, 0));
        assert!(v(200, Some(105)).valid_at(100, 5));
        assert!(v(u64::MAX, None).valid_at(0, 300));
    }

    #[test]
    fn dev_tokens_come_from_the_global_section() {
        let global = json!({"jwt_algorithm": "HS256", "jwt_secret": "dev-tenant-jwt-secret",
            "token_ttl_secs": 3600, "leeway_secs": 30, "max_page_size": 100});
        let token = issue_dev_token(&global, "acme").unwrap();
        assert_eq!(hs().verify(&token).unwrap().as_str(), "acme");
        assert!(issue_dev_token(&global, "Not A Tenant").is_err());
        let e = issue_dev_token(&json!({"jwt_algorithm": "HS256"}), "demo").unwrap_err();
        assert_eq!(e.path, "dialects.tenant.jwt_secret");
    }

    #[test]
    fn bad_settings_are_named() {
        for (section, path) in [
            (
                json!({"jwt_algorithm": "HS512", "jwt_secret": "x"}),
                "dialects.tenant",
            ),
            (json!({"jwt_secret": "x", "typo": 1}), "dialects.tenant"),
            (
                json!({"jwt_secret": "x", "leeway_secs": 3600}),
                "dialects.tenant.leeway_secs",
            ),
            (
                json!({"jwt_secret": "x", "token_ttl_secs": 0}),
                "dialects.tenant.token_ttl_secs",
            ),
            (
                json!({"jwt_secret": "x", "public_key_pem": "k"}),
                "dialects.tenant.public_key_pem",
            ),
            (
                json!({"jwt_algorithm": "RS256"}),
                "dialects.tenant.public_key_pem",
            ),
            (
                json!({"jwt_algorithm": "RS256", "public_key_pem": "nope"}),
                "dialects.tenant.public_key_pem",
            ),
            (
                json!({"jwt_algorithm": "ES256", "jwt_secret": "x"}),
                "dialects.tenant.jwt_secret",
            ),
        ] {
            let err = parse_section::<GlobalConfig>(&section, SECTION)
                .and_then(|c| Tokens::from_config(&c).map(|_| ()))
                .unwrap_err();
            assert_eq!(err.path, path, "{section}");
        }
    }
}
