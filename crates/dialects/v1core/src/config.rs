//! The dialect's configuration: with feature `server`, the `[dialects.v1core]` and
//! `[tenants.<id>.v1core]` sections, checked once at start; with feature `client`,
//! `ClientConfig`, how to reach a real v1core system.
//!
//! ```toml
//! [dialects.v1core]
//! enabled = true
//! # Optional: the most rows one lookup answers (default: limits.max_page_size).
//! max_results = 100
//! # Optional: lookup entries that replace the shipped entry with the same id, or add one.
//! [dialects.v1core.lookups]
//! city = [ { id = 26, ar = "الدرعية", en = "Diriyah", code = "Diriyah", region = 1 } ]
//!
//! [tenants.demo.v1core]
//! company_code = "jtc"
//! auth = { kind = "bearer", tokens = ["dev-v1core-demo"] }
//! # or  auth = { kind = "api_key", header = "X-Api-Key", keys = ["…"] }
//! # or  auth = { kind = "anonymous" }
//! ```
#[cfg(feature = "server")]
pub use server::*;

/// The header an API key travels in unless configured otherwise, callers' and the
/// client's alike.
pub fn default_api_key_header() -> String {
    "X-Api-Key".to_owned()
}

#[cfg(feature = "server")]
mod server {
    use std::collections::HashMap;
    use std::str::FromStr;

    use actix_web::http::header::HeaderName;
    use custgate_core::{DynStore, TenantId};
    use custgate_http::{ConfigError, DialectSetup, SecretTable, SharedSecret};
    use serde::Deserialize;

    use crate::lookup::{LookupOverrides, Lookups};
    use crate::DIALECT;

    /// `[dialects.v1core]`.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GlobalConfig {
        /// Read by the application; a disabled dialect is never built.
        #[serde(default = "enabled")]
        pub enabled: bool,
        /// The most rows one lookup answers; default `limits.max_page_size`.
        #[serde(default)]
        pub max_results: Option<usize>,
        /// Per table (`city`, `relationType`…), entries that replace the shipped entry with
        /// the same id or are added.
        #[serde(default)]
        pub lookups: LookupOverrides,
    }

    fn enabled() -> bool {
        true
    }

    /// `[tenants.<id>.v1core]`.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TenantConfig {
        /// The `companyCode` that selects this tenant.
        pub company_code: String,
        /// Required: anonymous access must be configured explicitly.
        pub auth: Option<AuthConfig>,
    }

    /// How callers of one company authenticate.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub enum AuthConfig {
        /// `Authorization: Bearer <token>`.
        Bearer { tokens: Vec<SharedSecret> },
        /// A key in a header of its own.
        ApiKey {
            #[serde(default = "super::default_api_key_header")]
            header: String,
            keys: Vec<SharedSecret>,
        },
        /// No credentials at all.
        Anonymous,
    }

    /// A company's authentication, ready for requests.
    #[derive(Debug)]
    pub enum Auth {
        Anonymous,
        Bearer(SecretTable<()>),
        ApiKey {
            header: HeaderName,
            keys: SecretTable<()>,
        },
    }

    /// One company (tenant) reachable through the dialect.
    #[derive(Debug)]
    pub struct Company {
        pub code: String,
        pub tenant: TenantId,
        pub store: DynStore,
        pub auth: Auth,
    }

    /// Everything the routes need, built once.
    #[derive(Debug)]
    pub struct Settings {
        /// By company code, lowercased.
        companies: HashMap<String, Company>,
        pub lookups: Lookups,
        pub max_results: usize,
    }

    impl Settings {
        /// The company with this code, ignoring ASCII case.
        pub fn company(&self, code: &str) -> Option<&Company> {
            self.companies.get(&code.trim().to_ascii_lowercase())
        }
    }

    /// Builds the settings from the setup, checking everything.
    pub fn build(setup: &DialectSetup) -> Result<Settings, ConfigError> {
        let global_path = format!("dialects.{DIALECT}");
        let global: GlobalConfig = setup.global(&global_path)?;
        let lookups = Lookups::builtin()
            .with_overrides(&global.lookups)
            .map_err(|e| {
                ConfigError::new(format!("{global_path}.lookups.{}", e.table), e.message)
            })?;
        let max_results = global.max_results.unwrap_or(setup.limits.max_page_size);
        if max_results == 0 {
            return Err(ConfigError::new(
                format!("{global_path}.max_results"),
                "must be at least 1",
            ));
        }

        let mut companies = HashMap::new();
        // Every secret across companies, to refuse one credential opening two companies.
        let mut all_secrets: SecretTable<String> = SecretTable::new();
        for (tenant, cfg) in setup.tenant_configs::<TenantConfig>(DIALECT)? {
            let path = format!("tenants.{}.{DIALECT}", tenant.id);
            let code = cfg.company_code.trim().to_owned();
            let ok =
                !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_graphic());
            if !ok {
                return Err(ConfigError::new(
                    format!("{path}.company_code"),
                    "must be 1 to 64 printable ASCII characters without spaces",
                ));
            }
            let auth_path = format!("{path}.auth");
            let auth = match cfg.auth {
                None => return Err(ConfigError::new(
                    auth_path,
                    "is required; use { kind = \"anonymous\" } to allow access without credentials",
                )),
                Some(AuthConfig::Anonymous) => Auth::Anonymous,
                Some(AuthConfig::Bearer { tokens }) => Auth::Bearer(secrets(
                    &tokens,
                    &code,
                    &format!("{auth_path}.tokens"),
                    &mut all_secrets,
                )?),
                Some(AuthConfig::ApiKey { header, keys }) => {
                    let name = HeaderName::from_str(header.trim()).map_err(|_| {
                        ConfigError::new(
                            format!("{auth_path}.header"),
                            "is not a valid header name",
                        )
                    })?;
                    if name == actix_web::http::header::AUTHORIZATION {
                        return Err(ConfigError::new(
                            format!("{auth_path}.header"),
                            "use kind = \"bearer\" for the Authorization header",
                        ));
                    }
                    Auth::ApiKey {
                        header: name,
                        keys: secrets(
                            &keys,
                            &code,
                            &format!("{auth_path}.keys"),
                            &mut all_secrets,
                        )?,
                    }
                }
            };
            let key = code.to_ascii_lowercase();
            if let Some(other) = companies.get(&key) {
                let other: &Company = other;
                return Err(ConfigError::new(
                    format!("{path}.company_code"),
                    format!(
                        "'{code}' is already the company code of tenant '{}'",
                        other.tenant
                    ),
                ));
            }
            companies.insert(
                key,
                Company {
                    code,
                    tenant: tenant.id,
                    store: tenant.store,
                    auth,
                },
            );
        }
        Ok(Settings {
            companies,
            lookups,
            max_results,
        })
    }

    fn secrets(
        list: &[SharedSecret],
        company: &str,
        path: &str,
        all: &mut SecretTable<String>,
    ) -> Result<SecretTable<()>, ConfigError> {
        if list.is_empty() {
            return Err(ConfigError::new(path, "must list at least one secret"));
        }
        let mut table = SecretTable::new();
        for s in list {
            if let Err(other) = all.insert(s, company.to_owned()) {
                let message = if other == company {
                    "lists the same secret twice".to_owned()
                } else {
                    format!("reuses a secret of company '{other}'; every company needs its own")
                };
                return Err(ConfigError::new(path, message));
            }
            // Unique across all companies, hence within this one.
            let _ = table.insert(s, ());
        }
        Ok(table)
    }
}

