//! WeChat Run: the session key each diner's latest WeChat login gave, and the steps counted
//! for each of their days (with the rule engine's `STEPS_SYNCED` trigger when they rose).

use chrono::NaiveDate;
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::queue::ENQUEUE;
use crate::rules::NewTrigger;
use crate::{Db, DbResult};

/// Keeps the session key of `uid`'s login (Base64), replacing the one before.
pub async fn save_key(db: &Db, uid: &str, key: &str) -> DbResult<()> {
    let response = db
        .query("UPSERT type::record('werun_key', $uid) CONTENT { key: $key } RETURN NONE")
        .bind(("uid", uid.to_owned()))
        .bind(("key", key.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// The session key of `uid`'s latest WeChat login, if they logged in through WeChat.
pub async fn key(db: &Db, uid: &str) -> DbResult<Option<String>> {
    let mut response = checked(
        db.query("SELECT VALUE key FROM ONLY type::record('werun_key', $uid)")
            .bind(("uid", uid.to_owned()))
            .await?,
    )?;
    Ok(response.take::<Option<String>>(0)?)
}

/// A sync's count of one day's steps.
#[derive(Debug, Clone, PartialEq)]
pub struct StepsSync {
    pub uid: String,
    pub day: NaiveDate,
    pub steps: i64,
    /// Enqueued only when the day's steps rose.
    pub trigger: NewTrigger,
}

/// What a sync changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Synced {
    /// The day's steps before this sync.
    pub before: i64,
    /// The day's steps now (never less than before: an older reading changes nothing).
    pub steps: i64,
    /// The diner's steps over all days.
    pub total: i64,
}

/// Records a sync in one transaction: when the day's steps rose, the day's count, the rise
/// added to the diner's `stats.total_steps`, and the trigger. Two syncs of one day at once
/// write the same record, so one of them conflicts and is tried again, and reads the other.
pub async fn record(db: &Db, sync: &StepsSync) -> DbResult<Synced> {
    let mut response = checked(
        db.query(format!(
            "BEGIN TRANSACTION;
             LET $row = type::record('steps_day', [$uid, $day]);
             LET $diner = type::record('diner', $uid);
             LET $before = (SELECT VALUE steps FROM ONLY $row) ?? 0;
             LET $items = IF $steps > $before {{
                 UPSERT $row CONTENT {{ steps: $steps }} RETURN NONE;
                 UPDATE $diner SET stats.total_steps += $steps - $before RETURN NONE;
                 $rose
             }} ELSE {{ [] }};
             {ENQUEUE}
             RETURN {{
                 before: $before,
                 steps: math::max([$before, $steps]),
                 total: (SELECT VALUE stats.total_steps FROM ONLY $diner) ?? 0
             }};
             COMMIT TRANSACTION;"
        ))
        .bind(("uid", sync.uid.clone()))
        .bind(("day", sync.day.to_string()))
        .bind(("steps", sync.steps))
        .bind(("rose", vec![sync.trigger.item()]))
        .await?,
    )?;
    // Statement 6 is the RETURN (BEGIN is statement 0; ENQUEUE is one FOR).
    let synced: Option<Synced> = response.take(6)?;
    Ok(synced.unwrap_or(Synced {
        before: 0,
        steps: 0,
        total: 0,
    }))
}

/// All the steps counted for `uid` (0 for nobody).
pub async fn total(db: &Db, uid: &str) -> DbResult<i64> {
    let mut response = checked(
        db.query("SELECT VALUE stats.total_steps FROM ONLY type::record('diner', $uid)")
            .bind(("uid", uid.to_owned()))
            .await?,
    )?;
    Ok(response.take::<Option<i64>>(0)?.unwrap_or_default())
}

/// The steps counted for `uid` on `day` (0 before their first sync of it).
pub async fn of_day(db: &Db, uid: &str, day: NaiveDate) -> DbResult<i64> {
    let mut response = checked(
        db.query("SELECT VALUE steps FROM ONLY type::record('steps_day', [$uid, $day])")
            .bind(("uid", uid.to_owned()))
            .bind(("day", day.to_string()))
            .await?,
    )?;
    Ok(response.take::<Option<i64>>(0)?.unwrap_or_default())
}
