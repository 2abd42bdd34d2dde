//! Building a tenant's [`GatewayStore`] from its settings.

use std::sync::Arc;

use custgate_core::{Customer, DynStore, Error, TenantId};
use custgate_upstream::Upstream;
use serde::de::DeserializeOwned;

use crate::crosswalk::AliasTable;
use crate::settings::{resolve_secrets, UpstreamDialect, UpstreamSettings};
use crate::store::{Carry, GatewayParts, GatewayStore};

/// A configuration problem, with the path of the offending setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for SetupError {}

fn setup_error(path: &str, message: impl Into<String>) -> SetupError {
    SetupError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Connects a tenant to its upstream: types the client section (secrets resolved from
/// the environment and files), builds the dialect's client and wraps it. Nothing is
/// called upstream yet.
pub fn connect(
    tenant: &TenantId,
    settings: &UpstreamSettings,
    aliases: Arc<dyn AliasTable>,
) -> Result<GatewayStore, SetupError> {
    let path = format!("tenants.{tenant}.backend.client");
    let mut section = settings.client.0.clone();
    resolve_secrets(&mut section, &path).map_err(|m| SetupError {
        path: path.clone(),
        message: m,
    })?;
    let ((client, handle), carry) = client(settings.dialect, &section, &path)?;
    Ok(GatewayStore::new(GatewayParts {
        dialect: settings.dialect,
        upstream: settings.name().to_owned(),
        client,
        handle,
        aliases,
        carry,
        strict: settings.strict,
        max_scan: settings.max_scan,
    }))
}

fn typed<T: DeserializeOwned>(section: &serde_json::Value, path: &str) -> Result<T, SetupError> {
    T::deserialize(section).map_err(|e| setup_error(path, e.to_string()))
}

/// A dialect client that goes through a [`custgate_upstream::Upstream`].
trait UpstreamClient: custgate_core::CustomerStore + Sized + 'static {
    fn handle(&self) -> &Upstream;
}

macro_rules! upstream_client {
    ($($t:ty),*) => {$(
        impl UpstreamClient for $t {
            fn handle(&self) -> &Upstream {
                self.upstream()
            }
        }
    )*};
}

upstream_client!(
    custgate_tenant::Client,
    custgate_v1core::Client,
    custgate_ndata::Client,
    custgate_custno::Client,
    custgate_odata::Client
);

fn built<C: UpstreamClient>(
    client: Result<C, Error>,
    path: &str,
) -> Result<(DynStore, Upstream), SetupError> {
    let client = client.map_err(|e| setup_error(path, e.to_string()))?;
    let handle = client.handle().clone();
    Ok((Arc::new(client), handle))
}

/// The dialect's client and its `carried` conversion.
fn client(
    dialect: UpstreamDialect,
    section: &serde_json::Value,
    path: &str,
) -> Result<((DynStore, Upstream), Carry), SetupError> {
    Ok(match dialect {
        UpstreamDialect::Tenant => (
            built(custgate_tenant::Client::new(typed(section, path)?), path)?,
            custgate_tenant::convert::carried as fn(&Customer) -> Customer,
        ),
        UpstreamDialect::V1core => (
            built(custgate_v1core::Client::new(typed(section, path)?), path)?,
            custgate_v1core::convert::carried,
        ),
        UpstreamDialect::Ndata => (
            built(custgate_ndata::Client::new(typed(section, path)?), path)?,
            custgate_ndata::convert::carried,
        ),
        UpstreamDialect::Custno => (
            built(custgate_custno::Client::new(&typed(section, path)?), path)?,
            custgate_custno::convert::carried,
        ),
        UpstreamDialect::Odata => (
            built(custgate_odata::Client::new(typed(section, path)?), path)?,
            custgate_odata::convert::carried,
        ),
    })
}
