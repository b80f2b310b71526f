//! Signing in and out of the console with the session cookie, and who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::fresh_key;
use crate::error::Problem;

/// The member of staff signed in to this browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleUser {
    pub staff_id: String,
    pub merchant_id: String,
    /// OWNER, MANAGER or CASHIER.
    pub role: String,
    /// A fresh Idempotency-Key for the page's next action.
    pub next_key: String,
}

/// Signs a member of staff in: the session cookie is set and the browser goes to the counter.
#[server(prefix = "/console", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), Problem> {
    let state = crate::state::app_state()?;
    let from = crate::api::edge::client_addr();
    let session =
        crate::service::auth::login_staff(&state, &username, &password, from, chrono::Utc::now())
            .await?;
    start_session(&state, &session)?;
    leptos_axum::redirect("/cashier");
    Ok(())
}

/// Ends the session in this browser, and on the server: the token in the cookie stops
/// working at once (a copy of it too), and the session's sockets close.
#[server(prefix = "/console", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), Problem> {
    let state = crate::state::app_state()?;
    if let Ok(call) = crate::api::edge::authenticated() {
        crate::service::auth::sign_out(&state, &call.session).await?;
    }
    set_cookie(&crate::auth::session_cookie::clear(secure_cookies(&state)))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Who is signed in (staff), or nobody.
#[server(prefix = "/console", endpoint = "session")]
pub async fn console_session() -> Result<Option<ConsoleUser>, Problem> {
    use crate::auth::Principal;
    let Ok(call) = crate::api::edge::authenticated() else {
        return Ok(None);
    };
    Ok(match call.principal {
        Principal::Staff {
            staff_id,
            merchant_id,
            role,
        } => Some(ConsoleUser {
            staff_id,
            merchant_id,
            role: role.as_str().to_owned(),
            next_key: fresh_key(),
        }),
        Principal::Diner { .. } => None,
    })
}

/// Cookies are `Secure` (HTTPS only) everywhere but DEV on plain localhost.
#[cfg(feature = "ssr")]
pub(crate) fn secure_cookies(state: &crate::state::AppState) -> bool {
    state.leptos_options.env == leptos::config::Env::PROD
}

/// Puts `session`'s token in this browser's session cookie.
#[cfg(feature = "ssr")]
pub(crate) fn start_session(
    state: &crate::state::AppState,
    session: &crate::auth_types::Session,
) -> Result<(), crate::error::AppError> {
    set_cookie(&crate::auth::session_cookie::set(
        &session.token,
        state.tokens.ttl(),
        secure_cookies(state),
    ))
}

#[cfg(feature = "ssr")]
pub(crate) fn set_cookie(value: &str) -> Result<(), crate::error::AppError> {
    let header = http::HeaderValue::from_str(value)
        .map_err(|e| crate::error::AppError::Internal(format!("cookie header: {e}")))?;
    expect_context::<leptos_axum::ResponseOptions>()
        .insert_header(http::header::SET_COOKIE, header);
    Ok(())
}
