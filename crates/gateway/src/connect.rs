//! Building a tenant's [`GatewayStore`] from its settings.

use std::sync::Arc;

use custgate_core::{CustomerStore, DynStore, Error, ErrorKind, TenantId};
use custgate_upstream::Upstream;
use serde::de::DeserializeOwned;

use crate::crosswalk::{AliasTable, MemoryAliases};
use crate::keys::{KeyTable, MemoryKeys};
use crate::settings::{resolve_secrets, UpstreamDialect, UpstreamSettings};
use crate::store::{Carry, GatewayParts, GatewayStore};

/// What the gateway keeps in the embedded store for its upstream-backed tenants: the id
/// crosswalk and the idempotency keys of creates.
#[derive(Clone, Debug)]
pub struct Ledger {
    pub aliases: Arc<dyn AliasTable>,
    pub keys: Arc<dyn KeyTable>,
}

impl Ledger {
    /// Kept in the store's tables: they survive restarts and are shared by every gateway
    /// instance on the same PostgreSQL database.
    pub fn in_store(store: Arc<custgate_store::SqlStore>) -> Ledger {
        Ledger {
            aliases: store.clone(),
            keys: store,
        }
    }

    /// Kept in memory, for the `memory://` store and tests: lost on restart; keys are
    /// remembered for 24 hours.
    pub fn in_memory() -> Ledger {
        Ledger::in_memory_keeping_keys(custgate_core::memory::DEFAULT_KEY_RETENTION)
    }

    /// Kept in memory, keys remembered for `retention` from their first use.
    pub fn in_memory_keeping_keys(retention: std::time::Duration) -> Ledger {
        Ledger {
            aliases: Arc::new(MemoryAliases::default()),
            keys: Arc::new(MemoryKeys::new(retention)),
        }
    }
}

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

pub(crate) fn setup_error(path: &str, message: impl Into<String>) -> SetupError {
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
    ledger: &Ledger,
) -> Result<GatewayStore, SetupError> {
    let path = format!("tenants.{tenant}.backend.client");
    let mut section = settings.client.0.clone();
    resolve_secrets(&mut section, &path)?;
    name_upstream(&mut section, settings.name(), &path)?;
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
        aliases: ledger.aliases.clone(),
        keys: ledger.keys.clone(),
        carry,
        strict: settings.strict,
        max_scan: settings.max_scan,
    }))
}

/// Gives the client's `upstream` section the backend's name, so that errors, logs and
/// metrics tell two upstreams of one dialect apart. A different name set there is
/// refused: the backend's is the one the id crosswalk keys aliases by.
fn name_upstream(
    section: &mut serde_json::Value,
    name: &str,
    path: &str,
) -> Result<(), SetupError> {
    let Some(client) = section.as_object_mut() else {
        // The dialect's client reports a section that is not a table.
        return Ok(());
    };
    let upstream = client
        .entry("upstream")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    let Some(upstream) = upstream.as_object_mut() else {
        return Ok(());
    };
    match upstream.get("name") {
        None => {
            upstream.insert("name".into(), name.into());
            Ok(())
        }
        Some(given) if given.as_str() == Some(name) => Ok(()),
        Some(_) => Err(setup_error(
            &format!("{path}.upstream.name"),
            format!(
                "name the upstream with the backend's `name` (here '{name}'), not in its client section"
            ),
        )),
    }
}

