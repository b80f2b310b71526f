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

/// The active tiers of a merchant, cheapest first.
pub async fn recharge_tiers(db: &Db, merchant: &str) -> DbResult<Vec<TierRow>> {
    let response = db
        .query(
            "SELECT code, label, pay, bonus, active FROM recharge_tier \
             WHERE merchant = type::record('merchant', $merchant) AND active = true ORDER BY pay",
        )
        .bind(("merchant", merchant.to_owned()))
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
