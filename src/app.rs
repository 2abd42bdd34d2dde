//! Assembles the application: the store, every enabled dialect and the facade on one
//! actix-web server, plus `/healthz`, `/readyz` and `/metrics`.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{self, from_fn};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use custgate_core::{DynStore, MemoryStore, TenantId};
use custgate_gateway::{GatewayStore, Ledger};
use custgate_http::observe::{metrics_handler, observe};
use custgate_http::report::report_headers;
use custgate_http::{ConfigError, DialectSetup, DynDialect, Metrics, TenantSetup};
use custgate_store::{SqlStore, StoreConfig};
use custgate_upstream::UpstreamMetrics;

use crate::settings::{tenant_id, BackendSettings, Settings};

type DialectBuilder = fn(&DialectSetup) -> Result<DynDialect, ConfigError>;

/// Every dialect the gateway serves, by slug.
const BUILDERS: &[(&str, DialectBuilder)] = &[
    ("unified", custgate_unified::server),
    ("tenant", custgate_tenant::server),
    ("v1core", custgate_v1core::server),
    ("ndata", custgate_ndata::server),
    ("custno", custgate_custno::server),
    ("odata", custgate_odata::server),
];

/// The running gateway.
pub struct Application {
    port: u16,
    server: Server,
}

/// What `/readyz` checks.
struct Readiness {
    stores: Vec<(String, DynStore)>,
    /// Each upstream-backed tenant's gateway, for its circuit breaker's state.
    upstreams: Vec<(TenantId, Arc<GatewayStore>)>,
}

/// The embedded store, and the id crosswalk kept in it.
pub struct Embedded {
    pub store: DynStore,
    /// What gateway mode keeps in the store (the id crosswalk, idempotency keys).
    pub ledger: Ledger,
}

