//! The work queue: claimed with a lease, completed once with the work, failures given back
//! with a backoff and dead-lettered, partitions shared fairly between processes.

mod common;

use common::seeded_db;
use db::queue::{self, Completion, EVENTS, MAX_ATTEMPTS, NewItem, Queue};
use db::{Db, Rejection};

/// A queue of the tests' own, so nothing else works it.
const WORK: Queue = Queue {
    name: "test_work",
    partitions: 4,
};

fn item(key: &str, n: usize) -> NewItem {
    NewItem::new(WORK, key, serde_json::json!({ "n": n }))
}

/// Everything ready in `WORK`, claimed by `owner` partition by partition.
async fn claim_all(db: &Db, owner: &str, lease_ms: u64) -> Vec<queue::Claimed> {
    let mut all = Vec::new();
    for partition in 0..WORK.partitions {
        all.extend(
            queue::claim(db, WORK, &[partition], owner, 100, lease_ms)
                .await
                .expect("claim"),
        );
    }
    all
}

async fn complete(db: &Db, done: &Completion) -> db::DbResult<()> {
    queue::complete(db, done).await
}

#[tokio::test]
async fn a_claimed_item_is_nobody_elses_until_its_lease_expires() {
    let db = seeded_db().await;
    queue::enqueue(&db, &[item("k", 1)]).await.expect("enqueue");
    let first = claim_all(&db, "a", 60_000).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    assert!(claim_all(&db, "b", 60_000).await.is_empty(), "leased to a");

    // a's lease is short this time: once it expires, b may have the item.
    queue::enqueue(&db, &[item("k", 2)]).await.expect("enqueue");
    let short = claim_all(&db, "a", 1).await;
    assert_eq!(short.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let taken = claim_all(&db, "b", 60_000).await;
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2, "the attempt that died counts");
    // a comes back to complete it: refused, b has it now.
    let refused = complete(&db, &Completion::of("a", &short)).await;
    assert_eq!(
        refused.expect_err("lease lost").rejection(),
        Some(&Rejection::LeaseLost)
    );
    complete(&db, &Completion::of("b", &taken))
        .await
        .expect("b completes");
    let figures = queue::figures(&db, WORK).await.expect("figures");
    assert_eq!((figures.pending, figures.reclaimed), (1, 1));
}

#[tokio::test]
async fn an_item_is_completed_once_however_often_it_is_completed() {
    let db = seeded_db().await;
    queue::enqueue(&db, &[item("k", 1)]).await.expect("enqueue");
    let claimed = claim_all(&db, "a", 60_000).await;
    let done = Completion::of("a", &claimed);
    complete(&db, &done).await.expect("completed");
    let again = complete(&db, &done).await;
    assert_eq!(
        again.expect_err("already done").rejection(),
        Some(&Rejection::LeaseLost)
    );
    assert_eq!(queue::figures(&db, WORK).await.expect("figures").pending, 0);
}

#[tokio::test]
async fn a_poison_item_goes_to_the_dead_letters_and_the_rest_keep_flowing() {
    let db = seeded_db().await;
    // Same key: same partition, poison first.
    let items: Vec<NewItem> = (0..5).map(|n| item("shop", n)).collect();
    queue::enqueue(&db, &items).await.expect("enqueue");
    let mut completed = Vec::new();
    for _round in 0..MAX_ATTEMPTS + 2 {
        for claimed in claim_all(&db, "worker", 60_000).await {
            if claimed.payload["n"] == 0 {
                queue::fail(&db, "worker", &[claimed.id], "cannot render", 0)
                    .await
                    .expect("given back");
            } else {
                complete(
                    &db,
                    &Completion::of("worker", std::slice::from_ref(&claimed)),
                )
                .await
                .expect("completed");
                completed.push(claimed.payload["n"].clone());
            }
        }
    }
    assert_eq!(
        completed,
        [1, 2, 3, 4],
        "the rest flowed on the first round"
    );
    let dead = queue::dead(&db, WORK, 10).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload["n"], 0);
    assert_eq!(dead[0].error, "cannot render");
    assert_eq!(dead[0].attempts, MAX_ATTEMPTS);
    let figures = queue::figures(&db, WORK).await.expect("figures");
    assert_eq!((figures.pending, figures.dead), (0, 1));

    // An operator re-drives it: it is worked again from its first attempt.
    assert!(queue::redrive(&db, &dead[0].id).await.expect("redrive"));
    assert!(!queue::redrive(&db, &dead[0].id).await.expect("once"));
    let back = claim_all(&db, "worker", 60_000).await;
    assert_eq!(back.len(), 1);
    assert_eq!(
        (back[0].payload["n"].clone(), back[0].attempts),
        (0.into(), 1)
    );
}

