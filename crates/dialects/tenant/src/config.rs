//! Configuration: the global section `[dialects.tenant]` and the per-tenant sections
//! `[tenants.<id>.tenant]` (feature `server`), and the upstream client's settings
//! (feature `client`).

use serde::Deserialize;

/// The JWT signature algorithms the dialect accepts; exactly one is configured and
/// tokens signed otherwise are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with `jwt_secret`.
    HS256,
    /// RSA PKCS#1 v1.5 with SHA-256, verified with `public_key_pem`.
    RS256,
    /// ECDSA P-256 with SHA-256, verified with `public_key_pem`.
    ES256,
}

#[cfg(feature = "server")]
pub use server::{GlobalConfig, TenantConfig, UserConfig};

#[cfg(feature = "server")]
mod server {
    use custgate_http::PasswordHashString;
    use secrecy::SecretString;
    use serde::Deserialize;

    use super::JwtAlgorithm;

    fn hs256() -> JwtAlgorithm {
        JwtAlgorithm::HS256
    }
    fn ttl() -> u64 {
        3600
    }
    fn leeway() -> u64 {
        30
    }
    fn max_page_size() -> u32 {
        100
    }

    /// `[dialects.tenant]`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GlobalConfig {
        /// Read by the application; accepted here so the section can be parsed whole.
        #[serde(default)]
        pub enabled: Option<bool>,
        #[serde(default = "hs256")]
        pub jwt_algorithm: JwtAlgorithm,
        /// The HS256 key. Never logged.
        #[serde(default)]
        pub jwt_secret: Option<SecretString>,
        /// The RS256/ES256 verification key (PEM: `PUBLIC KEY`, or `RSA PUBLIC KEY`).
        #[serde(default)]
        pub public_key_pem: Option<String>,
        /// The RS256/ES256 signing key (PEM, PKCS#8 for ES256), needed only to issue
        /// tokens (login, `custgate token tenant`). Never logged.
        #[serde(default)]
        pub private_key_pem: Option<SecretString>,
        /// Lifetime of issued tokens.
        #[serde(default = "ttl")]
        pub token_ttl_secs: u64,
        /// Clock skew allowed on `exp` and `nbf`; at most 300.
        #[serde(default = "leeway")]
        pub leeway_secs: u64,
        /// The largest `PageSize` accepted.
        #[serde(default = "max_page_size")]
        pub max_page_size: u32,
    }

    /// `[tenants.<id>.tenant]`.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TenantConfig {
        /// Who may log in through `POST /api/account/login` for this tenant.
        #[serde(default)]
        pub users: Vec<UserConfig>,
    }

    /// One login.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct UserConfig {
        pub user_id: String,
        #[serde(default)]
        pub email: Option<String>,
        /// An argon2 PHC string (`custgate hash-password`).
        pub password_hash: PasswordHashString,
    }
}

#[cfg(feature = "client")]
pub use client::{ClientAuth, ClientConfig};

#[cfg(feature = "client")]
mod client {
    use custgate_upstream::UpstreamConfig;
    use secrecy::SecretString;
    use serde::Deserialize;

    fn page_size() -> u32 {
        100
    }

    /// An upstream system speaking this dialect.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ClientConfig {
        /// `base_url` is the system's root: requests go to `<base_url>/api/customer`.
        pub upstream: UpstreamConfig,
        pub auth: ClientAuth,
        /// The `PageSize` the client asks for when it walks pages (at most the upstream's
        /// own maximum).
        #[serde(default = "page_size")]
        pub page_size: u32,
    }

    impl ClientConfig {
        /// The system at `base_url`, reached with `auth`; every other setting at its
        /// default.
        pub fn new(base_url: impl Into<String>, auth: ClientAuth) -> Self {
            Self {
                upstream: UpstreamConfig::with_base_url(base_url),
                auth,
                page_size: page_size(),
            }
        }
    }

    /// How the client authenticates.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub enum ClientAuth {
        /// A fixed license token.
        Token { token: SecretString },
        /// Credentials exchanged at `POST /api/account/login` for a token, renewed when
        /// the upstream answers 401.
        Login {
            tenant_id: String,
            user_id: String,
            password: SecretString,
        },
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use secrecy::ExposeSecret;

        /// `ClientConfig::new` gives what a configuration file with the same settings
        /// gives.
        #[test]
        fn new_has_the_files_defaults() {
            let auth = ClientAuth::Token {
                token: SecretString::from("t0k"),
            };
            let made = ClientConfig::new("http://127.0.0.1:1/", auth);
            let read: ClientConfig = serde_json::from_value(serde_json::json!({
                "upstream": {"base_url": "http://127.0.0.1:1/"},
                "auth": {"kind": "token", "token": "t0k"}
            }))
            .unwrap();
            assert_eq!(format!("{made:?}"), format!("{read:?}"));
            let (ClientAuth::Token { token: a }, ClientAuth::Token { token: b }) =
                (&made.auth, &read.auth)
            else {
                panic!("token auth expected");
            };
            assert_eq!(a.expose_secret(), b.expose_secret());
        }
    }
}
