//! Shared set-up for the database tests.

#![allow(dead_code)]

use db::{ConnectOptions, Db, connect};

pub fn options(url: String) -> ConnectOptions {
    ConnectOptions {
        url,
        namespace: "test".into(),
        database: format!("t{}", uuid::Uuid::new_v4().simple()),
        credentials: None,
    }
}

/// A fresh in-memory database, not migrated.
pub async fn memory_db() -> Db {
    connect(&options("mem://".into()))
        .await
        .expect("mem:// connects")
}

/// A fresh in-memory database with the schema and the demo data.
pub async fn seeded_db() -> Db {
    let db = memory_db().await;
    db::migrations::migrate(&db).await.expect("migrates");
    db::seed::demo_data(&db).await.expect("seeds");
    db
}

/// A fresh SurrealKV database in a temp dir (fsync on commit) with the schema and demo data;
/// keep the dir alive as long as the database.
pub async fn seeded_disk_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("surrealkv://{}/db", dir.path().display());
    let db = connect(&options(url)).await.expect("surrealkv connects");
    db::migrations::migrate(&db).await.expect("migrates");
    db::seed::demo_data(&db).await.expect("seeds");
    (db, dir)
}

/// Numbers up to `limit` waiting events as a sequencer does, as `owner`: claims them
/// partition by partition and numbers each claimed batch with its completion (a conflict
/// with another sequencer is retried with the same items).
pub async fn number_pending_as(db: &Db, owner: &str, limit: u32) -> db::DbResult<usize> {
    use db::queue::{self, Completion, EVENTS};
    let mut numbered = 0_usize;
    for partition in 0..EVENTS.partitions {
        let left = limit.saturating_sub(u32::try_from(numbered).unwrap_or(u32::MAX));
        if left == 0 {
            break;
        }
        let claimed = queue::claim(db, EVENTS, &[partition], owner, left, 30_000).await?;
        if claimed.is_empty() {
            continue;
        }
        let done = Completion::of(owner, &claimed);
        loop {
            match db::events::number(db, &done).await {
                Ok(n) => {
                    numbered += n;
                    break;
                }
                Err(err) if err.is_retryable() => tokio::task::yield_now().await,
                Err(err) => return Err(err),
            }
        }
    }
    Ok(numbered)
}

/// [`number_pending_as`] as the one sequencer of a test.
pub async fn number_pending(db: &Db, limit: u32) -> db::DbResult<usize> {
    number_pending_as(db, "test-sequencer", limit).await
}
