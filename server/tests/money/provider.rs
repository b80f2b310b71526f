//! A local stand-in for a model provider that speaks the OpenAI protocol as DeepSeek and
//! embedding providers do: `/v1/chat/completions` answers the scripted contents in turn (a
//! 500 for `None` or when the script runs out), `/v1/embeddings` answers a vector per input
//! (derived from the text, the length asked) or 500s while told to fail. It keeps every
//! chat request, so tests read what the model was told.

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

#[derive(Default)]
struct Seen {
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
