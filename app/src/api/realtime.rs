//! The real-time channel's API: the socket ticket for browsers. The frames themselves are in
//! `model::realtime` (re-exported here), derived from the domain's facts.

use chrono::Utc;

use crate::error::Problem;
pub use crate::model::realtime::*;

/// A ticket to open `GET /ws?ticket=…` with, for browsers (they cannot send the bearer
/// header on a WebSocket). Valid for a minute, and for nothing else.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SocketTicket {
    pub ticket: String,
    pub expires_at: chrono::DateTime<Utc>,
}

/// `POST /api/realtime/ticket` (anyone signed in): a socket ticket for the caller.
#[leptos::server(prefix = "/api", endpoint = "realtime/ticket")]
pub async fn realtime_ticket() -> Result<SocketTicket, Problem> {
    let call = crate::api::edge::authenticated()?;
    let now = Utc::now();
    let ticket = call
        .state
        .tokens
        .issue_ticket(&call.principal, &call.session, now)
        .map_err(|e| crate::error::AppError::Internal(format!("cannot sign a ticket: {e}")))?;
    Ok(SocketTicket {
        ticket,
        expires_at: now + crate::auth::TICKET_TTL,
    })
}
