//! Dialect `ndata` (skeleton: being implemented).

#[cfg(feature = "server")]
mod skeleton {
    use actix_web::web;
    use custgate_http::{ConfigError, DialectServer, DialectSetup, DynDialect};

    struct Server;

    impl DialectServer for Server {
        fn name(&self) -> &'static str {
            "ndata"
        }

        fn configure(&self, _cfg: &mut web::ServiceConfig) {}
    }

    /// Builds the dialect's server from configuration.
    pub fn server(_setup: &DialectSetup) -> Result<DynDialect, ConfigError> {
        Ok(std::sync::Arc::new(Server))
    }
}

#[cfg(feature = "server")]
pub use skeleton::server;
