//! Changes to tables as they commit, without their contents: what keeps in-memory caches
//! of those tables honest (a cache forgets on any change and reads again).

use futures::{Stream, StreamExt};
use surrealdb::types::SurrealValue;

use crate::{Db, DbResult};

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Changed {
    id: surrealdb::types::RecordId,
}

/// One item per row created, updated or deleted in any of `tables`, from now on.
pub async fn changes(
    db: &Db,
    tables: &'static [&'static str],
) -> DbResult<impl Stream<Item = DbResult<()>> + Send + use<>> {
    let mut response = db
        .query(
            tables
                .iter()
                .map(|table| format!("LIVE SELECT id FROM {table};"))
                .collect::<String>(),
        )
        .await?;
    let mut streams = Vec::with_capacity(tables.len());
    for index in 0..tables.len() {
        let stream = response.stream::<surrealdb::Notification<Changed>>(index)?;
        streams.push(stream.map(|notification| notification.map(|_| ()).map_err(Into::into)));
    }
    Ok(futures::stream::select_all(streams))
}
