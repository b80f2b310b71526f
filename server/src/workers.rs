//! Background work of the process, running beside the server and stopped with it.

use std::time::Duration;

use app::realtime::sequencer;
use app::state::AppState;
use db::Db;

/// How often expired idempotency answers and old events are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// How long numbered events are kept for clients to resume from (at least 24 h).
pub const KEEP_EVENTS: Duration = Duration::from_secs(25 * 60 * 60);

/// Sessions are kept this long after they expired (a late request then still reads "ended").
pub const KEEP_EXPIRED_SESSIONS: Duration = Duration::from_secs(24 * 60 * 60);

/// Rows one purge statement deletes at most (memory and lock time stay bounded).
pub const PURGE_BATCH: u32 = 1000;

/// Runs every worker until the returned future is dropped (it never finishes by itself):
/// the real-time sequencer and fan-out, and the hourly purges.
pub async fn run(state: AppState) {
    let db = state.db.clone();
    tokio::join!(
        sequencer::run(db.clone()),
        state.realtime.run(db.clone()),
        purge_expired_answers(db.clone(), PURGE_EVERY),
        purge_old_events(db.clone(), PURGE_EVERY, KEEP_EVENTS),
        purge_expired_sessions(state.clone(), PURGE_EVERY),
    );
}

/// Deletes sessions long expired, in batches, and lets the login guard forget idle keys.
pub async fn purge_expired_sessions(state: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        state.logins.forget_idle();
        let Ok(keep) = chrono::Duration::from_std(KEEP_EXPIRED_SESSIONS) else {
            return;
        };
        let before = chrono::Utc::now() - keep;
        let mut purged = 0;
        loop {
            match db::session::purge_expired(&state.db, before, PURGE_BATCH).await {
                Ok(gone) => {
                    purged += gone;
                    if gone < usize::try_from(PURGE_BATCH).unwrap_or(usize::MAX) {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not purge expired sessions");
                    break;
                }
            }
        }
        if purged > 0 {
            tracing::info!(purged, "expired sessions deleted");
        }
    }
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
