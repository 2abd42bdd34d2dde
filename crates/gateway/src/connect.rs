//! Building a tenant's [`GatewayStore`] from its settings.

use std::sync::Arc;

use custgate_core::{CustomerStore, DynStore, Error, TenantId};
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
    let Built {
        client,
        handle,
        carry,
    } = client(settings.dialect, &section, &path)?;
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

/// A dialect's client, its HTTP plumbing and its `carried` conversion.
struct Built {
    client: DynStore,
    handle: Upstream,
    carry: Carry,
}

fn built<C: CustomerStore + 'static>(
    client: Result<C, Error>,
    path: &str,
    upstream: fn(&C) -> &Upstream,
    carry: Carry,
) -> Result<Built, SetupError> {
    let client = client.map_err(|e| setup_error(path, e.to_string()))?;
    Ok(Built {
        handle: upstream(&client).clone(),
        client: Arc::new(client),
        carry,
    })
}

/// Builds the dialect's client from its typed section.
fn client(
    dialect: UpstreamDialect,
    section: &serde_json::Value,
    path: &str,
) -> Result<Built, SetupError> {
    use custgate_custno as custno;
    use custgate_ndata as ndata;
    use custgate_odata as odata;
    use custgate_tenant as tenant;
    use custgate_v1core as v1core;
    match dialect {
        UpstreamDialect::Tenant => built(
            tenant::Client::new(typed(section, path)?),
            path,
            tenant::Client::upstream,
            tenant::convert::carried,
        ),
        UpstreamDialect::V1core => built(
            v1core::Client::new(typed(section, path)?),
            path,
            v1core::Client::upstream,
            v1core::convert::carried,
        ),
        UpstreamDialect::Ndata => built(
            ndata::Client::new(typed(section, path)?),
            path,
            ndata::Client::upstream,
            ndata::convert::carried,
        ),
        UpstreamDialect::Custno => built(
            custno::Client::new(&typed(section, path)?),
            path,
            custno::Client::upstream,
            custno::convert::carried,
        ),
        UpstreamDialect::Odata => built(
            odata::Client::new(typed(section, path)?),
            path,
            odata::Client::upstream,
            odata::convert::carried,
        ),
    }
}
