//! Fragments, silver, market trades and synthesis: each mutation one transaction with its
//! ledger entry. Counts are guarded in the statements themselves (`WHERE count >= n`), so a
//! concurrent trade can never take a balance below zero.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::card::CardValue;
use crate::catalog::RecipeItem;
use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::ledger::NewLedgerEntry;
use crate::outcome::Outcome;
use crate::queue::ENQUEUE;
use crate::{Db, DbResult};

/// A market listing as stored.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ListingRow {
    pub fragment: String,
    pub buy_price: i64,
    pub sell_price: Option<i64>,
    pub active: bool,
}

/// A card type's stock as stored.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StockRow {
    pub daily_cap: i64,
    pub current_stock: i64,
    pub reset_day: String,
}

/// The fragments a diner holds at a merchant, by fragment code (zero counts left out).
pub async fn holdings(db: &Db, merchant: &str, uid: &str) -> DbResult<BTreeMap<String, i64>> {
    let response = db
        .query(SELECT_HOLDINGS)
        .bind(("merchant", merchant.to_owned()))
        .bind(("uid", uid.to_owned()))
        .await?;
    let rows: Vec<Holding> = checked(response)?.take(0)?;
    Ok(Holding::by_fragment(rows))
}

/// What a diner holds of one fragment at a merchant.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Holding {
    pub fragment: String,
    pub count: i64,
}

impl Holding {
    /// Counts by fragment code.
    pub fn by_fragment(rows: Vec<Self>) -> BTreeMap<String, i64> {
        rows.into_iter().map(|h| (h.fragment, h.count)).collect()
    }
}

/// The fragments `$uid` holds at `$merchant` (zero counts left out).
pub(crate) const SELECT_HOLDINGS: &str = "SELECT fragment, count FROM holding \
     WHERE uid = $uid AND merchant = type::record('merchant', $merchant) AND count > 0";

/// A diner's silver (0 when unknown).
pub async fn silver(db: &Db, uid: &str) -> DbResult<i64> {
    let response = db
        .query("SELECT VALUE silver FROM type::record('diner', $uid)")
        .bind(("uid", uid.to_owned()))
        .await?;
    let silver: Option<i64> = checked(response)?.take(0)?;
    Ok(silver.unwrap_or(0))
}

