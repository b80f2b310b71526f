use std::sync::Arc;

use app::api::payment::ScanResult;
use app::domain::PaymentSplit;
use app::error::{AppError, ErrorCode};
use app::service::payment::{self, Counter, PaymentRules};
use app::service::wallet;
use app::state::AppState;
use chrono::{Duration, Utc};

use crate::helpers::{
    MERCHANT, RULES, TILL, assert_wallet_matches_ledger, balance, cashier, m, pay_with_card,
    seeded_disk_state, seeded_state,
};

async fn card_for(db: &db::Db, uid: &str, days: i64) -> String {
    db::card::issue(
        db,
        MERCHANT,
        "FREE_APPETIZER",
        uid,
        Utc::now() + Duration::days(days),
    )
    .await
    .expect("card issued")
}

fn code_of(result: &Result<ScanResult, AppError>) -> Option<ErrorCode> {
    result.as_ref().err().map(|err| err.to_problem().code)
}

/// The chain of the issue: recharge → create payment → verify → refund, checking wallet,
/// ledger and Σ-ledger after every step.
#[tokio::test]
async fn recharge_pay_verify_refund() {
    let state = seeded_state().await;
    let db = &state.db;
    let now = Utc::now();
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("100", "20", "20")
    );

    let order = payment::create_payment(&state, MERCHANT, "d1", m("24"), None, now, None, RULES)
        .await
        .expect("create");
    assert_eq!(order.code.len(), 18);
    // Creating a code moves nothing.
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("100", "20", "20")
    );

    let scanned = payment::scan(&state, TILL, &order.code, now, None)
        .await
        .expect("collect");
    let ScanResult::PaymentCollected {
        split,
        wallet: after,
        ..
    } = scanned
    else {
        panic!("expected a collection, got {scanned:?}");
    };
    assert_eq!(
        split,
        PaymentSplit {
            principal: m("20"),
            bonus: m("4")
        }
    );
    assert_eq!(after, balance("80", "16", "20"));
    assert_eq!(assert_wallet_matches_ledger(&state, "d1").await, after);

    let again = payment::scan(&state, TILL, &order.code, now, None).await;
    assert_eq!(code_of(&again), Some(ErrorCode::PaymentNotPending));

    let refund = payment::refund_payment(&state, TILL, &order.payment_id, now, None)
        .await
        .expect("refund");
    assert_eq!(refund.returned, split);
    assert_eq!(refund.wallet, balance("100", "20", "20"));
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        refund.wallet
    );

    let twice = payment::refund_payment(&state, TILL, &order.payment_id, now, None).await;
    assert_eq!(
        twice.err().map(|e| e.to_problem().code),
        Some(ErrorCode::PaymentNotPending)
    );
    let entries = db::ledger::for_diner(db, MERCHANT, "d1", 10)
        .await
        .expect("ledger");
    assert_eq!(entries.len(), 3, "recharge, payment, refund");
}

#[tokio::test]
async fn a_card_on_the_bill_is_applied_first_and_given_back_on_refund() {
    let state = seeded_state().await;
    let db = &state.db;
    let now = Utc::now();
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let card = card_for(db, "d1", 30).await;
    let (payment_id, deduction, split) = pay_with_card(&state, "d1", "60", &card, now).await;
    assert_eq!(deduction, m("18"));
    assert_eq!(split.total(), Some(m("42")));
    let used = db::card::get(db, &card).await.expect("get").expect("card");
    assert_eq!(used.status, "USED");
    assert_wallet_matches_ledger(&state, "d1").await;

    let refund = payment::refund_payment(&state, TILL, &payment_id, now, None)
        .await
        .expect("refund");
    assert!(refund.card_reactivated);
    let back = db::card::get(db, &card).await.expect("get").expect("card");
    assert_eq!(back.status, "ACTIVE");
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("100", "20", "20")
    );
}

#[tokio::test]
async fn scanning_a_card_redeems_it_exactly_once() {
    let state = seeded_state().await;
    let db = &state.db;
    let card = card_for(db, "d1", 30).await;
    let first = payment::scan(&state, TILL, &card, Utc::now(), None).await;
    assert!(
        matches!(first, Ok(ScanResult::CardRedeemed { .. })),
        "{first:?}"
    );
    let second = payment::scan(&state, TILL, &card, Utc::now(), None).await;
    assert_eq!(code_of(&second), Some(ErrorCode::CardAlreadyUsed));
}

#[tokio::test]
async fn expired_cards_and_codes_are_refused() {
    let state = seeded_state().await;
    let db = &state.db;
    let now = Utc::now();
    let card = card_for(db, "d1", 1).await;
    let later = now + Duration::days(2);
    assert_eq!(
        code_of(&payment::scan(&state, TILL, &card, later, None).await),
        Some(ErrorCode::CardExpired)
    );

    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let order = payment::create_payment(&state, MERCHANT, "d1", m("10"), None, now, None, RULES)
        .await
        .expect("create");
    let too_late = now + Duration::minutes(11);
    assert_eq!(
        code_of(&payment::scan(&state, TILL, &order.code, too_late, None).await),
        Some(ErrorCode::PaymentExpired)
    );
    // Closed by the expiry worker, the code is still refused as expired (not "not pending").
    let closed = db::payment::expire_pending(db, too_late, 10)
        .await
        .expect("expire");
    assert_eq!(closed, 1);
    assert_eq!(
        code_of(&payment::scan(&state, TILL, &order.code, now, None).await),
        Some(ErrorCode::PaymentExpired)
    );
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("100", "20", "20")
    );
}

