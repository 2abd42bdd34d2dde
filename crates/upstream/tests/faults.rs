//! [`Upstream::send`] against misbehaving servers on loopback: raw TCP listeners that
//! refuse, hang, fail, rate-limit, redirect, trickle or flood. Timeouts and backoffs are
//! small so that the whole file runs in a few seconds.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use custgate_core::ErrorKind;
use custgate_upstream::{parse_json, BreakerState, Upstream, UpstreamConfig, UpstreamMetrics};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

/// The request line of what a server received.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
    /// The header lines, as sent.
    head: String,
    body: Vec<u8>,
}

/// A server on 127.0.0.1 and the number of requests it has read.
struct Server {
    base: String,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Serves each connection with `handler(n, request, stream)`, `n` counting requests
/// from 1. One request per connection: answers should say `Connection: close`.
async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(usize, Request, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let handler = Arc::new(handler);
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                if let Some(request) = read_request(&mut stream).await {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    handler(n, request, stream).await;
                }
            });
        }
    });
    Server { base, hits }
}

/// Reads a request's head and its body (by `Content-Length`).
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut parts = head.split_whitespace();
    Some(Request {
        method: parts.next()?.to_owned(),
        target: parts.next()?.to_owned(),
        body: buf[head_end..head_end + length].to_vec(),
        head,
    })
}

/// Writes a complete answer and closes the connection.
async fn respond(mut stream: TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} Status\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// Small timeouts and backoffs, a breaker that stays out of the way unless a test wants
/// it, and no limit that a test does not set itself.
fn config(base: &str) -> UpstreamConfig {
    let mut c = UpstreamConfig::with_base_url(base);
    c.connect_timeout_ms = 500;
    c.request_timeout_ms = 1_000;
    c.retry.max_attempts = 3;
    c.retry.initial_backoff_ms = 5;
    c.retry.max_backoff_ms = 20;
    c.breaker.failure_threshold = 1_000;
    c
}

fn upstream(config: UpstreamConfig) -> Upstream {
    Upstream::new("faulty", config).unwrap()
}

async fn get(u: &Upstream, path: &str) -> Result<(u16, Vec<u8>), custgate_core::Error> {
    let rb = u.http().get(u.url(path).unwrap());
    u.send("get", rb).await.map(|(s, _, b)| (s, b.to_vec()))
}

