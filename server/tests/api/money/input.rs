//! What input is refused, and how: a clear 4xx naming the field, nothing written.

use serde_json::{Value, json};

use super::{DINER, cashier};
use crate::helpers::{key, spawn_app};

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_changes_nothing() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let diner = app.diner_token(DINER).await;
    // The demo data's own entries (the demo diner's cards).
    let seeded = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger");
    let cases: Vec<(&str, &str, Value, u16)> = vec![
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": -5, "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": "-5", "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": "1.001", "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": 12.5, "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": "0", "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "nowhere", "amount": "5", "card": null }),
            404,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo" }),
            422,
        ),
        (
            "/api/wallet/recharge",
            "staff",
            json!({ "uid": DINER, "tier": "T999" }),
            404,
        ),
        (
            "/api/wallet/recharge",
            "staff",
            json!({ "uid": DINER, "tier": 100 }),
            422,
        ),
        (
            "/api/payment/verify",
            "staff",
            json!({ "code": "not a code" }),
            422,
        ),
        (
            "/api/payment/verify",
            "staff",
            json!({ "code": "00000000-0000-4000-8000-000000000000" }),
            404,
        ),
        (
            "/api/market/trade",
            "diner",
            json!({ "merchant_id": "demo", "fragment": "CHILI", "side": "STEAL", "quantity": 1 }),
            422,
        ),
        (
            "/api/market/trade",
            "diner",
            json!({ "merchant_id": "demo", "fragment": "CHILI", "side": "BUY", "quantity": -1 }),
            422,
        ),
        (
            "/api/assets/synthesize",
            "diner",
            json!({ "merchant_id": "demo", "card_type": "NOPE" }),
            404,
        ),
    ];
    for (path, who, body, status) in cases {
        let token = if who == "staff" { &till } else { &diner };
        let response = app.post(path, Some(token), Some(&key()), &body).await;
        assert_eq!(response.status(), status, "{path} {body}");
        assert_eq!(
            crate::helpers::content_type(&response).as_deref(),
            Some("application/problem+json"),
            "{path} {body}"
        );
    }
    let huge = json!({ "uid": "x".repeat(100_000), "tier": "T100" });
    let response = app
        .post("/api/wallet/recharge", Some(&till), Some(&key()), &huge)
        .await;
    assert_eq!(response.status(), 413);
    let problem: Value = response
        .json()
        .await
        .expect("a problem document, not plain text");
    assert_eq!(problem["code"], "PAYLOAD_TOO_LARGE");
    let entries = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger");
    assert_eq!(entries, seeded, "nothing was written");
}

#[tokio::test]
async fn ids_that_cannot_be_ids_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let owner = app.staff_token("laowang", "owner-demo-1").await;
    let diner = app.diner_token(DINER).await;
    let cases: Vec<(&str, &String, Value, &str)> = vec![
        (
            "/api/payment/refund",
            &owner,
            json!({ "payment_id": "" }),
            "payment_id",
        ),
        (
            "/api/assets/synthesize",
            &diner,
            // Fields are read in the body's order: the first at fault is named.
            json!({ "card_type": "", "merchant_id": "" }),
            "card_type",
        ),
        (
            "/api/market/trade",
            &diner,
            json!({ "fragment": "", "merchant_id": "demo", "quantity": 1, "side": "BUY" }),
            "fragment",
        ),
        (
            "/api/payment/create",
            &diner,
            json!({ "amount": "12.30", "card": null, "merchant_id": "" }),
            "merchant_id",
        ),
        (
            "/api/wallet/refund/preview",
            &owner,
            json!({ "amount": "12.30", "uid": "" }),
            "uid",
        ),
        (
            "/api/catalog/tiers",
            &owner,
            json!({ "tier": { "code": "T1", "label": "l", "pay": "100000000", "bonus": "1", "active": true } }),
            "tier.pay",
        ),
    ];
    for (path, token, body, field) in cases {
        let response = app.post(path, Some(token), Some(&key()), &body).await;
        assert_eq!(response.status(), 422, "{path} {body}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "VALIDATION_FAILED", "{path} {body}");
        assert_eq!(problem["field"], field, "{path} {body}");
    }
    let query = app.get_as("/api/wallets/mine?merchant_id=", &diner).await;
    assert_eq!(query.status(), 422);
    let problem: Value = query.json().await.expect("problem");
    assert_eq!(problem["field"], "merchant_id");
    let missing = app.get_as("/api/ledger/of?limit=3", &owner).await;
    let problem: Value = missing.json().await.expect("problem");
    assert_eq!(problem["field"], "uid", "{problem}");
    let too_many = app
        .get_as("/api/ledger/of?uid=wx-demo-001&limit=201", &owner)
        .await;
    let problem: Value = too_many.json().await.expect("problem");
    assert_eq!(problem["field"], "limit", "{problem}");
    let key_not_a_uuid = app
        .post(
            "/api/payment/refund",
            Some(&owner),
            Some("1"),
            &json!({ "payment_id": "0193a0c4e5f07c3e9d2b6a1f4e8c7b20" }),
        )
        .await;
    let problem: Value = key_not_a_uuid.json().await.expect("problem");
    assert_eq!(problem["field"], "Idempotency-Key", "{problem}");
}
