//! Reading and editing a merchant's catalogue. Every save is checked by the pure rules in
//! `domain::catalog` first; a card type's stock is changed only from what was read (retried
//! when a synthesize got there first).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use db::Db;
use db::assets::{ListingRow, StockRow};
use db::catalog::{BenefitRow, CardTypeRow, FragmentRow, RecipeItem, StockOf, TierRow};

use super::wallet::money;
use super::{local_day, merchant_today, merchant_zone, with_retries};
use crate::domain::DailyStock;
use crate::domain::catalog::{check_card_terms, check_prices, check_recipe, check_tier};
use crate::domain::checked::{CheckedText, Count};
use crate::error::AppError;
use crate::model::catalog::{
    CardType, CardTypeOnOffer, Catalog, Fragment, Listing, Rarity, RecipeLine, Tier,
};
use crate::service::shop_cache::ShopCache;
use crate::state::AppState;
use futures::TryFutureExt;

/// The shops' catalogues as stored, without their stocks.
pub type Catalogs = ShopCache<db::catalog::Catalog>;

/// The catalogue of `merchant` as stored, its stocks read now and the rest from memory when
/// kept: what a decision reads for every trigger. What a decision takes from a kept
/// catalogue (names, cost bases) may be moments old; a card's stock is always current, and
/// the decision's transaction checks it again.
pub async fn of_shop(state: &AppState, merchant: &str) -> Result<db::catalog::Catalog, AppError> {
    let (kept, stocks) = tokio::try_join!(
        kept(state, merchant),
        db::catalog::stocks(&state.db, merchant).err_into(),
    )?;
    Ok(with_stocks(&kept, stocks))
}

/// The catalogue of `merchant` without its stocks, from memory when kept.
pub async fn kept(
    state: &AppState,
    merchant: &str,
) -> Result<std::sync::Arc<db::catalog::Catalog>, AppError> {
    state
        .catalogs
        .get(merchant, || async {
            let mut catalog = db::catalog::of_merchant(&state.db, merchant).await?;
            catalog.stocks.clear();
            Ok(catalog)
        })
        .await
}

/// A kept catalogue with its stocks as read now.
pub fn with_stocks(kept: &db::catalog::Catalog, stocks: Vec<StockOf>) -> db::catalog::Catalog {
    db::catalog::Catalog {
        stocks,
        ..kept.clone()
    }
}

/// The catalogue of `merchant`; inactive entries only when `everything` (its own staff).
pub async fn read(
    state: &AppState,
    merchant: &str,
    everything: bool,
    now: DateTime<Utc>,
) -> Result<Catalog, AppError> {
    let db = &state.db;
    let today = merchant_today(db, merchant, now).await?;
    let rows = db::catalog::of_merchant(db, merchant).await?;
    let card_types = rows
        .card_types
        .iter()
        .filter(|row| everything || row.active)
        .map(|row| {
            let stock = rows.stocks.iter().find(|s| s.card_type == row.code);
            on_offer(row, stock, today)
        })
        .collect::<Result<_, _>>()?;
    Ok(Catalog {
        merchant_id: merchant.to_owned(),
        fragments: rows
            .fragments
            .iter()
            .map(fragment)
            .collect::<Result<_, _>>()?,
        card_types,
        tiers: rows
            .tiers
            .iter()
            .filter(|row| everything || row.active)
            .map(tier)
            .collect::<Result<_, _>>()?,
        listings: rows
            .listings
            .iter()
            .filter(|row| everything || row.active)
            .map(listing)
            .collect::<Result<_, _>>()?,
    })
}

/// Adds or renames a fragment.
pub async fn save_fragment(
    state: &AppState,
    merchant: &str,
    fragment: &Fragment,
) -> Result<(), AppError> {
    let db = &state.db;
    let row = FragmentRow {
        code: fragment.code.to_string(),
        name: fragment.name.trim().to_owned(),
        rarity: fragment.rarity.as_str().to_owned(),
    };
    db::catalog::upsert_fragment(db, merchant, &row).await?;
    state.catalogs.empty();
    Ok(())
}

