//! Background work of the process, running beside the server and stopped with it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use app::realtime::sequencer;
use app::state::AppState;

/// How often expired idempotency answers and old events are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// How long numbered events are kept for clients to resume from (at least 24 h).
pub const KEEP_EVENTS: Duration = Duration::from_secs(25 * 60 * 60);

/// Rows one purge or expiry transaction touches at most: a backlog (after a long stop) goes
/// in many short transactions instead of one that holds every row in memory.
pub const BATCH: u32 = 500;

/// Sessions are kept this long after they expired (a late request then still reads "ended").
pub const KEEP_EXPIRED_SESSIONS: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs every worker until the returned future is dropped (it never finishes by itself):
/// the real-time sequencer and fan-out, the rule engine's decider, the hourly purges, and the expiry of payment codes
/// every `expire_every` (these two in the process holding the housekeeping [`Duty`]). Each worker gets the whole state, as a request does, so a new one
/// finds every client it needs there (the database, the hub, later the model providers).
pub async fn run(
    state: AppState,
    owner: String,
    expire_every: Duration,
    agent_lease: Duration,
    proposals: Proposals,
    figures: Figures,
) {
    let duty = Duty::claim(&state, &owner).await;
    // Each worker boxed: a debug build polls the join in one frame holding every worker
    // inline, and the embedded engine runs a query on the polling stack — unboxed, the
    // frames of sixteen workers and a query overflowed a 2 MiB thread.
    tokio::join!(
        Box::pin(hold_duty(state.clone(), owner.clone(), duty.clone())),
        Box::pin(app::work::run(
            state.clone(),
            sequencer::Sequencer,
            owner.clone(),
            app::work::Settings::default()
        )),
        Box::pin(app::work::run(
            state.clone(),
            app::service::rules::Decider,
            owner.clone(),
            // The plain decisions of a claimed batch commit together.
            app::work::Settings::default()
        )),
        Box::pin(app::work::run(
            state.clone(),
            app::service::agent::Runner,
            owner.clone(),
            app::work::Settings {
                // A node may wait long for a model: its run is held that long, one at a time.
                item_lease: agent_lease,
                batch: 1,
                ..app::work::Settings::default()
            }
        )),
        Box::pin(purge_finished_threads(
            state.clone(),
            duty.clone(),
            PURGE_EVERY
        )),
        Box::pin(propose(state.clone(), duty.clone(), proposals)),
        Box::pin(app::service::shops::watch_caches(state.clone())),
        Box::pin(state.realtime.run(state.db.clone())),
        Box::pin(purge_expired_answers(
            state.clone(),
            duty.clone(),
            PURGE_EVERY,
            BATCH
        )),
        Box::pin(purge_old_events(
            state.clone(),
            duty.clone(),
            PURGE_EVERY,
            KEEP_EVENTS,
            BATCH
        )),
        Box::pin(expire_payment_codes(
            state.clone(),
            duty.clone(),
            expire_every,
            BATCH
        )),
        Box::pin(settle_online_orders(state.clone(), duty.clone(), BATCH)),
        Box::pin(read_weather(state.clone(), duty.clone())),
        Box::pin(keep_figures(state.clone(), duty.clone(), figures)),
        Box::pin(purge_expired_sessions(
            state.clone(),
            duty,
            PURGE_EVERY,
            BATCH
        )),
    );
}

/// How the shops' day figures are kept (`figures.*` settings).
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    /// Between rounds for the shops something happened at (zero: not kept at all).
    pub every: Duration,
    /// Between rounds for every shop: days close after their end, and what the process
    /// missed (it was not the duty holder, its LIVE query was down) is caught.
    pub all_every: Duration,
}

/// Keeps the shops' day figures (`service::figures`), in the process holding the duty:
/// every `every` those of the shops whose events arrived, every `all_every` all of them.
pub async fn keep_figures(state: AppState, duty: Duty, figures: Figures) {
    let Figures { every, all_every } = figures;
    if every.is_zero() {
        return;
    }
    let mut all_at = tokio::time::Instant::now();
    every_so_often(every, || {
        let state = &state;
        let due = all_at <= tokio::time::Instant::now();
        if due {
            all_at = tokio::time::Instant::now() + all_every;
        }
        let moved = state.realtime.take_moved();
        let held = duty.held();
        async move {
            if !held {
                return;
            }
            let shops: Vec<String> = if due {
                match db::merchant::list(&state.db).await {
                    Ok(all) => all.into_iter().map(|shop| shop.id).collect(),
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot list the shops for their figures");
                        return;
                    }
                }
            } else {
                moved.into_iter().collect()
            };
            for shop in shops {
                if let Err(err) =
                    app::service::figures::refresh(state, &shop, chrono::Utc::now()).await
                {
                    tracing::warn!(shop = %shop, error = %err, "cannot compute the shop's figures");
                }
            }
        }
    })
    .await;
}

