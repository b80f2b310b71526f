//! A merchant's catalogue: fragments, card types (入席令) with their daily stock, recharge
//! tiers and market listings. Diners read what is on offer; OWNER and MANAGER edit it.
//! Saving is create-or-replace by code, so a retried save is harmless (no Idempotency-Key).

use serde::{Deserialize, Serialize};

use crate::domain::Money;
use crate::error::Problem;

/// How rare a fragment is (drops and prices follow it).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rarity {
    Common,
    Rare,
    Epic,
}

impl Rarity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Common => "COMMON",
            Self::Rare => "RARE",
            Self::Epic => "EPIC",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Common, Self::Rare, Self::Epic]
            .into_iter()
            .find(|rarity| rarity.as_str() == text)
    }
}

/// A collectible fragment.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// e.g. `CHILI`: capitals, digits and `_`.
    pub code: String,
    pub name: String,
    pub rarity: Rarity,
}

/// One line of a recipe: `count` of a fragment.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeLine {
    pub fragment: String,
    pub count: u32,
}

/// A card type (入席令): what it takes to synthesize, what it gives, how many a day.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardType {
    pub code: String,
    pub name: String,
    pub recipe: Vec<RecipeLine>,
    /// Taken off the bill when the card is redeemed.
    pub benefit: Money,
    /// What the diner reads, e.g. "免费凉菜一份（抵18元）".
    pub benefit_description: String,
    pub validity_days: u32,
    /// What one redeemed card costs the shop (for margin checks).
    pub cost_basis: Money,
    /// How many may be synthesized per merchant-local day.
    pub daily_cap: u32,
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
    pub code: String,
    pub label: String,
    pub pay: Money,
    pub bonus: Money,
    pub active: bool,
}

/// A fragment on the market, priced in silver.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub fragment: String,
    pub buy_price: u32,
    /// What the merchant pays back for one; none: not bought back.
    pub sell_price: Option<u32>,
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
pub async fn merchant_catalog(merchant_id: String) -> Result<Catalog, Problem> {
    use crate::auth::Principal;
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let everything = match &call.principal {
        Principal::Staff {
            merchant_id: own, ..
        } if *own == merchant_id => true,
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
#[leptos::server(prefix = "/api", endpoint = "catalog/fragments", input = leptos::server_fn::codec::Json, output = leptos::server_fn::codec::Json)]
pub async fn save_fragment(fragment: Fragment) -> Result<Fragment, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_fragment(&call.state.db, &staff.merchant_id, &fragment).await?;
    Ok(fragment)
}

/// `POST /api/catalog/card_types` (OWNER, MANAGER): add or change a card type and its daily
/// cap. Cards already taken today stay taken under a new cap.
#[leptos::server(prefix = "/api", endpoint = "catalog/card_types", input = leptos::server_fn::codec::Json, output = leptos::server_fn::codec::Json)]
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
#[leptos::server(prefix = "/api", endpoint = "catalog/stock", input = leptos::server_fn::codec::Json, output = leptos::server_fn::codec::Json)]
pub async fn set_daily_cap(card_type: String, daily_cap: u32) -> Result<CardTypeOnOffer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    Ok(crate::service::catalog::set_daily_cap(
        &call.state.db,
        &staff.merchant_id,
        &card_type,
        daily_cap,
        chrono::Utc::now,
    )
    .await?)
}

/// `POST /api/catalog/tiers` (OWNER, MANAGER): add or change a recharge tier.
#[leptos::server(prefix = "/api", endpoint = "catalog/tiers", input = leptos::server_fn::codec::Json, output = leptos::server_fn::codec::Json)]
pub async fn save_tier(tier: Tier) -> Result<Tier, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_tier(&call.state.db, &staff.merchant_id, &tier).await?;
    Ok(tier)
}

/// `POST /api/catalog/listings` (OWNER, MANAGER): list, reprice or withdraw a fragment on the
/// market.
#[leptos::server(prefix = "/api", endpoint = "catalog/listings", input = leptos::server_fn::codec::Json, output = leptos::server_fn::codec::Json)]
pub async fn save_listing(listing: Listing) -> Result<Listing, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    crate::service::catalog::save_listing(&call.state.db, &staff.merchant_id, &listing).await?;
    Ok(listing)
}
