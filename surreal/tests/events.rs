//! The event log: per-recipient numbers in commit order, without gaps, under concurrency.

mod common;

use common::{seeded_db, seeded_disk_db};
use db::Db;
use db::events::{self, NewEvent};

fn event(recipient: &str, n: usize) -> NewEvent {
    NewEvent {
        recipient: recipient.into(),
        kind: "WALLET_UPDATED".into(),
        payload: serde_json::json!({ "n": n }),
    }
}

#[tokio::test]
async fn each_recipient_counts_from_one_and_resumes_after_a_number() {
    let db = seeded_db().await;
    for n in 1..=3 {
        events::publish(&db, &[event("diner:a", n), event("merchant:m", n)])
            .await
            .expect("publish");
    }
    events::publish(&db, &[event("merchant:m", 4)])
        .await
        .expect("publish");
    let seqs = |rows: Vec<events::StoredEvent>| rows.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(events::after(&db, "diner:a", 0, 100).await.expect("a")),
        [1, 2, 3]
    );
    assert_eq!(
        seqs(events::after(&db, "merchant:m", 1, 100).await.expect("m")),
        [2, 3, 4]
    );
    let missed = events::after(&db, "diner:a", 1, 1).await.expect("one");
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].payload, serde_json::json!({ "n": 2 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_for_one_recipient_never_skip_or_repeat_a_number() {
    publishers_never_skip_or_repeat(seeded_db().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_never_skip_or_repeat_a_number_on_disk() {
    let (db, _dir) = seeded_disk_db().await;
    publishers_never_skip_or_repeat(db).await;
}

async fn publishers_never_skip_or_repeat(db: Db) {
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                loop {
                    match events::publish(&db, &[event("merchant:hot", n)]).await {
                        Err(err) if err.is_retryable() => continue,
                        other => return other,
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("published");
    }
    let rows = events::after(&db, "merchant:hot", 0, 1000)
        .await
        .expect("rows");
    let seqs: Vec<i64> = rows.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<i64>>());
    let mut payloads: Vec<i64> = rows
        .iter()
        .filter_map(|e| e.payload.get("n").and_then(serde_json::Value::as_i64))
        .collect();
    payloads.sort_unstable();
    assert_eq!(payloads, (0..100).collect::<Vec<i64>>());
}
