//! A merchant's catalogue: fragments, card types (入席令) with their daily stock, recharge
//! tiers and market listings. Diners read what is on offer; OWNER and MANAGER edit it.
//! Saving is create-or-replace by code, so a retried save is harmless (no Idempotency-Key).

use crate::domain::checked::Code;
use crate::error::Problem;
pub use crate::model::catalog::*;

/// `GET /api/catalog?merchant_id=…`: a merchant's catalogue. Staff may read only their own
/// merchant's (another's is 404).
#[leptos::server(prefix = "/api", endpoint = "catalog", input = leptos::server_fn::codec::GetUrl)]
pub async fn merchant_catalog() -> Result<Catalog, Problem> {
    use crate::api::codec::{MerchantQuery, query};
    use crate::auth::Principal;
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let MerchantQuery { merchant_id } = query()?;
    let everything = match &call.principal {
        Principal::Staff {
            merchant_id: own, ..
        } if *own == merchant_id.as_str() => true,
        Principal::Staff { .. } => {
            return Err(AppError::NotFound(format!("merchant {merchant_id}")).into());
        }
        Principal::Diner { .. } => false,
    };
    // An unknown merchant is 404 from `read` (it needs the merchant's time zone).
    let now = chrono::Utc::now();
    Ok(crate::service::catalog::read(&call.state, &merchant_id, everything, now).await?)
}

/// `POST /api/catalog/fragments` (OWNER, MANAGER): add or rename a fragment.
#[leptos::server(prefix = "/api", endpoint = "catalog/fragments", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_fragment(fragment: Fragment) -> Result<Fragment, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_fragment(&call.state, &staff.merchant_id, &fragment).await?;
    Ok(fragment)
}

/// `POST /api/catalog/card_types` (OWNER, MANAGER): add or change a card type and its daily
/// cap. Cards already taken today stay taken under a new cap.
#[leptos::server(prefix = "/api", endpoint = "catalog/card_types", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_card_type(card_type: CardType) -> Result<CardTypeOnOffer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    Ok(crate::service::catalog::save_card_type(
        &call.state,
        &staff.merchant_id,
        card_type,
        chrono::Utc::now,
    )
    .await?)
}

/// `POST /api/catalog/stock` (OWNER, MANAGER): set a card type's daily cap.
#[leptos::server(prefix = "/api", endpoint = "catalog/stock", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn set_daily_cap(
    card_type: Code,
    daily_cap: DailyCap,
) -> Result<CardTypeOnOffer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    Ok(crate::service::catalog::set_daily_cap(
        &call.state,
        &staff.merchant_id,
        &card_type,
        daily_cap.get(),
        chrono::Utc::now,
    )
    .await?)
}

/// `POST /api/catalog/tiers` (OWNER, MANAGER): add or change a recharge tier.
#[leptos::server(prefix = "/api", endpoint = "catalog/tiers", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_tier(tier: Tier) -> Result<Tier, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_tier(&call.state, &staff.merchant_id, &tier).await?;
    Ok(tier)
}

/// `POST /api/catalog/listings` (OWNER, MANAGER): list, reprice or withdraw a fragment on the
/// market.
#[leptos::server(prefix = "/api", endpoint = "catalog/listings", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_listing(listing: Listing) -> Result<Listing, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_listing(&call.state, &staff.merchant_id, &listing).await?;
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::Rarity;

    #[test]
    fn a_rarity_is_stored_and_sent_by_one_name() {
        for (rarity, name) in [
            (Rarity::Common, "COMMON"),
            (Rarity::Rare, "RARE"),
            (Rarity::Epic, "EPIC"),
        ] {
            assert_eq!(rarity.as_str(), name);
            assert_eq!(Rarity::parse(name), Some(rarity));
            let json = serde_json::to_string(&rarity).unwrap_or_default();
            assert_eq!(json, format!("\"{name}\""));
        }
        assert_eq!(Rarity::parse("rare"), None);
    }
}
