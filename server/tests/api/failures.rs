//! How failures are answered: our own faults are 500 `INTERNAL` (not an outage), a request
//! that runs too long is 503 `TIMEOUT`, both as problem documents with no internals.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use tower::ServiceExt;

use crate::helpers::{assert_problem, key, spawn_app, spawn_app_with};
use crate::support::socket::{PATIENCE, connect, ready};

#[tokio::test]
async fn a_write_that_trips_a_schema_assert_is_a_500_internal_not_an_outage() {
    let app = spawn_app().await;
    // A bug lets a bad value reach the database: here the schema is stricter than the code.
    app.db
        .query("DEFINE FIELD OVERWRITE amount ON payment TYPE decimal READONLY ASSERT $value > 1000dec")
        .await
        .expect("stricter schema")
        .check()
        .expect("defined");
    let diner = app.diner_token("wx-demo-001").await;
    let body = serde_json::json!({ "merchant_id": "demo", "amount": "12.00", "card": null });
    let response = app
        .post("/api/payment/create", Some(&diner), Some(&key()), &body)
        .await;
    let body = assert_problem(response, 500, "INTERNAL").await;
    let text = body.to_string();
    for internal in ["ASSERT", "amount", "payment", "1000"] {
        assert!(!text.contains(internal), "internals leaked: {text}");
    }
    let orders: Option<i64> = app
        .db
        .query("RETURN count(SELECT * FROM payment)")
        .await
        .expect("count")
        .take(0)
        .expect("number");
    assert_eq!(orders, Some(0), "nothing written");
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_a_503_timeout_problem() {
    let slow = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/fast", get(|| async { "ok" }));
    let limited = server::timeout::limited(slow, Duration::from_millis(200));
    let started = Instant::now();
    let response = limited
        .clone()
        .oneshot(
            axum::http::Request::get("/slow")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answered");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cut at the limit"
    );
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .expect("body");
    let problem: app::error::Problem = serde_json::from_slice(&bytes).expect("a problem");
    assert_eq!(problem.code, app::error::ErrorCode::Timeout);
    let fast = limited
        .oneshot(
            axum::http::Request::get("/fast")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answered");
    assert_eq!(fast.status(), 200);
}

#[tokio::test]
async fn a_websocket_session_outlives_the_request_time_limit() {
    let app = spawn_app_with(&[("MEALQUEST_SERVER__REQUEST_TIMEOUT_SECS", "1")]).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let diner = app.diner_token("wx-demo-002").await;
    let mut socket = connect(&format!("ws://{}/ws", app.address), &diner).await;
    ready(&mut socket).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Still open past the limit: news of a recharge made now arrives.
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let body = serde_json::json!({ "uid": "wx-demo-002", "tier": "T100" });
    let response = app
        .post("/api/wallet/recharge", Some(&cashier), Some(&key()), &body)
        .await;
    assert_eq!(response.status(), 200);
    let frame = tokio::time::timeout(PATIENCE, crate::support::socket::next_event(&mut socket))
        .await
        .expect("an event in time");
    assert_eq!(frame["type"], "WALLET_UPDATED", "{frame}");
}
