//! A local stand-in for a model provider that speaks the OpenAI protocol as DeepSeek and
//! embedding providers do: `/v1/chat/completions` answers the scripted contents in turn (a
//! 500 for `None` or when the script runs out), `/v1/embeddings` answers a vector per input
//! (derived from the text, the length asked) or 500s while told to fail. It keeps every
//! chat request, so tests read what the model was told. `/v1/images/generations` answers
//! its own script in turn: pictures (drawn by the painter with the provider's own prompt, so
//! they are not the offline painter's), a blank picture among them, or a status.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use llm::{ChatModel, Embedder, Fallback, Guarded, Limits};
use serde_json::{Value, json};

/// How the images endpoint answers its next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawing {
    /// As many pictures as asked.
    Pictures,
    /// As many as asked, the first of them blank.
    FirstBlank,
    /// As many as asked, as JPEG.
    Jpeg,
    Status(u16),
}

#[derive(Default)]
struct Seen {
    drawings: VecDeque<Drawing>,
    images: usize,
    script: VecDeque<Option<String>>,
    chats: Vec<Value>,
    embeddings: usize,
    failing_embeddings: bool,
}

type Shared = Arc<Mutex<Seen>>;

async fn completions(State(seen): State<Shared>, Json(body): Json<Value>) -> Response {
    let next = {
        let mut seen = seen.lock().expect("lock");
        seen.chats.push(body.clone());
        seen.script.pop_front().flatten()
    };
    match next {
        Some(content) => Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_764_000_000,
            "model": body.get("model"),
            "choices": [{ "index": 0, "finish_reason": "stop", "logprobs": null,
                          "message": { "role": "assistant", "content": content } }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 }
        }))
        .into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn embeddings(State(seen): State<Shared>, Json(body): Json<Value>) -> Response {
    {
        let mut seen = seen.lock().expect("lock");
        seen.embeddings += 1;
        if seen.failing_embeddings {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let length = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1024);
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    // Another space than the lexical one (reversed), still nearer for nearer texts.
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let mut vector = llm::Lexical::vector(text);
            vector.reverse();
            vector.resize(length, 0.0);
            json!({ "object": "embedding", "index": index, "embedding": vector })
        })
        .collect();
    Json(json!({
        "object": "list", "data": data, "model": body.get("model"),
        "usage": { "prompt_tokens": 8, "total_tokens": 8 }
    }))
    .into_response()
}

