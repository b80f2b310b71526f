//! Signed-in sessions: `session:<sid>`. A token is only as good as its session: it ends at
//! sign-out, and a staff session also reads its account's `active` and `role` on every check.

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::batch;
use crate::error::checked;
use crate::{Db, DbResult};

/// A session to open.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewSession {
    pub id: String,
    /// `staff:<id>` or `diner:<uid>`.
    pub subject: String,
    /// The staff account (None for a diner).
    pub staff: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A session as a request checks it, with its staff account as it is now.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct SessionRow {
    pub subject: String,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// For staff: the account's state now (None: the account is gone).
    pub staff_active: Option<bool>,
    pub staff_role: Option<String>,
    pub staff_merchant: Option<String>,
}

/// Opens a session.
pub async fn open(db: &Db, session: &NewSession) -> DbResult<()> {
    let response = db
        .query(
            "CREATE type::record('session', $s.id) CONTENT {
                 subject: $s.subject,
                 staff: IF $s.staff THEN type::record('staff', $s.staff) END,
                 expires_at: $s.expires_at } RETURN NONE",
        )
        .bind(("s", session.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// One key read: the session and, for staff, the account it belongs to.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<SessionRow>> {
    let response = db
        .query(
            "SELECT subject, expires_at, ended_at, staff.active AS staff_active,
                 staff.role AS staff_role,
                 IF staff.merchant THEN record::id(staff.merchant) END AS staff_merchant
             FROM type::record('session', $id)",
        )
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Ends one session (sign-out); ending an ended one changes nothing.
pub async fn end(db: &Db, id: &str, at: DateTime<Utc>) -> DbResult<()> {
    let response = db
        .query(
            "UPDATE type::record('session', $id) SET ended_at = $at
                 WHERE ended_at = NONE RETURN NONE",
        )
        .bind(("id", id.to_owned()))
        .bind(("at", at))
        .await?;
    checked(response)?;
    Ok(())
}

/// Ends every open session of `subject`; returns their ids (to close their sockets).
pub async fn end_all_of(db: &Db, subject: &str, at: DateTime<Utc>) -> DbResult<Vec<String>> {
    let response = db
        .query(
            "UPDATE session SET ended_at = $at
                 WHERE subject = $subject AND ended_at = NONE
                 RETURN VALUE record::id(id)",
        )
        .bind(("subject", subject.to_owned()))
        .bind(("at", at))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Deletes sessions that expired before `before`, at most `batch` per call; returns how
/// many (the purge worker calls it until fewer than `batch` go).
pub async fn purge_expired(db: &Db, before: DateTime<Utc>, batch: u32) -> DbResult<usize> {
    let response = db
        .query(batch::step(
            "session WHERE expires_at < $before",
            "DELETE $ids RETURN NONE",
        ))
        .bind(("before", before))
        .bind(("batch", i64::from(batch)))
        .await?;
    batch::picked(response)
}
