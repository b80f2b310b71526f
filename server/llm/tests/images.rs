//! The image adapter's real client path (async-openai over HTTP) against a local stand-in
//! that speaks OpenAI's `/images/generations`: pictures inline (`b64_json`) or as URLs to
//! fetch, a provider that draws one picture per call, 500s, a provider that never answers;
//! and the offline painter that stands in for it.

mod support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use llm::{
    CallError, Guarded, ImageEndpoint, ImageModel, ImageRequest, Limits, LocalPainter, OpenAiImages,
};
use serde_json::{Value, json};

/// The CJK font `make setup` installs.
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

static RENDERER: LazyLock<Arc<artist::Renderer>> = LazyLock::new(|| {
    Arc::new(
        artist::Renderer::from_file(std::path::Path::new(FONT))
            .unwrap_or_else(|e| panic!("{e} (make setup installs fonts-wqy-microhei)")),
    )
});

fn renderer() -> Arc<artist::Renderer> {
    Arc::clone(&RENDERER)
}

/// How the stand-in answers the next call.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// `n` pictures (at most this many), inline.
    Inline(usize),
    /// `n` pictures (at most this many) as links to fetch.
    Links(usize),
    Status(u16),
    Silent,
}

#[derive(Default)]
struct Seen {
    script: VecDeque<Answer>,
    requests: Vec<Value>,
    keys: Vec<String>,
    files: Vec<Vec<u8>>,
}

type Shared = support::Shared<Seen>;

/// A small picture with the call's number in it, so every picture is another.
fn picture(number: usize) -> Vec<u8> {
    renderer()
        .draw(&artist::Sketch {
            prompt: "stand-in",
            title: "小龙虾",
            seed: u64::try_from(number).expect("small"),
            size: 64,
        })
        .expect("drawn")
        .png
}

async fn generations(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let (next, number) = {
        let mut seen = seen.lock().expect("lock");
        seen.requests.push(body.clone());
        seen.keys.push(
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
        (
            seen.script.pop_front().unwrap_or(Answer::Status(500)),
            seen.requests.len(),
        )
    };
    let asked = body
        .get("n")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1);
    let pictures = |most: usize| (0..asked.min(most)).map(move |i| picture(number * 10 + i));
    let data: Vec<Value> = match next {
        Answer::Inline(most) => pictures(most)
            .map(|png| json!({ "b64_json": base64::engine::general_purpose::STANDARD.encode(png) }))
            .collect(),
        Answer::Links(most) => {
            let host = headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let mut seen = seen.lock().expect("lock");
            pictures(most)
                .map(|png| {
                    seen.files.push(png);
                    json!({ "url": format!("http://{host}/files/{}", seen.files.len() - 1) })
                })
                .collect()
        }
        Answer::Status(status) => {
            let status = StatusCode::from_u16(status).expect("status");
            return (
                status,
                Json(json!({ "error": { "message": "drawing failed", "type": "server_error" } })),
            )
                .into_response();
        }
        Answer::Silent => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Vec::new()
        }
    };
    Json(json!({ "created": 1_764_000_000, "data": data })).into_response()
}

