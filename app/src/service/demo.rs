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

/// The demo shop's walking campaign — 8,000 steps today are worth 60 silver, enough for a
/// 凉菜入席令's fragments at the market, once a day — so the demo diner page's steps panel
/// earns something. Created and put live once; a boss who pauses or ends it later is not
/// overruled.
#[tracing::instrument(skip_all)]
pub async fn seed_demo_campaign(state: &AppState) -> Result<(), AppError> {
    const CODE: &str = "WALK_8000";
    if db::rules::campaign(&state.db, DEMO_MERCHANT_ID, CODE)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let new = serde_json::from_value(serde_json::json!({
        "code": CODE,
        "spec": {
            "name": "日行八千",
            "triggers": ["STEPS_SYNCED"],
            "condition": {"check": "steps", "at_least": 8000},
            "priority": 10,
            "action": {
                "story": {
                    "title": "{nickname}，今天走了八千步",
                    "scenes": [{"text": "送你{rewards}，去集市换碎片，凑一张入席令", "mood": "SUNSHINE"}],
                    "cta": {"label": "去集市", "action": "OPEN_INVENTORY"}
                },
                "grants": {"silver": 60}
            },
            "daily_budget_cap": "50.00",
            "limits": {"per_diner_per_day": 1},
            "holdout_percent": 0
        }
    }))
    .map_err(|e| AppError::Internal(format!("the demo campaign: {e}")))?;
    match super::rules::create_campaign(state, DEMO_MERCHANT_ID, "demo-seed", new).await {
        Ok(_) => {}
        // Another process seeding at the same time made it, and puts it live.
        Err(AppError::Conflict(_)) => return Ok(()),
        Err(err) => return Err(err),
    }
    super::rules::set_status(
        state,
        DEMO_MERCHANT_ID,
        "demo-seed",
        CODE,
        crate::domain::rules::CampaignStatus::Active,
    )
    .await
    .map(|_| ())
}
