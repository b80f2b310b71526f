//! The offline model: deterministic answers computed by our own code from the request's
//! facts, one rule per task. It is the default when no provider is configured and the
//! degraded mode when the provider fails, so every workflow runs without a network; its
//! answers go through the same schema and checks as a remote model's.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::chat::{CallError, ChatModel, ChatRequest, Reply, Usage};

/// A task's deterministic answer, from the request (its facts, and on a retry the problems
/// of the previous answer in the conversation).
pub type Rule = Arc<dyn Fn(&ChatRequest) -> serde_json::Value + Send + Sync>;

/// The model name offline answers carry.
pub const OFFLINE: &str = "offline";

#[derive(Clone, Default)]
pub struct Rulebook {
    rules: HashMap<String, Rule>,
}

impl std::fmt::Debug for Rulebook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tasks: Vec<&String> = self.rules.keys().collect();
        tasks.sort();
        f.debug_struct("Rulebook").field("tasks", &tasks).finish()
    }
}

impl Rulebook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `task` with `rule`.
    pub fn with(
        mut self,
        task: impl Into<String>,
        rule: impl Fn(&ChatRequest) -> serde_json::Value + Send + Sync + 'static,
    ) -> Self {
        self.rules.insert(task.into(), Arc::new(rule));
        self
    }
}

impl ChatModel for Rulebook {
    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<Reply, CallError>> {
        let answer = self
            .rules
            .get(&request.task)
            .map(|rule| Reply {
                content: rule(request).to_string(),
                usage: Usage::default(),
                model: OFFLINE.into(),
                degraded: false,
            })
            .ok_or_else(|| {
                CallError::Unavailable(format!("no offline answer for {}", request.task))
            });
        Box::pin(std::future::ready(answer))
    }
}
