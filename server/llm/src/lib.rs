//! The model layer. Every chat model serves [`ChatModel`] (and every image model
//! [`ImageModel`], the offline one being the `artist` crate's painter): the OpenAI-compatible adapter
//! ([`OpenAiCompatible`], DeepSeek by default), wrapped in limits, retries and a circuit
//! breaker ([`Guarded`]); the deterministic offline [`Rulebook`]; and the [`Fallback`] that
//! answers offline when no provider is configured or the provider fails. [`ask_json`] turns
//! a model's JSON-mode text into a value checked against a JSON Schema and the caller's own
//! rules, retrying with the problems a bounded number of times.

mod ask;
mod chat;
mod dashscope;
mod embed;
mod fallback;
mod guard;
mod images;
mod offline;
mod openai;
mod vision;

pub use ask::{Answer, AskError, ask_json, schema_problems};
pub use chat::{CallError, ChatModel, ChatRequest, Message, Reply, Role, Tier, Usage};
pub use dashscope::DashScopeImages;
pub use embed::{DIMENSION, Embedder, LEXICAL, Lexical, cosine};
pub use fallback::Fallback;
pub use guard::{Guarded, Limits};
pub use images::{
    Drawn, ImageEndpoint, ImageModel, ImageProtocol, ImageRequest, LOCAL_PAINTER, LocalPainter,
    OpenAiImages,
};
pub use offline::{OFFLINE, Rule, Rulebook};
pub use openai::{EmbeddingEndpoint, Endpoint, OpenAiCompatible, OpenAiEmbeddings};
pub use vision::{Look, OpenAiVision, Verdict, VisionEndpoint, VisionModel};

/// The JSON Schema crate the answers are checked with, for building their validators.
pub use jsonschema;