#[cfg(feature = "client")]
pub use client::{ClientAuth, ClientConfig};

#[cfg(feature = "client")]
mod client {
    use custgate_upstream::UpstreamConfig;
    use secrecy::SecretString;
    use serde::Deserialize;

    use crate::lookup::{Lang, LookupOverrides};

    /// How to reach one company of a v1core system.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ClientConfig {
        /// Base URL (below which `v1/core/customer` lives), timeouts and limits.
        pub upstream: UpstreamConfig,
        /// The `companyCode` sent with every call.
        pub company_code: String,
        /// The language asked for; labels are not used (ids are), so either works.
        #[serde(default)]
        pub lang: Lang,
        #[serde(default)]
        pub auth: ClientAuth,
        /// Lookup overrides, as in `[dialects.v1core.lookups]`: the upstream's own ids.
        #[serde(default)]
        pub lookups: LookupOverrides,
    }

    impl ClientConfig {
        /// The company `company_code` of the system at `base_url`, reached with `auth`;
        /// every other setting at its default.
        pub fn new(
            base_url: impl Into<String>,
            company_code: impl Into<String>,
            auth: ClientAuth,
        ) -> Self {
            Self {
                upstream: UpstreamConfig::with_base_url(base_url),
                company_code: company_code.into(),
                lang: Lang::default(),
                auth,
                lookups: LookupOverrides::default(),
            }
        }
    }

    /// The credentials sent upstream. `Debug` never shows them.
    #[derive(Clone, Debug, Default, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub enum ClientAuth {
        #[default]
        Anonymous,
        Bearer {
            token: SecretString,
        },
        ApiKey {
            #[serde(default = "super::default_api_key_header")]
            header: String,
            key: SecretString,
        },
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use secrecy::ExposeSecret;

        /// `ClientConfig::new` gives what a configuration file with the same settings gives.
        #[test]
        fn config_new_has_the_files_defaults() {
            let auth = ClientAuth::Bearer {
                token: SecretString::from("t0k"),
            };
            let made = ClientConfig::new("http://127.0.0.1:1/", "jtc", auth);
            let read: ClientConfig = serde_json::from_value(serde_json::json!({
                "upstream": {"base_url": "http://127.0.0.1:1/"},
                "company_code": "jtc",
                "auth": {"kind": "bearer", "token": "t0k"}
            }))
            .unwrap();
            assert_eq!(format!("{made:?}"), format!("{read:?}"));
            let (ClientAuth::Bearer { token: a }, ClientAuth::Bearer { token: b }) =
                (&made.auth, &read.auth)
            else {
                panic!("bearer auth expected");
            };
            assert_eq!(a.expose_secret(), b.expose_secret());
        }
    }
}