/// The CJK font `make setup` installs, for the provider's pictures.
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn blank_png(side: u32) -> Vec<u8> {
    let mut png = Vec::new();
    image::RgbImage::from_pixel(side, side, image::Rgb([250, 250, 250]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encoded");
    png
}

async fn generations(State(seen): State<Shared>, Json(body): Json<Value>) -> Response {
    let (next, call) = {
        let mut seen = seen.lock().expect("lock");
        seen.images += 1;
        (
            seen.drawings.pop_front().unwrap_or(Drawing::Status(500)),
            seen.images,
        )
    };
    let asked = body.get("n").and_then(Value::as_u64).unwrap_or(1);
    let side = body
        .get("size")
        .and_then(Value::as_str)
        .and_then(|size| size.split_once('x'))
        .and_then(|(width, _)| width.parse().ok())
        .unwrap_or(1024);
    let pictures = match next {
        Drawing::Status(status) => {
            return StatusCode::from_u16(status)
                .expect("status")
                .into_response();
        }
        Drawing::Pictures | Drawing::FirstBlank | Drawing::Jpeg => {
            let renderer = artist::Renderer::from_file(std::path::Path::new(FONT)).expect("font");
            let seed = u64::try_from(call).expect("small") * 100;
            let count = u32::try_from(asked).expect("small");
            let mut pictures: Vec<Vec<u8>> = renderer
                .candidates("the provider's own picture", "外卖", seed, side, count)
                .expect("drawn")
                .into_iter()
                .map(|picture| picture.png)
                .collect();
            if next == Drawing::FirstBlank
                && let Some(first) = pictures.first_mut()
            {
                *first = blank_png(side);
            }
            if next == Drawing::Jpeg {
                pictures = pictures.iter().map(|png| jpeg(png)).collect();
            }
            pictures
        }
    };
    use base64::Engine as _;
    let data: Vec<Value> = pictures
        .iter()
        .map(|png| json!({ "b64_json": base64::engine::general_purpose::STANDARD.encode(png) }))
        .collect();
    Json(json!({ "created": 1_764_000_000, "data": data })).into_response()
}

pub struct Provider {
    address: SocketAddr,
    seen: Shared,
}

impl Provider {
    pub async fn start(script: Vec<Option<&str>>) -> Self {
        let seen: Shared = Arc::new(Mutex::new(Seen {
            script: script.into_iter().map(|c| c.map(str::to_owned)).collect(),
            ..Seen::default()
        }));
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(completions))
            .route("/v1/embeddings", axum::routing::post(embeddings))
            .route("/v1/images/generations", axum::routing::post(generations))
            .with_state(Arc::clone(&seen));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { address, seen }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    fn limits() -> Limits {
        Limits {
            retries: 0,
            ..Limits::default()
        }
    }

    /// The provider's chat model, guarded, answered for by `offline` when it fails.
    pub fn chat(&self, offline: Arc<dyn ChatModel>) -> Arc<dyn ChatModel> {
        let provider = llm::OpenAiCompatible::new(llm::Endpoint {
            base_url: self.base_url(),
            api_key: "sk-test".into(),
            wording_model: "deepseek-chat".into(),
            strategy_model: "deepseek-reasoner".into(),
            timeout: Duration::from_secs(5),
        })
        .expect("client");
        Arc::new(Fallback::new(
            Arc::new(Guarded::new(provider, Self::limits())),
            offline,
        ))
    }

    /// The provider's embedding model, guarded.
    pub fn embedder(&self) -> Arc<dyn Embedder> {
        let provider = llm::OpenAiEmbeddings::new(llm::EmbeddingEndpoint {
            base_url: self.base_url(),
            api_key: "sk-test".into(),
            model: "bge-m3".into(),
            timeout: Duration::from_secs(5),
        })
        .expect("client");
        Arc::new(Guarded::new(provider, Self::limits()))
    }

    /// The provider's image model, guarded, answering `drawings` in turn (then 500s).
    pub fn images(&self, drawings: Vec<Drawing>) -> Arc<dyn llm::ImageModel> {
        self.seen.lock().expect("lock").drawings = drawings.into();
        let provider = llm::OpenAiImages::new(llm::ImageEndpoint {
            base_url: self.base_url(),
            api_key: "sk-test".into(),
            model: "Kwai-Kolors/Kolors".into(),
            timeout: Duration::from_secs(30),
            protocol: llm::ImageProtocol::OpenAi,
            poll_every: Duration::from_millis(20),
        })
        .expect("client");
        Arc::new(Guarded::new(provider, Self::limits()))
    }

    /// The provider's chat model as a vision model (answering the script), guarded.
    pub fn vision(&self) -> Arc<dyn llm::VisionModel> {
        let model = llm::OpenAiVision::new(llm::VisionEndpoint {
            base_url: self.base_url(),
            api_key: "sk-test".into(),
            model: "qwen-vl-max".into(),
            timeout: Duration::from_secs(5),
        })
        .expect("client");
        Arc::new(Guarded::new(model, Self::limits()))
    }

    /// How many image requests came.
    pub fn image_calls(&self) -> usize {
        self.seen.lock().expect("lock").images
    }

    /// The chat requests received, in order.
    pub fn chats(&self) -> Vec<Value> {
        self.seen.lock().expect("lock").chats.clone()
    }

    /// How many embedding requests came.
    pub fn embeddings(&self) -> usize {
        self.seen.lock().expect("lock").embeddings
    }

    pub fn fail_embeddings(&self, failing: bool) {
        self.seen.lock().expect("lock").failing_embeddings = failing;
    }
}

/// `png` as a JPEG, as many providers answer.
fn jpeg(png: &[u8]) -> Vec<u8> {
    let picture = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a PNG")
        .to_rgb8();
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .expect("encodes");
    bytes.into_inner()
}
