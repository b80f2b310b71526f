//! Idempotency records: `idempotency:[scope, key]` remembers the first response to a
//! request so a retry gets it again instead of a second effect.

use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbError, DbResult};

/// What a request with this key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time (or a takeover of an abandoned one): run it, then `complete` or `release`.
    Fresh,
    /// Done before with the same body: answer this again.
    Replay { status: u16, body: String },
    /// The same key with a different body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Record {
    request_hash: String,
    state: String,
    response_status: Option<i64>,
    response_body: Option<String>,
    expired: bool,
    lease_over: bool,
}

/// Claims `key` for a request whose body hashes to `request_hash`.
pub async fn claim(
    db: &Db,
    scope: &str,
    key: &str,
    request_hash: &str,
    keep_hours: i64,
    lease_seconds: i64,
) -> DbResult<Claim> {
    for _ in 0..4 {
        let created = db
            .query(
                "CREATE type::record('idempotency', [$scope, $key]) CONTENT {
                     request_hash: $hash, state: 'IN_FLIGHT',
                     expires_at: time::now() + duration::from_hours($keep),
                     lease_until: time::now() + duration::from_secs($lease) } RETURN NONE",
            )
            .bind(("scope", scope.to_owned()))
            .bind(("key", key.to_owned()))
            .bind(("hash", request_hash.to_owned()))
            .bind(("keep", keep_hours))
            .bind(("lease", lease_seconds))
            .await?;
        match checked(created) {
            Ok(_) => return Ok(Claim::Fresh),
            Err(err) if err.is_retryable() => {}
            Err(err) => return Err(err),
        }
        let Some(found) = read(db, scope, key).await? else {
            continue; // deleted meanwhile: try to create again
        };
        if found.expired {
            release(db, scope, key).await?;
            continue;
        }
        if found.request_hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        if found.state == "DONE" {
            return Ok(Claim::Replay {
                status: found
                    .response_status
                    .and_then(|status| u16::try_from(status).ok())
                    .unwrap_or(200),
                body: found.response_body.unwrap_or_default(),
            });
        }
        if found.lease_over && take_over(db, scope, key, lease_seconds).await? {
            return Ok(Claim::Fresh);
        }
        return Ok(Claim::InFlight);
    }
    Err(DbError::Rejected(crate::STALE.into()))
}

/// Stores the response of a claimed request.
pub async fn complete(db: &Db, scope: &str, key: &str, status: u16, body: &str) -> DbResult<()> {
    let response = db
        .query(
            "UPDATE type::record('idempotency', [$scope, $key]) SET state = 'DONE',
                 response_status = $status, response_body = $body RETURN NONE",
        )
        .bind(("scope", scope.to_owned()))
        .bind(("key", key.to_owned()))
        .bind(("status", i64::from(status)))
        .bind(("body", body.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Forgets a claim (its request failed in a way a retry may fix).
pub async fn release(db: &Db, scope: &str, key: &str) -> DbResult<()> {
    let response = db
        .query("DELETE type::record('idempotency', [$scope, $key])")
        .bind(("scope", scope.to_owned()))
        .bind(("key", key.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Deletes records past their 24 h (a periodic worker calls this).
pub async fn purge_expired(db: &Db) -> DbResult<()> {
    checked(
        db.query("DELETE idempotency WHERE expires_at < time::now()")
            .await?,
    )?;
    Ok(())
}

async fn read(db: &Db, scope: &str, key: &str) -> DbResult<Option<Record>> {
    let response = db
        .query(
            "SELECT request_hash, state, response_status, response_body,
                 expires_at < time::now() AS expired, lease_until < time::now() AS lease_over
             FROM type::record('idempotency', [$scope, $key])",
        )
        .bind(("scope", scope.to_owned()))
        .bind(("key", key.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

async fn take_over(db: &Db, scope: &str, key: &str, lease_seconds: i64) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('idempotency', [$scope, $key])
                 SET lease_until = time::now() + duration::from_secs($lease)
                 WHERE state = 'IN_FLIGHT' AND lease_until < time::now() RETURN AFTER",
        )
        .bind(("scope", scope.to_owned()))
        .bind(("key", key.to_owned()))
        .bind(("lease", lease_seconds))
        .await?;
    let taken: Vec<surrealdb::types::Value> = checked(response)?.take(0)?;
    Ok(taken.len() == 1)
}
