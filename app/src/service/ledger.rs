//! Reading the ledger for statements.

use db::ledger::LedgerEntry;

use crate::error::AppError;
use crate::model::ledger::{LedgerLine, MAX_LINES};
use crate::state::AppState;

/// The newest `limit` entries (default 50, at most `MAX_LINES`) of a diner at a merchant.
pub async fn lines(
    state: &AppState,
    merchant: &str,
    uid: &str,
    limit: Option<u32>,
) -> Result<Vec<LedgerLine>, AppError> {
    let db = &state.db;
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LINES {
        return Err(AppError::Invalid(format!(
            "limit: between 1 and {MAX_LINES}"
        )));
    }
    let entries = db::ledger::for_diner(db, merchant, uid, limit).await?;
    Ok(entries.into_iter().map(line).collect())
}

fn line(entry: LedgerEntry) -> LedgerLine {
    let change = entry.assets_change;
    LedgerLine {
        txn_id: entry.txn_id,
        kind: entry.kind.as_str().to_owned(),
        amount: entry.amount.to_string(),
        principal_change: change.principal.map(|d| d.to_string()),
        bonus_change: change.bonus.map(|d| d.to_string()),
        silver_change: change.silver,
        fragments_change: change.fragments,
        cards: change.cards,
        staff: entry.staff,
        at: entry.timestamp,
    }
}
