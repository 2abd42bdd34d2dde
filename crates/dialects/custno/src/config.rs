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

/// A ManEx system to call: its root URL, the API key and the connection settings every
/// upstream client shares.
#[cfg(feature = "client")]
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The root URL (`{Root URL}` in the vendor's documentation), e.g.
    /// `https://erp.example.com/manex/`.
    pub base_url: String,
    /// The API key the gateway presents. Never printed.
    pub api_key: secrecy::SecretString,
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    #[serde(default)]
    pub max_response_bytes: Option<usize>,
    #[serde(default)]
    pub max_json_depth: Option<usize>,
    #[serde(default)]
    pub pool_max_idle_per_host: Option<usize>,
}

#[cfg(feature = "client")]
impl ClientConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: secrecy::SecretString::from(api_key.into()),
            connect_timeout_ms: None,
            request_timeout_ms: None,
            max_response_bytes: None,
            max_json_depth: None,
            pool_max_idle_per_host: None,
        }
    }

    /// The shared upstream settings, defaults filled in.
    pub fn upstream(&self) -> custgate_upstream::UpstreamConfig {
        let d = custgate_upstream::UpstreamConfig::default();
        custgate_upstream::UpstreamConfig {
            base_url: self.base_url.clone(),
            connect_timeout_ms: self.connect_timeout_ms.unwrap_or(d.connect_timeout_ms),
            request_timeout_ms: self.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            max_response_bytes: self.max_response_bytes.unwrap_or(d.max_response_bytes),
            max_json_depth: self.max_json_depth.unwrap_or(d.max_json_depth),
            pool_max_idle_per_host: self
                .pool_max_idle_per_host
                .unwrap_or(d.pool_max_idle_per_host),
        }
    }
}

#[cfg(feature = "client")]
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .finish_non_exhaustive()
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
            "base_url": "http://127.0.0.1:1/", "api_key": "DEVKEY0001", "request_timeout_ms": 50
        }))
        .unwrap();
        assert!(!format!("{c:?}").contains("DEVKEY"));
        assert_eq!(c.upstream().request_timeout_ms, 50);
        assert_eq!(c.upstream().connect_timeout_ms, 2_000);
    }
}