/// The metrics as a Prometheus scrape would see them, under the application's prefix.
fn scrape(metrics: &UpstreamMetrics) -> String {
    let mut registry = prometheus_client::registry::Registry::with_prefix("custgate");
    metrics.register(&mut registry);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
    out
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_temporary_and_retried_even_for_a_post() {
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let metrics = Arc::new(UpstreamMetrics::new());
    let u = upstream(config(&dead));
    u.attach_metrics(metrics.clone());
    let started = Instant::now();
    let e = get(&u, "API/Customer/Get/PATHSECRET").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
    assert!(!format!("{e} {e:?}").contains("PATHSECRET"), "{e:?}");
    // Nothing was sent, so even a POST is tried again.
    let rb = u.http().post(u.url("create").unwrap()).body("{}");
    let e = u.send("create", rb).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(started.elapsed() < Duration::from_secs(2));
    let text = scrape(&metrics);
    for operation in ["get", "create"] {
        let line = format!(
            "custgate_upstream_requests_total{{upstream=\"faulty\",operation=\"{operation}\",outcome=\"unavailable\"}} 3"
        );
        assert!(text.contains(&line), "{line} not in {text}");
    }
}

#[tokio::test]
async fn a_server_that_accepts_and_hangs_times_out_at_the_request_timeout() {
    let server = serve(|_, _, stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let mut c = config(&server.base);
    c.request_timeout_ms = 300;
    c.retry.max_attempts = 2;
    let u = upstream(c);
    let started = Instant::now();
    let e = get(&u, "slow").await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::UpstreamTimeout, "{e:?}");
    assert!(e.is_temporary());
    // Two attempts of 300 ms and a backoff of at most 20 ms.
    assert_eq!(server.hits(), 2);
    assert!(took >= Duration::from_millis(600), "{took:?}");
    assert!(took < Duration::from_millis(1_500), "{took:?}");
}

#[tokio::test]
async fn a_post_that_times_out_is_not_sent_again() {
    let server = serve(|_, _, stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let mut c = config(&server.base);
    c.request_timeout_ms = 200;
    let u = upstream(c);
    let rb = u.http().post(u.url("customers").unwrap()).body("{}");
    let e = u.send("create", rb).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamTimeout);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn repeated_500s_are_retried_then_open_the_breaker_which_half_opens_and_closes() {
    let failing = Arc::new(AtomicBool::new(true));
    let mode = failing.clone();
    let server = serve(move |_, _, stream| {
        let failing = mode.load(Ordering::SeqCst);
        async move {
            if failing {
                respond(stream, 500, &[], b"{\"error\":\"boom\"}").await;
            } else {
                respond(stream, 200, &[], b"[]").await;
            }
        }
    })
    .await;
    let mut c = config(&server.base);
    c.breaker.failure_threshold = 4;
    c.breaker.open_ms = 300;
    let metrics = Arc::new(UpstreamMetrics::new());
    let u = upstream(c);
    u.attach_metrics(metrics.clone());

    // Three attempts, each a failure; the answer is the last 500.
    assert_eq!(get(&u, "customers").await.unwrap().0, 500);
    assert_eq!(server.hits(), 3);
    assert_eq!(u.breaker_state(), BreakerState::Closed);
    // The fourth failure opens the circuit: no third attempt, the 500 comes back.
    assert_eq!(get(&u, "customers").await.unwrap().0, 500);
    assert_eq!(server.hits(), 4);
    assert_eq!(u.breaker_state(), BreakerState::Open);
    assert!(scrape(&metrics).contains("custgate_upstream_breaker_state{upstream=\"faulty\"} 2"));

    // Open: fails at once without touching the server.
    let started = Instant::now();
    let e = get(&u, "customers").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(50));
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
    assert!(e.message().contains("circuit open until"), "{e}");
    assert_eq!(e.context_value("retry_after"), Some("1"));
    assert_eq!(server.hits(), 4);

    // Half-open once its time is up; a successful trial closes it.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(u.breaker_state(), BreakerState::HalfOpen);
    failing.store(false, Ordering::SeqCst);
    assert_eq!(get(&u, "customers").await.unwrap().0, 200);
    assert_eq!(server.hits(), 5);
    assert_eq!(u.breaker_state(), BreakerState::Closed);

    let text = scrape(&metrics);
    for line in [
        "custgate_upstream_requests_total{upstream=\"faulty\",operation=\"get\",outcome=\"http_5xx\"} 4",
        // The second call's refused retry and the third call.
        "custgate_upstream_requests_total{upstream=\"faulty\",operation=\"get\",outcome=\"circuit_open\"} 2",
        "custgate_upstream_requests_total{upstream=\"faulty\",operation=\"get\",outcome=\"ok\"} 1",
        "custgate_upstream_request_duration_seconds_count{upstream=\"faulty\",operation=\"get\"} 5",
        "custgate_upstream_breaker_state{upstream=\"faulty\"} 0",
    ] {
        assert!(text.contains(line), "{line} not in {text}");
    }
}

#[tokio::test]
async fn a_failed_trial_opens_the_breaker_again() {
    let server = serve(|_, _, stream| respond(stream, 503, &[], b"")).await;
    let mut c = config(&server.base);
    c.retry.max_attempts = 1;
    c.breaker.failure_threshold = 1;
    c.breaker.open_ms = 150;
    let u = upstream(c);
    assert_eq!(get(&u, "x").await.unwrap().0, 503);
    assert_eq!(u.breaker_state(), BreakerState::Open);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(u.breaker_state(), BreakerState::HalfOpen);
    assert_eq!(get(&u, "x").await.unwrap().0, 503);
    assert_eq!(u.breaker_state(), BreakerState::Open);
    assert!(get(&u, "x").await.is_err());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_429_with_a_short_retry_after_is_waited_for_and_retried() {
    let server = serve(|n, _, stream| async move {
        if n == 1 {
            respond(stream, 429, &[("Retry-After", "1")], b"slow down").await;
        } else {
            respond(stream, 200, &[], b"ok").await;
        }
    })
    .await;
    let u = upstream(config(&server.base));
    let started = Instant::now();
    let (status, body) = get(&u, "x").await.unwrap();
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
    assert_eq!(server.hits(), 2);
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once_with_the_wait_asked_for() {
    let server = serve(|_, request, stream| async move {
        if request.target.ends_with("limited") {
            respond(stream, 429, &[("Retry-After", "3600")], b"").await;
        } else {
            // An HTTP-date far in the future.
            let date = "Fri, 01 Jan 2100 00:00:00 GMT";
            respond(stream, 503, &[("Retry-After", date)], b"").await;
        }
    })
    .await;
    let u = upstream(config(&server.base));
    let started = Instant::now();
    let e = get(&u, "limited").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.is_temporary());
    assert_eq!(e.context_value("retry_after"), Some("3600"));
    let e = get(&u, "down").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(
        e.context_value("retry_after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 3600
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn invalid_json_is_a_parse_error_that_is_not_temporary() {
    let server = serve(|_, _, stream| respond(stream, 200, &[], b"{\"a\": [1, 2")).await;
    let u = upstream(config(&server.base));
    let (status, body) = get(&u, "x").await.unwrap();
    assert_eq!(status, 200);
    let e =
        parse_json::<serde_json::Value>(u.name(), &body, u.config().max_json_depth).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(!e.is_temporary());
    assert!(e.message().contains("cannot read"), "{e}");
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let e = parse_json::<serde_json::Value>(u.name(), deep.as_bytes(), 64).unwrap_err();
    assert!(e.message().contains("deeper than 64"), "{e}");
    assert_eq!(server.hits(), 1);
}

/// A server answering 50 MiB, with or without a `Content-Length`; it records how much it
/// managed to write before the client hung up.
async fn flood(declare_length: bool) -> (Server, Arc<AtomicUsize>, Arc<AtomicBool>) {
    const TOTAL: usize = 50 * 1024 * 1024;
    let written = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let (w, f) = (written.clone(), finished.clone());
    let server = serve(move |_, _, mut stream| {
        let (written, finished) = (w.clone(), f.clone());
        async move {
            let head = if declare_length {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {TOTAL}\r\n\r\n")
            } else {
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_owned()
            };
            if stream.write_all(head.as_bytes()).await.is_ok() {
                let chunk = vec![b'x'; 64 * 1024];
                while written.load(Ordering::SeqCst) < TOTAL {
                    if stream.write_all(&chunk).await.is_err() {
                        break;
                    }
                    written.fetch_add(chunk.len(), Ordering::SeqCst);
                }
            }
            finished.store(true, Ordering::SeqCst);
        }
    })
    .await;
    (server, written, finished)
}

#[tokio::test]
async fn a_50_mib_body_is_refused_quickly_without_being_read() {
    for declare_length in [true, false] {
        let (server, written, finished) = flood(declare_length).await;
        let mut c = config(&server.base);
        c.max_response_bytes = 1024 * 1024;
        let u = upstream(c);
        let started = Instant::now();
        let e = get(&u, "big").await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{declare_length}"
        );
        assert!(e.message().contains("more than 1048576 bytes"), "{e}");
        assert!(!e.is_temporary());
        // Not retried: the same call would get the same answer.
        assert_eq!(server.hits(), 1);
        // The client hung up: the server stopped long before 50 MiB (what it wrote
        // beyond the limit sits in the loopback's socket buffers).
        let deadline = Instant::now() + Duration::from_secs(2);
        while !finished.load(Ordering::SeqCst) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(finished.load(Ordering::SeqCst), "{declare_length}");
        let sent = written.load(Ordering::SeqCst);
        assert!(sent < 20 * 1024 * 1024, "{declare_length}: {sent} bytes");
    }
}

#[tokio::test]
async fn a_redirect_comes_back_as_its_status_and_its_target_is_never_contacted() {
    let elsewhere = serve(|_, _, stream| respond(stream, 200, &[], b"followed")).await;
    let location = format!("{}stolen", elsewhere.base);
    let server = serve(move |_, _, stream| {
        let location = location.clone();
        async move { respond(stream, 302, &[("Location", &location)], b"").await }
    })
    .await;
    let u = upstream(config(&server.base));
    let rb = u.http().get(u.url("moved").unwrap());
    let (status, headers, _) = u.send("get", rb).await.unwrap();
    assert_eq!(status, 302);
    assert!(headers.contains_key("location"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(elsewhere.hits(), 0);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_body_trickling_past_the_timeout_times_out() {
    let server = serve(|_, _, mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..100 {
            if stream.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let mut c = config(&server.base);
    c.request_timeout_ms = 300;
    c.retry.max_attempts = 1;
    let u = upstream(c);
    let started = Instant::now();
    let e = get(&u, "trickle").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamTimeout, "{e:?}");
    assert!(e.is_temporary());
    assert!(started.elapsed() < Duration::from_millis(1_000));
}

#[tokio::test]
async fn a_post_answered_500_is_sent_exactly_once() {
    let methods = Arc::new(Mutex::new(Vec::new()));
    let seen = methods.clone();
    let server = serve(move |_, request, stream| {
        seen.lock().unwrap().push(request.method);
        respond(stream, 500, &[], b"failed")
    })
    .await;
    let u = upstream(config(&server.base));
    let rb = u
        .http()
        .post(u.url("customers").unwrap())
        .body("{\"name\":\"x\"}");
    let (status, _, _) = u.send("create", rb).await.unwrap();
    assert_eq!(status, 500);
    assert_eq!(server.hits(), 1);
    // The same answer to an idempotent PUT is tried again.
    let rb = u.http().put(u.url("customers/1").unwrap()).body("{}");
    assert_eq!(u.send("update", rb).await.unwrap().0, 500);
    assert_eq!(*methods.lock().unwrap(), ["POST", "PUT", "PUT", "PUT"]);
}

#[tokio::test]
async fn a_login_is_retried_and_never_counts_as_a_write() {
    // The first attempt of each login meets a 503, the second succeeds.
    let server = serve(|n, _, stream| async move {
        let status = if n % 2 == 1 { 503 } else { 200 };
        respond(stream, status, &[], b"{}").await
    })
    .await;
    let u = upstream(config(&server.base));
    let login = || u.http().post(u.url("api/auth").unwrap()).body("{}");
    let (result, writes) = custgate_upstream::count_writes(u.send_session("login", login())).await;
    assert_eq!(result.unwrap().0, 200, "the 503 was retried");
    assert_eq!(server.hits(), 2);
    assert_eq!(writes, 0, "a login changes no customer");
    // The same POST sent as a write is neither retried nor left uncounted.
    let (result, writes) = custgate_upstream::count_writes(u.send("create", login())).await;
    assert_eq!(result.unwrap().0, 503);
    assert_eq!(server.hits(), 3);
    assert_eq!(writes, 1);
}

/// A server that answers after `delay`, recording the most requests it had in hand at
/// once.
async fn slow_counting(delay: Duration) -> (Server, Arc<AtomicUsize>) {
    let current = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (c, m) = (current.clone(), most.clone());
    let server = serve(move |_, _, stream| {
        let (current, most) = (c.clone(), m.clone());
        async move {
            let now = current.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            current.fetch_sub(1, Ordering::SeqCst);
            respond(stream, 200, &[], b"ok").await;
        }
    })
    .await;
    (server, most)
}

#[tokio::test]
async fn no_more_calls_than_the_concurrency_limit_are_in_flight() {
    let (server, most) = slow_counting(Duration::from_millis(100)).await;
    let mut c = config(&server.base);
    c.max_concurrency = 2;
    let u = upstream(c);
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let u = u.clone();
            tokio::spawn(async move { get(&u, "x").await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().0, 200);
    }
    assert_eq!(server.hits(), 6);
    assert_eq!(most.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_call_that_finds_no_free_slot_within_the_request_timeout_fails_unavailable() {
    let (server, _) = slow_counting(Duration::from_millis(300)).await;
    let mut c = config(&server.base);
    c.max_concurrency = 1;
    c.request_timeout_ms = 400;
    c.retry.max_attempts = 1;
    let u = upstream(c);
    // The first holds the slot for 300 ms, the second then for 300 more; the third
    // gives up after waiting 400 ms.
    let mut calls = Vec::new();
    for _ in 0..3 {
        let u = u.clone();
        calls.push(tokio::spawn(async move { get(&u, "x").await }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.unwrap());
    }
    assert_eq!(results[0].as_ref().unwrap().0, 200);
    assert_eq!(results[1].as_ref().unwrap().0, 200);
    let e = results[2].as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpstreamUnavailable);
    assert!(e.is_temporary());
    assert!(e.message().contains("calls in flight"), "{e}");
    assert_eq!(server.hits(), 2);
}

/// A log sink for one test.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// The sink of the test capturing logs on this thread, if one does.
    static CAPTURE: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

/// Writes to this thread's capturing test, or nowhere.
struct ThreadSink;

impl Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| match &mut *c.borrow_mut() {
            Some(logs) => logs.write(buf),
            None => Ok(buf.len()),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stops capturing this thread's logs when dropped.
struct Capture;

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

/// Captures everything this crate and these tests log on this thread, at every level and
/// with span closes, until the guard drops. Each test runs on one thread (tokio's
/// current-thread runtime), so this is everything its calls log.
///
/// One global subscriber serves every test: a subscriber set per thread races with the
/// interest tracing caches per call site while other tests log on other threads, and then
/// misses events.
fn capture_logs() -> (Logs, Capture) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Not the HTTP stack's own debug lines, which name the host and port.
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("custgate_upstream=trace,faults=trace")
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(|| ThreadSink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
    let logs = Logs::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some(logs.clone()));
    (logs, Capture)
}

#[tokio::test]
async fn each_attempt_is_a_child_span_and_no_url_or_secret_reaches_the_logs() {
    let server = serve(|n, request, stream| async move {
        if n == 1 {
            // Echo the request target, key and all, as some systems' error pages do.
            let body = format!("no resource matches '{}'", request.target);
            respond(stream, 503, &[], body.as_bytes()).await;
        } else {
            respond(stream, 200, &[], b"{}").await;
        }
    })
    .await;
    let (logs, _capture) = capture_logs();

    let u = upstream(config(&server.base)).with_secret(SecretString::from("KEY4242"));
    let url = u.url("API/Customer/Get/KEY4242?CustNumOrName=x").unwrap();
    let rb = u.http().get(url).header("X-Api-Key", "HEADERSECRET");
    let (status, _, _) = u
        .send("lookup", rb)
        .instrument(tracing::info_span!("front.request"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(server.hits(), 2);

    let text = logs.text();
    let closes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("front.request:upstream.call{") && l.contains(": close "))
        .collect();
    assert_eq!(closes.len(), 2, "{text}");
    for (line, (attempt, status)) in closes.iter().zip([(1, 503), (2, 200)]) {
        for field in [
            "upstream=faulty".to_owned(),
            "operation=\"lookup\"".to_owned(),
            "method=GET".to_owned(),
            format!("attempt={attempt}"),
            format!("status={status}"),
            "duration_ms=".to_owned(),
        ] {
            assert!(line.contains(&field), "{field} not in {line}");
        }
    }
    assert!(
        text.contains("Upstream answered with an error status"),
        "{text}"
    );
    assert!(text.contains("no resource matches"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    // The echoed path is the upstream's text; the URL itself is never logged.
    for leak in ["KEY4242", "HEADERSECRET", server.base.trim_end_matches('/')] {
        assert!(!text.contains(leak), "{leak} in logs: {text}");
    }
}

#[tokio::test]
async fn writes_that_may_have_reached_the_upstream_are_counted() {
    use custgate_upstream::count_writes;
    let server = serve(|_, request, stream| async move {
        match request.target.as_str() {
            "/hang" => tokio::time::sleep(Duration::from_secs(30)).await,
            "/refused" => respond(stream, 422, &[], b"no").await,
            "/failed" => respond(stream, 500, &[], b"oops").await,
            _ => respond(stream, 201, &[], b"{}").await,
        }
    })
    .await;
    let mut c = config(&server.base);
    c.request_timeout_ms = 200;
    let u = upstream(c);
    let post = |path: &str| u.http().post(u.url(path).unwrap()).body("{}");
    let writes = |path: &'static str| {
        let rb = post(path);
        let u = u.clone();
        async move { count_writes(u.send("create", rb)).await.1 }
    };
    assert_eq!(writes("created").await, 1);
    assert_eq!(writes("refused").await, 0, "a 4xx wrote nothing");
    assert_eq!(writes("failed").await, 1, "a 5xx may have written");
    assert_eq!(writes("hang").await, 1, "a timeout may have written");
    let rb = u.http().get(u.url("read").unwrap());
    assert_eq!(
        count_writes(u.send("get", rb)).await.1,
        0,
        "reads never write"
    );
    // Two calls, one scope.
    let (_, n) = count_writes(async {
        u.send("create", post("created")).await.unwrap();
        u.send("edit", post("refused")).await.unwrap();
        u.send("edit", post("created")).await.unwrap();
    })
    .await;
    assert_eq!(n, 2);

    // Nothing listens: every attempt failed to connect.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let d = upstream(config(&dead));
    let rb = d.http().post(d.url("created").unwrap()).body("{}");
    let (result, n) = count_writes(d.send("create", rb)).await;
    assert!(result.is_err());
    assert_eq!(n, 0);
}

#[test]
fn a_configured_name_replaces_the_clients() {
    let mut c = config("http://127.0.0.1:9/");
    assert_eq!(upstream(c.clone()).name(), "faulty");
    c.name = Some("erp-north".into());
    assert_eq!(upstream(c.clone()).name(), "erp-north");
    c.name = Some(" ".into());
    let e = Upstream::new("faulty", c).unwrap_err();
    assert!(e.to_string().contains("name"), "{e}");
}

#[tokio::test]
async fn a_refused_request_is_logged_as_information_and_trouble_upstream_as_a_warning() {
    let server = serve(|_, request, stream| async move {
        let status = match request.target.as_str() {
            "/missing" => 404,
            "/invalid" => 422,
            "/slow-down" => 429,
            _ => 503,
        };
        respond(stream, status, &[], format!("said {status}").as_bytes()).await
    })
    .await;
    let (logs, _capture) = capture_logs();
    let mut c = config(&server.base);
    c.retry.max_attempts = 1;
    let u = upstream(c);
    for path in ["missing", "invalid", "slow-down", "down"] {
        let rb = u.http().get(u.url(path).unwrap());
        u.send("lookup", rb).await.unwrap();
    }
    let text = logs.text();
    let level = |status: u16| {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("said {status}")))
            .unwrap_or_else(|| panic!("no line for {status}: {text}"));
        assert!(
            line.contains("Upstream answered with an error status"),
            "{line}"
        );
        if line.contains(" INFO ") {
            "INFO"
        } else if line.contains(" WARN ") {
            "WARN"
        } else {
            panic!("{line}")
        }
    };
    assert_eq!(level(404), "INFO");
    assert_eq!(level(422), "INFO");
    assert_eq!(level(429), "WARN");
    assert_eq!(level(503), "WARN");
}

#[tokio::test]
async fn requests_go_out_as_built_with_our_user_agent_and_a_default_accept() {
    let seen = Arc::new(Mutex::new(Vec::<Request>::new()));
    let log = seen.clone();
    let server = serve(move |_, request, stream| {
        log.lock().unwrap().push(request);
        respond(stream, 200, &[], b"{}")
    })
    .await;
    let u = upstream(config(&server.base));
    let rb = u
        .http()
        .post(u.url("api/customer?x=a%20b").unwrap())
        .header("X-Key", "k")
        .json(&serde_json::json!({"name": "Å"}));
    assert_eq!(u.send("create", rb).await.unwrap().0, 200);
    let rb = u
        .http()
        .get(u.url("api/customer").unwrap())
        .header("Accept", "application/json");
    assert_eq!(u.send("get", rb).await.unwrap().0, 200);

    let seen = seen.lock().unwrap();
    let header = |r: &Request, name: &str| {
        r.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let post = &seen[0];
    assert_eq!(
        (post.method.as_str(), post.target.as_str()),
        ("POST", "/api/customer?x=a%20b")
    );
    assert_eq!(post.body, "{\"name\":\"Å\"}".as_bytes());
    assert_eq!(header(post, "content-length").as_deref(), Some("13"));
    assert_eq!(
        header(post, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(header(post, "x-key").as_deref(), Some("k"));
    assert_eq!(header(post, "accept").as_deref(), Some("*/*"));
    assert!(header(post, "user-agent").unwrap().starts_with("custgate/"));
    assert_eq!(
        header(post, "host"),
        Some(server.base[7..server.base.len() - 1].to_owned())
    );
    let get = &seen[1];
    assert_eq!(
        (get.method.as_str(), get.target.as_str()),
        ("GET", "/api/customer")
    );
    assert_eq!(header(get, "accept").as_deref(), Some("application/json"));
    assert!(get.body.is_empty());
}
