//! Idempotency records: `idempotency:[scope, key]` holds the answer to the first request
//! made with a key, so a retry gets that answer again instead of a second effect.
//!
//! The record is written by the same transaction as the effect (every mutation takes an
//! `Outcome` and appends [`REMEMBER`]): the effect and its answer commit together or
//! not at all, in one commit. A refusal (4xx) has no effect to join, so [`store`] writes its
//! answer alone.

use surrealdb::types::SurrealValue;

use crate::batch;
use crate::error::checked;
use crate::outcome::Outcome;
use crate::{Db, DbError, DbResult, Rejection};

/// How long an answer is kept for replays.
pub const KEEP_HOURS: i64 = 24;

/// A request that must take effect at most once: who sent it to which endpoint (`scope`),
/// its Idempotency-Key, and a hash of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

impl Request {
    /// The answer to store for this request.
    pub fn answer(&self, status: u16, body: String) -> Answer {
        Answer {
            scope: self.scope.clone(),
            key: self.key.clone(),
            request_hash: self.request_hash.clone(),
            status: i64::from(status),
            body,
        }
    }
}

/// What a transaction stores for its request: the HTTP status and JSON body of the reply.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Answer {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    pub status: i64,
    pub body: String,
}

/// An answer found for a key (not yet expired).
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Prior {
    pub request_hash: String,
    pub response_status: i64,
    pub response_body: String,
}

/// Statements that store `$answer` (an `Answer` or NONE), or THROW 'ANSWERED'
/// ([`Rejection::Answered`]) when its key already holds a live answer: nothing was written,
/// and the caller replies with [`find`]'s answer instead. Goes inside a mutation's transaction, before COMMIT. Two
/// transactions with one key both write the record, so one of them conflicts and retries.
pub(crate) const REMEMBER: &str = "
    IF $answer {
        LET $answer_id = type::record('idempotency', [$answer.scope, $answer.key]);
        IF $answer_id.expires_at > time::now() { THROW 'ANSWERED' };
        UPSERT $answer_id CONTENT {
            request_hash: $answer.request_hash,
            response_status: $answer.status,
            response_body: $answer.body,
            created_at: time::now(),
            expires_at: time::now() + duration::from_hours($answer_keep_hours)
        } RETURN NONE;
    };
";

/// The live answer stored for `key` in `scope`, if any.
pub async fn find(db: &Db, scope: &str, key: &str) -> DbResult<Option<Prior>> {
    let response = db
        .query(
            "SELECT request_hash, response_status, response_body
             FROM ONLY type::record('idempotency', [$scope, $key])
             WHERE expires_at > time::now()",
        )
        .bind(("scope", scope.to_owned()))
        .bind(("key", key.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Stores an answer on its own (a refusal, which has no effect transaction to join).
/// Fails with [`Rejection::Answered`] when the key already has one.
pub async fn store(db: &Db, answer: &Answer) -> DbResult<()> {
    let query = db.query(format!("BEGIN TRANSACTION;{REMEMBER}COMMIT TRANSACTION;"));
    let outcome = Outcome {
        answer: Some(answer.clone()),
        ..Outcome::none()
    };
    let response = outcome.bind(query).await?;
    match checked(response) {
        Ok(_) => Ok(()),
        Err(err) if err.is_retryable() => Err(DbError::Rejected(Rejection::Answered)),
        Err(err) => Err(err),
    }
}

/// Deletes at most `batch` answers past their 24 h; returns how many (fewer than `batch`:
/// none are left). The purge worker calls it until then, so no call holds many rows.
pub async fn purge_expired(db: &Db, batch: u32) -> DbResult<usize> {
    let response = db
        .query(batch::step(
            "idempotency WHERE expires_at < time::now()",
            "DELETE $ids RETURN NONE",
        ))
        .bind(("batch", i64::from(batch)))
        .await?;
    batch::picked(response)
}
