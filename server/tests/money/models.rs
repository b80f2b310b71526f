//! The model layer inside the application: every question a workflow asks is recorded with
//! what it cost, per merchant and thread — answered by the provider (a local stand-in that
//! speaks the OpenAI chat protocol), answered offline for a failing provider, or refused for
//! answers that never passed their schema.

use std::sync::Arc;

use app::service::models::{Models, ask};
use app::state::AppState;
use chrono::Utc;
use llm::{AskError, ChatRequest, Fallback, Rulebook, Tier};
use serde_json::{Value, json};

use crate::helpers::seeded_state;
use crate::provider::Provider;

/// The state with its model at a stand-in provider answering `script`.
async fn with_provider(script: Vec<Option<&str>>) -> AppState {
    let provider = Provider::start(script).await;
    let mut state = seeded_state().await;
    state.models = Models::new(provider.chat(Arc::new(rulebook())), 3);
    state
}

fn rulebook() -> Rulebook {
    Rulebook::new().with(
        "test.title",
        |_: &ChatRequest| json!({ "title": "雨天送小菜" }),
    )
}

fn question(thread: &str) -> ChatRequest {
    ChatRequest {
        task: "test.title".into(),
        tier: Tier::Wording,
        merchant: "demo".into(),
        thread: Some(thread.into()),
        system: "Name the campaign. Answer in JSON.".into(),
        facts: json!({ "dish": "鸭脖" }),
        messages: Vec::new(),
        attempt: 1,
    }
}

fn schema() -> llm::jsonschema::Validator {
    llm::jsonschema::validator_for(&json!({
        "type": "object", "required": ["title"],
        "properties": { "title": { "type": "string", "minLength": 2 } }
    }))
    .expect("schema")
}

#[derive(Debug, serde::Deserialize)]
struct Titled {
    title: String,
}

fn fine(_: &Titled) -> Vec<String> {
    Vec::new()
}

/// The recorded rows of `thread`: (outcome, model, prompt, completion, attempts).
async fn recorded(state: &AppState, thread: &str) -> Vec<(String, Option<String>, i64, i64, i64)> {
    let mut response = state
        .db
        .query("SELECT outcome, model, prompt_tokens, completion_tokens, attempts, at FROM model_usage WHERE thread = $t ORDER BY at")
        .bind(("t", thread.to_owned()))
        .await
        .expect("reads");
    let rows: Vec<Value> = response.take(0).expect("rows");
    rows.iter()
        .map(|row| {
            let int = |key: &str| row.get(key).and_then(Value::as_i64).unwrap_or(-1);
            (
                row.get("outcome")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                row.get("model").and_then(Value::as_str).map(str::to_owned),
                int("prompt_tokens"),
                int("completion_tokens"),
                int("attempts"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_providers_answer_is_recorded_with_its_tokens_for_the_merchant_and_the_thread() {
    let state = with_provider(vec![
        Some(r#"{"title":"x"}"#),
        Some(r#"{"title":"雨天鸭脖"}"#),
    ])
    .await;
    let answer = ask(&state, question("t1"), &schema(), fine)
        .await
        .expect("answer");
    assert_eq!(answer.value.title, "雨天鸭脖");
    assert_eq!(
        recorded(&state, "t1").await,
        [("ANSWERED".into(), Some("deepseek-chat".into()), 200, 40, 2)],
        "both attempts' tokens, once"
    );
    let thread = db::agent::thread_usage(&state.db, "t1")
        .await
        .expect("sums");
    assert_eq!(
        (
            thread.questions,
            thread.prompt_tokens,
            thread.completion_tokens
        ),
        (1, 200, 40)
    );
    // The thread list's figures: the same sums, one query for every thread listed.
    let listed = db::agent::threads_usage(&state.db, &["t1".into(), "quiet".into()])
        .await
        .expect("sums");
    assert_eq!(listed.get("t1"), Some(&thread));
    assert_eq!(listed.get("quiet"), None, "a thread that asked nothing");
    let today =
        db::agent::merchant_usage(&state.db, "demo", Utc::now() - chrono::Duration::hours(1))
            .await
            .expect("sums");
    assert_eq!(today.prompt_tokens + today.completion_tokens, 240);
    let elsewhere =
        db::agent::merchant_usage(&state.db, "other", Utc::now() - chrono::Duration::hours(1))
            .await
            .expect("sums");
    assert_eq!(elsewhere, db::agent::UsageTotal::default());
}

#[tokio::test]
async fn a_failing_provider_is_answered_for_offline_and_recorded_as_degraded() {
    let state = with_provider(vec![None]).await;
    let answer = ask(&state, question("t2"), &schema(), fine)
        .await
        .expect("offline answer");
    assert!(answer.degraded);
    assert_eq!(answer.value.title, "雨天送小菜");
    assert_eq!(
        recorded(&state, "t2").await,
        [("DEGRADED".into(), Some(llm::OFFLINE.into()), 0, 0, 1)]
    );
}

#[tokio::test]
async fn answers_that_never_pass_their_checks_are_refused_and_their_cost_still_recorded() {
    let state = with_provider(vec![Some(r#"{"title":"a"}"#); 3]).await;
    let refused = ask(&state, question("t3"), &schema(), fine)
        .await
        .expect_err("refused");
    assert!(
        matches!(refused, AskError::Invalid { attempts: 3, .. }),
        "{refused:?}"
    );
    assert_eq!(
        recorded(&state, "t3").await,
        [("INVALID".into(), None, 300, 60, 3)]
    );
}

#[tokio::test]
async fn with_no_provider_the_rulebook_is_the_model() {
    let mut state = seeded_state().await;
    state.models = Models::new(Arc::new(Fallback::offline(Arc::new(rulebook()))), 3);
    let answer = ask(&state, question("t4"), &schema(), fine)
        .await
        .expect("offline");
    assert!(!answer.degraded);
    assert_eq!(
        recorded(&state, "t4").await,
        [("ANSWERED".into(), Some(llm::OFFLINE.into()), 0, 0, 1)]
    );
}
