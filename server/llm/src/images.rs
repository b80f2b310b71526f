//! Image models: the [`ImageModel`] trait, the OpenAI-compatible `/images/generations`
//! adapter ([`OpenAiImages`]), and the offline painter ([`LocalPainter`], the `artist`
//! crate's renderer), which is also what answers when the provider fails.

use std::sync::Arc;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::images::{CreateImageRequestArgs, Image, ImageModel as Model, ImageSize};
use base64::Engine as _;
use futures::future::BoxFuture;
use secrecy::SecretString;

use crate::chat::CallError;

/// Pictures asked of an image model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRequest {
    /// Whose call it is (for the limits).
    pub merchant: String,
    /// What to draw, as an image prompt.
    pub prompt: String,
    /// The dish's name, for a painter that sets it in the picture.
    pub title: String,
    /// The side of the square pictures, in pixels.
    pub size: u32,
    /// How many pictures.
    pub count: u32,
    /// Where a deterministic painter starts (another seed, other pictures).
    pub seed: u64,
}

/// What an image model drew: encoded pictures (PNG asked for), at most the count asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    pub pictures: Vec<Vec<u8>>,
    /// Which model drew them.
    pub model: String,
}

/// Draws pictures from a prompt.
pub trait ImageModel: Send + Sync + std::fmt::Debug {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>>;
}

/// The name the offline painter signs its pictures with.
pub const LOCAL_PAINTER: &str = "local-painter";

/// The offline painter: the `artist` renderer, on a blocking thread (a picture is tens of
/// milliseconds of one core).
#[derive(Clone, Debug)]
pub struct LocalPainter {
    renderer: Arc<artist::Renderer>,
}

impl LocalPainter {
    pub fn new(renderer: Arc<artist::Renderer>) -> Self {
        Self { renderer }
    }

    async fn call(&self, request: &ImageRequest) -> Result<Drawn, CallError> {
        let renderer = Arc::clone(&self.renderer);
        let request = request.clone();
        let pictures = tokio::task::spawn_blocking(move || {
            renderer.candidates(
                &request.prompt,
                &request.title,
                request.seed,
                request.size,
                request.count,
            )
        })
        .await
        .map_err(|e| CallError::Unavailable(format!("the painter stopped: {e}")))?
        .map_err(|e| CallError::Unavailable(e.to_string()))?;
        Ok(Drawn {
            pictures: pictures.into_iter().map(|picture| picture.png).collect(),
            model: LOCAL_PAINTER.into(),
        })
    }
}

impl ImageModel for LocalPainter {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>> {
        Box::pin(self.call(request))
    }
}

/// Where the image model is (often another provider than the chat's).
#[derive(Clone, Debug)]
pub struct ImageEndpoint {
    pub base_url: String,
    pub api_key: SecretString,
    /// `gpt-image-1-mini`, `Kwai-Kolors/Kolors`, `dall-e-3`…
    pub model: String,
    /// One call, from sending to the last byte of the pictures.
    pub timeout: Duration,
}

/// Any OpenAI-compatible `/images/generations` endpoint. Pictures come back inline
/// (`b64_json`, as the GPT image models always answer) or as URLs to fetch (as DALL·E and
/// most compatible providers answer by default); a provider that gives fewer than asked
/// (many draw one per call) is asked again for the rest.
#[derive(Debug)]
pub struct OpenAiImages {
    client: Client<OpenAIConfig>,
    http: reqwest::Client,
    endpoint: ImageEndpoint,
}

/// Calls for one request at most: a provider that draws one picture per call is asked this
/// many times, never more.
const MAX_CALLS: u32 = 4;

impl OpenAiImages {
    pub fn new(endpoint: ImageEndpoint) -> Result<Self, CallError> {
        let client =
            crate::openai::client(&endpoint.base_url, &endpoint.api_key, endpoint.timeout)?;
        let http = reqwest::Client::builder()
            .timeout(endpoint.timeout)
            .build()
            .map_err(|e| CallError::Transport(e.to_string()))?;
        Ok(Self {
            client,
            http,
            endpoint,
        })
    }

    async fn call(&self, request: &ImageRequest) -> Result<Drawn, CallError> {
        let mut pictures = Vec::new();
        for _ in 0..MAX_CALLS {
            let missing = request
                .count
                .saturating_sub(u32::try_from(pictures.len()).unwrap_or(u32::MAX));
            if missing == 0 {
                break;
            }
            let drawn = tokio::time::timeout(self.endpoint.timeout, self.once(request, missing))
                .await
                .map_err(|_| CallError::Timeout)??;
            if drawn.is_empty() {
                return Err(CallError::Malformed("an answer without pictures".into()));
            }
            pictures.extend(drawn);
        }
        pictures.truncate(usize::try_from(request.count).unwrap_or(usize::MAX));
        Ok(Drawn {
            pictures,
            model: self.endpoint.model.clone(),
        })
    }

    /// One call for `count` pictures, each fetched if it came as a URL.
    async fn once(&self, request: &ImageRequest, count: u32) -> Result<Vec<Vec<u8>>, CallError> {
        let body = CreateImageRequestArgs::default()
            .model(Model::Other(self.endpoint.model.clone()))
            .prompt(&request.prompt)
            .n(u8::try_from(count).unwrap_or(1))
            .size(ImageSize::Other(format!("{0}x{0}", request.size)))
            .build()
            .map_err(|e| CallError::Refused {
                status: 0,
                message: e.to_string(),
            })?;
        let answer = self
            .client
            .images()
            .generate(body)
            .await
            .map_err(crate::openai::classify)?;
        let mut pictures = Vec::with_capacity(answer.data.len());
        for image in &answer.data {
            pictures.push(match image.as_ref() {
                Image::B64Json { b64_json, .. } => base64::engine::general_purpose::STANDARD
                    .decode(b64_json.as_bytes())
                    .map_err(|e| CallError::Malformed(format!("a picture's base64: {e}")))?,
                Image::Url { url, .. } => self.fetch(url).await?,
            });
        }
        Ok(pictures)
    }

    /// A picture the provider left at `url` (its link lasts an hour or so: fetched now).
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, CallError> {
        let answer = self.http.get(url).send().await.map_err(|e| {
            if e.is_timeout() {
                CallError::Timeout
            } else {
                CallError::Transport(e.to_string())
            }
        })?;
        let status = answer.status();
        if status.is_server_error() {
            return Err(CallError::Server {
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            return Err(CallError::Refused {
                status: status.as_u16(),
                message: format!("the picture at {url} cannot be fetched"),
            });
        }
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?;
        Ok(bytes.to_vec())
    }
}

impl ImageModel for OpenAiImages {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>> {
        Box::pin(self.call(request))
    }
}
