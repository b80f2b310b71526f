//! The real-time event log: `event:[recipient, seq]`, numbered 1, 2, 3, … per recipient.
//!
//! A change's transaction only enqueues its events on the work queue (`queue::EVENTS`,
//! bound by an `Outcome`): no record is shared between writers, so two cashiers' scans never
//! conflict over the news of them. The sequencer claims them and numbers them with
//! [`number`]. A reconnecting client resumes with [`after`]; [`live_numbered`] is the
//! wake-up signal of the socket hub (one LIVE query per process).

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use surrealdb::Notification;
use surrealdb::types::{Action, SurrealValue};

use crate::batch;
use crate::error::checked;
use crate::queue::{self, COMPLETE, Completion, NewItem};
use crate::{Db, DbResult};

/// An event to append for its recipients (`diner:<uid>`, `merchant:<id>`): stored once,
/// numbered in each recipient's log.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewEvent {
    pub recipients: Vec<String>,
    #[surreal(rename = "type")]
    pub kind: String,
    pub payload: serde_json::Value,
}

/// A numbered event.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StoredEvent {
    pub recipient: String,
    pub seq: i64,
    #[surreal(rename = "type")]
    pub kind: String,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// The fields a [`StoredEvent`] is read from.
const EVENT_FIELDS: &str = "recipient, seq, type, payload, at";

impl NewEvent {
    /// The queue item that carries this event to the sequencer, in the partition of its
    /// first recipient.
    pub fn item(&self) -> NewItem {
        let key = self.recipients.first().map_or("", String::as_str);
        NewItem::new(
            queue::EVENTS,
            key,
            serde_json::json!({
                "recipients": self.recipients, "type": self.kind, "payload": self.payload
            }),
        )
    }
}

/// Enqueues events in a transaction of their own (for news with no other write).
pub async fn publish(db: &Db, events: &[NewEvent]) -> DbResult<()> {
    queue::enqueue(db, &events.iter().map(NewEvent::item).collect::<Vec<_>>()).await
}

/// Numbers the claimed events (`done`: their items, still leased to their owner) in one
/// transaction with their completion: each gets the next number in each of its recipients'
/// logs, in the order they were published. Returns how many were numbered.
///
/// Numbers follow the order events are numbered in, which is the order their changes
/// became visible to the sequencer, not exactly the order they committed. One transaction
/// numbers many recipients, so the cost is shared by all the events of a busy moment; two
/// sequencers numbering one recipient (a diner served by two shops' partitions) write its
/// counter, so one conflicts and retries: numbers never repeat or skip.
pub async fn number(db: &Db, done: &Completion) -> DbResult<usize> {
    let response = done
        .bind(db.query(format!(
            "BEGIN TRANSACTION;
             {COMPLETE}
             LET $copies = array::flatten($work.map(|$item| $item.payload.recipients.map(
                 |$recipient| {{ recipient: $recipient, type: $item.payload.type,
                                payload: $item.payload.payload, at: $item.at }})));
             FOR $recipient IN array::distinct($copies.recipient) {{
                 LET $mine = $copies[WHERE recipient = $recipient];
                 LET $counter = type::record('event_seq', $recipient);
                 LET $base = $counter.n ?? 0;
                 UPSERT $counter SET n = $base + array::len($mine) RETURN NONE;
                 LET $numbered = array::map($mine, |$event, $i| {{
                     id: [$recipient, $base + $i + 1], recipient: $recipient,
                     seq: $base + $i + 1, type: $event.type, payload: $event.payload,
                     at: $event.at
                 }});
                 INSERT INTO event $numbered RETURN NONE;
             }};
             RETURN array::len($work);
             COMMIT TRANSACTION;"
        )))
        .await?;
    // Statement 7 is the RETURN (BEGIN is statement 0, COMPLETE is 1–4).
    let numbered: Option<i64> = checked(response)?.take(7)?;
    Ok(numbered
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_default())
}

