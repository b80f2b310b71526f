//! The model layer in the application: the process's chat model — the configured provider
//! behind its limits and breaker, falling back to the offline rulebook, or the rulebook
//! alone when no provider is configured — and [`ask`], which workflow nodes use to ask it
//! and which records what every question cost, per merchant and thread.

use std::sync::Arc;

use llm::{Answer, AskError, ChatModel, ChatRequest, Embedder, Fallback, Lexical, Rulebook};
use serde::de::DeserializeOwned;

use crate::state::AppState;

/// Answers asked for, at most, until one passes the schema and the caller's checks.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// The process's chat model and how hard to try it, and its embedding model (none: the
/// offline lexical embedder).
#[derive(Debug, Clone)]
pub struct Models {
    chat: Arc<dyn ChatModel>,
    attempts: u32,
    embedder: Option<Arc<dyn Embedder>>,
}

impl Default for Models {
    /// Offline: the rulebook answers every task it knows.
    fn default() -> Self {
        Self::new(
            Arc::new(Fallback::offline(Arc::new(rulebook()))),
            DEFAULT_ATTEMPTS,
        )
    }
}

impl Models {
    pub fn new(chat: Arc<dyn ChatModel>, attempts: u32) -> Self {
        Self {
            chat,
            attempts: attempts.max(1),
            embedder: None,
        }
    }

    /// With `embedder` (already guarded) for the memory; the lexical one answers when it
    /// fails.
    pub fn with_embedder(mut self, embedder: Arc<dyn Embedder>) -> Self {
        self.embedder = Some(embedder);
        self
    }

    /// `remote` (already guarded), answered for by the rulebook when it fails.
    pub fn remote(remote: Arc<dyn ChatModel>, attempts: u32) -> Self {
        Self::new(
            Arc::new(Fallback::new(remote, Arc::new(rulebook()))),
            attempts,
        )
    }
}

/// The offline answers of the tasks the product's workflows ask: the Copilot's intent, the
/// Strategist's plan, the Artist's brief and prompt.
pub fn rulebook() -> Rulebook {
    super::artist::offline(super::copilot::offline(super::strategist::offline(
        Rulebook::new(),
    )))
}

/// The JSON Schema of an answer type, as a model is told it, and its validator, made once
/// (kept in a `static LazyLock`).
#[derive(Debug)]
pub struct AnswerSchema {
    schema: serde_json::Value,
    validator: Result<jsonschema::Validator, String>,
}

impl AnswerSchema {
    pub fn of<T: schemars::JsonSchema>() -> Self {
        let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string());
        Self { schema, validator }
    }

    pub fn schema(&self) -> &serde_json::Value {
        &self.schema
    }

    /// Its validator (refused if the schema does not compile: a bug of ours).
    pub fn validator(&self) -> Result<&jsonschema::Validator, String> {
        self.validator.as_ref().map_err(Clone::clone)
    }
}

/// Asks the process's model (see [`llm::ask_json`]) and records what it cost, whatever came
/// of it.
pub async fn ask<T, F>(
    state: &AppState,
    request: ChatRequest,
    schema: &jsonschema::Validator,
    check: F,
) -> Result<Answer<T>, AskError>
where
    T: DeserializeOwned,
    F: Fn(&T) -> Vec<String>,
{
    let (merchant, thread, task) = (
        request.merchant.clone(),
        request.thread.clone(),
        request.task.clone(),
    );
    let models = &state.models;
    let result = llm::ask_json(
        models.chat.as_ref(),
        request,
        schema,
        models.attempts,
        check,
    )
    .await;
    let (usage, model, attempts, outcome) = match &result {
        Ok(answer) => (
            answer.usage,
            Some(answer.model.clone()),
            answer.attempts,
            if answer.degraded {
                "DEGRADED"
            } else {
                "ANSWERED"
            },
        ),
        Err(AskError::Invalid {
            attempts, usage, ..
        }) => (*usage, None, *attempts, "INVALID"),
        Err(AskError::Call { usage, .. }) => (*usage, None, models.attempts, "FAILED"),
    };
    let row = db::agent::NewUsage {
        merchant,
        thread,
        task,
        model,
        prompt_tokens: i64::from(usage.prompt_tokens),
        completion_tokens: i64::from(usage.completion_tokens),
        attempts: i64::from(attempts),
        outcome: outcome.into(),
    };
    // The answer stands even if its bill cannot be written; the log says it was lost.
    if let Err(err) = db::agent::record_usage(&state.db, &row).await {
        tracing::error!(error = %err, task = %row.task, merchant = %row.merchant, "model usage not recorded");
    }
    result
}

/// A text's vectors: in the embedding model's space (or the lexical one when there is no
/// model or it failed), and always the lexical one.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    pub space: String,
    pub embedding: Vec<f32>,
    pub lexical: Vec<f32>,
}

impl Embedded {
    /// Made by the lexical embedder alone.
    pub fn is_lexical(&self) -> bool {
        self.space == llm::LEXICAL
    }
}

/// Embeds `text` for `merchant`'s memory.
pub async fn embed(state: &AppState, merchant: &str, text: &str) -> Embedded {
    let lexical = Lexical::vector(text);
    let remote = match &state.models.embedder {
        Some(embedder) => match embedder.embed(merchant, &[text.to_owned()]).await {
            Ok(vectors) => vectors
                .into_iter()
                .next()
                .map(|vector| (embedder.space().to_owned(), vector)),
            Err(error) => {
                tracing::warn!(%merchant, %error, "embedding provider failed, embedding lexically");
                None
            }
        },
        None => None,
    };
    let (space, embedding) = remote.unwrap_or_else(|| (llm::LEXICAL.to_owned(), lexical.clone()));
    Embedded {
        space,
        embedding,
        lexical,
    }
}
