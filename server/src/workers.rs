//! Background work of the process, running beside the server and stopped with it.

use std::time::Duration;

use app::realtime::{Hub, sequencer};
use db::Db;

/// How often expired idempotency answers and old events are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// How long numbered events are kept for clients to resume from (at least 24 h).
pub const KEEP_EVENTS: Duration = Duration::from_secs(25 * 60 * 60);

/// Runs every worker until the returned future is dropped (it never finishes by itself):
/// the real-time sequencer and fan-out, and the hourly purges.
pub async fn run(db: Db, hub: Hub) {
    tokio::join!(
        sequencer::run(db.clone()),
        hub.run(db.clone()),
        purge_expired_answers(db.clone(), PURGE_EVERY),
        purge_old_events(db, PURGE_EVERY, KEEP_EVENTS),
    );
}

/// Deletes numbered events older than `keep`, every `every` (the first right away).
pub async fn purge_old_events(db: Db, every: Duration, keep: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok(keep) = chrono::Duration::from_std(keep) else {
            tracing::error!("the event retention does not fit a date; events are kept");
            return;
        };
        match db::events::purge_older_than(&db, chrono::Utc::now() - keep).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old events deleted"),
            Err(err) => tracing::warn!(error = %err, "could not purge old events"),
        }
    }
}

/// Deletes idempotency answers past their 24 h, every `every` (the first right away).
pub async fn purge_expired_answers(db: Db, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match db::idempotency::purge_expired(&db).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired idempotency answers deleted"),
            // The next round tries again; answers only wait a little longer to go.
            Err(err) => tracing::warn!(error = %err, "could not purge idempotency answers"),
        }
    }
}
