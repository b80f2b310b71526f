//! Fragments, silver and cards: what a trade and a synthesis answer, and what a diner holds.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::checked::Count;
pub use crate::domain::events::TradeSide;
use crate::domain::market::MAX_QUANTITY;

/// How many fragments one trade moves.
pub type Quantity = Count<1, MAX_QUANTITY>;

/// A trade done.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeReceipt {
    pub txn_id: String,
    pub fragment: String,
    pub quantity: u32,
    pub silver: u64,
    pub side: TradeSide,
}

/// A card synthesized.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthesisReceipt {
    pub txn_id: String,
    pub card_uuid: String,
    pub card_type: String,
    pub expiry: DateTime<Utc>,
    /// The shop's day whose stock the card came out of (a request made just before
    /// midnight that is served after it counts against the new day).
    pub stock_day: NaiveDate,
    /// What is left of that day's stock.
    pub stock_left_today: u32,
}

/// What a diner holds at a merchant.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSummary {
    pub silver: i64,
    pub fragments: std::collections::BTreeMap<String, i64>,
    pub cards: Vec<MyCard>,
}

/// One of a diner's cards.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCard {
    pub uuid: String,
    pub card_type: String,
    /// The name it was issued under (the counter's scan shows the same).
    pub name: String,
    pub status: String,
    pub expiry: DateTime<Utc>,
    /// Its card type's art (a thumbnail), if it has one.
    pub art: Option<String>,
}
