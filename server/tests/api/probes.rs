use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn readyz_reports_the_engine_and_current_schema() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["engine"], "memory");
    assert_eq!(
        body["schema_version"],
        u64::from(db::migrations::latest_version())
    );
}

#[tokio::test]
async fn readyz_is_503_problem_json_when_the_schema_is_behind() {
    let app = spawn_app().await;
    // As if an older deployment's database were attached: the latest migration is missing.
    app.db
        .query("DELETE _migration WHERE version = $v")
        .bind(("v", i64::from(db::migrations::latest_version())))
        .await
        .expect("delete");
    let body = assert_problem(app.get("/readyz").await, 503, "DATABASE_UNAVAILABLE").await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expected"))
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(id.len(), 36, "a UUID, got {id:?}");
}

#[tokio::test]
async fn a_request_id_sent_by_the_caller_is_kept() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "till-7-scan-42")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("till-7-scan-42")
    );
}
