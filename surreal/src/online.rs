//! Online recharge orders (migration 0022): opened PENDING before the provider is asked,
//! credited once (the order's move to PAID is in the wallet's own transaction, guarded on
//! PENDING), or closed unpaid.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::outcome::Outcome;
use crate::wallet::{WalletMove, WalletRow, moving};
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
    /// What of its payment is being or was refunded (fen).
    pub refunded_fen: i64,
}

const FIELDS: &str = "record::id(id) AS number, merchant, uid, tier, label, pay, bonus,
    total_fen, request_hash, status, prepay_id, created_at, expires_at, paid_at,
    transaction_id, txn_id, refunded_fen ?? 0 AS refunded_fen";

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

/// Credits the order: the wallet's move (its RECHARGE entry), the events and triggers, and
/// the order PAID — in one transaction, only while it is not PAID (else `NOT_PENDING`:
/// credited already, nothing written). A CLOSED order the provider reports paid is credited
/// too: the money came.
pub async fn credit(
    db: &Db,
    order: &OrderRow,
    transaction_id: &str,
    step: WalletMove<'_>,
    outcome: &Outcome,
) -> DbResult<()> {
    let guard = "LET $order = type::record('online_order', $number);
        IF (SELECT VALUE status FROM ONLY $order) NOT IN ['PENDING', 'CLOSED'] {
            THROW 'NOT_PENDING'
        };
        UPDATE $order SET status = 'PAID', paid_at = time::now(),
            transaction_id = $transaction_id, txn_id = $entry.txn_id RETURN NONE;";
    let query = moving(db, guard, step)
        .bind(("number", order.number.clone()))
        .bind(("transaction_id", transaction_id.to_owned()));
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

/// Orders opened at `merchant` since `since`, and how many of them were paid.
pub async fn paid_ratio(db: &Db, merchant: &str, since: DateTime<Utc>) -> DbResult<(u64, u64)> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Counts {
        created: i64,
        paid: i64,
    }
    let response = db
        .query(
            "SELECT count() AS created, math::sum(IF status = 'PAID' { 1 } ELSE { 0 }) AS paid
                 FROM online_order WHERE merchant = $merchant AND created_at >= $since
                 GROUP ALL",
        )
        .bind(("since", since))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    let counts: Option<Counts> = checked(response)?.take(0)?;
    Ok(counts.map_or((0, 0), |c| {
        (
            u64::try_from(c.created).unwrap_or(0),
            u64::try_from(c.paid).unwrap_or(0),
        )
    }))
}

/// A refund of an online recharge, asked for (`number`: its out_refund_no): the clawback
/// rule's numbers, what goes back (`payout_fen`), and the wallet before and after its debit.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct RefundSave {
    pub number: String,
    pub order_no: String,
    pub merchant: String,
    pub uid: String,
    pub staff: Option<String>,
    /// The request that asked for it (its Idempotency-Key's request hash).
    pub request_hash: String,
    pub amount: Decimal,
    pub clawback: Decimal,
    pub bonus_taken: Decimal,
    pub shortfall: Decimal,
    pub payout: Decimal,
    pub payout_fen: i64,
    pub before: WalletRow,
    pub after: WalletRow,
}

/// A refund as kept.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct RefundRow {
    pub number: String,
    pub order_no: String,
    pub merchant: String,
    pub uid: String,
    pub staff: Option<String>,
    pub request_hash: String,
    pub amount: Decimal,
    pub clawback: Decimal,
    pub bonus_taken: Decimal,
    pub shortfall: Decimal,
    pub payout: Decimal,
    pub payout_fen: i64,
    pub before: WalletRow,
    pub after: WalletRow,
    pub txn_id: String,
    /// PROCESSING, SUCCESS or FAILED.
    pub status: String,
    pub refund_id: Option<String>,
    pub reason: Option<String>,
    pub reversal_txn_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

const REFUND_FIELDS: &str = "record::id(id) AS number, order_no, merchant, uid, staff,
    request_hash, amount,
    clawback, bonus_taken, shortfall, payout, payout_fen, before, after, txn_id, status,
    refund_id, reason, reversal_txn_id, created_at, settled_at";

