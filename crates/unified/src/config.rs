//! The facade's configuration: `[dialects.unified]` and `[tenants.<id>.unified]`, checked
//! once at start.

use custgate_core::{DynStore, TenantId};
use custgate_http::{ConfigError, DialectSetup, SecretTable, SharedSecret};
use serde::Deserialize;

/// The page size used when a list request names no `limit`, unless configured.
pub const DEFAULT_LIMIT: u32 = 50;

/// `[dialects.unified]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalConfig {
    /// Whether the facade is mounted; read by the application, accepted here.
    pub enabled: Option<bool>,
    /// The largest `limit` a list request may ask for; at most (and by default)
    /// `limits.max_page_size`.
    pub max_limit: Option<u32>,
    /// The page size when a request names none; 50 (or `max_limit` if smaller) by
    /// default.
    pub default_limit: Option<u32>,
}

/// `[tenants.<id>.unified]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Bearer tokens of the tenant: plain (development) or `sha256:<hex>`. A token names
    /// exactly one tenant.
    pub tokens: Vec<SharedSecret>,
}

/// A tenant the facade serves.
#[derive(Clone, Debug)]
pub(crate) struct Tenant {
    pub id: TenantId,
    pub store: DynStore,
}

/// Page sizes of list requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSizes {
    pub default: u32,
    pub max: u32,
}

/// Everything the handlers need, built once from configuration.
#[derive(Debug)]
pub(crate) struct Settings {
    pub tokens: SecretTable<Tenant>,
    pub limits: custgate_http::Limits,
    pub pages: PageSizes,
}

impl Settings {
    pub fn from_setup(setup: &DialectSetup) -> Result<Settings, ConfigError> {
        let global: GlobalConfig = setup.global("dialects.unified")?;
        let page_max = u32::try_from(setup.limits.max_page_size).unwrap_or(u32::MAX);
        if page_max == 0 {
            return Err(ConfigError::new(
                "limits.max_page_size",
                "must be at least 1 for the unified facade to list customers",
            ));
        }
        let max = global.max_limit.unwrap_or(page_max);
        if max == 0 || max > page_max {
            return Err(ConfigError::new(
                "dialects.unified.max_limit",
                format!("must be between 1 and limits.max_page_size ({page_max})"),
            ));
        }
        let default = global.default_limit.unwrap_or(DEFAULT_LIMIT.min(max));
        if default == 0 || default > max {
            return Err(ConfigError::new(
                "dialects.unified.default_limit",
                format!("must be between 1 and the maximum page size ({max})"),
            ));
        }

        let mut tokens = SecretTable::new();
        for (tenant, config) in setup.tenant_configs::<TenantConfig>("unified")? {
            let path = format!("tenants.{}.unified.tokens", tenant.id);
            if config.tokens.is_empty() {
                return Err(ConfigError::new(path, "must list at least one token"));
            }
            for (i, token) in config.tokens.iter().enumerate() {
                let entry = Tenant {
                    id: tenant.id.clone(),
                    store: tenant.store.clone(),
                };
                if let Err(other) = tokens.insert(token, entry) {
                    let message = if other.id == tenant.id {
                        "is listed twice".to_owned()
                    } else {
                        format!(
                            "is also a token of tenant '{}'; a token must name exactly one tenant",
                            other.id
                        )
                    };
                    return Err(ConfigError::new(format!("{path}[{i}]"), message));
                }
            }
        }
        if tokens.is_empty() {
            tracing::warn!(
                "No tenant has a [tenants.<id>.unified] section: every facade request will get 401"
            );
        }
        Ok(Settings {
            tokens,
            limits: setup.limits,
            pages: PageSizes { default, max },
        })
    }
}
