//! Diners (C-end users): `diner:<uid>`.

use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A diner as stored.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DinerRow {
    pub uid: String,
    pub nickname: Option<String>,
    pub phone: Option<String>,
    pub silver: i64,
}

/// Creates a diner on first sight (identity providers call this at every login).
pub async fn ensure(
    db: &Db,
    uid: &str,
    nickname: Option<&str>,
    phone: Option<&str>,
) -> DbResult<()> {
    let response = db
        .query(
            "IF record::exists(type::record('diner', $uid)) = false {
                 CREATE type::record('diner', $uid) CONTENT {
                     uid: $uid, nickname: $nickname, phone: $phone } RETURN NONE
             }",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("nickname", nickname.map(str::to_owned)))
        .bind(("phone", phone.map(str::to_owned)))
        .await?;
    checked(response)?;
    Ok(())
}

/// The diner with this phone number, if any.
pub async fn by_phone(db: &Db, phone: &str) -> DbResult<Option<DinerRow>> {
    let response = db
        .query("SELECT uid, nickname, phone, silver FROM diner WHERE phone = $phone LIMIT 1")
        .bind(("phone", phone.to_owned()))
        .await?;
    let mut found: Vec<DinerRow> = checked(response)?.take(0)?;
    Ok(found.pop())
}

/// One diner.
pub async fn get(db: &Db, uid: &str) -> DbResult<Option<DinerRow>> {
    let response = db
        .query("SELECT uid, nickname, phone, silver FROM type::record('diner', $uid)")
        .bind(("uid", uid.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}
