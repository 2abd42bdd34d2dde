#![doc = include_str!("../README.md")]

pub mod config;
pub mod convert;
pub mod error;
pub mod filter;
pub mod query;
mod routes;
pub mod validate;

use std::sync::Arc;

use actix_web::web;
use custgate_http::{ConfigError, DialectServer, DialectSetup, DynDialect};

pub use config::{GlobalConfig, TenantConfig};
pub use error::{Problem, PROBLEM_JSON};
pub use filter::parse_filter;
pub use routes::{location, BASE_PATH};

/// The facade's name, as a dialect slug.
pub const NAME: &str = "unified";

struct Server {
    settings: Arc<config::Settings>,
}

impl DialectServer for Server {
    fn name(&self) -> &'static str {
        NAME
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        routes::configure(cfg, self.settings.clone());
    }
}

/// Builds the facade's server from configuration, checking it once: the page limits of
/// `[dialects.unified]` and the bearer tokens of every `[tenants.<id>.unified]` (each
/// token names exactly one tenant).
pub fn server(setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
    let settings = config::Settings::from_setup(setup)?;
    Ok(Arc::new(Server {
        settings: Arc::new(settings),
    }))
}
