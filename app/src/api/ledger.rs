//! Statements: the ledger entries of one diner at one merchant, newest first.

use serde::{Deserialize, Serialize};

use crate::error::Problem;
pub use crate::model::ledger::*;

/// The query of `GET /api/ledger/mine`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MyLedgerQuery {
    pub merchant_id: crate::domain::checked::MerchantId,
    /// 1–200, default 50 (newest first).
    #[cfg_attr(feature = "ssr", param(inline))]
    pub limit: Option<Limit>,
}

/// The query of `GET /api/ledger/of`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LedgerOfQuery {
    pub uid: crate::domain::checked::DinerId,
    /// 1–200, default 50 (newest first).
    #[cfg_attr(feature = "ssr", param(inline))]
    pub limit: Option<Limit>,
}

/// `GET /api/ledger/mine?merchant_id=…&limit=…` (diner): my entries at a merchant.
#[leptos::server(prefix = "/api", endpoint = "ledger/mine", input = leptos::server_fn::codec::GetUrl)]
pub async fn my_ledger() -> Result<Vec<LedgerLine>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let MyLedgerQuery { merchant_id, limit } = crate::api::codec::query()?;
    crate::service::known_merchant(&call.state, &merchant_id).await?;
    let limit = limit.map(Limit::get);
    Ok(crate::service::ledger::lines(&call.state, &merchant_id, &uid, limit).await?)
}

/// `GET /api/ledger/of?uid=…&limit=…` (staff with ViewLedger): a diner's entries at the
/// caller's merchant.
#[leptos::server(prefix = "/api", endpoint = "ledger/of", input = leptos::server_fn::codec::GetUrl)]
pub async fn ledger_of() -> Result<Vec<LedgerLine>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ViewLedger)?;
    let LedgerOfQuery { uid, limit } = crate::api::codec::query()?;
    let limit = limit.map(Limit::get);
    Ok(crate::service::ledger::lines(&call.state, &staff.merchant_id, &uid, limit).await?)
}
