//! The `report` middleware: opens a [`custgate_core::report`] scope around each request
//! and turns what the backend recorded into response headers, in every dialect alike:
//!
//! - `X-Custgate-Dropped-Fields`: the canonical paths the upstream could not carry,
//!   comma-separated;
//! - `X-Custgate-Plan`: how each query was split between the upstream and the gateway
//!   (`pushed: …; local: …`), several plans separated by ` | `.
//!
//! The app installs it only when some tenant is backed by an upstream.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use custgate_core::report;

pub const DROPPED_FIELDS: HeaderName = HeaderName::from_static("x-custgate-dropped-fields");
pub const PLAN: HeaderName = HeaderName::from_static("x-custgate-plan");

/// Longest header value written; longer values are cut at a separator and end in `…`.
const MAX_HEADER: usize = 4096;

/// Use with `actix_web::middleware::from_fn(report_headers)`.
pub async fn report_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let (res, report) = report::scope(next.call(req)).await;
    let mut res = res?;
    if !report.dropped.is_empty() {
        insert(&mut res, DROPPED_FIELDS, &report.dropped.join(", "));
    }
    if !report.plans.is_empty() {
        insert(&mut res, PLAN, &report.plans.join(" | "));
    }
    Ok(res)
}

fn insert<B>(res: &mut ServiceResponse<B>, name: HeaderName, value: &str) {
    let value = header_safe(value);
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(name, v);
    }
}

/// Printable ASCII only (anything else becomes `?`), at most [`MAX_HEADER`] bytes.
fn header_safe(value: &str) -> String {
    let mut out: String = value
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    if out.len() > MAX_HEADER {
        let cut = out[..MAX_HEADER - 3]
            .rfind([',', ';', '|'])
            .unwrap_or(MAX_HEADER - 3);
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{test as atest, web, App, HttpResponse};

    #[actix_web::test]
    async fn recorded_losses_and_plans_become_headers() {
        let app = atest::init_service(
            App::new()
                .wrap(from_fn(report_headers))
                .route(
                    "/write",
                    web::post().to(|| async {
                        report::record_dropped(&["name.middle".into(), "locale.gender".into()]);
                        report::record_plan("pushed: filter(seq eq 1); local: none");
                        HttpResponse::Ok().finish()
                    }),
                )
                .route("/plain", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let res =
            atest::call_service(&app, atest::TestRequest::post().uri("/write").to_request()).await;
        assert_eq!(
            res.headers().get(DROPPED_FIELDS).unwrap(),
            "locale.gender, name.middle"
        );
        assert_eq!(
            res.headers().get(PLAN).unwrap(),
            "pushed: filter(seq eq 1); local: none"
        );
        let res =
            atest::call_service(&app, atest::TestRequest::get().uri("/plain").to_request()).await;
        assert!(res.headers().get(DROPPED_FIELDS).is_none());
        assert!(res.headers().get(PLAN).is_none());
    }

    #[test]
    fn header_values_stay_ascii_and_bounded() {
        assert_eq!(header_safe("name 'Zoë'"), "name 'Zo?'");
        let long = vec!["a.b"; 2000].join(", ");
        let safe = header_safe(&long);
        assert!(safe.len() <= MAX_HEADER);
        assert!(safe.ends_with("..."));
    }
}
