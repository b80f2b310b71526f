//! The diner's member code: what their phone shows so a cashier can find them to recharge.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Problem;

/// A member code to show as a QR code, valid until `expires_at` (a few minutes): the app
/// asks again for a fresh one before then.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/diner/member_code` (diner): a fresh member code of the caller. Only the diner's
/// own signed-in app can get one, so a cashier who scans it knows the diner is there — a
/// typed uid or phone number finds only the shop's own customers.
#[leptos::server(prefix = "/api", endpoint = "diner/member_code")]
pub async fn my_member_code() -> Result<MemberCode, Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    Ok(issue_member_code(
        &call.state,
        &uid,
        &call.session,
        Utc::now(),
    )?)
}

/// A member code of `uid`, shown by the phone signed in as `session`, from `now` (the API,
/// and the diner demo page).
#[cfg(feature = "ssr")]
pub(crate) fn issue_member_code(
    state: &crate::state::AppState,
    uid: &str,
    session: &str,
    now: DateTime<Utc>,
) -> Result<MemberCode, crate::error::AppError> {
    let code = state
        .tokens
        .issue_member_code(uid, session, now)
        .map_err(|e| crate::error::AppError::Internal(format!("cannot sign a member code: {e}")))?;
    Ok(MemberCode {
        code,
        expires_at: now + crate::auth::MEMBER_CODE_TTL,
    })
}
