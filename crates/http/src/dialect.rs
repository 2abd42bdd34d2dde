//! How a dialect is mounted into the one actix-web application.
//!
//! At start the application builds one [`DialectSetup`] per enabled dialect (the
//! dialect's global config section, and for each tenant its store and its section for
//! that dialect) and asks the dialect crate for a [`DialectServer`]. The dialect checks
//! its configuration there, once, with clear messages, and later only registers routes.

use std::sync::Arc;

use actix_web::web;
use custgate_core::{DynStore, TenantId};
use serde::de::DeserializeOwned;

/// A configuration problem found at start, with the path of the offending setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Deserializes one configuration section into its typed form, naming `path` on error.
/// The error does not quote the value it found: a section holds secrets.
pub fn parse_section<T: DeserializeOwned>(
    value: &serde_json::Value,
    path: &str,
) -> Result<T, ConfigError> {
    T::deserialize(value)
        .map_err(|e| ConfigError::new(path, custgate_core::redact::serde_message(&e.to_string())))
}

/// One tenant as a dialect sees it.
#[derive(Clone, Debug)]
pub struct TenantSetup {
    pub id: TenantId,
    /// The tenant's backend: the embedded store or an upstream client.
    pub store: DynStore,
    /// The tenant's section for this dialect (`[tenants.<id>.<dialect>]`), if any. A
    /// tenant without one cannot be reached through the dialect.
    pub config: Option<serde_json::Value>,
}

/// Everything a dialect needs to build its server.
#[derive(Clone, Debug)]
pub struct DialectSetup {
    /// The dialect's global section (`[dialects.<name>]`), `{}` when absent.
    pub global: serde_json::Value,
    pub tenants: Vec<TenantSetup>,
    pub limits: crate::Limits,
}

impl DialectSetup {
    /// The global section, typed; `path` names it in errors.
    pub fn global<T: DeserializeOwned>(&self, path: &str) -> Result<T, ConfigError> {
        parse_section(&self.global, path)
    }

    /// Each tenant that has a section for this dialect, with the section typed.
    pub fn tenant_configs<T: DeserializeOwned>(
        &self,
        dialect: &str,
    ) -> Result<Vec<(TenantSetup, T)>, ConfigError> {
        self.tenants
            .iter()
            .filter_map(|t| t.config.as_ref().map(|c| (t, c)))
            .map(|(t, c)| {
                let path = format!("tenants.{}.{dialect}", t.id);
                Ok((t.clone(), parse_section(c, &path)?))
            })
            .collect()
    }
}

/// A dialect's server side, ready to register its routes.
pub trait DialectServer: Send + Sync + 'static {
    /// The dialect slug (`tenant`, `v1core`, `ndata`, `custno`, `odata`, `unified`).
    fn name(&self) -> &'static str;

    /// Registers the dialect's routes at its native paths. Called once per worker.
    fn configure(&self, cfg: &mut web::ServiceConfig);
}

pub type DynDialect = Arc<dyn DialectServer>;
