//! A merchant's catalogue: fragments, card types (入席令) with their daily stock, recharge
//! tiers and market listings, as they are read and saved.

use serde::{Deserialize, Serialize};

use crate::domain::catalog::{MAX_DAILY_CAP, MAX_PRICE, MAX_RECIPE_COUNT, MAX_VALIDITY_DAYS};
use crate::domain::checked::{Code, Count, Name};
use crate::domain::{Amount, Money};

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
    /// Its art (a thumbnail of the shop's asset), if the Artist gave it one.
    pub art: Option<String>,
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
