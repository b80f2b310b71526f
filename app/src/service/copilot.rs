//! The Copilot: the boss's sentence → what it means (the model's reading, or the offline
//! one) → the workflow it starts or the preference it keeps; and the threads the console
//! shows, answered through the same runtime the workers use.

use std::sync::LazyLock;

use super::models::AnswerSchema;
use crate::domain::callbacks::Awaiting;
use crate::domain::copilot::{INTENT_TASK, Understood, understand};
use crate::error::AppError;
use crate::model::agent::{Checkpoint, CommandReply, Intent, Thread};
use crate::state::AppState;

/// Threads a list shows at most.
pub const LISTED: u32 = 50;

/// What the boss's `text` asks, done: a Strategist started, a preference kept, or what the
/// Copilot can do.
pub async fn command(
    state: &AppState,
    merchant: &str,
    by: &str,
    text: &str,
) -> Result<CommandReply, AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(AppError::Invalid("a command is 1 to 500 characters".into()));
    }
    let understood = read(state, merchant, text).await;
    match understood.intent {
        Intent::Strategist => {
            let goal = super::strategist::Goal {
                overstock: understood.overstock.clone(),
                note: Some(text.to_owned()),
            };
            let thread = super::strategist::start(state, merchant, by, goal).await?;
            let reply = match &understood.overstock {
                Some(stock) => format!(
                    "好的，我来想想怎么把{}份{}卖出去。方案做好会出现在提案箱里，等你拍板。",
                    stock.count, stock.item
                ),
                None => "好的，我去看看店里最近的数据，方案做好会出现在提案箱里，等你拍板。".into(),
            };
            Ok(CommandReply {
                intent: Intent::Strategist,
                thread_id: Some(thread),
                reply,
            })
        }
        Intent::Artist => {
            let thread = super::artist::start(state, merchant, by, text).await?;
            Ok(CommandReply {
                intent: Intent::Artist,
                thread_id: Some(thread),
                reply: "好的，我来画。四张图画好后会出现在画室里，挑一张你喜欢的。".into(),
            })
        }
        Intent::Remember => {
            let said = understood.preference.as_deref().unwrap_or(text);
            super::memory::remember(state, merchant, said).await?;
            Ok(CommandReply {
                intent: Intent::Remember,
                thread_id: None,
                reply: format!("记住了：「{said}」。以后的方案会照这个来。"),
            })
        }
        Intent::Unknown => Ok(CommandReply {
            intent: Intent::Unknown,
            thread_id: None,
            reply: "我能帮你做营销方案（比如「鸭脖积压了500份，下雨天搞个活动」），画图（比如「弄一张麻辣小龙虾的图」），或者记住你的偏好（比如「记住：不要打折」）。".into(),
        }),
    }
}

/// The model's reading of `text` (checked against its schema), else the offline one.
async fn read(state: &AppState, merchant: &str, text: &str) -> Understood {
    let Ok(validator) = UNDERSTOOD.validator() else {
        return understand(text);
    };
    let request = llm::ChatRequest {
        task: INTENT_TASK.into(),
        tier: llm::Tier::Wording,
        merchant: merchant.to_owned(),
        thread: None,
        system: format!(
            "You are the Copilot of a restaurant's marketing console. Read the boss's sentence: \
             do they want a campaign proposed (\"strategist\", with the overstocked item and \
             count if they name one), a picture drawn for a card or a story (\"artist\"), a \
             preference remembered (\"remember\", in their words), or none of these \
             (\"unknown\")? Answer with one JSON object that follows this JSON \
             Schema:\n{}",
            UNDERSTOOD.schema()
        ),
        facts: serde_json::json!({ "sentence": text }),
        messages: Vec::new(),
        attempt: 1,
    };
    match super::models::ask(state, request, validator, |_: &Understood| Vec::new()).await {
        Ok(answer) => answer.value,
        Err(error) => {
            tracing::warn!(%merchant, %error, "the command was read offline");
            understand(text)
        }
    }
}

static UNDERSTOOD: LazyLock<AnswerSchema> = LazyLock::new(AnswerSchema::of::<Understood>);

/// Adds the offline reading of a command to `rulebook`.
pub fn offline(rulebook: llm::Rulebook) -> llm::Rulebook {
    rulebook.with(INTENT_TASK, |request: &llm::ChatRequest| {
        let sentence = request
            .facts
            .get("sentence")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        serde_json::to_value(understand(sentence)).unwrap_or_default()
    })
}

/// A thread of `merchant` (another shop's is not found, as if it did not exist).
pub async fn thread(state: &AppState, merchant: &str, id: &str) -> Result<Thread, AppError> {
    let row = owned(state, merchant, id).await?;
    let usage = db::agent::thread_usage(&state.db, id).await?;
    Ok(view(row, usage))
}

/// The shop's threads, the latest changed first; of one status (`WAITING`…) or all.
pub async fn threads(
    state: &AppState,
    merchant: &str,
    status: Option<&str>,
) -> Result<Vec<Thread>, AppError> {
    let rows = db::agent::threads(&state.db, merchant, status, LISTED).await?;
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut usage = db::agent::threads_usage(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let used = usage.remove(&row.id).unwrap_or_default();
            view(row, used)
        })
        .collect())
}

/// A thread's kept checkpoints, oldest first.
pub async fn history(
    state: &AppState,
    merchant: &str,
    id: &str,
) -> Result<Vec<Checkpoint>, AppError> {
    owned(state, merchant, id).await?;
    Ok(db::agent::history(&state.db, id)
        .await?
        .into_iter()
        .map(|row| Checkpoint {
            step: row.step,
            node: row.node,
            parent: row.parent,
            input: row.input,
            by: row.by,
            at: row.at,
        })
        .collect())
}

/// The boss's `answer` to the thread's question, once (a second answer is 409).
pub async fn resume(
    state: &AppState,
    merchant: &str,
    by: &str,
    id: &str,
    answer: serde_json::Value,
) -> Result<Thread, AppError> {
    let thread = owned(state, merchant, id).await?;
    // A provider's job is answered by the provider's signed callback, never by a person.
    if let Some(awaiting) = thread.ask.as_ref().and_then(Awaiting::of) {
        return Err(AppError::Conflict(format!(
            "thread {id} waits for job {} of {}, not for an answer",
            awaiting.job, awaiting.provider
        )));
    }
    let row = state.agent.resume(state, id, answer, Some(by)).await?;
    let usage = db::agent::thread_usage(&state.db, id).await?;
    Ok(view(row, usage))
}

async fn owned(
    state: &AppState,
    merchant: &str,
    id: &str,
) -> Result<db::agent::ThreadRow, AppError> {
    state
        .agent
        .thread(id)
        .await?
        .filter(|row| row.merchant == merchant)
        .ok_or_else(|| AppError::NotFound(format!("thread {id}")))
}

fn view(row: db::agent::ThreadRow, usage: db::agent::UsageTotal) -> Thread {
    Thread {
        thread_id: row.id,
        workflow: row.workflow,
        status: row.status,
        step: row.step,
        node: row.node,
        ask: row.ask,
        error: row.error,
        started_by: row.started_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        tokens: u64::try_from(usage.prompt_tokens.saturating_add(usage.completion_tokens))
            .unwrap_or(0),
    }
}
