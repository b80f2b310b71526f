//! Answers stored in the effect's own transaction: one effect per key even when two
//! processes race with it, a live answer is never overwritten, an expired one is.

mod common;

use common::seeded_db;
use db::idempotency::{self, Answer, Request};
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::wallet::{self, WalletRow};
use db::{Db, Outcome, Rejection};
use rust_decimal::Decimal;

const MERCHANT: &str = "demo";
const UID: &str = "diner-1";

fn request(key: &str) -> Request {
    Request {
        scope: format!("diner:{UID}|wallet/recharge"),
        key: key.into(),
        request_hash: "h1".into(),
    }
}

fn ten() -> WalletRow {
    WalletRow {
        principal: Decimal::TEN,
        ..WalletRow::default()
    }
}

fn entry() -> NewLedgerEntry {
    NewLedgerEntry::new(
        LedgerType::Recharge,
        Decimal::TEN,
        MERCHANT,
        UID,
        AssetsChange {
            principal: Some(Decimal::TEN),
            ..AssetsChange::default()
        },
    )
}

/// Adds 10 to the wallet as read now, storing `answer` with it.
async fn add_ten(db: &Db, answer: &Answer) -> db::DbResult<()> {
    let before = wallet::get(db, MERCHANT, UID).await?;
    let after = WalletRow {
        principal: before.principal + Decimal::TEN,
        ..before
    };
    wallet::apply(
        db,
        MERCHANT,
        UID,
        &before,
        &after,
        &entry(),
        &answered(answer),
    )
    .await
}

#[tokio::test]
async fn the_answer_commits_with_the_effect_and_blocks_a_second_one() {
    let db = seeded_db().await;
    let answer = request("k1").answer(200, r#"{"ok":true}"#.into());
    add_ten(&db, &answer).await.expect("first");

    let prior = idempotency::find(&db, &answer.scope, "k1")
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(prior.response_status, 200);
    assert_eq!(prior.response_body, r#"{"ok":true}"#);

    let again = add_ten(&db, &answer).await.expect_err("answered");
    assert_eq!(again.rejection(), Some(&Rejection::Answered));
    assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), ten());
}

#[tokio::test]
async fn a_failed_effect_leaves_no_answer() {
    let db = seeded_db().await;
    let answer = request("k2").answer(200, "{}".into());
    // Computed from a balance the wallet does not have: the guard refuses it.
    let wrong = wallet::apply(
        &db,
        MERCHANT,
        UID,
        &ten(),
        &ten(),
        &entry(),
        &answered(&answer),
    )
    .await
    .expect_err("stale");
    assert_eq!(wrong.rejection(), Some(&Rejection::Stale));
    assert_eq!(
        idempotency::find(&db, &answer.scope, "k2")
            .await
            .expect("find"),
        None
    );
}

#[tokio::test]
async fn racing_transactions_with_one_key_have_one_effect() {
    let db = seeded_db().await;
    let answer = request("k3").answer(200, "{}".into());
    let racers = (0..20).map(|_| {
        let (db, answer) = (db.clone(), answer.clone());
        tokio::spawn(async move {
            // Like the service layer: retry conflicts, stop at a guard.
            loop {
                match add_ten(&db, &answer).await {
                    Err(err) if err.is_retryable() => continue,
                    other => return other,
                }
            }
        })
    });
    let mut done = 0;
    for racer in racers {
        match racer.await.expect("task") {
            Ok(()) => done += 1,
            Err(err) => assert_eq!(err.rejection(), Some(&Rejection::Answered), "{err}"),
        }
    }
    assert_eq!(done, 1);
    assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), ten());
}

#[tokio::test]
async fn a_refusal_is_stored_once_and_an_expired_answer_is_replaced() {
    let db = seeded_db().await;
    let refusal = request("k4").answer(409, r#"{"code":"X"}"#.into());
    idempotency::store(&db, &refusal).await.expect("store");
    let again = idempotency::store(&db, &refusal).await.expect_err("kept");
    assert_eq!(again.rejection(), Some(&Rejection::Answered));

    db.query("UPDATE idempotency SET expires_at = time::now() - 1s")
        .await
        .expect("age it");
    assert_eq!(
        idempotency::find(&db, &refusal.scope, "k4")
            .await
            .expect("find"),
        None
    );
    let fresh = request("k4").answer(200, "{}".into());
    add_ten(&db, &fresh).await.expect("a new request");
    let prior = idempotency::find(&db, &fresh.scope, "k4")
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(prior.response_status, 200);
}

#[tokio::test]
async fn purging_deletes_only_expired_answers() {
    let db = seeded_db().await;
    for key in ["old-1", "old-2", "new"] {
        idempotency::store(&db, &request(key).answer(200, "{}".into()))
            .await
            .expect("store");
    }
    db.query("UPDATE idempotency SET expires_at = time::now() - 1s WHERE string::starts_with(record::id(id)[1], 'old')")
        .await
        .expect("age two");
    assert_eq!(idempotency::purge_expired(&db, 10).await.expect("purge"), 2);
    let left: Option<i64> = db
        .query("RETURN count(SELECT * FROM idempotency)")
        .await
        .expect("count")
        .take(0)
        .expect("number");
    assert_eq!(left, Some(1));
}

/// An outcome that stores `answer` and publishes nothing.
fn answered(answer: &Answer) -> Outcome {
    Outcome {
        answer: Some(answer.clone()),
        ..Outcome::none()
    }
}

#[tokio::test]
async fn purging_deletes_in_bounded_batches() {
    let db = seeded_db().await;
    for key in ["old-1", "old-2", "old-3", "old-4", "old-5", "new"] {
        idempotency::store(&db, &request(key).answer(200, "{}".into()))
            .await
            .expect("store");
    }
    db.query("UPDATE idempotency SET expires_at = time::now() - 1s WHERE string::starts_with(record::id(id)[1], 'old')")
        .await
        .expect("age five");
    // A full batch says "maybe more"; a short one says "done".
    let rounds: Vec<usize> = [
        idempotency::purge_expired(&db, 2).await.expect("first"),
        idempotency::purge_expired(&db, 2).await.expect("second"),
        idempotency::purge_expired(&db, 2).await.expect("third"),
    ]
    .into();
    assert_eq!(rounds, [2, 2, 1]);
    assert!(
        idempotency::find(&db, &request("new").scope, "new")
            .await
            .expect("find")
            .is_some(),
        "a live answer stays"
    );
}
