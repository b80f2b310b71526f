//! Payment orders against real SurrealDB: the open-order cap holds under concurrency, and
//! expired codes are closed in batches.

mod common;

use chrono::{Duration, Utc};
use common::seeded_db;
use db::Outcome;
use db::payment::{self, NewPayment, TOO_MANY_OPEN};
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
            Err(err) if err.rejection() == Some(TOO_MANY_OPEN) => refused += 1,
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
