//! Real-time benchmark: change → frame latency with 1k and 10k idle sockets open, and the
//! server's memory per 1k sockets.
//!
//! The server is the release `mealquest` binary in its own process (SurrealKV in a temp dir,
//! fsync on commit), so its RSS is its own; this process is the clients. Each sample is one
//! recharge through the API, then the wait for its `WALLET_UPDATED` frame on the diner's
//! socket. Latency is measured from the event's `at` (stamped inside the change's
//! transaction, so slightly before its commit) to the frame's arrival — an upper bound of
//! commit → frame — and, beside it, from the HTTP reply's arrival to the frame.
//!
//! `cargo bench -p server --bench realtime` (or `make bench`); figures go to docs/benchmarks.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use support::socket::{Socket, next_event, open_ready};
use support::{DemoServer, token_of};

const SAMPLES: usize = 300;
/// Idle sockets open during each row.
const IDLE: [usize; 2] = [1_000, 10_000];
const DINER: &str = "wx-demo-001";

/// The demo server, with what this benchmark asks of it.
struct Server(DemoServer);

impl Server {
    async fn start() -> Self {
        Self(DemoServer::start().await)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        self.0.post(path, token, body).await
    }

    async fn diner_token(&self, uid: &str) -> String {
        let session = self
            .post(
                "/api/auth/diner/login",
                None,
                json!({ "code": format!("dev:{uid}") }),
            )
            .await;
        token_of(&session)
    }

    async fn socket(&self, token: &str) -> Socket {
        open_ready(&self.0.base, token).await
    }

    /// The server process's resident memory, in bytes.
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.process.0.id()))
            .expect("proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb * 1024)
            .expect("VmRSS")
    }
}

/// Opens an idle socket for each token (distinct diners), kept alive by a reader each
/// (which also answers the server's pings).
async fn idle_sockets(server: &Server, tokens: &[String]) -> Vec<tokio::task::JoinHandle<()>> {
    let mut readers = Vec::with_capacity(tokens.len());
    for token in tokens {
        let socket = server.socket(token).await;
        readers.push(tokio::spawn(async move {
            let mut socket = socket;
            while let Some(Ok(_)) = socket.next().await {}
        }));
    }
    readers
}

struct Sample {
    from_event: Duration,
    from_reply: Duration,
}

/// One recharge, timed to its frame on the diner's socket.
async fn sample(server: &Server, cashier: &str, diner: &mut Socket) -> Sample {
    server
        .post(
            "/api/wallet/recharge",
            Some(cashier),
            json!({ "uid": DINER, "tier": "T100" }),
        )
        .await;
    let replied = Instant::now();
    let frame = next_event(diner).await;
    let arrived_wall = Utc::now();
    let arrived = Instant::now();
    let at: DateTime<Utc> = frame
        .get("at")
        .and_then(Value::as_str)
        .and_then(|at| at.parse().ok())
        .expect("at");
    Sample {
        from_event: (arrived_wall - at).to_std().unwrap_or_default(),
        from_reply: arrived.saturating_duration_since(replied),
    }
}

fn megabytes(bytes: u64) -> f64 {
    f64::from(u32::try_from(bytes / 1000).unwrap_or(u32::MAX)) / 1000.0
}

fn count(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

fn percentile(values: &mut [Duration], percent: usize) -> f64 {
    values.sort();
    let index = values.len().saturating_sub(1) * percent / 100;
    values.get(index).copied().unwrap_or_default().as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let server = Server::start().await;
    let cashier = server
        .post(
            "/api/auth/staff/login",
            None,
            json!({ "username": "xiaozhang", "password": "cashier-demo-1" }),
        )
        .await;
    let cashier = token_of(&cashier);
    let mut diner = server.socket(&server.diner_token(DINER).await).await;
    // Warm up (first queries, connection pools).
    for _ in 0..20 {
        sample(&server, &cashier, &mut diner).await;
    }
    // Log every idle diner in first, so the baseline holds their database records and the
    // difference is what the sockets cost.
    let mut tokens = Vec::with_capacity(IDLE.last().copied().unwrap_or_default());
    for n in 0..tokens.capacity() {
        tokens.push(server.diner_token(&format!("idle-{n:05}")).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let base_rss = server.rss();

    println!(
        "{SAMPLES} sequential recharges per row, release build, SurrealKV (fsync on commit), server and clients on the same 2 cores\n"
    );
    println!(
        "Server RSS before the sockets (idle diners logged in): {:.0} MB\n",
        megabytes(base_rss)
    );
    println!(
        "| idle sockets | event → frame p50 | p99 | reply → frame p50 | p99 | server RSS | RSS per 1k sockets |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut readers = Vec::new();
    for target in IDLE {
        let opened = readers.len();
        let more = tokens.get(opened..target).unwrap_or_default();
        readers.extend(idle_sockets(&server, more).await);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = server.rss();
        let mut from_event = Vec::with_capacity(SAMPLES);
        let mut from_reply = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let s = sample(&server, &cashier, &mut diner).await;
            from_event.push(s.from_event);
            from_reply.push(s.from_reply);
        }
        let per_k = megabytes(rss.saturating_sub(base_rss)) * 1000.0 / count(target);
        println!(
            "| {target} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} MB | {:.1} MB |",
            percentile(&mut from_event, 50),
            percentile(&mut from_event, 99),
            percentile(&mut from_reply, 50),
            percentile(&mut from_reply, 99),
            megabytes(rss),
            per_k,
        );
    }
    for reader in readers {
        reader.abort();
    }
}
