//! Merchants (restaurants): the tenants.

use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A merchant as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct MerchantSummary {
    /// The record key (`merchant:<id>`).
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// All merchants, oldest first.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db) -> DbResult<Vec<MerchantSummary>> {
    let response = db
        .query(
            "SELECT record::id(id) AS id, name, timezone, created_at FROM merchant \
             ORDER BY created_at",
        )
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Creates the merchant `merchant:<id>` or updates its name and time zone.
#[tracing::instrument(skip(db))]
pub async fn upsert(db: &Db, id: &str, name: &str, timezone: &str) -> DbResult<()> {
    let response = db
        .query("UPSERT type::record('merchant', $id) MERGE { name: $name, timezone: $timezone }")
        .bind(("id", id.to_owned()))
        .bind(("name", name.to_owned()))
        .bind(("timezone", timezone.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// What the engine shows of a shop: its name and IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Profile {
    pub name: String,
    pub timezone: String,
}

/// A merchant's name and time zone, if the merchant exists.
pub async fn profile(db: &Db, id: &str) -> DbResult<Option<Profile>> {
    let response = db
        .query("SELECT name, timezone FROM ONLY type::record('merchant', $id)")
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A merchant's IANA time zone (e.g. `Asia/Shanghai`), if the merchant exists.
pub async fn timezone(db: &Db, id: &str) -> DbResult<Option<String>> {
    let response = db
        .query("SELECT VALUE timezone FROM type::record('merchant', $id)")
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A merchant's name, if the merchant exists.
#[tracing::instrument(skip(db))]
pub async fn name(db: &Db, id: &str) -> DbResult<Option<String>> {
    let response = db
        .query("SELECT VALUE name FROM type::record('merchant', $id)")
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}
