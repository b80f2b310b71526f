//! One durable work queue for every kind of background work (real-time events to number,
//! later rule triggers and agent runs).
//!
//! - **Produced in the change's transaction**: a change binds its items (`Outcome`) and
//!   [`ENQUEUE`] writes them with its effect, so an item exists exactly when the change
//!   committed.
//! - **Partitioned**: an item's key (a merchant, a recipient, a thread) picks one of the
//!   queue's partitions ([`partition_of`]). Each partition is worked by one process at a time
//!   ([`share`]: a lease per partition, renewed while the process lives, the partitions
//!   shared fairly among the live processes), so processes share the load instead of racing.
//! - **Claimed with a lease**: [`claim`] gives a partition's oldest ready items to their
//!   worker for a while (`owner`, `until`) and counts the attempt. A process that dies leaves
//!   them to the next owner once the lease expires ("reclaimed", counted).
//! - **Completed with the effect**: the consumer's transaction holds its effect and
//!   [`COMPLETE`], which checks the lease and deletes the items: both commit or neither, and
//!   an item is completed once (two completions write the same rows; one fails).
//! - **Failures wait, then die**: [`fail`] releases items with a backoff, so the items behind
//!   them flow; after [`MAX_ATTEMPTS`] an item moves to `queue_dead` with its last error,
//!   where an operator sees it and can [`redrive`] it.

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use surrealdb::Notification;
use surrealdb::types::{Action, SurrealValue};

use crate::error::checked;
use crate::{Db, DbResult};

/// Attempts before an item is moved to the dead letters.
pub const MAX_ATTEMPTS: i64 = 5;

/// A kind of work: its name and how many partitions share it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub name: &'static str,
    pub partitions: u32,
}

/// The real-time events to number (partitioned by their first recipient).
pub const EVENTS: Queue = Queue {
    name: "events",
    partitions: 16,
};

/// Not a queue of items: its one partition is the lease of the process that runs the
/// purges and expiries that touch many rows, so they run in one process at a time.
pub const HOUSEKEEPING: Queue = Queue {
    name: "housekeeping",
    partitions: 1,
};

/// The partition of `key` among `partitions`: a stable hash, the same in every process
/// and every build.
pub fn partition_of(key: &str, partitions: u32) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    let mut head = [0_u8; 4];
    head.copy_from_slice(digest.get(..4).unwrap_or(&[0; 4]));
    u32::from_be_bytes(head) % partitions.max(1)
}

/// An item to enqueue.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewItem {
    pub queue: String,
    pub partition: i64,
    pub key: String,
    pub payload: serde_json::Value,
}

impl NewItem {
    /// An item of `queue` for `key` (which picks its partition).
    pub fn new(queue: Queue, key: &str, payload: serde_json::Value) -> Self {
        Self {
            queue: queue.name.to_owned(),
            partition: i64::from(partition_of(key, queue.partitions)),
            key: key.to_owned(),
            payload,
        }
    }
}

/// Statements that write each of `$items`; inside a change's transaction they exist exactly
/// when the change committed.
pub(crate) const ENQUEUE: &str = "
    FOR $item IN $items ?? [] {
        CREATE queue_item CONTENT {
            queue: $item.queue, partition: $item.partition, key: $item.key,
            payload: $item.payload
        } RETURN NONE;
    };
";

/// Enqueues items in a transaction of their own (work with no other write).
pub async fn enqueue(db: &Db, items: &[NewItem]) -> DbResult<()> {
    let response = db
        .query(format!("BEGIN TRANSACTION;{ENQUEUE}COMMIT TRANSACTION;"))
        .bind(("items", items.to_vec()))
        .await?;
    checked(response)?;
    Ok(())
}

/// An item given to a worker: do its work, then complete it with [`COMPLETE`] in the
/// work's transaction (binding [`Completion`]).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Claimed {
    pub id: String,
    pub key: String,
    pub payload: serde_json::Value,
    /// 1 on the first claim.
    pub attempts: i64,
    pub at: DateTime<Utc>,
}

