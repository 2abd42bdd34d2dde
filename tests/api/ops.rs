//! Operations: health, readiness, metrics, request ids, limits, the loopback guard and
//! durability across `kill -9`.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{custgate, spawn_app, test_settings};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["store:embedded:sqlite"], "ok", "{body}");
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let made = r.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(made.len(), 36, "{made}");
}

#[tokio::test]
async fn metrics_count_requests_by_dialect_and_route() {
    let app = spawn_app().await;
    app.client
        .get(app.url("/API/Customer/Get/DEVKEY0001?CustNumOrName=x"))
        .send()
        .await
        .unwrap();
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("custgate_http_requests_total"), "{text}");
    assert!(text.contains("dialect=\"custno\""), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    assert!(text.contains("custgate_http_request_duration_seconds_bucket"));
    assert!(
        !text.contains("DEVKEY0001"),
        "an API key reached the metrics"
    );
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn development_credentials_refuse_public_addresses() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data.path());
    settings.server.bind = "0.0.0.0:0".into();
    let err = custgate::Application::build(settings)
        .await
        .err()
        .expect("must refuse");
    assert!(
        err.to_string().contains("development credential"),
        "{err:#}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_binary(port: u16, db: &std::path::Path) -> Child {
    binary(port, db)
        .env("CUSTGATE__LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the custgate binary starts")
}

/// The custgate binary serving the default configuration on `port` with its store in `db`.
fn binary(port: u16, db: &std::path::Path) -> Command {
    let mut c = custgate("config/default.toml", &["serve"]);
    c.env("CUSTGATE__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("CUSTGATE__STORE__URL", format!("sqlite://{}", db.display()))
        .stderr(Stdio::null());
    c
}

/// `check-config` refuses what `serve` would refuse before listening (a dialect's own
/// section, the store's settings, the log settings, a public address with development
/// credentials), naming the setting, and opens no store.
#[test]
fn check_config_finds_what_serve_would_refuse() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("custgate.db");
    let store = format!("sqlite://{}", db.display());
    let check = |var: &str, value: &str| {
        check_config(
            "config/default.toml",
            &[("CUSTGATE__STORE__URL", store.as_str()), (var, value)],
        )
    };
    assert_eq!(
        check("CUSTGATE__SERVER__BIND", "127.0.0.1:8080"),
        (true, "configuration is valid".to_owned())
    );
    for (var, value, said) in [
        (
            "CUSTGATE__DIALECTS__ODATA__MAX_TOP",
            "0",
            "custgate: dialects.odata.max_top: must be 1 to 100000",
        ),
        (
            "CUSTGATE__TENANTS__DEMO__ODATA__COMPANY_KEY",
            "nope",
            "custgate: tenants.demo.odata.company_key: must be a GUID",
        ),
        (
            "CUSTGATE__STORE__MAX_CONNECTIONS",
            "0",
            "custgate: store.max_connections: must be at least 1",
        ),
        (
            "CUSTGATE__DIALECTS__ODATA__ENABLED",
            "nope",
            "custgate: dialects.odata.enabled: must be true or false, not \"nope\"",
        ),
        (
            "CUSTGATE__LOG__FORMAT",
            "xml",
            "custgate: log.format: must be pretty or json, not 'xml'",
        ),
        (
            "CUSTGATE__LOG__FILTER",
            "info,[",
            "custgate: log.filter: 'info,[': invalid filter directive",
        ),
    ] {
        assert_eq!(check(var, value), (false, said.to_owned()), "{var}={value}");
    }
    let (ok, said) = check("CUSTGATE__SERVER__BIND", "0.0.0.0:8080");
    assert!(
        !ok && said.contains("refusing to listen on 0.0.0.0:8080"),
        "{said}"
    );
    assert!(!db.exists(), "check-config opened the store");
}

/// The example configuration of README's gateway section is complete and valid (on a
/// public address: it has no development credential) once its secrets are set.
#[test]
fn the_facade_over_upstreams_example_is_valid() {
    let example = "config/facade-over-upstreams.example.toml";
    let secrets = [
        ("NORTH_UNIMICRO_TOKEN", "n"),
        ("SOUTH_NDATA_PASSWORD", "s"),
        ("LEGACY_UNIMICRO_TOKEN", "l"),
    ];
    assert_eq!(
        check_config(example, &secrets),
        (true, "configuration is valid".to_owned())
    );
    assert_eq!(
        check_config(example, &secrets[..2]),
        (
            false,
            "custgate: tenants.legacy.backend.client.token_env: the environment variable \
             LEGACY_UNIMICRO_TOKEN is not set"
                .to_owned()
        )
    );
}

/// Runs `custgate --config CONFIG check-config` with `env` set: whether it passed, and
/// what it said.
fn check_config(config: &str, env: &[(&str, &str)]) -> (bool, String) {
    let out = custgate(config, &["check-config"])
        .envs(env.iter().copied())
        .output()
        .expect("the custgate binary runs");
    let said = String::from_utf8_lossy(if out.status.success() {
        &out.stdout
    } else {
        &out.stderr
    });
    (out.status.success(), said.trim().to_owned())
}

/// Logs written to a pipe (a file, a collector) are plain text: no terminal colour codes.
#[tokio::test]
async fn logs_to_a_pipe_have_no_colour_codes() {
    use std::io::Read;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut child = binary(port, &data.path().join("custgate.db"))
        .env("CUSTGATE__LOG__FILTER", "info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the custgate binary starts");
    wait_healthy(&client, &base).await;
    let r = client
        .get(format!("{base}/unified/v1/customers"))
        .header("X-Request-Id", "pipe-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("Request served") && l.contains("pipe-1"))
        .unwrap_or_else(|| panic!("the access log line: {text}"));
    assert!(line.contains("request_id=pipe-1"), "{line}");
    assert!(!text.contains('\u{1b}'), "colour codes in {text}");
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gateway did not become healthy at {base}");
}

/// Every create answered 201 before a `kill -9` is there after the restart.
#[tokio::test]
async fn acknowledged_creates_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("custgate.db");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut child = start_binary(port, &db);
    wait_healthy(&client, &base).await;

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, base, acked, stop) =
            (client.clone(), base.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < 500 {
                i += 1;
                let body = serde_json::json!({"name": {"display": format!("burst {w}-{i}")}});
                let sent = client
                    .post(format!("{base}/unified/v1/customers"))
                    .bearer_auth("dev-unified-demo")
                    .json(&body)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break,
                        };
                        acked
                            .lock()
                            .unwrap()
                            .push(v["id"].as_str().unwrap().to_owned());
                    }
                    Ok(r) => panic!("create answered {}", r.status()),
                    Err(_) => break, // the server died under us
                }
            }
        }));
    }
    // Let the burst run, then kill the process without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 150 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 50,
        "only {} creates were acknowledged",
        acked.len()
    );

    let mut child = start_binary(port, &db);
    wait_healthy(&client, &base).await;
    let mut missing = Vec::new();
    for id in &acked {
        let r = client
            .get(format!("{base}/unified/v1/customers/{id}"))
            .bearer_auth("dev-unified-demo")
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            missing.push(id.clone());
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged creates were lost: {missing:?}",
        missing.len(),
        acked.len()
    );
    println!(
        "kill -9: {} acknowledged creates, all present after restart",
        acked.len()
    );
}
