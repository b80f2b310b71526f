//! Demo data for `make run`: safe to apply on every start (it only creates what is missing).

use crate::{Db, DbResult, merchant};

/// The demo restaurant's record key.
pub const DEMO_MERCHANT_ID: &str = "demo";

/// Seeds the demo restaurant.
#[tracing::instrument(skip_all)]
pub async fn demo_data(db: &Db) -> DbResult<()> {
    merchant::upsert(db, DEMO_MERCHANT_ID, "老成都川菜馆", "Asia/Shanghai").await
}
