//! Provider callbacks against real SurrealDB: a thread waiting for a provider's job goes on
//! once when the job's signed callback comes — delivered ten times at once, or again under
//! another id — and a callback that is unsigned, late, about another job or another kind of
//! wait changes nothing. A person cannot answer for the provider.

use agent::{Graph, Next, NodeError, Run, Step, Workflow};
use app::domain::callbacks::{Awaiting, ProviderAnswer};
use app::error::AppError;
use app::model::agent::DeliveryOutcome;
use app::service::agent::Runner;
use app::service::callbacks::{self, Webhooks};
use app::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::helpers::seeded_state;

/// The secret shared with the provider, as Standard Webhooks write one.
const SECRET: &str = "whsec_bWVhbHF1ZXN0LXdlYmhvb2stdGVzdC1zZWNyZXQ=";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Picture {
    url: Option<String>,
    failed: Option<String>,
}

/// order a picture → wait for the provider's job → keep what came.
struct Painter;

fn job_of(thread: &str) -> String {
    format!("img-{}", thread.get(..8).unwrap_or(thread))
}

impl Workflow<AppState> for Painter {
    type State = Picture;
    const NAME: &'static str = "painter";
    const VERSION: u32 = 1;

    fn graph(&self) -> Graph {
        Graph::new("order")
            .interrupt("order", "receive")
            .end("receive")
    }

