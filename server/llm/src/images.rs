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

impl<M: ImageModel + ?Sized> ImageModel for Arc<M> {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>> {
        (**self).draw(request)
    }
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
    /// One call, from sending to the last byte of the pictures (for an asynchronous
    /// provider: from submitting the task to its last picture).
    pub timeout: Duration,
    /// How the provider is spoken to.
    pub protocol: ImageProtocol,
    /// An asynchronous provider's task is polled this often.
    pub poll_every: Duration,
}

/// The image APIs spoken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageProtocol {
    /// `POST /images/generations`, answered at once ([`OpenAiImages`]).
    #[default]
    OpenAi,
    /// A task submitted and polled ([`crate::DashScopeImages`]).
    DashScope,
}

impl ImageEndpoint {
    /// The adapter that speaks this endpoint's protocol.
    pub fn model(self) -> Result<Arc<dyn ImageModel>, CallError> {
        Ok(match self.protocol {
            ImageProtocol::OpenAi => Arc::new(OpenAiImages::new(self)?),
            ImageProtocol::DashScope => Arc::new(crate::DashScopeImages::new(self)?),
        })
    }
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
        gather(request.count, &self.endpoint, |missing| {
            self.once(request, missing)
        })
        .await
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
                Image::Url { url, .. } => fetch(&self.http, url).await?,
            });
        }
        Ok(pictures)
    }
}

/// `count` pictures of `endpoint`'s model from calls of `once` (each for the pictures still
/// missing, within the endpoint's timeout), at most [`MAX_CALLS`] of them: a provider that
/// draws fewer than asked is asked again for the rest.
pub(crate) async fn gather<F, Fut>(
    count: u32,
    endpoint: &ImageEndpoint,
    mut once: F,
) -> Result<Drawn, CallError>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Vec<u8>>, CallError>>,
{
    let mut pictures = Vec::new();
    for _ in 0..MAX_CALLS {
        let missing = count.saturating_sub(u32::try_from(pictures.len()).unwrap_or(u32::MAX));
        if missing == 0 {
            break;
        }
        let drawn = tokio::time::timeout(endpoint.timeout, once(missing))
            .await
            .map_err(|_| CallError::Timeout)??;
        if drawn.is_empty() {
            return Err(CallError::Malformed("an answer without pictures".into()));
        }
        pictures.extend(drawn);
    }
    pictures.truncate(usize::try_from(count).unwrap_or(usize::MAX));
    Ok(Drawn {
        pictures,
        model: endpoint.model.clone(),
    })
}

/// A request that got no answer: it timed out, or the connection failed.
pub(crate) fn unsent(error: reqwest::Error) -> CallError {
    if error.is_timeout() {
        CallError::Timeout
    } else {
        CallError::Transport(error.to_string())
    }
}

/// A picture a provider left at `url` (its link lasts an hour or so: fetched now).
pub(crate) async fn fetch(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, CallError> {
    let answer = http.get(url).send().await.map_err(unsent)?;
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

impl ImageModel for OpenAiImages {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>> {
        Box::pin(self.call(request))
    }
}
