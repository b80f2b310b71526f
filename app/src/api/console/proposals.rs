//! The proposal inbox's forms: the shop's workflow threads (proposals waiting for the boss
//! with the story as a diner would see it, runs in progress, decisions made), the Copilot
//! box, and the boss's answer — approve (with the budget and the minimum bill edited, if
//! changed), or reject with a reason. Each calls the same service as the Copilot API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::agent::{Card, CommandReply, Thread};
use crate::domain::rules::Story;
use crate::error::Problem;

/// A proposal waiting for the boss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    pub thread: Thread,
    pub card: Card,
    /// The story a diner would get, filled in as for a diner called 朋友.
    pub story: Option<Story>,
}

/// What the inbox shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposalsView {
    pub waiting: Vec<Waiting>,
    pub running: Vec<Thread>,
    pub finished: Vec<Thread>,
    /// The shop's offset from UTC now, in seconds.
    pub utc_offset: i32,
}

/// The inbox's data (OWNER, MANAGER; anyone else: none).
#[server(prefix = "/console", endpoint = "proposals")]
pub async fn console_proposals() -> Result<Option<ProposalsView>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let Ok(staff) = call.staff(crate::auth::Permission::ManageCampaigns) else {
        return Ok(None);
    };
    let state = &call.state;
    let merchant = staff.merchant_id.as_str();
    let threads = crate::service::copilot::threads(state, merchant, None).await?;
    let (shop, catalog) = tokio::try_join!(
        crate::service::shops::shop(state, merchant),
        crate::service::catalog::of_shop(state, merchant),
    )?;
    let weather = crate::service::rules::shop_weather(state, merchant).await?;
    let mut view = ProposalsView {
        waiting: Vec::new(),
        running: Vec::new(),
        finished: Vec::new(),
        utc_offset: crate::service::merchant_clock(state, merchant, chrono::Utc::now())
            .await?
            .utc_offset,
    };
    // The Artist's threads have their own page.
    let strategist =
        <crate::service::strategist::Strategist as agent::Workflow<crate::state::AppState>>::NAME;
    for thread in threads.into_iter().filter(|t| t.workflow == strategist) {
        match thread.status.as_str() {
            "WAITING" => {
                let Some(card) = thread
                    .ask
                    .clone()
                    .and_then(|ask| serde_json::from_value::<Card>(ask).ok())
                else {
                    continue;
                };
                let words = crate::service::rules::Words {
                    nickname: "朋友",
                    shop: &shop.name,
                    weather,
                };
                let story =
                    crate::service::rules::story_for(&card.proposal.campaign, &catalog, &words)
                        .ok();
                view.waiting.push(Waiting {
                    thread,
                    card,
                    story,
                });
            }
            "RUNNING" => view.running.push(thread),
            _ => view.finished.push(thread),
        }
    }
    Ok(Some(view))
}

/// The Copilot box: the boss's sentence, done as `POST /api/agent/command` does it.
#[server(prefix = "/console", endpoint = "agent/command")]
pub async fn console_command(text: String) -> Result<CommandReply, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(
        crate::service::copilot::command(&call.state, &staff.merchant_id, &staff.staff_id, &text)
            .await?,
    )
}

/// The boss's answer to a proposal from its card: `approve` (with the daily budget and the
/// minimum bill as the form has them: changed ones make an edit, checked as the proposal
/// was) or `reject` with a reason.
#[server(prefix = "/console", endpoint = "agent/answer")]
pub async fn console_answer(
    thread_id: String,
    verdict: String,
    #[server(default)] reason: String,
    #[server(default)] budget: String,
    #[server(default)] minimum: String,
) -> Result<Thread, Problem> {
    use crate::api::agent::Answer;
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let state = &call.state;
    let merchant = staff.merchant_id.as_str();
    let answer = match verdict.as_str() {
        "reject" => Answer::Reject { reason },
        "approve" => {
            let thread = crate::service::copilot::thread(state, merchant, &thread_id).await?;
            let card: Card = thread
                .ask
                .and_then(|ask| serde_json::from_value(ask).ok())
                .ok_or_else(|| AppError::Conflict("this thread waits for no proposal".into()))?;
            let edited =
                crate::domain::strategy::edited(&card.proposal.campaign, &budget, &minimum)
                    .map_err(AppError::Invalid)?;
            Answer::Approve {
                campaign: edited.map(Box::new),
            }
        }
        other => {
            return Err(
                AppError::Invalid(format!("verdict: {other} is not approve or reject")).into(),
            );
        }
    };
    let answer = serde_json::to_value(answer)
        .map_err(|e| AppError::Internal(format!("cannot serialise an answer: {e}")))?;
    Ok(
        crate::service::copilot::resume(state, merchant, &staff.staff_id, &thread_id, answer)
            .await?,
    )
}
