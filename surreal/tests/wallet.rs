//! Wallet writes against real SurrealDB: guarded by what the caller read, always with a ledger
//! entry, refused by the schema when a balance would go negative.

mod common;

use common::seeded_db;
use db::Outcome;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::wallet::{self, WalletRow};
use rust_decimal::Decimal;

const MERCHANT: &str = "demo";
const UID: &str = "diner-1";

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

fn row(principal: &str, bonus: &str, granted: &str) -> WalletRow {
    WalletRow {
        principal: dec(principal),
        bonus: dec(bonus),
        granted_bonus: dec(granted),
        made_good: Decimal::ZERO,
    }
}

fn entry(before: &WalletRow, after: &WalletRow) -> NewLedgerEntry {
    NewLedgerEntry::new(
        LedgerType::Recharge,
        after.principal - before.principal,
        MERCHANT,
        UID,
        AssetsChange {
            principal: Some(after.principal - before.principal),
            bonus: Some(after.bonus - before.bonus),
            granted_bonus: Some(after.granted_bonus - before.granted_bonus),
            made_good: Some(after.made_good - before.made_good),
            ..AssetsChange::default()
        },
    )
}

/// Moves the wallet from `before` to `after`, with the ledger entry of the difference.
async fn move_wallet(db: &db::Db, before: &WalletRow, after: &WalletRow) -> db::DbResult<()> {
    wallet::apply(
        db,
        MERCHANT,
        UID,
        before,
        after,
        &entry(before, after),
        &Outcome::none(),
    )
    .await
}

#[tokio::test]
async fn a_missing_wallet_reads_as_zero() {
    let db = seeded_db().await;
    assert_eq!(
        wallet::get(&db, MERCHANT, UID).await.expect("get"),
        WalletRow::default()
    );
}

#[tokio::test]
async fn a_write_lands_with_its_ledger_entry_and_the_sums_agree() {
    let db = seeded_db().await;
    let empty = WalletRow::default();
    let after = row("100", "20", "20");
    move_wallet(&db, &empty, &after).await.expect("apply");
    assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), after);
    let sums = db::ledger::wallet_sum(&db, MERCHANT, UID)
        .await
        .expect("sum");
    assert_eq!(sums, after);
    let entries = db::ledger::for_diner(&db, MERCHANT, UID, 10)
        .await
        .expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries.first().map(|e| e.kind), Some(LedgerType::Recharge));
}

#[tokio::test]
async fn a_write_computed_from_an_old_read_is_stale_and_changes_nothing() {
    let db = seeded_db().await;
    let empty = WalletRow::default();
    let first = row("100", "20", "20");
    move_wallet(&db, &empty, &first).await.expect("first");
    let err = wallet::apply(
        &db,
        MERCHANT,
        UID,
        &empty,
        &row("50", "0", "0"),
        &entry(&empty, &first),
        &Outcome::none(),
    )
    .await
    .expect_err("stale");
    assert_eq!(err.rejection(), Some(&db::Rejection::Stale));
    assert!(err.is_retryable());
    assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), first);
    assert_eq!(
        db::ledger::for_diner(&db, MERCHANT, UID, 10)
            .await
            .expect("entries")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_schema_refuses_a_negative_balance_and_nothing_is_written() {
    let db = seeded_db().await;
    let empty = WalletRow::default();
    let negative_made_good = WalletRow {
        made_good: dec("-0.01"),
        ..row("1", "0", "0")
    };
    for negative in [row("-1", "0", "0"), negative_made_good] {
        let err = move_wallet(&db, &empty, &negative).await;
        assert!(err.is_err(), "{negative:?}");
        assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), empty);
        assert!(
            db::ledger::for_diner(&db, MERCHANT, UID, 10)
                .await
                .expect("entries")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_duplicate_transaction_id_is_refused_with_the_wallet_untouched() {
    let db = seeded_db().await;
    let empty = WalletRow::default();
    let first = row("10", "0", "0");
    let recorded = entry(&empty, &first);
    wallet::apply(
        &db,
        MERCHANT,
        UID,
        &empty,
        &first,
        &recorded,
        &Outcome::none(),
    )
    .await
    .expect("first");
    let second = row("20", "0", "0");
    let err = wallet::apply(
        &db,
        MERCHANT,
        UID,
        &first,
        &second,
        &recorded,
        &Outcome::none(),
    )
    .await;
    assert!(err.is_err());
    assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), first);
}

#[tokio::test]
async fn the_guard_compares_the_bonus_made_good_too() {
    let db = seeded_db().await;
    let empty = WalletRow::default();
    let first = WalletRow {
        made_good: dec("10"),
        ..row("0", "0", "0")
    };
    move_wallet(&db, &empty, &first).await.expect("first");
    // Read when S was still 0: stale, though principal, bonus and G agree.
    let next = row("60", "0", "0");
    let err = move_wallet(&db, &empty, &next).await.expect_err("stale");
    assert_eq!(err.rejection(), Some(&db::Rejection::Stale));
    assert_eq!(wallet::get(&db, MERCHANT, UID).await.expect("get"), first);
    assert_eq!(
        db::ledger::wallet_sum(&db, MERCHANT, UID)
            .await
            .expect("sum"),
        first
    );
}
