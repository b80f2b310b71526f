//! Running real processes in tests: the `mealquest` binary and a SurrealDB server.

#![allow(dead_code)]

pub mod socket;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed when dropped (a failing test leaves nothing running).
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// Polls `url` until it answers 200; returns how long that took.
pub async fn wait_until_ready(url: &str, patience: Duration) -> Duration {
    let started = Instant::now();
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status() == 200
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < patience, "{url} never ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `mealquest` binary with the repository as its working directory (for `config/`).
pub fn mealquest() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mealquest"));
    command
        .current_dir(manifest_dir().join(".."))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A SurrealDB server (the workspace's `surreal` binary, built with the tests) on a free
/// port, in memory, with user root/root; returns it and its `ws://` URL once it is healthy.
pub async fn surrealdb_server() -> (Process, String) {
    let port = free_port();
    let server = surrealdb_server_on(port, "memory").await;
    (server, format!("ws://127.0.0.1:{port}"))
}

/// A SurrealDB server on `port` storing in `store` (`memory`, `surrealkv://<dir>`: started
/// again on the same directory, it has the same data).
pub async fn surrealdb_server_on(port: u16, store: &str) -> Process {
    let binary = surreal_binary();
    let child = Command::new(&binary)
        .args(["start", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--user", "root", "--pass", "root", "--log", "warn", store])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
    let server = Process(child);
    wait_until_ready(
        &format!("http://127.0.0.1:{port}/health"),
        Duration::from_secs(60),
    )
    .await;
    server
}

/// `target/<profile>/surreal`, next to this test's own binary's `deps/` directory. Building
/// the workspace's tests builds it (the `surreal-server` package has a test of its own).
fn surreal_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = profile_dir.join("surreal");
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p surreal-server`",
        binary.display()
    );
    binary
}

/// POSTs JSON to `http://{base}{path}` with a fresh Idempotency-Key (and a bearer token);
/// the reply must be 200.
pub async fn post_json(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut request = client
        .post(format!("http://{base}{path}"))
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

/// The `mealquest` binary serving the demo shop (DEV, demo data) on SurrealKV in a temp
/// dir (fsync on commit), in a process of its own: what the benchmarks measure.
pub struct DemoServer {
    pub process: Process,
    /// `127.0.0.1:<port>`.
    pub base: String,
    pub client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl DemoServer {
    pub async fn start() -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut command = mealquest();
        // BENCH_SERVER_LOG shows the server's own log, e.g. its timings (`warn,app=debug`).
        let log = std::env::var("BENCH_SERVER_LOG").ok();
        if log.is_some() {
            command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        }
        let process = Process(
            command
                .env("MEALQUEST_ENV", "dev")
                .env(
                    "MEALQUEST_DATABASE__URL",
                    format!("surrealkv://{}/db", data.path().display()),
                )
                .env("MEALQUEST_DEMO__SEED", "true")
                .env("MEALQUEST_LOG__FILTER", log.as_deref().unwrap_or("warn"))
                .env("MEALQUEST_SERVER__PORT", port.to_string())
                .spawn()
                .expect("mealquest starts"),
        );
        let base = format!("127.0.0.1:{port}");
        wait_until_ready(&format!("http://{base}/readyz"), Duration::from_secs(60)).await;
        Self {
            process,
            base,
            client: reqwest::Client::new(),
            _data: data,
        }
    }

    /// [`post_json`] to this server.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> serde_json::Value {
        post_json(&self.client, &self.base, path, token, body).await
    }
}

/// The token of a login's session.
pub fn token_of(session: &serde_json::Value) -> String {
    session
        .get("token")
        .and_then(serde_json::Value::as_str)
        .expect("token")
        .to_owned()
}

/// The configuration of a test: the repository's files, with the overrides of `extra`.
pub fn test_config(extra: &[(&str, &str)]) -> server::config::AppConfig {
    let database = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut vars: std::collections::HashMap<String, String> = [
        ("MEALQUEST_DATABASE__URL", "mem://"),
        ("MEALQUEST_DATABASE__DATABASE", database.as_str()),
        ("MEALQUEST_SERVER__PORT", "0"),
        ("MEALQUEST_SERVER__SHUTDOWN_GRACE_SECS", "2"),
        ("MEALQUEST_DEMO__SEED", "true"),
        // No unasked proposal: a test's shop log holds only what the test does.
        ("MEALQUEST_AGENT__PROPOSE_EVERY_DAYS", "0"),
        // Nor figures news, unless a test keeps the figures.
        ("MEALQUEST_FIGURES__EVERY_MILLIS", "0"),
        // The Artist's pictures in memory, unless a test keeps them on disk.
        ("MEALQUEST_ARTIST__MEDIA", "memory://"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (key, value) in extra {
        vars.insert((*key).to_owned(), (*value).to_owned());
    }
    // The demo restaurant is DEV data; the configuration refuses it elsewhere.
    if vars.get("MEALQUEST_ENV").is_some_and(|env| env != "dev") {
        vars.insert("MEALQUEST_DEMO__SEED".into(), "false".into());
    }
    if std::env::var("TEST_LOG").is_ok() {
        server::telemetry::init(&server::config::LogSettings {
            filter: "debug".into(),
            format: server::config::LogFormat::Pretty,
        });
    }
    let dir = manifest_dir().join("../config");
    server::config::AppConfig::load_from(&dir, &vars).expect("test configuration loads")
}

/// The server crate's folder as the test runner gives it, not as compiled: a test binary
/// built in another checkout that shares the target dir reads this checkout's files.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into)
}
