//! The ledger: one entry per change of any balance, silver, fragment or card, always written
//! in the same transaction as the change. `wallet = Σ ledger diffs` holds at every commit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use surrealdb::types::{Kind, SurrealValue, Value};

use crate::error::checked;
use crate::wallet::WalletRow;
use crate::{Db, DbResult};

/// What kind of change an entry records; stored as its SCREAMING_SNAKE_CASE name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerType {
    Recharge,
    Payment,
    Refund,
    StoredValueRefund,
    Clawback,
    MarketBuy,
    MarketSell,
    Synthesize,
    Redeem,
    Reward,
    /// A stored-value refund the payment provider refused or failed, put back.
    RefundReversal,
}

impl LedgerType {
    /// The stored name, e.g. `STORED_VALUE_REFUND`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

// The derive would store unit variants as objects; the schema wants the plain name.
impl SurrealValue for LedgerType {
    fn kind_of() -> Kind {
        Kind::String
    }

    fn into_value(self) -> Value {
        Value::String(self.as_str().to_owned())
    }

    fn from_value(value: Value) -> Result<Self, surrealdb::types::Error> {
        let name = String::from_value(value)?;
        name.parse()
            .map_err(|_| surrealdb::types::Error::internal(format!("unknown ledger type {name}")))
    }
}

/// The signed difference an entry made (absent fields: unchanged).
#[derive(Debug, Clone, Default, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AssetsChange {
    pub principal: Option<Decimal>,
    pub bonus: Option<Decimal>,
    pub granted_bonus: Option<Decimal>,
    /// Bonus made good from principal (`S`): grown by a cash refund's shortfall, given back
    /// by a payment refund.
    pub made_good: Option<Decimal>,
    /// Cash paid out to the diner (stored-value refunds), for the books.
    pub cash_out: Option<Decimal>,
    /// Bonus ratio of a recharge (`bonus / pay`).
    pub bonus_ratio: Option<Decimal>,
    pub silver: Option<i64>,
    pub fragments: Option<BTreeMap<String, i64>>,
    /// A card created, used or reactivated: `card:<uuid>` → its new status.
    pub cards: Option<BTreeMap<String, String>>,
}

/// An entry about to be written.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewLedgerEntry {
    pub txn_id: String,
    #[surreal(rename = "type")]
    pub kind: LedgerType,
    pub amount: Decimal,
    pub assets_change: AssetsChange,
    pub merchant_id: String,
    pub user_uid: String,
    pub staff: Option<String>,
    pub reference: Option<String>,
}

impl NewLedgerEntry {
    /// A new entry with a fresh, time-ordered transaction id.
    pub fn new(
        kind: LedgerType,
        amount: Decimal,
        merchant_id: &str,
        user_uid: &str,
        assets_change: AssetsChange,
    ) -> Self {
        Self {
            txn_id: uuid::Uuid::now_v7().to_string(),
            kind,
            amount,
            assets_change,
            merchant_id: merchant_id.to_owned(),
            user_uid: user_uid.to_owned(),
            staff: None,
            reference: None,
        }
    }

    pub fn by_staff(mut self, staff: Option<&str>) -> Self {
        self.staff = staff.map(str::to_owned);
        self
    }

    pub fn referencing(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }
}

/// A stored entry, as statements and the cashier's list show it.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct LedgerEntry {
    pub txn_id: String,
    #[surreal(rename = "type")]
    pub kind: LedgerType,
    pub amount: Decimal,
    pub assets_change: AssetsChange,
    pub merchant_id: String,
    pub user_uid: String,
    pub staff: Option<String>,
    pub reference: Option<String>,
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

/// A diner's entries at a merchant, newest first.
pub async fn for_diner(
    db: &Db,
    merchant: &str,
    uid: &str,
    limit: u32,
) -> DbResult<Vec<LedgerEntry>> {
    let response = db
        .query(
            "SELECT * OMIT id FROM ledger WHERE user_uid = $uid AND merchant_id = $merchant \
             ORDER BY timestamp DESC LIMIT $limit",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("merchant", merchant.to_owned()))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A merchant's entries of `kinds` since `from`, oldest first (one read for a report over
/// many diners; the index on merchant, type and time serves it).
pub async fn of_merchant(
    db: &Db,
    merchant: &str,
    kinds: &[LedgerType],
    from: chrono::DateTime<chrono::Utc>,
) -> DbResult<Vec<LedgerEntry>> {
    let response = db
        .query(
            "SELECT * OMIT id FROM ledger \
             WHERE merchant_id = $merchant AND type IN $kinds AND timestamp >= $from \
             ORDER BY timestamp",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind((
            "kinds",
            kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        ))
        .bind(("from", from))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The sum of the wallet diffs of a diner's entries at a merchant, field by field. Equal to
/// the wallet, always — tests check it after every step.
pub async fn wallet_sum(db: &Db, merchant: &str, uid: &str) -> DbResult<WalletRow> {
    let response = db
        .query(
            "LET $rows = SELECT VALUE assets_change FROM ledger \
                 WHERE user_uid = $uid AND merchant_id = $merchant;
             RETURN {
                 principal: <decimal> math::sum($rows.map(|$c| $c.principal ?? 0dec)),
                 bonus: <decimal> math::sum($rows.map(|$c| $c.bonus ?? 0dec)),
                 granted_bonus: <decimal> math::sum($rows.map(|$c| $c.granted_bonus ?? 0dec)),
                 made_good: <decimal> math::sum($rows.map(|$c| $c.made_good ?? 0dec))
             };",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    let sums: Option<WalletRow> = checked(response)?.take(1)?;
    Ok(sums.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    /// The names the schema's ASSERT on `ledger.type` allows, each read back to its type.
    #[test]
    fn types_are_stored_as_the_schema_names_them() -> Result<(), surrealdb::types::Error> {
        let names: Vec<&str> = LedgerType::VARIANTS.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "RECHARGE",
                "PAYMENT",
                "REFUND",
                "STORED_VALUE_REFUND",
                "CLAWBACK",
                "MARKET_BUY",
                "MARKET_SELL",
                "SYNTHESIZE",
                "REDEEM",
                "REWARD",
                "REFUND_REVERSAL"
            ]
        );
        for kind in LedgerType::VARIANTS {
            assert_eq!(LedgerType::from_value(kind.into_value())?, *kind);
        }
        assert!(LedgerType::from_value(Value::String("recharge".into())).is_err());
        Ok(())
    }
}

/// A shop's collected payments over a time: how many and their total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Takings {
    pub payments: i64,
    pub total: Decimal,
}

/// The payments `merchant` collected since `since` (by the merchant/type/time index).
pub async fn takings_since(db: &Db, merchant: &str, since: DateTime<Utc>) -> DbResult<Takings> {
    let response = db
        .query(
            "LET $rows = SELECT amount FROM ledger
                 WHERE merchant_id = $merchant AND type = 'PAYMENT' AND timestamp >= $since;
             RETURN {
                 payments: array::len($rows),
                 total: <decimal> math::sum($rows.map(|$r| math::abs($r.amount)))
             };",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("since", since))
        .await?;
    Ok(checked(response)?
        .take::<Option<Takings>>(1)?
        .unwrap_or_default())
}
