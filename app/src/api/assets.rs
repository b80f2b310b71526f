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
    use crate::api::edge::authenticated;
    let call = authenticated()?;
    let uid = call.diner()?;
    crate::service::known_merchant(&call.state, &merchant_id).await?;
    let args = (&merchant_id, &card_type);
    call.idempotent("assets/synthesize", &args, |once| {
        crate::service::assets::synthesize(
            &call.state,
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
    use crate::api::edge::authenticated;
    let call = authenticated()?;
    let uid = call.diner()?;
    crate::service::known_merchant(&call.state, &merchant_id).await?;
    let args = (&merchant_id, &fragment, side, quantity);
    call.idempotent("market/trade", &args, |once| {
        crate::service::assets::trade(
            &call.state,
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
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let MerchantQuery { merchant_id } = query()?;
    Ok(crate::service::assets::held(&call.state, &merchant_id, &uid).await?)
}
