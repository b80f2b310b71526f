//! The shop's numbers (issue 18): each shop-local day's figures rolled up from its ledger
//! entries ([`fold`]) and stored (`figures_day`), kept current by the figures worker
//! ([`refresh`]) and read whole by the dashboard ([`dashboard`]) — a view reads a month of
//! rows, never the ledger.
//!
//! A day is computed again, whole, while it can still change; once it has ended and
//! [`GRACE`] has passed (no transaction of it is still committing) it is closed and never
//! read again. What the shop owes is carried from day to day: a day's closing liability is
//! the one before it plus what its entries moved.

pub mod fold;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use self::fold::DayLedger;
use super::{local_day, merchant_clock, merchant_zone, midnight};
use crate::error::AppError;
use crate::model::figures::{BudgetUse, Dashboard, DayFigures, Liability};
use crate::model::realtime::Event;
use crate::state::AppState;

/// How long after a day ends it may still change (a transaction that began before midnight
/// commits after it); then it is closed.
pub const GRACE: Duration = Duration::minutes(2);

/// The days a dashboard shows.
pub const DASHBOARD_DAYS: u32 = 30;

/// When the shop-local `day` begins and ends, in UTC.
pub fn bounds(
    zone: chrono_tz::Tz,
    day: NaiveDate,
) -> Result<(DateTime<Utc>, DateTime<Utc>), AppError> {
    let next = day
        .succ_opt()
        .ok_or_else(|| AppError::Internal(format!("no day after {day}")))?;
    Ok((midnight(zone, day)?, midnight(zone, next)?))
}

fn parse(row: &db::figures::DayRow) -> Result<DayFigures, AppError> {
    serde_json::from_value(row.figures.clone())
        .map_err(|e| AppError::Internal(format!("the figures of {} do not read: {e}", row.day)))
}

/// What the shop owed at the end of the last day stored before `day`.
async fn opening(state: &AppState, merchant: &str, day: NaiveDate) -> Result<Liability, AppError> {
    let before = db::figures::before(&state.db, merchant, &day.to_string(), false).await?;
    Ok(match before {
        Some(row) => parse(&row)?.liability,
        None => Liability::default(),
    })
}

/// Computes `day`'s figures from its ledger entries and stores them (`closed` when it can
/// no longer change) if they moved — with the news of them for the shop's staff when `tell`.
/// Returns them.
async fn roll(
    state: &AppState,
    merchant: &str,
    zone: chrono_tz::Tz,
    day: NaiveDate,
    closed: bool,
    tell: bool,
) -> Result<DayFigures, AppError> {
    let db = &state.db;
    let key = day.to_string();
    let (from, to) = bounds(zone, day)?;
    let (opening, stored, entries, tokens) = tokio::try_join!(
        opening(state, merchant, day),
        async { Ok::<_, AppError>(db::figures::days(db, merchant, &key, &key).await?) },
        async { Ok::<_, AppError>(db::figures::entries(db, merchant, from, to).await?) },
        async { Ok::<_, AppError>(db::figures::tokens(db, merchant, from, to).await?) },
    )?;
    let redeemed: Vec<String> = entries
        .iter()
        .filter(|entry| entry.kind == db::ledger::LedgerType::Redeem)
        .filter_map(|entry| entry.reference.as_deref()?.strip_prefix("card:"))
        .map(str::to_owned)
        .collect();
    let card_types = db::figures::card_types(db, redeemed).await?;
    let ledger = DayLedger {
        day,
        entries: &entries,
        card_types: &card_types,
        tokens: u64::try_from(tokens).unwrap_or(0),
    };
    let figures = fold::figures(&ledger, opening).map_err(|e| AppError::Internal(e.to_string()))?;
    let unchanged = match stored.first() {
        Some(row) => row.closed == closed && parse(row)? == figures,
        None => false,
    };
    if unchanged {
        return Ok(figures);
    }
    let json = serde_json::to_value(&figures)
        .map_err(|e| AppError::Internal(format!("cannot serialise figures: {e}")))?;
    let news = if tell {
        vec![
            Event::FiguresUpdated {
                merchant_id: merchant.to_owned(),
                figures: figures.clone(),
            }
            .publication()?,
        ]
    } else {
        Vec::new()
    };
    db::figures::store(db, merchant, &key, json, closed, &news).await?;
    Ok(figures)
}

