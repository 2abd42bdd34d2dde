//! `[tenants.<id>.backend]` with `kind = "upstream"`: which system backs the tenant.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::connect::{setup_error, SetupError};

/// The dialect an upstream system speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamDialect {
    Tenant,
    V1core,
    Ndata,
    Custno,
    Odata,
}

impl UpstreamDialect {
    pub const ALL: [UpstreamDialect; 5] = [
        UpstreamDialect::Tenant,
        UpstreamDialect::V1core,
        UpstreamDialect::Ndata,
        UpstreamDialect::Custno,
        UpstreamDialect::Odata,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamDialect::Tenant => "tenant",
            UpstreamDialect::V1core => "v1core",
            UpstreamDialect::Ndata => "ndata",
            UpstreamDialect::Custno => "custno",
            UpstreamDialect::Odata => "odata",
        }
    }
}

impl fmt::Display for UpstreamDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant backed by an upstream system.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    pub dialect: UpstreamDialect,
    /// Names the upstream in the id crosswalk, metrics and logs; the dialect by default.
    /// Keep it when the upstream's URL changes, or its records get new aliases.
    #[serde(default)]
    pub name: Option<String>,
    /// Refuse writes carrying fields the upstream cannot hold, instead of writing the
    /// rest and reporting what was dropped.
    #[serde(default)]
    pub strict: bool,
    /// The most records fetched from the upstream to run the rest of a query locally.
    #[serde(default = "default_max_scan")]
    pub max_scan: usize,
    /// The dialect's client configuration: `upstream` (base URL, timeouts, retries,
    /// breaker, limits) and the credentials. Any `<key>_env = "VAR"` or
    /// `<key>_file = "/path"` is replaced by `<key>` with the variable's value or the
    /// file's content at start.
    pub client: ClientSection,
}

fn default_max_scan() -> usize {
    1000
}

impl UpstreamSettings {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.dialect.as_str())
    }
}

/// The client section, kept as JSON until the dialect types it. `Debug` hides it: it
/// holds credentials.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct ClientSection(pub serde_json::Value);

impl fmt::Debug for ClientSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSection([redacted])")
    }
}

/// Replaces every `<key>_env` and `<key>_file` entry of `value` (at any depth) by
/// `<key>` holding the environment variable's value or the file's content (one trailing
/// newline removed). Errors name the setting, never the secret.
pub fn resolve_secrets(value: &mut serde_json::Value, path: &str) -> Result<(), SetupError> {
    resolve_with(value, path, &|var| std::env::var(var).ok(), &|p| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    })
}

type EnvFn<'a> = &'a dyn Fn(&str) -> Option<String>;
type FileFn<'a> = &'a dyn Fn(&Path) -> Result<String, String>;

fn resolve_with(
    value: &mut serde_json::Value,
    path: &str,
    env: EnvFn<'_>,
    file: FileFn<'_>,
) -> Result<(), SetupError> {
    let serde_json::Value::Object(map) = value else {
        return Ok(());
    };
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let here = format!("{path}.{key}");
        let (target, secret) = if let Some(base) = key.strip_suffix("_env") {
            let var = map[&key]
                .as_str()
                .ok_or_else(|| setup_error(&here, "must name an environment variable"))?;
            let v = env(var).ok_or_else(|| {
                setup_error(&here, format!("the environment variable {var} is not set"))
            })?;
            (base.to_owned(), v)
        } else if let Some(base) = key.strip_suffix("_file") {
            let p = map[&key]
                .as_str()
                .ok_or_else(|| setup_error(&here, "must name a file"))?;
            let v = file(Path::new(p))
                .map_err(|e| setup_error(&here, format!("cannot read {p}: {e}")))?;
            let v = v.strip_suffix('\n').unwrap_or(&v);
            (
                base.to_owned(),
                v.strip_suffix('\r').unwrap_or(v).to_owned(),
            )
        } else {
            if let Some(inner) = map.get_mut(&key) {
                resolve_with(inner, &here, env, file)?;
            }
            continue;
        };
        if map.contains_key(&target) {
            return Err(setup_error(
                &format!("{path}.{target}"),
                format!("set both directly and through {key}; keep one"),
            ));
        }
        map.remove(&key);
        map.insert(target, serde_json::Value::String(secret));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(var: &str) -> Option<String> {
        (var == "ODATA_TOKEN").then(|| "s3cret".to_owned())
    }

    fn file(p: &Path) -> Result<String, String> {
        if p == Path::new("/run/secrets/pw") {
            Ok("hunter2\n".into())
        } else {
            Err("no such file".into())
        }
    }

    #[test]
    fn secrets_come_from_the_environment_and_files() {
        let mut v = json!({
            "token_env": "ODATA_TOKEN",
            "auth": {"kind": "login", "password_file": "/run/secrets/pw"},
            "upstream": {"base_url": "http://x/"}
        });
        resolve_with(&mut v, "client", &env, &file).unwrap();
        assert_eq!(
            v,
            json!({
                "token": "s3cret",
                "auth": {"kind": "login", "password": "hunter2"},
                "upstream": {"base_url": "http://x/"}
            })
        );
    }

    #[test]
    fn missing_secrets_name_the_setting_not_the_value() {
        let mut v = json!({"token_env": "NOPE"});
        let e = resolve_with(&mut v, "tenants.demo.backend.client", &env, &file).unwrap_err();
        assert_eq!(e.path, "tenants.demo.backend.client.token_env");
        assert_eq!(e.message, "the environment variable NOPE is not set");
        let mut v = json!({"token": "a", "token_env": "ODATA_TOKEN"});
        let e = resolve_with(&mut v, "c", &env, &file)
            .unwrap_err()
            .to_string();
        assert!(e.contains("set both"), "{e}");
        assert!(!e.contains("s3cret"));
        let mut v = json!({"password_file": "/nope"});
        assert!(resolve_with(&mut v, "c", &env, &file)
            .unwrap_err()
            .to_string()
            .starts_with("c.password_file: cannot read /nope"));
    }

    #[test]
    fn settings_debug_hides_the_client_section() {
        let s: UpstreamSettings = serde_json::from_value(json!({
            "dialect": "odata",
            "client": {"token": "s3cret"}
        }))
        .unwrap();
        assert_eq!(s.name(), "odata");
        assert_eq!(s.max_scan, 1000);
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
