//! Drain rate of a backlog of real-time events: 100,000 published while nobody numbered
//! them (an outage), then numbered to the end by one sequencer, as the work queue's
//! consumer does it (claim a partition's oldest 256, number them with their completion),
//! on SurrealKV in a temp dir.
//!
//! `cargo bench -p server --bench drain` (beside the other benchmarks, so it builds with
//! their dependencies' features); figures go to docs/benchmarks.md.

use std::time::Instant;

use db::events::{self, NewEvent};
use db::queue::{self, Completion, EVENTS};

const BACKLOG: usize = 100_000;
const PER_PUBLISH: usize = 1_000;
const BATCH: u32 = 256;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = db::connect(&db::ConnectOptions {
        url: format!("surrealkv://{}/db", dir.path().display()),
        namespace: "bench".into(),
        database: "drain".into(),
        credentials: None,
    })
    .await
    .expect("connects");
    db::migrations::migrate(&db).await.expect("migrates");
    let published = Instant::now();
    for chunk in 0..BACKLOG / PER_PUBLISH {
        let batch: Vec<NewEvent> = (0..PER_PUBLISH)
            .map(|i| {
                let n = chunk * PER_PUBLISH + i;
                NewEvent {
                    recipients: vec![
                        format!("merchant:m{}", n % 50),
                        format!("diner:d{}", n % 5_000),
                    ],
                    kind: "WALLET_UPDATED".into(),
                    payload: serde_json::json!({ "n": n }),
                }
            })
            .collect();
        events::publish(&db, &batch).await.expect("publish");
    }
    println!(
        "published {BACKLOG} in {:.1} s",
        published.elapsed().as_secs_f64()
    );
    let owner = "bench-sequencer";
    let held = queue::share(&db, EVENTS, owner, 600_000)
        .await
        .expect("partitions");
    let started = Instant::now();
    let mut numbered = 0;
    for partition in held {
        loop {
            let claimed = queue::claim(&db, EVENTS, &[partition], owner, BATCH, 600_000)
                .await
                .expect("claimed");
            if claimed.is_empty() {
                break;
            }
            numbered += events::number(&db, &Completion::of(owner, &claimed))
                .await
                .expect("numbered");
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "| drain {numbered} events (50 shops, 5,000 diners) | {secs:.1} s | {:.0} events/s |",
        f64::from(u32::try_from(numbered).unwrap_or(u32::MAX)) / secs
    );
}
