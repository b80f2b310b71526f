//! Cards (入席令): `card:<uuid>`, ACTIVE until redeemed (USED) or past their expiry.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::catalog::{BenefitRow, CardTypeRow};
use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::ledger::NewLedgerEntry;
use crate::outcome::Outcome;
use crate::queue::ENQUEUE;
use crate::{Db, DbResult};

/// What a card is worth, fixed when it is issued: its type's name (for display), benefit and
/// cost basis at that moment. A later edit of the card type changes only cards issued after
/// it; the card in the diner's pocket keeps what it promised.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CardValue {
    pub name: String,
    pub benefit: BenefitRow,
    pub cost_basis: Decimal,
}

impl From<&CardTypeRow> for CardValue {
    fn from(kind: &CardTypeRow) -> Self {
        Self {
            name: kind.name.clone(),
            benefit: kind.benefit.clone(),
            cost_basis: kind.cost_basis,
        }
    }
}

/// A card as stored.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CardRow {
    pub uuid: String,
    pub merchant: String,
    pub card_type: String,
    pub uid: String,
    pub status: String,
    pub expiry: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub value: CardValue,
}

const SELECT_CARD: &str = "SELECT record::id(id) AS uuid, record::id(merchant) AS merchant, \
     record::id(card_type)[1] AS card_type, uid, status, expiry, created_at, used_at, value";

/// One card, by uuid, with what it is worth.
pub async fn get(db: &Db, uuid: &str) -> DbResult<Option<CardRow>> {
    let response = db
        .query(format!("{SELECT_CARD} FROM type::record('card', $uuid)"))
        .bind(("uuid", uuid.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A diner's cards at a merchant, newest first.
pub async fn for_diner(db: &Db, merchant: &str, uid: &str) -> DbResult<Vec<CardRow>> {
    let response = db
        .query(format!(
            "{SELECT_CARD} FROM card WHERE uid = $uid AND merchant = type::record('merchant', $merchant) \
             ORDER BY created_at DESC"
        ))
        .bind(("uid", uid.to_owned()))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The ACTIVE cards of `$uid` at `$merchant` (some may be past their expiry): what the
/// rule engine's conditions look at, read by the `card_owner` index however many cards the
/// diner has used over the years.
pub(crate) fn select_active_cards() -> String {
    format!(
        "{SELECT_CARD} FROM card WHERE uid = $uid \
         AND merchant = type::record('merchant', $merchant) AND status = 'ACTIVE'"
    )
}

/// Statements that mark `$card_uuid` USED by `$staff` if it is still ACTIVE, else THROW
/// 'STALE'. For use inside a transaction.
pub(crate) const USE_CARD: &str = "
    LET $used = UPDATE type::record('card', $card_uuid)
        SET status = 'USED', used_at = time::now(), used_by = $staff, used_in = $used_in
        WHERE status = 'ACTIVE' RETURN AFTER;
    IF array::len($used) != 1 { THROW 'STALE' };
";

/// Redeems an ACTIVE card on its own (scanned at the counter), with its ledger entry and the
/// request's answer.
pub async fn redeem(
    db: &Db,
    uuid: &str,
    staff: Option<&str>,
    entry: &NewLedgerEntry,
    outcome: &Outcome,
) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             {USE_CARD}
             CREATE ledger CONTENT $entry RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("card_uuid", uuid.to_owned()))
        .bind(("staff", staff.map(str::to_owned)))
        .bind(("used_in", Option::<String>::None))
        .bind(("entry", entry.clone()));
    checked(outcome.bind(query).await?)?;
    Ok(())
}

/// Issues a card directly, worth what its type offers now, without a ledger entry: for tests
/// and benchmarks only (diners get cards by synthesizing, which is ledgered).
pub async fn issue(
    db: &Db,
    merchant: &str,
    card_type: &str,
    uid: &str,
    expiry: DateTime<Utc>,
) -> DbResult<String> {
    let uuid = uuid::Uuid::new_v4().to_string();
    let response = db
        .query(
            "LET $kind = type::record('card_type', [$merchant, $card_type]);
             CREATE type::record('card', $uuid) CONTENT {
                 merchant: type::record('merchant', $merchant), card_type: $kind,
                 uid: $uid, status: 'ACTIVE', expiry: $expiry,
                 value: { name: $kind.name, benefit: $kind.benefit, cost_basis: $kind.cost_basis }
             } RETURN NONE",
        )
        .bind(("uuid", uuid.clone()))
        .bind(("merchant", merchant.to_owned()))
        .bind(("card_type", card_type.to_owned()))
        .bind(("uid", uid.to_owned()))
        .bind(("expiry", expiry))
        .await?;
    checked(response)?;
    Ok(uuid)
}
