//! Logging in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::Problem;

pub use crate::auth_types::Session;

/// `POST /api/auth/staff/login`: username + password → bearer token.
#[server(prefix = "/api", endpoint = "auth/staff/login", input = Json, output = Json)]
pub async fn staff_login(username: String, password: String) -> Result<Session, Problem> {
    let state = crate::state::app_state()?;
    Ok(crate::service::auth::login_staff(
        &state.db,
        &state.tokens,
        &username,
        &password,
        chrono::Utc::now(),
    )
    .await?)
}

/// `POST /api/auth/diner/login`: an identity provider's login code → bearer token.
/// In DEV the code `dev:<uid>` logs in as that diner; elsewhere it is refused.
#[server(prefix = "/api", endpoint = "auth/diner/login", input = Json, output = Json)]
pub async fn diner_login(code: String) -> Result<Session, Problem> {
    let state = crate::state::app_state()?;
    Ok(crate::service::auth::login_diner(&state, &code, chrono::Utc::now()).await?)
}
