//! Pre-pay orders: a diner creates one (shown as a payment code), a cashier scans it to
//! collect from the diner's wallet (applying a card first), and may refund it later.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::batch;
use crate::card::USE_CARD;
use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::ledger::NewLedgerEntry;
use crate::outcome::Outcome;
use crate::queue::ENQUEUE;
use crate::wallet::{MOVE_WALLET, WalletRow};
use crate::{Db, DbResult};

/// An order as stored: `payment:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PaymentRow {
    pub id: String,
    pub merchant: String,
    pub uid: String,
    pub amount: Decimal,
    pub card: Option<String>,
    pub code: String,
    pub status: String,
    pub deduction: Decimal,
    pub principal: Decimal,
    pub bonus: Decimal,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub collected_at: Option<DateTime<Utc>>,
}

const SELECT_PAYMENT: &str = "SELECT record::id(id) AS id, record::id(merchant) AS merchant, uid, \
     amount, IF card THEN record::id(card) END AS card, code, status, deduction, principal, \
     bonus, created_at, expires_at, collected_at";

/// A new order, PENDING until collected.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewPayment {
    pub id: String,
    pub merchant: String,
    pub uid: String,
    pub amount: Decimal,
    pub card: Option<String>,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates a PENDING order (no money moves yet), with the request's answer — unless the
/// diner already holds `max_open` open (PENDING, unexpired at `now`) orders: then it
/// THROWs 'TOO_MANY_OPEN' ([`crate::Rejection::TooManyOpen`]) and writes nothing. Every new
/// order of a diner writes their `payment_opening` record first, so two created at once
/// conflict (`is_retryable`) and the retry counts the other: the cap holds across processes.
pub async fn create(
    db: &Db,
    payment: &NewPayment,
    max_open: u32,
    now: DateTime<Utc>,
    outcome: &Outcome,
) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             UPSERT type::record('payment_opening', $p.uid) SET at = $now RETURN NONE;
             LET $open = array::len(SELECT VALUE id FROM payment
                 WHERE uid = $p.uid AND status = 'PENDING' AND expires_at > $now);
             IF $open >= $max_open {{ THROW 'TOO_MANY_OPEN' }};
             CREATE type::record('payment', $p.id) CONTENT {{
                 merchant: type::record('merchant', $p.merchant), uid: $p.uid, amount: $p.amount,
                 card: IF $p.card THEN type::record('card', $p.card) END, code: $p.code,
                 status: 'PENDING', expires_at: $p.expires_at }} RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("p", payment.clone()))
        .bind(("max_open", i64::from(max_open)))
        .bind(("now", now));
    checked(outcome.bind(query).await?)?;
    Ok(())
}

/// Marks at most `batch` PENDING orders whose code expired by `now` EXPIRED; returns how
/// many (fewer than `batch`: none are left). Each batch is one short transaction.
pub async fn expire_pending(db: &Db, now: DateTime<Utc>, batch: u32) -> DbResult<usize> {
    let response = db
        .query(batch::step(
            "payment WHERE status = 'PENDING' AND expires_at <= $now",
            "UPDATE $ids SET status = 'EXPIRED' WHERE status = 'PENDING' RETURN NONE",
        ))
        .bind(("now", now))
        .bind(("batch", i64::from(batch)))
        .await?;
    batch::picked(response)
}

/// One order by id.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<PaymentRow>> {
    let response = db
        .query(format!(
            "{SELECT_PAYMENT} FROM type::record('payment', $id)"
        ))
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// One order by its payment code.
pub async fn by_code(db: &Db, code: &str) -> DbResult<Option<PaymentRow>> {
    let response = db
        .query(format!(
            "{SELECT_PAYMENT} FROM payment WHERE code = $code LIMIT 1"
        ))
        .bind(("code", code.to_owned()))
        .await?;
    let mut rows: Vec<PaymentRow> = checked(response)?.take(0)?;
    Ok(rows.pop())
}

