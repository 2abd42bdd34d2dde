//! Typed, layered configuration: a TOML file (default `config/default.toml`), then
//! `CUSTGATE__SECTION__KEY` environment variables. Checked once at start with messages
//! that name the offending setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use custgate_core::TenantId;
use custgate_http::{ConfigError, Limits};
use serde::Deserialize;

/// The dialect slugs the gateway knows, in mounting order.
pub const DIALECTS: &[&str] = &["unified", "tenant", "v1core", "ndata", "custno", "odata"];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    #[serde(default)]
    pub limits: Limits,
    /// The embedded store's section, typed by `custgate_store::StoreConfig`.
    pub store: serde_json::Value,
    #[serde(default)]
    pub log: LogSettings,
    /// `[dialects.<slug>]`: `enabled` plus the dialect's own settings.
    #[serde(default)]
    pub dialects: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantSettings>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// `host:port`; port 0 picks a free port.
    pub bind: String,
    /// 0 means one worker per core.
    #[serde(default)]
    pub workers: usize,
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_secs: u64,
}

fn default_shutdown_timeout() -> u64 {
    30
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: String,
    /// A `RUST_LOG`-style filter; `RUST_LOG` itself wins when set.
    pub filter: String,
}

impl LogSettings {
    /// A filter or format that would not be used is an error, not a silent fallback.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !matches!(self.format.as_str(), "pretty" | "json") {
            return Err(ConfigError::new(
                "log.format",
                format!("must be pretty or json, not '{}'", self.format),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.filter)
            .map_err(|e| ConfigError::new("log.filter", format!("'{}': {e}", self.filter)))?;
        Ok(())
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "pretty".into(),
            filter: "info".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct TenantSettings {
    #[serde(default)]
    pub backend: BackendSettings,
    /// `[tenants.<id>.<dialect>]`: the tenant's credentials for each dialect.
    #[serde(flatten)]
    pub dialects: BTreeMap<String, serde_json::Value>,
}

/// Where a tenant's customers live.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackendSettings {
    /// The gateway's own store (`[store]`).
    #[default]
    Embedded,
    /// An upstream system of any dialect (gateway mode).
    Upstream(custgate_gateway::UpstreamSettings),
}

/// Development credentials shipped in `config/default.toml` and documented in README.
/// With any of them in use the gateway binds loopback addresses only.
const DEV_SECRETS: &[&str] = &[
    "dev-unified-demo",
    "dev-unified-acme",
    "dev-tenant-jwt-secret",
    "dev-v1core-demo",
    "dev-v1core-acme",
    "DEVKEY0001",
    "ACMEKEY001",
    "dev-odata-demo",
    "dev-odata-acme",
    "$argon2id$v=19$m=19456,t=2,p=1$NLOo++fne7Qn05aX/Gfajg$62gzExpHSttRbQr07m9NAoOMs5l78bMhvdRaAoorCSE",
    "$argon2id$v=19$m=19456,t=2,p=1$OqstBA3eXbhlbhKiSjnw6g$BPNsGLgMuMikXomE9jf/8pVCxJVllEQoyCjR4V36GhA",
    "$argon2id$v=19$m=19456,t=2,p=1$I1+vLcTjLHhh6c8b9p62jQ$GGbqF/8lifYJc+0Bi0Zw6i6KfezXLf032PTDynQlO7U",
];

/// The tenant id of a `[tenants.<id>]` key. Loading checks every key, so after
/// [`Settings::load`] it does not fail.
pub fn tenant_id(key: &str) -> Result<TenantId, ConfigError> {
    TenantId::parse(key)
        .map_err(|e| ConfigError::new(format!("tenants.{key}"), e.message().to_owned()))
}

/// A configuration file's syntax error without the lines of the file it quotes (which may
/// hold a secret): the message, line and column stay.
fn without_source(e: &config::ConfigError) -> String {
    e.to_string()
        .lines()
        .filter(|line| {
            let t = line.trim_start();
            !(t.starts_with('|')
                || t.split_once(" |")
                    .is_some_and(|(n, _)| n.trim().parse::<u32>().is_ok()))
        })
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Settings {
    /// Loads `path` (or `config/default.toml`), then the environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let path = path.unwrap_or(Path::new("config/default.toml"));
        let raw = config::Config::builder()
            .add_source(config::File::from(path).required(true))
            .add_source(
                config::Environment::with_prefix("CUSTGATE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()
            .map_err(|e| ConfigError::new(path.display().to_string(), without_source(&e)))?;
        let settings: Settings = raw.try_deserialize().map_err(|e| {
            ConfigError::new(
                path.display().to_string(),
                custgate_core::redact::serde_message(&e.to_string()),
            )
        })?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks what serde cannot: known dialects, valid tenant ids, a parseable bind.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        for (name, section) in &self.dialects {
            if !DIALECTS.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    format!("dialects.{name}"),
                    format!("unknown dialect; known: {}", DIALECTS.join(", ")),
                ));
            }
            // Anything but a boolean would otherwise leave the dialect on.
            if let Some(enabled) = section.get("enabled").filter(|v| !v.is_boolean()) {
                return Err(ConfigError::new(
                    format!("dialects.{name}.enabled"),
                    format!("must be true or false, not {enabled}"),
                ));
            }
        }
        for (id, t) in &self.tenants {
            let tenant = tenant_id(id)?;
            if let BackendSettings::Upstream(u) = &t.backend {
                // Builds the client (no call is made) to check its section.
                custgate_gateway::connect(&tenant, u, &custgate_gateway::Ledger::in_memory())
                    .map_err(|e| ConfigError::new(e.path, e.message))?;
            }
            for name in t.dialects.keys() {
                if !DIALECTS.contains(&name.as_str()) {
                    return Err(ConfigError::new(
                        format!("tenants.{id}.{name}"),
                        format!("unknown dialect; known: {}", DIALECTS.join(", ")),
                    ));
                }
            }
        }
        if self.limits.max_body_bytes == 0 || self.limits.max_json_depth == 0 {
            return Err(ConfigError::new("limits", "limits must be positive"));
        }
        self.check_store()?;
        self.log.check()
    }