#[tokio::test]
async fn another_merchants_cashier_finds_nothing_and_changes_nothing() {
    let state = seeded_state().await;
    let db = &state.db;
    let card = card_for(db, "d1", 30).await;
    let elsewhere = Counter {
        merchant: "other",
        staff: "cashier-9",
    };
    let result = payment::scan(&state, elsewhere, &card, Utc::now(), None).await;
    assert_eq!(code_of(&result), Some(ErrorCode::NotFound));
    let untouched = db::card::get(db, &card).await.expect("get").expect("card");
    assert_eq!(untouched.status, "ACTIVE");
}

#[tokio::test]
async fn paying_more_than_the_balance_is_refused_and_the_code_stays_pending() {
    let state = seeded_state().await;
    let db = &state.db;
    let now = Utc::now();
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let order =
        payment::create_payment(&state, MERCHANT, "d1", m("120.01"), None, now, None, RULES)
            .await
            .expect("create");
    let result = payment::scan(&state, TILL, &order.code, now, None).await;
    assert_eq!(code_of(&result), Some(ErrorCode::InsufficientBalance));
    let still = db::payment::get(db, &order.payment_id)
        .await
        .expect("get")
        .expect("order");
    assert_eq!(still.status, "PENDING");
    assert_eq!(
        assert_wallet_matches_ledger(&state, "d1").await,
        balance("100", "20", "20")
    );
}

#[tokio::test]
async fn unreadable_codes_are_a_validation_error() {
    let state = seeded_state().await;
    for code in [
        "",
        "hello",
        "66123",
        "not-a-uuid-at-all-but-long-enough-0000",
    ] {
        let result = payment::scan(&state, TILL, code, Utc::now(), None).await;
        assert_eq!(
            code_of(&result),
            Some(ErrorCode::ValidationFailed),
            "{code:?}"
        );
    }
}

/// Two hundred cashiers scan the same card at the same instant: exactly one redeems it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_scans_of_one_card_redeem_it_once() {
    scans_of_one_card_redeem_it_once(seeded_state().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_scans_of_one_card_redeem_it_once_on_disk() {
    let (state, _dir) = seeded_disk_state().await;
    scans_of_one_card_redeem_it_once(state).await;
}

async fn scans_of_one_card_redeem_it_once(state: AppState) {
    let db = &state.db;
    let card = Arc::new(card_for(db, "d1", 30).await);
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (state, card) = (state.clone(), Arc::clone(&card));
            tokio::spawn(async move { payment::scan(&state, TILL, &card, Utc::now(), None).await })
        })
        .collect();
    let (mut redeemed, mut already_used, mut busy) = (0, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(ScanResult::CardRedeemed { .. }) => redeemed += 1,
            Err(AppError::Card(_)) => already_used += 1,
            Err(AppError::Busy { .. }) => busy += 1,
            other => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(redeemed, 1, "{already_used} already used, {busy} busy");
    let entries = db::ledger::for_diner(db, MERCHANT, "d1", 500)
        .await
        .expect("ledger");
    assert_eq!(entries.len(), 1, "one REDEEM entry");
}

/// Two hundred payment codes of one diner collected at once from a wallet of 120: never
/// negative, and the wallet always equals its ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_from_one_wallet_never_overdraw_it() {
    payments_from_one_wallet_never_overdraw_it(seeded_state().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_from_one_wallet_never_overdraw_it_on_disk() {
    let (state, _dir) = seeded_disk_state().await;
    payments_from_one_wallet_never_overdraw_it(state).await;
}

async fn payments_from_one_wallet_never_overdraw_it(state: AppState) {
    let now = Utc::now();
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let mut codes = Vec::new();
    // 200 codes open at once, far beyond what a diner may normally hold.
    let rules = PaymentRules {
        max_open_per_diner: 200,
        ..RULES
    };
    for _ in 0..200 {
        let order = payment::create_payment(&state, MERCHANT, "d1", m("1"), None, now, None, rules)
            .await
            .expect("create");
        codes.push(order.code);
    }
    let tasks: Vec<_> = codes
        .into_iter()
        .map(|code| {
            let state = state.clone();
            tokio::spawn(async move { payment::scan(&state, TILL, &code, now, None).await })
        })
        .collect();
    let (mut collected, mut refused, mut busy) = (0_u32, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(ScanResult::PaymentCollected { .. }) => collected += 1,
            Err(AppError::Wallet(_)) => refused += 1,
            Err(AppError::Busy { .. }) => busy += 1,
            other => panic!("unexpected: {other:?}"),
        }
    }
    let after = assert_wallet_matches_ledger(&state, "d1").await;
    let total = after.total().expect("total");
    assert_eq!(
        total.checked_add(m(&collected.to_string())),
        Some(m("120")),
        "{collected} collected, {refused} refused, {busy} busy"
    );
    eprintln!("{collected} collected, {refused} refused, {busy} busy; wallet {after:?}");
}

#[tokio::test]
async fn a_diner_holds_at_most_the_allowed_open_codes_even_when_asking_at_once() {
    let state = seeded_state().await;
    let now = Utc::now();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move {
                payment::create_payment(&state, MERCHANT, "d1", m("1"), None, now, None, RULES)
                    .await
            })
        })
        .collect();
    let (mut made, mut refused) = (0_u32, 0_u32);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => made += 1,
            Err(AppError::TooManyOpenPayments { limit: 5 }) => refused += 1,
            other => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!((made, refused), (5, 7));
    // An expired code no longer counts as open.
    let later = now + Duration::minutes(11);
    payment::create_payment(&state, MERCHANT, "d1", m("1"), None, later, None, RULES)
        .await
        .expect("room again once the others expired");
}
