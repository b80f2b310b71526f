//! Fragments, silver and cards: market trades and synthesis.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};
use serde::{Deserialize, Serialize};

use crate::domain::checked::{Code, Count, MerchantId};
use crate::domain::market::MAX_QUANTITY;
use crate::error::Problem;

/// How many fragments one trade moves.
pub type Quantity = Count<1, MAX_QUANTITY>;

/// Buy fragments with silver, or sell them back.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeSide {
    Buy,
    Sell,
}

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
    pub status: String,
    pub expiry: DateTime<Utc>,
}

/// `POST /api/assets/synthesize` (diner): consume a recipe's fragments and one unit of
/// today's stock for a new card. Requires an Idempotency-Key.
#[server(prefix = "/api", endpoint = "assets/synthesize", input = crate::api::codec::CheckedJson, output = Json)]
pub async fn synthesize(
    merchant_id: MerchantId,
    card_type: Code,
) -> Result<SynthesisReceipt, Problem> {
    use crate::api::edge::{authenticated, known_merchant};
    let call = authenticated()?;
    let uid = call.diner()?;
    known_merchant(&call.state, &merchant_id).await?;
    let args = (&merchant_id, &card_type);
    call.idempotent("assets/synthesize", &args, |once| {
        crate::service::assets::synthesize(
            &call.state.db,
            &merchant_id,
            &uid,
            &card_type,
            Utc::now,
            Some(once),
        )
    })
    .await
}

/// `POST /api/market/trade` (diner): buy fragments with silver, or sell them back.
/// Requires an Idempotency-Key.
#[server(prefix = "/api", endpoint = "market/trade", input = crate::api::codec::CheckedJson, output = Json)]
pub async fn market_trade(
    merchant_id: MerchantId,
    fragment: Code,
    side: TradeSide,
    quantity: Quantity,
) -> Result<TradeReceipt, Problem> {
    use crate::api::edge::{authenticated, known_merchant};
    let call = authenticated()?;
    let uid = call.diner()?;
    known_merchant(&call.state, &merchant_id).await?;
    let args = (&merchant_id, &fragment, side, quantity);
    call.idempotent("market/trade", &args, |once| {
        crate::service::assets::trade(
            &call.state.db,
            &merchant_id,
            &uid,
            &fragment,
            side,
            quantity.get(),
            Some(once),
        )
    })
    .await
}

/// `GET /api/assets/mine?merchant_id=…` (diner): silver, fragments and cards.
#[server(prefix = "/api", endpoint = "assets/mine", input = GetUrl)]
pub async fn my_assets() -> Result<AssetSummary, Problem> {
    use crate::api::codec::{MerchantQuery, query};
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let MerchantQuery { merchant_id } = query()?;
    let db = &call.state.db;
    let silver = db::assets::silver(db, &uid).await.map_err(AppError::from)?;
    let fragments = db::assets::holdings(db, &merchant_id, &uid)
        .await
        .map_err(AppError::from)?;
    let cards = db::card::for_diner(db, &merchant_id, &uid)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|card| MyCard {
            uuid: card.uuid,
            card_type: card.card_type,
            status: card.status,
            expiry: card.expiry,
        })
        .collect();
    Ok(AssetSummary {
        silver,
        fragments,
        cards,
    })
}
