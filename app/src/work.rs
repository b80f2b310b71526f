//! The worker side of the durable work queue (`db::queue`), the same for every kind of work:
//! the sequencer numbering real-time events today, rule triggers and agent runs next.
//!
//! Each process runs one [`run`] per queue. Every sweep (a few seconds) it renews its
//! share of the queue's partitions (`queue::share`: one process per partition, shared
//! fairly) and drains them; a LIVE query on the queue wakes it at once when an item is
//! enqueued in one of its partitions. LIVE is only the fast path: a notification lost (a
//! LIVE query reopened, a half-open connection, a write on another node of a cluster) delays
//! the item by one sweep at most.
//!
//! A consumer must follow the queue's rules (docs/architecture.md): decide from the state
//! its transaction reads, not from the item's payload alone; commit the effect together with
//! the items' completion (`queue::COMPLETE`); write the counters it reads, so limits hold
//! under write skew; and give every outside effect an idempotency key equal to the item's id,
//! since an item whose worker died is worked again.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::time::Duration;

use db::queue::{self, Claimed, Completion, Queue};
use futures::{FutureExt, Stream, StreamExt};

use crate::error::AppError;
use crate::service::with_retries;
use crate::state::AppState;

/// One kind of work.
pub trait Consumer: Send + Sync + 'static {
    /// The queue it consumes.
    fn queue(&self) -> Queue;

    /// Does the work of `items` (claimed, oldest first) and completes them (`done`) in one
    /// transaction. A conflict is retried with the same items; any other error gives them
    /// back to be tried again later (one by one, so a bad item cannot hold up the rest).
    fn work(
        &self,
        state: &AppState,
        done: &Completion,
        items: &[Claimed],
    ) -> impl Future<Output = Result<(), AppError>> + Send;
}

/// How a queue is worked (the defaults suit the sequencer).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Time between sweeps: the longest an item waits when its wake-up was lost.
    pub sweep: Duration,
    /// How long a partition stays with a process that stops renewing it.
    pub partition_lease: Duration,
    /// How long a claimed item stays with its worker.
    pub item_lease: Duration,
    /// Items one claim takes at most.
    pub batch: u32,
    /// A failed item waits this long times its attempts.
    pub backoff: Duration,
    /// How often the queue's figures are logged.
    pub report: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sweep: Duration::from_secs(2),
            partition_lease: Duration::from_secs(10),
            item_lease: Duration::from_secs(30),
            batch: 256,
            backoff: Duration::from_secs(1),
            report: Duration::from_secs(60),
        }
    }
}

type Wakeups = Pin<Box<dyn Stream<Item = db::DbResult<u32>> + Send>>;

/// Works `consumer`'s queue as `owner` (this process) until dropped.
pub async fn run<C: Consumer>(state: AppState, consumer: C, owner: String, settings: Settings) {
    let queue = consumer.queue();
    let mut sweep = tokio::time::interval(settings.sweep);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut report = tokio::time::interval(settings.report);
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wakeups: Option<Wakeups> = None;
    let mut mine: Vec<u32> = Vec::new();
    loop {
        if wakeups.is_none() {
            // Opened before the sweep reads, so nothing enqueued in between is missed.
            match queue::live_enqueued(&state.db, queue).await {
                Ok(live) => wakeups = Some(Box::pin(live)),
                Err(err) => {
                    tracing::warn!(queue = queue.name, error = %err, "cannot open the queue's wake-ups")
                }
            }
        }
        let woken: BTreeSet<u32> = tokio::select! {
            _ = sweep.tick() => {
                match queue::share(&state.db, queue, &owner, millis(settings.partition_lease)).await {
                    Ok(held) => mine = held,
                    // Conflicts with another process sharing at the same moment: next round.
                    Err(err) => tracing::debug!(queue = queue.name, error = %err, "partitions not shared this round"),
                }
                mine.iter().copied().collect()
            }
            _ = report.tick() => {
                log_figures(&state, queue).await;
                BTreeSet::new()
            }
            woken = next_wakeups(&mut wakeups) => woken,
        };
        let partitions: Vec<u32> = woken.into_iter().filter(|p| mine.contains(p)).collect();
        if !partitions.is_empty() {
            drain(&state, &consumer, &owner, &partitions, settings).await;
        }
    }
}

