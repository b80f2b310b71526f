//! Who may do what: tokens, passwords, diners against staff operations, another merchant's staff.

use serde_json::json;

use super::DINER;
use crate::helpers::{assert_problem, key, spawn_app};

#[tokio::test]
async fn tokens_must_be_present_valid_and_for_this_audience() {
    let app = spawn_app().await;
    let body = json!({ "code": "x" });
    let none = app
        .post("/api/payment/verify", None, Some(&key()), &body)
        .await;
    assert_problem(none, 401, "UNAUTHORIZED").await;
    let garbage = app
        .post(
            "/api/payment/verify",
            Some("abc.def.ghi"),
            Some(&key()),
            &body,
        )
        .await;
    assert_problem(garbage, 401, "UNAUTHORIZED").await;

    let principal = app::auth::Principal::Staff {
        staff_id: "xiaozhang".into(),
        merchant_id: "demo".into(),
        role: app::auth::Role::Cashier,
    };
    let settings = |audience: &str, secret: &str| app::auth::TokenSettings {
        issuer: "mealquest".into(),
        audience: audience.into(),
        ttl: chrono::Duration::hours(1),
        current: app::auth::SigningKey {
            id: "k1".into(),
            secret: secret.as_bytes().to_vec(),
        },
        previous: None,
    };
    let forged = app::auth::TokenKeys::new(settings(
        "mealquest-api",
        "not-the-server-key-at-all-000000",
    ))
    .issue(&principal, "no-such-session", chrono::Utc::now())
    .expect("forged");
    let response = app
        .post("/api/payment/verify", Some(&forged), Some(&key()), &body)
        .await;
    assert_problem(response, 401, "UNAUTHORIZED").await;

    // The server's own key, but expired or for another audience.
    let state_keys = |audience: &str| {
        let mut keys = app.state_tokens.clone();
        if audience != "mealquest-api" {
            keys =
                app::auth::TokenKeys::new(settings(audience, "irrelevant-because-kid-differs-0"));
        }
        keys
    };
    let expired = state_keys("mealquest-api")
        .issue(
            &principal,
            "no-such-session",
            chrono::Utc::now() - chrono::Duration::hours(9),
        )
        .expect("expired");
    let response = app
        .post("/api/payment/verify", Some(&expired), Some(&key()), &body)
        .await;
    assert_problem(response, 401, "UNAUTHORIZED").await;
    let foreign = state_keys("another-app")
        .issue(&principal, "no-such-session", chrono::Utc::now())
        .expect("foreign");
    let response = app
        .post("/api/payment/verify", Some(&foreign), Some(&key()), &body)
        .await;
    assert_problem(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn wrong_passwords_and_dev_codes_are_refused_alike() {
    let app = spawn_app().await;
    let wrong = app
        .post(
            "/api/auth/staff/login",
            None,
            None,
            &json!({ "username": "xiaozhang", "password": "nope" }),
        )
        .await;
    assert_problem(wrong, 401, "UNAUTHORIZED").await;
    let unknown = app
        .post(
            "/api/auth/staff/login",
            None,
            None,
            &json!({ "username": "nobody", "password": "nope" }),
        )
        .await;
    assert_problem(unknown, 401, "UNAUTHORIZED").await;
    let not_dev = app
        .post(
            "/api/auth/diner/login",
            None,
            None,
            &json!({ "code": "wechat-code-123" }),
        )
        .await;
    assert_problem(not_dev, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn diners_cannot_act_as_staff_nor_see_other_wallets() {
    let app = spawn_app().await;
    let diner = app.diner_token(DINER).await;
    let scan = app
        .post(
            "/api/payment/verify",
            Some(&diner),
            Some(&key()),
            &json!({ "code": "663456789012345678" }),
        )
        .await;
    assert_problem(scan, 403, "FORBIDDEN").await;
    let peek = app
        .get_as(&format!("/api/wallets/of?uid={}", "wx-demo-002"), &diner)
        .await;
    assert_problem(peek, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn another_merchants_cashier_cannot_redeem_our_card() {
    let app = spawn_app().await;
    db::merchant::upsert(&app.db, "other", "隔壁面馆", "Asia/Shanghai")
        .await
        .expect("merchant");
    let hash = app::auth::hash_password("other-cashier-1").expect("hash");
    db::staff::ensure(
        &app.db,
        &db::staff::StaffRow {
            id: "othercashier".into(),
            merchant: "other".into(),
            username: "othercashier".into(),
            display_name: "隔壁收银".into(),
            password_hash: hash,
            role: "CASHIER".into(),
            active: true,
        },
    )
    .await
    .expect("staff");
    let card = app.active_card(DINER).await;
    let stranger = app.staff_token("othercashier", "other-cashier-1").await;
    let response = app
        .post(
            "/api/payment/verify",
            Some(&stranger),
            Some(&key()),
            &json!({ "code": card }),
        )
        .await;
    assert_problem(response, 404, "NOT_FOUND").await;
    let untouched = db::card::get(&app.db, &card)
        .await
        .expect("get")
        .expect("card");
    assert_eq!(untouched.status, "ACTIVE");
}
