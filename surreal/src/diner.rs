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

/// "This diner is a customer of `$merchant`": they hold a wallet there, or the ledger has
/// an entry of theirs there. What a shop's staff may look a diner up by is limited to these.
const CUSTOMER_OF_MERCHANT: &str = "(record::exists(type::record('wallet', [$merchant, uid]))
     OR (SELECT VALUE id FROM ledger
         WHERE user_uid = $parent.uid AND merchant_id = $merchant LIMIT 1) != [])";

/// The customers of `merchant` with this phone number, at most `limit`, by uid. A number
/// may be shared (a family, a reused number): every match is returned, never one at random.
pub async fn customers_by_phone(
    db: &Db,
    merchant: &str,
    phone: &str,
    limit: u32,
) -> DbResult<Vec<DinerRow>> {
    let response = db
        .query(format!(
            "SELECT uid, nickname, phone, silver FROM diner
             WHERE phone = $phone AND {CUSTOMER_OF_MERCHANT} ORDER BY uid LIMIT $limit"
        ))
        .bind(("phone", phone.to_owned()))
        .bind(("merchant", merchant.to_owned()))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The diner with this uid, if they are a customer of `merchant`.
pub async fn customer(db: &Db, merchant: &str, uid: &str) -> DbResult<Option<DinerRow>> {
    let response = db
        .query(format!(
            "SELECT uid, nickname, phone, silver FROM type::record('diner', $uid)
             WHERE {CUSTOMER_OF_MERCHANT}"
        ))
        .bind(("uid", uid.to_owned()))
        .bind(("merchant", merchant.to_owned()))
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