/// One listing of a merchant.
pub async fn listing(db: &Db, merchant: &str, fragment: &str) -> DbResult<Option<ListingRow>> {
    let response = db
        .query(
            "SELECT fragment, buy_price, sell_price, active \
             FROM type::record('market_listing', [$merchant, $fragment])",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("fragment", fragment.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The stock record of a card type.
pub async fn stock(db: &Db, merchant: &str, card_type: &str) -> DbResult<Option<StockRow>> {
    let response = db
        .query(
            "SELECT daily_cap, current_stock, reset_day \
             FROM type::record('card_stock', [$merchant, $card_type])",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("card_type", card_type.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// What a market trade writes: silver out, fragments in (`silver_delta` < 0), or fragments
/// out, silver in (> 0).
#[derive(Debug, Clone)]
pub struct Trade<'a> {
    pub merchant: &'a str,
    pub uid: &'a str,
    pub fragment: &'a str,
    pub fragment_delta: i64,
    pub silver_delta: i64,
    pub entry: &'a NewLedgerEntry,
    pub outcome: &'a Outcome,
}

/// Moves silver and fragments together, or THROWs 'INSUFFICIENT_SILVER' /
/// 'INSUFFICIENT_FRAGMENTS' and writes nothing.
pub async fn trade(db: &Db, t: &Trade<'_>) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $diner = type::record('diner', $uid);
             LET $paid = UPDATE $diner SET silver += $silver_delta
                 WHERE silver + $silver_delta >= 0 RETURN AFTER;
             IF array::len($paid) != 1 {{ THROW 'INSUFFICIENT_SILVER' }};
             LET $holding = type::record('holding', [$merchant, $uid, $fragment]);
             LET $held = (SELECT VALUE count FROM $holding)[0] ?? 0;
             IF $held + $fragment_delta < 0 {{ THROW 'INSUFFICIENT_FRAGMENTS' }};
             UPSERT $holding MERGE {{
                 merchant: type::record('merchant', $merchant), uid: $uid, fragment: $fragment,
                 count: $held + $fragment_delta
             }} RETURN NONE;
             CREATE ledger CONTENT $entry RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("merchant", t.merchant.to_owned()))
        .bind(("uid", t.uid.to_owned()))
        .bind(("fragment", t.fragment.to_owned()))
        .bind(("fragment_delta", t.fragment_delta))
        .bind(("silver_delta", t.silver_delta))
        .bind(("entry", t.entry.clone()));
    checked(t.outcome.bind(query).await?)?;
    Ok(())
}

/// What synthesizing one card writes, computed by the caller from one read of the stock.
#[derive(Debug, Clone)]
pub struct Synthesis<'a> {
    pub merchant: &'a str,
    pub uid: &'a str,
    pub card_type: &'a str,
    pub recipe: &'a [RecipeItem],
    pub stock_seen: &'a StockRow,
    pub stock_next: &'a StockRow,
    pub card_uuid: &'a str,
    pub expiry: DateTime<Utc>,
    /// What the card is worth, fixed now (the card type as the caller read it).
    pub value: &'a CardValue,
    pub entry: &'a NewLedgerEntry,
    pub outcome: &'a Outcome,
}

/// Fragments consumed, one unit of today's stock taken, the card created: all or nothing.
/// THROWs 'STALE' when the stock changed since it was read, 'INSUFFICIENT_FRAGMENTS' when
/// the diner lacks any of the recipe.
pub async fn synthesize(db: &Db, s: &Synthesis<'_>) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $taken = UPDATE type::record('card_stock', [$merchant, $card_type])
                 SET current_stock = $next.current_stock, reset_day = $next.reset_day
                 WHERE current_stock = $seen.current_stock AND reset_day = $seen.reset_day
                 RETURN AFTER;
             IF array::len($taken) != 1 {{ THROW 'STALE' }};
             FOR $item IN $recipe {{
                 LET $used = UPDATE type::record('holding', [$merchant, $uid, $item.fragment])
                     SET count -= $item.count WHERE count >= $item.count RETURN AFTER;
                 IF array::len($used) != 1 {{ THROW 'INSUFFICIENT_FRAGMENTS' }};
             }};
             CREATE type::record('card', $card_uuid) CONTENT {{
                 merchant: type::record('merchant', $merchant),
                 card_type: type::record('card_type', [$merchant, $card_type]),
                 uid: $uid, status: 'ACTIVE', expiry: $expiry, value: $value }} RETURN NONE;
             CREATE ledger CONTENT $entry RETURN NONE;
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("merchant", s.merchant.to_owned()))
        .bind(("uid", s.uid.to_owned()))
        .bind(("card_type", s.card_type.to_owned()))
        .bind(("recipe", s.recipe.to_vec()))
        .bind(("seen", s.stock_seen.clone()))
        .bind(("next", s.stock_next.clone()))
        .bind(("card_uuid", s.card_uuid.to_owned()))
        .bind(("expiry", s.expiry))
        .bind(("value", s.value.clone()))
        .bind(("entry", s.entry.clone()));
    checked(s.outcome.bind(query).await?)?;
    Ok(())
}

/// Grants silver (rule-engine rewards, and demo/test set-up), with its ledger entry.
pub async fn reward_silver(
    db: &Db,
    uid: &str,
    amount: i64,
    entry: &NewLedgerEntry,
) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $paid = UPDATE type::record('diner', $uid) SET silver += $amount RETURN AFTER;
             IF array::len($paid) != 1 { THROW 'UNKNOWN_DINER' };
             CREATE ledger CONTENT $entry RETURN NONE;
             COMMIT TRANSACTION;",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("amount", amount))
        .bind(("entry", entry.clone()))
        .await?;
    checked(response)?;
    Ok(())
}
