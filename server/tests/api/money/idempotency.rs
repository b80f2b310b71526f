//! Idempotency-Key over HTTP: a replay is the first answer, a refusal replays as the same refusal, one effect under fifty concurrent retries.

use serde_json::{Value, json};

use super::{DINER, cashier, m, recharge, wallet_of};
use crate::helpers::{assert_problem, key, spawn_app};

#[tokio::test]
async fn a_replayed_key_returns_the_first_response_without_a_second_effect() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let same = key();
    let body = json!({ "uid": DINER, "tier": "T100" });
    let first: Value = app
        .post("/api/wallet/recharge", Some(&till), Some(&same), &body)
        .await
        .json()
        .await
        .expect("first");
    let again = app
        .post("/api/wallet/recharge", Some(&till), Some(&same), &body)
        .await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("again");
    assert_eq!(again, first);
    assert_eq!(wallet_of(&app, &till, DINER).await.principal, m("100.00"));

    let other_body = json!({ "uid": DINER, "tier": "T300" });
    let reused = app
        .post(
            "/api/wallet/recharge",
            Some(&till),
            Some(&same),
            &other_body,
        )
        .await;
    assert_problem(reused, 422, "IDEMPOTENCY_KEY_REUSED").await;
    let missing = app
        .post("/api/wallet/recharge", Some(&till), None, &body)
        .await;
    assert_problem(missing, 400, "IDEMPOTENCY_KEY_REQUIRED").await;
    assert_eq!(wallet_of(&app, &till, DINER).await.principal, m("100.00"));
}

#[tokio::test]
async fn a_refused_request_is_replayed_as_the_same_refusal() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let same = key();
    let body = json!({ "uid": DINER, "amount": "5", "expected_payout": "5" });
    let first = app
        .post("/api/wallet/refund", Some(&till), Some(&same), &body)
        .await;
    assert_problem(first, 409, "REFUND_EXCEEDS_PRINCIPAL").await;
    recharge(&app, &till, DINER, "T100").await;
    let again = app
        .post("/api/wallet/refund", Some(&till), Some(&same), &body)
        .await;
    assert_problem(again, 409, "REFUND_EXCEEDS_PRINCIPAL").await;
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_have_one_effect() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let same = key();
    let body = json!({ "uid": DINER, "tier": "T100" });
    let requests =
        (0..50).map(|_| app.post("/api/wallet/recharge", Some(&till), Some(&same), &body));
    let responses = futures::future::join_all(requests).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200));
    assert_eq!(wallet_of(&app, &till, DINER).await.principal, m("100.00"));
    let entries = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger");
    let recharges = entries
        .iter()
        .filter(|entry| entry.kind == db::ledger::LedgerType::Recharge);
    assert_eq!(recharges.count(), 1);
}

#[tokio::test]
async fn a_replayed_scan_gets_the_first_success_though_the_card_is_now_used() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let card = app.active_card(DINER).await;
    let same = key();
    let body = json!({ "code": card });
    let first = app
        .post("/api/payment/verify", Some(&till), Some(&same), &body)
        .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.expect("scan");
    // The retry finds the card USED, and the stored success wins over that refusal.
    let again = app
        .post("/api/payment/verify", Some(&till), Some(&same), &body)
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.expect("scan"), first);
    // A new key is a new scan: now it is refused.
    let fresh = app
        .post("/api/payment/verify", Some(&till), Some(&key()), &body)
        .await;
    assert_problem(fresh, 409, "CARD_ALREADY_USED").await;
}
