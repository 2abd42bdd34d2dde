//! A dialect's client as a library: a PORTOS NData system used as a `CustomerStore`, with
//! canonical customers and queries, and custgate's query planner for what NData cannot
//! filter on itself.
//!
//! With `NDATA_URL`, `NDATA_USER` and `NDATA_PASSWORD` set, it talks to that system (it
//! creates one customer there, with an external id of `custgate-example-<random>`, and
//! deletes it at the end). Without them it starts a stand-in on a loopback port: this
//! crate's own NData server over a `MemoryStore`.
//!
//! ```toml
//! [dependencies]
//! custgate-core = { path = "crates/core" }
//! custgate-ndata = { path = "crates/dialects/ndata", features = ["client"] }
//! tokio = { version = "1", features = ["macros", "rt"] }
//! ```
//!
//! ```text
//! cargo run --example upstream_client
//! NDATA_URL=https://ndata.example/api/ NDATA_USER=… NDATA_PASSWORD=… cargo run --example upstream_client
//! ```

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpServer};
use custgate_core::plan;
use custgate_core::{
    CreateOptions, Customer, CustomerId, CustomerStore, Email, Field, Filter, Key, MemoryStore,
    Query, SortKey, TenantId, TextOp,
};
use custgate_http::{DialectSetup, Limits, TenantSetup};
use custgate_ndata::{Client, ClientConfig};
use serde_json::json;

/// The stand-in's user `demo`, password `demo` (the development user of
/// `config/default.toml`).
const DEMO_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$NLOo++fne7Qn05aX/Gfajg$62gzExpHSttRbQr07m9NAoOMs5l78bMhvdRaAoorCSE";

/// The most records the planner may fetch to run a filter NData cannot run itself.
const MAX_SCAN: usize = 1000;

/// Starts this crate's own NData server over a `MemoryStore` on a loopback port, in the
/// background, and returns its base URL.
fn stand_in() -> anyhow::Result<String> {
    let server = custgate_ndata::server(&DialectSetup {
        global: json!({}),
        tenants: vec![TenantSetup {
            id: TenantId::parse("demo")?,
            store: Arc::new(MemoryStore::new()),
            config: Some(json!({
                "users": [{ "user_name": "demo", "password_hash": DEMO_HASH, "rights": ["admin"] }]
            })),
        }],
        limits: Limits::default(),
    })?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}/", listener.local_addr()?);
    let running = HttpServer::new(move || {
        let server = server.clone();
        App::new().configure(move |cfg| server.configure(cfg))
    })
    .workers(1)
    .listen(listener)?
    .run();
    actix_web::rt::spawn(running);
    Ok(base)
}

/// What the walk through found, for the test to check.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Seen {
    found: usize,
    listed: Vec<String>,
    explain: String,
    refused: String,
}

/// Creates a customer, finds it, lists with a filter NData runs and one it cannot, updates
/// it and deletes it, printing what each step gives.
async fn walk_through(client: &Client) -> anyhow::Result<Seen> {
    // The tenant is the gateway's notion; a client talks to one system and ignores it.
    let tenant = TenantId::parse("demo")?;
    let external_id = format!("custgate-example-{}", CustomerId::generate());
    // `Customer::new()`: a blank record with a fresh id (NData keeps the client's ids).
    let mut customer = Customer::new();
    customer.external_id = Some(external_id.clone());
    customer.name.first = Some("Jana".into());
    customer.name.last = Some("Nováková".into());
    customer.emails.push(Email {
        address: "jana.novakova@example.sk".into(),
        default: true,
        ..Email::default()
    });
    let created = client
        .create(&tenant, customer, CreateOptions::default())
        .await?;
    println!("created {} (version {})", created.id, created.version);

    // Lookups by a key the capability says the system can find by.
    let cap = client.capability();
    println!("NData finds by external id: {}", cap.find.external_id);
    let found = client.find(&tenant, &Key::ExternalId(external_id)).await?;
    println!("found by external id: {} customer(s)", found.len());

    // A query NData runs itself: its free-text search, sorted by last name.
    let search = Query {
        filter: Some(Filter::Search("Nováková".into())),
        sort: vec![SortKey::asc(Field::LastName)],
        limit: Some(10),
        ..Query::default()
    };
    let page = client.query(&tenant, &search).await?;
    let listed = page
        .items
        .iter()
        .map(|c| c.display_name().unwrap_or_default())
        .collect::<Vec<_>>();
    println!("found by search: {listed:?}");

    // A filter NData has no syntax for (it filters on ids, cards, rates and status only):
    // the client refuses it rather than ignore it...
    let by_last_name = Query::filtered(Filter::Text {
        field: Field::LastName,
        op: TextOp::Contains,
        value: "nová".into(),
        case_insensitive: true,
    });
    let refused = client
        .query(&tenant, &by_last_name)
        .await
        .unwrap_err()
        .to_string();
    println!("the client alone: {refused}");
    // ...and the planner runs it in the process over what NData can narrow it to (here a
    // search for the same text), fetching at most MAX_SCAN records.
    let (page, explain) = plan::execute(client, &tenant, &by_last_name, MAX_SCAN).await?;
    println!(
        "through the planner: {} customer(s); {explain}",
        page.items.len()
    );

    // A conditional update: it fails if someone changed the customer in between.
    let mut changed = created.clone();
    changed.emails[0].address = "jana@example.sk".into();
    let updated = client
        .update(&tenant, changed, Some(created.version))
        .await?;
    println!("updated to version {}", updated.version);
    client.delete(&tenant, &created.id, None).await?;
    println!("deleted {}", created.id);
    Ok(Seen {
        found: found.len(),
        listed,
        explain: explain.to_string(),
        refused,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = match std::env::var("NDATA_URL") {
        Ok(url) => ClientConfig::new(
            url,
            std::env::var("NDATA_USER")?,
            std::env::var("NDATA_PASSWORD")?,
        ),
        Err(_) => {
            // The stand-in runs on actix's runtime; a local set lets it share this one.
            let base = stand_in_in_background()?;
            println!("no NDATA_URL: using a stand-in at {base}");
            ClientConfig::new(base, "demo", "demo")
        }
    };
    // Timeouts, retries, the circuit breaker and body limits are `config.upstream`'s.
    let client = Client::new(config)?;
    walk_through(&client).await?;
    Ok(())
}

/// [`stand_in`] on a thread of its own, as a real NData system would be elsewhere.
fn stand_in_in_background() -> anyhow::Result<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let started = stand_in();
            let ok = started.is_ok();
            let _ = tx.send(started);
            if ok {
                std::future::pending::<()>().await;
            }
        });
    });
    rx.recv()?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_through_works_against_the_stand_in() {
        let base = stand_in_in_background().unwrap();
        let client = Client::new(ClientConfig::new(base, "demo", "demo")).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let seen = rt.block_on(walk_through(&client)).unwrap();
        assert_eq!(seen.found, 1);
        assert_eq!(seen.listed, ["Jana Nováková"]);
        assert!(
            seen.refused.contains("does not support"),
            "{}",
            seen.refused
        );
        assert!(seen.explain.contains("local: filter"), "{}", seen.explain);
    }
}
