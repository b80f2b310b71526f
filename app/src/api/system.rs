//! The system status: one round trip from the browser through the server to the database.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::Problem;
pub use crate::model::system::*;

/// Asks the database for its schema version, and for staff, their shop's name. Anyone may
/// ask (it is the console's probe); without a valid token the answer is the probes only.
#[server(prefix = "/api", endpoint = "system/status", input = GetUrl)]
pub async fn check_system() -> Result<SystemStatus, Problem> {
    let state = crate::state::app_state()?;
    let staff_of = crate::api::edge::authenticated()
        .ok()
        .and_then(|call| call.principal.merchant().map(str::to_owned));
    Ok(crate::service::system::status(&state, staff_of.as_deref()).await?)
}
