//! The counter's feed: today's news at a shop, as it starts before it goes live.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::error::AppError;
use crate::model::realtime::{Frame, Recipient, TodayAtShop};
use crate::state::AppState;

/// Today's events at `merchant` (its local day, the latest `lines`) that `viewer` may hear,
/// oldest first, and the shop's offset from UTC to show their times on its clock.
pub async fn today_at(
    state: &AppState,
    merchant: &str,
    viewer: &Principal,
    now: DateTime<Utc>,
    lines: u32,
) -> Result<TodayAtShop, AppError> {
    let db = &state.db;
    let clock = super::merchant_clock(state, merchant, now).await?;
    let shop = Recipient::Merchant(merchant.to_owned()).key();
    let stored = db::events::since(db, &shop, clock.day_start, lines).await?;
    let mut frames = Vec::with_capacity(stored.len());
    for event in &stored {
        let frame = Frame::from_stored(event)?;
        if frame.event.heard_by(viewer) {
            frames.push(frame);
        }
    }
    Ok(TodayAtShop {
        frames,
        utc_offset: clock.utc_offset,
    })
}

/// The `seq` of the last event numbered for `recipient` (0: none yet). A page rendered after
/// reading it subscribes after it, so whatever is numbered while it loads still reaches it.
pub async fn last_seq(state: &AppState, recipient: &Recipient) -> Result<u64, AppError> {
    let span = db::events::span(&state.db, &recipient.key()).await?;
    Ok(u64::try_from(span.last).unwrap_or_default())
}
