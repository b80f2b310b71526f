//! Payment codes: a diner holds only a few open at once, and a code past its time is closed.

use crate::helpers::{assert_problem, key, spawn_app_with};

#[tokio::test]
async fn a_diner_holds_at_most_the_configured_open_codes() {
    let app = spawn_app_with(&[("MEALQUEST_PAYMENTS__MAX_OPEN_PER_DINER", "2")]).await;
    let diner = app.diner_token("wx-demo-001").await;
    let first = app.payment_order(&diner, "1.00").await;
    app.payment_order(&diner, "2.00").await;
    let body = serde_json::json!({ "merchant_id": "demo", "amount": "3.00", "card": null });
    let over = app
        .post("/api/payment/create", Some(&diner), Some(&key()), &body)
        .await;
    assert_problem(over, 409, "TOO_MANY_OPEN_PAYMENTS").await;
    // Another diner is not held back by this one.
    let other = app.diner_token("wx-demo-002").await;
    app.payment_order(&other, "3.00").await;

    // Once one is no longer open (collected here), there is room for a new one.
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let recharge = serde_json::json!({ "uid": "wx-demo-001", "tier": "T100" });
    let recharged = app
        .post(
            "/api/wallet/recharge",
            Some(&cashier),
            Some(&key()),
            &recharge,
        )
        .await;
    assert_eq!(recharged.status(), 200);
    let scan = serde_json::json!({ "code": first.code });
    let collected = app
        .post("/api/payment/verify", Some(&cashier), Some(&key()), &scan)
        .await;
    assert_eq!(collected.status(), 200);
    app.payment_order(&diner, "3.00").await;
}

#[tokio::test]
async fn codes_expire_after_the_configured_time() {
    let app = spawn_app_with(&[("MEALQUEST_PAYMENTS__CODE_TTL_SECS", "1")]).await;
    let diner = app.diner_token("wx-demo-001").await;
    let order = app.payment_order(&diner, "1.00").await;
    let made = order.expires_at;
    let left = made - chrono::Utc::now();
    assert!(left <= chrono::Duration::seconds(1), "{left}");
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let scan = serde_json::json!({ "code": order.code });
    let late = app
        .post("/api/payment/verify", Some(&cashier), Some(&key()), &scan)
        .await;
    assert_problem(late, 409, "PAYMENT_EXPIRED").await;
}