/// Claims the oldest ready items of each of `partitions` (at most `limit` of each) for
/// `owner`, for `lease_ms`, in one transaction (the partitions a wake-up names are claimed
/// and worked together: one commit instead of one per partition). Oldest first; each
/// partition's items stay in their order. Items that failed [`MAX_ATTEMPTS`] times (a process died on them each time)
/// move to the dead letters instead.
pub async fn claim(
    db: &Db,
    queue: Queue,
    partitions: &[u32],
    owner: &str,
    limit: u32,
    lease_ms: u64,
) -> DbResult<Vec<Claimed>> {
    // One indexed read per partition (its number written in, as the index needs it).
    let each = partitions
        .iter()
        .map(|partition| {
            format!(
                "(SELECT id, attempts, owner, at FROM queue_item
                     WHERE queue = $queue AND partition = {partition} AND not_before <= $now
                         AND (owner IS NONE OR until < $now)
                     ORDER BY at, id LIMIT $limit)"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let response = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $now = time::now();
             LET $each = [{each}];
             LET $ready = SELECT * FROM array::flatten($each) ORDER BY at, id;
             FOR $item IN $ready[WHERE attempts >= $max_attempts] {{
                 LET $full = (SELECT * FROM ONLY $item.id);
                 CREATE queue_dead CONTENT {{
                     queue: $full.queue, partition: $full.partition, key: $full.key,
                     payload: $full.payload, at: $full.at, attempts: $full.attempts,
                     error: $full.last_error ?? 'the worker stopped while working on it'
                 }} RETURN NONE;
                 DELETE $item.id RETURN NONE;
             }};
             LET $live = $ready[WHERE attempts < $max_attempts];
             LET $reclaimed = array::len($live[WHERE owner IS NOT NONE]);
             IF $reclaimed > 0 {{
                 UPSERT type::record('queue_reclaimed', $queue)
                     SET n = (n ?? 0) + $reclaimed RETURN NONE;
             }};
             LET $claimed = UPDATE $live.id SET owner = $owner,
                     until = $now + duration::from_millis($lease_ms), attempts += 1
                 RETURN AFTER;
             RETURN SELECT record::id(id) AS id, key, payload, attempts, at FROM $claimed
                 ORDER BY at, id;
             COMMIT TRANSACTION;"
        ))
        .bind(("queue", queue.name))
        .bind(("owner", owner.to_owned()))
        .bind(("limit", i64::from(limit)))
        .bind(("lease_ms", i64::try_from(lease_ms).unwrap_or(i64::MAX)))
        .bind(("max_attempts", MAX_ATTEMPTS))
        .await?;
    // Statement 9 is the RETURN (BEGIN is statement 0).
    Ok(checked(response)?.take(9)?)
}

/// What [`COMPLETE`] reads: the items done, and whose lease must still hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub owner: String,
    pub ids: Vec<String>,
}

impl Completion {
    pub fn of(owner: &str, items: &[Claimed]) -> Self {
        Self {
            owner: owner.to_owned(),
            ids: items.iter().map(|item| item.id.clone()).collect(),
        }
    }

    /// Binds `$owner` and `$done` for [`COMPLETE`].
    pub fn bind<'r, C: surrealdb::Connection>(
        &self,
        query: surrealdb::method::Query<'r, C>,
    ) -> surrealdb::method::Query<'r, C> {
        query
            .bind(("owner", self.owner.clone()))
            .bind(("done", self.ids.clone()))
    }
}

/// Statements that complete the items `$done` of `$owner` inside the work's transaction
/// (four statements; bind them with [`Completion::bind`]): refused (`THROW 'LEASE_LOST'`) unless every one is still there and
/// leased to the owner, then deleted. `$work` holds them as read here, oldest first: the
/// work decides from them, not from what was claimed earlier. Two completions of one item
/// write the same row, so only one commits.
pub const COMPLETE: &str = "
    LET $done_items = $done.map(|$id| type::record('queue_item', $id));
    LET $work = SELECT * FROM $done_items WHERE owner = $owner AND until > time::now()
        ORDER BY at, id;
    IF array::len($work) != array::len($done_items) { THROW 'LEASE_LOST' };
    DELETE $done_items RETURN NONE;
";

/// Completes items whose work wrote nothing else (its effect was outside, keyed by the
/// items' ids), in a transaction of its own.
pub async fn complete(db: &Db, done: &Completion) -> DbResult<()> {
    let response = done
        .bind(db.query(format!("BEGIN TRANSACTION;{COMPLETE}COMMIT TRANSACTION;")))
        .await?;
    checked(response)?;
    Ok(())
}

