//! `spawn_app()`: the whole gateway on a free loopback port with the development
//! configuration and its own temporary SQLite database (zero-to-production style).

use std::path::Path;

use custgate::{Application, Settings};

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub client: reqwest::Client,
    /// Keeps the database directory alive for the test's duration.
    pub _data: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

/// The development settings (`config/default.toml`) with a free port and a fresh store.
pub fn test_settings(data: &Path) -> Settings {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
    let mut settings = Settings::load(Some(&path)).expect("config/default.toml loads");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.server.shutdown_timeout_secs = 1;
    settings.store["url"] = format!("sqlite://{}", data.join("custgate.db").display()).into();
    // Durability is tested by the kill -9 test against the binary; here speed matters.
    settings.store["sqlite_synchronous"] = "NORMAL".into();
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], letting the test adjust the settings first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temp dir"), adjust).await
}

/// Like [`spawn_app_with`], on a data directory the caller made: a second instance on
/// the same SQLite file (a restart) takes the first one's `_data`.
pub async fn spawn_app_in(data: tempfile::TempDir, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(data.path());
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("app builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client,
        _data: data,
    }
}

/// A tenant-dialect token for `tenant`, as `custgate token tenant --tenant ID` makes it
/// with the development configuration.
pub fn tenant_token(tenant: &str) -> String {
    let settings = test_settings(Path::new("unused"));
    custgate_tenant::issue_dev_token(&settings.dialect_section("tenant"), tenant).unwrap()
}

/// A gateway whose `demo` tenant is backed by `upstream` in `dialect`, with the upstream
/// client's section `client` (`{"upstream": {"base_url": …}, …credentials}`).
pub async fn spawn_gateway_over(dialect: &str, client: serde_json::Value) -> TestApp {
    spawn_gateway(serde_json::json!({"dialect": dialect, "client": client})).await
}

/// A gateway whose `demo` tenant is backed by the upstream `backend` describes (the
/// `[tenants.demo.backend]` section as JSON, without its `kind`).
pub async fn spawn_gateway(backend: serde_json::Value) -> TestApp {
    let backend: custgate_gateway::UpstreamSettings =
        serde_json::from_value(backend).expect("the upstream settings parse");
    spawn_app_with(move |settings| {
        settings
            .tenants
            .get_mut("demo")
            .expect("config/default.toml has a demo tenant")
            .backend = custgate::settings::BackendSettings::Upstream(backend);
    })
    .await
}

/// An NData token of `app`'s `user`, from its `/api/auth`.
pub async fn ndata_token(app: &TestApp, user: &str, password: &str) -> String {
    let r = app
        .client
        .post(app.url("/api/auth"))
        .json(&serde_json::json!({"UserName": user, "Password": password, "DeviceName": "e2e"}))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(r.status(), reqwest::StatusCode::OK, "NData login of {user}");
    let body: serde_json::Value = r.json().await.expect("a JSON answer");
    body["tokenId"].as_str().expect("a tokenId").to_owned()
}

/// RFC 3986's unreserved characters; everything else is percent-encoded.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The compiled `custgate` binary, from the repository root, with `--config CONFIG` and
/// `args`, and without the caller's `RUST_LOG`.
pub fn custgate(config: &str, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_custgate"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config", config])
        .args(args)
        .env_remove("RUST_LOG");
    c
}

/// Percent-encodes a path segment or a query value.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}
