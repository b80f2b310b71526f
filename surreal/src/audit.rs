//! What the books are checked against: every account the ledger or the balances know, and
//! the ledger's sums of each. Read-only; `app::service::audit` compares.

use std::collections::BTreeMap;

use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A diner at a merchant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Account {
    pub merchant: String,
    pub uid: String,
}

/// Every (merchant, diner) with a ledger entry, a wallet or a holding.
pub async fn accounts(db: &Db) -> DbResult<Vec<Account>> {
    let response = db
        .query(
            "SELECT merchant_id AS merchant, user_uid AS uid FROM ledger \
                 GROUP BY merchant, uid;
             SELECT record::id(merchant) AS merchant, uid FROM wallet;
             SELECT record::id(merchant) AS merchant, uid FROM holding GROUP BY merchant, uid;",
        )
        .await?;
    let mut response = checked(response)?;
    let mut all: Vec<Account> = Vec::new();
    for statement in 0..3 {
        let found: Vec<Account> = response.take(statement)?;
        all.extend(found);
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// The fragments the ledger says a diner holds at a merchant (zero counts left out).
pub async fn fragment_sum(db: &Db, merchant: &str, uid: &str) -> DbResult<BTreeMap<String, i64>> {
    let response = db
        .query(
            "SELECT VALUE assets_change.fragments FROM ledger \
             WHERE user_uid = $uid AND merchant_id = $merchant AND assets_change.fragments != NONE",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    let changes: Vec<BTreeMap<String, i64>> = checked(response)?.take(0)?;
    let mut held = BTreeMap::new();
    for change in changes {
        for (fragment, count) in change {
            *held.entry(fragment).or_insert(0) += count;
        }
    }
    held.retain(|_, count| *count != 0);
    Ok(held)
}

/// The silver the ledger says a diner holds (silver is the diner's, across merchants).
pub async fn silver_sum(db: &Db, uid: &str) -> DbResult<i64> {
    let response = db
        .query(
            "SELECT VALUE assets_change.silver FROM ledger \
             WHERE user_uid = $uid AND assets_change.silver != NONE",
        )
        .bind(("uid", uid.to_owned()))
        .await?;
    let changes: Vec<i64> = checked(response)?.take(0)?;
    Ok(changes.into_iter().sum())
}

/// How many ledger entries there are.
pub async fn entries(db: &Db) -> DbResult<u64> {
    let response = db.query("RETURN count(SELECT id FROM ledger)").await?;
    let count: Option<u64> = checked(response)?.take(0)?;
    Ok(count.unwrap_or(0))
}

/// The diners holding silver.
pub async fn silver_holders(db: &Db) -> DbResult<Vec<String>> {
    let response = db
        .query("SELECT VALUE record::id(id) FROM diner WHERE silver != NONE AND silver != 0")
        .await?;
    Ok(checked(response)?.take(0)?)
}
