//! Any OpenAI-compatible chat endpoint (DeepSeek by default) through `async-openai`, in
//! JSON mode: DeepSeek has `response_format: json_object`, not schema outputs, so the
//! schema goes into the instructions and the answer is checked by [`crate::ask_json`].

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequestArgs, ResponseFormat,
};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::chat::{CallError, ChatModel, ChatRequest, Reply, Role, Tier, Usage};

/// Where the models are and which to use for what.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The API base, `https://api.deepseek.com` or `http://127.0.0.1:port/v1`.
    pub base_url: String,
    pub api_key: SecretString,
    /// For wording and intent (`deepseek-chat`, DeepSeek-V3).
    pub wording_model: String,
    /// For strategy (`deepseek-reasoner`, DeepSeek-R1).
    pub strategy_model: String,
    /// One call, from sending to the last byte of the answer.
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct OpenAiCompatible {
    client: Client<OpenAIConfig>,
    endpoint: Endpoint,
}

impl OpenAiCompatible {
    pub fn new(endpoint: Endpoint) -> Result<Self, CallError> {
        let http = reqwest::Client::builder()
            .timeout(endpoint.timeout)
            .build()
            .map_err(|e| CallError::Transport(e.to_string()))?;
        let config = OpenAIConfig::new()
            .with_api_base(endpoint.base_url.trim_end_matches('/'))
            .with_api_key(endpoint.api_key.expose_secret());
        // The plain transport, without async-openai's own retry layer: retries are
        // `Guarded`'s, so each attempt is paced, jittered and counted by the breaker.
        let client = Client::with_config(config).with_http_service(ReqwestService::new(http));
        Ok(Self { client, endpoint })
    }

    fn model(&self, tier: Tier) -> &str {
        match tier {
            Tier::Wording => &self.endpoint.wording_model,
            Tier::Strategy => &self.endpoint.strategy_model,
        }
    }

    async fn call(&self, request: &ChatRequest) -> Result<Reply, CallError> {
        let mut messages: Vec<ChatCompletionRequestMessage> =
            Vec::with_capacity(request.messages.len().saturating_add(2));
        messages.push(ChatCompletionRequestSystemMessage::from(request.system.as_str()).into());
        messages.push(ChatCompletionRequestUserMessage::from(facts_message(request)).into());
        for message in &request.messages {
            messages.push(match message.role {
                Role::User => {
                    ChatCompletionRequestUserMessage::from(message.content.as_str()).into()
                }
                Role::Assistant => {
                    ChatCompletionRequestAssistantMessage::from(message.content.as_str()).into()
                }
            });
        }
        let body = CreateChatCompletionRequestArgs::default()
            .model(self.model(request.tier))
            .messages(messages)
            .response_format(ResponseFormat::JsonObject)
            .build()
            .map_err(|e| CallError::Refused {
                status: 0,
                message: e.to_string(),
            })?;
        // reqwest's own timeout covers the body too; this one also covers a stalled connect.
        let answer = tokio::time::timeout(self.endpoint.timeout, self.client.chat().create(body))
            .await
            .map_err(|_| CallError::Timeout)?
            .map_err(classify)?;
        let usage = answer.usage.map_or_else(Usage::default, |usage| Usage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
        });
        let content = answer
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .filter(|content| !content.trim().is_empty())
            .ok_or_else(|| CallError::Malformed("an answer without content".into()))?;
        Ok(Reply {
            content,
            usage,
            model: answer.model,
            degraded: false,
        })
    }
}

/// The facts as the first user message (JSON mode needs the word "json" in the prompt).
fn facts_message(request: &ChatRequest) -> String {
    format!(
        "Facts (JSON):\n{}\nAnswer with one JSON object only.",
        request.facts
    )
}

fn classify(error: OpenAIError) -> CallError {
    match error {
        OpenAIError::ApiError(answer) => {
            let status = answer.status_code.as_u16();
            if status == 429 {
                CallError::RateLimited
            } else if answer.status_code.is_server_error() {
                CallError::Server { status }
            } else {
                CallError::Refused {
                    status,
                    message: answer.api_error.message,
                }
            }
        }
        OpenAIError::Reqwest(e) if e.is_timeout() => CallError::Timeout,
        OpenAIError::Reqwest(e) => match e.status() {
            Some(status) if status.is_server_error() => CallError::Server {
                status: status.as_u16(),
            },
            _ => CallError::Transport(e.to_string()),
        },
        OpenAIError::JSONDeserialize(e, _) => CallError::Malformed(e.to_string()),
        other => CallError::Transport(other.to_string()),
    }
}

impl ChatModel for OpenAiCompatible {
    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<Reply, CallError>> {
        Box::pin(self.call(request))
    }
}
