//! The real client path (async-openai over HTTP) against a local stand-in that speaks the
//! OpenAI chat-completions protocol as DeepSeek does: good JSON, broken JSON, an answer
//! that breaks the schema, 429, 500, a refused key and a provider that never answers.

mod support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use llm::{
    AskError, CallError, ChatModel, ChatRequest, Embedder, EmbeddingEndpoint, Endpoint, Fallback,
    Guarded, Limits, OpenAiCompatible, OpenAiEmbeddings, Rulebook, Tier, ask_json,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// What the stand-in answers to the next request.
#[derive(Clone, Debug)]
enum Scripted {
    Content(String),
    Status(u16),
    Silent,
    /// Embeddings of this many dimensions, whatever was asked.
    Dimensions(usize),
}

#[derive(Default)]
struct Seen {
    script: VecDeque<Scripted>,
    requests: Vec<Value>,
    keys: Vec<String>,
}

type Shared = support::Shared<Seen>;

async fn completions(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let next = {
        let mut seen = seen.lock().expect("lock");
        seen.requests.push(body.clone());
        seen.keys.push(
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
        seen.script.pop_front().unwrap_or(Scripted::Status(500))
    };
    match next {
        Scripted::Content(content) => Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_764_000_000,
            "model": body.get("model"),
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content },
                "finish_reason": "stop",
                "logprobs": null
            }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 }
        }))
        .into_response(),
        Scripted::Status(code) => {
            let status = StatusCode::from_u16(code).expect("status");
            let kind = if code == 429 {
                "rate_limit_error"
            } else {
                "invalid_request_error"
            };
            (
                status,
                Json(json!({ "error": { "message": format!("stand-in says {code}"), "type": kind, "param": null, "code": null } })),
            )
                .into_response()
        }
        Scripted::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Scripted::Dimensions(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// `/embeddings` as OpenAI documents it: one vector per input, `dimensions` long (or as
/// scripted), or the scripted failure.
async fn embeddings(State(seen): State<Shared>, Json(body): Json<Value>) -> Response {
    let next = {
        let mut seen = seen.lock().expect("lock");
        seen.requests.push(body.clone());
        seen.script.pop_front().unwrap_or(Scripted::Status(500))
    };
    let asked = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1024);
    let length = match next {
        Scripted::Dimensions(n) => n,
        Scripted::Content(_) => asked,
        other => return completions_failure(other).await,
    };
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    // A vector that depends on the text (the lexical one, stretched or cut to length).
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let base = llm::Lexical::vector(text);
            let vector: Vec<f32> = base.iter().copied().cycle().take(length).collect();
            json!({ "object": "embedding", "index": index, "embedding": vector })
        })
        .collect();
    Json(json!({
        "object": "list", "data": data, "model": body.get("model"),
        "usage": { "prompt_tokens": 8, "total_tokens": 8 }
    }))
    .into_response()
}

/// A scripted failure answered as `/chat/completions` answers it.
async fn completions_failure(scripted: Scripted) -> Response {
    let seen: Shared = Arc::new(Mutex::new(Seen {
        script: vec![scripted].into(),
        ..Seen::default()
    }));
    completions(State(seen), HeaderMap::new(), Json(json!({}))).await
}

struct StandIn {
    seen: Shared,
    address: SocketAddr,
}

impl StandIn {
    async fn start(script: Vec<Scripted>) -> Self {
        let (seen, address) = support::serve(
            Seen {
                script: script.into(),
                ..Seen::default()
            },
            axum::Router::new()
                .route("/v1/chat/completions", post(completions))
                .route("/v1/embeddings", post(embeddings)),
        )
        .await;
        Self { seen, address }
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint {
            base_url: format!("http://{}/v1", self.address),
            api_key: "sk-test".into(),
            wording_model: "deepseek-chat".into(),
            strategy_model: "deepseek-reasoner".into(),
            timeout: Duration::from_millis(500),
        }
    }

    fn embedder(&self) -> OpenAiEmbeddings {
        OpenAiEmbeddings::new(EmbeddingEndpoint {
            base_url: format!("http://{}/v1", self.address),
            api_key: "sk-test".into(),
            model: "bge-m3".into(),
            timeout: Duration::from_millis(500),
        })
        .expect("client")
    }