async fn file(State(seen): State<Shared>, Path(index): Path<usize>) -> Response {
    let png = seen.lock().expect("lock").files.get(index).cloned();
    match png {
        Some(png) => ([("content-type", "image/png")], png).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

struct StandIn {
    seen: Shared,
    address: SocketAddr,
}

impl StandIn {
    async fn start(script: Vec<Answer>) -> Self {
        let (seen, address) = support::serve(
            Seen {
                script: script.into(),
                ..Seen::default()
            },
            axum::Router::new()
                .route("/v1/images/generations", post(generations))
                .route("/files/{index}", get(file)),
        )
        .await;
        Self { seen, address }
    }

    fn model(&self) -> OpenAiImages {
        OpenAiImages::new(ImageEndpoint {
            base_url: format!("http://{}/v1", self.address),
            api_key: "sk-img".into(),
            model: "Kwai-Kolors/Kolors".into(),
            timeout: Duration::from_millis(500),
            protocol: llm::ImageProtocol::OpenAi,
            poll_every: Duration::from_millis(20),
        })
        .expect("client")
    }

    fn requests(&self) -> Vec<Value> {
        self.seen.lock().expect("lock").requests.clone()
    }
}

fn request(count: u32) -> ImageRequest {
    ImageRequest {
        merchant: "m1".into(),
        prompt: "麻辣小龙虾, isometric, 3D render, clay texture".into(),
        title: "麻辣小龙虾".into(),
        size: 1024,
        count,
        seed: 7,
    }
}

fn quick() -> Limits {
    Limits {
        per_merchant_per_minute: NonZeroU32::new(1_000).expect("n"),
        global_per_minute: NonZeroU32::new(1_000).expect("n"),
        retries: 1,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_error_rate: 0.2,
        min_calls: 4,
        window: Duration::from_millis(300),
        open_for: Duration::from_secs(60),
    }
}

fn links_of(stand_in: &StandIn) -> usize {
    stand_in.seen.lock().expect("lock").files.len()
}

#[tokio::test]
async fn pictures_answered_inline_are_decoded_with_the_model_and_size_asked() {
    let stand_in = StandIn::start(vec![Answer::Inline(10)]).await;
    let drawn = stand_in.model().draw(&request(4)).await.expect("pictures");
    assert_eq!(drawn.pictures.len(), 4);
    assert_eq!(drawn.model, "Kwai-Kolors/Kolors");
    assert!(drawn.pictures.iter().all(|png| png.starts_with(b"\x89PNG")));
    let asked = stand_in.requests();
    let body = asked.first().expect("one call");
    assert_eq!(body["model"], "Kwai-Kolors/Kolors");
    assert_eq!(body["n"], 4);
    assert_eq!(body["size"], "1024x1024");
    assert_eq!(body["prompt"], request(4).prompt);
    assert_eq!(
        stand_in.seen.lock().expect("lock").keys,
        vec!["Bearer sk-img".to_owned()]
    );
}

#[tokio::test]
async fn pictures_answered_as_links_are_fetched() {
    let stand_in = StandIn::start(vec![Answer::Links(10)]).await;
    let drawn = stand_in.model().draw(&request(2)).await.expect("pictures");
    assert_eq!(drawn.pictures.len(), 2);
    assert_eq!(links_of(&stand_in), 2);
    assert_ne!(drawn.pictures.first(), drawn.pictures.get(1));
}

#[tokio::test]
async fn a_provider_that_draws_one_per_call_is_asked_again_for_the_rest() {
    let stand_in = StandIn::start(vec![Answer::Inline(1); 4]).await;
    let drawn = stand_in.model().draw(&request(4)).await.expect("pictures");
    assert_eq!(drawn.pictures.len(), 4);
    let asked: Vec<Value> = stand_in.requests().iter().map(|r| r["n"].clone()).collect();
    assert_eq!(asked, vec![json!(4), json!(3), json!(2), json!(1)]);
}

#[tokio::test]
async fn five_hundreds_are_retried_then_open_the_breaker() {
    let stand_in = StandIn::start(Vec::new()).await;
    let guarded = Guarded::new(stand_in.model(), quick());
    let error = guarded.draw(&request(4)).await.expect_err("500");
    assert_eq!(error, CallError::Server { status: 500 });
    assert_eq!(stand_in.requests().len(), 2, "one call and one retry");
    while !guarded.is_open() {
        assert!(guarded.draw(&request(4)).await.is_err());
    }
    let before = stand_in.requests().len();
    let error = guarded.draw(&request(4)).await.expect_err("open");
    assert!(matches!(error, CallError::Unavailable(_)), "{error:?}");
    assert_eq!(
        stand_in.requests().len(),
        before,
        "an open breaker calls nobody"
    );
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out() {
    let stand_in = StandIn::start(vec![Answer::Silent]).await;
    let error = stand_in
        .model()
        .draw(&request(4))
        .await
        .expect_err("timeout");
    assert_eq!(error, CallError::Timeout);
}

#[tokio::test]
async fn the_offline_painter_draws_the_same_four_distinct_pictures_for_the_same_seed() {
    let painter = LocalPainter::new(renderer());
    let mut small = request(4);
    small.size = 128;
    let first = painter.draw(&small).await.expect("pictures");
    let again = painter.draw(&small).await.expect("pictures");
    assert_eq!(first, again);
    assert_eq!(first.model, llm::LOCAL_PAINTER);
    let mut distinct = first.pictures.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);
    small.seed = 8;
    assert_ne!(painter.draw(&small).await.expect("pictures"), first);
}
