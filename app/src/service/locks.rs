//! Per-record serialisation inside one process.
//!
//! Correctness never depends on this: every write is guarded in the database and retried on
//! conflict, which is what keeps several app processes safe. But when many requests of one
//! process hit the same hot record (one wallet, one card, one stock counter), letting them
//! collide in the database only to retry wastes work and ends in BUSY answers. Queuing them
//! here first turns a conflict storm into an orderly line.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use tokio::sync::{Mutex, MutexGuard};

/// Enough stripes that unrelated records rarely share one; a fixed array needs no clean-up.
const STRIPES: usize = 1024;

static LOCKS: LazyLock<Vec<Mutex<()>>> =
    LazyLock::new(|| (0..STRIPES).map(|_| Mutex::new(())).collect());

/// Waits for, then holds, the lock of the record named `key` (e.g. `wallet:demo:uid`).
pub async fn hold(key: &str) -> MutexGuard<'static, ()> {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    let stripe = usize::try_from(hasher.finish()).unwrap_or_default() % STRIPES;
    LOCKS
        .get(stripe)
        .expect("a stripe index below STRIPES")
        .lock()
        .await
}
