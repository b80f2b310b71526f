//! Numbers published events: woken by the LIVE query on `event_pending`, it runs one
//! numbering transaction per recipient with news waiting, a few recipients at a time.
//!
//! Every process runs one. Two of them numbering the same recipient conflict on its counter
//! and one retries (finding nothing left), so numbers stay gap-free with any number of
//! processes, and a process that dies leaves its pending events to the others (and to its
//! own next start, which numbers everything still waiting).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use db::Db;
use futures::{Stream, StreamExt};
use tokio::task::{Id, JoinSet};

use crate::service::with_retries;

/// Recipients numbered at the same time.
const PARALLEL: usize = 8;

/// Events one transaction numbers; more waiting means another round.
const BATCH: u32 = 256;

/// How long to wait before opening the LIVE query again after losing it.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// Numbers events until dropped.
pub async fn run(db: Db) {
    loop {
        match db::events::live_pending(&db).await {
            Ok(published) => {
                // Whatever was published while no LIVE query listened (start-up, reconnect).
                let waiting = match db::events::pending_recipients(&db).await {
                    Ok(recipients) => recipients,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot list pending events");
                        Vec::new()
                    }
                };
                number_as_published(&db, waiting, published).await;
                tracing::warn!("live pending events ended; opening them again");
            }
            Err(err) => tracing::warn!(error = %err, "cannot open live pending events"),
        }
        tokio::time::sleep(REOPEN_AFTER).await;
    }
}

/// Numbers `waiting`'s events, then every recipient `published` names, until it ends. A
/// recipient is numbered by one task at a time; named again meanwhile, it runs once more.
async fn number_as_published(
    db: &Db,
    waiting: Vec<String>,
    published: impl Stream<Item = db::DbResult<String>>,
) {
    let mut due: HashSet<String> = waiting.into_iter().collect();
    let mut running: HashMap<Id, String> = HashMap::new();
    let mut tasks = JoinSet::new();
    futures::pin_mut!(published);
    loop {
        while tasks.len() < PARALLEL {
            let Some(next) = due.iter().find(|r| !running.values().any(|x| x == *r)) else {
                break;
            };
            let recipient = next.clone();
            due.remove(&recipient);
            let handle = tasks.spawn(number_all(db.clone(), recipient.clone()));
            running.insert(handle.id(), recipient);
        }
        tokio::select! {
            event = published.next() => match event {
                Some(Ok(recipient)) => {
                    due.insert(recipient);
                }
                Some(Err(err)) => {
                    tracing::warn!(error = %err, "live pending events failed");
                    return;
                }
                None => return,
            },
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(err) => err.id(),
                };
                running.remove(&id);
            }
        }
    }
}

/// Numbers everything `recipient` has waiting, batch by batch.
async fn number_all(db: Db, recipient: String) {
    loop {
        let numbered =
            with_retries(|| async { Ok(db::events::sequence(&db, &recipient, BATCH).await?) })
                .await;
        match numbered {
            Ok(events) if events.len() >= usize::try_from(BATCH).unwrap_or(usize::MAX) => {}
            Ok(_) => return,
            // Conflicting all along means another process is numbering them.
            Err(err) => {
                tracing::warn!(error = %err, recipient, "cannot number events");
                return;
            }
        }
    }
}
