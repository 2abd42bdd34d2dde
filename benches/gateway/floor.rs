//! The bench's control: the least an actix-web front calling its upstream with reqwest
//! can cost. It serves `GET /api/customer/{name}` by sending the upstream the request
//! custgate sends (one worker, one pooled client, the same headers), parsing the answer
//! into a `serde_json::Value` and answering two of its fields: no authentication, no
//! translation, no planning, no resilience. The difference between this row and
//! custgate's is what custgate's own work costs; the difference between this row and
//! nginx's is what the framework costs.
//!
//! ```text
//! gateway-floor PORT UPSTREAM_URL_WITH_NAME_PLACEHOLDER [HEADER: VALUE]...
//! ```
//!
//! The upstream URL holds `{name}` where the (percent-encoded) name goes.

use actix_web::{web, App, HttpResponse, HttpServer};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

struct Upstream {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
}

fn usage() -> ! {
    eprintln!("usage: gateway-floor PORT UPSTREAM_URL [HEADER: VALUE]...");
    std::process::exit(2)
}

async fn lookup(up: web::Data<Upstream>, name: web::Path<String>) -> HttpResponse {
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    let url = up.url.replace("{name}", &encoded.to_string());
    let answer = async {
        let res = up.http.get(&url).headers(up.headers.clone()).send().await?;
        res.bytes().await
    }
    .await;
    let Ok(body) = answer else {
        return HttpResponse::BadGateway().finish();
    };
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => HttpResponse::Ok().json(serde_json::json!({
            "cusId": v[0]["ID"],
            "cusName": v[0]["Info"]["Name"],
        })),
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        usage();
    }
    let port: u16 = args[0].parse().unwrap_or_else(|_| usage());
    let mut headers = HeaderMap::new();
    for h in &args[2..] {
        let (k, v) = h.split_once(':').unwrap_or_else(|| usage());
        let name = HeaderName::from_bytes(k.trim().as_bytes()).unwrap_or_else(|_| usage());
        let value = HeaderValue::from_str(v.trim()).unwrap_or_else(|_| usage());
        headers.insert(name, value);
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(std::io::Error::other)?;
    let upstream = web::Data::new(Upstream {
        http,
        url: args[1].clone(),
        headers,
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(upstream.clone())
                .route("/api/customer/{name}", web::get().to(lookup))
        })
        .workers(1)
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })
}