/// Adds or changes a card type and its daily cap, keeping what was taken today. Cards already
/// issued keep the value they were issued with.
pub async fn save_card_type(
    state: &AppState,
    merchant: &str,
    card_type: CardType,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<CardTypeOnOffer, AppError> {
    let db = &state.db;
    let recipe: Vec<(String, u32)> = card_type
        .recipe
        .iter()
        .map(|line| (line.fragment.to_string(), line.count.get()))
        .collect();
    check_recipe(&recipe, &known_fragments(db, merchant).await?)?;
    check_card_terms(
        card_type.validity_days.get(),
        *card_type.benefit,
        card_type.daily_cap.get(),
    )?;
    let row = CardTypeRow {
        code: card_type.code.to_string(),
        name: card_type.name.trim().to_owned(),
        recipe: card_type
            .recipe
            .iter()
            .map(|line| RecipeItem {
                fragment: line.fragment.to_string(),
                count: i64::from(line.count.get()),
            })
            .collect(),
        benefit: BenefitRow {
            kind: "DEDUCT".into(),
            amount: card_type.benefit.amount(),
            description: card_type.benefit_description.trim().to_owned(),
        },
        validity_days: i64::from(card_type.validity_days.get()),
        cost_basis: card_type.cost_basis.amount(),
        active: card_type.active,
        art: None,
    };
    let saved = save_with_cap(db, merchant, &row, card_type.daily_cap.get(), clock).await?;
    state.catalogs.empty();
    Ok(saved)
}

/// Sets the daily cap of an existing card type.
pub async fn set_daily_cap(
    state: &AppState,
    merchant: &str,
    code: &str,
    daily_cap: u32,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<CardTypeOnOffer, AppError> {
    let db = &state.db;
    let row = db::catalog::card_type(db, merchant, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("card type {code}")))?;
    check_card_terms(
        count(row.validity_days)?,
        money(row.benefit.amount)?,
        daily_cap,
    )?;
    let saved = save_with_cap(db, merchant, &row, daily_cap, clock).await?;
    state.catalogs.empty();
    Ok(saved)
}

/// Adds or changes a recharge tier.
pub async fn save_tier(state: &AppState, merchant: &str, tier: &Tier) -> Result<(), AppError> {
    let db = &state.db;
    check_tier(*tier.pay, tier.bonus)?;
    let row = TierRow {
        code: tier.code.to_string(),
        label: tier.label.trim().to_owned(),
        pay: tier.pay.amount(),
        bonus: tier.bonus.amount(),
        active: tier.active,
    };
    db::catalog::upsert_recharge_tier(db, merchant, &row).await?;
    state.catalogs.empty();
    Ok(())
}

/// Lists, reprices or withdraws one of the merchant's fragments on the market.
pub async fn save_listing(
    state: &AppState,
    merchant: &str,
    listing: &Listing,
) -> Result<(), AppError> {
    let db = &state.db;
    if !known_fragments(db, merchant)
        .await?
        .contains(listing.fragment.as_str())
    {
        return Err(AppError::NotFound(format!("fragment {}", listing.fragment)));
    }
    let sell_price = listing.sell_price.map(Count::get);
    check_prices(listing.buy_price.get(), sell_price)?;
    let row = ListingRow {
        fragment: listing.fragment.to_string(),
        buy_price: i64::from(listing.buy_price.get()),
        sell_price: sell_price.map(i64::from),
        active: listing.active,
    };
    db::catalog::upsert_listing(db, merchant, &row).await?;
    state.catalogs.empty();
    Ok(())
}

/// Saves the card type with its stock moved to `daily_cap` from what was read. The day is
/// read from `clock` at each attempt and never moves the stored day back
/// (`DailyStock::with_cap`).
async fn save_with_cap(
    db: &Db,
    merchant: &str,
    row: &CardTypeRow,
    daily_cap: u32,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<CardTypeOnOffer, AppError> {
    let zone = merchant_zone(db, merchant).await?;
    let next = with_retries(|| async {
        let today = local_day(zone, clock());
        let seen = db::assets::stock(db, merchant, &row.code).await?;
        let next = match &seen {
            Some(seen) => stock(seen)?.with_cap(daily_cap, today),
            None => DailyStock {
                daily_cap,
                current_stock: daily_cap,
                reset_day: today,
            },
        };
        db::catalog::save_card_type(db, merchant, row, seen.as_ref(), &stock_row(&next)).await?;
        Ok(next)
    })
    .await?;
    // Its art is the Artist's, kept by the save: read back to say what it shows.
    let art = db::catalog::card_type(db, merchant, &row.code)
        .await?
        .and_then(|stored| stored.art);
    Ok(CardTypeOnOffer {
        card_type: card_type(row, daily_cap)?,
        left_today: next.current_stock,
        art: art_url(art.as_deref()),
    })
}

async fn known_fragments(db: &Db, merchant: &str) -> Result<BTreeSet<String>, AppError> {
    Ok(db::catalog::fragments(db, merchant)
        .await?
        .into_iter()
        .map(|fragment| fragment.code)
        .collect())
}

fn on_offer(
    row: &CardTypeRow,
    stored: Option<&StockOf>,
    today: NaiveDate,
) -> Result<CardTypeOnOffer, AppError> {
    let stock = match stored {
        Some(of) => self::stock(&of.stock)?,
        None => DailyStock {
            daily_cap: 0,
            current_stock: 0,
            reset_day: today,
        },
    };
    Ok(CardTypeOnOffer {
        card_type: card_type(row, stock.daily_cap)?,
        left_today: stock.available(today),
        art: art_url(row.art.as_deref()),
    })
}

/// Where a card type's art is served (its thumbnail), if it has art.
pub fn art_url(hash: Option<&str>) -> Option<String> {
    hash.map(|hash| crate::domain::artwork::Variant::Thumbnail.url(hash))
}

fn card_type(row: &CardTypeRow, daily_cap: u32) -> Result<CardType, AppError> {
    Ok(CardType {
        code: stored(&row.code)?,
        name: stored(&row.name)?,
        recipe: row
            .recipe
            .iter()
            .map(|item| {
                Ok(RecipeLine {
                    fragment: stored(&item.fragment)?,
                    count: stored_count(item.count)?,
                })
            })
            .collect::<Result<_, AppError>>()?,
        benefit: amount(row.benefit.amount)?,
        benefit_description: stored(&row.benefit.description)?,
        validity_days: stored_count(row.validity_days)?,
        cost_basis: money(row.cost_basis)?,
        daily_cap: stored_count(i64::from(daily_cap))?,
        active: row.active,
    })
}

fn fragment(row: &FragmentRow) -> Result<Fragment, AppError> {
    Ok(Fragment {
        code: stored(&row.code)?,
        name: stored(&row.name)?,
        rarity: Rarity::parse(&row.rarity).unwrap_or(Rarity::Common),
    })
}

fn tier(row: &TierRow) -> Result<Tier, AppError> {
    Ok(Tier {
        code: stored(&row.code)?,
        label: stored(&row.label)?,
        pay: amount(row.pay)?,
        bonus: money(row.bonus)?,
        active: row.active,
    })
}

fn listing(row: &ListingRow) -> Result<Listing, AppError> {
    Ok(Listing {
        fragment: stored(&row.fragment)?,
        buy_price: stored_count(row.buy_price)?,
        sell_price: row.sell_price.map(stored_count).transpose()?,
        active: row.active,
    })
}

/// The stock as the pure rules see it (its day a date, not text).
pub(crate) fn stock(row: &StockRow) -> Result<DailyStock, AppError> {
    Ok(DailyStock {
        daily_cap: count(row.daily_cap)?,
        current_stock: count(row.current_stock)?,
        reset_day: row
            .reset_day
            .parse()
            .map_err(|_| AppError::Internal(format!("stored stock day {}", row.reset_day)))?,
    })
}

/// The stock as stored (its day `YYYY-MM-DD`).
pub(crate) fn stock_row(stock: &DailyStock) -> StockRow {
    StockRow {
        daily_cap: i64::from(stock.daily_cap),
        current_stock: i64::from(stock.current_stock),
        reset_day: stock.reset_day.format("%Y-%m-%d").to_string(),
    }
}

/// Stored counts are non-negative by the schema; anything else is corruption, not input.
fn count(value: i64) -> Result<u32, AppError> {
    u32::try_from(value).map_err(|_| AppError::Internal(format!("stored count {value}")))
}

/// A stored amount that was more than zero on the way in.
fn amount(value: rust_decimal::Decimal) -> Result<crate::domain::Amount, AppError> {
    crate::domain::Amount::new(money(value)?)
        .map_err(|_| AppError::Internal(format!("stored amount {value}")))
}

/// A stored count read back as the type it was checked as on the way in.
fn stored_count<const MIN: u32, const MAX: u32>(value: i64) -> Result<Count<MIN, MAX>, AppError> {
    Count::new(count(value)?).map_err(|_| AppError::Internal(format!("stored count {value}")))
}

/// A stored code or name read back as the type it was checked as on the way in.
fn stored<T: CheckedText>(text: &str) -> Result<T, AppError> {
    T::parse(text).map_err(|_| AppError::Internal(format!("stored value {text:?}")))
}
