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

/// A worker set of its own on the shared database: the state one process would have,
/// connected through its own connection.
async fn worker_state(db_url: &str, database: &str) -> app::state::AppState {
    let config = support::test_config(&[
        ("MEALQUEST_DATABASE__URL", db_url),
        ("MEALQUEST_DATABASE__DATABASE", database),
        ("MEALQUEST_SECRET_DATABASE_PASSWORD", "root"),
        ("MEALQUEST_DEMO__SEED", "false"),
    ]);
    server::startup::build_state(&config)
        .await
        .expect("a worker's state")
}

/// A queue of these tests' own, worked by [`Tally`].
const TALLIED: db::queue::Queue = db::queue::Queue {
    name: "tallied",
    partitions: 16,
};

/// A consumer whose work is to count, in the items' completion transaction, how often each
/// item was worked and by whom: `tally:<n>` = { n: times, worker }.
#[derive(Clone, Default)]
struct Tally {
    worked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl app::work::Consumer for Tally {
    fn queue(&self) -> db::queue::Queue {
        TALLIED
    }

    async fn work(
        &self,
        state: &app::state::AppState,
        done: &db::queue::Completion,
        items: &[db::queue::Claimed],
    ) -> Result<(), app::error::AppError> {
        let response = done
            .bind(state.db.query(format!(
                "BEGIN TRANSACTION;
                 {}
                 FOR $item IN $work {{
                     UPSERT type::record('tally', $item.payload.n)
                         SET n = (n ?? 0) + 1, worker = $owner RETURN NONE;
                 }};
                 COMMIT TRANSACTION;",
                db::queue::COMPLETE
            )))
            .await
            .map_err(db::DbError::from)?;
        response.check().map_err(db::DbError::from)?;
        self.worked
            .fetch_add(items.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// Quick rounds, so a test sees sharing and take-overs in seconds.
fn quick() -> app::work::Settings {
    app::work::Settings {
        sweep: Duration::from_millis(300),
        partition_lease: Duration::from_secs(2),
        ..app::work::Settings::default()
    }
}

/// Starts `count` worker sets of `consumer`'s queue (each a clone); returns their tasks.
async fn start_workers<C: app::work::Consumer + Clone>(
    db_url: &str,
    database: &str,
    count: usize,
    consumer: &C,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for n in 0..count {
        let state = worker_state(db_url, database).await;
        tasks.push(tokio::spawn(app::work::run(
            state,
            consumer.clone(),
            format!("worker-{n}"),
            quick(),
        )));
    }
    tasks
}

/// Waits until nothing is left in `queue`.
async fn drained(db: &db::Db, queue: db::queue::Queue) {
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        let pending = db::queue::figures(db, queue).await.map(|f| f.pending);
        if pending.as_ref().is_ok_and(|pending| *pending == 0) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still pending: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `total` events, for 20 shops and 500 diners, published `per_publish` at a time.
async fn publish_events(db: &db::Db, from: usize, total: usize, per_publish: usize) {
    for start in (from..from + total).step_by(per_publish) {
        let batch: Vec<db::events::NewEvent> = (start..(start + per_publish).min(from + total))
            .map(|n| db::events::NewEvent {
                recipients: vec![
                    format!("merchant:m{}", n % 20),
                    format!("diner:d{}", n % 500),
                ],
                kind: "WALLET_UPDATED".into(),
                payload: json!({ "n": n }),
            })
            .collect();
        // The server may be restarting: publish again until it is saved.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Err(err) = db::events::publish(db, &batch).await {
            assert!(
                std::time::Instant::now() < deadline,
                "cannot publish: {err}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Waits until nothing is left in the events queue, then checks every event was numbered
/// exactly once: each recipient's log counts 1, 2, 3, … without a gap or a repeat, and
/// holds exactly the events published for it.
async fn assert_each_numbered_once(db: &db::Db, total: usize) {
    drained(db, db::queue::EVENTS).await;
    let recipients = (0..20)
        .map(|m| (format!("merchant:m{m}"), 20))
        .chain((0..500).map(|d| (format!("diner:d{d}"), 500)));
    for (recipient, every) in recipients {
        let which: usize = recipient
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .expect("a number");
        let events = db::events::after(db, &recipient, 0, 100_000)
            .await
            .expect("the log");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        let expected = (which..total).step_by(every).count();
        assert_eq!(
            seqs,
            (1..=i64::try_from(expected).expect("small")).collect::<Vec<_>>(),
            "{recipient}"
        );
        let mut published: Vec<i64> = events
            .iter()
            .filter_map(|e| e.payload.get("n")?.as_i64())
            .collect();
        published.sort_unstable();
        let wanted: Vec<i64> = (which..total)
            .step_by(every)
            .map(|n| i64::try_from(n).expect("small"))
            .collect();
        assert_eq!(published, wanted, "{recipient}");
    }
    let figures = db::queue::figures(db, db::queue::EVENTS)
        .await
        .expect("figures");
    assert_eq!(figures.dead, 0, "{figures:?}");
}

async fn workers_share_a_backlog(count: usize) {
    const ITEMS: usize = 10_000;
    let (_surrealdb, db_url) = surrealdb_server().await;
    let database = format!("drain_{}", uuid::Uuid::new_v4().simple());
    let producer = worker_state(&db_url, &database).await;
    let tally = Tally::default();
    let tasks = start_workers(&db_url, &database, count, &tally).await;
    // Rounds enough for the workers to see each other and share the partitions.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for start in (0..ITEMS).step_by(500) {
        let items: Vec<db::queue::NewItem> = (start..start + 500)
            .map(|n| db::queue::NewItem::new(TALLIED, &format!("key-{n}"), json!({ "n": n })))
            .collect();
        db::queue::enqueue(&producer.db, &items)
            .await
            .expect("enqueued");
    }
    drained(&producer.db, TALLIED).await;

    // Every item worked exactly once.
    let mut response = producer
        .db
        .query("SELECT VALUE n FROM tally; SELECT VALUE worker FROM tally")
        .await
        .expect("tally");
    let times: Vec<i64> = response.take(0).expect("times");
    assert_eq!(times.len(), ITEMS, "every item worked");
    assert!(times.iter().all(|&n| n == 1), "none twice");
    // Shared: each worker set worked a good part of them.
    let workers: Vec<String> = response.take(1).expect("workers");
    let mut shares = std::collections::BTreeMap::<String, usize>::new();
    for worker in workers {
        *shares.entry(worker).or_default() += 1;
    }
    assert_eq!(shares.len(), count, "{shares:?}");
    assert!(
        shares.values().all(|&items| items >= ITEMS / count / 3),
        "the load is shared: {shares:?}"
    );
    assert_eq!(
        tally.worked.load(std::sync::atomic::Ordering::Relaxed),
        ITEMS
    );
    for task in tasks {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_worker_sets_number_a_backlog_once_and_share_it() {
    workers_share_a_backlog(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_worker_sets_number_a_backlog_once_and_share_it() {
    workers_share_a_backlog(4).await;
}

/// The SurrealDB server restarts in the middle of the drain: the workers' LIVE queries die
/// with it and their connections drop; once it is back, the sweeps (and the LIVE queries
/// opened again) finish the work, with nothing lost or numbered twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_server_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = format!("surrealkv://{}/db", dir.path().display());
    let port = free_port();
    let surrealdb = support::surrealdb_server_on(port, &store).await;
    let db_url = format!("ws://127.0.0.1:{port}");
    let database = format!("restart_{}", uuid::Uuid::new_v4().simple());
    let publisher = worker_state(&db_url, &database).await;
    let tasks = start_workers(&db_url, &database, 2, &app::realtime::sequencer::Sequencer).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    publish_events(&publisher.db, 0, 1_000, 100).await;
    drop(surrealdb); // killed mid-drain
    let surrealdb = support::surrealdb_server_on(port, &store).await;
    publish_events(&publisher.db, 1_000, 1_000, 100).await;

    assert_each_numbered_once(&publisher.db, 2_000).await;
    for task in tasks {
        task.abort();
    }
    drop(surrealdb);
}
