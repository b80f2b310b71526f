//! The real-time event log: `event:[recipient, seq]`, numbered per recipient in commit order.
//!
//! [`PUBLISH`] goes inside a mutation's transaction (like `idempotency::REMEMBER`), so an
//! event exists exactly when its change committed; [`after`] is what a reconnecting client
//! resumes from.

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// An event to append for one recipient (`diner:<uid>` or `merchant:<id>`).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewEvent {
    pub recipient: String,
    #[surreal(rename = "type")]
    pub kind: String,
    pub payload: serde_json::Value,
}

/// An event as stored.
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

/// Statements that append each of `$events` under the next number of its recipient.
/// Two transactions numbering for one recipient both write its counter, so one conflicts
/// and retries: numbers follow commit order and never skip.
pub(crate) const PUBLISH: &str = "
    FOR $event IN $events ?? [] {
        LET $counter = type::record('event_seq', $event.recipient);
        LET $seq = ($counter.n ?? 0) + 1;
        UPSERT $counter SET n = $seq RETURN NONE;
        CREATE type::record('event', [$event.recipient, $seq]) CONTENT {
            recipient: $event.recipient, seq: $seq, type: $event.type, payload: $event.payload
        } RETURN NONE;
    };
";

/// Appends events in a transaction of their own (for changes with no other write).
pub async fn publish(db: &Db, events: &[NewEvent]) -> DbResult<()> {
    let response = db
        .query(format!("BEGIN TRANSACTION;{PUBLISH}COMMIT TRANSACTION;"))
        .bind(("events", events.to_vec()))
        .await?;
    checked(response)?;
    Ok(())
}

/// A recipient's events numbered above `seq`, oldest first, at most `limit`.
pub async fn after(db: &Db, recipient: &str, seq: i64, limit: u32) -> DbResult<Vec<StoredEvent>> {
    let response = db
        .query(
            "SELECT recipient, seq, type, payload, at FROM event
             WHERE recipient = $recipient AND seq > $seq ORDER BY seq LIMIT $limit",
        )
        .bind(("recipient", recipient.to_owned()))
        .bind(("seq", seq))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}