/// Sets the counters of `recipients` to the last number in their logs where they are
/// behind it (a database restored from a backup taken between the two), so numbering goes
/// on after the log instead of colliding with it. Returns how many were behind.
pub async fn repair_counters(db: &Db, recipients: &[String]) -> DbResult<usize> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $logged = $recipients.map(|$recipient| {
                 recipient: $recipient,
                 last: (SELECT VALUE seq FROM event WHERE recipient = $recipient
                     ORDER BY seq DESC LIMIT 1)[0] ?? 0
             });
             LET $behind = $logged.filter(|$log|
                 $log.last > (type::record('event_seq', $log.recipient).n ?? 0));
             FOR $log IN $behind {
                 UPSERT type::record('event_seq', $log.recipient) SET n = $log.last RETURN NONE;
             };
             RETURN array::len($behind);
             COMMIT TRANSACTION;",
        )
        .bind(("recipients", recipients.to_vec()))
        .await?;
    // Statement 4 is the RETURN (BEGIN is statement 0).
    let behind: Option<i64> = checked(response)?.take(4)?;
    Ok(behind
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_default())
}

/// A recipient's events numbered above `seq`, oldest first, at most `limit`.
pub async fn after(db: &Db, recipient: &str, seq: i64, limit: u32) -> DbResult<Vec<StoredEvent>> {
    let response = db
        .query(format!(
            "SELECT {EVENT_FIELDS} FROM event
             WHERE recipient = $recipient AND seq > $seq ORDER BY seq LIMIT $limit"
        ))
        .bind(("recipient", recipient.to_owned()))
        .bind(("seq", seq))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A recipient's latest events (at most `limit`) numbered at or after `since`, oldest first.
pub async fn since(
    db: &Db,
    recipient: &str,
    since: DateTime<Utc>,
    limit: u32,
) -> DbResult<Vec<StoredEvent>> {
    let response = db
        .query(format!(
            "SELECT {EVENT_FIELDS} FROM event
             WHERE recipient = $recipient AND at >= $since ORDER BY seq DESC LIMIT $limit"
        ))
        .bind(("recipient", recipient.to_owned()))
        .bind(("since", since))
        .bind(("limit", i64::from(limit)))
        .await?;
    let mut newest_first: Vec<StoredEvent> = checked(response)?.take(0)?;
    newest_first.reverse();
    Ok(newest_first)
}

/// What a recipient's log holds: the last number given out, and the first still kept
/// (older ones were purged; `None` when none is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub last: i64,
    pub first_kept: Option<i64>,
}

/// The [`Span`] of `recipient`'s log, read in one round trip.
pub async fn span(db: &Db, recipient: &str) -> DbResult<Span> {
    let response = db
        .query(
            "RETURN type::record('event_seq', $recipient).n ?? 0;
             RETURN (SELECT VALUE seq FROM event
                 WHERE recipient = $recipient ORDER BY seq LIMIT 1)[0];",
        )
        .bind(("recipient", recipient.to_owned()))
        .await?;
    let mut response = checked(response)?;
    let last: Option<i64> = response.take(0)?;
    let first_kept: Option<i64> = response.take(1)?;
    Ok(Span {
        last: last.unwrap_or_default(),
        first_kept,
    })
}

/// Deletes at most `batch` events numbered before `cutoff`; returns how many (fewer than
/// `batch`: none are left). By when they were numbered, not published: one numbered late
/// (after an outage) is kept as long as any other. A recipient's counter stays, so
/// numbering goes on where it was. The purge worker calls it until then, so no call holds
/// many rows.
pub async fn purge_older_than(db: &Db, cutoff: DateTime<Utc>, batch: u32) -> DbResult<usize> {
    let response = db
        .query(batch::step(
            "event WHERE numbered < $cutoff",
            "DELETE $ids RETURN NONE",
        ))
        .bind(("cutoff", cutoff))
        .bind(("batch", i64::from(batch)))
        .await?;
    batch::picked(response)
}

/// Every event numbered from now on, as the database reports them (in any order: a
/// listener must order them by `seq` per recipient). Ends when the connection is lost.
pub async fn live_numbered(db: &Db) -> DbResult<impl Stream<Item = DbResult<StoredEvent>>> {
    let mut response = db
        .query(format!("LIVE SELECT {EVENT_FIELDS} FROM event"))
        .await?;
    let stream = response.stream::<Notification<StoredEvent>>(0)?;
    Ok(created(stream))
}

/// The records of `CREATE` notifications (deletes and updates are not news).
fn created<T: Send + 'static>(
    stream: impl Stream<Item = surrealdb::Result<Notification<T>>> + Send + 'static,
) -> impl Stream<Item = DbResult<T>> + Send + 'static {
    stream.filter_map(|notification| async move {
        match notification {
            Ok(n) if n.action == Action::Create => Some(Ok(n.data)),
            Ok(_) => None,
            Err(err) => Some(Err(err.into())),
        }
    })
}
