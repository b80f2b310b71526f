//! Demo data for `make run`: safe to apply on every start (it only creates what is missing
//! and resets the demo catalogue to its defined values).

use rust_decimal::Decimal;

use crate::catalog::{self, TierRow};
use crate::{Db, DbResult, merchant};

/// The demo restaurant's record key.
pub const DEMO_MERCHANT_ID: &str = "demo";

/// Seeds the demo restaurant and its catalogue.
#[tracing::instrument(skip_all)]
pub async fn demo_data(db: &Db) -> DbResult<()> {
    merchant::upsert(db, DEMO_MERCHANT_ID, "老成都川菜馆", "Asia/Shanghai").await?;
    for (code, label, pay, bonus) in [
        ("T100", "充100送20", 100, 20),
        ("T300", "充300送80", 300, 80),
    ] {
        let tier = TierRow {
            code: code.to_owned(),
            label: label.to_owned(),
            pay: Decimal::new(pay, 0),
            bonus: Decimal::new(bonus, 0),
            active: true,
        };
        catalog::upsert_recharge_tier(db, DEMO_MERCHANT_ID, &tier).await?;
    }
    Ok(())
}
