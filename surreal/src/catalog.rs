//! What a merchant offers: recharge tiers (and, in later steps, fragments, card types,
//! stock caps and market listings).

use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A recharge tier as stored: `recharge_tier:[merchant, code]`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct TierRow {
    pub code: String,
    pub label: String,
    pub pay: Decimal,
    pub bonus: Decimal,
    pub active: bool,
}

/// One tier of a merchant, if it exists.
pub async fn recharge_tier(db: &Db, merchant: &str, code: &str) -> DbResult<Option<TierRow>> {
    let response = db
        .query(
            "SELECT code, label, pay, bonus, active \
             FROM type::record('recharge_tier', [$merchant, $code])",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Creates or replaces a tier.
pub async fn upsert_recharge_tier(db: &Db, merchant: &str, tier: &TierRow) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('recharge_tier', [$merchant, $tier.code]) MERGE { \
                 merchant: type::record('merchant', $merchant), code: $tier.code, \
                 label: $tier.label, pay: $tier.pay, bonus: $tier.bonus, active: $tier.active }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("tier", tier.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// One line of a card type's recipe: `count` of the fragment `fragment`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct RecipeItem {
    pub fragment: String,
    pub count: i64,
}

/// What redeeming a card gives: `amount` off the bill.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct BenefitRow {
    pub kind: String,
    pub amount: Decimal,
    pub description: String,
}

/// A card type (入席令) as stored: `card_type:[merchant, code]`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CardTypeRow {
    pub code: String,
    pub name: String,
    pub recipe: Vec<RecipeItem>,
    pub benefit: BenefitRow,
    pub validity_days: i64,
    pub cost_basis: Decimal,
    pub active: bool,
}

/// One card type of a merchant, if it exists.
pub async fn card_type(db: &Db, merchant: &str, code: &str) -> DbResult<Option<CardTypeRow>> {
    let response = db
        .query(
            "SELECT code, name, recipe, benefit, validity_days, cost_basis, active \
             FROM type::record('card_type', [$merchant, $code])",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Creates or replaces a card type; its daily stock record is created with it (full).
pub async fn upsert_card_type(
    db: &Db,
    merchant: &str,
    card_type: &CardTypeRow,
    daily_cap: i64,
    today: &str,
) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             UPSERT type::record('card_type', [$merchant, $t.code]) MERGE {
                 merchant: type::record('merchant', $merchant), code: $t.code, name: $t.name,
                 recipe: $t.recipe, benefit: $t.benefit, validity_days: $t.validity_days,
                 cost_basis: $t.cost_basis, active: $t.active };
             UPSERT type::record('card_stock', [$merchant, $t.code]) MERGE {
                 merchant: type::record('merchant', $merchant), daily_cap: $cap,
                 current_stock: $cap, reset_day: $today };
             COMMIT TRANSACTION;",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("t", card_type.clone()))
        .bind(("cap", daily_cap))
        .bind(("today", today.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Creates or renames a fragment definition.
pub async fn upsert_fragment(
    db: &Db,
    merchant: &str,
    code: &str,
    name: &str,
    rarity: &str,
) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('fragment', [$merchant, $code]) MERGE {
                 merchant: type::record('merchant', $merchant), code: $code, name: $name,
                 rarity: $rarity }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .bind(("name", name.to_owned()))
        .bind(("rarity", rarity.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Creates or reprices a market listing (prices in silver; `sell_price` None: no buy-back).
pub async fn upsert_listing(
    db: &Db,
    merchant: &str,
    fragment: &str,
    buy_price: i64,
    sell_price: Option<i64>,
) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('market_listing', [$merchant, $fragment]) MERGE {
                 merchant: type::record('merchant', $merchant), fragment: $fragment,
                 buy_price: $buy, sell_price: $sell, active: true }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("fragment", fragment.to_owned()))
        .bind(("buy", buy_price))
        .bind(("sell", sell_price))
        .await?;
    checked(response)?;
    Ok(())
}
