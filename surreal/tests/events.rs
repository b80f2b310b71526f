//! The event log: pending events get per-recipient numbers without gaps, under concurrency,
//! and the LIVE queries report what is published and numbered.

mod common;

use std::time::Duration;

use common::{number_pending, number_pending_as, seeded_db, seeded_disk_db};
use db::Db;
use db::events::{self, NewEvent, Span};
use futures::StreamExt;

fn event(recipient: &str, n: usize) -> NewEvent {
    NewEvent {
        recipients: vec![recipient.into()],
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
    let numbered = |limit| number_pending(&db, limit);
    assert_eq!(numbered(5).await.expect("some"), 5, "at most the limit");
    assert_eq!(numbered(100).await.expect("rest"), 2);
    assert_eq!(numbered(100).await.expect("none left"), 0);
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
    assert_eq!(
        events::span(&db, "merchant:m").await.expect("span"),
        Span {
            last: 4,
            first_kept: Some(1)
        }
    );
}

#[tokio::test]
async fn purged_events_are_gone_but_numbering_goes_on() {
    let db = seeded_db().await;
    events::publish(&db, &[event("diner:p", 1)])
        .await
        .expect("publish");
    number_pending(&db, 10).await.expect("numbered");
    let purged =
        events::purge_older_than(&db, chrono::Utc::now() + chrono::Duration::seconds(1), 10)
            .await
            .expect("purge");
    assert_eq!(purged, 1);
    let span = events::span(&db, "diner:p").await.expect("span");
    assert_eq!(
        span,
        Span {
            last: 1,
            first_kept: None
        }
    );
    events::publish(&db, &[event("diner:p", 2)])
        .await
        .expect("publish");
    number_pending(&db, 10).await.expect("numbered");
    let next = events::after(&db, "diner:p", 0, 10).await.expect("after");
    assert_eq!(next.iter().map(|e| e.seq).collect::<Vec<_>>(), [2]);
}

#[tokio::test]
async fn live_queries_report_published_and_numbered_events() {
    let db = seeded_db().await;
    let pending = db::queue::live_enqueued(&db, db::queue::EVENTS)
        .await
        .expect("live queue");
    let numbered = events::live_numbered(&db).await.expect("live numbered");
    futures::pin_mut!(pending, numbered);
    events::publish(&db, &[event("diner:live", 1)])
        .await
        .expect("publish");
    let woken = tokio::time::timeout(Duration::from_secs(5), pending.next()).await;
    assert_eq!(
        woken.expect("in time").expect("open").expect("ok"),
        db::queue::partition_of("diner:live", db::queue::EVENTS.partitions)
    );
    number_pending(&db, 10).await.expect("numbered");
    let heard = tokio::time::timeout(Duration::from_secs(5), numbered.next()).await;
    let heard = heard.expect("in time").expect("open").expect("ok");
    assert_eq!((heard.recipient.as_str(), heard.seq), ("diner:live", 1));
    assert_eq!(heard.kind, "WALLET_UPDATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_and_sequencers_never_skip_or_repeat_a_number() {
    publishers_never_skip_or_repeat(seeded_db().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_never_skip_or_repeat_a_number_on_disk() {
    let (db, _dir) = seeded_disk_db().await;
    publishers_never_skip_or_repeat(db).await;
}

/// 100 publishers for one shop (and ten of its diners), and 4 sequencers numbering while
/// they publish.
async fn publishers_never_skip_or_repeat(db: Db) {
    let publishers: Vec<_> = (0..100)
        .map(|n| {
            let db = db.clone();
            let diner = format!("diner:{}", n % 10);
            tokio::spawn(async move {
                events::publish(&db, &[event("merchant:hot", n), event(&diner, n)]).await
            })
        })
        .collect();
    let sequencers: Vec<_> = (0..4)
        .map(|n| {
            tokio::spawn(sequence_until_numbered(
                db.clone(),
                format!("sequencer-{n}"),
                100,
            ))
        })
        .collect();
    for task in publishers {
        task.await.expect("task").expect("published");
    }
    for task in sequencers {
        task.await.expect("task");
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
    for diner in 0..10 {
        let rows = events::after(&db, &format!("diner:{diner}"), 0, 100)
            .await
            .expect("rows");
        let seqs: Vec<i64> = rows.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<i64>>(), "diner {diner}");
    }
}

/// Numbers pending events as `owner` (retrying conflicts) until `merchant:hot` has
/// `total` and nothing is left.
async fn sequence_until_numbered(db: Db, owner: String, total: i64) {
    loop {
        match number_pending_as(&db, &owner, 7).await {
            Err(err) if err.is_retryable() => {}
            Err(err) => panic!("sequence failed: {err}"),
            Ok(_) => {}
        }
        let span = events::span(&db, "merchant:hot").await.expect("span");
        if span.last >= total {
            // The diners' last events may still wait in partitions not yet drained.
            while number_pending_as(&db, &owner, 1000).await.is_err() {}
            return;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn since_gives_the_latest_events_of_a_day_oldest_first() {
    let db = seeded_db().await;
    let start = chrono::Utc::now() - chrono::Duration::seconds(1);
    for n in 1..=3 {
        events::publish(&db, &[event("merchant:day", n)])
            .await
            .expect("publish");
    }
    number_pending(&db, 10).await.expect("numbered");
    let seqs = |rows: Vec<events::StoredEvent>| rows.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(
            events::since(&db, "merchant:day", start, 10)
                .await
                .expect("all")
        ),
        [1, 2, 3]
    );
    assert_eq!(
        seqs(
            events::since(&db, "merchant:day", start, 2)
                .await
                .expect("latest")
        ),
        [2, 3],
        "the latest ones, oldest first"
    );
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    assert!(
        events::since(&db, "merchant:day", tomorrow, 10)
            .await
            .expect("none")
            .is_empty()
    );
}

#[tokio::test]
async fn old_events_are_purged_in_bounded_batches() {
    let db = seeded_db().await;
    let batch: Vec<NewEvent> = (1..=5).map(|n| event("diner:batch", n)).collect();
    events::publish(&db, &batch).await.expect("publish");
    number_pending(&db, 10).await.expect("numbered");
    let cutoff = chrono::Utc::now() + chrono::Duration::seconds(1);
    let mut rounds = Vec::new();
    for _ in 0..3 {
        rounds.push(
            events::purge_older_than(&db, cutoff, 2)
                .await
                .expect("purge"),
        );
    }
    assert_eq!(rounds, [2, 2, 1], "a short batch: none left");
    let left = events::after(&db, "diner:batch", 0, 10)
        .await
        .expect("after");
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_counter_behind_its_log_is_repaired_and_numbering_goes_on_after_the_log() {
    let db = seeded_db().await;
    events::publish(
        &db,
        &[event("diner:restored", 1), event("diner:restored", 2)],
    )
    .await
    .expect("publish");
    number_pending(&db, 10).await.expect("numbered");
    // A restore put the counter back to before the log's last number.
    db.query("UPSERT type::record('event_seq', 'diner:restored') SET n = 1")
        .await
        .expect("counter set back");
    let recipients = ["diner:restored".to_owned(), "diner:fine".to_owned()];
    assert_eq!(
        events::repair_counters(&db, &recipients)
            .await
            .expect("repaired"),
        1
    );
    assert_eq!(
        events::repair_counters(&db, &recipients)
            .await
            .expect("again"),
        0
    );
    events::publish(&db, &[event("diner:restored", 3)])
        .await
        .expect("publish");
    number_pending(&db, 10)
        .await
        .expect("numbered after the log");
    let seqs: Vec<i64> = events::after(&db, "diner:restored", 0, 10)
        .await
        .expect("log")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
}