    fn model(&self) -> OpenAiCompatible {
        OpenAiCompatible::new(self.endpoint()).expect("client")
    }

    /// A plan asked straight of the adapter, three attempts, no check beyond the schema.
    async fn plan(&self) -> Result<llm::Answer<Plan>, AskError> {
        ask_json(&self.model(), request("m1"), &plan_schema(), 3, no_check).await
    }

    fn requests(&self) -> Vec<Value> {
        self.seen.lock().expect("lock").requests.clone()
    }
}

/// Quick limits for tests: pauses of milliseconds, a breaker that judges after 4 calls and
/// a window of 300 ms (it never opens before one window has passed).
fn quick() -> Limits {
    Limits {
        per_merchant_per_minute: NonZeroU32::new(1_000).expect("n"),
        global_per_minute: NonZeroU32::new(1_000).expect("n"),
        retries: 2,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_error_rate: 0.2,
        min_calls: 4,
        window: Duration::from_millis(300),
        open_for: Duration::from_secs(60),
    }
}

fn request(merchant: &str) -> ChatRequest {
    ChatRequest {
        task: "strategist.plan".into(),
        tier: Tier::Strategy,
        merchant: merchant.into(),
        thread: Some("thread-1".into()),
        system: "You plan a campaign. Answer in JSON.".into(),
        facts: json!({ "overstock": { "item": "鸭脖", "count": 500 }, "weather": "RAINY" }),
        messages: Vec::new(),
        attempt: 1,
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Plan {
    title: String,
    margin: f64,
}

fn plan_schema() -> jsonschema::Validator {
    jsonschema::validator_for(&json!({
        "type": "object",
        "required": ["title", "margin"],
        "properties": {
            "title": { "type": "string", "minLength": 1 },
            "margin": { "type": "number", "minimum": 0, "maximum": 1 }
        },
        "additionalProperties": false
    }))
    .expect("schema")
}

fn no_check(_: &Plan) -> Vec<String> {
    Vec::new()
}

#[tokio::test]
async fn a_good_answer_is_read_with_its_usage_from_the_strategy_model_in_json_mode() {
    let stand_in = StandIn::start(vec![Scripted::Content(
        r#"{"title":"雨天鸭脖","margin":0.46}"#.into(),
    )])
    .await;
    let answer = stand_in.plan().await.expect("answer");
    assert_eq!(
        answer.value,
        Plan {
            title: "雨天鸭脖".into(),
            margin: 0.46
        }
    );
    assert_eq!(
        (answer.attempts, answer.usage.total(), answer.degraded),
        (1, 120, false)
    );
    let sent = stand_in.requests();
    let [sent] = sent.as_slice() else {
        panic!("one request: {sent:?}")
    };
    assert_eq!(sent["model"], "deepseek-reasoner");
    assert_eq!(sent["response_format"]["type"], "json_object");
    assert_eq!(sent["messages"][0]["role"], "system");
    let facts = sent["messages"][1]["content"].as_str().expect("facts");
    assert!(facts.contains("鸭脖") && facts.contains("JSON"), "{facts}");
    assert_eq!(stand_in.seen.lock().expect("lock").keys, ["Bearer sk-test"]);
}

#[tokio::test]
async fn broken_json_goes_back_to_the_model_with_what_was_wrong_and_the_second_answer_counts() {
    let stand_in = StandIn::start(vec![
        Scripted::Content("{\"title\": \"雨天鸭脖\", ".into()),
        Scripted::Content(r#"{"title":"雨天鸭脖","margin":0.5}"#.into()),
    ])
    .await;
    let answer = stand_in.plan().await.expect("answer");
    assert_eq!((answer.attempts, answer.usage.total()), (2, 240));
    let second = &stand_in.requests()[1]["messages"];
    let said = second.as_array().expect("messages");
    let complaint = said.last().expect("complaint")["content"]
        .as_str()
        .expect("text");
    assert!(complaint.contains("not JSON"), "{complaint}");
    assert_eq!(said[said.len() - 2]["role"], "assistant");
}

#[tokio::test]
async fn an_answer_that_keeps_breaking_the_schema_or_the_check_is_never_returned() {
    let stand_in = StandIn::start(vec![
        Scripted::Content(r#"{"title":"","margin":3}"#.into()),
        Scripted::Content(r#"{"title":"打折","margin":0.2}"#.into()),
        Scripted::Content(r#"{"title":"打折","margin":0.3}"#.into()),
    ])
    .await;
    let margin_at_least_40 = |plan: &Plan| {
        if plan.margin < 0.4 {
            vec![format!("the margin {} is under 0.4", plan.margin)]
        } else {
            Vec::new()
        }
    };
    let refused = ask_json(
        &stand_in.model(),
        request("m1"),
        &plan_schema(),
        3,
        margin_at_least_40,
    )
    .await
    .expect_err("refused");
    let AskError::Invalid {
        attempts,
        problems,
        usage,
    } = refused
    else {
        panic!("invalid: {refused:?}")
    };
    assert_eq!((attempts, usage.total()), (3, 360));
    assert!(
        problems.iter().any(|p| p.contains("under 0.4")),
        "{problems:?}"
    );
    let second = stand_in.requests()[1]["messages"].to_string();
    assert!(
        second.contains("/margin") && second.contains("/title"),
        "{second}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let stand_in = StandIn::start(vec![
        Scripted::Status(429),
        Scripted::Status(429),
        Scripted::Content(r#"{"title":"雨天鸭脖","margin":0.5}"#.into()),
    ])
    .await;
    let model = Guarded::new(stand_in.model(), quick());
    let answer = ask_json(&model, request("m1"), &plan_schema(), 1, no_check)
        .await
        .expect("answer after two 429s");
    assert_eq!(answer.value.margin, 0.5);
    assert_eq!(stand_in.requests().len(), 3);
}

#[tokio::test]
async fn a_refused_key_is_not_retried() {
    let stand_in = StandIn::start(vec![Scripted::Status(401)]).await;
    let model = Guarded::new(stand_in.model(), quick());
    let error = model.chat(&request("m1")).await.expect_err("refused");
    assert!(
        matches!(error, CallError::Refused { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(stand_in.requests().len(), 1);
}

fn offline() -> Arc<dyn ChatModel> {
    Arc::new(Rulebook::new().with("strategist.plan", |request: &ChatRequest| {
        json!({ "title": format!("{}送小菜", request.facts.pointer("/overstock/item").and_then(Value::as_str).unwrap_or("")), "margin": 0.45 })
    }))
}

#[tokio::test]
async fn five_hundreds_open_the_breaker_and_the_offline_model_answers_without_calling_the_provider()
{
    // Every call fails (the stand-in answers 500 when its script is empty).
    let stand_in = StandIn::start(Vec::new()).await;
    let guarded = Arc::new(Guarded::new(stand_in.model(), quick()));
    let remote: Arc<dyn ChatModel> = guarded.clone();
    let model = Fallback::new(remote, offline());
    let first = ask_json(&model, request("m1"), &plan_schema(), 1, no_check)
        .await
        .expect("degraded answer");
    assert!(first.degraded);
    assert_eq!(first.model, llm::OFFLINE);
    assert_eq!(first.value.title, "鸭脖送小菜");
    // 1 + 2 retries, then more failing calls until the breaker has seen enough.
    while !guarded.is_open() {
        let answer = model.chat(&request("m1")).await.expect("degraded");
        assert!(answer.degraded);
    }
    let before = stand_in.requests().len();
    assert!(before >= 4, "the breaker judged after {before} calls");
    let answer = model.chat(&request("m2")).await.expect("degraded");
    assert!(answer.degraded);
    assert_eq!(
        stand_in.requests().len(),
        before,
        "an open breaker calls nobody"
    );
    let error = guarded.chat(&request("m2")).await.expect_err("open");
    assert!(matches!(error, CallError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out_and_the_shop_still_gets_an_answer() {
    let stand_in = StandIn::start(vec![Scripted::Silent, Scripted::Silent, Scripted::Silent]).await;
    let limits = Limits {
        retries: 0,
        ..quick()
    };
    let error = Guarded::new(stand_in.model(), limits.clone())
        .chat(&request("m1"))
        .await
        .expect_err("timeout");
    assert_eq!(error, CallError::Timeout);
    let model = Fallback::new(Arc::new(Guarded::new(stand_in.model(), limits)), offline());
    let answer = model.chat(&request("m1")).await.expect("offline");
    assert!(answer.degraded);
}

#[tokio::test]
async fn a_merchant_over_its_limit_waits_its_turn_while_another_merchant_does_not() {
    let stand_in = StandIn::start(
        (0..3)
            .map(|_| Scripted::Content(r#"{"title":"t","margin":0.5}"#.into()))
            .collect(),
    )
    .await;
    let limits = Limits {
        per_merchant_per_minute: NonZeroU32::new(1).expect("n"),
        ..quick()
    };
    let model = Guarded::new(stand_in.model(), limits);
    model.chat(&request("busy")).await.expect("first call");
    let (busy, quiet) = (request("busy"), request("quiet"));
    let second = model.chat(&busy);
    let other = model.chat(&quiet);
    tokio::pin!(second);
    tokio::select! {
        _ = &mut second => panic!("the busy merchant's second call in the same minute went through"),
        answer = other => { answer.expect("the quiet merchant is not held up"); }
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), &mut second)
            .await
            .is_err(),
        "the second call waits (queued), it is not refused"
    );
    assert_eq!(stand_in.requests().len(), 2);
}

#[tokio::test]
async fn offline_with_no_provider_is_the_normal_mode_not_a_degraded_one() {
    let model = Fallback::offline(offline());
    assert!(model.is_offline());
    let answer = ask_json(&model, request("m1"), &plan_schema(), 1, no_check)
        .await
        .expect("offline answer");
    assert!(!answer.degraded);
    assert_eq!(answer.usage.total(), 0);
    let mut unknown = request("m1");
    unknown.task = "nobody.knows".into();
    let error = model.chat(&unknown).await.expect_err("no rule");
    assert!(matches!(error, CallError::Unavailable(_)));
}

#[tokio::test]
async fn embeddings_come_one_per_text_in_order_with_the_dimensions_asked() {
    let stand_in = StandIn::start(vec![Scripted::Content(String::new())]).await;
    let embedder = Guarded::new(stand_in.embedder(), quick());
    let texts = vec!["不要打折".to_owned(), "喜欢送菜".to_owned()];
    let vectors = embedder.embed("m1", &texts).await.expect("vectors");
    assert_eq!(vectors.len(), 2);
    assert!(vectors.iter().all(|v| v.len() == llm::DIMENSION));
    assert!(llm::cosine(&vectors[0], &llm::Lexical::vector("不要打折")) > 0.99);
    assert_eq!(embedder.space(), "openai:bge-m3");
    let sent = stand_in.requests();
    let body = sent.first().expect("one request");
    assert_eq!(body.get("model"), Some(&json!("bge-m3")));
    assert_eq!(body.get("dimensions"), Some(&json!(llm::DIMENSION)));
    assert_eq!(body.get("input"), Some(&json!(["不要打折", "喜欢送菜"])));
}

#[tokio::test]
async fn vectors_of_another_length_or_a_failing_provider_are_errors_not_vectors() {
    let stand_in = StandIn::start(vec![
        Scripted::Dimensions(1024),
        Scripted::Status(500),
        Scripted::Status(500),
        Scripted::Content(String::new()),
    ])
    .await;
    let texts = vec!["不要打折".to_owned()];
    let plain = stand_in.embedder();
    let wrong = plain.embed("m1", &texts).await.expect_err("wrong length");
    assert!(matches!(wrong, CallError::Malformed(_)), "{wrong:?}");
    // Guarded: two 500s are retried, the third call answers.
    let guarded = Guarded::new(plain, quick());
    let vectors = guarded.embed("m1", &texts).await.expect("after retries");
    assert_eq!(vectors.len(), 1);
    assert_eq!(stand_in.requests().len(), 4);
}
