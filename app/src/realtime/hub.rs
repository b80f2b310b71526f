//! The fan-out of one process: one LIVE query on the numbered events, delivered to the
//! sockets subscribed to each recipient, in order and without gaps.
//!
//! LIVE notifications may arrive out of order, so the hub keeps, per recipient with
//! subscribers, the last number it delivered. The next number is delivered at once; an
//! older one is a duplicate; a jump means notifications overtook each other, and the hub
//! reads the missing range from the log (committed, since a notification comes only after
//! its commit, and numbers are given out in order) before going on. A jump in what the log
//! itself holds is a hole that will never fill (purged before it was delivered, a restored
//! database): the hub delivers past it, and each socket, seeing the jump, replays from the
//! log and tells its client RESET. It never waits on a hole.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use db::Db;
use db::events::StoredEvent;
use futures::StreamExt;
use tokio::sync::{Notify, broadcast, mpsc, watch};

use crate::error::AppError;
use crate::model::realtime::Frame;

/// The figures' own news moves no figures.
const FIGURES_UPDATED: &str = "FIGURES_UPDATED";

/// The most events one catch-up read takes.
const CATCH_UP_BATCH: u32 = 500;

/// Reads of missed events tried before giving up.
const CATCH_UP_ATTEMPTS: u32 = 3;

/// How long to wait before opening the LIVE query again after losing it.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// A frame ready to send: its number and its JSON, serialised once for every socket.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub seq: i64,
    pub text: Utf8Bytes,
    /// What a member of staff must be allowed to be sent it (`Event::needs`).
    pub needs: Option<crate::auth::Permission>,
}

/// The process's fan-out. Cloning is cheap (one shared inner).
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// How sockets are kept (from configuration).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Time between pings; a client silent for two of them is closed.
    pub heartbeat: Duration,
    /// Frames that may wait for one socket; a client further behind is dropped (it
    /// reconnects with its last number and loses nothing).
    pub queue_frames: usize,
    /// How often a socket checks that its session still holds (ended in another process,
    /// account disabled there); sessions ended in this process close their sockets at once.
    pub session_check: Duration,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    streams: Mutex<HashMap<String, Stream>>,
    next_id: AtomicU64,
    closing: watch::Sender<bool>,
    /// Sessions ended in this process (sign-out, account disabled): their sockets close.
    ended_sessions: broadcast::Sender<Arc<[String]>>,
    /// The shops something happened at since the figures worker last asked.
    moved: Mutex<BTreeSet<String>>,
}

/// One recipient's subscribers and the last number delivered to them.
#[derive(Debug)]
struct Stream {
    last: i64,
    subscribers: Vec<Subscriber>,
}

#[derive(Debug)]
struct Subscriber {
    id: u64,
    queue: mpsc::Sender<Delivery>,
    dropped: Arc<Notify>,
}

/// A socket's place in the hub: its queue of frames, and a signal that it was dropped for
/// reading too slowly. Leaves the hub when dropped.
#[derive(Debug)]
pub struct Subscription {
    hub: Hub,
    recipient: String,
    id: u64,
    pub frames: mpsc::Receiver<Delivery>,
    pub dropped: Arc<Notify>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(&self.recipient, self.id);
    }
}