/// Gives items back after their work failed with `error`: each waits `backoff_ms` × its
/// attempts before it is claimed again (the items behind it flow meanwhile); one that has
/// had [`MAX_ATTEMPTS`] moves to the dead letters. Only items still leased to `owner`.
pub async fn fail(
    db: &Db,
    owner: &str,
    ids: &[String],
    error: &str,
    backoff_ms: u64,
) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $now = time::now();
             LET $targets = $ids.map(|$id| type::record('queue_item', $id));
             LET $items = SELECT * FROM $targets WHERE owner = $owner;
             FOR $item IN $items[WHERE attempts >= $max_attempts] {
                 CREATE queue_dead CONTENT {
                     queue: $item.queue, partition: $item.partition, key: $item.key,
                     payload: $item.payload, at: $item.at, attempts: $item.attempts,
                     error: $error
                 } RETURN NONE;
                 DELETE $item.id RETURN NONE;
             };
             FOR $item IN $items[WHERE attempts < $max_attempts] {
                 UPDATE $item.id SET owner = NONE, until = NONE, last_error = $error,
                     not_before = $now + duration::from_millis($backoff_ms * $item.attempts)
                     RETURN NONE;
             };
             COMMIT TRANSACTION;",
        )
        .bind(("owner", owner.to_owned()))
        .bind(("ids", ids.to_vec()))
        .bind(("error", error.to_owned()))
        .bind(("backoff_ms", i64::try_from(backoff_ms).unwrap_or(i64::MAX)))
        .bind(("max_attempts", MAX_ATTEMPTS))
        .await?;
    checked(response)?;
    Ok(())
}

/// An item that failed too often, as an operator sees it.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DeadItem {
    pub id: String,
    pub queue: String,
    pub key: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub error: String,
    pub at: DateTime<Utc>,
    pub died: DateTime<Utc>,
}

/// The dead letters of `queue`, oldest first (at most `limit`).
pub async fn dead(db: &Db, queue: Queue, limit: u32) -> DbResult<Vec<DeadItem>> {
    let response = db
        .query(
            "SELECT record::id(id) AS id, queue, key, payload, attempts, error, at, died
             FROM queue_dead WHERE queue = $queue ORDER BY died LIMIT $limit",
        )
        .bind(("queue", queue.name))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Puts a dead item back on its queue with its attempts reset (an operator fixed the cause);
/// false when there is no such dead item.
pub async fn redrive(db: &Db, id: &str) -> DbResult<bool> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $dead = (SELECT * FROM ONLY type::record('queue_dead', $id));
             IF $dead != NONE {
                 CREATE queue_item CONTENT {
                     queue: $dead.queue, partition: $dead.partition, key: $dead.key,
                     payload: $dead.payload, at: $dead.at
                 } RETURN NONE;
                 DELETE $dead.id RETURN NONE;
             };
             RETURN $dead != NONE;
             COMMIT TRANSACTION;",
        )
        .bind(("id", id.to_owned()))
        .await?;
    let found: Option<bool> = checked(response)?.take(3)?;
    Ok(found.unwrap_or_default())
}

/// A queue's figures, for logs now and metrics later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    /// Items not yet completed (ready, leased or waiting after a failure).
    pub pending: u64,
    /// How long the oldest of them has waited (zero when none).
    pub oldest_age_ms: u64,
    pub dead: u64,
    /// Claims of items whose lease had expired under another owner, since the start.
    pub reclaimed: u64,
}

#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct RawFigures {
    pending: i64,
    oldest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    dead: i64,
    reclaimed: i64,
}

/// The [`Figures`] of `queue`, read in one round trip.
pub async fn figures(db: &Db, queue: Queue) -> DbResult<Figures> {
    let response = db
        .query(
            "RETURN {
                 pending: (SELECT VALUE count() FROM queue_item WHERE queue = $queue GROUP ALL)[0] ?? 0,
                 oldest: (SELECT VALUE at FROM queue_item WHERE queue = $queue ORDER BY at LIMIT 1)[0],
                 now: time::now(),
                 dead: (SELECT VALUE count() FROM queue_dead WHERE queue = $queue GROUP ALL)[0] ?? 0,
                 reclaimed: type::record('queue_reclaimed', $queue).n ?? 0
             };",
        )
        .bind(("queue", queue.name))
        .await?;
    let raw: Option<RawFigures> = checked(response)?.take(0)?;
    let Some(raw) = raw else {
        return Ok(Figures::default());
    };
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    Ok(Figures {
        pending: count(raw.pending),
        oldest_age_ms: raw
            .oldest
            .and_then(|oldest| u64::try_from((raw.now - oldest).num_milliseconds()).ok())
            .unwrap_or_default(),
        dead: count(raw.dead),
        reclaimed: count(raw.reclaimed),
    })
}

