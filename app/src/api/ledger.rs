//! Statements: the ledger entries of one diner at one merchant, newest first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Problem;

/// One ledger entry as a statement shows it. Amounts and balance changes are decimal strings
/// (changes signed: `"-24.00"`); silver and fragment changes are signed counts.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub txn_id: String,
    /// RECHARGE, PAYMENT, REFUND, STORED_VALUE_REFUND, REDEEM, SYNTHESIZE, MARKET_BUY, …
    pub kind: String,
    pub amount: String,
    pub principal_change: Option<String>,
    pub bonus_change: Option<String>,
    pub silver_change: Option<i64>,
    pub fragments_change: Option<BTreeMap<String, i64>>,
    /// Cards created, used or reactivated: uuid → new status.
    pub cards: Option<BTreeMap<String, String>>,
    /// The member of staff who did it (cashier operations).
    pub staff: Option<String>,
    pub at: DateTime<Utc>,
}

/// The most entries one request returns.
pub const MAX_LINES: u32 = 200;

/// How many lines a statement page holds (newest first; 50 when not said).
pub type Limit = crate::domain::checked::Count<1, MAX_LINES>;

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
    crate::api::edge::known_merchant(&call.state, &merchant_id).await?;
    let limit = limit.map(Limit::get);
    Ok(crate::service::ledger::lines(&call.state.db, &merchant_id, &uid, limit).await?)
}

/// `GET /api/ledger/of?uid=…&limit=…` (staff with ViewLedger): a diner's entries at the
/// caller's merchant.
#[leptos::server(prefix = "/api", endpoint = "ledger/of", input = leptos::server_fn::codec::GetUrl)]
pub async fn ledger_of() -> Result<Vec<LedgerLine>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ViewLedger)?;
    let LedgerOfQuery { uid, limit } = crate::api::codec::query()?;
    let limit = limit.map(Limit::get);
    Ok(crate::service::ledger::lines(&call.state.db, &staff.merchant_id, &uid, limit).await?)
}
