use app::api::payment::ScanResult;
use app::error::{AppError, ErrorCode};
use app::service::payment::{self, Counter};
use app::service::wallet;
use chrono::Utc;

use crate::helpers::{
    MERCHANT, RULES, assert_wallet_matches_ledger, balance, cashier, m, seeded_state,
    with_made_good,
};

#[tokio::test]
async fn recharge_then_refund_everything_as_in_the_worked_example() {
    let state = seeded_state().await;
    let receipt = wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    assert_eq!(receipt.balance, balance("100", "20", "20"));
    assert_eq!(receipt.tier, "充100送20");
    assert_wallet_matches_ledger(&state, "d1").await;

    let preview = wallet::preview_stored_value_refund(&state, "demo", "d1", m("100"))
        .await
        .expect("preview");
    assert_eq!(preview.payout, m("100"));
    let done = wallet::stored_value_refund(&state, cashier("d1"), m("100"), preview.payout, None)
        .await
        .expect("refund");
    assert_eq!(
        done.clawback, preview,
        "the preview is exactly what happens"
    );
    let after = assert_wallet_matches_ledger(&state, "d1").await;
    assert_eq!(after, balance("0", "0", "0"));
}

#[tokio::test]
async fn refunds_in_two_halves_pay_out_what_one_refund_would() {
    let state = seeded_state().await;
    wallet::recharge(&state, cashier("d1"), "T300", None)
        .await
        .expect("recharge");
    let first = wallet::stored_value_refund(&state, cashier("d1"), m("150"), m("150"), None)
        .await
        .expect("first");
    let second = wallet::stored_value_refund(&state, cashier("d1"), m("150"), m("150"), None)
        .await
        .expect("second");
    assert_eq!(
        first.clawback.payout.checked_add(second.clawback.payout),
        Some(m("300"))
    );
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("0", "0", "0")
    );
}

#[tokio::test]
async fn unknown_tiers_and_excessive_refunds_are_refused_and_change_nothing() {
    let state = seeded_state().await;
    let err = wallet::recharge(&state, cashier("d1"), "T999", None)
        .await
        .expect_err("unknown tier");
    assert_eq!(err.to_problem().code, ErrorCode::NotFound);
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let err = wallet::stored_value_refund(&state, cashier("d1"), m("100.01"), m("100.01"), None)
        .await
        .expect_err("too much");
    assert_eq!(err.to_problem().code, ErrorCode::RefundExceedsPrincipal);
    assert_eq!(err.to_problem().status, 409);
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("100", "20", "20")
    );
}

#[tokio::test]
async fn merchants_wallets_are_separate() {
    let state = seeded_state().await;
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let elsewhere = wallet::balance(&state, "other", "d1")
        .await
        .expect("balance");
    assert_eq!(elsewhere, balance("0", "0", "0"));
}

/// 200 cashiers refund 1.00 each from one wallet of 100 principal at the same instant: the
/// wallet never goes negative, never pays out more than 100, and always equals its ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refunds_of_one_wallet_never_overdraw_it() {
    let state = seeded_state().await;
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move {
                wallet::stored_value_refund(&state, cashier("d1"), m("1"), m("1"), None).await
            })
        })
        .collect();
    let (mut paid_out, mut refunded, mut refused, mut busy) = (m("0"), 0_u32, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(receipt) => {
                paid_out = paid_out.checked_add(receipt.clawback.payout).expect("sum");
                refunded += 1;
            }
            Err(AppError::Wallet(_)) => refused += 1,
            Err(AppError::Busy { .. }) => busy += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    let after = assert_wallet_matches_ledger(&state, "d1").await;
    assert!(paid_out <= m("100"), "paid out {paid_out}");
    // Every success took exactly 1.00 of principal; nothing else did.
    assert_eq!(
        after.principal.checked_add(m(&refunded.to_string())),
        Some(m("100")),
        "{refunded} refunds, {refused} refused, {busy} busy, wallet {after:?}"
    );
    assert!(refunded > 0);
    eprintln!("{refunded} refunded, {refused} refused, {busy} busy; wallet {after:?}");
}

/// product.md's worked example of "made good", through the services and the database: 充100送20
/// → pay 60 (50 + 10) → cash-refund 50 (payout 40, S 10) → refund the payment (60 principal,
/// S 0) → cash-refund 60 (payout 60). Paid 100, nothing consumed, 100 back; the wallet equals
/// its ledger, S included, after every step.
#[tokio::test]
async fn a_payment_refunded_after_a_cash_refund_is_not_clawed_back_twice() {
    let state = seeded_state().await;
    let now = Utc::now();
    let till = Counter {
        merchant: MERCHANT,
        staff: "cashier-1",
    };
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let order = payment::create_payment(&state, MERCHANT, "d1", m("60"), None, now, None, RULES)
        .await
        .expect("create");
    let collected = payment::scan(&state, till, &order.code, now, None)
        .await
        .expect("collect");
    assert!(matches!(collected, ScanResult::PaymentCollected { .. }));
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("50", "10", "20")
    );

    let first = wallet::stored_value_refund(&state, cashier("d1"), m("50"), m("40"), None)
        .await
        .expect("first cash refund");
    assert_eq!(
        (first.clawback.bonus_taken, first.clawback.shortfall),
        (m("10"), m("10"))
    );
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        with_made_good(balance("0", "0", "0"), "10")
    );

    let back = payment::refund_payment(&state, till, &order.payment_id, now, None)
        .await
        .expect("payment refund");
    assert_eq!(back.wallet, balance("60", "0", "0"));
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        back.wallet
    );

    let last = wallet::stored_value_refund(&state, cashier("d1"), m("60"), m("60"), None)
        .await
        .expect("second cash refund");
    assert_eq!(last.clawback.clawback, m("0"));
    assert_eq!(
        first.clawback.payout.checked_add(last.clawback.payout),
        Some(m("100")),
        "paid 100, nothing consumed, 100 back"
    );
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("0", "0", "0")
    );
}

/// Money kept for a uid no diner has could never be spent or paid back: refused, nothing
/// written.
#[tokio::test]
async fn recharges_and_refunds_for_nobody_are_refused() {
    let state = seeded_state().await;
    let db = &state.db;
    let err = wallet::recharge(&state, cashier("nobody"), "T100", None)
        .await
        .expect_err("recharge for nobody");
    assert_eq!(err.to_problem().code, ErrorCode::DinerNotFound);
    assert_eq!(err.to_problem().status, 404);
    let err = wallet::stored_value_refund(&state, cashier("nobody"), m("1"), m("1"), None)
        .await
        .expect_err("refund for nobody");
    assert_eq!(err.to_problem().code, ErrorCode::DinerNotFound);
    assert!(
        db::ledger::for_diner(db, MERCHANT, "nobody", 10)
            .await
            .expect("ledger")
            .is_empty()
    );
}
