//! Refunds of online recharges back to WeChat Pay, through the real router against the
//! stand-in (which checks our signatures, makes the refund once per number and posts its
//! signed, sealed notification a moment later).

use std::time::Duration;

use app::domain::{Balance, Clawback};
use app::model::online::{OnlineRecharge, OnlineRefund, RefundableOrder};
use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::key;
use crate::money::{DINER, cashier, m, wallet_of};
use crate::online::{Shop, prepay_id, shop};

/// A T100 recharge (100 + 20) paid online and credited.
async fn paid(shop: &Shop) -> OnlineRecharge {
    let opened = shop.opened("T100").await;
    shop.standin
        .pay(prepay_id(&opened), true)
        .await
        .expect("paid");
    assert_eq!(shop.settled(&opened.order).await.status, "PAID");
    opened
}

async fn preview(shop: &Shop, till: &str, amount: &str) -> Clawback {
    shop.app
        .call(
            "/api/wallet/refund/preview",
            till,
            &json!({ "uid": DINER, "amount": amount }),
        )
        .await
}

async fn refund(
    shop: &Shop,
    till: &str,
    order: &str,
    preview: &Clawback,
    key: &str,
) -> reqwest::Response {
    shop.app
        .post(
            "/api/wallet/refund/online",
            Some(till),
            Some(key),
            &json!({
                "order": order,
                "amount": preview.refund,
                "expected_payout": preview.payout,
            }),
        )
        .await
}

async fn refunded(shop: &Shop, till: &str, order: &str, preview: &Clawback) -> OnlineRefund {
    let answer = refund(shop, till, order, preview, &key()).await;
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    answer.json().await.expect("a refund")
}