/// Asks for a refund of a PAID order of its merchant: the wallet's move (its
/// STORED_VALUE_REFUND entry), the order's refunded share, the refund PROCESSING, the events
/// and the request's answer, in one transaction. Refused: `NOT_REFUNDABLE` (not a paid order
/// of this shop), `REFUND_EXCEEDS_ORDER` (more than the order has left to refund).
pub async fn refund(
    db: &Db,
    refund: &RefundSave,
    step: WalletMove<'_>,
    outcome: &Outcome,
) -> DbResult<()> {
    let guard = "LET $order = type::record('online_order', $r.order_no);
        LET $paid = (SELECT status, merchant, uid, total_fen, refunded_fen FROM ONLY $order);
        IF $paid = NONE OR $paid.status != 'PAID' OR $paid.merchant != $r.merchant
            OR $paid.uid != $r.uid { THROW 'NOT_REFUNDABLE' };
        IF ($paid.refunded_fen ?? 0) + $r.payout_fen > $paid.total_fen {
            THROW 'REFUND_EXCEEDS_ORDER'
        };
        UPDATE $order SET refunded_fen = ($paid.refunded_fen ?? 0) + $r.payout_fen
            RETURN NONE;
        CREATE type::record('online_refund', $r.number) CONTENT {
            order_no: $r.order_no, merchant: $r.merchant, uid: $r.uid, staff: $r.staff,
            request_hash: $r.request_hash,
            amount: $r.amount, clawback: $r.clawback, bonus_taken: $r.bonus_taken,
            shortfall: $r.shortfall, payout: $r.payout, payout_fen: $r.payout_fen,
            before: $r.before, after: $r.after, txn_id: $entry.txn_id, status: 'PROCESSING'
        } RETURN NONE;";
    let query = moving(db, guard, step).bind(("r", refund.clone()));
    checked(outcome.bind(query).await?)?;
    Ok(())
}

/// The refund `number`.
pub async fn refund_get(db: &Db, number: &str) -> DbResult<Option<RefundRow>> {
    let response = db
        .query(format!(
            "SELECT {REFUND_FIELDS} FROM ONLY type::record('online_refund', $number)"
        ))
        .bind(("number", number.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The provider took the refund (`refund_id`), and `succeeded` if it says the money is
/// back with the diner (a refund settled already keeps its status).
pub async fn refund_taken(db: &Db, number: &str, refund_id: &str, succeeded: bool) -> DbResult<()> {
    let response = db
        .query(
            "UPDATE type::record('online_refund', $number) SET refund_id = $refund_id,
                 settled_at = IF $succeeded AND status = 'PROCESSING' { time::now() }
                     ELSE { settled_at },
                 status = IF $succeeded AND status = 'PROCESSING' { 'SUCCESS' }
                     ELSE { status }
                 RETURN NONE",
        )
        .bind(("number", number.to_owned()))
        .bind(("refund_id", refund_id.to_owned()))
        .bind(("succeeded", succeeded))
        .await?;
    checked(response)?;
    Ok(())
}

/// Puts a refund the provider refused or failed back: the wallet's move (its
/// REFUND_REVERSAL entry), the order's refunded share less it, the refund FAILED with
/// `reason`, the events and the request's answer, in one transaction — only while it is
/// PROCESSING (else `NOT_PENDING`: settled already, nothing written).
pub async fn refund_failed(
    db: &Db,
    number: &str,
    reason: &str,
    step: WalletMove<'_>,
    outcome: &Outcome,
) -> DbResult<()> {
    let guard = "LET $refund = type::record('online_refund', $number);
        LET $asked = (SELECT status, order_no, payout_fen FROM ONLY $refund);
        IF $asked = NONE OR $asked.status != 'PROCESSING' { THROW 'NOT_PENDING' };
        UPDATE $refund SET status = 'FAILED', reason = $reason,
            reversal_txn_id = $entry.txn_id, settled_at = time::now() RETURN NONE;
        UPDATE type::record('online_order', $asked.order_no)
            SET refunded_fen = math::max([0, refunded_fen - $asked.payout_fen]) RETURN NONE;";
    let query = moving(db, guard, step)
        .bind(("number", number.to_owned()))
        .bind(("reason", reason.to_owned()));
    checked(outcome.bind(query).await?)?;
    Ok(())
}

/// Refunds still PROCESSING that were asked for before `cutoff`, the oldest first.
pub async fn refunds_processing_before(
    db: &Db,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> DbResult<Vec<RefundRow>> {
    let response = db
        .query(format!(
            "SELECT {REFUND_FIELDS} FROM online_refund
                 WHERE status = 'PROCESSING' AND created_at < $cutoff
                 ORDER BY created_at LIMIT $limit"
        ))
        .bind(("cutoff", cutoff))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A diner's paid orders at a merchant with something left to refund, the latest 20 first.
/// Read forward on the (merchant, uid, created_at) index and turned round here: a backward
/// index scan (`ORDER BY … DESC`) costs SurrealKV far more on a big store
/// (docs/benchmarks.md), and one diner has few orders.
pub async fn refundable(db: &Db, merchant: &str, uid: &str) -> DbResult<Vec<OrderRow>> {
    let response = db
        .query(format!(
            "SELECT {FIELDS} FROM online_order
                 WHERE merchant = $merchant AND uid = $uid AND status = 'PAID'
                     AND (refunded_fen ?? 0) < total_fen
                 ORDER BY created_at"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("uid", uid.to_owned()))
        .await?;
    let oldest_first: Vec<OrderRow> = checked(response)?.take(0)?;
    Ok(oldest_first.into_iter().rev().take(20).collect())
}
