//! A per-shop read kept in memory while a LIVE query says nothing it came from changed:
//! every process's copy is emptied as soon as any such row is saved, so processes agree
//! within moments (the process that saved empties its own at once, so it reads its write). Moments are not enough for money: whoever decides from a cached read
//! checks what it relied on again in its transaction. While the LIVE query is down,
//! nothing is kept and every read goes to the database.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::error::AppError;

#[derive(Debug)]
struct Inner<T> {
    /// Whether the LIVE query is open (only then may anything be kept).
    live: bool,
    /// Bumped by every emptying: a read begun before one is not kept after it.
    generation: u64,
    shops: HashMap<String, Arc<T>>,
}

impl<T> Default for Inner<T> {
    fn default() -> Self {
        Self {
            live: false,
            generation: 0,
            shops: HashMap::new(),
        }
    }
}

/// The cache (cheap to clone: one shared map).
#[derive(Debug)]
pub struct ShopCache<T> {
    inner: Arc<RwLock<Inner<T>>>,
}

impl<T> Clone for ShopCache<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Default for ShopCache<T> {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
        }
    }
}

impl<T> ShopCache<T> {
    /// The shop's value, from memory when it is kept, else `load`ed (and kept if nothing
    /// changed meanwhile).
    pub async fn get<F, Fut>(&self, merchant: &str, load: F) -> Result<Arc<T>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let (live, generation) = match self.inner.read() {
            Ok(inner) => {
                if let Some(found) = inner.shops.get(merchant) {
                    return Ok(found.clone());
                }
                (inner.live, inner.generation)
            }
            Err(_) => (false, 0),
        };
        let value = Arc::new(load().await?);
        if live
            && let Ok(mut inner) = self.inner.write()
            && inner.live
            && inner.generation == generation
        {
            inner.shops.insert(merchant.to_owned(), value.clone());
        }
        Ok(value)
    }

    /// Whether values are being kept (the LIVE query is open).
    pub fn is_live(&self) -> bool {
        self.inner.read().is_ok_and(|inner| inner.live)
    }

    /// Whether the shop's value is kept now.
    pub fn holds(&self, merchant: &str) -> bool {
        self.inner
            .read()
            .is_ok_and(|inner| inner.shops.contains_key(merchant))
    }

    /// Forgets everything (something was saved somewhere).
    pub fn empty(&self) {
        if let Ok(mut inner) = self.inner.write() {
            inner.generation += 1;
            inner.shops.clear();
        }
    }

    fn set_live(&self, live: bool) {
        if let Ok(mut inner) = self.inner.write() {
            inner.live = live;
            inner.generation += 1;
            inner.shops.clear();
        }
    }

    /// Keeps the cache honest until dropped: empties it on every change `open` reports,
    /// and keeps nothing while that LIVE query is down (opened again after a pause).
    pub async fn watch<S, Open, Opened>(&self, what: &'static str, open: Open)
    where
        Open: Fn() -> Opened,
        Opened: Future<Output = db::DbResult<S>>,
        S: Stream<Item = db::DbResult<()>>,
    {
        loop {
            match open().await {
                Ok(stream) => {
                    self.set_live(true);
                    let mut stream = Box::pin(stream);
                    while let Some(change) = stream.next().await {
                        match change {
                            Ok(()) => self.empty(),
                            Err(err) => {
                                tracing::warn!(what, error = %err, "a cache's LIVE query failed");
                                break;
                            }
                        }
                    }
                    self.set_live(false);
                }
                Err(err) => tracing::warn!(what, error = %err, "cannot open a cache's LIVE query"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
