//! Numbers published events: the consumer of the work queue's `events` items. Each process
//! works its share of the queue's partitions (`crate::work`), so processes share the
//! numbering instead of all racing for the same rows; one transaction numbers a claimed
//! batch of events of many recipients together with the items' completion, so under load
//! a single transaction numbers the news of many changes.
//!
//! A recipient's events are numbered in the order the sequencer sees them, which is the
//! order their changes became visible, not exactly the order they committed. Two
//! sequencers numbering one recipient at once (a diner's news from two shops' partitions)
//! write its counter, so one conflicts and retries: numbers never repeat or skip.

use db::queue::{Claimed, Completion, Queue};

use crate::error::AppError;
use crate::state::AppState;
use crate::work::Consumer;

/// The consumer of the `events` queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequencer;

impl Consumer for Sequencer {
    fn queue(&self) -> Queue {
        db::queue::EVENTS
    }

    async fn work(
        &self,
        state: &AppState,
        done: &Completion,
        items: &[Claimed],
    ) -> Result<(), AppError> {
        let started = std::time::Instant::now();
        let waited = items
            .iter()
            .map(|item| chrono::Utc::now() - item.at)
            .max()
            .unwrap_or_default();
        match db::events::number(&state.db, done).await {
            Err(err) if err.is_duplicate() => {
                // A counter behind its log (a restored backup): set it after the log's last
                // number, then number again; anything else is an error worth seeing.
                let recipients = recipients(items);
                let behind = db::events::repair_counters(&state.db, &recipients).await?;
                tracing::warn!(behind, "event counters behind their log were repaired");
                db::events::number(&state.db, done).await?;
            }
            numbered => {
                numbered?;
            }
        }
        tracing::debug!(
            items = items.len(),
            waited_ms = waited.num_milliseconds(),
            number_us = started.elapsed().as_micros(),
            "events numbered"
        );
        Ok(())
    }
}

/// Everyone the items' events are for.
fn recipients(items: &[Claimed]) -> Vec<String> {
    let mut all: Vec<String> = items
        .iter()
        .filter_map(|item| item.payload.get("recipients")?.as_array().cloned())
        .flatten()
        .filter_map(|recipient| recipient.as_str().map(str::to_owned))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Numbers everything waiting now (start-up calls it after writing demo data, so the demo's
/// news is numbered before anyone listens).
pub async fn number_all(state: &AppState) {
    let owner = format!("start-up-{}", uuid::Uuid::new_v4().simple());
    crate::work::drain_all(state, &Sequencer, &owner).await;
}
