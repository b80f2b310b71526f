//! The Strategist end to end, offline (the built-in strategist is the model): 500 duck necks
//! piling up on a rainy day → a proposal that keeps the margin above the floor → it waits
//! for the boss with nothing in memory → a new process approves it → the campaign is live
//! and a rainy payment would now be rewarded. Double approvals, edits that break the margin
//! and rejections.

use app::model::rules::TrialTrigger;
use app::service::strategist::{self, Card, Goal, Plan};
use app::state::AppState;
use chrono::Utc;
use serde_json::json;

use std::sync::Arc;

use app::service::models::Models;

use crate::helpers::{DINER, seeded_disk_state, seeded_state, state_at, thread, work};
use crate::provider::Provider;

const MERCHANT: &str = "demo";

async fn rain(state: &AppState) {
    state
        .db
        .query(
            "UPSERT type::record('shop_weather', $m) CONTENT { weather: 'RAINY', at: time::now() }",
        )
        .bind(("m", MERCHANT))
        .await
        .expect("writes")
        .check()
        .expect("rains");
}

fn duck_necks() -> Goal {
    Goal {
        overstock: Some(app::domain::strategy::Overstock {
            item: "鸭脖".into(),
            count: 500,
        }),
        note: None,
    }
}

/// Started and worked to its question: the thread and the card the boss sees.
async fn proposed(state: &AppState) -> (String, Card) {
    rain(state).await;
    let id = strategist::start(state, MERCHANT, "laowang", duck_necks())
        .await
        .expect("started");
    work(state, &id).await;
    let waiting = thread(state, &id).await;
    assert_eq!(waiting.status, "WAITING", "{:?}", waiting.error);
    let card: Card = serde_json::from_value(waiting.ask.expect("the card")).expect("a card");
    (id, card)
}

async fn plan_of(state: &AppState, id: &str) -> Plan {
    let history = state.agent.history(id).await.expect("history");
    let last = history.last().expect("a checkpoint");
    serde_json::from_value(last.state.clone()).expect("the plan")
}

/// A rainy payment of `yuan` by the test diner, decided by the rule engine (and recorded
/// with its facts, as the backtest replays them).
async fn rainy_payment(state: &AppState, yuan: u32) {
    rain(state).await;
    let trigger = app::domain::rules::Trigger {
        id: uuid::Uuid::now_v7().to_string(),
        kind: app::domain::rules::TriggerType::PaymentDone,
        merchant_id: MERCHANT.into(),
        uid: Some(DINER.into()),
        context: app::domain::rules::Context {
            payment: Some(app::domain::Money::yuan(yuan, 0)),
            ..Default::default()
        },
        occurred_at: Utc::now(),
    };
    let trigger = db::rules::NewTrigger {
        merchant: MERCHANT.into(),
        trigger: serde_json::to_value(&trigger).expect("json"),
    };
    db::queue::enqueue(&state.db, &[trigger.item()])
        .await
        .expect("enqueued");
    app::service::rules::decide_all(state).await;
}

