//! Staff accounts: `staff:<id>`, one merchant each, logging in by username.

use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A staff account as stored (with its password hash: never leaves the server).
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StaffRow {
    pub id: String,
    pub merchant: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub active: bool,
}

/// The account with this username (usernames are stored lower-case).
pub async fn by_username(db: &Db, username: &str) -> DbResult<Option<StaffRow>> {
    let response = db
        .query(
            "SELECT record::id(id) AS id, record::id(merchant) AS merchant, username, \
             display_name, password_hash, role, active FROM staff WHERE username = $username LIMIT 1",
        )
        .bind(("username", username.to_lowercase()))
        .await?;
    let mut rows: Vec<StaffRow> = checked(response)?.take(0)?;
    Ok(rows.pop())
}

/// Creates the account `staff:<id>` unless it exists.
pub async fn ensure(db: &Db, staff: &StaffRow) -> DbResult<()> {
    let response = db
        .query(
            "IF record::exists(type::record('staff', $s.id)) = false {
                 CREATE type::record('staff', $s.id) CONTENT {
                     merchant: type::record('merchant', $s.merchant), username: $s.username,
                     display_name: $s.display_name, password_hash: $s.password_hash,
                     role: $s.role, active: $s.active } RETURN NONE
             }",
        )
        .bind(("s", staff.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Enables or disables an account; false when there is no such account.
pub async fn set_active(db: &Db, id: &str, active: bool) -> DbResult<bool> {
    let response = db
        .query("UPDATE type::record('staff', $id) SET active = $active RETURN VALUE record::id(id)")
        .bind(("id", id.to_owned()))
        .bind(("active", active))
        .await?;
    let changed: Vec<String> = checked(response)?.take(0)?;
    Ok(!changed.is_empty())
}

/// A staff account as the shop's owner sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StaffSummary {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const SUMMARY_FIELDS: &str =
    "record::id(id) AS id, username, display_name, role, active, created_at";

/// The merchant's staff: owners, managers, cashiers, each by username.
pub async fn of_merchant(db: &Db, merchant: &str) -> DbResult<Vec<StaffSummary>> {
    let response = db
        .query(format!(
            "SELECT {SUMMARY_FIELDS} FROM staff
             WHERE merchant = type::record('merchant', $merchant)
             ORDER BY role DESC, username"
        ))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The account `id` if it belongs to `merchant`.
pub async fn of_merchant_by_id(
    db: &Db,
    merchant: &str,
    id: &str,
) -> DbResult<Option<StaffSummary>> {
    let response = db
        .query(format!(
            "SELECT {SUMMARY_FIELDS} FROM type::record('staff', $id)
             WHERE merchant = type::record('merchant', $merchant)"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("id", id.to_owned()))
        .await?;
    let mut rows: Vec<StaffSummary> = checked(response)?.take(0)?;
    Ok(rows.pop())
}

/// Creates the account (`staff.id` new); a username taken already fails as a duplicate.
pub async fn create(db: &Db, staff: &StaffRow) -> DbResult<()> {
    let response = db
        .query(
            "CREATE type::record('staff', $s.id) CONTENT {
                 merchant: type::record('merchant', $s.merchant), username: $s.username,
                 display_name: $s.display_name, password_hash: $s.password_hash,
                 role: $s.role, active: $s.active } RETURN NONE",
        )
        .bind(("s", staff.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Replaces an account's password hash; false when there is no such account.
pub async fn set_password(db: &Db, id: &str, hash: &str) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('staff', $id) SET password_hash = $hash
             RETURN VALUE record::id(id)",
        )
        .bind(("id", id.to_owned()))
        .bind(("hash", hash.to_owned()))
        .await?;
    let changed: Vec<String> = checked(response)?.take(0)?;
    Ok(!changed.is_empty())
}
