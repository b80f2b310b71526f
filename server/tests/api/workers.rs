//! The background workers against a real database.

use std::time::Duration;

use db::idempotency::Request;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_purge_worker_deletes_expired_answers_in_batches_and_keeps_live_ones() {
    let app = spawn_app().await;
    let request = |key: &str| Request {
        scope: "diner:x|wallet/recharge".into(),
        key: key.into(),
        request_hash: "h".into(),
    };
    for key in ["old-1", "old-2", "old-3", "old-4", "old-5", "live"] {
        db::idempotency::store(&app.db, &request(key).answer(200, "{}".into()))
            .await
            .expect("store");
    }
    app.db
        .query("UPDATE idempotency SET expires_at = time::now() - 1s WHERE string::starts_with(record::id(id)[1], 'old')")
        .await
        .expect("age five");
    // Batches of two: one round takes three of them to clear the five.
    let worker = server::workers::purge_expired_answers(
        app.state.clone(),
        server::workers::Duty::granted(),
        Duration::from_secs(3600),
        2,
    );
    let _ = tokio::time::timeout(Duration::from_millis(300), worker).await;
    let left: Vec<String> = app
        .db
        .query("SELECT VALUE record::id(id)[1] FROM idempotency")
        .await
        .expect("query")
        .take(0)
        .expect("keys");
    assert_eq!(left, ["live"]);
}

#[tokio::test]
async fn the_expiry_worker_closes_codes_past_their_time_and_leaves_the_rest() {
    let app = spawn_app().await;
    // One order made eleven minutes ago (its code lived ten), one made now.
    let create = |at: chrono::DateTime<chrono::Utc>| {
        app::service::payment::create_payment(
            &app.state,
            "demo",
            "wx-demo-001",
            "5.00".parse().expect("money"),
            None,
            at,
            None,
            app::service::payment::PaymentRules::default(),
        )
    };
    let now = chrono::Utc::now();
    let old = create(now - chrono::Duration::minutes(11))
        .await
        .expect("old");
    let fresh = create(now).await.expect("fresh");
    let worker = server::workers::expire_payment_codes(
        app.state.clone(),
        server::workers::Duty::granted(),
        Duration::from_secs(3600),
        1,
    );
    let _ = tokio::time::timeout(Duration::from_millis(300), worker).await;
    let status = |order: &app::api::payment::PaymentOrder| {
        let id = order.payment_id.clone();
        let db = app.db.clone();
        async move {
            db::payment::get(&db, &id)
                .await
                .expect("read")
                .expect("order")
                .status
        }
    };
    assert_eq!(status(&old).await, "EXPIRED");
    assert_eq!(status(&fresh).await, "PENDING");
}

#[tokio::test]
async fn one_process_at_a_time_holds_the_housekeeping_duty() {
    let app = spawn_app().await;
    // The app's own process took the duty when its workers started.
    let second = server::workers::Duty::claim(&app.state, "second-process").await;
    assert!(!second.held(), "the first process holds it");
    db::queue::leave(&app.db, db::queue::HOUSEKEEPING, "second-process")
        .await
        .expect("leaves");
    // The first process stops: its lease is given up, and the second takes the duty.
    app.db
        .query("UPDATE queue_lease SET until = time::now() WHERE queue = 'housekeeping'")
        .await
        .expect("the first lease ends");
    let second = server::workers::Duty::claim(&app.state, "second-process").await;
    assert!(second.held());
}

/// A queue of this test's own: nobody else works it.
const PICKY: db::queue::Queue = db::queue::Queue {
    name: "picky",
    partitions: 1,
};

/// A consumer that cannot work item 0 (say, a payload from a newer build) and completes the
/// rest.
struct Picky;

impl app::work::Consumer for Picky {
    fn queue(&self) -> db::queue::Queue {
        PICKY
    }

    async fn work(
        &self,
        state: &app::state::AppState,
        done: &db::queue::Completion,
        items: &[db::queue::Claimed],
    ) -> Result<(), app::error::AppError> {
        if items
            .iter()
            .any(|item| item.payload.get("n") == Some(&serde_json::json!(0)))
        {
            return Err(app::error::AppError::Internal("cannot read item 0".into()));
        }
        db::queue::complete(&state.db, done).await?;
        Ok(())
    }
}

#[tokio::test]
async fn a_poison_item_is_worked_alone_then_dead_lettered_while_the_rest_flow() {
    let app = spawn_app().await;
    let items: Vec<db::queue::NewItem> = (0..5)
        .map(|n| db::queue::NewItem::new(PICKY, "shop", serde_json::json!({ "n": n })))
        .collect();
    db::queue::enqueue(&app.db, &items).await.expect("enqueued");
    let settings = app::work::Settings {
        backoff: Duration::ZERO,
        ..app::work::Settings::default()
    };
    // The batch fails as a whole, so each item is worked alone: the four good ones complete
    // on the first round.
    app::work::drain(&app.state, &Picky, "worker", &[0], settings).await;
    let figures = db::queue::figures(&app.db, PICKY).await.expect("figures");
    assert_eq!((figures.pending, figures.dead), (1, 0));
    for _ in 1..db::queue::MAX_ATTEMPTS {
        app::work::drain(&app.state, &Picky, "worker", &[0], settings).await;
    }
    let dead = db::queue::dead(&app.db, PICKY, 10).await.expect("dead");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].payload["n"], 0);
    assert!(
        dead[0].error.contains("cannot read item 0"),
        "{}",
        dead[0].error
    );
    let figures = db::queue::figures(&app.db, PICKY).await.expect("figures");
    assert_eq!((figures.pending, figures.dead), (0, 1));
}