#[tokio::test]
async fn overstock_on_a_rainy_day_is_proposed_above_the_margin_approved_after_a_restart_and_goes_live()
 {
    let (state, dir) = seeded_disk_state().await;
    // Last days' payments: one the proposal would reward, one too small.
    rainy_payment(&state, 48).await;
    rainy_payment(&state, 12).await;
    let (id, card) = proposed(&state).await;
    // The rule engine's backtest of the proposal, beside the live campaigns.
    assert_eq!(card.projection.triggers, 2, "{:?}", card.projection);
    // The 48 would be rewarded (or held out, by the sticky 10 % holdout), the 12 would not.
    let replayed = &card.projection.campaign;
    assert_eq!(replayed.rewards + replayed.held_out, 1, "{replayed:?}");
    assert_eq!(replayed.reach, replayed.rewards, "{replayed:?}");
    // Our code's margin, not the model's word: 6.00 of appetizer on a bill of at least 30.
    assert!(card.margin.keeps(40), "{:?}", card.margin);
    assert_eq!(card.model, llm::OFFLINE);
    assert!(!card.degraded);
    let spec = &card.proposal.campaign;
    assert_eq!(
        spec.action.grants.card.as_ref().map(|c| c.as_str()),
        Some("FREE_APPETIZER")
    );
    assert!(
        card.proposal
            .reasoning
            .iter()
            .any(|line| line.contains("鸭脖"))
    );
    let usage = db::agent::thread_usage(&state.db, &id)
        .await
        .expect("usage");
    assert_eq!(usage.questions, 1, "the question is on the thread's bill");
    // The process stops while the proposal waits: nothing of it is in memory.
    let url = format!("surrealkv://{}/db", dir.path().display());
    drop(state);
    let state = state_at(&url).await;
    state
        .agent
        .resume(&state, &id, json!({"verdict": "approve"}), Some("laowang"))
        .await
        .expect("approved");
    work(&state, &id).await;
    assert_eq!(thread(&state, &id).await.status, "DONE");
    let code = strategist::campaign_code(&id);
    let live = app::service::rules::campaign(&state, MERCHANT, &code, Utc::now())
        .await
        .expect("the campaign");
    assert_eq!(live.status, app::domain::rules::CampaignStatus::Active);
    assert!(
        live.spec
            .valid_until
            .is_some_and(|until| until > Utc::now())
    );
    assert!(matches!(
        plan_of(&state, &id).await.decision,
        Some(strategist::Decision::Approved { campaign }) if campaign == code
    ));
    // A rainy payment of the proposal's bill now gets its card.
    let bill = card.margin.bill;
    let trial: TrialTrigger = serde_json::from_value(json!({
        "type": "PAYMENT_DONE", "uid": DINER,
        "context": { "payment": bill, "weather": "RAINY" }
    }))
    .expect("a trial");
    let dry = app::service::rules::lab::dry_run(&state, MERCHANT, &code, trial, Utc::now())
        .await
        .expect("dry run");
    // Or holds it out: the sticky 10 % holdout picks diners by a hash of the campaign's code,
    // which comes from the thread's random id.
    let held_out = dry.decision.held_out.contains(&code);
    assert!(
        dry.decision.fired.contains(&code) || held_out,
        "{:?}",
        dry.decision
    );
    assert!(dry.story.is_some() || held_out);
}

#[tokio::test]
async fn two_approvals_at_once_put_one_campaign_live() {
    let state = seeded_state().await;
    let (id, _) = proposed(&state).await;
    let approve = || {
        state
            .agent
            .resume(&state, &id, json!({"verdict": "approve"}), Some("laowang"))
    };
    let (first, second) = tokio::join!(approve(), approve());
    assert_eq!(
        [&first, &second].iter().filter(|r| r.is_ok()).count(),
        1,
        "{first:?} {second:?}"
    );
    work(&state, &id).await;
    let code = strategist::campaign_code(&id);
    let row = db::rules::campaign(&state.db, MERCHANT, &code)
        .await
        .expect("reads")
        .expect("the campaign");
    assert_eq!((row.status.as_str(), row.version), ("ACTIVE", 1));
}

#[tokio::test]
async fn an_edit_that_breaks_the_margin_goes_back_to_the_boss_and_a_rejection_keeps_its_reason() {
    let state = seeded_state().await;
    let (id, card) = proposed(&state).await;
    // The boss drops the minimum payment: a free appetizer with any bill, judged on the
    // average bill — there are no payments, so the margin cannot be kept.
    let mut edited = serde_json::to_value(&card.proposal.campaign).expect("json");
    edited["condition"] = json!({"check": "weather_in", "weather": ["RAINY"]});
    state
        .agent
        .resume(
            &state,
            &id,
            json!({"verdict": "approve", "campaign": edited}),
            Some("laowang"),
        )
        .await
        .expect("answered");
    work(&state, &id).await;
    let again = thread(&state, &id).await;
    assert_eq!(again.status, "WAITING");
    let card: Card = serde_json::from_value(again.ask.expect("the card")).expect("a card");
    assert!(
        card.problems.iter().any(|p| p.contains("minimum payment")),
        "{:?}",
        card.problems
    );
    let code = strategist::campaign_code(&id);
    assert!(
        db::rules::campaign(&state.db, MERCHANT, &code)
            .await
            .expect("reads")
            .is_none()
    );
    // An empty reason is refused before anything is written; a reason is kept.
    let refused = state
        .agent
        .resume(
            &state,
            &id,
            json!({"verdict": "reject", "reason": " "}),
            Some("laowang"),
        )
        .await;
    assert!(
        matches!(refused, Err(agent::Error::BadAnswer(_))),
        "{refused:?}"
    );
    state
        .agent
        .resume(
            &state,
            &id,
            json!({"verdict": "reject", "reason": "不要打折，送菜可以"}),
            Some("laowang"),
        )
        .await
        .expect("rejected");
    work(&state, &id).await;
    assert_eq!(thread(&state, &id).await.status, "DONE");
    assert!(matches!(
        plan_of(&state, &id).await.decision,
        Some(strategist::Decision::Rejected { reason }) if reason == "不要打折，送菜可以"
    ));
    assert!(
        db::rules::campaign(&state.db, MERCHANT, &code)
            .await
            .expect("reads")
            .is_none()
    );
}