/// Gives up what `owner` (this process, stopping) holds: its partitions of every queue and
/// the housekeeping duty.
pub async fn leave(state: &AppState, owner: &str) {
    for queue in [
        db::queue::EVENTS,
        db::rules::TRIGGERS,
        db::agent::RUNS,
        db::queue::HOUSEKEEPING,
    ] {
        if let Err(err) = db::queue::leave(&state.db, queue, owner).await {
            tracing::warn!(queue = queue.name, error = %err, "cannot give up the queue's leases");
        }
    }
}

/// How long the housekeeping duty stays with a process that stops renewing it.
const DUTY_LEASE: Duration = Duration::from_secs(90);

/// How often the duty is renewed (or taken, when its holder has gone).
const DUTY_RENEW: Duration = Duration::from_secs(30);

/// Whether this process holds the housekeeping duty (`queue::HOUSEKEEPING`): the purges and
/// expiries that touch many rows run in the one process that holds it, not in every process
/// at once. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Duty(Arc<AtomicBool>);

impl Duty {
    /// Takes the duty for `owner` if nobody holds it (or renews it); says whether it is held.
    pub async fn claim(state: &AppState, owner: &str) -> Self {
        let duty = Self::default();
        duty.renew(state, owner).await;
        duty
    }

    /// The duty of a process known to be alone with its database (a one-off command, a
    /// test calling one worker), held without a lease.
    pub fn granted() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }

    async fn renew(&self, state: &AppState, owner: &str) {
        let lease = u64::try_from(DUTY_LEASE.as_millis()).unwrap_or(u64::MAX);
        match db::queue::share(&state.db, db::queue::HOUSEKEEPING, owner, lease).await {
            Ok(held) => self.0.store(!held.is_empty(), Ordering::Relaxed),
            // Not known to be held any more: stand down until the next renewal says so.
            Err(err) => {
                tracing::debug!(error = %err, "housekeeping duty not renewed");
                self.0.store(false, Ordering::Relaxed);
            }
        }
    }

    pub fn held(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Renews (or takes over) the housekeeping duty every [`DUTY_RENEW`], from one period after
/// start-up (`run` has just claimed it).
async fn hold_duty(state: AppState, owner: String, duty: Duty) {
    tokio::time::sleep(DUTY_RENEW).await;
    every_so_often(DUTY_RENEW, || duty.renew(&state, &owner)).await;
}

/// Deletes agent threads finished longer ago than their retention, every `every` (the first
/// right away).
pub async fn purge_finished_threads(state: AppState, duty: Duty, every: Duration) {
    every_so_often(every, || async {
        if !duty.held() {
            return;
        }
        match state.agent.purge_finished(chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "finished agent threads deleted"),
            Err(err) => tracing::warn!(error = %err, "cannot delete finished agent threads"),
        }
        // Provider callbacks are refused after five minutes; their ids are kept a day.
        let cutoff = chrono::Utc::now() - chrono::Duration::days(1);
        in_batches("provider callbacks forgotten", BATCH, || {
            db::agent::purge_deliveries(&state.db, cutoff, BATCH)
        })
        .await;
        // The Artist's pictures nobody picked, once their thread is over…
        in_batches("unpicked pictures deleted", BATCH, || {
            app::service::artist::purge_unpicked(&state, BATCH)
        })
        .await;
        // …and those no row names at all (a draw run again, a delete that failed).
        let cutoff = chrono::Utc::now() - app::service::artist::UNNAMED_GRACE;
        match app::service::artist::sweep_unnamed(&state, cutoff).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "unnamed pictures deleted"),
            Err(err) => tracing::warn!(error = %err, "cannot sweep the pictures"),
        }
    })
    .await;
}

/// Deletes sessions a day past their expiry, and lets the login guard forget idle keys,
/// every `every` (the first right away).
pub async fn purge_expired_sessions(state: AppState, duty: Duty, every: Duration, batch: u32) {
    let Ok(keep) = chrono::Duration::from_std(KEEP_EXPIRED_SESSIONS) else {
        return;
    };
    every_so_often(every, || async {
        // The login guard is this process's own memory: every process forgets.
        state.logins.forget_idle();
        if !duty.held() {
            return;
        }
        let cutoff = chrono::Utc::now() - keep;
        in_batches("expired sessions deleted", batch, || {
            db::session::purge_expired(&state.db, cutoff, batch)
        })
        .await;
    })
    .await;
}

/// Deletes numbered events older than `keep`, every `every` (the first right away).
pub async fn purge_old_events(
    state: AppState,
    duty: Duty,
    every: Duration,
    keep: Duration,
    batch: u32,
) {
    let Ok(keep) = chrono::Duration::from_std(keep) else {
        tracing::error!("the event retention does not fit a date; events are kept");
        return;
    };
    every_so_often(every, || async {
        if !duty.held() {
            return;
        }
        let cutoff = chrono::Utc::now() - keep;
        in_batches("old events deleted", batch, || {
            db::events::purge_older_than(&state.db, cutoff, batch)
        })
        .await;
    })
    .await;
}

