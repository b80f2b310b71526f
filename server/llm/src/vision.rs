//! Vision models: a picture a provider drew is looked at before a boss sees it — is it
//! broken (garbled, deformed, not food) or indecent? [`OpenAiVision`] asks any
//! OpenAI-compatible chat model that reads images (`qwen-vl-max`, `gpt-4o-mini`, GLM-4V…)
//! with the picture inline. None is configured by default: the review's own checks (it
//! decodes, its size, not blank) are what every picture passes, and they are what stands
//! when the vision model fails.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestMessageContentPartImage, ChatCompletionRequestMessageContentPartText,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ImageDetail, ImageUrl,
};
use base64::Engine as _;
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde::Deserialize;

use crate::chat::CallError;

/// A picture to look at (PNG; a thumbnail is enough and costs fewer tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Look {
    /// Whose call it is (for the limits).
    pub merchant: String,
    /// What it should show ("麻辣小龙虾").
    pub subject: String,
    pub png: Vec<u8>,
}

/// What the vision model saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Fit to show diners: intact, decent, and of the subject.
    pub acceptable: bool,
    /// Why, in a few words.
    pub reason: String,
    /// Which model looked.
    pub model: String,
}

/// Looks at pictures.
pub trait VisionModel: Send + Sync + std::fmt::Debug {
    fn look<'a>(&'a self, look: &'a Look) -> BoxFuture<'a, Result<Verdict, CallError>>;
}

impl<M: VisionModel + ?Sized> VisionModel for std::sync::Arc<M> {
    fn look<'a>(&'a self, look: &'a Look) -> BoxFuture<'a, Result<Verdict, CallError>> {
        (**self).look(look)
    }
}

/// Where the vision model is.
#[derive(Clone, Debug)]
pub struct VisionEndpoint {
    pub base_url: String,
    pub api_key: SecretString,
    pub model: String,
    pub timeout: Duration,
}

/// Any OpenAI-compatible chat endpoint whose model reads images, in JSON mode.
#[derive(Debug)]
pub struct OpenAiVision {
    client: Client<OpenAIConfig>,
    endpoint: VisionEndpoint,
}

/// What the vision model is told.
const INSTRUCTIONS: &str = "You check pictures a restaurant will show its diners. A picture \
    is acceptable when it is intact (no garbled or melted shapes, no broken rendering, no \
    deformed hands or faces), decent (no nudity, violence, gore, drugs, hateful symbols or \
    other content unfit for a family restaurant), and shows food or a dining scene fitting \
    the subject. Answer with one JSON object only: {\"acceptable\": true or false, \
    \"reason\": \"a few words\"}.";

#[derive(Deserialize)]
struct Seen {
    acceptable: bool,
    #[serde(default)]
    reason: String,
}

impl OpenAiVision {
    pub fn new(endpoint: VisionEndpoint) -> Result<Self, CallError> {
        let client =
            crate::openai::client(&endpoint.base_url, &endpoint.api_key, endpoint.timeout)?;
        Ok(Self { client, endpoint })
    }

    async fn call(&self, look: &Look) -> Result<Verdict, CallError> {
        let picture = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&look.png)
        );
        let content = ChatCompletionRequestUserMessageContent::Array(vec![
            ChatCompletionRequestMessageContentPartText::from(
                format!(
                    "Subject: {}. Is this picture acceptable? Answer in json.",
                    look.subject
                )
                .as_str(),
            )
            .into(),
            ChatCompletionRequestMessageContentPartImage::from(ImageUrl {
                url: picture,
                detail: Some(ImageDetail::Low),
            })
            .into(),
        ]);
        let messages = vec![
            ChatCompletionRequestSystemMessage::from(INSTRUCTIONS).into(),
            ChatCompletionRequestUserMessage {
                content,
                name: None,
            }
            .into(),
        ];
        let reply = crate::openai::json_completion(
            &self.client,
            &self.endpoint.model,
            messages,
            self.endpoint.timeout,
        )
        .await?;
        let seen: Seen = serde_json::from_str(reply.content.trim())
            .map_err(|e| CallError::Malformed(format!("not a verdict: {e}")))?;
        Ok(Verdict {
            acceptable: seen.acceptable,
            reason: seen.reason.chars().take(200).collect(),
            model: reply.model,
        })
    }
}

impl VisionModel for OpenAiVision {
    fn look<'a>(&'a self, look: &'a Look) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(self.call(look))
    }
}
