//! The one trait every chat model serves — the remote adapter, the guarded wrapper, the
//! offline rulebook and the fallback between them — and the shapes it speaks.

use std::fmt;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// Which of the configured models a request wants: a quick one for wording and intent, a
/// reasoning one for strategy (DeepSeek-V3 and DeepSeek-R1 by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Wording,
    Strategy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One question to a model, answered with one JSON object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// What is asked (`strategist.plan`, `copilot.intent`…): the offline rulebook answers by
    /// it, and usage is counted by it.
    pub task: String,
    pub tier: Tier,
    /// Whose call this is: the per-merchant limit and the usage are kept by it.
    pub merchant: String,
    pub thread: Option<String>,
    /// The instructions, including the answer's JSON Schema.
    pub system: String,
    /// The structured input (the shop's figures, the boss's preferences): a remote model
    /// reads it as JSON in the first user message, the rulebook reads it as data.
    pub facts: serde_json::Value,
    /// The conversation after the facts: earlier answers and what was wrong with them.
    pub messages: Vec<Message>,
    /// 1 for the first ask, then one more for each retry with the validation errors.
    pub attempt: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

impl Usage {
    pub fn total(self) -> u32 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.saturating_add(other.prompt_tokens),
            completion_tokens: self
                .completion_tokens
                .saturating_add(other.completion_tokens),
        }
    }
}

/// A model's answer: its text (JSON, unchecked here) and what it cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub content: String,
    pub usage: Usage,
    /// The model that answered (`deepseek-chat`, `offline`).
    pub model: String,
    /// Answered by the offline rulebook because the remote model failed or its breaker is
    /// open (not when no remote model is configured: then offline is the normal mode).
    pub degraded: bool,
}

/// Why a call brought no answer. [`CallError::is_outage`] tells the provider's trouble
/// (counted by the breaker, retried) from ours.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the model provider limits our calls (429)")]
    RateLimited,
    #[error("the model provider failed ({status})")]
    Server { status: u16 },
    #[error("the model provider did not answer in time")]
    Timeout,
    #[error("the model provider could not be reached: {0}")]
    Transport(String),
    /// A 4xx other than 429: a wrong key or a request the provider refuses; retrying the
    /// same request cannot help.
    #[error("the model provider refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the model provider's answer is not a chat completion: {0}")]
    Malformed(String),
    /// The breaker is open, or the rulebook has no rule for the task.
    #[error("no model can answer: {0}")]
    Unavailable(String),
}

impl CallError {
    /// The provider is in trouble (not us): worth a retry, and counted against it by the
    /// circuit breaker.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Server { .. } | Self::Timeout | Self::Transport(_)
        )
    }

    /// Worth calling again after a pause.
    pub fn is_retryable(&self) -> bool {
        self.is_outage() || matches!(self, Self::RateLimited)
    }
}

/// A chat model answering in JSON mode.
pub trait ChatModel: Send + Sync + fmt::Debug {
    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<Reply, CallError>>;
}
