//! The requests with an Idempotency-Key this process is running now, so a duplicate that
//! arrives meanwhile is told so (409) at once instead of racing the first.
//!
//! This is only the fast path: a duplicate sent to another process still cannot have a
//! second effect, because the answer is stored in the effect's own transaction.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The set of running requests, shared by every handler of the process.
#[derive(Clone, Debug, Default)]
pub struct InFlight(Arc<Mutex<HashSet<String>>>);

/// A running request; dropping it (reply sent, or the handler cancelled) ends it.
#[derive(Debug)]
pub struct Running {
    set: InFlight,
    id: String,
}

impl InFlight {
    /// Marks `id` as running, or `None` when it already is.
    pub fn start(&self, id: String) -> Option<Running> {
        let fresh = self.lock().insert(id.clone());
        fresh.then(|| Running {
            set: self.clone(),
            id,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set holds plain strings: a panic elsewhere cannot leave it inconsistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.set.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_runs_once_at_a_time_and_can_run_again_after() {
        let set = InFlight::default();
        let first = set.start("a".into());
        assert!(first.is_some());
        assert!(set.start("a".into()).is_none());
        assert!(set.start("b".into()).is_some());
        drop(first);
        assert!(set.start("a".into()).is_some());
    }
}
