//! Configuration: the dialect's global section, each tenant's section and the client's.

use serde::Deserialize;

/// `[dialects.custno]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalConfig {
    /// Whether the dialect is served (read by the application).
    pub enabled: bool,
    /// Whether the Web API "No HTTP resource was found…" body repeats the request URI as
    /// received, API key included, as the vendor does (the caller sent that URI, and the
    /// body is never logged). With `false` the key segment reads `[redacted]`.
    pub echo_request_uri: bool,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            echo_request_uri: true,
        }
    }
}

/// `[tenants.<id>.custno]`.
#[cfg(feature = "server")]
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The API keys that select this tenant: each plain (development) or
    /// `sha256:<64 hex>`. A key may belong to one tenant only.
    pub api_keys: Vec<custgate_http::SharedSecret>,
}

/// A ManEx system to call: the connection settings every upstream client shares (the
/// base URL is the root URL, `{Root URL}` in the vendor's documentation, e.g.
/// `https://erp.example.com/manex/`) and the API key.
#[cfg(feature = "client")]
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub upstream: custgate_upstream::UpstreamConfig,
    /// The API key the gateway presents. Never printed.
    pub api_key: secrecy::SecretString,
}

#[cfg(feature = "client")]
impl ClientConfig {
    /// The default connection settings for the system at `base_url`.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            upstream: custgate_upstream::UpstreamConfig::with_base_url(base_url),
            api_key: secrecy::SecretString::from(api_key.into()),
        }
    }
}

#[cfg(feature = "client")]
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("upstream", &self.upstream)
            .field("api_key", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_global_section_takes_the_development_config() {
        let g: GlobalConfig = serde_json::from_value(serde_json::json!({"enabled": true})).unwrap();
        assert_eq!(g, GlobalConfig::default());
        assert!(serde_json::from_value::<GlobalConfig>(serde_json::json!({"nope": 1})).is_err());
    }

    #[cfg(feature = "client")]
    #[test]
    fn client_config_never_prints_the_key() {
        let c: ClientConfig = serde_json::from_value(serde_json::json!({
            "upstream": {"base_url": "http://127.0.0.1:1/", "request_timeout_ms": 50},
            "api_key": "DEVKEY0001"
        }))
        .unwrap();
        assert!(!format!("{c:?}").contains("DEVKEY"));
        assert_eq!(c.upstream.request_timeout_ms, 50);
        assert_eq!(c.upstream.connect_timeout_ms, 2_000);
        // The old flat timeout keys are gone.
        assert!(serde_json::from_value::<ClientConfig>(serde_json::json!({
            "upstream": {"base_url": "http://127.0.0.1:1/"},
            "api_key": "DEVKEY0001", "request_timeout_ms": 50
        }))
        .is_err());
    }
}