/// The partitions of the next wake-up and of any already waiting behind it; none (and the
/// LIVE query dropped, to be opened again) when it failed.
async fn next_wakeups(wakeups: &mut Option<Wakeups>) -> BTreeSet<u32> {
    let Some(live) = wakeups.as_mut() else {
        return std::future::pending().await;
    };
    let mut woken = BTreeSet::new();
    match live.next().await {
        Some(Ok(partition)) => {
            woken.insert(partition);
            while let Some(Some(Ok(partition))) = live.next().now_or_never() {
                woken.insert(partition);
            }
        }
        Some(Err(err)) => {
            tracing::warn!(error = %err, "the queue's wake-ups failed; opening them again");
            *wakeups = None;
        }
        None => *wakeups = None,
    }
    woken
}

/// Claims and works the ready items of `partitions`, batch after batch, until none is left.
pub async fn drain<C: Consumer>(
    state: &AppState,
    consumer: &C,
    owner: &str,
    partitions: &[u32],
    settings: Settings,
) {
    let queue = consumer.queue();
    // A batch is shared out among the partitions (each gives its oldest).
    let count = u32::try_from(partitions.len()).unwrap_or(u32::MAX).max(1);
    let quota = settings.batch.div_ceil(count).max(1);
    loop {
        let claimed = match queue::claim(
            &state.db,
            queue,
            partitions,
            owner,
            quota,
            millis(settings.item_lease),
        )
        .await
        {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::debug!(queue = queue.name, ?partitions, error = %err, "cannot claim now");
                return;
            }
        };
        if claimed.is_empty() {
            return;
        }
        // Some partition gave all it was asked for: it may have more.
        let full = partitions.iter().any(|&partition| {
            let given = claimed
                .iter()
                .filter(|item| queue::partition_of(&item.key, queue.partitions) == partition)
                .count();
            given >= usize::try_from(quota).unwrap_or(usize::MAX)
        });
        if let Err(err) = work_with_retries(state, consumer, owner, &claimed).await {
            if claimed.len() == 1 {
                give_back(state, owner, &claimed, &err, settings).await;
            } else {
                // One bad item must not hold up the rest: each on its own.
                for item in &claimed {
                    let one = std::slice::from_ref(item);
                    if let Err(err) = work_with_retries(state, consumer, owner, one).await {
                        give_back(state, owner, one, &err, settings).await;
                    }
                }
            }
        }
        if !full {
            return;
        }
    }
}

async fn work_with_retries<C: Consumer>(
    state: &AppState,
    consumer: &C,
    owner: &str,
    items: &[Claimed],
) -> Result<(), AppError> {
    let done = Completion::of(owner, items);
    with_retries(|| consumer.work(state, &done, items)).await
}

/// Gives `items` back after `err` (a lease lost means another worker has them: nothing to
/// give back).
async fn give_back(
    state: &AppState,
    owner: &str,
    items: &[Claimed],
    err: &AppError,
    settings: Settings,
) {
    if matches!(err, AppError::Database(db) if db.rejection() == Some(&db::Rejection::LeaseLost)) {
        tracing::warn!(
            count = items.len(),
            "work queue items taken over by another worker"
        );
        return;
    }
    let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
    tracing::warn!(?ids, attempts = items.first().map(|i| i.attempts), error = %err, "work failed; given back");
    if let Err(failed) = queue::fail(
        &state.db,
        owner,
        &ids,
        &err.to_string(),
        millis(settings.backoff),
    )
    .await
    {
        // The lease expires anyway: the items come back then.
        tracing::warn!(error = %failed, "cannot give work back");
    }
}

/// Logs the queue's figures: pending items and the age of the oldest, dead letters, claims
/// taken over after a lease expired.
pub async fn log_figures(state: &AppState, queue: Queue) {
    match queue::figures(&state.db, queue).await {
        Ok(figures) if figures.pending > 0 || figures.dead > 0 => tracing::info!(
            queue = queue.name,
            pending = figures.pending,
            oldest_age_ms = figures.oldest_age_ms,
            dead = figures.dead,
            reclaimed = figures.reclaimed,
            "work queue"
        ),
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(queue = queue.name, error = %err, "cannot read the queue's figures")
        }
    }
}

/// Works everything waiting in `consumer`'s queue now, as a process of its own (`owner`):
/// takes its share of the partitions, drains them, and gives them up again.
pub async fn drain_all<C: Consumer>(state: &AppState, consumer: &C, owner: &str) {
    let queue = consumer.queue();
    let settings = Settings::default();
    match queue::share(&state.db, queue, owner, millis(settings.partition_lease)).await {
        Ok(held) => drain(state, consumer, owner, &held, settings).await,
        Err(err) => tracing::warn!(queue = queue.name, error = %err, "cannot take partitions"),
    }
    if let Err(err) = queue::leave(&state.db, queue, owner).await {
        tracing::warn!(queue = queue.name, error = %err, "cannot give partitions up");
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
