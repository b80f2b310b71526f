//! Stateless scale-out: two `mealquest` processes on one SurrealDB server. A write through
//! either process reaches the sockets on both, numbered alike, because each process runs its
//! own LIVE queries, sequencer and hub against the shared database.

#![cfg(unix)]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::socket::{next_event, open_ready};
use support::{
    Process, free_port, mealquest, post_json, surrealdb_server, token_of, wait_until_ready,
};

const SIGNING_KEY: &str = "a-signing-key-both-processes-share-32+";

/// One app process on the shared database; returns it and its base URL.
async fn app_process(db_url: &str, database: &str) -> (Process, String) {
    let port = free_port();
    let process = Process(
        mealquest()
            .env("MEALQUEST_ENV", "dev")
            .env("MEALQUEST_DATABASE__URL", db_url)
            .env("MEALQUEST_DATABASE__DATABASE", database)
            .env("MEALQUEST_SECRET_DATABASE_PASSWORD", "root")
            .env("MEALQUEST_SECRET_JWT_SIGNING_KEY", SIGNING_KEY)
            .env("MEALQUEST_DEMO__SEED", "true")
            .env("MEALQUEST_SERVER__PORT", port.to_string())
            .spawn()
            .expect("mealquest starts"),
    );
    let base = format!("127.0.0.1:{port}");
    wait_until_ready(&format!("http://{base}/readyz"), Duration::from_secs(60)).await;
    (process, base)
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    post_json(&reqwest::Client::new(), base, path, token, body).await
}

async fn token(base: &str, path: &str, body: Value) -> String {
    token_of(&post(base, path, None, body).await)
}

#[tokio::test]
async fn writes_through_either_process_reach_sockets_on_both() {
    let (_surrealdb, db_url) = surrealdb_server().await;
    let database = format!("scale_{}", uuid::Uuid::new_v4().simple());
    // One after the other: the first migrates and seeds, the second finds it done.
    let (_a, a) = app_process(&db_url, &database).await;
    let (_b, b) = app_process(&db_url, &database).await;

    let cashier = token(
        &a,
        "/api/auth/staff/login",
        json!({ "username": "xiaozhang", "password": "cashier-demo-1" }),
    )
    .await;
    let diner = token(
        &b,
        "/api/auth/diner/login",
        json!({ "code": "dev:wx-demo-001" }),
    )
    .await;
    let mut diner_on_a = open_ready(&a, &diner).await;
    let mut diner_on_b = open_ready(&b, &diner).await;
    let mut shop_on_a = open_ready(&a, &cashier).await;
    let mut shop_on_b = open_ready(&b, &cashier).await;

    // A recharge through A, then through B: both processes' sockets hear both.
    for base in [&a, &b] {
        post(
            base,
            "/api/wallet/recharge",
            Some(&cashier),
            json!({ "uid": "wx-demo-001", "tier": "T100" }),
        )
        .await;
    }
    let mut heard = Vec::new();
    for socket in [
        &mut diner_on_a,
        &mut diner_on_b,
        &mut shop_on_a,
        &mut shop_on_b,
    ] {
        let first = next_event(socket).await;
        let second = next_event(socket).await;
        assert_eq!(first["type"], "WALLET_UPDATED");
        assert_eq!(first["balance"]["principal"], "100.00");
        assert_eq!(second["balance"]["principal"], "200.00");
        heard.push((first["seq"].clone(), second["seq"].clone()));
    }
    // Both processes number alike: one log, whichever process's sequencer got there first.
    assert_eq!(heard[0], heard[1], "the diner's numbers on A and on B");
    assert_eq!(heard[2], heard[3], "the shop's numbers on A and on B");
    assert_eq!(
        heard[0].1.as_u64(),
        heard[0].0.as_u64().map(|n| n + 1),
        "no gap"
    );
}
