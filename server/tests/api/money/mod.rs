//! The money API through the real router, by feature: stored value, idempotency, who may do
//! what, and what input is refused (auth, permissions, idempotency, problem+json).

mod idempotency;
mod input;
mod permissions;
mod stored_value;

use app::domain::{Balance, Money};
use serde_json::json;

use crate::helpers::{TestApp, key};

const CASHIER: (&str, &str) = ("xiaozhang", "cashier-demo-1");
pub const DINER: &str = "wx-demo-001";

pub async fn cashier(app: &TestApp) -> String {
    app.staff_token(CASHIER.0, CASHIER.1).await
}

pub async fn recharge(app: &TestApp, token: &str, uid: &str, tier: &str) -> reqwest::Response {
    app.post(
        "/api/wallet/recharge",
        Some(token),
        Some(&key()),
        &json!({ "uid": uid, "tier": tier }),
    )
    .await
}

/// A diner's wallet as staff read it, typed as the API defines it.
pub async fn wallet_of(app: &TestApp, token: &str, uid: &str) -> Balance {
    let response = app
        .get_as(&format!("/api/wallets/of?uid={uid}"), token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("a balance")
}

/// An amount, as written in the tests.
pub fn m(text: &str) -> Money {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}
