//! The background workers against a real database.

use std::time::Duration;

use db::idempotency::Request;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_purge_worker_deletes_expired_answers_and_keeps_live_ones() {
    let app = spawn_app().await;
    let request = |key: &str| Request {
        scope: "diner:x|wallet/recharge".into(),
        key: key.into(),
        request_hash: "h".into(),
    };
    for key in ["old", "live"] {
        db::idempotency::store(&app.db, &request(key).answer(200, "{}".into()))
            .await
            .expect("store");
    }
    app.db
        .query(
            "UPDATE idempotency SET expires_at = time::now() - 1s WHERE record::id(id)[1] = 'old'",
        )
        .await
        .expect("age one");
    let worker = server::workers::purge_expired_answers(app.db.clone(), Duration::from_millis(20));
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
