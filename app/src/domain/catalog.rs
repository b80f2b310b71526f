//! What a merchant may put in its catalogue: codes, names, recipes, tiers, prices and caps
//! that make sense, checked before anything is written (the schema's ASSERTs are the last
//! line, not the message a boss sees).

use std::collections::BTreeSet;

use crate::domain::Money;

/// The largest daily cap of one card type (a typo of extra zeros should not pass).
pub const MAX_DAILY_CAP: u32 = 100_000;
/// The longest a card may stay valid.
pub const MAX_VALIDITY_DAYS: u32 = 366;
/// The most of one fragment a recipe may ask for.
pub const MAX_RECIPE_COUNT: u32 = 99;
/// The highest price of a fragment, in silver.
pub const MAX_PRICE: u32 = 1_000_000;

/// Why a catalogue entry is refused; the message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("recipe: list at least one fragment, each once, 1–{MAX_RECIPE_COUNT} of it")]
    BadRecipe,
    #[error("recipe: the fragment {0} is not in this shop's catalogue")]
    UnknownFragment(String),
    #[error("validity_days: between 1 and {MAX_VALIDITY_DAYS}")]
    BadValidity,
    #[error("benefit: more than 0")]
    BadBenefit,
    #[error("daily_cap: between 0 and {MAX_DAILY_CAP}")]
    BadCap,
    #[error("pay: more than 0; bonus: not more than pay")]
    BadTier,
    #[error("buy_price: 1–{MAX_PRICE} silver")]
    BadBuyPrice,
    #[error("sell_price: at least 1 silver and below buy_price")]
    BadSellPrice,
}

impl CatalogError {
    /// The value at fault, as the request names it (for the form to show it there).
    pub fn field(&self) -> &'static str {
        match self {
            Self::BadRecipe | Self::UnknownFragment(_) => "recipe",
            Self::BadValidity => "validity_days",
            Self::BadBenefit => "benefit",
            Self::BadCap => "daily_cap",
            Self::BadTier => "bonus",
            Self::BadBuyPrice => "buy_price",
            Self::BadSellPrice => "sell_price",
        }
    }
}

/// A recipe: one line per fragment, each of the merchant's `known` fragments.
pub fn check_recipe(
    recipe: &[(String, u32)],
    known: &BTreeSet<String>,
) -> Result<(), CatalogError> {
    let distinct: BTreeSet<&str> = recipe.iter().map(|(code, _)| code.as_str()).collect();
    let counts_ok = recipe
        .iter()
        .all(|(_, count)| (1..=MAX_RECIPE_COUNT).contains(count));
    if recipe.is_empty() || distinct.len() != recipe.len() || !counts_ok {
        return Err(CatalogError::BadRecipe);
    }
    match recipe.iter().find(|(code, _)| !known.contains(code)) {
        Some((code, _)) => Err(CatalogError::UnknownFragment(code.clone())),
        None => Ok(()),
    }
}

/// A card's terms: how long it lasts, what it takes off the bill, how many a day.
pub fn check_card_terms(
    validity_days: u32,
    benefit: Money,
    daily_cap: u32,
) -> Result<(), CatalogError> {
    if !(1..=MAX_VALIDITY_DAYS).contains(&validity_days) {
        return Err(CatalogError::BadValidity);
    }
    if benefit.is_zero() {
        return Err(CatalogError::BadBenefit);
    }
    if daily_cap > MAX_DAILY_CAP {
        return Err(CatalogError::BadCap);
    }
    Ok(())
}

/// A recharge tier: something to pay, and a bonus no larger than it.
pub fn check_tier(pay: Money, bonus: Money) -> Result<(), CatalogError> {
    (!pay.is_zero() && bonus <= pay)
        .then_some(())
        .ok_or(CatalogError::BadTier)
}

/// A market listing: a buy price, and a buy-back price below it (else silver could be
/// farmed by buying and selling).
pub fn check_prices(buy_price: u32, sell_price: Option<u32>) -> Result<(), CatalogError> {
    if !(1..=MAX_PRICE).contains(&buy_price) {
        return Err(CatalogError::BadBuyPrice);
    }
    if !sell_price.is_none_or(|sell| sell >= 1 && sell < buy_price) {
        return Err(CatalogError::BadSellPrice);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        text.parse().expect("money")
    }

    fn known() -> BTreeSet<String> {
        ["CHILI", "PEPPER"].map(String::from).into()
    }

    #[test]
    fn recipes_list_known_fragments_once_each() {
        let line = |code: &str, count| (code.to_owned(), count);
        assert_eq!(
            check_recipe(&[line("CHILI", 3), line("PEPPER", 2)], &known()),
            Ok(())
        );
        assert_eq!(check_recipe(&[], &known()), Err(CatalogError::BadRecipe));
        assert_eq!(
            check_recipe(&[line("CHILI", 1), line("CHILI", 2)], &known()),
            Err(CatalogError::BadRecipe)
        );
        assert_eq!(
            check_recipe(&[line("CHILI", 0)], &known()),
            Err(CatalogError::BadRecipe)
        );
        assert_eq!(
            check_recipe(&[line("CHILI", 100)], &known()),
            Err(CatalogError::BadRecipe)
        );
        assert_eq!(
            check_recipe(&[line("GOLD", 1)], &known()),
            Err(CatalogError::UnknownFragment("GOLD".into()))
        );
    }

    #[test]
    fn card_terms_tiers_and_prices_have_sane_bounds() {
        assert_eq!(check_card_terms(30, m("18"), 20), Ok(()));
        assert_eq!(
            check_card_terms(0, m("18"), 20),
            Err(CatalogError::BadValidity)
        );
        assert_eq!(
            check_card_terms(367, m("18"), 20),
            Err(CatalogError::BadValidity)
        );
        assert_eq!(
            check_card_terms(30, m("0"), 20),
            Err(CatalogError::BadBenefit)
        );
        assert_eq!(check_card_terms(30, m("18"), 0), Ok(()));
        assert_eq!(
            check_card_terms(30, m("18"), 100_001),
            Err(CatalogError::BadCap)
        );

        assert_eq!(check_tier(m("100"), m("20")), Ok(()));
        assert_eq!(check_tier(m("100"), m("0")), Ok(()));
        assert_eq!(check_tier(m("0"), m("0")), Err(CatalogError::BadTier));
        assert_eq!(
            check_tier(m("100"), m("100.01")),
            Err(CatalogError::BadTier)
        );

        assert_eq!(check_prices(10, Some(5)), Ok(()));
        assert_eq!(check_prices(10, None), Ok(()));
        assert_eq!(check_prices(10, Some(10)), Err(CatalogError::BadSellPrice));
        assert_eq!(check_prices(0, None), Err(CatalogError::BadBuyPrice));
        assert_eq!(check_prices(10, Some(0)), Err(CatalogError::BadSellPrice));
    }
}