/// Deletes idempotency answers past their 24 h, every `every` (the first right away).
pub async fn purge_expired_answers(state: AppState, duty: Duty, every: Duration, batch: u32) {
    every_so_often(every, || async {
        if !duty.held() {
            return;
        }
        in_batches("expired idempotency answers deleted", batch, || {
            db::idempotency::purge_expired(&state.db, batch)
        })
        .await;
    })
    .await;
}

/// Marks PENDING payment orders whose code has expired EXPIRED, every `every` (the first
/// right away). Collecting and the open-order count already go by the expiry time; this
/// closes the order for whoever reads its status (the diner's app, reports).
pub async fn expire_payment_codes(state: AppState, duty: Duty, every: Duration, batch: u32) {
    every_so_often(every, || async {
        if !duty.held() {
            return;
        }
        let now = chrono::Utc::now();
        in_batches("expired payment codes closed", batch, || {
            db::payment::expire_pending(&state.db, now, batch)
        })
        .await;
    })
    .await;
}

/// Asks the payment providers after online orders still pending (a lost notification: the
/// order is credited now) and closes those past their expiry, in the process holding the
/// duty, every `online.sweep_every` (none when no shop takes online payments).
pub async fn settle_online_orders(state: AppState, duty: Duty, batch: u32) {
    if !state.online.any() {
        return;
    }
    every_so_often(state.online.sweep_every, || async {
        if !duty.held() {
            return;
        }
        match app::service::online::sweep(&state, chrono::Utc::now(), batch).await {
            Ok(0) => {}
            Ok(changed) => tracing::info!(changed, "online orders settled or closed"),
            Err(error) => tracing::warn!(%error, "online orders could not be swept"),
        }
    })
    .await;
}

/// Reads every shop's weather from the configured feed (none: nothing to do), in the process
/// holding the duty, every `feed.every` (the first right away).
pub async fn read_weather(state: AppState, duty: Duty) {
    let Some(feed) = state.weather.clone() else {
        return;
    };
    every_so_often(feed.every, || async {
        if !duty.held() {
            return;
        }
        let read = app::service::weather::read_all(&state, feed.source.as_ref(), chrono::Utc::now());
        match read.await {
            Ok(round) if round.failed > 0 || !round.changed.is_empty() => {
                tracing::info!(read = round.read, failed = round.failed, changed = ?round.changed, "weather read");
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "weather not recorded"),
        }
    })
    .await;
}

/// When the Strategist proposes unasked (`[agent]` settings).
#[derive(Debug, Clone, Copy)]
pub struct Proposals {
    /// A routine proposal every so many days of each shop's calendar (0: never).
    pub every_days: u32,
    /// How often every shop is looked at (a rainy day's proposal waits this long at most).
    pub check: Duration,
}

/// Starts the Strategist's routine and rainy-day proposals that are due, in every shop (by
/// the process holding the housekeeping duty; each occasion starts once anyway).
pub async fn propose(state: AppState, duty: Duty, proposals: Proposals) {
    every_so_often(proposals.check, || async {
        if !duty.held() {
            return;
        }
        let shops = match db::merchant::list(&state.db).await {
            Ok(shops) => shops,
            Err(err) => {
                tracing::warn!(error = %err, "shops not read for proposals");
                return;
            }
        };
        for shop in shops {
            let due = app::service::strategist::propose_when_due(
                &state,
                &shop.id,
                chrono::Utc::now(),
                proposals.every_days,
            );
            match due.await {
                Ok(started) if !started.is_empty() => {
                    tracing::info!(merchant = %shop.id, ?started, "the strategist proposes unasked");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(merchant = %shop.id, error = %err, "proposals not started"),
            }
        }
    })
    .await;
}

/// Runs `round` every `every`, the first right away, for ever.
async fn every_so_often<F, Fut>(every: Duration, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        round().await;
    }
}

/// Calls `step` (which handles at most `batch` rows) until it handles fewer, and logs the
/// total as `done` (nothing when there was none). A failure is logged and stops the round:
/// the next round goes on from there, the rows only wait a little longer.
async fn in_batches<F, Fut, E>(done: &'static str, batch: u32, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, E>>,
    E: std::fmt::Display,
{
    let full = usize::try_from(batch).unwrap_or(usize::MAX);
    let mut rows = 0_usize;
    loop {
        match step().await {
            Ok(handled) => {
                rows = rows.saturating_add(handled);
                if handled < full {
                    break;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, rows, "stopped before done: {done}");
                return;
            }
        }
    }
    if rows > 0 {
        tracing::info!(rows, "{done}");
    }
}