    /// The store's section, checked without opening the store.
    fn check_store(&self) -> Result<(), ConfigError> {
        let config: custgate_store::StoreConfig =
            custgate_http::parse_section(&self.store, "store")?;
        if config.url.starts_with("memory:") {
            return Ok(());
        }
        config
            .check()
            .map_err(|(setting, message)| ConfigError::new(setting, message))
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.bind.parse().map_err(|_| {
            ConfigError::new(
                "server.bind",
                format!("'{}' is not an IP address and port", self.server.bind),
            )
        })
    }

    /// Whether a dialect is switched on (`[dialects.<slug>] enabled`, default true).
    pub fn dialect_enabled(&self, name: &str) -> bool {
        self.dialects
            .get(name)
            .and_then(|v| v.get("enabled"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true)
    }

    /// A dialect's global section without the `enabled` switch.
    pub fn dialect_section(&self, name: &str) -> serde_json::Value {
        let mut v = self
            .dialects
            .get(name)
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        if let Some(obj) = v.as_object_mut() {
            obj.remove("enabled");
        }
        v
    }

    /// The path of the first development credential in use, if any.
    pub fn development_credential(&self) -> Option<String> {
        fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
            match v {
                serde_json::Value::String(s) if DEV_SECRETS.contains(&s.as_str()) => {
                    Some(path.to_owned())
                }
                serde_json::Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .find_map(|(i, x)| walk(x, &format!("{path}[{i}]"))),
                serde_json::Value::Object(o) => {
                    o.iter().find_map(|(k, x)| walk(x, &format!("{path}.{k}")))
                }
                _ => None,
            }
        }
        self.dialects
            .iter()
            .find_map(|(k, v)| walk(v, &format!("dialects.{k}")))
            .or_else(|| {
                self.tenants.iter().find_map(|(id, t)| {
                    t.dialects
                        .iter()
                        .find_map(|(k, v)| walk(v, &format!("tenants.{id}.{k}")))
                })
            })
    }

