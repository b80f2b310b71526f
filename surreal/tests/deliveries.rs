//! Provider callbacks' deliveries against real SurrealDB: the first record of an id stays,
//! and old ones are purged in bounded batches.

mod common;

use chrono::{Duration, Utc};
use common::seeded_db;
use db::agent::DeliveryRow;

fn row(outcome: &str) -> DeliveryRow {
    DeliveryRow {
        thread: "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20".into(),
        job: "img-1".into(),
        outcome: outcome.into(),
    }
}

#[tokio::test]
async fn a_delivery_is_recorded_once_and_forgotten_after_its_day() {
    let db = seeded_db().await;
    assert_eq!(db::agent::delivery(&db, "msg_1").await.expect("read"), None);
    db::agent::record_delivery(&db, "msg_1", &row("RESUMED"))
        .await
        .expect("recorded");
    db::agent::record_delivery(&db, "msg_1", &row("ALREADY"))
        .await
        .expect("ignored");
    assert_eq!(
        db::agent::delivery(&db, "msg_1").await.expect("read"),
        Some(row("RESUMED"))
    );
    for id in ["msg_2", "msg_3"] {
        db::agent::record_delivery(&db, id, &row("ALREADY"))
            .await
            .expect("recorded");
    }
    let yesterday = Utc::now() - Duration::days(1);
    assert_eq!(
        db::agent::purge_deliveries(&db, yesterday, 10)
            .await
            .expect("purged"),
        0
    );
    let soon = Utc::now() + Duration::seconds(1);
    assert_eq!(
        db::agent::purge_deliveries(&db, soon, 2)
            .await
            .expect("purged"),
        2
    );
    assert_eq!(
        db::agent::purge_deliveries(&db, soon, 2)
            .await
            .expect("purged"),
        1
    );
    assert_eq!(db::agent::delivery(&db, "msg_1").await.expect("read"), None);
    assert!(
        db::agent::record_delivery(&db, "msg_4", &row("LOST"))
            .await
            .is_err(),
        "an outcome the schema does not know"
    );
}
