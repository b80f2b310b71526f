//! Stored value over HTTP: recharge, pay, refund, the refund preview bound to its confirmation, statements.

use app::api::ledger::LedgerLine;
use app::api::payment::ScanResult;
use app::api::wallet::StoredValueRefundReceipt;
use app::domain::{Balance, Clawback, PaymentSplit};
use serde_json::json;

use super::{DINER, cashier, m, recharge, wallet_of};
use crate::helpers::{assert_problem, key, spawn_app};

#[tokio::test]
async fn recharge_pay_verify_refund_over_http() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let diner = app.diner_token(DINER).await;

    let response = recharge(&app, &till, DINER, "T100").await;
    assert_eq!(response.status(), 200);
    let wallet = wallet_of(&app, &till, DINER).await;
    assert_eq!(
        wallet,
        Balance {
            principal: m("100.00"),
            bonus: m("20.00"),
            granted_bonus: m("20.00"),
            made_good: m("0.00"),
        }
    );

    let order = app.payment_order(&diner, "24.00").await;
    let code = order.code.clone();

    let scanned: ScanResult = app
        .call("/api/payment/verify", &till, &json!({ "code": code }))
        .await;
    let ScanResult::PaymentCollected { split, .. } = scanned else {
        panic!("expected a collection, got {scanned:?}");
    };
    assert_eq!(
        split,
        PaymentSplit {
            principal: m("20.00"),
            bonus: m("4.00")
        }
    );
    let mine: Balance = app.read("/api/wallets/mine?merchant_id=demo", &diner).await;
    assert_eq!(mine.principal, m("80.00"));

    let refund = app
        .post(
            "/api/payment/refund",
            Some(&till),
            Some(&key()),
            &json!({ "payment_id": order.payment_id }),
        )
        .await;
    assert_eq!(refund.status(), 200);
    assert_eq!(wallet_of(&app, &till, DINER).await.principal, m("100.00"));
    let sums = db::ledger::wallet_sum(&app.db, "demo", DINER)
        .await
        .expect("sum");
    assert_eq!(
        (sums.principal.to_string(), sums.bonus.to_string()),
        ("100.00".into(), "20.00".into())
    );
}

#[tokio::test]
async fn the_stored_value_refund_preview_is_what_the_refund_does() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    recharge(&app, &till, DINER, "T300").await;
    let body = json!({ "uid": DINER, "amount": "270" });
    let preview: Clawback = app.call("/api/wallet/refund/preview", &till, &body).await;
    let confirmation = json!({ "uid": DINER, "amount": "270", "expected_payout": preview.payout });
    let done: StoredValueRefundReceipt = app.call("/api/wallet/refund", &till, &confirmation).await;
    assert_eq!(done.clawback, preview);
    assert_eq!(preview.payout, m("270.00"));
}

#[tokio::test]
async fn a_refund_whose_wallet_changed_since_its_preview_is_refused_with_the_new_one() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let other_till = app.staff_token("xiaoli", "manager-demo-1").await;
    let diner = app.diner_token(DINER).await;
    recharge(&app, &till, DINER, "T100").await;
    let asked = json!({ "uid": DINER, "amount": "80" });
    let preview: Clawback = app.call("/api/wallet/refund/preview", &till, &asked).await;
    // 80 of 100/20: c 16, all from the bonus.
    assert_eq!(preview.payout, m("80.00"));

    // Meanwhile the diner pays 24 (20 + 4) at another till.
    let order = app.payment_order(&diner, "24.00").await;
    let paid = app
        .post(
            "/api/payment/verify",
            Some(&other_till),
            Some(&key()),
            &json!({ "code": order.code }),
        )
        .await;
    assert_eq!(paid.status(), 200);
    let wallet_before = wallet_of(&app, &till, DINER).await;
    let entries_before = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger")
        .len();

    let stale = json!({ "uid": DINER, "amount": "80", "expected_payout": preview.payout });
    let refused = app
        .post("/api/wallet/refund", Some(&till), Some(&key()), &stale)
        .await;
    let problem = assert_problem(refused, 409, "REFUND_PREVIEW_CHANGED").await;
    // 80 of 80/16 with G 20: c 20, 16 from the bonus, 4 already spent → 76.
    let new_preview: Clawback =
        serde_json::from_value(problem["preview"].clone()).expect("the new preview");
    assert_eq!(new_preview.payout, m("76.00"));
    assert_eq!(new_preview.shortfall, m("4.00"));
    assert_eq!(wallet_of(&app, &till, DINER).await, wallet_before);
    assert_eq!(
        db::ledger::for_diner(&app.db, "demo", DINER, 100)
            .await
            .expect("ledger")
            .len(),
        entries_before,
        "nothing written"
    );

    let confirmed = json!({ "uid": DINER, "amount": "80", "expected_payout": new_preview.payout });
    let done: StoredValueRefundReceipt = app.call("/api/wallet/refund", &till, &confirmed).await;
    assert_eq!(done.clawback, new_preview);
}

