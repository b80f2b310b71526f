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