impl Application {
    /// Binds `settings.server.bind` and builds everything; nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let addr = settings.bind_addr()?;
        settings.check_bind(addr)?;
        let listener =
            TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        Self::build_with_listener(settings, listener).await
    }

    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let local = listener.local_addr()?;
        settings.check_bind(local)?;
        let Embedded { store, ledger } = open_store(&settings).await?;

        let mut tenants = Vec::new();
        let mut upstreams = Vec::new();
        for (id, t) in &settings.tenants {
            let id = tenant_id(id)?;
            let backend: DynStore = match &t.backend {
                BackendSettings::Embedded => store.clone(),
                BackendSettings::Upstream(u) => {
                    let gateway = Arc::new(custgate_gateway::connect(&id, u, &ledger)?);
                    tracing::info!(tenant = %id, upstream = u.name(), dialect = %u.dialect, "Tenant backed by an upstream");
                    upstreams.push((id.clone(), gateway.clone()));
                    gateway
                }
            };
            tenants.push((id, backend, t.dialects.clone()));
        }
        let gateway_mode = !upstreams.is_empty();

        let dialects = build_dialects(&settings, &tenants)?;

        let mut metrics = Metrics::new();
        if !upstreams.is_empty() {
            let upstream_metrics = Arc::new(UpstreamMetrics::new());
            upstream_metrics.register(metrics.registry_mut());
            for (_, gateway) in &upstreams {
                gateway.upstream().attach_metrics(upstream_metrics.clone());
            }
        }
        let metrics = web::Data::new(metrics);
        let readiness = web::Data::new(Readiness {
            stores: vec![(store.name().to_owned(), store.clone())],
            upstreams,
        });
        let dialects = Arc::new(dialects);
        // Bodies between the configured limit and twice it reach the dialects, which
        // answer 413 in their own envelopes; anything larger is cut off by actix.
        let payload_ceiling = settings.limits.max_body_bytes.saturating_mul(2);

        let mut server = HttpServer::new(move || {
            let dialects = dialects.clone();
            App::new()
                .app_data(metrics.clone())
                .app_data(readiness.clone())
                .app_data(web::PayloadConfig::new(payload_ceiling))
                .wrap(middleware::Condition::new(
                    gateway_mode,
                    from_fn(report_headers),
                ))
                .wrap(from_fn(observe))
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_handler))
                .configure(move |cfg| {
                    for d in dialects.iter() {
                        d.configure(cfg);
                    }
                })
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(address = %local, "Listening");
        Ok(Self {
            port: local.port(),
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish (up to
    /// `server.shutdown_timeout_secs`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// One tenant as the dialects are built for it: its id, its backend and its dialect
/// sections.
type Tenant = (TenantId, DynStore, BTreeMap<String, serde_json::Value>);

/// Builds every enabled dialect for `tenants`; each checks its own sections.
fn build_dialects(settings: &Settings, tenants: &[Tenant]) -> Result<Vec<DynDialect>, ConfigError> {
    let mut dialects: Vec<DynDialect> = Vec::new();
    for (name, build) in BUILDERS {
        if !settings.dialect_enabled(name) {
            tracing::info!(dialect = name, "Dialect disabled");
            continue;
        }
        let setup = DialectSetup {
            global: settings.dialect_section(name),
            tenants: tenants
                .iter()
                .map(|(id, store, sections)| TenantSetup {
                    id: id.clone(),
                    store: store.clone(),
                    config: sections.get(*name).cloned(),
                })
                .collect(),
            limits: settings.limits,
        };
        dialects.push(build(&setup)?);
    }
    Ok(dialects)
}

/// Checks what `serve` would check before it listens, without opening the store or
/// calling an upstream: the settings (already checked when loaded, upstream clients
/// included), every enabled dialect's sections and the bind address's policy.
pub fn check(settings: &Settings) -> Result<(), ConfigError> {
    settings.check_bind(settings.bind_addr()?)?;
    // The dialects read their sections only; any store stands in for the real one.
    let stand_in: DynStore = Arc::new(MemoryStore::new());
    let tenants = settings
        .tenants
        .iter()
        .map(|(id, t)| Ok((tenant_id(id)?, stand_in.clone(), t.dialects.clone())))
        .collect::<Result<Vec<Tenant>, ConfigError>>()?;
    build_dialects(settings, &tenants).map(drop)
}

/// Opens the embedded store: `memory://` for a throw-away in-memory store, else sqlx.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Embedded> {
    let config: StoreConfig = custgate_http::parse_section(&settings.store, "store")?;
    if config.url.starts_with("memory:") {
        tracing::warn!("Using the in-memory store: nothing survives a restart");
        let retention = config.idempotency_retention();
        return Ok(Embedded {
            store: Arc::new(MemoryStore::new().with_key_retention(retention)),
            ledger: Ledger::in_memory_keeping_keys(retention),
        });
    }
    let store = Arc::new(
        SqlStore::connect(&config)
            .await
            .context("cannot open the store")?,
    );
    Ok(Embedded {
        store: store.clone(),
        ledger: Ledger::in_store(store),
    })
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let mut ready = true;
    let mut checks = serde_json::Map::new();
    for (name, store) in &readiness.stores {
        let status = match store.health().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => {
                ready = false;
                tracing::warn!(store = %name, error = %e, "Store is not ready");
                format!("error: {}", e.kind())
            }
        };
        checks.insert(format!("store:{name}"), status.into());
    }
    // An open breaker is one tenant's upstream failing, not this instance: it is
    // reported, and the gateway stays ready for everyone else.
    let mut upstreams = serde_json::Map::new();
    for (tenant, gateway) in &readiness.upstreams {
        upstreams.insert(
            format!("{tenant}:{}", gateway.upstream().name()),
            gateway.upstream().breaker_state().as_str().into(),
        );
    }
    let mut body = serde_json::json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": checks,
    });
    if !upstreams.is_empty() {
        body["upstreams"] = upstreams.into();
    }
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "status": 404,
        "title": "Not Found",
        "detail": format!("no route for {} {}", req.method(), custgate_http::observe::redact_path(req.path())),
    }))
}