/// Brings the shop's figures up to `now`: every day with entries since the last closed one
/// is computed (and closed once over), then today, whose staff hear of it when it moved
/// (`FIGURES_UPDATED`). Returns today's figures.
pub async fn refresh(
    state: &AppState,
    merchant: &str,
    now: DateTime<Utc>,
) -> Result<DayFigures, AppError> {
    let db = &state.db;
    let zone = merchant_zone(db, merchant).await?;
    let today = local_day(zone, now);
    let last_closed = db::figures::before(db, merchant, &today.to_string(), true).await?;
    let mut from = match &last_closed {
        Some(row) => {
            let day: NaiveDate = row.day.parse().map_err(|e| {
                AppError::Internal(format!("a stored day {} does not read: {e}", row.day))
            })?;
            bounds(zone, day)?.1
        }
        None => DateTime::<Utc>::UNIX_EPOCH,
    };
    // The days with entries before today, in order (days without any have no row).
    while let Some(at) = db::figures::next_entry_at(db, merchant, from).await? {
        let day = local_day(zone, at);
        if day >= today {
            break;
        }
        let end = bounds(zone, day)?.1;
        roll(state, merchant, zone, day, end + GRACE <= now, false).await?;
        from = end;
    }
    roll(state, merchant, zone, today, false, true).await
}

/// The dashboard of the shop at `now`: its last [`DASHBOARD_DAYS`] days (a day without
/// entries is all zeros, owing what the day before owed) and today's campaign budgets.
pub async fn dashboard(
    state: &AppState,
    merchant: &str,
    now: DateTime<Utc>,
) -> Result<Dashboard, AppError> {
    let db = &state.db;
    let clock = merchant_clock(state, merchant, now).await?;
    let zone = merchant_zone(db, merchant).await?;
    let today = local_day(zone, now);
    let first = today - Duration::days(i64::from(DASHBOARD_DAYS) - 1);
    let (rows, opening, budgets) = tokio::try_join!(
        async {
            Ok::<_, AppError>(
                db::figures::days(db, merchant, &first.to_string(), &today.to_string()).await?,
            )
        },
        opening(state, merchant, first),
        budgets(state, merchant, today),
    )?;
    let mut stored: BTreeMap<NaiveDate, DayFigures> = BTreeMap::new();
    for row in &rows {
        let figures = parse(row)?;
        stored.insert(figures.day, figures);
    }
    let mut owed = opening;
    let days = first
        .iter_days()
        .take_while(|day| *day <= today)
        .map(|day| {
            let figures = stored.remove(&day).unwrap_or(DayFigures {
                day,
                liability: owed,
                ..DayFigures::default()
            });
            owed = figures.liability;
            figures
        })
        .collect();
    Ok(Dashboard {
        days,
        budgets,
        at: now,
        utc_offset: clock.utc_offset,
    })
}

/// Today's spend of each active campaign that has a budget, against its cap.
async fn budgets(
    state: &AppState,
    merchant: &str,
    today: NaiveDate,
) -> Result<Vec<BudgetUse>, AppError> {
    let active = super::rules::cache::active(state, merchant).await?;
    let mut specs = Vec::new();
    for row in active.iter() {
        match serde_json::from_value::<crate::domain::rules::CampaignSpec>(row.spec.clone()) {
            Ok(spec) if !spec.daily_budget_cap.is_zero() => specs.push((row, spec)),
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(campaign = %row.code, error = %err, "a campaign does not read")
            }
        }
    }
    let codes: Vec<String> = specs.iter().map(|(row, _)| row.code.clone()).collect();
    let usage = db::rules::usage(&state.db, merchant, &codes, None, &today.to_string()).await?;
    Ok(specs
        .into_iter()
        .zip(usage)
        .map(|((row, spec), used)| BudgetUse {
            campaign: row.code.clone(),
            name: row.name.clone(),
            used: crate::domain::Money::round_half_up(used.used_today),
            cap: spec.daily_budget_cap,
            granted: u32::try_from(used.granted_today).unwrap_or(0),
        })
        .collect())
}
