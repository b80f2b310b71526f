//! Stored value per (merchant, diner): `wallet:[merchant, uid]`.
//!
//! The rules (split, clawback) live in `app::domain::wallet`; this module reads a wallet and
//! writes the balances the caller computed — only if the wallet still holds what the caller
//! read (else `STALE`, and the caller recomputes) — together with the ledger entry.

use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::ledger::NewLedgerEntry;
use crate::outcome::Outcome;
use crate::queue::ENQUEUE;
use crate::{Db, DbResult};

/// A wallet's balances (zero when the diner never had one at this merchant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct WalletRow {
    pub principal: Decimal,
    pub bonus: Decimal,
    pub granted_bonus: Decimal,
    /// `S`: bonus already made good from principal by cash refunds (migration 0007).
    pub made_good: Decimal,
}

/// A wallet's balances (`$merchant`, `$uid`): no row when it was never written.
pub(crate) const SELECT_WALLET: &str = "SELECT principal, bonus, granted_bonus, made_good \
     FROM type::record('wallet', [$merchant, $uid])";

/// Reads a wallet.
pub async fn get(db: &Db, merchant: &str, uid: &str) -> DbResult<WalletRow> {
    let response = db
        .query(SELECT_WALLET)
        .bind(("merchant", merchant.to_owned()))
        .bind(("uid", uid.to_owned()))
        .await?;
    let row: Option<WalletRow> = checked(response)?.take(0)?;
    Ok(row.unwrap_or_default())
}

/// The statements that move a wallet from `$expected` to `$next`, or THROW 'STALE'. Meant to
/// run inside a transaction with the rest of a mutation (ledger entry, order, card).
pub(crate) const MOVE_WALLET: &str = "
    LET $wallet_id = type::record('wallet', [$merchant, $uid]);
    LET $now = (SELECT principal, bonus, granted_bonus, made_good FROM $wallet_id)[0]
        ?? { principal: 0dec, bonus: 0dec, granted_bonus: 0dec, made_good: 0dec };
    IF $now.principal != $expected.principal OR $now.bonus != $expected.bonus
        OR $now.granted_bonus != $expected.granted_bonus
        OR $now.made_good != $expected.made_good { THROW 'STALE' };
    UPSERT $wallet_id MERGE {
        merchant: type::record('merchant', $merchant),
        uid: $uid,
        principal: $next.principal,
        bonus: $next.bonus,
        granted_bonus: $next.granted_bonus,
        made_good: $next.made_good
    };
";

/// A wallet's move from `expected` to `next`, and the ledger entry that records it.
#[derive(Debug, Clone, Copy)]
pub struct WalletMove<'a> {
    pub merchant: &'a str,
    pub uid: &'a str,
    pub expected: &'a WalletRow,
    pub next: &'a WalletRow,
    pub entry: &'a NewLedgerEntry,
}

/// The transaction of a move: the caller's own statements first (`before`: guards that
/// THROW, and the other records it changes, with their bindings added by the caller), then
/// the wallet, its entry, the events and the request's answer. Run with `outcome.bind`.
pub(crate) fn moving<'r>(
    db: &'r Db,
    before: &str,
    step: WalletMove<'_>,
) -> surrealdb::method::Query<'r, surrealdb::engine::any::Any> {
    db.query(format!(
        "BEGIN TRANSACTION;
         {before}
         {MOVE_WALLET}
         CREATE ledger CONTENT $entry RETURN NONE;
         {ENQUEUE}{REMEMBER}
         COMMIT TRANSACTION;"
    ))
    .bind(("merchant", step.merchant.to_owned()))
    .bind(("uid", step.uid.to_owned()))
    .bind(("expected", *step.expected))
    .bind(("next", *step.next))
    .bind(("entry", step.entry.clone()))
}

/// Writes `next` over `expected`, the ledger entry and the request's answer, in one
/// transaction.
pub async fn apply(
    db: &Db,
    merchant: &str,
    uid: &str,
    expected: &WalletRow,
    next: &WalletRow,
    entry: &NewLedgerEntry,
    outcome: &Outcome,
) -> DbResult<()> {
    let step = WalletMove {
        merchant,
        uid,
        expected,
        next,
        entry,
    };
    checked(outcome.bind(moving(db, "", step)).await?)?;
    Ok(())
}
