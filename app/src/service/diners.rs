//! Finding a diner at the counter. Staff may look up only their own shop's customers (a
//! wallet or ledger history there) by phone or uid; anyone else must be present, showing the
//! member code only their signed-in phone can produce.

use db::diner::DinerRow;

use crate::domain::{is_member_code, is_phone_number};
use crate::error::AppError;
use crate::state::AppState;

/// The most matches a phone number lists (a shared number has a few, never hundreds).
pub const MOST_MATCHES: u32 = 20;

/// The diners `wanted` names for staff of `merchant`: a member code names its diner (valid
/// for minutes: proof the diner is here); a phone number, every customer of this shop with
/// that number; anything else is a uid, found only if a customer here. Several matches are
/// all returned, for the cashier to choose from.
pub async fn find_at_counter(
    state: &AppState,
    merchant: &str,
    wanted: &str,
) -> Result<Vec<DinerRow>, AppError> {
    let db = &state.db;
    if is_member_code(wanted) {
        let uid = state
            .tokens
            .verify_member_code(wanted, chrono::Utc::now())
            .map_err(|_| AppError::MemberCode)?;
        return Ok(db::diner::get(db, &uid).await?.into_iter().collect());
    }
    if is_phone_number(wanted) {
        return Ok(db::diner::customers_by_phone(db, merchant, wanted, MOST_MATCHES).await?);
    }
    // What cannot be a uid names nobody; it never reaches the database.
    let Ok(uid) =
        <crate::domain::checked::DinerId as crate::domain::checked::CheckedText>::parse(wanted)
    else {
        return Ok(Vec::new());
    };
    Ok(db::diner::customer(db, merchant, &uid)
        .await?
        .into_iter()
        .collect())
}
