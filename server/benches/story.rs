//! Trigger → story frame: a diner checked in at the counter (`POST /api/events`,
//! `USER_ENTER_SHOP`) until the campaign's `STORY` frame reaches the diner's socket,
//! through the whole path — the trigger's queue item, the decider's transaction (budget,
//! limits, grant, ledger, story), the sequencer and the fan-out.
//!
//! The server is the release `mealquest` binary in its own process (SurrealKV in a temp dir,
//! fsync on commit); this process is the clients. Each sample is timed from sending the
//! event and from its reply (the trigger is durable then) to the frame's arrival.
//!
//! `cargo bench -p server --bench story`; figures go to docs/benchmarks.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::socket::{Socket, next_event, open_ready};
use support::{DemoServer, token_of};

const SAMPLES: usize = 300;
const DINER: &str = "wx-demo-002";

/// The next STORY frame on the socket.
async fn next_story(socket: &mut Socket) -> Value {
    loop {
        let frame = next_event(socket).await;
        if frame.get("type").and_then(Value::as_str) == Some("STORY") {
            return frame;
        }
    }
}

/// One check-in, timed to its story: (from sending, from the reply).
async fn sample(server: &DemoServer, owner: &str, diner: &mut Socket) -> (Duration, Duration) {
    let sent = Instant::now();
    server
        .post(
            "/api/events",
            Some(owner),
            json!({ "event": { "type": "USER_ENTER_SHOP", "merchant_id": "demo", "uid": DINER } }),
        )
        .await;
    let replied = Instant::now();
    next_story(diner).await;
    let arrived = Instant::now();
    (arrived - sent, arrived - replied)
}

fn percentile(values: &mut [Duration], percent: usize) -> f64 {
    values.sort();
    let index = values.len().saturating_sub(1) * percent / 100;
    values.get(index).copied().unwrap_or_default().as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let server = DemoServer::start().await;
    let owner = token_of(
        &server
            .post(
                "/api/auth/staff/login",
                None,
                json!({ "username": "laowang", "password": "owner-demo-1" }),
            )
            .await,
    );
    // A campaign answering every check-in with one silver, its budget never in the way.
    let spec = json!({
        "name": "欢迎",
        "triggers": ["USER_ENTER_SHOP"],
        "condition": { "check": "all", "of": [] },
        "priority": 10,
        "action": {
            "story": { "title": "{nickname}，欢迎", "scenes": [{ "text": "送你{rewards}" }] },
            "grants": { "silver": 1 }
        },
        "daily_budget_cap": "100000.00",
        "holdout_percent": 0
    });
    server
        .post(
            "/api/campaigns/create",
            Some(&owner),
            json!({ "campaign": { "code": "BENCH", "spec": spec } }),
        )
        .await;
    server
        .post(
            "/api/campaigns/status",
            Some(&owner),
            json!({ "code": "BENCH", "status": "ACTIVE" }),
        )
        .await;
    let diner_session = server
        .post(
            "/api/auth/diner/login",
            None,
            json!({ "code": format!("dev:{DINER}") }),
        )
        .await;
    let mut diner = open_ready(&server.base, &token_of(&diner_session)).await;
    for _ in 0..20 {
        sample(&server, &owner, &mut diner).await;
    }
    let mut from_send = Vec::with_capacity(SAMPLES);
    let mut from_reply = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let (send, reply) = sample(&server, &owner, &mut diner).await;
        from_send.push(send);
        from_reply.push(reply);
    }
    println!(
        "{SAMPLES} sequential check-ins, release build, SurrealKV (fsync on commit), server and client on the same 2 cores\n"
    );
    println!("| measured from | p50 | p99 | max |");
    println!("|---|---|---|---|");
    for (label, values) in [
        ("sending the event", &mut from_send),
        ("its reply (trigger durable)", &mut from_reply),
    ] {
        println!(
            "| {label} | {:.2} ms | {:.2} ms | {:.2} ms |",
            percentile(values, 50),
            percentile(values, 99),
            percentile(values, 100)
        );
    }
}
