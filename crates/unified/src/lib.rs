//! The unified facade (skeleton: being implemented).

use actix_web::web;
use custgate_http::{ConfigError, DialectServer, DialectSetup, DynDialect};

struct Server;

impl DialectServer for Server {
    fn name(&self) -> &'static str {
        "unified"
    }

    fn configure(&self, _cfg: &mut web::ServiceConfig) {}
}

/// Builds the facade's server from configuration.
pub fn server(_setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
    Ok(std::sync::Arc::new(Server))
}
