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
