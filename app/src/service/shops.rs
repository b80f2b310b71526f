//! A shop's name, time zone and margin floor, read for every trigger and kept in memory ([`ShopCache`])
//! until the shop's record changes.

use std::sync::Arc;

use crate::error::AppError;
use crate::service::shop_cache::ShopCache;
use crate::state::AppState;

/// A shop as the rule engine shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shop {
    pub name: String,
    pub zone: chrono_tz::Tz,
    /// The gross margin (percent) every AI proposal must keep.
    pub margin_floor: u8,
}

/// The shops' names and time zones.
pub type Shops = ShopCache<Shop>;

/// The shop `merchant`, from memory when kept.
pub async fn shop(state: &AppState, merchant: &str) -> Result<Arc<Shop>, AppError> {
    state
        .shops
        .get(merchant, || async {
            let profile = db::merchant::profile(&state.db, merchant)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("merchant {merchant}")))?;
            let zone = profile.timezone.parse().map_err(|_| {
                AppError::Internal(format!(
                    "merchant {merchant} has time zone {}",
                    profile.timezone
                ))
            })?;
            Ok(Shop {
                name: profile.name,
                zone,
                margin_floor: u8::try_from(profile.margin_floor)
                    .unwrap_or(crate::domain::strategy::DEFAULT_MARGIN_FLOOR),
            })
        })
        .await
}

/// Keeps the process's caches of shops, their catalogues and their active campaigns honest
/// until dropped.
pub async fn watch_caches(state: AppState) {
    let db = &state.db;
    tokio::join!(
        state
            .shops
            .watch("shops", || db::live::changes(db, &["merchant"])),
        state
            .catalogs
            .watch("catalogues", || db::live::changes(db, db::catalog::TABLES)),
        state
            .campaigns
            .watch("campaigns", || db::live::changes(db, &["campaign"])),
    );
}
