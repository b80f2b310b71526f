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
use async_openai::types::embeddings::CreateEmbeddingRequestArgs;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::chat::{CallError, ChatModel, ChatRequest, Reply, Role, Tier, Usage};
use crate::embed::{DIMENSION, Embedder};

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

/// A client of `base_url` with `api_key`, each call bounded by `timeout`.
pub(crate) fn client(
    base_url: &str,
    api_key: &SecretString,
    timeout: Duration,
) -> Result<Client<OpenAIConfig>, CallError> {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| CallError::Transport(e.to_string()))?;
    let config = OpenAIConfig::new()
        .with_api_base(base_url.trim_end_matches('/'))
        .with_api_key(api_key.expose_secret());
    // The plain transport, without async-openai's own retry layer: retries are
    // `Guarded`'s, so each attempt is paced, jittered and counted by the breaker.
    Ok(Client::with_config(config).with_http_service(ReqwestService::new(http)))
}

impl OpenAiCompatible {
    pub fn new(endpoint: Endpoint) -> Result<Self, CallError> {
        let client = client(&endpoint.base_url, &endpoint.api_key, endpoint.timeout)?;
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
        json_completion(
            &self.client,
            self.model(request.tier),
            messages,
            self.endpoint.timeout,
        )
        .await
    }
}

/// One chat completion in JSON mode: `messages` to `model`, answered within `timeout`; its
/// content (never empty), the model that answered and the tokens it used.
pub(crate) async fn json_completion(
    client: &Client<OpenAIConfig>,
    model: &str,
    messages: Vec<ChatCompletionRequestMessage>,
    timeout: Duration,
) -> Result<Reply, CallError> {
    let body = CreateChatCompletionRequestArgs::default()
        .model(model)
        .messages(messages)
        .response_format(ResponseFormat::JsonObject)
        .build()
        .map_err(|e| CallError::Refused {
            status: 0,
            message: e.to_string(),
        })?;
    // reqwest's own timeout covers the body too; this one also covers a stalled connect.
    let answer = tokio::time::timeout(timeout, client.chat().create(body))
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

/// The facts as the first user message (JSON mode needs the word "json" in the prompt).
fn facts_message(request: &ChatRequest) -> String {
    format!(
        "Facts (JSON):\n{}\nAnswer with one JSON object only.",
        request.facts
    )
}

pub(crate) fn classify(error: OpenAIError) -> CallError {
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

/// Where the embedding model is (DeepSeek has none: often another provider than the chat's).
#[derive(Clone, Debug)]
pub struct EmbeddingEndpoint {
    pub base_url: String,
    pub api_key: SecretString,
    /// `bge-m3`, `text-embedding-3-small`…: asked for [`DIMENSION`] dimensions.
    pub model: String,
    pub timeout: Duration,
}

/// Any OpenAI-compatible `/embeddings` endpoint.
#[derive(Debug)]
pub struct OpenAiEmbeddings {
    client: Client<OpenAIConfig>,
    timeout: Duration,
    model: String,
    space: String,
}

impl OpenAiEmbeddings {
    pub fn new(endpoint: EmbeddingEndpoint) -> Result<Self, CallError> {
        Ok(Self {
            client: client(&endpoint.base_url, &endpoint.api_key, endpoint.timeout)?,
            timeout: endpoint.timeout,
            space: format!("openai:{}", endpoint.model),
            model: endpoint.model,
        })
    }

    async fn call(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, CallError> {
        let body = CreateEmbeddingRequestArgs::default()
            .model(&self.model)
            .input(texts.to_vec())
            .dimensions(u32::try_from(DIMENSION).unwrap_or(u32::MAX))
            .build()
            .map_err(|e| CallError::Refused {
                status: 0,
                message: e.to_string(),
            })?;
        let answer = tokio::time::timeout(self.timeout, self.client.embeddings().create(body))
            .await
            .map_err(|_| CallError::Timeout)?
            .map_err(classify)?;
        let mut data = answer.data;
        data.sort_by_key(|embedding| embedding.index);
        if data.len() != texts.len() {
            return Err(CallError::Malformed(format!(
                "{} vectors for {} texts",
                data.len(),
                texts.len()
            )));
        }
        // A vector of another length cannot go into the index: the provider ignored the
        // dimensions asked for.
        if let Some(wrong) = data.iter().find(|e| e.embedding.len() != DIMENSION) {
            return Err(CallError::Malformed(format!(
                "a vector of {} dimensions, not {DIMENSION}",
                wrong.embedding.len()
            )));
        }
        Ok(data.into_iter().map(|e| e.embedding).collect())
    }
}

impl Embedder for OpenAiEmbeddings {
    fn space(&self) -> &str {
        &self.space
    }

    fn embed<'a>(
        &'a self,
        _merchant: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        Box::pin(self.call(texts))
    }
}
