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

/// What the engine and the AI read of a shop: its name, IANA time zone and margin floor.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Profile {
    pub name: String,
    pub timezone: String,
    pub margin_floor: i64,
}

/// A merchant's name, time zone and margin floor, if the merchant exists.
pub async fn profile(db: &Db, id: &str) -> DbResult<Option<Profile>> {
    let response = db
        .query(
            "SELECT name, timezone, margin_floor ?? 40 AS margin_floor
             FROM ONLY type::record('merchant', $id)",
        )
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

/// The shop's settings as its owner edits them (where it is: `rules::shop_location`).
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Settings {
    pub name: String,
    pub timezone: String,
    pub address: Option<String>,
    /// The margin (percent) every AI proposal must keep.
    pub margin_floor: i64,
    /// The counter prints a receipt after each collection or recharge.
    pub auto_print: bool,
    /// One of the shop's pictures (an `asset` id).
    pub logo: Option<String>,
}

/// A merchant's settings, if the merchant exists.
pub async fn settings(db: &Db, id: &str) -> DbResult<Option<Settings>> {
    let response = db
        .query(
            "SELECT name, timezone, address, margin_floor ?? 40 AS margin_floor,
                 auto_print ?? false AS auto_print, logo
             FROM ONLY type::record('merchant', $id)",
        )
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Saves a merchant's settings; whether the merchant exists.
#[tracing::instrument(skip(db, settings))]
pub async fn save_settings(db: &Db, id: &str, settings: Settings) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('merchant', $id) SET name = $s.name, timezone = $s.timezone,
                 address = $s.address, margin_floor = $s.margin_floor,
                 auto_print = $s.auto_print, logo = $s.logo
             RETURN VALUE record::id(id)",
        )
        .bind(("id", id.to_owned()))
        .bind(("s", settings))
        .await?;
    let saved: Vec<String> = checked(response)?.take(0)?;
    Ok(!saved.is_empty())
}
