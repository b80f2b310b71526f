//! The Copilot API (OWNER, MANAGER): the boss's sentence starts the right workflow
//! (`agent/command`), a thread's state and history are read, and its question is answered
//! (`POST /api/agent/resume/{thread_id}`, a route of its own, see [`resume`]). Every call
//! goes through the same service the console's pages use.

use serde::{Deserialize, Serialize};

use crate::domain::checked::ThreadId;
use crate::error::Problem;
pub use crate::model::agent::*;

/// The query naming one thread.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreadQuery {
    pub thread_id: ThreadId,
}

/// Which threads a list shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThreadStatus {
    Running,
    Waiting,
    Done,
    Failed,
}

impl ThreadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Waiting => "WAITING",
            Self::Done => "DONE",
            Self::Failed => "FAILED",
        }
    }
}

/// The query of `GET /api/agent/threads`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreadsQuery {
    /// Only threads in this state (WAITING: the proposals waiting for the boss).
    pub status: Option<ThreadStatus>,
}

/// `POST /api/agent/command` (OWNER, MANAGER): the boss's sentence, understood and done.
#[leptos::server(prefix = "/api", endpoint = "agent/command", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn agent_command(command: Command) -> Result<CommandReply, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::copilot::command(
        &call.state,
        &staff.merchant_id,
        &staff.staff_id,
        &command.text,
    )
    .await?)
}

/// `GET /api/agent/threads?status=…` (OWNER, MANAGER): the shop's workflow threads.
#[leptos::server(prefix = "/api", endpoint = "agent/threads", input = leptos::server_fn::codec::GetUrl)]
pub async fn agent_threads() -> Result<Vec<Thread>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let ThreadsQuery { status } = crate::api::codec::query()?;
    Ok(crate::service::copilot::threads(
        &call.state,
        &staff.merchant_id,
        status.map(ThreadStatus::as_str),
    )
    .await?)
}

/// `GET /api/agent/thread?thread_id=…` (OWNER, MANAGER): where a thread stands.
#[leptos::server(prefix = "/api", endpoint = "agent/thread", input = leptos::server_fn::codec::GetUrl)]
pub async fn agent_thread() -> Result<Thread, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let ThreadQuery { thread_id } = crate::api::codec::query()?;
    Ok(crate::service::copilot::thread(&call.state, &staff.merchant_id, &thread_id).await?)
}

/// `GET /api/agent/thread/history?thread_id=…` (OWNER, MANAGER): its checkpoints.
#[leptos::server(prefix = "/api", endpoint = "agent/thread/history", input = leptos::server_fn::codec::GetUrl)]
pub async fn agent_history() -> Result<Vec<Checkpoint>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let ThreadQuery { thread_id } = crate::api::codec::query()?;
    Ok(crate::service::copilot::history(&call.state, &staff.merchant_id, &thread_id).await?)
}

/// `POST /api/agent/resume/{thread_id}` (OWNER, MANAGER): the answer to the thread's
/// question — `{"verdict": "approve"}` (with an edited `campaign`) or `{"verdict":
/// "reject", "reason": …}` for a proposal. Answered once: a second answer is 409.
#[cfg(feature = "ssr")]
pub async fn resume(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(thread_id): axum::extract::Path<String>,
    request: axum::extract::Request,
) -> Result<axum::Json<Thread>, Problem> {
    use crate::error::AppError;
    let (parts, body) = request.into_parts();
    let caller = crate::api::gate::caller_of(&parts.extensions)
        .cloned()
        .ok_or(crate::auth::AuthError::Missing)
        .map_err(AppError::from)?;
    let staff =
        crate::api::edge::staff_of(&caller.principal, crate::auth::Permission::ManageCampaigns)?;
    let thread_id: ThreadId = thread_id
        .parse()
        .map_err(|e: crate::domain::checked::Refused| {
            AppError::Invalid(format!("thread_id: {e}"))
        })?;
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let answer: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::Invalid(format!("the answer is not JSON: {e}")))?;
    Ok(axum::Json(
        crate::service::copilot::resume(
            &state,
            &staff.merchant_id,
            &staff.staff_id,
            &thread_id,
            answer,
        )
        .await?,
    ))
}

/// `POST /api/agent/webhook` (a provider; no session): a job's callback, signed as Standard
/// Webhooks specify with the secret shared with the provider (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature`). The thread waiting for the job goes on with
/// its outcome, once; a delivery that took effect before is acknowledged as DUPLICATE.
#[cfg(feature = "ssr")]
pub async fn webhook(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    headers: http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::Json<crate::model::agent::Receipt>, Problem> {
    let delivery = crate::service::callbacks::verify(&state, &headers, &body)?;
    Ok(axum::Json(
        crate::service::callbacks::deliver(&state, delivery).await?,
    ))
}
