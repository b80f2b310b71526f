//! The counter's feed: what it starts with before it goes live.

use leptos::prelude::*;

use crate::error::Problem;
pub use crate::model::realtime::TodayAtShop;

/// How many lines the counter's feed shows (today's latest, then as they come).
pub const FEED_LINES: u32 = 100;

/// Today's events at the signed-in staff's shop (its local day, the latest `FEED_LINES`), oldest
/// first: what the counter's feed starts with before it goes live after the last of them.
#[server(prefix = "/console", endpoint = "feed")]
pub async fn feed_today() -> Result<TodayAtShop, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::ViewLedger)?;
    let today = crate::service::feed::today_at(
        &call.state,
        &staff.merchant_id,
        &call.principal,
        chrono::Utc::now(),
        FEED_LINES,
    )
    .await?;
    Ok(today)
}
