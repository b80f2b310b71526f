//! Logging in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::Problem;

pub use crate::auth_types::Session;

/// `POST /api/auth/staff/login`: username + password → bearer token.
#[server(prefix = "/api", endpoint = "auth/staff/login", input = crate::api::codec::CheckedJson, output = Json)]
pub async fn staff_login(username: String, password: String) -> Result<Session, Problem> {
    let state = crate::state::app_state()?;
    let from = crate::api::edge::client_addr();
    Ok(
        crate::service::auth::login_staff(&state, &username, &password, from, chrono::Utc::now())
            .await?,
    )
}

/// `POST /api/auth/diner/login`: an identity provider's login code → bearer token.
/// In DEV the code `dev:<uid>` logs in as that diner; elsewhere it is refused.
#[server(prefix = "/api", endpoint = "auth/diner/login", input = crate::api::codec::CheckedJson, output = Json)]
pub async fn diner_login(code: String) -> Result<Session, Problem> {
    let state = crate::state::app_state()?;
    let from = crate::api::edge::client_addr();
    Ok(crate::service::auth::login_diner(&state, &code, from, chrono::Utc::now()).await?)
}

/// `POST /api/auth/sign_out` (anyone signed in): ends the caller's session; its token and
/// its sockets stop working at once.
#[server(prefix = "/api", endpoint = "auth/sign_out", input = crate::api::codec::CheckedJson, output = Json)]
pub async fn sign_out() -> Result<(), Problem> {
    let call = crate::api::edge::authenticated()?;
    Ok(crate::service::auth::sign_out(&call.state, &call.session).await?)
}
