//! Background work of the process, running beside the server and stopped with it.

use std::time::Duration;

use db::Db;

/// How often expired idempotency answers are deleted (they are kept 24 h).
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs every worker until the returned future is dropped (it never finishes by itself).
pub async fn run(db: Db) {
    purge_expired_answers(db, PURGE_EVERY).await;
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
