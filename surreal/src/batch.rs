//! Work over many rows in bounded steps (purges, expiry): each step is one short
//! transaction that picks at most `$batch` record ids, acts on them, and says how many it
//! picked. A worker repeats it until a step picks fewer than `$batch`, so a backlog (after a
//! long stop) never becomes one transaction holding every row in memory.

use surrealdb::IndexedResults;

use crate::DbResult;
use crate::error::checked;

/// The statement of one step: the ids `SELECT VALUE id FROM <from> LIMIT $batch` are `$ids`,
/// `act` works on them (e.g. `DELETE $ids RETURN NONE`). Bind `$batch` and `from`'s own
/// parameters; read the answer with [`picked`].
pub(crate) fn step(from: &str, act: &str) -> String {
    format!(
        "BEGIN TRANSACTION;
         LET $ids = SELECT VALUE id FROM {from} LIMIT $batch;
         {act};
         RETURN array::len($ids);
         COMMIT TRANSACTION;"
    )
}

/// How many ids a [`step`] picked (fewer than `$batch`: none are left).
pub(crate) fn picked(response: IndexedResults) -> DbResult<usize> {
    // Statement 3 is the RETURN (BEGIN is statement 0).
    let picked: Option<i64> = checked(response)?.take(3)?;
    Ok(picked
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_default())
}