/// What collecting an order writes, all computed by the caller from one read.
#[derive(Debug, Clone)]
pub struct Collection<'a> {
    pub payment_id: &'a str,
    pub merchant: &'a str,
    pub uid: &'a str,
    pub staff: Option<&'a str>,
    pub wallet_before: WalletRow,
    pub wallet_after: WalletRow,
    pub deduction: Decimal,
    pub principal: Decimal,
    pub bonus: Decimal,
    pub card: Option<&'a str>,
    pub entry: &'a NewLedgerEntry,
    pub outcome: &'a Outcome,
}

/// PENDING → COLLECTED, the wallet debited, the card used, the ledger written: all or
/// nothing. THROWs 'STALE' when any of them changed since the caller read them.
pub async fn collect(db: &Db, c: &Collection<'_>) -> DbResult<()> {
    let use_card = if c.card.is_some() { USE_CARD } else { "" };
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $paid = UPDATE type::record('payment', $payment_id) SET status = 'COLLECTED',
                 collected_at = time::now(), collected_by = $staff, deduction = $deduction,
                 principal = $principal, bonus = $bonus WHERE status = 'PENDING' RETURN AFTER;
             IF array::len($paid) != 1 {{ THROW 'STALE' }};
             {MOVE_WALLET}{use_card}
             CREATE ledger CONTENT $entry RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("payment_id", c.payment_id.to_owned()))
        .bind(("merchant", c.merchant.to_owned()))
        .bind(("uid", c.uid.to_owned()))
        .bind(("staff", c.staff.map(str::to_owned)))
        .bind(("expected", c.wallet_before))
        .bind(("next", c.wallet_after))
        .bind(("deduction", c.deduction))
        .bind(("principal", c.principal))
        .bind(("bonus", c.bonus))
        .bind(("card_uuid", c.card.map(str::to_owned)))
        .bind(("used_in", Some(c.payment_id.to_owned())))
        .bind(("entry", c.entry.clone()));
    checked(c.outcome.bind(query).await?)?;
    Ok(())
}

/// What refunding a collected order writes.
#[derive(Debug, Clone)]
pub struct Refund<'a> {
    pub payment_id: &'a str,
    pub merchant: &'a str,
    pub uid: &'a str,
    pub wallet_before: WalletRow,
    pub wallet_after: WalletRow,
    /// The card to make ACTIVE again (None: no card, or it has expired).
    pub reactivate_card: Option<&'a str>,
    pub entry: &'a NewLedgerEntry,
    pub outcome: &'a Outcome,
}

/// COLLECTED → REFUNDED, the split back into the wallet, the card reactivated: all or nothing.
pub async fn refund(db: &Db, r: &Refund<'_>) -> DbResult<()> {
    let reactivate = if r.reactivate_card.is_some() {
        "LET $back = UPDATE type::record('card', $card_uuid) SET status = 'ACTIVE', used_at = NONE,
             used_by = NONE, used_in = NONE WHERE status = 'USED' AND used_in = $payment_id RETURN AFTER;
         IF array::len($back) != 1 { THROW 'STALE' };"
    } else {
        ""
    };
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $refunded = UPDATE type::record('payment', $payment_id) SET status = 'REFUNDED',
                 refunded_at = time::now() WHERE status = 'COLLECTED' RETURN AFTER;
             IF array::len($refunded) != 1 {{ THROW 'STALE' }};
             {MOVE_WALLET}{reactivate}
             CREATE ledger CONTENT $entry RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("payment_id", r.payment_id.to_owned()))
        .bind(("merchant", r.merchant.to_owned()))
        .bind(("uid", r.uid.to_owned()))
        .bind(("expected", r.wallet_before))
        .bind(("next", r.wallet_after))
        .bind(("card_uuid", r.reactivate_card.map(str::to_owned)))
        .bind(("entry", r.entry.clone()));
    checked(r.outcome.bind(query).await?)?;
    Ok(())
}
