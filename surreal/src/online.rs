//! Online recharge orders (migration 0022): opened PENDING before the provider is asked,
//! credited once (the order's move to PAID is in the wallet's own transaction, guarded on
//! PENDING), or closed unpaid.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::ledger::NewLedgerEntry;
use crate::outcome::Outcome;
use crate::queue::ENQUEUE;
use crate::wallet::{MOVE_WALLET, WalletRow};
use crate::{Db, DbResult};

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrderSave {
    pub number: String,
    pub merchant: String,
    pub uid: String,
    pub tier: String,
    pub label: String,
    pub pay: Decimal,
    pub bonus: Decimal,
    pub total_fen: i64,
    /// The request that opened it (its Idempotency-Key's request hash).
    pub request_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// An order as kept.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrderRow {
    pub number: String,
    pub merchant: String,
    pub uid: String,
    pub tier: String,
    pub label: String,
    pub pay: Decimal,
    pub bonus: Decimal,
    pub total_fen: i64,
    pub request_hash: String,
    /// PENDING, PAID or CLOSED.
    pub status: String,
    pub prepay_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub transaction_id: Option<String>,
    pub txn_id: Option<String>,
}

const FIELDS: &str = "record::id(id) AS number, merchant, uid, tier, label, pay, bonus,
    total_fen, request_hash, status, prepay_id, created_at, expires_at, paid_at,
    transaction_id, txn_id";

/// Opens `order` PENDING; the order as kept (an order of that number already kept: that
/// one, as it is — the same request again).
pub async fn open(db: &Db, order: OrderSave) -> DbResult<OrderRow> {
    let response = db
        .query(format!(
            "LET $id = type::record('online_order', $o.number);
             IF !record::exists($id) {{
                 CREATE $id CONTENT {{
                     merchant: $o.merchant, uid: $o.uid, tier: $o.tier, label: $o.label,
                     pay: $o.pay, bonus: $o.bonus, total_fen: $o.total_fen,
                     request_hash: $o.request_hash, status: 'PENDING',
                     expires_at: $o.expires_at
                 }} RETURN NONE;
             }};
             SELECT {FIELDS} FROM ONLY $id;"
        ))
        .bind(("o", order))
        .await?;
    let kept: Option<OrderRow> = checked(response)?.take(2)?;
    kept.ok_or(crate::DbError::Rejected(crate::Rejection::Stale))
}

/// The order `number`.
pub async fn get(db: &Db, number: &str) -> DbResult<Option<OrderRow>> {
    let response = db
        .query(format!(
            "SELECT {FIELDS} FROM ONLY type::record('online_order', $number)"
        ))
        .bind(("number", number.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Notes the provider's prepay id and remembers the request's answer (`$answer`), in one
/// transaction (a key answered before: `ANSWERED`).
pub async fn prepared(db: &Db, number: &str, prepay_id: &str, outcome: &Outcome) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             UPDATE type::record('online_order', $number) SET prepay_id = $prepay_id
                 RETURN NONE;
             {REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("number", number.to_owned()))
        .bind(("prepay_id", prepay_id.to_owned()));
    checked(outcome.bind(query).await?)?;
    Ok(())
}

/// Credits the order: the wallet from `expected` to `next`, the RECHARGE entry, the events
/// and triggers, and the order PAID — in one transaction, only while it is not PAID (else
/// `NOT_PENDING`: credited already, nothing written). A CLOSED order the provider reports
/// paid is credited too: the money came.
pub async fn credit(
    db: &Db,
    order: &OrderRow,
    transaction_id: &str,
    expected: &WalletRow,
    next: &WalletRow,
    entry: &NewLedgerEntry,
    outcome: &Outcome,
) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $order = type::record('online_order', $number);
             IF (SELECT VALUE status FROM ONLY $order) NOT IN ['PENDING', 'CLOSED'] {{
                 THROW 'NOT_PENDING'
             }};
             UPDATE $order SET status = 'PAID', paid_at = time::now(),
                 transaction_id = $transaction_id, txn_id = $entry.txn_id RETURN NONE;
             {MOVE_WALLET}
             CREATE ledger CONTENT $entry RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("number", order.number.clone()))
        .bind(("transaction_id", transaction_id.to_owned()))
        .bind(("merchant", order.merchant.clone()))
        .bind(("uid", order.uid.clone()))
        .bind(("expected", *expected))
        .bind(("next", *next))
        .bind(("entry", entry.clone()));
    checked(outcome.bind(query).await?)?;
    Ok(())
}

/// Opens again an order closed before its payment could be asked for (no prepay id);
/// whether it was.
pub async fn reopen(db: &Db, number: &str) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('online_order', $number)
                 SET status = 'PENDING', closed_at = NONE, close_reason = NONE
                 WHERE status = 'CLOSED' AND prepay_id = NONE RETURN VALUE record::id(id)",
        )
        .bind(("number", number.to_owned()))
        .await?;
    let opened: Vec<String> = checked(response)?.take(0)?;
    Ok(!opened.is_empty())
}

/// Closes the order if it is still PENDING; whether it was.
pub async fn close(db: &Db, number: &str, reason: &str) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('online_order', $number)
                 SET status = 'CLOSED', closed_at = time::now(), close_reason = $reason
                 WHERE status = 'PENDING' RETURN VALUE record::id(id)",
        )
        .bind(("number", number.to_owned()))
        .bind(("reason", reason.to_owned()))
        .await?;
    let closed: Vec<String> = checked(response)?.take(0)?;
    Ok(!closed.is_empty())
}

/// Orders still PENDING that were opened before `cutoff`, the oldest first.
pub async fn pending_before(db: &Db, cutoff: DateTime<Utc>, limit: u32) -> DbResult<Vec<OrderRow>> {
    let response = db
        .query(format!(
            "SELECT {FIELDS} FROM online_order
                 WHERE status = 'PENDING' AND created_at < $cutoff
                 ORDER BY created_at LIMIT $limit"
        ))
        .bind(("cutoff", cutoff))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Orders opened since `since`, and how many of them were paid (all merchants).
pub async fn paid_ratio(db: &Db, since: DateTime<Utc>) -> DbResult<(u64, u64)> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Counts {
        created: i64,
        paid: i64,
    }
    let response = db
        .query(
            "SELECT count() AS created, math::sum(IF status = 'PAID' { 1 } ELSE { 0 }) AS paid
                 FROM online_order WHERE created_at >= $since GROUP ALL",
        )
        .bind(("since", since))
        .await?;
    let counts: Option<Counts> = checked(response)?.take(0)?;
    Ok(counts.map_or((0, 0), |c| {
        (
            u64::try_from(c.created).unwrap_or(0),
            u64::try_from(c.paid).unwrap_or(0),
        )
    }))
}
