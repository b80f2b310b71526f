//! The real `mealquest` binary: starts on `mem://`, becomes ready, and exits 0 on SIGTERM.

#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{Process, free_port, mealquest, wait_until_ready};

#[tokio::test]
async fn the_binary_serves_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let mut server = Process(
        mealquest()
            .env("MEALQUEST_DATABASE__URL", "mem://")
            .env("MEALQUEST_SERVER__PORT", port.to_string())
            .env("MEALQUEST_LOG__FORMAT", "json")
            .spawn()
            .expect("binary starts"),
    );
    wait_until_ready(
        &format!("http://127.0.0.1:{port}/readyz"),
        Duration::from_secs(30),
    )
    .await;

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
    let output = mealquest()
        .env("MEALQUEST_ENV", "prod")
        .env("MEALQUEST_DATABASE__URL", "mem://")
        .env(
            "MEALQUEST_SECRET_JWT_SIGNING_KEY",
            "a-signing-key-of-at-least-32-bytes!!",
        )
        .stderr(Stdio::piped())
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mem://"), "stderr: {stderr}");
}
