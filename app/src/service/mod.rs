//! The service layer: each product operation once, called by server functions, WebSocket
//! handlers and workers alike. Reads through `db`, decides with `domain`, writes through
//! `db` in one transaction, retrying when a concurrent change got there first.

pub mod agent;
pub mod artist;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod callbacks;
pub mod catalog;
pub mod copilot;
pub mod demo;
pub mod diners;
pub mod feed;
pub mod figures;
pub mod in_flight;
pub mod ledger;
mod locks;
pub mod memory;
pub mod models;
pub mod online;
pub mod payment;
mod retry;
pub mod rules;
pub mod settings;
pub mod shop_cache;
pub mod shops;
pub mod staff;
pub mod steps;
pub mod strategist;
pub mod system;
pub mod wallet;
pub mod weather;

pub use retry::with_retries;

use chrono::{DateTime, NaiveDate, Utc};
use db::Db;
use db::Outcome;
use db::idempotency::{Answer, Request};
use serde::Serialize;

use crate::domain::events::DomainEvent;
use crate::error::AppError;
use crate::model::realtime::Event;
use crate::state::AppState;

/// What the transaction of a request made with an Idempotency-Key stores beside its effect:
/// the reply it is about to give (200 and its JSON). `None` for calls without a key
/// (workers, tests).
pub(crate) fn answer_to<T: Serialize>(
    once: Option<&Request>,
    reply: &T,
) -> Result<Option<Answer>, AppError> {
    once.map(|request| {
        serde_json::to_string(reply)
            .map(|body| request.answer(200, body))
            .map_err(|e| AppError::Internal(format!("cannot serialise a reply: {e}")))
    })
    .transpose()
}

/// What a change's transaction writes beside its effect: the reply for its Idempotency-Key
/// (`answer_to`), the news of what happened for everyone concerned (its frame, numbered
/// later by the sequencer) and the rule engine's trigger, if the fact makes one and
/// something at the shop may answer it ([`rules::heard`]).
pub(crate) async fn outcome<T: Serialize>(
    state: &AppState,
    once: Option<&Request>,
    reply: &T,
    fact: Option<&DomainEvent>,
) -> Result<Outcome, AppError> {
    let made = fact
        .and_then(|fact| rules::trigger_of(fact, chrono::Utc::now()))
        .into_iter()
        .collect();
    let triggers = rules::heard(state, made).await?;
    Ok(Outcome {
        answer: answer_to(once, reply)?,
        events: fact
            .map(|fact| Event::from(fact).publication())
            .transpose()?
            .into_iter()
            .collect(),
        triggers,
    })
}

/// The merchant a request names must exist (a typo should not silently create a wallet).
pub async fn known_merchant(state: &AppState, merchant: &str) -> Result<(), AppError> {
    let db = &state.db;
    merchant_zone(db, merchant).await.map(|_| ())
}

/// The merchant's local calendar day at `now` (daily stock resets at local midnight).
pub(crate) async fn merchant_today(
    db: &Db,
    merchant: &str,
    now: DateTime<Utc>,
) -> Result<NaiveDate, AppError> {
    let zone = merchant_zone(db, merchant).await?;
    Ok(local_day(zone, now))
}

/// The calendar day in `zone` at `now`.
pub(crate) fn local_day(zone: chrono_tz::Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// The merchant's clock at `now`: when its local day began, and its offset from UTC.
pub struct ShopClock {
    pub day_start: DateTime<Utc>,
    /// Seconds east of UTC: pages show the shop's clock, the same on the server and in the
    /// browser.
    pub utc_offset: i32,
}

/// The merchant's [`ShopClock`] at `now` (one read of its time zone).
pub async fn merchant_clock(
    state: &AppState,
    merchant: &str,
    now: DateTime<Utc>,
) -> Result<ShopClock, AppError> {
    use chrono::Offset;
    let zone = merchant_zone(&state.db, merchant).await?;
    let local = now.with_timezone(&zone);
    Ok(ShopClock {
        day_start: midnight(zone, local.date_naive())?,
        utc_offset: local.offset().fix().local_minus_utc(),
    })
}

/// When `day` begins in `zone`, in UTC (its first moment, where a clock change skips
/// midnight).
pub fn midnight(zone: chrono_tz::Tz, day: NaiveDate) -> Result<DateTime<Utc>, AppError> {
    use chrono::TimeZone;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    zone.from_local_datetime(&midnight)
        .earliest()
        .map(|start| start.with_timezone(&Utc))
        .ok_or_else(|| AppError::Internal(format!("no midnight in {zone} on {midnight}")))
}

pub(crate) async fn merchant_zone(db: &Db, merchant: &str) -> Result<chrono_tz::Tz, AppError> {
    let zone = db::merchant::timezone(db, merchant)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("merchant {merchant}")))?;
    zone.parse()
        .map_err(|_| AppError::Internal(format!("merchant {merchant} has time zone {zone}")))
}