#[tokio::test]
async fn a_refund_without_the_payout_of_its_preview_is_refused() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    recharge(&app, &till, DINER, "T100").await;
    let response = app
        .post(
            "/api/wallet/refund",
            Some(&till),
            Some(&key()),
            &json!({ "uid": DINER, "amount": "10" }),
        )
        .await;
    assert_problem(response, 422, "VALIDATION_FAILED").await;
    assert_eq!(wallet_of(&app, &till, DINER).await.principal, m("100.00"));
}

#[tokio::test]
async fn recharges_and_refunds_for_a_uid_no_diner_has_are_404() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let nobody = "wx-nobody-at-all";
    let recharged = recharge(&app, &till, nobody, "T100").await;
    assert_problem(recharged, 404, "DINER_NOT_FOUND").await;
    let refunded = app
        .post(
            "/api/wallet/refund",
            Some(&till),
            Some(&key()),
            &json!({ "uid": nobody, "amount": "10", "expected_payout": "10" }),
        )
        .await;
    assert_problem(refunded, 404, "DINER_NOT_FOUND").await;
    assert!(
        db::ledger::for_diner(&app.db, "demo", nobody, 10)
            .await
            .expect("ledger")
            .is_empty()
    );
    let wallet = db::wallet::get(&app.db, "demo", nobody)
        .await
        .expect("wallet");
    assert_eq!(wallet, db::wallet::WalletRow::default());
}

#[tokio::test]
async fn diners_read_their_statement_and_staff_read_a_diners() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    assert_eq!(recharge(&app, &till, DINER, "T100").await.status(), 200);
    assert_eq!(recharge(&app, &till, DINER, "T300").await.status(), 200);

    let diner = app.diner_token(DINER).await;
    let mine: Vec<LedgerLine> = app
        .read("/api/ledger/mine?merchant_id=demo&limit=1", &diner)
        .await;
    let [newest] = mine.as_slice() else {
        panic!("one line asked for, got {mine:?}");
    };
    assert_eq!(newest.kind, "RECHARGE");
    assert_eq!(newest.amount, "300.00");
    assert_eq!(newest.bonus_change.as_deref(), Some("80.00"));
    assert_eq!(newest.staff.as_deref(), Some("xiaozhang"));

    let theirs: Vec<LedgerLine> = app
        .read(&format!("/api/ledger/of?uid={DINER}"), &till)
        .await;
    let all_of_mine: Vec<LedgerLine> = app.read("/api/ledger/mine?merchant_id=demo", &diner).await;
    assert_eq!(theirs, all_of_mine);

    // Another diner sees only their own (empty) statement, and may not use the staff view.
    let other = app.diner_token("wx-demo-002").await;
    let empty: Vec<LedgerLine> = app.read("/api/ledger/mine?merchant_id=demo", &other).await;
    assert_eq!(empty, []);
    let refused = app
        .get_as(&format!("/api/ledger/of?uid={DINER}"), &other)
        .await;
    assert_problem(refused, 403, "FORBIDDEN").await;
    let too_many = app
        .get_as("/api/ledger/mine?merchant_id=demo&limit=201", &diner)
        .await;
    assert_problem(too_many, 422, "VALIDATION_FAILED").await;
}