/// Waits for the refund to leave PROCESSING (its notification arrives on its own).
async fn settled(shop: &Shop, number: &str) -> db::online::RefundRow {
    for _ in 0..100 {
        let row = db::online::refund_get(&shop.app.db, number)
            .await
            .expect("read")
            .expect("kept");
        if row.status != "PROCESSING" {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("refund {number} is still processing");
}

/// The wallet equals the sum of its ledger, every field of it; the wallet.
async fn books_balance(shop: &Shop) -> db::wallet::WalletRow {
    let db = &shop.app.db;
    let stored = db::wallet::get(db, "demo", DINER).await.expect("wallet");
    let sums = db::ledger::wallet_sum(db, "demo", DINER)
        .await
        .expect("ledger sum");
    assert_eq!(stored, sums, "wallet ≠ Σ ledger");
    stored
}

async fn refundable(shop: &Shop, till: &str) -> Vec<RefundableOrder> {
    let answer = shop
        .app
        .get_as(
            &format!("/api/wallet/refund/online/orders?uid={DINER}"),
            till,
        )
        .await;
    assert_eq!(answer.status(), 200);
    answer.json().await.expect("orders")
}

/// Refund entries of `kind` on the diner's ledger naming online refunds.
async fn entries(shop: &Shop, kind: db::ledger::LedgerType) -> usize {
    db::ledger::for_diner(&shop.app.db, "demo", DINER, 1_000)
        .await
        .expect("the ledger")
        .iter()
        .filter(|entry| {
            entry.kind == kind
                && entry
                    .reference
                    .as_deref()
                    .is_some_and(|r| r.starts_with("online_refund:"))
        })
        .count()
}

#[tokio::test]
async fn a_refund_with_clawback_is_asked_of_wechat_pay_once_and_confirmed_by_its_notification() {
    let shop = shop(&[]).await;
    let till = cashier(&shop.app).await;
    let opened = paid(&shop).await;
    // Spend some of it first, so the clawback takes bonus back.
    let shown = preview(&shop, &till, "50").await;
    assert!(shown.clawback > m("0"), "{shown:?}");

    let same = key();
    let answer = refund(&shop, &till, &opened.order, &shown, &same).await;
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    let made: OnlineRefund = answer.json().await.expect("a refund");
    assert_eq!(made.order, opened.order);
    assert_eq!(made.clawback, shown);
    assert!(["PROCESSING", "SUCCESS"].contains(&made.status.as_str()));
    // The wallet is debited at once, as the preview said.
    assert_eq!(wallet_of(&shop.app, &till, DINER).await, shown.after);

    let row = settled(&shop, &made.refund).await;
    assert_eq!(row.status, "SUCCESS");
    assert!(row.refund_id.is_some());
    assert_eq!(shop.standin.refund_calls(), 1);
    assert_eq!(
        entries(&shop, db::ledger::LedgerType::StoredValueRefund).await,
        1
    );
    let entry = db::ledger::for_diner(&shop.app.db, "demo", DINER, 1_000)
        .await
        .expect("ledger")
        .into_iter()
        .find(|entry| entry.txn_id == made.txn_id)
        .expect("its entry");
    assert_eq!(entry.amount, shown.payout.amount());
    assert!(entry.staff.is_some(), "the cashier is on the ledger");
    books_balance(&shop).await;

    // The same key again: the same refund, not asked again; the worker finds nothing to do.
    let again: OnlineRefund = refund(&shop, &till, &opened.order, &shown, &same)
        .await
        .json()
        .await
        .expect("the same refund");
    assert_eq!(again.refund, made.refund);
    // The same key for another amount: refused, nothing more asked.
    let other = preview(&shop, &till, "10").await;
    assert_eq!(
        refund(&shop, &till, &opened.order, &other, &same)
            .await
            .status(),
        422
    );
    let swept =
        app::service::online::sweep(&shop.app.state, Utc::now() + chrono::Duration::hours(2), 10)
            .await
            .expect("swept");
    assert_eq!(swept, 0);
    assert_eq!(shop.standin.refund_calls(), 1);
    assert_eq!(
        entries(&shop, db::ledger::LedgerType::StoredValueRefund).await,
        1
    );
    // What is left of the order to pay back.
    let left = refundable(&shop, &till).await;
    let order = left
        .iter()
        .find(|order| order.order == opened.order)
        .expect("the order");
    assert_eq!(
        order.refundable.amount(),
        m("100").amount() - shown.payout.amount()
    );
}

#[tokio::test]
async fn two_cashiers_refunding_the_whole_order_at_once_pay_it_back_once() {
    let shop = shop(&[]).await;
    let (first, second) = (cashier(&shop.app).await, cashier(&shop.app).await);
    let opened = paid(&shop).await;
    let shown = preview(&shop, &first, "100").await;
    let (one, other) = (key(), key());
    let (a, b) = tokio::join!(
        refund(&shop, &first, &opened.order, &shown, &one),
        refund(&shop, &second, &opened.order, &shown, &other),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(shop.standin.refund_calls(), 1);
    assert_eq!(
        entries(&shop, db::ledger::LedgerType::StoredValueRefund).await,
        1
    );
    books_balance(&shop).await;
}

#[tokio::test]
async fn a_refund_wechat_pay_refuses_leaves_the_wallet_as_it_was() {
    let shop = shop(&[]).await;
    let till = cashier(&shop.app).await;
    let opened = paid(&shop).await;
    let before = books_balance(&shop).await;
    let shown = preview(&shop, &till, "100").await;
    shop.standin.set_refuse_refunds(true);
    let made = refunded(&shop, &till, &opened.order, &shown).await;
    assert_eq!(made.status, "FAILED");
    assert!(
        made.reason
            .as_deref()
            .is_some_and(|r| r.contains("NOT_ENOUGH")),
        "{made:?}"
    );
    assert!(made.reversal_txn_id.is_some());
    // Every balance as it was (principal, bonus, G, S), and the books still add up.
    assert_eq!(books_balance(&shop).await, before);
    assert_eq!(
        entries(&shop, db::ledger::LedgerType::RefundReversal).await,
        1
    );
    // The whole order can be refunded again, and is, once WeChat Pay takes it.
    let left = refundable(&shop, &till).await;
    assert!(
        left.iter()
            .any(|order| order.order == opened.order && order.refundable == m("100")),
        "{left:?}"
    );
    shop.standin.set_refuse_refunds(false);
    let made = refunded(&shop, &till, &opened.order, &shown).await;
    assert_eq!(settled(&shop, &made.refund).await.status, "SUCCESS");
    books_balance(&shop).await;
}

#[tokio::test]
async fn a_refund_reported_failed_is_put_back_and_a_forged_report_changes_nothing() {
    let shop = shop(&[]).await;
    let till = cashier(&shop.app).await;
    let opened = paid(&shop).await;
    let before = books_balance(&shop).await;
    let shown = preview(&shop, &till, "40").await;
    shop.standin.set_hold_refunds(true);
    let made = refunded(&shop, &till, &opened.order, &shown).await;
    assert_eq!(made.status, "PROCESSING");
    let payout_fen = shown.payout.amount() * rust_decimal::Decimal::ONE_HUNDRED;
    let report = |status: &str, refund_fen: Value| {
        let notice = json!({
            "mchid": "1900000109", "out_trade_no": opened.order, "transaction_id": null,
            "out_refund_no": made.refund, "refund_id": "50300000000000000000000001",
            "refund_status": status,
            "amount": { "total": 10_000, "refund": refund_fen },
        });
        shop.standin
            .notification(
                &format!("REFUND.{status}"),
                "refund",
                notice.to_string().as_bytes(),
                Utc::now().timestamp(),
            )
            .expect("signed")
    };
    // Signed rightly, but not the amount asked: refused, nothing changes.
    let wrong = report("ABNORMAL", json!(1));
    assert_eq!(shop.notify(&wrong.0, &wrong.1).await, 422);
    assert_eq!(wallet_of(&shop.app, &till, DINER).await, shown.after);
    // The refund stuck at WeChat Pay (ABNORMAL): the money never left; put back.
    let fen: u64 = payout_fen
        .normalize()
        .to_string()
        .parse()
        .expect("whole fen");
    let stuck = report("ABNORMAL", json!(fen));
    assert_eq!(shop.notify(&stuck.0, &stuck.1).await, 204);
    let row = db::online::refund_get(&shop.app.db, &made.refund)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(row.status, "FAILED", "{row:?}");
    assert_eq!(books_balance(&shop).await, before);
    // The same report again, or a SUCCESS after it (reports in an unexpected order):
    // nothing more.
    assert_eq!(shop.notify(&stuck.0, &stuck.1).await, 204);
    let late = report("SUCCESS", json!(fen));
    assert_eq!(shop.notify(&late.0, &late.1).await, 204);
    assert_eq!(
        entries(&shop, db::ledger::LedgerType::RefundReversal).await,
        1
    );
    assert_eq!(books_balance(&shop).await, before);
}

#[tokio::test]
async fn wechat_pay_down_leaves_a_refund_asked_again_and_an_open_breaker_refuses_before_writing() {
    let shop = shop(&[
        ("MEALQUEST_PAYMENTS__ONLINE__OPEN_SECS", "1"),
        ("MEALQUEST_PAYMENTS__ONLINE__FAILURES_TO_OPEN", "2"),
    ])
    .await;
    let till = cashier(&shop.app).await;
    let opened = paid(&shop).await;
    let shown = preview(&shop, &till, "30").await;
    // Down: the refund may or may not have reached it — the wallet stays debited, the refund
    // PROCESSING, to be asked again under its own number.
    shop.standin.set_down(true);
    let made = refunded(&shop, &till, &opened.order, &shown).await;
    assert_eq!(made.status, "PROCESSING");
    assert_eq!(wallet_of(&shop.app, &till, DINER).await, shown.after);
    // The breaker is open now: a refund is refused before anything is written.
    let debited = books_balance(&shop).await;
    let next = preview(&shop, &till, "10").await;
    let refused = refund(&shop, &till, &opened.order, &next, &key()).await;
    assert_eq!(refused.status(), 503);
    let problem: Value = refused.json().await.expect("a problem");
    assert_eq!(problem["code"], "PAYMENT_PROVIDER_UNAVAILABLE");
    assert_eq!(books_balance(&shop).await, debited);
    // Back up: once the breaker lets calls through again, the worker's next round asks
    // again and the refund is made, once.
    shop.standin.set_down(false);
    let later = Utc::now() + chrono::Duration::hours(2);
    let mut status = String::new();
    for _ in 0..40 {
        app::service::online::sweep(&shop.app.state, later, 10)
            .await
            .expect("swept");
        status = db::online::refund_get(&shop.app.db, &made.refund)
            .await
            .expect("read")
            .expect("kept")
            .status;
        if status == "SUCCESS" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, "SUCCESS");
    assert_eq!(
        entries(&shop, db::ledger::LedgerType::StoredValueRefund).await,
        1
    );
    let balance: Balance = wallet_of(&shop.app, &till, DINER).await;
    assert_eq!(balance, shown.after);
}
