//! Numbers published events: woken by the LIVE query on `event_pending`, it numbers the
//! oldest pending events of all recipients in one transaction, batch after batch, until none
//! is left. Everything published while a batch runs waits for the next one, so under load a
//! single transaction numbers the news of many changes.
//!
//! Every process runs one. Two of them numbering at once conflict on the same counters or
//! rows and one retries, so numbers stay gap-free with any number of processes; a process
//! that dies leaves its pending events to the others (and to its own next start, which
//! numbers everything still waiting).

use std::time::Duration;

use db::Db;
use futures::{FutureExt, Stream, StreamExt};

use crate::service::with_retries;

/// Events one transaction numbers at most.
const BATCH: u32 = 256;

/// How long to wait before numbering again after a failure.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// How long to wait before opening the LIVE query again after losing it.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// Numbers events until dropped.
pub async fn run(db: Db) {
    loop {
        match db::events::live_pending(&db).await {
            Ok(published) => {
                number_as_published(&db, published).await;
                tracing::warn!("live pending events ended; opening them again");
            }
            Err(err) => tracing::warn!(error = %err, "cannot open live pending events"),
        }
        tokio::time::sleep(REOPEN_AFTER).await;
    }
}

/// Numbers what is pending now (published while nobody listened), then again each time
/// `published` reports more, until it ends.
async fn number_as_published(db: &Db, published: impl Stream<Item = db::DbResult<Vec<String>>>) {
    futures::pin_mut!(published);
    loop {
        // Until everything waiting is numbered: a failure must not leave the last events of a
        // quiet moment waiting for the next change.
        while !number_all(db).await {
            tokio::time::sleep(RETRY_AFTER).await;
        }
        match published.next().await {
            Some(Ok(_)) => {}
            Some(Err(err)) => {
                tracing::warn!(error = %err, "live pending events failed");
                return;
            }
            None => return,
        }
        // Everything already reported is numbered by the next round anyway.
        while let Some(Some(Ok(_))) = published.next().now_or_never() {}
    }
}

/// Numbers batches until fewer than a full one were waiting; false if it had to stop (it
/// says why in the log). Start-up calls it too, after writing demo data.
pub async fn number_all(db: &Db) -> bool {
    loop {
        let numbered =
            with_retries(|| async { Ok(db::events::number_pending(db, BATCH).await?) }).await;
        match numbered {
            Ok(count) if count >= usize::try_from(BATCH).unwrap_or(usize::MAX) => {}
            Ok(_) => return true,
            Err(err) => {
                tracing::warn!(error = %err, "cannot number events; trying again");
                return false;
            }
        }
    }
}
