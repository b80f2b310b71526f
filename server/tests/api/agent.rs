//! The Copilot API through HTTP, with the server's own workers running the agent queue:
//! the boss's sentence starts the Strategist, its proposal waits as the thread's question,
//! one answer puts the campaign live (a second is 409), a rejection's reason is kept; a
//! cashier and another shop see nothing.

use std::time::Duration;

use app::api::agent::{Checkpoint, CommandReply, Intent, Thread};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

async fn owner(app: &crate::helpers::TestApp) -> String {
    app.staff_token("laowang", "owner-demo-1").await
}

async fn command(app: &crate::helpers::TestApp, token: &str, text: &str) -> CommandReply {
    app.call(
        "/api/agent/command",
        token,
        &json!({"command": {"text": text}}),
    )
    .await
}

/// The thread once it stopped running (the server's workers run it).
async fn settled(app: &crate::helpers::TestApp, token: &str, id: &str) -> Thread {
    for _ in 0..200 {
        let thread: Thread = app
            .read(&format!("/api/agent/thread?thread_id={id}"), token)
            .await;
        if thread.status != "RUNNING" {
            return thread;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("thread {id} still running");
}

async fn resume(
    app: &crate::helpers::TestApp,
    token: &str,
    id: &str,
    answer: serde_json::Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/agent/resume/{id}"),
        Some(token),
        None,
        &answer,
    )
    .await
}

#[tokio::test]
async fn the_bosss_sentence_becomes_a_proposal_and_one_approval_puts_it_live() {
    let app = spawn_app().await;
    let token = owner(&app).await;
    let started = command(&app, &token, "鸭脖积压了500份，下雨天搞个活动").await;
    assert_eq!(started.intent, Intent::Strategist);
    assert!(started.reply.contains("鸭脖"), "{}", started.reply);
    let id = started.thread_id.expect("a thread");
    let waiting = settled(&app, &token, &id).await;
    assert_eq!(waiting.status, "WAITING", "{:?}", waiting.error);
    assert_eq!(waiting.workflow, "strategist");
    let card: app::api::agent::Card =
        serde_json::from_value(waiting.ask.expect("the card")).expect("a proposal card");
    assert!(card.margin.keeps(40));
    let listed: Vec<Thread> = app.read("/api/agent/threads?status=WAITING", &token).await;
    assert!(listed.iter().any(|thread| thread.thread_id == id));

    // Two answers at once: one resumes, the other is refused with 409.
    let (first, second) = tokio::join!(
        resume(&app, &token, &id, json!({"verdict": "approve"})),
        resume(&app, &token, &id, json!({"verdict": "approve"})),
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let done = settled(&app, &token, &id).await;
    assert_eq!(done.status, "DONE", "{:?}", done.error);
    let code = app::service::strategist::campaign_code(&id);
    let live: Vec<app::api::rules::Campaign> = app.read("/api/campaigns", &token).await;
    let campaign = live.iter().find(|c| c.code == code).expect("the campaign");
    assert_eq!(campaign.status, app::api::rules::CampaignStatus::Active);
    let history: Vec<Checkpoint> = app
        .read(&format!("/api/agent/thread/history?thread_id={id}"), &token)
        .await;
    let answered = history
        .iter()
        .find(|c| c.node == "resume")
        .expect("the answer");
    assert_eq!(answered.by.as_deref(), Some("laowang"));
    // Answered already: nothing waits any more.
    let late = resume(
        &app,
        &token,
        &id,
        json!({"verdict": "reject", "reason": "晚了"}),
    )
    .await;
    assert_problem(late, 409, "CONFLICT").await;
}

#[tokio::test]
async fn a_rejection_is_remembered_and_bad_answers_and_strangers_are_refused() {
    let app = spawn_app().await;
    let token = owner(&app).await;
    let id = command(&app, &token, "帮我策划一个活动")
        .await
        .thread_id
        .expect("a thread");
    assert_eq!(settled(&app, &token, &id).await.status, "WAITING");
    // A cashier cannot read or answer it; a made-up thread is not found.
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let peek = app
        .get_as(&format!("/api/agent/thread?thread_id={id}"), &cashier)
        .await;
    assert_problem(peek, 403, "FORBIDDEN").await;
    let answer = resume(&app, &cashier, &id, json!({"verdict": "approve"})).await;
    assert_problem(answer, 403, "FORBIDDEN").await;
    let unknown = resume(
        &app,
        &token,
        "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        json!({"verdict": "approve"}),
    )
    .await;
    assert_problem(unknown, 404, "NOT_FOUND").await;
    let not_an_id = resume(&app, &token, "x'); DELETE agent_thread; --", json!({})).await;
    assert_problem(not_an_id, 422, "VALIDATION_FAILED").await;
    // An answer that is not one, and an empty reason: refused, nothing written.
    for bad in [
        json!({"verdict": "maybe"}),
        json!({"verdict": "reject", "reason": " "}),
    ] {
        let refused = resume(&app, &token, &id, bad).await;
        assert_problem(refused, 422, "VALIDATION_FAILED").await;
    }
    let rejected = resume(
        &app,
        &token,
        &id,
        json!({"verdict": "reject", "reason": "不要打折，送菜可以"}),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    assert_eq!(settled(&app, &token, &id).await.status, "DONE");
    let kept = db::memory::preferences(&app.db, "demo", 10)
        .await
        .expect("reads");
    assert_eq!(kept.len(), 1);
    let said = command(&app, &token, "记住：周末别搞活动").await;
    assert_eq!((said.intent, said.thread_id), (Intent::Remember, None));
    let unclear = command(&app, &token, "今天天气怎么样").await;
    assert_eq!(unclear.intent, Intent::Unknown);
    let empty = app
        .post(
            "/api/agent/command",
            Some(&token),
            None,
            &json!({"command": {"text": "   "}}),
        )
        .await;
    assert_problem(empty, 422, "VALIDATION_FAILED").await;
}

/// The secret these tests share with the "provider" (Standard Webhooks: `whsec_` + base64).
const WEBHOOK_SECRET: &str = "whsec_bWVhbHF1ZXN0LXdlYmhvb2stdGVzdC1zZWNyZXQ=";

/// Posts a provider's callback about `thread`'s job `job`, signed with `secret` when given.
async fn callback(
    app: &crate::helpers::TestApp,
    secret: Option<&str>,
    thread: &str,
    job: &str,
) -> reqwest::Response {
    let body = serde_json::to_vec(&json!({
        "type": "job.succeeded",
        "data": {"thread_id": thread, "job": job, "output": {"url": "https://img.example/1.png"}}
    }))
    .expect("JSON");
    let mut request = app
        .client
        .post(format!("http://{}/api/agent/webhook", app.address))
        .header("content-type", "application/json");
    if let Some(secret) = secret {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let at = chrono::Utc::now().timestamp();
        let signature = app::service::callbacks::Webhooks::new(secret)
            .expect("a secret")
            .sign(&id, at, &body)
            .expect("signed");
        request = request
            .header("webhook-id", id)
            .header("webhook-timestamp", at.to_string())
            .header("webhook-signature", signature);
    }
    request.body(body).send().await.expect("answered")
}

#[tokio::test]
async fn a_provider_callback_must_be_signed_and_about_a_job_a_thread_waits_for() {
    let app = crate::helpers::spawn_app_with(&[(
        "MEALQUEST_SECRET_AGENT_WEBHOOK_SECRET",
        WEBHOOK_SECRET,
    )])
    .await;
    let token = owner(&app).await;
    let unknown = "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20";
    // No session is asked for; the signature is.
    assert_problem(
        callback(&app, None, unknown, "img-1").await,
        401,
        "WEBHOOK_REFUSED",
    )
    .await;
    let forged = "whsec_b3RoZXItc2VjcmV0LW9mLWFub3RoZXItc2VuZGVy";
    assert_problem(
        callback(&app, Some(forged), unknown, "img-1").await,
        401,
        "WEBHOOK_REFUSED",
    )
    .await;
    assert_problem(
        callback(&app, Some(WEBHOOK_SECRET), unknown, "img-1").await,
        404,
        "NOT_FOUND",
    )
    .await;
    // A proposal waits for the boss, not for a provider: a signed callback cannot answer it.
    let started = command(&app, &token, "鸭脖积压了500份，下雨天搞个活动").await;
    let id = started.thread_id.expect("a thread");
    assert_eq!(settled(&app, &token, &id).await.status, "WAITING");
    assert_problem(
        callback(&app, Some(WEBHOOK_SECRET), &id, "img-1").await,
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(settled(&app, &token, &id).await.status, "WAITING");

    // Without a shared secret there is no endpoint.
    let bare = spawn_app().await;
    assert_problem(
        callback(&bare, Some(WEBHOOK_SECRET), unknown, "img-1").await,
        404,
        "NOT_FOUND",
    )
    .await;
}