    /// Refuses a non-loopback address while development credentials are configured.
    pub fn check_bind(&self, addr: SocketAddr) -> Result<(), ConfigError> {
        if addr.ip().is_loopback() {
            return Ok(());
        }
        match self.development_credential() {
            Some(path) => Err(ConfigError::new(
                "server.bind",
                format!(
                    "refusing to listen on {addr}: {path} is a development credential; \
                     configure real secrets (see README) or bind a loopback address"
                ),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_settings() -> Settings {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
        Settings::load(Some(&path)).unwrap()
    }

    #[test]
    fn default_config_loads() {
        let s = default_settings();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.tenants.len(), 2);
        assert!(s.dialect_enabled("odata"));
        assert!(s.dialect_section("tenant").get("enabled").is_none());
        assert!(matches!(
            s.tenants["demo"].backend,
            BackendSettings::Embedded
        ));
    }

    /// Errors about the file or its settings never quote a value: it may be a secret.
    #[test]
    fn load_errors_do_not_quote_values() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let broken = write(
            "broken.toml",
            "[server]\nbind = \"127.0.0.1:1\"\n[dialects.tenant]\njwt_secret = \"s3cret\n",
        );
        let e = Settings::load(Some(&broken)).unwrap_err().to_string();
        assert!(!e.contains("s3cret") && e.contains("line 4"), "{e}");
        let mistyped = write("mistyped.toml", "[server]\nworkers = \"s3cret\"\n");
        let e = Settings::load(Some(&mistyped)).unwrap_err().to_string();
        assert!(!e.contains("s3cret") && e.contains("server.workers"), "{e}");
    }

    #[test]
    fn development_credentials_keep_to_loopback() {
        let s = default_settings();
        assert!(s.development_credential().is_some());
        assert!(s.check_bind("127.0.0.1:8080".parse().unwrap()).is_ok());
        let e = s.check_bind("0.0.0.0:8080".parse().unwrap()).unwrap_err();
        assert!(e.message.contains("development credential"), "{e}");
    }

    /// `DEV_SECRETS` is a copy of `config/default.toml`'s secrets: every secret there must
    /// be in the list (else the loopback guard misses it), and every listed one there.
    #[test]
    fn dev_secrets_match_the_default_config() {
        fn secrets(v: &serde_json::Value, under_secret_key: bool, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) if under_secret_key => out.push(s.clone()),
                serde_json::Value::Array(a) => {
                    a.iter().for_each(|x| secrets(x, under_secret_key, out))
                }
                serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                    let secret_key = matches!(
                        k.as_str(),
                        "tokens" | "api_keys" | "password_hash" | "jwt_secret"
                    );
                    secrets(x, secret_key, out)
                }),
                _ => {}
            }
        }
        let s = default_settings();
        let mut found = Vec::new();
        s.dialects
            .values()
            .for_each(|v| secrets(v, false, &mut found));
        for t in s.tenants.values() {
            t.dialects
                .values()
                .for_each(|v| secrets(v, false, &mut found));
        }
        found.sort();
        found.dedup();
        let mut listed: Vec<String> = DEV_SECRETS.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed);
    }

    #[test]
    fn unknown_dialects_are_refused() {
        let mut s = default_settings();
        s.dialects.insert("soap".into(), serde_json::json!({}));
        assert_eq!(s.check().unwrap_err().path, "dialects.soap");
        let mut s = default_settings();
        s.server.bind = "localhost".into();
        assert_eq!(s.check().unwrap_err().path, "server.bind");
    }
}
