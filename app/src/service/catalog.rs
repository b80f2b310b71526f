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
use crate::api::catalog::{
    CardType, CardTypeOnOffer, Catalog, Fragment, Listing, Rarity, RecipeLine, Tier,
};
use crate::domain::DailyStock;
use crate::domain::catalog::{
    check_card_terms, check_code, check_name, check_prices, check_recipe, check_tier,
};
use crate::error::AppError;

/// The catalogue of `merchant`; inactive entries only when `everything` (its own staff).
pub async fn read(
    db: &Db,
    merchant: &str,
    everything: bool,
    now: DateTime<Utc>,
) -> Result<Catalog, AppError> {
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
        fragments: rows.fragments.iter().map(fragment).collect(),
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
pub async fn save_fragment(db: &Db, merchant: &str, fragment: &Fragment) -> Result<(), AppError> {
    check_code("code", &fragment.code)?;
    check_name("name", &fragment.name)?;
    let row = FragmentRow {
        code: fragment.code.clone(),
        name: fragment.name.trim().to_owned(),
        rarity: fragment.rarity.as_str().to_owned(),
    };
    Ok(db::catalog::upsert_fragment(db, merchant, &row).await?)
}

/// Adds or changes a card type and its daily cap, keeping what was taken today. Cards already
/// issued keep the value they were issued with.
pub async fn save_card_type(
    db: &Db,
    merchant: &str,
    card_type: CardType,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<CardTypeOnOffer, AppError> {
    check_code("code", &card_type.code)?;
    check_name("name", &card_type.name)?;
    check_name("benefit_description", &card_type.benefit_description)?;
    let recipe: Vec<(String, u32)> = card_type
        .recipe
        .iter()
        .map(|line| (line.fragment.clone(), line.count))
        .collect();
    check_recipe(&recipe, &known_fragments(db, merchant).await?)?;
    check_card_terms(
        card_type.validity_days,
        card_type.benefit,
        card_type.daily_cap,
    )?;
    let row = CardTypeRow {
        code: card_type.code.clone(),
        name: card_type.name.trim().to_owned(),
        recipe: card_type
            .recipe
            .iter()
            .map(|line| RecipeItem {
                fragment: line.fragment.clone(),
                count: i64::from(line.count),
            })
            .collect(),
        benefit: BenefitRow {
            kind: "DEDUCT".into(),
            amount: card_type.benefit.amount(),
            description: card_type.benefit_description.trim().to_owned(),
        },
        validity_days: i64::from(card_type.validity_days),
        cost_basis: card_type.cost_basis.amount(),
        active: card_type.active,
    };
    save_with_cap(db, merchant, &row, card_type.daily_cap, clock).await
}

/// Sets the daily cap of an existing card type.
pub async fn set_daily_cap(
    db: &Db,
    merchant: &str,
    code: &str,
    daily_cap: u32,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<CardTypeOnOffer, AppError> {
    let row = db::catalog::card_type(db, merchant, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("card type {code}")))?;
    check_card_terms(
        count(row.validity_days)?,
        money(row.benefit.amount)?,
        daily_cap,
    )?;
    save_with_cap(db, merchant, &row, daily_cap, clock).await
}

/// Adds or changes a recharge tier.
pub async fn save_tier(db: &Db, merchant: &str, tier: &Tier) -> Result<(), AppError> {
    check_code("code", &tier.code)?;
    check_name("label", &tier.label)?;
    check_tier(tier.pay, tier.bonus)?;
    let row = TierRow {
        code: tier.code.clone(),
        label: tier.label.trim().to_owned(),
        pay: tier.pay.amount(),
        bonus: tier.bonus.amount(),
        active: tier.active,
    };
    Ok(db::catalog::upsert_recharge_tier(db, merchant, &row).await?)
}

/// Lists, reprices or withdraws one of the merchant's fragments on the market.
pub async fn save_listing(db: &Db, merchant: &str, listing: &Listing) -> Result<(), AppError> {
    check_code("fragment", &listing.fragment)?;
    if !known_fragments(db, merchant)
        .await?
        .contains(&listing.fragment)
    {
        return Err(AppError::NotFound(format!("fragment {}", listing.fragment)));
    }
    check_prices(listing.buy_price, listing.sell_price)?;
    let row = ListingRow {
        fragment: listing.fragment.clone(),
        buy_price: i64::from(listing.buy_price),
        sell_price: listing.sell_price.map(i64::from),
        active: listing.active,
    };
    Ok(db::catalog::upsert_listing(db, merchant, &row).await?)
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
    Ok(CardTypeOnOffer {
        card_type: card_type(row, daily_cap)?,
        left_today: next.current_stock,
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
    })
}

fn card_type(row: &CardTypeRow, daily_cap: u32) -> Result<CardType, AppError> {
    Ok(CardType {
        code: row.code.clone(),
        name: row.name.clone(),
        recipe: row
            .recipe
            .iter()
            .map(|item| {
                Ok(RecipeLine {
                    fragment: item.fragment.clone(),
                    count: count(item.count)?,
                })
            })
            .collect::<Result<_, AppError>>()?,
        benefit: money(row.benefit.amount)?,
        benefit_description: row.benefit.description.clone(),
        validity_days: count(row.validity_days)?,
        cost_basis: money(row.cost_basis)?,
        daily_cap,
        active: row.active,
    })
}

fn fragment(row: &FragmentRow) -> Fragment {
    Fragment {
        code: row.code.clone(),
        name: row.name.clone(),
        rarity: Rarity::parse(&row.rarity).unwrap_or(Rarity::Common),
    }
}

fn tier(row: &TierRow) -> Result<Tier, AppError> {
    Ok(Tier {
        code: row.code.clone(),
        label: row.label.clone(),
        pay: money(row.pay)?,
        bonus: money(row.bonus)?,
        active: row.active,
    })
}

fn listing(row: &ListingRow) -> Result<Listing, AppError> {
    Ok(Listing {
        fragment: row.fragment.clone(),
        buy_price: count(row.buy_price)?,
        sell_price: row.sell_price.map(count).transpose()?,
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
