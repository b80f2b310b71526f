use std::time::Duration;

use crate::helpers::spawn_app;

#[tokio::test]
async fn stopping_closes_the_listener_and_returns_cleanly() {
    let mut app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop();
    let server = app.server.take().expect("server task");
    let result = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("stops within the grace period")
        .expect("task joins");
    assert!(result.is_ok(), "{result:?}");
    let refused = app.client.get(app.url("/healthz")).send().await;
    assert!(refused.is_err(), "listener still open");
}

#[tokio::test]
async fn a_stopping_process_gives_up_its_partitions_and_duty_for_the_others() {
    let mut app = spawn_app().await;
    let db = app.db.clone();
    let held = || async {
        let mut response = db
            .query("SELECT VALUE queue FROM queue_lease WHERE until > time::now()")
            .await
            .expect("leases");
        let queues: Vec<String> = response.take(0).expect("queues");
        queues
    };
    // Its first sweep takes every partition of the events and the duty.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while held().await.len() < 17 {
        assert!(std::time::Instant::now() < deadline, "{:?}", held().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop();
    let server = app.server.take().expect("server task");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("stops")
        .expect("joins")
        .expect("stopped cleanly");
    assert_eq!(held().await, Vec::<String>::new());
}