/// Who holds the partitions of a queue now, and how many processes work it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holders {
    /// Live processes working the queue (at least the one asking).
    pub workers: u32,
    /// Partitions leased to the one asking.
    pub mine: Vec<u32>,
    /// Partitions leased to others.
    pub others: Vec<u32>,
}

/// What a process does with its partition leases: keep (renew) some, release the ones over
/// its fair share, take free ones up to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeasePlan {
    pub keep: Vec<u32>,
    pub release: Vec<u32>,
    pub take: Vec<u32>,
}

/// The fair share of `partitions` among the live workers: each holds at most
/// ⌈partitions / workers⌉, keeps what it has up to that, and takes free partitions (the
/// lowest first) up to it. Pure, so every process decides the same way.
pub fn plan_leases(partitions: u32, holders: &Holders) -> LeasePlan {
    let share = partitions.div_ceil(holders.workers.max(1));
    let fair = usize::try_from(share).unwrap_or(usize::MAX);
    let mut mine = holders.mine.clone();
    mine.sort_unstable();
    let release = mine.split_off(mine.len().min(fair));
    let wanted = fair.saturating_sub(mine.len());
    let take = (0..partitions)
        .filter(|p| !mine.contains(p) && !release.contains(p) && !holders.others.contains(p))
        .take(wanted)
        .collect();
    LeasePlan {
        keep: mine,
        release,
        take,
    }
}

#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Lease {
    partition: i64,
    owner: String,
}

/// Registers `owner` as a live worker of `queue` for `lease_ms`, and renews, releases and
/// takes partition leases by [`plan_leases`]; returns the partitions `owner` now holds.
/// Two processes taking the same free partition at once conflict, and one fails: it tries
/// again at its next round.
pub async fn share(db: &Db, queue: Queue, owner: &str, lease_ms: u64) -> DbResult<Vec<u32>> {
    let lease_ms = i64::try_from(lease_ms).unwrap_or(i64::MAX);
    let response = db
        .query(
            "BEGIN TRANSACTION;
             UPSERT type::record('queue_worker', [$queue, $owner])
                 SET queue = $queue, owner = $owner,
                     until = time::now() + duration::from_millis($lease_ms) RETURN NONE;
             DELETE queue_worker WHERE queue = $queue AND until < time::now() - 1h;
             RETURN {
                 workers: (SELECT VALUE count() FROM queue_worker
                     WHERE queue = $queue AND until > time::now() GROUP ALL)[0] ?? 1,
                 leases: SELECT partition, owner FROM queue_lease
                     WHERE queue = $queue AND until > time::now()
             };
             COMMIT TRANSACTION;",
        )
        .bind(("queue", queue.name))
        .bind(("owner", owner.to_owned()))
        .bind(("lease_ms", lease_ms))
        .await?;
    #[derive(Debug, Clone, PartialEq, SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Seen {
        workers: i64,
        leases: Vec<Lease>,
    }
    let seen: Option<Seen> = checked(response)?.take(3)?;
    let seen = seen.unwrap_or(Seen {
        workers: 1,
        leases: Vec::new(),
    });
    let partition = |lease: &Lease| u32::try_from(lease.partition).ok();
    let holders = Holders {
        workers: u32::try_from(seen.workers).unwrap_or(1).max(1),
        mine: seen
            .leases
            .iter()
            .filter(|lease| lease.owner == owner)
            .filter_map(partition)
            .collect(),
        others: seen
            .leases
            .iter()
            .filter(|lease| lease.owner != owner)
            .filter_map(partition)
            .collect(),
    };
    let plan = plan_leases(queue.partitions, &holders);
    let to_i64 = |ps: &[u32]| ps.iter().map(|&p| i64::from(p)).collect::<Vec<_>>();
    // Taking a partition is guarded: someone may have taken it since the read above.
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $until = time::now() + duration::from_millis($lease_ms);
             FOR $p IN $keep {
                 UPDATE type::record('queue_lease', [$queue, $p]) SET until = $until
                     WHERE owner = $owner RETURN NONE;
             };
             FOR $p IN $release {
                 UPDATE type::record('queue_lease', [$queue, $p]) SET until = time::now()
                     WHERE owner = $owner RETURN NONE;
             };
             FOR $p IN $take {
                 LET $lease = type::record('queue_lease', [$queue, $p]);
                 IF $lease.until > time::now() AND $lease.owner != $owner { THROW 'STALE' };
                 UPSERT $lease SET queue = $queue, partition = $p, owner = $owner,
                     until = $until RETURN NONE;
             };
             COMMIT TRANSACTION;",
        )
        .bind(("queue", queue.name))
        .bind(("owner", owner.to_owned()))
        .bind(("lease_ms", lease_ms))
        .bind(("keep", to_i64(&plan.keep)))
        .bind(("release", to_i64(&plan.release)))
        .bind(("take", to_i64(&plan.take)))
        .await?;
    checked(response)?;
    let mut held = plan.keep;
    held.extend(plan.take);
    held.sort_unstable();
    Ok(held)
}

