//! Fragments, silver and cards: market trades and synthesis.

#[cfg(feature = "ssr")]
use chrono::Utc;
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use crate::domain::checked::{Code, MerchantId};
use crate::error::Problem;
pub use crate::model::assets::*;

/// `POST /api/assets/synthesize` (diner): consume a recipe's fragments and one unit of
/// today's stock for a new card. Requires an Idempotency-Key.
#[server(prefix = "/api", endpoint = "assets/synthesize", input = crate::api::codec::CheckedJson, output = Json)]
pub async fn synthesize(
    merchant_id: MerchantId,
    card_type: Code,
) -> Result<SynthesisReceipt, Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    synthesize_as(&call, key.as_deref(), &merchant_id, &card_type).await
}

/// A synthesis by the calling diner with Idempotency-Key `key` (the API's header, or the
/// demo page's form).
#[cfg(feature = "ssr")]
pub(crate) async fn synthesize_as(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    merchant_id: &MerchantId,
    card_type: &Code,
) -> Result<SynthesisReceipt, Problem> {
    let uid = call.diner()?;
    crate::service::known_merchant(&call.state, merchant_id).await?;
    let args = (merchant_id, card_type);
    call.idempotent_with_key(key, "assets/synthesize", &args, |once| {
        crate::service::assets::synthesize(
            &call.state,
            merchant_id,
            &uid,
            card_type,
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
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    let trade = Trade {
        merchant_id,
        fragment,
        side,
        quantity,
    };
    trade_as(&call, key.as_deref(), &trade).await
}

/// A market trade as the API reads it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trade {
    pub merchant_id: MerchantId,
    pub fragment: Code,
    pub side: TradeSide,
    pub quantity: Quantity,
}

/// A trade by the calling diner with Idempotency-Key `key`.
#[cfg(feature = "ssr")]
pub(crate) async fn trade_as(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    trade: &Trade,
) -> Result<TradeReceipt, Problem> {
    let uid = call.diner()?;
    crate::service::known_merchant(&call.state, &trade.merchant_id).await?;
    let args = (
        &trade.merchant_id,
        &trade.fragment,
        trade.side,
        trade.quantity,
    );
    call.idempotent_with_key(key, "market/trade", &args, |once| {
        crate::service::assets::trade(
            &call.state,
            &trade.merchant_id,
            &uid,
            &trade.fragment,
            trade.side,
            trade.quantity.get(),
            Some(once),
        )
    })
    .await
}

/// `GET /api/assets/mine?merchant_id=…` (diner): silver, fragments and cards.
#[server(prefix = "/api", endpoint = "assets/mine", input = GetUrl)]
pub async fn my_assets() -> Result<AssetSummary, Problem> {
    use crate::api::codec::{MerchantQuery, query};
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let MerchantQuery { merchant_id } = query()?;
    Ok(crate::service::assets::held(&call.state, &merchant_id, &uid).await?)
}
