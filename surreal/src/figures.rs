//! The shops' day figures (`figures_day`), rolled up from the ledger: what the figures
//! worker reads to compute a day, and what it stores for the dashboard.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use strum::VariantArray;
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::events::NewEvent;
use crate::ledger::{LedgerEntry, LedgerType};
use crate::queue::ENQUEUE;
use crate::{Db, DbResult};

/// A day's figures as stored.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DayRow {
    /// The shop-local day, `YYYY-MM-DD`.
    pub day: String,
    pub figures: serde_json::Value,
    pub closed: bool,
    pub at: DateTime<Utc>,
}

const DAY_FIELDS: &str = "day, figures, closed, at";

/// `statement` once per ledger type (`$type` in it named): each is one range of the
/// ledger's (merchant, type, time) index. Statement `i` answers for `LedgerType::VARIANTS[i]`.
fn per_type(statement: &str) -> String {
    LedgerType::VARIANTS
        .iter()
        .map(|kind| {
            format!(
                "{};",
                statement.replace("$type", &format!("'{}'", kind.as_str()))
            )
        })
        .collect()
}

/// Entries read at once, a page of one type's range.
const PAGE: i64 = 2_000;

/// A merchant's ledger entries written in `[from, to)`, oldest first, from the ledger's
/// (merchant, type, time) index: each type's range read in pages ordered by time from
/// `from` until a page reaches `to`. SurrealDB (3.3) scans the index by one bound of a range
/// only and filters by the other, so `timestamp >= $from AND timestamp < $to` would read
/// every later entry too — a year's catch-up then reads the ledger half a year over — while
/// an ordered, limited scan stops at its limit: a day costs its own entries.
pub async fn entries(
    db: &Db,
    merchant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<LedgerEntry>> {
    let mut all = Vec::new();
    for kind in LedgerType::VARIANTS {
        // Where the next page starts: a time, and how many entries of that very time were
        // read already (any number may share one).
        let (mut cursor, mut skip) = (from, 0_i64);
        loop {
            let response = db
                .query(
                    "SELECT * OMIT id FROM ledger WHERE merchant_id = $merchant AND type = $type \
                     AND timestamp >= $cursor ORDER BY timestamp LIMIT $page START $skip",
                )
                .bind(("merchant", merchant.to_owned()))
                .bind(("type", kind.as_str().to_owned()))
                .bind(("cursor", cursor))
                .bind(("page", PAGE))
                .bind(("skip", skip))
                .await?;
            let page: Vec<LedgerEntry> = checked(response)?.take(0)?;
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= PAGE;
            let mut reached = false;
            for entry in page {
                if entry.timestamp >= to {
                    reached = true;
                    break;
                }
                if entry.timestamp == cursor {
                    skip += 1;
                } else {
                    (cursor, skip) = (entry.timestamp, 1);
                }
                all.push(entry);
            }
            if reached || !full {
                break;
            }
        }
    }
    all.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.txn_id.cmp(&b.txn_id)));
    Ok(all)
}

/// When the merchant's first entry at or after `from` was written, if any.
pub async fn next_entry_at(
    db: &Db,
    merchant: &str,
    from: DateTime<Utc>,
) -> DbResult<Option<DateTime<Utc>>> {
    let mut response = checked(
        db.query(per_type(
            "SELECT VALUE timestamp FROM ledger WHERE merchant_id = $merchant AND type = $type \
             AND timestamp >= $from ORDER BY timestamp LIMIT 1",
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("from", from))
        .await?,
    )?;
    let mut first: Option<DateTime<Utc>> = None;
    for index in 0..LedgerType::VARIANTS.len() {
        let found: Vec<DateTime<Utc>> = response.take(index)?;
        first = found.into_iter().chain(first).min();
    }
    Ok(first)
}

/// The card type of each card of `uuids` (uuid → type code).
pub async fn card_types(db: &Db, uuids: Vec<String>) -> DbResult<BTreeMap<String, String>> {
    if uuids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let response = db
        .query(
            "SELECT VALUE [record::id(id), record::id(card_type)[1]]
             FROM array::map($uuids, |$uuid| type::record('card', $uuid))",
        )
        .bind(("uuids", uuids))
        .await?;
    let pairs: Vec<Vec<String>> = checked(response)?.take(0)?;
    Ok(pairs
        .into_iter()
        .filter_map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([uuid, kind]) => Some((uuid, kind)),
            Err(_) => None,
        })
        .collect())
}

/// The tokens the merchant's AI used in `[from, to)`.
pub async fn tokens(
    db: &Db,
    merchant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<i64> {
    let response = db
        .query(
            "RETURN math::sum(SELECT VALUE prompt_tokens + completion_tokens FROM model_usage
                 WHERE merchant = $merchant AND at >= $from AND at < $to)",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("from", from))
        .bind(("to", to))
        .await?;
    let sum: Option<i64> = checked(response)?.take(0)?;
    Ok(sum.unwrap_or(0))
}

/// Stores a day's figures (a day computed again replaces its row) with the `news` of
/// them, in one transaction.
pub async fn store(
    db: &Db,
    merchant: &str,
    day: &str,
    figures: serde_json::Value,
    closed: bool,
    news: &[NewEvent],
) -> DbResult<()> {
    let response = db
        .query(format!(
            "BEGIN TRANSACTION;
             UPSERT type::record('figures_day', [$merchant, $day]) CONTENT {{
                 merchant: $merchant, day: $day, figures: $figures, closed: $closed,
                 at: time::now()
             }} RETURN NONE;
             {ENQUEUE}
             COMMIT TRANSACTION;"
        ))
        .bind(("items", news.iter().map(NewEvent::item).collect::<Vec<_>>()))
        .bind(("merchant", merchant.to_owned()))
        .bind(("day", day.to_owned()))
        .bind(("figures", figures))
        .bind(("closed", closed))
        .await?;
    checked(response)?;
    Ok(())
}

/// The merchant's stored days from `from` to `to` (both included, `YYYY-MM-DD`), oldest
/// first.
pub async fn days(db: &Db, merchant: &str, from: &str, to: &str) -> DbResult<Vec<DayRow>> {
    let response = db
        .query(format!(
            "SELECT {DAY_FIELDS} FROM figures_day
             WHERE merchant = $merchant AND day >= $from AND day <= $to ORDER BY day"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("from", from.to_owned()))
        .bind(("to", to.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The merchant's last stored day before `day`, closed or not (`closed_only`: the last
/// closed one).
///
/// The days are read forward by their record ids (`figures_day:[merchant, day]`, a range of
/// the table's own keys) and the last one taken. `ORDER BY day DESC LIMIT 1` on the index
/// would be a backward index scan, which SurrealDB 3.3 on SurrealKV walks from far beyond
/// its range: half a second on a shop with a million ledger entries (docs/benchmarks.md),
/// against a few milliseconds for a year of days read forward.
pub async fn before(
    db: &Db,
    merchant: &str,
    day: &str,
    closed_only: bool,
) -> DbResult<Option<DayRow>> {
    let response = db
        .query(format!(
            "LET $days = SELECT VALUE day FROM figures_day:[$merchant, '']..[$merchant, $day]
                 WHERE closed OR !$closed_only;
             SELECT {DAY_FIELDS} FROM ONLY type::record('figures_day', [$merchant, $days.last()]);"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("day", day.to_owned()))
        .bind(("closed_only", closed_only))
        .await?;
    Ok(checked(response)?.take(1)?)
}
