//! Payment orders against real SurrealDB: the open-order cap holds under concurrency, expired
//! codes are closed in batches, and a schema ASSERT is a fault, not an outage.

mod common;

use chrono::{Duration, Utc};
use common::seeded_db;
use db::payment::{self, NewPayment};
use db::{Outcome, Rejection};
use rust_decimal::Decimal;

fn order(uid: &str, amount: &str, expires_in: Duration) -> NewPayment {
    let id = uuid::Uuid::new_v4().simple().to_string();
    NewPayment {
        code: format!("66{}", id.chars().take(16).collect::<String>()),
        id,
        merchant: "demo".into(),
        uid: uid.into(),
        amount: amount.parse::<Decimal>().expect("decimal"),
        card: None,
        expires_at: Utc::now() + expires_in,
    }
}

#[tokio::test]
async fn the_open_order_cap_holds_when_orders_are_created_at_once() {
    let db = seeded_db().await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                // Retried on conflict, as the service does.
                loop {
                    let new = order("d1", "1", Duration::minutes(10));
                    match payment::create(&db, &new, 3, Utc::now(), &Outcome::none()).await {
                        Err(err) if err.is_retryable() => continue,
                        other => return other,
                    }
                }
            })
        })
        .collect();
    let (mut made, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => made += 1,
            Err(err) if err.rejection() == Some(&Rejection::TooManyOpen) => refused += 1,
            Err(err) => panic!("unexpected: {err}"),
        }
    }
    assert_eq!((made, refused), (3, 7));
}

#[tokio::test]
async fn expired_orders_are_closed_in_bounded_batches_and_open_ones_stay() {
    let db = seeded_db().await;
    let now = Utc::now();
    for _ in 0..3 {
        let due = order("d1", "1", Duration::minutes(-1));
        payment::create(&db, &due, 10, now - Duration::minutes(11), &Outcome::none())
            .await
            .expect("an order made earlier");
    }
    let open = order("d1", "1", Duration::minutes(10));
    payment::create(&db, &open, 10, now, &Outcome::none())
        .await
        .expect("an open order");
    let rounds = [
        payment::expire_pending(&db, now, 2).await.expect("first"),
        payment::expire_pending(&db, now, 2).await.expect("second"),
        payment::expire_pending(&db, now, 2).await.expect("third"),
    ];
    assert_eq!(rounds, [2, 1, 0]);
    let statuses: Vec<String> = db
        .query("SELECT VALUE status FROM payment ORDER BY status")
        .await
        .expect("query")
        .take(0)
        .expect("statuses");
    assert_eq!(statuses, ["EXPIRED", "EXPIRED", "EXPIRED", "PENDING"]);
}

#[tokio::test]
async fn a_write_refused_by_a_schema_assert_is_a_fault_not_an_outage() {
    let db = seeded_db().await;
    // A negative amount only reaches the database through a bug: the schema refuses it.
    let bad = order("d1", "-5", Duration::minutes(10));
    let err = payment::create(&db, &bad, 10, Utc::now(), &Outcome::none())
        .await
        .expect_err("refused by the schema");
    assert!(!err.is_unavailable(), "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(err.rejection(), None);
    assert!(payment::get(&db, &bad.id).await.expect("read").is_none());
}

#[test]
fn only_a_lost_connection_or_a_timeout_is_an_outage() {
    use db::surrealdb::types::{ConnectionError, QueryError};
    let unavailable = [
        db::surrealdb::Error::connection("lost".into(), ConnectionError::ConnectionFailed),
        db::surrealdb::Error::query(
            "slow".into(),
            QueryError::TimedOut {
                duration: std::time::Duration::from_secs(5),
            },
        ),
    ];
    for err in unavailable {
        assert!(db::DbError::from(err).is_unavailable());
    }
    let faults = [
        db::surrealdb::Error::internal("assert".into()),
        db::surrealdb::Error::query("conflict".into(), QueryError::TransactionConflict),
    ];
    for err in faults {
        assert!(!db::DbError::from(err).is_unavailable());
    }
}
