//! The load test's baseline: a bare actix-web server answering the facade's two measured
//! routes from memory (serialising the same canonical customers), with no auth, store,
//! middleware or translation. The gateway is measured against this.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use custgate_core::Customer;

// The gateway's allocator (src/main.rs), so that the ratio measures the gateway's work
// rather than a difference of allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Data {
    by_id: HashMap<String, Customer>,
    first_page: Vec<Customer>,
    total: usize,
}

async fn get(data: web::Data<Arc<Data>>, id: web::Path<String>) -> HttpResponse {
    match data.by_id.get(id.as_str()) {
        Some(c) => HttpResponse::Ok().json(c),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn list(data: web::Data<Arc<Data>>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "items": data.first_page,
        "next_cursor": "b2Zmc2V0PTEw",
        "total": data.total,
    }))
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18081".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut by_id = HashMap::with_capacity(n);
    let mut first_page = Vec::new();
    for i in 0..n {
        let c = custgate_load::sample_customer(i);
        if first_page.len() < 10 {
            first_page.push(c.clone());
        }
        by_id.insert(c.id.as_str().to_owned(), c);
    }
    let data = Arc::new(Data {
        by_id,
        first_page,
        total: n,
    });
    let workers = std::env::var("WORKERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(data.clone()))
                .route("/customers/{id}", web::get().to(get))
                .route("/customers", web::get().to(list))
        })
        .workers(workers)
        .bind(bind)?
        .run()
        .await
    })
}

#[path = "common.rs"]
mod custgate_load;