/// Gives up every partition lease of `owner` at once (a process stopping), so the others
/// take them at their next round instead of waiting for the leases to expire.
pub async fn leave(db: &Db, queue: Queue, owner: &str) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             UPDATE queue_lease SET until = time::now()
                 WHERE queue = $queue AND owner = $owner RETURN NONE;
             DELETE type::record('queue_worker', [$queue, $owner]) RETURN NONE;
             COMMIT TRANSACTION;",
        )
        .bind(("queue", queue.name))
        .bind(("owner", owner.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Enqueued {
    queue: String,
    partition: i64,
}

/// The partitions of `queue` that items are enqueued in from now on, as the database
/// reports them: the fast wake-up (the sweep is the guarantee). Ends when the connection
/// is lost.
pub async fn live_enqueued(
    db: &Db,
    queue: Queue,
) -> DbResult<impl Stream<Item = DbResult<u32>> + Send + use<>> {
    // The name is ours (a constant), written into the query: a LIVE query's condition is
    // kept by the database, beyond this request's parameters.
    let mut response = db
        .query(format!(
            "LIVE SELECT queue, partition FROM queue_item WHERE queue = '{}'",
            queue.name
        ))
        .await?;
    let stream = response.stream::<Notification<Enqueued>>(0)?;
    Ok(stream.filter_map(|notification| async move {
        match notification {
            Ok(n) if n.action == Action::Create => u32::try_from(n.data.partition).ok().map(Ok),
            Ok(_) => None,
            Err(err) => Some(Err(err.into())),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holders(workers: u32, mine: &[u32], others: &[u32]) -> Holders {
        Holders {
            workers,
            mine: mine.to_vec(),
            others: others.to_vec(),
        }
    }

    #[test]
    fn a_lone_worker_takes_every_partition() {
        let plan = plan_leases(4, &holders(1, &[], &[]));
        assert_eq!(plan.take, [0, 1, 2, 3]);
        assert!(plan.keep.is_empty() && plan.release.is_empty());
    }

    #[test]
    fn a_second_worker_gets_half_as_the_first_gives_back_its_extra() {
        // The first holds all four; a second arrives.
        let first = plan_leases(4, &holders(2, &[0, 1, 2, 3], &[]));
        assert_eq!((first.keep, first.release), (vec![0, 1], vec![2, 3]));
        // The second sees 0 and 1 held, 2 and 3 released.
        let second = plan_leases(4, &holders(2, &[], &[0, 1]));
        assert_eq!(second.take, [2, 3]);
    }

    #[test]
    fn nobody_takes_more_than_a_fair_share_or_what_another_holds() {
        let plan = plan_leases(16, &holders(3, &[5], &[0, 1, 2, 3, 4, 6]));
        // ⌈16 / 3⌉ = 6: keeps 5, takes five free ones.
        assert_eq!(plan.keep, [5]);
        assert_eq!(plan.take, [7, 8, 9, 10, 11]);
        assert!(plan.release.is_empty());
    }

    #[test]
    fn partitions_are_stable_and_spread() {
        assert_eq!(
            partition_of("merchant:demo", 16),
            partition_of("merchant:demo", 16)
        );
        let used: std::collections::BTreeSet<u32> = (0..200)
            .map(|n| partition_of(&format!("diner:{n}"), 16))
            .collect();
        assert_eq!(used.len(), 16, "200 keys reach every partition");
        assert!((0..50).all(|n| partition_of(&format!("k{n}"), 1) == 0));
    }
}