    fn check_answer(
        &self,
        _: &str,
        _: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String> {
        serde_json::from_value::<ProviderAnswer>(answer.clone())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn run(
        &self,
        _: &AppState,
        run: Run<'_>,
        mut picture: Picture,
    ) -> Result<Step<Picture>, NodeError> {
        match (run.node, run.answer) {
            ("order", _) => {
                let awaiting = Awaiting {
                    provider: "images".into(),
                    job: job_of(run.thread)
                        .parse()
                        .map_err(|e| NodeError(format!("{e}")))?,
                };
                let ask = awaiting.ask(json!({ "title": "正在画麻辣小龙虾" }));
                Ok(Step::to(picture, Next::interrupt(ask, "receive")))
            }
            (_, Some(answer)) => {
                let answer: ProviderAnswer =
                    serde_json::from_value(answer.clone()).map_err(|e| NodeError(e.to_string()))?;
                picture.url = answer
                    .output
                    .get("url")
                    .and_then(|url| url.as_str())
                    .map(str::to_owned);
                picture.failed = answer.error;
                Ok(Step::to(picture, Next::End))
            }
            _ => Err(NodeError("no answer".into())),
        }
    }
}

async fn painting() -> (AppState, String) {
    let mut state = seeded_state().await;
    state.agent = state
        .agent
        .clone()
        .register(Painter)
        .expect("a whole graph");
    state.webhooks = Some(Webhooks::new(SECRET).expect("a secret"));
    let thread = state
        .agent
        .start::<Painter>(&state, None, "demo", Some("laowang"), &Picture::default())
        .await
        .expect("started");
    app::work::drain_all(&state, &Runner, "worker").await;
    (state, thread)
}

/// A delivery as a provider sends it: the body, signed as `id` `age_secs` ago with `secret`.
fn signed(
    secret: &str,
    id: &str,
    age_secs: i64,
    body: &serde_json::Value,
) -> (http::HeaderMap, Vec<u8>) {
    let body = serde_json::to_vec(body).expect("JSON");
    let at = chrono::Utc::now().timestamp() - age_secs;
    let signature = Webhooks::new(secret)
        .expect("a secret")
        .sign(id, at, &body)
        .expect("signed");
    let mut headers = http::HeaderMap::new();
    headers.insert("webhook-id", id.parse().expect("header"));
    headers.insert("webhook-timestamp", at.to_string().parse().expect("header"));
    headers.insert("webhook-signature", signature.parse().expect("header"));
    (headers, body)
}

fn done(thread: &str, job: &str) -> serde_json::Value {
    json!({
        "type": "job.succeeded",
        "timestamp": chrono::Utc::now(),
        "data": { "thread_id": thread, "job": job, "output": { "url": "https://img.example/3.png" } }
    })
}

async fn delivered(
    state: &AppState,
    id: &str,
    body: &serde_json::Value,
) -> Result<DeliveryOutcome, AppError> {
    let (headers, bytes) = signed(SECRET, id, 0, body);
    let delivery = callbacks::verify(state, &headers, &bytes)?;
    Ok(callbacks::deliver(state, delivery).await?.outcome)
}

#[tokio::test]
async fn a_signed_callback_resumes_its_thread_once_however_often_it_comes() {
    let (state, thread) = painting().await;
    let waiting = state
        .agent
        .thread(&thread)
        .await
        .expect("reads")
        .expect("thread");
    assert_eq!(waiting.status, "WAITING");
    let body = done(&thread, &job_of(&thread));
    // The provider's delivery, ten times at once (its retries crossing our answers).
    let outcomes = futures::future::join_all(
        (0..10).map(|_| delivered(&state, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", &body)),
    )
    .await;
    let outcomes: Vec<DeliveryOutcome> = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("acknowledged"))
        .collect();
    let resumed = outcomes
        .iter()
        .filter(|o| **o == DeliveryOutcome::Resumed)
        .count();
    assert_eq!(resumed, 1, "{outcomes:?}");
    // The same job's callback again, under another id: the thread took it already.
    assert_eq!(
        delivered(&state, "msg_other", &body)
            .await
            .expect("acknowledged"),
        DeliveryOutcome::Already
    );
    assert_eq!(
        delivered(&state, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", &body)
            .await
            .expect("acknowledged"),
        DeliveryOutcome::Duplicate
    );
    app::work::drain_all(&state, &Runner, "worker").await;
    let finished = state
        .agent
        .thread(&thread)
        .await
        .expect("reads")
        .expect("thread");
    assert_eq!(finished.status, "DONE");
    let history = state.agent.history(&thread).await.expect("history");
    let by_provider: Vec<_> = history
        .iter()
        .filter(|c| c.by.as_deref() == Some("provider:images"))
        .collect();
    assert_eq!(by_provider.len(), 1, "one resume");
    let last = history.last().expect("a checkpoint");
    assert_eq!(last.state["url"], "https://img.example/3.png");
}

#[tokio::test]
async fn unsigned_late_or_mismatched_callbacks_change_nothing() {
    let (state, thread) = painting().await;
    let job = job_of(&thread);
    let body = done(&thread, &job);
    let refused = |result: Result<callbacks::Delivery, AppError>| match result {
        Err(AppError::WebhookRefused(why)) => why,
        other => panic!("refused, not {other:?}"),
    };
    // Another secret; a replay captured ten minutes ago; a body changed after signing.
    let other = "whsec_b3RoZXItc2VjcmV0LW9mLWFub3RoZXItc2VuZGVy";
    let (headers, bytes) = signed(other, "msg_1", 0, &body);
    refused(callbacks::verify(&state, &headers, &bytes));
    let (headers, bytes) = signed(SECRET, "msg_2", 600, &body);
    refused(callbacks::verify(&state, &headers, &bytes));
    let (headers, _) = signed(SECRET, "msg_3", 0, &body);
    let forged = serde_json::to_vec(&done(&thread, "img-forged")).expect("JSON");
    refused(callbacks::verify(&state, &headers, &forged));
    let mut unsigned = headers.clone();
    unsigned.remove("webhook-signature");
    refused(callbacks::verify(&state, &unsigned, &forged));

    // Signed, but about another job, a thread that does not exist, or failed unexplained.
    assert!(matches!(
        delivered(&state, "msg_4", &done(&thread, "img-someone-else")).await,
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        delivered(
            &state,
            "msg_5",
            &done("0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20", &job)
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    let unexplained = json!({"type": "job.failed", "data": {"thread_id": thread, "job": job}});
    assert!(matches!(
        delivered(&state, "msg_6", &unexplained).await,
        Err(AppError::Invalid(_))
    ));
    assert!(matches!(
        delivered(
            &state,
            "msg_7",
            &json!({"type": "job.succeeded", "data": {}})
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    // The boss cannot answer for the provider.
    assert!(matches!(
        app::service::copilot::resume(
            &state,
            "demo",
            "laowang",
            &thread,
            json!({"verdict": "approve"})
        )
        .await,
        Err(AppError::Conflict(_))
    ));
    let still = state
        .agent
        .thread(&thread)
        .await
        .expect("reads")
        .expect("thread");
    assert_eq!((still.status.as_str(), still.step), ("WAITING", 1));

    // A failed job, explained, is an answer too.
    let failed = json!({"type": "job.failed",
        "data": {"thread_id": thread, "job": job, "error": "内容审核未通过"}});
    assert_eq!(
        delivered(&state, "msg_8", &failed)
            .await
            .expect("acknowledged"),
        DeliveryOutcome::Resumed
    );
    app::work::drain_all(&state, &Runner, "worker").await;
    let history = state.agent.history(&thread).await.expect("history");
    assert_eq!(
        history.last().expect("a checkpoint").state["failed"],
        "内容审核未通过"
    );

    let no_secret = AppState {
        webhooks: None,
        ..state.clone()
    };
    let (headers, bytes) = signed(SECRET, "msg_9", 0, &body);
    assert!(matches!(
        callbacks::verify(&no_secret, &headers, &bytes),
        Err(AppError::NotFound(_))
    ));
}
