//! HTTP plumbing shared by the upstream clients of the five dialects.
//!
//! Every client builds its `reqwest::Client` with [`UpstreamConfig::build_client`] (pooled
//! connections, explicit connect and request timeouts, redirects never followed), reads
//! bodies with [`read_body`] (a size cap and a JSON depth cap on what comes back), and
//! turns transport failures and HTTP statuses into canonical errors with
//! [`transport_error`] and [`status_error`], so the five clients agree on what an
//! upstream failure means.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use custgate_core::{Error, ErrorKind};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Connection settings common to every upstream.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Base URL of the upstream system, e.g. `https://erp.example.com/`.
    pub base_url: String,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    /// The largest response body accepted.
    pub max_response_bytes: usize,
    /// The deepest JSON nesting accepted in a response.
    pub max_json_depth: usize,
    pub pool_max_idle_per_host: usize,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            connect_timeout_ms: 2_000,
            request_timeout_ms: 10_000,
            max_response_bytes: 8 * 1024 * 1024,
            max_json_depth: 64,
            pool_max_idle_per_host: 32,
        }
    }
}

impl UpstreamConfig {
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }

    /// The base URL, checked: http or https, with a trailing slash so that relative
    /// paths join below it.
    pub fn base(&self) -> Result<url::Url, Error> {
        let mut raw = self.base_url.trim().to_owned();
        if !raw.ends_with('/') {
            raw.push('/');
        }
        let url = url::Url::parse(&raw).map_err(|e| {
            Error::validation_field("base_url", format!("'{}' is not a URL: {e}", self.base_url))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::validation_field("base_url", "must be http or https"));
        }
        Ok(url)
    }

    /// A pooled client with the configured timeouts that never follows redirects.
    pub fn build_client(&self) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(self.connect_timeout_ms))
            .timeout(Duration::from_millis(self.request_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .user_agent(concat!("custgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::unexpected(format!("cannot build the HTTP client: {e}")))
    }

    /// `base` joined with a relative path (no leading slash).
    pub fn url(&self, path: &str) -> Result<url::Url, Error> {
        self.base()?
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::unexpected(format!("bad upstream path '{path}': {e}")))
    }
}

/// A canonical error for a request that got no HTTP answer.
pub fn transport_error(upstream: &str, e: &reqwest::Error) -> Error {
    let (kind, what) = if e.is_timeout() {
        (ErrorKind::UpstreamTimeout, "did not answer in time")
    } else if e.is_connect() {
        (ErrorKind::UpstreamUnavailable, "could not be reached")
    } else {
        (ErrorKind::UpstreamUnavailable, "failed")
    };
    // reqwest's message can hold the URL; no client puts a secret in a URL except ManEx,
    // whose client strips it before calling this.
    Error::new(kind, format!("upstream {upstream} {what}")).with_context("cause", e.to_string())
}

/// The canonical kind for an upstream HTTP status that is not a success.
pub fn status_kind(status: u16) -> ErrorKind {
    ErrorKind::from_http_status(status)
}

/// A canonical error for an upstream HTTP status, with the upstream's message.
pub fn status_error(upstream: &str, status: u16, message: impl Into<String>) -> Error {
    let kind = status_kind(status);
    let temporary = status >= 500 || status == 429 || status == 408;
    Error::new(kind, message.into())
        .with_context("upstream", upstream.to_owned())
        .with_context("upstream_status", status.to_string())
        .set_temporary(temporary)
}

/// Reads a response body, refusing more than `limit` bytes.
pub async fn read_body(
    upstream: &str,
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Bytes, Error> {
    if resp.content_length().is_some_and(|n| n as usize > limit) {
        return Err(too_large(upstream, limit));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(upstream, &e))?
    {
        if buf.len() + chunk.len() > limit {
            return Err(too_large(upstream, limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn too_large(upstream: &str, limit: usize) -> Error {
    Error::new(
        ErrorKind::UpstreamUnavailable,
        format!("upstream {upstream} answered with more than {limit} bytes"),
    )
    // The same call would get the same oversized answer: not worth a retry.
    .set_temporary(false)
}

/// Parses an upstream JSON body, refusing nesting deeper than `max_depth`.
pub fn parse_json<T: DeserializeOwned>(
    upstream: &str,
    bytes: &[u8],
    max_depth: usize,
) -> Result<T, Error> {
    if custgate_core::json::nesting_depth(bytes) > max_depth {
        return Err(Error::new(
            ErrorKind::UpstreamUnavailable,
            format!("upstream {upstream} answered JSON nested deeper than {max_depth} levels"),
        )
        .set_temporary(false));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorKind::UpstreamUnavailable,
            format!("upstream {upstream} answered with JSON we cannot read: {e}"),
        )
        .set_temporary(false)
    })
}

/// Sends a request and returns the status and the body (capped), mapping transport
/// failures. Redirects come back as their 3xx status, never followed.
pub async fn send(
    upstream: &str,
    config: &UpstreamConfig,
    request: reqwest::RequestBuilder,
) -> Result<(u16, reqwest::header::HeaderMap, Bytes), Error> {
    let resp = request
        .send()
        .await
        .map_err(|e| transport_error(upstream, &e))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = read_body(upstream, resp, config.max_response_bytes).await?;
    Ok((status, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{web, App, HttpResponse, HttpServer};

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(status_kind(404), ErrorKind::NotFound);
        assert_eq!(status_kind(400), ErrorKind::Validation);
        assert_eq!(status_kind(401), ErrorKind::UpstreamAuth);
        assert_eq!(status_kind(503), ErrorKind::UpstreamUnavailable);
        assert!(status_error("x", 503, "down").is_temporary());
        assert!(!status_error("x", 404, "gone").is_temporary());
        assert_eq!(status_kind(302), ErrorKind::UpstreamUnavailable);
    }

    #[test]
    fn base_urls_are_checked() {
        let c = UpstreamConfig::with_base_url("http://127.0.0.1:9/api");
        assert_eq!(
            c.url("customer").unwrap().as_str(),
            "http://127.0.0.1:9/api/customer"
        );
        assert!(UpstreamConfig::with_base_url("ftp://x").base().is_err());
        assert!(UpstreamConfig::with_base_url("nope").base().is_err());
    }

    #[test]
    fn deep_json_is_refused() {
        assert!(parse_json::<serde_json::Value>("u", b"[[[1]]]", 2).is_err());
        assert!(parse_json::<serde_json::Value>("u", b"[[1]]", 2).is_ok());
        let e = parse_json::<serde_json::Value>("u", b"{", 2).unwrap_err();
        assert!(!e.is_temporary());
    }

    #[actix_rt::test]
    async fn bodies_are_capped_and_redirects_not_followed() {
        let srv = HttpServer::new(|| {
            App::new()
                .route(
                    "/big",
                    web::get().to(|| async { HttpResponse::Ok().body(vec![b'x'; 4096]) }),
                )
                .route(
                    "/redirect",
                    web::get().to(|| async {
                        HttpResponse::Found()
                            .insert_header(("Location", "http://127.0.0.2:1/"))
                            .finish()
                    }),
                )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = srv.addrs()[0].port();
        let handle = srv.run();
        let h = handle.handle();
        actix_rt::spawn(handle);

        let mut cfg = UpstreamConfig::with_base_url(format!("http://127.0.0.1:{port}/"));
        cfg.max_response_bytes = 1024;
        let client = cfg.build_client().unwrap();
        let err = send("t", &cfg, client.get(cfg.url("big").unwrap()))
            .await
            .unwrap_err();
        assert!(err.message().contains("more than 1024 bytes"));
        let (status, _, _) = send("t", &cfg, client.get(cfg.url("redirect").unwrap()))
            .await
            .unwrap();
        assert_eq!(status, 302);

        let dead = UpstreamConfig::with_base_url("http://127.0.0.1:1/");
        let err = send("t", &dead, client.get(dead.url("x").unwrap()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UpstreamUnavailable);
        h.stop(false).await;
    }
}
