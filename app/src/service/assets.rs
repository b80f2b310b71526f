//! Market trades and synthesis of cards from fragments.

use chrono::{DateTime, Duration, Utc};
use db::assets::{Synthesis, Trade};
use db::card::CardValue;
use db::idempotency::Request;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use rust_decimal::Decimal;

use super::{catalog, local_day, locks, merchant_zone, outcome, with_retries};
use crate::domain::CardStatus;
use crate::domain::events::{DomainEvent, Party};
use crate::domain::market::{self, MarketError};
use crate::error::AppError;
use crate::model::assets::{AssetSummary, MyCard, SynthesisReceipt, TradeReceipt, TradeSide};
use crate::state::AppState;

/// Trades `quantity` of `fragment` at the merchant's listed price.
#[tracing::instrument(skip(state))]
pub async fn trade(
    state: &AppState,
    merchant: &str,
    uid: &str,
    fragment: &str,
    side: TradeSide,
    quantity: u32,
    once: Option<Request>,
) -> Result<TradeReceipt, AppError> {
    let db = &state.db;
    let listing = db::assets::listing(db, merchant, fragment)
        .await?
        .filter(|listing| listing.active)
        .ok_or_else(|| AppError::NotFound(format!("market listing {fragment}")))?;
    let unit = match side {
        TradeSide::Buy => Some(listing.buy_price),
        TradeSide::Sell => listing.sell_price,
    }
    .ok_or(AppError::Market(MarketError::NotBoughtBack))?;
    let unit = u32::try_from(unit).map_err(|_| AppError::Internal(format!("price {unit}")))?;
    let silver = market::total_price(unit, quantity)?;
    let silver_i64 =
        i64::try_from(silver).map_err(|_| AppError::Invalid("trade too large".into()))?;
    let count = i64::from(quantity);
    let (fragment_delta, silver_delta, kind) = match side {
        TradeSide::Buy => (count, -silver_i64, LedgerType::MarketBuy),
        TradeSide::Sell => (-count, silver_i64, LedgerType::MarketSell),
    };
    let _queue = locks::hold(&format!("diner:{uid}")).await;
    with_retries(|| async {
        let entry = NewLedgerEntry::new(
            kind,
            Decimal::from(silver),
            merchant,
            uid,
            AssetsChange {
                silver: Some(silver_delta),
                fragments: Some(
                    [(fragment.to_owned(), fragment_delta)]
                        .into_iter()
                        .collect(),
                ),
                ..AssetsChange::default()
            },
        );
        let receipt = TradeReceipt {
            txn_id: entry.txn_id.clone(),
            fragment: fragment.to_owned(),
            quantity,
            silver,
            side,
        };
        let fact = DomainEvent::Traded {
            party: Party::new(merchant, uid, &entry.txn_id),
            fragment: fragment.to_owned(),
            side,
            quantity,
            silver,
        };
        let outcome = outcome(state, once.as_ref(), &receipt, Some(&fact)).await?;
        db::assets::trade(
            db,
            &Trade {
                merchant,
                uid,
                fragment,
                fragment_delta,
                silver_delta,
                entry: &entry,
                outcome: &outcome,
            },
        )
        .await
        .map_err(asset_error)?;
        Ok(receipt)
    })
    .await
}

