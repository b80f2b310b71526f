//! The shops' active campaigns, kept in memory so a trigger is decided without reading them
//! again; every process's cache is emptied by its LIVE query on the `campaign` table as soon
//! as any campaign is saved, so processes agree within moments. Moments are not enough for
//! money: the decision's transaction checks each fired campaign's version and status again
//! (`STALE` if it changed), and a refused decision empties the cache before it is retried.
//! While the LIVE query is down, nothing is cached: every decision reads the campaigns.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use db::rules::CampaignRow;
use futures::StreamExt;

use crate::error::AppError;
use crate::state::AppState;

/// A shop's active campaigns as read.
pub type Active = Arc<Vec<CampaignRow>>;

#[derive(Debug, Default)]
struct Inner {
    /// Whether the LIVE query is open (only then may anything be kept).
    live: bool,
    /// Bumped by every emptying: a read begun before one is not kept after it.
    generation: u64,
    shops: HashMap<String, Active>,
}

/// The cache (cheap to clone: one shared map).
#[derive(Debug, Clone, Default)]
pub struct ActiveCampaigns {
    inner: Arc<RwLock<Inner>>,
}

impl ActiveCampaigns {
    /// The shop's active campaigns, from memory when the cache holds them.
    pub async fn of(&self, db: &db::Db, merchant: &str) -> Result<Active, AppError> {
        let (live, generation) = match self.inner.read() {
            Ok(inner) => {
                if let Some(found) = inner.shops.get(merchant) {
                    return Ok(found.clone());
                }
                (inner.live, inner.generation)
            }
            Err(_) => (false, 0),
        };
        let rows: Active = Arc::new(db::rules::campaigns(db, merchant, Some("ACTIVE")).await?);
        if live
            && let Ok(mut inner) = self.inner.write()
            && inner.live
            && inner.generation == generation
        {
            inner.shops.insert(merchant.to_owned(), rows.clone());
        }
        Ok(rows)
    }

    /// Whether campaigns are being kept (the LIVE query is open).
    pub fn is_live(&self) -> bool {
        self.inner.read().is_ok_and(|inner| inner.live)
    }

    /// Whether the shop's campaigns are kept now.
    pub fn holds(&self, merchant: &str) -> bool {
        self.inner
            .read()
            .is_ok_and(|inner| inner.shops.contains_key(merchant))
    }

    /// Forgets everything (a campaign was saved somewhere).
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
}

/// Keeps the process's cache honest until dropped: empties it on every saved campaign, and
/// stops caching while the LIVE query is down (opened again after a pause).
pub async fn watch(state: AppState) {
    loop {
        match db::rules::live_campaigns(&state.db).await {
            Ok(stream) => {
                state.campaigns.set_live(true);
                let mut stream = Box::pin(stream);
                while let Some(change) = stream.next().await {
                    match change {
                        Ok(()) => state.campaigns.empty(),
                        Err(err) => {
                            tracing::warn!(error = %err, "the campaigns' LIVE query failed");
                            break;
                        }
                    }
                }
                state.campaigns.set_live(false);
            }
            Err(err) => tracing::warn!(error = %err, "cannot open the campaigns' LIVE query"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
