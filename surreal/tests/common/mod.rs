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
