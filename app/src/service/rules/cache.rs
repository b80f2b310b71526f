//! The shops' active campaigns, kept in memory ([`ShopCache`]) so a trigger is decided
//! without reading them again. The decision's transaction checks each fired campaign's
//! version and status again (`STALE` if it changed), and a refused decision empties the
//! cache before it is retried.

use db::rules::CampaignRow;

use crate::error::AppError;
use crate::service::shop_cache::ShopCache;
use crate::state::AppState;

/// A shop's active campaigns as read.
pub type Active = std::sync::Arc<Vec<CampaignRow>>;

/// The shops' active campaigns.
pub type ActiveCampaigns = ShopCache<Vec<CampaignRow>>;

/// The shop's active campaigns, from memory when the cache holds them.
pub async fn active(state: &AppState, merchant: &str) -> Result<Active, AppError> {
    state
        .campaigns
        .get(merchant, || async {
            Ok(db::rules::campaigns(&state.db, merchant, Some("ACTIVE")).await?)
        })
        .await
}
