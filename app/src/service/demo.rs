//! The demo diner's cards, made by the product's own operations: 小明 is rewarded the
//! fragments for them (REWARD) and synthesizes each card (SYNTHESIZE), so his wallet,
//! fragments and cards equal the sum of his ledger like anyone's, and his statement shows
//! where every card came from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::seed::{DEMO_CARD_HOLDER, DEMO_CARD_TYPE, DEMO_CARDS, DEMO_MERCHANT_ID};
use rust_decimal::Decimal;

use super::{assets, with_retries};
use crate::error::AppError;
use crate::state::AppState;

/// Gives the demo card holder `DEMO_CARDS` cards, once: on every later start (or once the
/// diner has a history of their own) it does nothing. Run after `db::seed::demo_data`.
#[tracing::instrument(skip_all)]
pub async fn seed_demo_cards(state: &AppState, now: DateTime<Utc>) -> Result<(), AppError> {
    let db = &state.db;
    let (merchant, uid) = (DEMO_MERCHANT_ID, DEMO_CARD_HOLDER);
    let kind = db::catalog::card_type(db, merchant, DEMO_CARD_TYPE)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("card type {DEMO_CARD_TYPE}")))?;
    let cards = i64::try_from(DEMO_CARDS)
        .map_err(|_| AppError::Internal(format!("{DEMO_CARDS} demo cards")))?;
    let mut fragments = BTreeMap::<String, i64>::new();
    for item in &kind.recipe {
        *fragments.entry(item.fragment.clone()).or_default() += item.count * cards;
    }
    let rewarded = with_retries(|| async {
        let entry = NewLedgerEntry::new(
            LedgerType::Reward,
            Decimal::ZERO,
            merchant,
            uid,
            AssetsChange {
                fragments: Some(fragments.clone()),
                ..AssetsChange::default()
            },
        )
        .referencing("seed:demo");
        match db::seed::reward_new_demo_diner(db, merchant, uid, &fragments, &entry).await {
            Ok(()) => Ok(true),
            Err(err) if err.rejection() == Some(&db::Rejection::AlreadySeeded) => Ok(false),
            Err(err) => Err(err.into()),
        }
    })
    .await?;
    if rewarded {
        for _ in 0..DEMO_CARDS {
            assets::synthesize(state, merchant, uid, DEMO_CARD_TYPE, || now, None).await?;
        }
    }
    Ok(())
}