/// Consumes the recipe's fragments and one unit of today's stock; creates an ACTIVE card
/// worth what its type offers now. `clock` is read at each attempt (the API passes
/// `Utc::now`; tests stamp requests): the day is the shop's day when the stock is taken,
/// not when the request arrived, and a day the stock has already passed counts against
/// the stored one (`DailyStock::take_one`).
#[tracing::instrument(skip(state, clock))]
pub async fn synthesize(
    state: &AppState,
    merchant: &str,
    uid: &str,
    card_type: &str,
    clock: impl Fn() -> DateTime<Utc>,
    once: Option<Request>,
) -> Result<SynthesisReceipt, AppError> {
    let db = &state.db;
    let kind = db::catalog::card_type(db, merchant, card_type)
        .await?
        .filter(|kind| kind.active)
        .ok_or_else(|| AppError::NotFound(format!("card type {card_type}")))?;
    let value = CardValue::from(&kind);
    let zone = merchant_zone(db, merchant).await?;
    let _queue = locks::hold(&format!("card_stock:{merchant}:{card_type}")).await;
    with_retries(|| async {
        let now = clock();
        let today = local_day(zone, now);
        let seen = db::assets::stock(db, merchant, card_type)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("stock of {card_type}")))?;
        let next = catalog::stock(&seen)?.take_one(today)?;
        let card_uuid = uuid::Uuid::new_v4().to_string();
        let expiry = now + Duration::days(kind.validity_days);
        let fragments = kind
            .recipe
            .iter()
            .map(|item| (item.fragment.clone(), -item.count))
            .collect();
        let entry = NewLedgerEntry::new(
            LedgerType::Synthesize,
            Decimal::ZERO,
            merchant,
            uid,
            AssetsChange {
                fragments: Some(fragments),
                cards: Some(
                    [(card_uuid.clone(), CardStatus::Active.as_str().to_owned())]
                        .into_iter()
                        .collect(),
                ),
                ..AssetsChange::default()
            },
        )
        .referencing(format!("card_type:{card_type}"));
        let receipt = SynthesisReceipt {
            txn_id: entry.txn_id.clone(),
            card_uuid: card_uuid.clone(),
            card_type: value.name.clone(),
            expiry,
            stock_day: next.reset_day,
            stock_left_today: next.current_stock,
        };
        let fact = DomainEvent::Synthesized {
            party: Party::new(merchant, uid, &entry.txn_id),
            card: card_uuid.clone(),
            card_type: card_type.to_owned(),
        };
        let outcome = outcome(state, once.as_ref(), &receipt, Some(&fact)).await?;
        db::assets::synthesize(
            db,
            &Synthesis {
                merchant,
                uid,
                card_type,
                recipe: &kind.recipe,
                stock_seen: &seen,
                stock_next: &catalog::stock_row(&next),
                card_uuid: &card_uuid,
                expiry,
                value: &value,
                entry: &entry,
                outcome: &outcome,
            },
        )
        .await
        .map_err(asset_error)?;
        Ok(receipt)
    })
    .await
}

/// What a diner holds at a merchant: silver, fragments and cards (newest first).
pub async fn held(state: &AppState, merchant: &str, uid: &str) -> Result<AssetSummary, AppError> {
    let db = &state.db;
    Ok(AssetSummary {
        silver: db::assets::silver(db, uid).await?,
        fragments: db::assets::holdings(db, merchant, uid).await?,
        cards: cards(state, merchant, uid).await?,
    })
}

/// A diner's cards at a merchant, newest first.
pub async fn cards(state: &AppState, merchant: &str, uid: &str) -> Result<Vec<MyCard>, AppError> {
    let (rows, catalog) = tokio::try_join!(
        async { Ok::<_, AppError>(db::card::for_diner(&state.db, merchant, uid).await?) },
        super::catalog::kept(state, merchant),
    )?;
    let art_of = |code: &str| {
        catalog
            .card_types
            .iter()
            .find(|kind| kind.code == code)
            .and_then(|kind| super::catalog::art_url(kind.art.as_deref()))
    };
    Ok(rows
        .into_iter()
        .map(|card| MyCard {
            art: art_of(&card.card_type),
            uuid: card.uuid,
            card_type: card.card_type,
            name: card.value.name,
            status: card.status,
            expiry: card.expiry,
        })
        .collect())
}

/// The guards of asset transactions are business refusals, not faults.
fn asset_error(err: db::DbError) -> AppError {
    match err.rejection() {
        Some(db::Rejection::InsufficientSilver) => AppError::InsufficientSilver,
        Some(db::Rejection::InsufficientFragments) => AppError::InsufficientFragments,
        _ => AppError::Database(err),
    }
}
