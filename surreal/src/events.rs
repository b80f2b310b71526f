//! The real-time event log: `event:[recipient, seq]`, numbered 1, 2, 3, … per recipient.
//!
//! A change's transaction only appends its events to `event_pending` ([`PUBLISH`], bound by
//! an `Outcome`): no record is shared between writers, so two cashiers' scans never conflict
//! over the news of them. The sequencer then numbers them with [`number_pending`]. A
//! reconnecting client resumes with [`after`]; [`live_numbered`] and [`live_pending`] are the
//! wake-up signals of the socket hub and the sequencer (one LIVE query each per process).

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use surrealdb::Notification;
use surrealdb::types::{Action, SurrealValue};

use crate::batch;
use crate::error::checked;
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

/// An event waiting for its numbers (only who it is for matters to a listener).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Pending {
    recipients: Vec<String>,
}

/// Statements that append each of `$events` to `event_pending`; inside a change's
/// transaction, they exist exactly when the change committed.
pub(crate) const PUBLISH: &str = "
    FOR $event IN $events ?? [] {
        CREATE event_pending CONTENT {
            recipients: $event.recipients, type: $event.type, payload: $event.payload
        } RETURN NONE;
    };
";

/// Appends events in a transaction of their own (for news with no other write).
pub async fn publish(db: &Db, events: &[NewEvent]) -> DbResult<()> {
    let response = db
        .query(format!("BEGIN TRANSACTION;{PUBLISH}COMMIT TRANSACTION;"))
        .bind(("events", events.to_vec()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Numbers the `limit` oldest pending events, whoever they are for: each gets the next
/// number in each of its recipients' logs. Returns how many events were numbered.
///
/// One transaction numbers many recipients, so the cost of numbering is shared by all the
/// events of a busy moment. Two calls at once (two processes) write the same counters or
/// delete the same rows, so one conflicts (`is_retryable`) and must run again: numbers
/// never repeat or skip.
pub async fn number_pending(db: &Db, limit: u32) -> DbResult<usize> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $pending = SELECT id, recipients, type, payload, at FROM event_pending
                 ORDER BY at, id LIMIT $limit;
             LET $copies = array::flatten($pending.map(|$event| $event.recipients.map(
                 |$recipient| { recipient: $recipient, type: $event.type,
                                payload: $event.payload, at: $event.at })));
             FOR $recipient IN array::distinct($copies.recipient) {
                 LET $mine = $copies[WHERE recipient = $recipient];
                 LET $counter = type::record('event_seq', $recipient);
                 LET $base = $counter.n ?? 0;
                 UPSERT $counter SET n = $base + array::len($mine) RETURN NONE;
                 LET $numbered = array::map($mine, |$event, $i| {
                     id: [$recipient, $base + $i + 1], recipient: $recipient,
                     seq: $base + $i + 1, type: $event.type, payload: $event.payload,
                     at: $event.at
                 });
                 INSERT INTO event $numbered RETURN NONE;
             };
             DELETE $pending.id RETURN NONE;
             RETURN array::len($pending);
             COMMIT TRANSACTION;",
        )
        .bind(("limit", i64::from(limit)))
        .await?;
    // Statement 5 is the RETURN (BEGIN is statement 0).
    let numbered: Option<i64> = checked(response)?.take(5)?;
    Ok(numbered
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

/// Deletes at most `batch` numbered events older than `cutoff`; returns how many (fewer
/// than `batch`: none are left). A recipient's counter stays, so numbering goes on where it
/// was. The purge worker calls it until then, so no call holds many rows.
pub async fn purge_older_than(db: &Db, cutoff: DateTime<Utc>, batch: u32) -> DbResult<usize> {
    let response = db
        .query(batch::step(
            "event WHERE at < $cutoff",
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

/// The recipients of every event published from now on, not yet numbered.
pub async fn live_pending(db: &Db) -> DbResult<impl Stream<Item = DbResult<Vec<String>>>> {
    let mut response = db
        .query("LIVE SELECT recipients FROM event_pending")
        .await?;
    let stream = response.stream::<Notification<Pending>>(0)?;
    Ok(created(stream).map(|pending| pending.map(|p| p.recipients)))
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
