//! The model a workflow talks to: the configured provider (guarded) when there is one, the
//! offline rulebook when there is none or when the provider cannot answer.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::chat::{CallError, ChatModel, ChatRequest, Reply};

#[derive(Debug, Clone)]
pub struct Fallback {
    remote: Option<Arc<dyn ChatModel>>,
    offline: Arc<dyn ChatModel>,
}

impl Fallback {
    /// Offline only: no provider configured.
    pub fn offline(offline: Arc<dyn ChatModel>) -> Self {
        Self {
            remote: None,
            offline,
        }
    }

    pub fn new(remote: Arc<dyn ChatModel>, offline: Arc<dyn ChatModel>) -> Self {
        Self {
            remote: Some(remote),
            offline,
        }
    }

    pub fn is_offline(&self) -> bool {
        self.remote.is_none()
    }

    async fn call(&self, request: &ChatRequest) -> Result<Reply, CallError> {
        let Some(remote) = &self.remote else {
            return self.offline.chat(request).await;
        };
        match remote.chat(request).await {
            Ok(reply) => Ok(reply),
            // A wrong key or a refused request is a configuration fault to see in the logs,
            // but the shop still gets an answer.
            Err(error) => {
                tracing::warn!(task = %request.task, merchant = %request.merchant, %error, "model provider failed, answering offline");
                let mut reply = self.offline.chat(request).await?;
                reply.degraded = true;
                Ok(reply)
            }
        }
    }
}

impl ChatModel for Fallback {
    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<Reply, CallError>> {
        Box::pin(self.call(request))
    }
}
