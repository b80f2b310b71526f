//! A merchant's catalogue: fragments, card types (入席令) with their daily stock, recharge
//! tiers and market listings. Diners read what is on offer; OWNER and MANAGER edit it.
//! Saving is create-or-replace by code, so a retried save is harmless (no Idempotency-Key).

use serde::{Deserialize, Serialize};

use crate::domain::catalog::{MAX_DAILY_CAP, MAX_PRICE, MAX_RECIPE_COUNT, MAX_VALIDITY_DAYS};
use crate::domain::checked::{Code, Count, Name};
use crate::domain::{Amount, Money};
use crate::error::Problem;

/// How many of one fragment a recipe asks for.
pub type RecipeCount = Count<1, MAX_RECIPE_COUNT>;
/// How many days a card stays valid.
pub type ValidityDays = Count<1, MAX_VALIDITY_DAYS>;
/// How many cards of a type may be synthesized in a day.
pub type DailyCap = Count<0, MAX_DAILY_CAP>;
/// A price in silver.
pub type Price = Count<1, MAX_PRICE>;

/// How rare a fragment is (drops and prices follow it).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Rarity {
    Common,
    Rare,
    Epic,
}

impl Rarity {
    /// The stored name, e.g. `RARE`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// A collectible fragment.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// e.g. `CHILI`: capitals, digits and `_`.
    pub code: Code,
    pub name: Name,
    pub rarity: Rarity,
}

/// One line of a recipe: `count` of a fragment.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeLine {
    pub fragment: Code,
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub count: RecipeCount,
}

/// A card type (入席令): what it takes to synthesize, what it gives, how many a day.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardType {
    pub code: Code,
    pub name: Name,
    /// One line per fragment, each fragment once (else 422 `VALIDATION_FAILED`), each a
    /// fragment of the shop's catalogue (else 404 `NOT_FOUND`).
    #[cfg_attr(feature = "ssr", schema(min_items = 1))]
    pub recipe: Vec<RecipeLine>,
    /// Taken off the bill when the card is redeemed.
    pub benefit: Amount,
    /// What the diner reads, e.g. "免费凉菜一份（抵18元）".
    pub benefit_description: Name,
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub validity_days: ValidityDays,
    /// What one redeemed card costs the shop (for margin checks).
    pub cost_basis: Money,
    /// How many may be synthesized per merchant-local day.
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub daily_cap: DailyCap,
    pub active: bool,
}

/// A card type with what is left of today's stock.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardTypeOnOffer {
    #[serde(flatten)]
    pub card_type: CardType,
    pub left_today: u32,
}

/// A recharge tier, e.g. T100 "充100送20".
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub code: Code,
    pub label: Name,
    pub pay: Amount,
    /// At most `pay` (else 422 `VALIDATION_FAILED`).
    pub bonus: Money,
    pub active: bool,
}

/// A fragment on the market, priced in silver.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub fragment: Code,
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub buy_price: Price,
    /// What the merchant pays back for one: less than `buy_price` (else 422
    /// `VALIDATION_FAILED`: buying and selling back would make silver); none: not bought back.
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub sell_price: Option<Price>,
    pub active: bool,
}

/// Everything a merchant offers. Diners see active entries only; the merchant's staff see all.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub merchant_id: String,
    pub fragments: Vec<Fragment>,
    pub card_types: Vec<CardTypeOnOffer>,
    pub tiers: Vec<Tier>,
    pub listings: Vec<Listing>,
}

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
    Ok(crate::service::catalog::read(&call.state.db, &merchant_id, everything, now).await?)
}

/// `POST /api/catalog/fragments` (OWNER, MANAGER): add or rename a fragment.
#[leptos::server(prefix = "/api", endpoint = "catalog/fragments", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_fragment(fragment: Fragment) -> Result<Fragment, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_fragment(&call.state.db, &staff.merchant_id, &fragment).await?;
    Ok(fragment)
}

/// `POST /api/catalog/card_types` (OWNER, MANAGER): add or change a card type and its daily
/// cap. Cards already taken today stay taken under a new cap.
#[leptos::server(prefix = "/api", endpoint = "catalog/card_types", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_card_type(card_type: CardType) -> Result<CardTypeOnOffer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    Ok(crate::service::catalog::save_card_type(
        &call.state.db,
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
        &call.state.db,
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
    crate::service::catalog::save_tier(&call.state.db, &staff.merchant_id, &tier).await?;
    Ok(tier)
}

/// `POST /api/catalog/listings` (OWNER, MANAGER): list, reprice or withdraw a fragment on the
/// market.
#[leptos::server(prefix = "/api", endpoint = "catalog/listings", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn save_listing(listing: Listing) -> Result<Listing, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_listing(&call.state.db, &staff.merchant_id, &listing).await?;
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
