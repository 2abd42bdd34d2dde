//! What an operator sees of a failing upstream call when the log filter lets only warnings
//! through (a binary of its own: the subscriber is global, at WARN).

use custgate_testkit::LogBuffer;
use custgate_upstream::{Upstream, UpstreamConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::Instrument;

/// A server answering every request `500` with a short body.
async fn failing_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let body = b"database on fire";
                let head = format!(
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    base
}

/// Under a `warn` filter the upstream's failure is logged with the call's upstream and
/// operation, inside the front request's span (at ERROR level, so no filter drops it):
/// the `upstream.call` span itself is INFO, and a disabled span must not cut the warning
/// off from the request.
#[tokio::test]
async fn an_upstream_failure_logged_under_a_warn_filter_names_the_call_and_the_request() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .expect("the only subscriber of this binary");

    let base = failing_server().await;
    let mut config = UpstreamConfig::with_base_url(&base);
    config.retry.max_attempts = 1;
    let u = Upstream::new("flaky", config).unwrap();
    let rb = u.http().get(u.url("api/biz/customers/1").unwrap());
    let (status, _, _) = u
        .send("get", rb)
        .instrument(tracing::error_span!("request", request_id = "req-77"))
        .await
        .unwrap();
    assert_eq!(status, 500);

    let logged = logs.lines_with("database on fire");
    let line = logged
        .first()
        .unwrap_or_else(|| panic!("the upstream's answer is logged: {}", logs.text()));
    for part in [
        "request{request_id=\"req-77\"}: ",
        "upstream=flaky",
        "operation=\"get\"",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
}
