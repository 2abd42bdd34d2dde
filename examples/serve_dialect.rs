//! One dialect served from your own actix-web application, over your own store: here
//! Unimicro's `api/biz/customers` (the `odata` dialect) for one company, over a
//! `MemoryStore`, next to a route of the application's own.
//!
//! Any `CustomerStore` can stand behind the routes: `custgate_store::SqlStore` (SQLite or
//! PostgreSQL), a `MemoryStore`, your own database's implementation, or another system
//! reached through a dialect's client (see `upstream_client.rs`).
//!
//! ```toml
//! [dependencies]
//! custgate-core = { path = "crates/core" }
//! custgate-http = { path = "crates/http" }
//! custgate-odata = { path = "crates/dialects/odata", features = ["server"] }
//! actix-web = "4"
//! ```
//!
//! ```text
//! cargo run --example serve_dialect            # listens on 127.0.0.1:8089
//! curl -H 'Authorization: Bearer example-token' \
//!      -H 'CompanyKey: 33333333-3333-4333-8333-333333333333' \
//!      -H 'Content-Type: application/json' \
//!      -d '{"Info": {"Name": "Ola Nordmann"}}' http://127.0.0.1:8089/api/biz/customers
//! curl -H 'Authorization: Bearer example-token' \
//!      -H 'CompanyKey: 33333333-3333-4333-8333-333333333333' \
//!      'http://127.0.0.1:8089/api/biz/customers?filter=contains(Info.Name,%27Nordmann%27)'
//! ```

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use custgate_core::{DynStore, MemoryStore, TenantId};
use custgate_http::{ConfigError, DialectSetup, DynDialect, Limits, TenantSetup};
use serde_json::json;

/// The company's key, which clients send in the `CompanyKey` header.
const COMPANY_KEY: &str = "33333333-3333-4333-8333-333333333333";
/// The bearer token allowed to use it. Outside development, configure `sha256:<hex>` of
/// the token rather than the token itself.
const TOKEN: &str = "example-token";

/// The odata dialect for one tenant over `store`, configured as `config/default.toml`
/// configures it: the dialect checks its sections here, once, with the offending
/// setting's path in the error.
fn odata_over(store: DynStore) -> Result<DynDialect, ConfigError> {
    let tenant = TenantId::parse("example").expect("a valid tenant id");
    custgate_odata::server(&DialectSetup {
        global: json!({ "max_top": 500 }),
        tenants: vec![TenantSetup {
            id: tenant,
            store,
            config: Some(json!({ "company_key": COMPANY_KEY, "tokens": [TOKEN] })),
        }],
        limits: Limits::default(),
    })
}

/// The application: the dialect's routes at their native paths, and a route of its own.
fn serve(listener: TcpListener, dialect: DynDialect) -> std::io::Result<Server> {
    Ok(HttpServer::new(move || {
        let dialect = dialect.clone();
        App::new()
            .route(
                "/hello",
                web::get().to(|| async { HttpResponse::Ok().body("hello") }),
            )
            .configure(move |cfg| dialect.configure(cfg))
    })
    .listen(listener)?
    .run())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let store: DynStore = Arc::new(MemoryStore::new());
    let dialect = odata_over(store).map_err(std::io::Error::other)?;
    let listener = TcpListener::bind("127.0.0.1:8089")?;
    println!(
        "serving api/biz/customers on http://{}",
        listener.local_addr()?
    );
    serve(listener, dialect)?.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[actix_web::test]
    async fn the_embedded_dialect_answers_at_its_native_paths() {
        let store = Arc::new(MemoryStore::new());
        let dialect = odata_over(store.clone()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = serve(listener, dialect).unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);

        let http = reqwest::Client::new();
        let authed =
            |req: reqwest::RequestBuilder| req.bearer_auth(TOKEN).header("CompanyKey", COMPANY_KEY);
        let created = authed(http.post(format!("{base}/api/biz/customers")))
            .json(&json!({ "Info": { "Name": "Ola Nordmann" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let body: Value = created.json().await.unwrap();
        assert_eq!(body["Info"]["Name"], "Ola Nordmann");

        let listed: Value = authed(http.get(format!("{base}/api/biz/customers")))
            .query(&[("filter", "contains(Info.Name,'Nordmann')")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

        // The dialect's own envelope for a wrong token; the application's own route.
        let refused = http
            .get(format!("{base}/api/biz/customers"))
            .bearer_auth("wrong")
            .header("CompanyKey", COMPANY_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let hello = http.get(format!("{base}/hello")).send().await.unwrap();
        assert_eq!(hello.text().await.unwrap(), "hello");
        handle.stop(true).await;
    }

    #[test]
    fn a_bad_section_is_named() {
        let e = custgate_odata::server(&DialectSetup {
            global: json!({ "max_top": 0 }),
            tenants: vec![],
            limits: Limits::default(),
        })
        .err()
        .unwrap();
        assert!(e.path.contains("max_top"), "{e}");
    }
}
