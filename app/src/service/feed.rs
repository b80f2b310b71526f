//! The counter's feed: today's news at a shop, as it starts before it goes live.

use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::model::realtime::{Frame, Recipient, TodayAtShop};
use crate::state::AppState;

/// Today's events at `merchant` (its local day, the latest `lines`), oldest first, and the
/// shop's offset from UTC to show their times on its clock.
pub async fn today_at(
    state: &AppState,
    merchant: &str,
    now: DateTime<Utc>,
    lines: u32,
) -> Result<TodayAtShop, AppError> {
    let db = &state.db;
    let clock = super::merchant_clock(state, merchant, now).await?;
    let shop = Recipient::Merchant(merchant.to_owned()).key();
    let stored = db::events::since(db, &shop, clock.day_start, lines).await?;
    Ok(TodayAtShop {
        frames: stored
            .iter()
            .map(Frame::from_stored)
            .collect::<Result<_, _>>()?,
        utc_offset: clock.utc_offset,
    })
}