fn typed<T: DeserializeOwned>(section: &serde_json::Value, path: &str) -> Result<T, SetupError> {
    // The error does not quote the value it found: the section holds secrets.
    T::deserialize(section).map_err(|e| {
        let mut message = custgate_core::redact::serde_message(&e.to_string()).into_owned();
        if message.starts_with("invalid type: integer, expected a string")
            || message.starts_with("invalid type: boolean, expected a string")
        {
            // A CUSTGATE__… override of digits (or true/false) arrives as a number (or a
            // boolean), whichever setting it is for.
            message.push_str(
                "; a value of digits or true/false set through a CUSTGATE__ variable is read \
                 as a number or a boolean: give it through `<key>_env` or `<key>_file`",
            );
        }
        setup_error(path, message)
    })
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
    let client = client.map_err(|e| match e.fields() {
        // A setting the client refused: named by its whole path.
        [f] if e.kind() == ErrorKind::Validation => {
            setup_error(&format!("{path}.{}", f.field), f.message.clone())
        }
        _ => setup_error(path, e.to_string()),
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_upstream_is_named_after_the_backend() {
        let mut section = json!({"token": "t", "upstream": {"base_url": "http://h/"}});
        name_upstream(&mut section, "erp-north", "p").unwrap();
        assert_eq!(section["upstream"]["name"], "erp-north");
        assert_eq!(section["upstream"]["base_url"], "http://h/");

        // No upstream table: one is made, and the client still says what it lacks.
        let mut section = json!({"token": "t"});
        name_upstream(&mut section, "odata", "p").unwrap();
        assert_eq!(section["upstream"], json!({"name": "odata"}));

        // The same name twice is fine; another is refused where it was set.
        let mut section = json!({"upstream": {"name": "erp-north"}});
        name_upstream(&mut section, "erp-north", "p").unwrap();
        let mut section = json!({"upstream": {"name": "other"}});
        let e = name_upstream(&mut section, "erp-north", "tenants.a.backend.client").unwrap_err();
        assert_eq!(e.path, "tenants.a.backend.client.upstream.name");
        assert!(e.message.contains("erp-north"), "{}", e.message);
    }

    #[test]
    fn two_upstreams_of_one_dialect_have_their_backends_names() {
        let settings = |name: Option<&str>| -> UpstreamSettings {
            serde_json::from_value(json!({
                "dialect": "odata",
                "name": name,
                "client": {
                    "token": "t",
                    "company_key": "11111111-1111-4111-8111-111111111111",
                    "upstream": {"base_url": "http://127.0.0.1:9/"}
                }
            }))
            .unwrap()
        };
        let tenant = TenantId::parse("demo").unwrap();
        let ledger = Ledger::in_memory();
        let named = connect(&tenant, &settings(Some("erp-north")), &ledger).unwrap();
        let unnamed = connect(&tenant, &settings(None), &ledger).unwrap();
        assert_eq!(named.upstream().name(), "erp-north");
        assert_eq!(unnamed.upstream().name(), "odata");
    }

    /// Each problem is named once, by the whole path of the setting at fault.
    #[test]
    fn a_refused_setting_is_named_by_its_whole_path() {
        let tenant = TenantId::parse("demo").unwrap();
        let ledger = Ledger::in_memory();
        let refused = |client: serde_json::Value| {
            let settings: UpstreamSettings =
                serde_json::from_value(json!({"dialect": "ndata", "client": client})).unwrap();
            let e = connect(&tenant, &settings, &ledger).unwrap_err();
            (e.path.clone(), e.message.clone(), e.to_string())
        };
        let (path, message, shown) = refused(json!({
            "user_name": "u", "password": "p", "upstream": {"base_url": "ftp://h/"}
        }));
        assert_eq!(path, "tenants.demo.backend.client.upstream.base_url");
        assert_eq!(message, "must be http or https");
        assert_eq!(shown, format!("{path}: {message}"));
        let (path, message, _) = refused(json!({
            "user_name": "u", "password": "p",
            "upstream": {"base_url": "http://h/", "max_concurrency": 0}
        }));
        assert_eq!(path, "tenants.demo.backend.client.upstream.max_concurrency");
        assert_eq!(message, "must be at least 1");
        let (path, message, _) = refused(json!({
            "user_name": "", "password": "p", "upstream": {"base_url": "http://h/"}
        }));
        assert_eq!(path, "tenants.demo.backend.client.user_name");
        assert_eq!(message, "must not be empty");
        let (path, message, _) = refused(json!({
            "user_name": "u", "password_env": "CUSTGATE_TEST_SURELY_UNSET",
            "upstream": {"base_url": "http://h/"}
        }));
        assert_eq!(path, "tenants.demo.backend.client.password_env");
        assert_eq!(
            message,
            "the environment variable CUSTGATE_TEST_SURELY_UNSET is not set"
        );
        // A secret of the wrong type (a number from an environment variable) is not quoted.
        let (path, message, _) = refused(json!({
            "user_name": "u", "password": 123456789, "upstream": {"base_url": "http://h/"}
        }));
        assert_eq!(path, "tenants.demo.backend.client");
        assert!(
            message.starts_with("invalid type: integer, expected a string; ")
                && message.contains("`<key>_env`"),
            "{message}"
        );
    }
}
