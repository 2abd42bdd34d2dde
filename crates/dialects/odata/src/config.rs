//! Configuration: the global `[dialects.odata]` section and, with feature `server`, the
//! per-tenant `[tenants.<id>.odata]` sections.

use serde::{Deserialize, Deserializer};

use crate::query::{FilterLimits, MAX_PARSE_DEPTH};

/// `[dialects.odata]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalConfig {
    /// Read by the application, not by the dialect.
    #[serde(deserialize_with = "ignored")]
    pub enabled: (),
    /// The most rows one list answers; a larger `top` is refused.
    #[serde(deserialize_with = "number")]
    pub max_top: usize,
    /// The longest `filter` accepted, in bytes.
    #[serde(deserialize_with = "number")]
    pub max_filter_bytes: usize,
    /// The deepest nesting (parentheses, `not`, functions) of a `filter`.
    #[serde(deserialize_with = "number")]
    pub max_filter_depth: usize,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        let f = FilterLimits::default();
        Self {
            enabled: (),
            max_top: 1000,
            max_filter_bytes: f.max_bytes,
            max_filter_depth: f.max_depth,
        }
    }
}

impl GlobalConfig {
    /// Checks the ranges; the error names the setting.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !(1..=100_000).contains(&self.max_top) {
            return Err(("max_top", "must be 1 to 100000".into()));
        }
        if !(64..=1_048_576).contains(&self.max_filter_bytes) {
            return Err(("max_filter_bytes", "must be 64 to 1048576".into()));
        }
        if !(1..=MAX_PARSE_DEPTH).contains(&self.max_filter_depth) {
            return Err((
                "max_filter_depth",
                format!("must be 1 to {MAX_PARSE_DEPTH}"),
            ));
        }
        Ok(())
    }

    pub fn filter_limits(&self) -> FilterLimits {
        FilterLimits {
            max_bytes: self.max_filter_bytes,
            max_depth: self.max_filter_depth,
        }
    }
}

fn ignored<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| ())
}

/// A whole number, also when an environment override made it a string.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(u64),
        S(String),
    }
    match Raw::deserialize(d)? {
        Raw::N(n) => usize::try_from(n).map_err(serde::de::Error::custom),
        Raw::S(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a whole number"))),
    }
}

/// `[tenants.<id>.odata]`: the company's key and the bearer tokens allowed to use it.
#[cfg(feature = "server")]
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The company's GUID, sent by clients in the `CompanyKey` header.
    pub company_key: String,
    /// Bearer tokens (plain in development, `sha256:<hex>` otherwise). A token listed under
    /// several tenants reaches each of them, the `CompanyKey` choosing.
    pub tokens: Vec<custgate_http::SharedSecret>,
}

#[cfg(feature = "client")]
pub use client::ClientConfig;

#[cfg(feature = "client")]
mod client {
    use custgate_upstream::UpstreamConfig;
    use secrecy::SecretString;
    use serde::Deserialize;

    /// How to reach one company of an upstream Unimicro. `Debug` shows the token as
    /// `[REDACTED]` (`SecretString`'s own).
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ClientConfig {
        pub upstream: UpstreamConfig,
        /// The OAuth2 access token sent as `Authorization: Bearer`.
        pub token: SecretString,
        /// The company's GUID, sent as `CompanyKey`.
        pub company_key: String,
        /// The largest `top` the upstream honours.
        #[serde(default = "default_max_top")]
        pub max_top: usize,
    }

    fn default_max_top() -> usize {
        1000
    }

    impl ClientConfig {
        /// The company `company_key` of the system at `base_url`, reached with `token`; every
        /// other setting at its default.
        pub fn new(
            base_url: impl Into<String>,
            token: impl Into<String>,
            company_key: impl Into<String>,
        ) -> Self {
            Self {
                upstream: UpstreamConfig::with_base_url(base_url),
                token: SecretString::from(token.into()),
                company_key: company_key.into(),
                max_top: default_max_top(),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use secrecy::ExposeSecret;

        /// `ClientConfig::new` gives what a configuration file with the same three
        /// settings gives.
        #[test]
        fn new_has_the_files_defaults() {
            let made = ClientConfig::new(
                "http://127.0.0.1:1/",
                "t0k",
                "11111111-1111-4111-8111-111111111111",
            );
            let read: ClientConfig = serde_json::from_value(serde_json::json!({
                "upstream": {"base_url": "http://127.0.0.1:1/"},
                "token": "t0k",
                "company_key": "11111111-1111-4111-8111-111111111111"
            }))
            .unwrap();
            assert_eq!(format!("{made:?}"), format!("{read:?}"));
            assert_eq!(made.token.expose_secret(), read.token.expose_secret());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_section_accepts_the_default_toml() {
        let c: GlobalConfig =
            serde_json::from_value(serde_json::json!({"enabled": true, "max_top": 1000})).unwrap();
        assert_eq!(c.max_top, 1000);
        c.check().unwrap();
        let c: GlobalConfig = serde_json::from_value(serde_json::json!({"max_top": "50"})).unwrap();
        assert_eq!(c.max_top, 50);
        assert!(serde_json::from_value::<GlobalConfig>(serde_json::json!({"max_tpo": 1})).is_err());
        let zero = GlobalConfig {
            max_top: 0,
            ..GlobalConfig::default()
        };
        assert_eq!(zero.check().unwrap_err().0, "max_top");
        let deep = GlobalConfig {
            max_filter_depth: 99,
            ..GlobalConfig::default()
        };
        assert_eq!(deep.check().unwrap_err().0, "max_filter_depth");
    }
}
