//! The real `mealquest` binary: starts on `mem://`, becomes ready, and exits 0 on SIGTERM.

#![cfg(unix)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

async fn wait_until_ready(url: &str) -> Duration {
    let started = Instant::now();
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status() == 200
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_binary_serves_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_mealquest"))
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env("MEALQUEST_DATABASE__URL", "mem://")
            .env("MEALQUEST_SERVER__PORT", port.to_string())
            .env("MEALQUEST_LOG__FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts"),
    );
    wait_until_ready(&format!("http://127.0.0.1:{port}/readyz")).await;

    let pid = server.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(sent.is_ok_and(|status| status.success()));

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn a_bad_configuration_stops_start_up_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_mealquest"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("MEALQUEST_ENV", "prod")
        .env("MEALQUEST_DATABASE__URL", "mem://")
        .env(
            "MEALQUEST_SECRET_JWT_SIGNING_KEY",
            "a-signing-key-of-at-least-32-bytes!!",
        )
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mem://"), "stderr: {stderr}");
}