impl Hub {
    pub fn new(settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                streams: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                closing: watch::Sender::new(false),
                ended_sessions: broadcast::Sender::new(64),
                moved: Mutex::new(BTreeSet::new()),
            }),
        }
    }

    /// Time between a socket's pings.
    pub fn heartbeat(&self) -> Duration {
        self.inner.settings.heartbeat
    }

    /// Subscribes to `recipient`'s events numbered from now on. `last` is the log's last
    /// number as the caller just read it: the first subscriber of a recipient starts its
    /// stream there (anything numbered since is read from the log at the next event).
    pub fn subscribe(&self, recipient: &str, last: i64) -> Subscription {
        let (queue, frames) = mpsc::channel(self.inner.settings.queue_frames);
        let dropped = Arc::new(Notify::new());
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.streams()
            .entry(recipient.to_owned())
            .or_insert_with(|| Stream {
                last,
                subscribers: Vec::new(),
            })
            .subscribers
            .push(Subscriber {
                id,
                queue,
                dropped: Arc::clone(&dropped),
            });
        Subscription {
            hub: self.clone(),
            recipient: recipient.to_owned(),
            id,
            frames,
            dropped,
        }
    }

    /// How many sockets are subscribed (all recipients).
    pub fn subscribers(&self) -> usize {
        self.streams().values().map(|s| s.subscribers.len()).sum()
    }

    /// How often a socket re-checks its session.
    pub fn session_check(&self) -> Duration {
        self.inner.settings.session_check
    }

    /// Tells this process's sockets of these sessions to close: the sessions ended.
    pub fn end_sessions(&self, sessions: &[String]) {
        if !sessions.is_empty() {
            // No socket listening is fine: nobody to close.
            let _ = self.inner.ended_sessions.send(sessions.into());
        }
    }

    /// The sessions ended from now on (a socket that lags behind checks its session anew).
    pub fn ended_sessions(&self) -> broadcast::Receiver<Arc<[String]>> {
        self.inner.ended_sessions.subscribe()
    }

    /// Resolves once the process starts shutting down (sockets then close with 1001).
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Tells every socket to close: the server is stopping.
    pub fn close_all(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Waits (at most `limit`) for the sockets told to close to have said goodbye: the HTTP
    /// server does not wait for upgraded connections.
    pub async fn closed(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.subscribers() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Delivers the log's numbered events to this process's sockets until dropped: one LIVE
    /// query, opened again (and what was missed meanwhile read from the log) when lost.
    pub async fn run(&self, db: Db) {
        loop {
            match db::events::live_numbered(&db).await {
                Ok(live) => {
                    self.catch_up_all(&db).await;
                    futures::pin_mut!(live);
                    while let Some(notification) = live.next().await {
                        match notification {
                            Ok(event) => self.receive(&db, &event).await,
                            Err(err) => {
                                tracing::warn!(error = %err, "live events failed");
                                break;
                            }
                        }
                    }
                    tracing::warn!("live events ended; opening them again");
                }
                Err(err) => tracing::warn!(error = %err, "cannot open live events"),
            }
            tokio::time::sleep(REOPEN_AFTER).await;
        }
    }

    /// The shops whose events arrived since the last call (their figures may have moved),
    /// taken.
    pub fn take_moved(&self) -> BTreeSet<String> {
        let mut moved = self.inner.moved.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *moved)
    }

    /// One numbered event from the LIVE query (in any order).
    async fn receive(&self, db: &Db, event: &StoredEvent) {
        if event.kind != FIGURES_UPDATED
            && let Some(shop) = event.payload.get("merchant_id").and_then(|m| m.as_str())
        {
            let mut moved = self.inner.moved.lock().unwrap_or_else(|e| e.into_inner());
            moved.insert(shop.to_owned());
        }
        if let Some(after) = self.deliver(event, Source::Live) {
            self.catch_up(db, &event.recipient, after).await;
        }
    }

    /// Delivers `event` if it is its recipient's next; returns the last number delivered
    /// when a live event is further ahead (the missing ones must be read first). An event
    /// read from the log is delivered even past a jump: the log has no more to give.
    fn deliver(&self, event: &StoredEvent, source: Source) -> Option<i64> {
        let mut streams = self.streams();
        let stream = streams.get_mut(&event.recipient)?;
        if event.seq <= stream.last {
            return None;
        }
        if event.seq > stream.last + 1 {
            match source {
                Source::Live => return Some(stream.last),
                Source::Log => tracing::warn!(
                    recipient = %event.recipient,
                    missing = ?(stream.last + 1..event.seq),
                    "a hole in the event log; sockets are told to reset"
                ),
            }
        }
        stream.last = event.seq;
        match render(event) {
            Ok((text, needs)) => stream.send(&Delivery {
                seq: event.seq,
                text,
                needs,
            }),
            // Sockets see the number skipped and read it from the log, where it is the
            // same broken event: logged, never silently lost.
            Err(err) => tracing::error!(error = %err, "cannot render an event"),
        }
        None
    }

    /// Reads `recipient`'s events after `after` from the log and delivers them in order
    /// (tried a few times: a stream left behind would wait for the recipient's next event).
    async fn catch_up(&self, db: &Db, recipient: &str, mut after: i64) {
        let mut failures = 0_u32;
        loop {
            match db::events::after(db, recipient, after, CATCH_UP_BATCH).await {
                Ok(events) => {
                    let Some(last) = events.last().map(|event| event.seq) else {
                        return;
                    };
                    for event in &events {
                        self.deliver(event, Source::Log);
                    }
                    after = last;
                }
                Err(err) if failures < CATCH_UP_ATTEMPTS => {
                    failures += 1;
                    tracing::warn!(error = %err, recipient, failures, "cannot read missed events; retrying");
                    tokio::time::sleep(Duration::from_millis(100) * failures).await;
                }
                Err(err) => {
                    tracing::error!(error = %err, recipient, "cannot read missed events; giving up");
                    return;
                }
            }
        }
    }

    /// After (re)opening the LIVE query: what every stream missed while it was closed.
    async fn catch_up_all(&self, db: &Db) {
        let streams: Vec<(String, i64)> = self
            .streams()
            .iter()
            .map(|(recipient, stream)| (recipient.clone(), stream.last))
            .collect();
        for (recipient, last) in streams {
            self.catch_up(db, &recipient, last).await;
        }
    }

    fn unsubscribe(&self, recipient: &str, id: u64) {
        let mut streams = self.streams();
        if let Some(stream) = streams.get_mut(recipient) {
            stream.subscribers.retain(|s| s.id != id);
            if stream.subscribers.is_empty() {
                streams.remove(recipient);
            }
        }
    }

    fn streams(&self) -> MutexGuard<'_, HashMap<String, Stream>> {
        // A panic while holding the lock leaves the map consistent (every change is one
        // call), so a poisoned lock is still usable.
        self.inner
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where an event reached the hub from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The LIVE query: notifications may overtake each other.
    Live,
    /// A read of the log, in order: a jump there is a hole.
    Log,
}

impl Stream {
    /// Queues `delivery` for every subscriber; one whose queue is full is dropped (told
    /// through `dropped`), never waited for.
    fn send(&mut self, delivery: &Delivery) {
        self.subscribers.retain(
            |subscriber| match subscriber.queue.try_send(delivery.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    subscriber.dropped.notify_one();
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
        );
    }
}

/// The JSON text of an event's frame, and what staff must be allowed to be sent it (the
/// hub's deliveries and the sockets' replays).
pub(crate) fn render(
    event: &StoredEvent,
) -> Result<(Utf8Bytes, Option<crate::auth::Permission>), AppError> {
    let frame = Frame::from_stored(event)?;
    let text = serde_json::to_string(&frame)
        .map(Utf8Bytes::from)
        .map_err(|e| AppError::Internal(format!("cannot serialise a frame: {e}")))?;
    Ok((text, frame.event.needs()))
}