#[tokio::test]
async fn a_failed_item_waits_its_backoff_while_the_others_flow() {
    let db = seeded_db().await;
    queue::enqueue(&db, &[item("shop", 0), item("shop", 1)])
        .await
        .expect("enqueue");
    let claimed = claim_all(&db, "w", 60_000).await;
    let (first, second) = (&claimed[0], &claimed[1]);
    queue::fail(
        &db,
        "w",
        std::slice::from_ref(&first.id),
        "busy outside",
        60_000,
    )
    .await
    .expect("given back");
    complete(&db, &Completion::of("w", std::slice::from_ref(second)))
        .await
        .expect("completed");
    assert!(
        claim_all(&db, "w", 60_000).await.is_empty(),
        "waits its minute"
    );
    assert_eq!(queue::figures(&db, WORK).await.expect("figures").pending, 1);
}

#[tokio::test]
async fn processes_share_the_partitions_fairly_and_take_over_from_one_that_left() {
    let db = seeded_db().await;
    let lease = 60_000;
    let a = queue::share(&db, EVENTS, "a", lease).await.expect("a");
    assert_eq!(a.len(), 16, "alone, a works every partition");
    let b = queue::share(&db, EVENTS, "b", lease).await.expect("b");
    assert!(b.is_empty(), "all held by a");
    let a = queue::share(&db, EVENTS, "a", lease)
        .await
        .expect("a again");
    assert_eq!(a.len(), 8, "a gives back what is over its share");
    let b = queue::share(&db, EVENTS, "b", lease)
        .await
        .expect("b again");
    assert_eq!(b.len(), 8);
    assert!(a.iter().all(|p| !b.contains(p)), "{a:?} {b:?}");

    queue::leave(&db, EVENTS, "a").await.expect("a leaves");
    let b = queue::share(&db, EVENTS, "b", lease)
        .await
        .expect("b alone");
    assert_eq!(b.len(), 16, "b takes a's at once");
}

#[tokio::test]
async fn partitions_claimed_together_give_each_partitions_oldest_items_up_to_the_limit() {
    let db = seeded_db().await;
    // Keys of two different partitions, four items each, interleaved.
    let keys: Vec<String> = (0..)
        .map(|k| format!("key-{k}"))
        .scan(Vec::<u32>::new(), |seen, key| {
            let partition = queue::partition_of(&key, WORK.partitions);
            let fresh = !seen.contains(&partition);
            seen.push(partition);
            Some(fresh.then_some(key))
        })
        .flatten()
        .take(2)
        .collect();
    for n in 0..8 {
        let key = &keys[n % 2];
        queue::enqueue(&db, &[item(key, n)]).await.expect("enqueue");
    }
    let partitions: Vec<u32> = keys
        .iter()
        .map(|key| queue::partition_of(key, WORK.partitions))
        .collect();
    // Three of each partition at most.
    let first = queue::claim(&db, WORK, &partitions, "a", 3, 60_000)
        .await
        .expect("claim");
    let numbers = |items: &[queue::Claimed]| -> Vec<i64> {
        items
            .iter()
            .map(|item| item.payload["n"].as_i64().expect("n"))
            .collect()
    };
    assert_eq!(
        numbers(&first),
        [0, 1, 2, 3, 4, 5],
        "oldest first, across both"
    );
    let rest = queue::claim(&db, WORK, &partitions, "a", 3, 60_000)
        .await
        .expect("claim");
    assert_eq!(numbers(&rest), [6, 7]);
    let other: Vec<u32> = (0..WORK.partitions)
        .filter(|p| !partitions.contains(p))
        .collect();
    queue::enqueue(&db, &[item(&keys[0], 8)])
        .await
        .expect("enqueue");
    assert!(
        queue::claim(&db, WORK, &other, "a", 5, 60_000)
            .await
            .expect("claim")
            .is_empty(),
        "only the partitions named"
    );
}