#[tokio::test]
async fn a_rejections_reason_is_remembered_and_the_next_proposals_prompt_carries_it() {
    // The provider fails every chat (the offline strategist answers, degraded) but the
    // stand-in keeps what it was asked; its embeddings work.
    let provider = Provider::start(Vec::new()).await;
    let mut state = seeded_state().await;
    state.models = Models::new(provider.chat(Arc::new(app::service::models::rulebook())), 1)
        .with_embedder(provider.embedder());
    let (first, card) = proposed(&state).await;
    assert!(card.degraded);
    let asked = provider.chats().len();
    assert!(asked >= 1);
    assert!(!prompt_of(&provider, asked).contains("不要打折"));
    state
        .agent
        .resume(
            &state,
            &first,
            json!({"verdict": "reject", "reason": "不要打折，送菜可以"}),
            Some("laowang"),
        )
        .await
        .expect("rejected");
    work(&state, &first).await;
    let kept = db::memory::preferences(&state.db, MERCHANT, 10)
        .await
        .expect("reads");
    assert_eq!(kept.len(), 1, "remembered once");
    assert_eq!(
        (kept[0].text.as_str(), kept[0].source.as_str()),
        ("不要打折，送菜可以", "REJECTION")
    );
    let (_, next) = proposed(&state).await;
    let prompt = prompt_of(&provider, provider.chats().len());
    assert!(prompt.contains("不要打折，送菜可以"), "{prompt}");
    assert!(
        next.proposal
            .reasoning
            .iter()
            .any(|line| line.contains("不要打折")),
        "{:?}",
        next.proposal.reasoning
    );
}

/// The facts message of the `n`th chat request the provider received (1 the first).
fn prompt_of(provider: &Provider, n: usize) -> String {
    let chats = provider.chats();
    chats
        .get(n - 1)
        .and_then(|chat| chat.pointer("/messages/1/content"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_strategist_proposes_unasked_once_per_period_and_once_on_a_rainy_day() {
    let state = seeded_state().await;
    let now = Utc::now();
    let first = strategist::propose_when_due(&state, MERCHANT, now, 7)
        .await
        .expect("due");
    assert_eq!(first.len(), 1, "the routine proposal of this week");
    // Another round, or another process, at the same time: nothing more.
    let again = strategist::propose_when_due(&state, MERCHANT, now, 7)
        .await
        .expect("due");
    assert!(again.is_empty(), "{again:?}");
    // It starts raining today: one more, once.
    rain(&state).await;
    let rainy = strategist::propose_when_due(&state, MERCHANT, now, 7)
        .await
        .expect("due");
    assert_eq!(rainy.len(), 1);
    assert!(
        strategist::propose_when_due(&state, MERCHANT, now, 7)
            .await
            .expect("due")
            .is_empty()
    );
    // Next week's routine is a new one; with the schedule off only the weather counts.
    let next_week =
        strategist::propose_when_due(&state, MERCHANT, now + chrono::Duration::days(7), 7)
            .await
            .expect("due");
    assert_eq!(next_week.len(), 1);
    let off = strategist::propose_when_due(&state, MERCHANT, now, 0)
        .await
        .expect("due");
    assert!(off.is_empty());
    work(&state, &first[0]).await;
    assert_eq!(thread(&state, &first[0]).await.status, "WAITING");
}
