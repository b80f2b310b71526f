//! The runtime against a real SurrealDB (in memory, or on disk where a restart matters),
//! its runs claimed from the real work queue: interrupts wait without memory and resume
//! after a restart, an answer is taken once, a node whose worker died commits once, finished
//! threads keep their last checkpoints and are forgotten after their retention.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use agent::{
    Announce, Change, Error, Graph, Next, NodeError, Run, Runtime, Settings, Step, Workflow,
};
use db::queue::{self, Claimed, Completion};
use db::{ConnectOptions, Db};
use serde::{Deserialize, Serialize};
use serde_json::json;

const MERCHANT: &str = "demo";

/// What the test workflow's nodes reach: counters of their runs, and a gate the first run
/// of `propose` waits at when the test closes it (a slow model call).
struct Shop {
    proposed: AtomicU32,
    decided: AtomicU32,
    gate: tokio::sync::Semaphore,
    gated: std::sync::atomic::AtomicBool,
}

impl Default for Shop {
    fn default() -> Self {
        Self {
            proposed: AtomicU32::new(0),
            decided: AtomicU32::new(0),
            gate: tokio::sync::Semaphore::new(0),
            gated: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Announce for Shop {
    fn announce(&self, change: &Change<'_>) -> Vec<db::events::NewEvent> {
        vec![db::events::NewEvent {
            recipients: vec![format!("merchant:{}", change.merchant)],
            kind: "WORKFLOW_PROGRESS".into(),
            payload: json!({"thread": change.thread, "node": change.node, "step": change.step}),
        }]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Plan {
    overstock: u32,
    proposal: Option<String>,
    verdict: Option<String>,
}

/// sense → propose (tells the boss: its side effect) → waits for the boss → decide → end.
struct Proposer;

impl Workflow<Shop> for Proposer {
    type State = Plan;
    const NAME: &'static str = "proposer";
    const VERSION: u32 = 1;

    fn graph(&self) -> Graph {
        Graph::new("sense")
            .edge("sense", "propose")
            .interrupt("propose", "decide")
            .end("decide")
            .edge("decide", "wander")
            .end("wander")
    }

    fn check_answer(
        &self,
        _then: &str,
        _ask: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String> {
        match answer.get("verdict").and_then(|v| v.as_str()) {
            Some("approve" | "reject" | "stray") => Ok(()),
            _ => Err("verdict: approve or reject".into()),
        }
    }

    async fn run(
        &self,
        shop: &Shop,
        run: Run<'_>,
        mut plan: Plan,
    ) -> Result<Step<Plan>, NodeError> {
        match run.node {
            "sense" => {
                plan.overstock = 500;
                Ok(Step::to(plan, Next::goto("propose")))
            }
            "propose" => {
                if run.attempt == 1 && shop.gated.load(Ordering::SeqCst) {
                    let _held = shop.gate.acquire().await;
                }
                shop.proposed.fetch_add(1, Ordering::SeqCst);
                let title = format!("雨天鸭脖 {} 份", plan.overstock);
                plan.proposal = Some(title.clone());
                // The proposal's draft campaign, saved with the step and named by it (a
                // second save of a new code throws VERSION_CHANGED; a restart from an earlier
                // checkpoint runs propose at a new step and drafts anew).
                let draft = db::rules::CampaignSave {
                    merchant: run.merchant.to_owned(),
                    code: format!("AI_{}_{}", run.thread, run.step),
                    name: title.clone(),
                    status: "DRAFT".into(),
                    expected: None,
                    spec: json!({"name": title}),
                    by: None,
                };
                Ok(Step {
                    next: Next::interrupt(json!({"title": title}), "decide"),
                    events: vec![db::events::NewEvent {
                        recipients: vec![format!("merchant:{}", run.merchant)],
                        kind: "PROPOSAL".into(),
                        payload: json!({"key": run.key(), "title": title}),
                    }],
                    effects: Vec::new(),
                    state: plan,
                }
                .with_effect(db::agent::Effect::SaveCampaign(draft)))
            }
            "decide" => {
                shop.decided.fetch_add(1, Ordering::SeqCst);
                let verdict = run
                    .answer
                    .and_then(|a| a.get("verdict"))
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| NodeError("no answer".into()))?
                    .to_owned();
                let next = if verdict == "stray" {
                    // A way the graph does not draw from decide.
                    Next::goto("sense")
                } else {
                    Next::End
                };
                plan.verdict = Some(verdict);
                Ok(Step::to(plan, next))
            }
            other => Err(NodeError(format!("no node {other}"))),
        }
    }
}

fn options(url: String, database: &str) -> ConnectOptions {
    ConnectOptions {
        url,
        namespace: "test".into(),
        database: database.to_owned(),
        credentials: None,
    }
}

async fn memory_db() -> Db {
    let name = format!("t{}", uuid::Uuid::new_v4().simple());
    let db = db::connect(&options("mem://".into(), &name))
        .await
        .expect("connects");
    db::migrations::migrate(&db).await.expect("migrates");
    db
}

/// The store opened again once the stopped process's handle lets go of its lock.
async fn reopen(options: &ConnectOptions) -> Db {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match db::connect(options).await {
            Ok(db) => return db,
            Err(err)
                if std::time::Instant::now() < deadline && err.to_string().contains("locked") =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(err) => panic!("cannot open the store again: {err}"),
        }
    }
}

fn runtime(db: &Db, settings: Settings) -> Runtime<Shop> {
    Runtime::new(db.clone(), settings)
        .register(Proposer)
        .expect("a whole graph")
}

fn all_partitions() -> Vec<u32> {
    (0..db::agent::RUNS.partitions).collect()
}

/// Works the agent queue as `owner` until it is empty; returns the items worked.
async fn drive(db: &Db, runtime: &Runtime<Shop>, shop: &Shop, owner: &str) -> usize {
    let mut worked = 0;
    loop {
        let items = queue::claim(db, db::agent::RUNS, &all_partitions(), owner, 10, 30_000)
            .await
            .expect("claims");
        if items.is_empty() {
            return worked;
        }
        for item in &items {
            work(runtime, shop, owner, item).await.expect("works");
            worked += 1;
        }
    }
}

async fn work(
    runtime: &Runtime<Shop>,
    shop: &Shop,
    owner: &str,
    item: &Claimed,
) -> Result<(), Error> {
    let done = Completion::of(owner, std::slice::from_ref(item));
    runtime.work(shop, &done, item).await
}

/// The events of `kind` published (waiting in the events queue: no sequencer runs here).
async fn published(db: &Db, kind: &str) -> Vec<serde_json::Value> {
    let mut response = db
        .query(
            "SELECT payload.payload AS payload, at FROM queue_item
                 WHERE queue = 'events' AND payload.type = $kind ORDER BY at",
        )
        .bind(("kind", kind.to_owned()))
        .await
        .expect("reads");
    let rows: Vec<serde_json::Value> = response.take(0).expect("payloads");
    rows.into_iter()
        .filter_map(|row| row.get("payload").cloned())
        .collect()
}

/// A thread started and run to its interrupt.
async fn waiting(db: &Db, runtime: &Runtime<Shop>, shop: &Shop) -> String {
    let thread = runtime
        .start::<Proposer>(shop, None, MERCHANT, None, &plan())
        .await
        .expect("started");
    drive(db, runtime, shop, "w").await;
    thread
}

fn plan() -> Plan {
    Plan {
        overstock: 0,
        proposal: None,
        verdict: None,
    }
}

#[tokio::test]
async fn a_thread_waits_at_its_interrupt_with_nothing_in_memory_and_resumes_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("surrealkv://{}/db", dir.path().display());
    let shop = Shop::default();
    let thread = {
        let db = db::connect(&options(url.clone(), "agent"))
            .await
            .expect("connects");
        db::migrations::migrate(&db).await.expect("migrates");
        let runtime = runtime(&db, Settings::default());
        let thread = runtime
            .start::<Proposer>(&shop, None, MERCHANT, Some("laowang"), &plan())
            .await
            .expect("started");
        assert_eq!(drive(&db, &runtime, &shop, "process-1").await, 2);
        let waiting = runtime
            .thread(&thread)
            .await
            .expect("reads")
            .expect("a thread");
        assert_eq!(waiting.status, "WAITING");
        assert_eq!(waiting.step, 2);
        assert_eq!(waiting.node.as_deref(), Some("decide"));
        assert_eq!(waiting.ask, Some(json!({"title": "雨天鸭脖 500 份"})));
        thread
        // The process stops: its runtime and its connection are gone.
    };
    let db = reopen(&options(url, "agent")).await;
    let runtime = runtime(&db, Settings::default());
    let resumed = runtime
        .resume(
            &shop,
            &thread,
            json!({"verdict": "approve"}),
            Some("laowang"),
        )
        .await
        .expect("resumed");
    assert_eq!(resumed.status, "RUNNING");
    assert_eq!(drive(&db, &runtime, &shop, "process-2").await, 1);
    let done = runtime
        .thread(&thread)
        .await
        .expect("reads")
        .expect("a thread");
    assert_eq!(done.status, "DONE");
    assert!(done.finished_at.is_some());
    let history = runtime.history(&thread).await.expect("history");
    let nodes: Vec<&str> = history.iter().map(|c| c.node.as_str()).collect();
    // Five kept by default: the start, sense, propose, the answer, decide.
    assert_eq!(nodes, ["", "sense", "propose", "resume", "decide"]);
    let answer = history.get(3).expect("the answer");
    assert_eq!(answer.input, Some(json!({"verdict": "approve"})));
    assert_eq!(answer.by.as_deref(), Some("laowang"));
    assert_eq!(
        history.last().map(|c| c.state.clone()),
        Some(json!({"overstock": 500, "proposal": "雨天鸭脖 500 份", "verdict": "approve"}))
    );
    assert_eq!(published(&db, "PROPOSAL").await.len(), 1);
    let progress = published(&db, "WORKFLOW_PROGRESS").await;
    let steps: Vec<i64> = progress
        .iter()
        .filter_map(|p| p.get("step").and_then(serde_json::Value::as_i64))
        .collect();
    assert_eq!(steps, [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn two_answers_at_once_resume_the_thread_once() {
    let db = memory_db().await;
    let shop = Shop::default();
    let runtime = runtime(&db, Settings::default());
    let thread = waiting(&db, &runtime, &shop).await;
    let answer = |verdict: &'static str| {
        let (runtime, thread, shop) = (runtime.clone(), thread.clone(), &shop);
        async move {
            runtime
                .resume(shop, &thread, json!({ "verdict": verdict }), Some("boss"))
                .await
        }
    };
    let (first, second) = tokio::join!(answer("approve"), answer("reject"));
    let taken = [&first, &second].iter().filter(|r| r.is_ok()).count();
    assert_eq!(taken, 1, "{first:?} {second:?}");
    let refused = if first.is_ok() { second } else { first };
    assert!(matches!(refused, Err(Error::NotWaiting(_))), "{refused:?}");
    drive(&db, &runtime, &shop, "w").await;
    assert_eq!(shop.decided.load(Ordering::SeqCst), 1);
    let answers = runtime
        .history(&thread)
        .await
        .expect("history")
        .into_iter()
        .filter(|c| c.node == "resume")
        .count();
    assert_eq!(answers, 1);
    // Answering a finished thread writes nothing either.
    let late = runtime
        .resume(&shop, &thread, json!({"verdict": "approve"}), None)
        .await;
    assert!(matches!(late, Err(Error::NotWaiting(_))), "{late:?}");
}

#[tokio::test]
async fn a_node_whose_worker_stalled_past_its_lease_commits_its_effect_once() {
    let db = memory_db().await;
    let shop = Arc::new(Shop::default());
    let runtime = runtime(&db, Settings::default());
    let thread = runtime
        .start::<Proposer>(&shop, None, MERCHANT, None, &plan())
        .await
        .expect("started");
    // sense runs; propose is next.
    let sense = queue::claim(&db, db::agent::RUNS, &all_partitions(), "a", 10, 30_000)
        .await
        .expect("claims");
    for item in &sense {
        work(&runtime, &shop, "a", item).await.expect("works");
    }
    // Worker a takes propose with a short lease and stalls in it (a slow model call).
    shop.gated.store(true, Ordering::SeqCst);
    let stalled = queue::claim(&db, db::agent::RUNS, &all_partitions(), "a", 10, 200)
        .await
        .expect("claims");
    let item = stalled.first().expect("propose's run").clone();
    let slow = {
        let (runtime, shop, item) = (runtime.clone(), Arc::clone(&shop), item.clone());
        tokio::spawn(async move { work(&runtime, &shop, "a", &item).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Its lease expired: worker b takes the same run over and finishes it.
    let taken = queue::claim(&db, db::agent::RUNS, &all_partitions(), "b", 10, 30_000)
        .await
        .expect("claims");
    assert_eq!(taken.iter().map(|i| &i.id).collect::<Vec<_>>(), [&item.id]);
    for item in &taken {
        work(&runtime, &shop, "b", item).await.expect("works");
    }
    // Worker a wakes up and tries to commit the same step: refused, nothing written.
    shop.gate.add_permits(1);
    let late = slow.await.expect("joins");
    assert!(
        matches!(&late, Err(Error::Database(err)) if err.rejection() == Some(&db::Rejection::LeaseLost)),
        "{late:?}"
    );
    assert_eq!(
        shop.proposed.load(Ordering::SeqCst),
        2,
        "the node ran twice"
    );
    assert_eq!(published(&db, "PROPOSAL").await.len(), 1, "its event once");
    let draft = db::rules::campaign(&db, MERCHANT, &format!("AI_{thread}_1"))
        .await
        .expect("reads")
        .expect("the draft campaign, saved with the step");
    assert_eq!(
        (draft.status.as_str(), draft.version),
        ("DRAFT", 1),
        "saved once"
    );
    let waiting = runtime
        .thread(&thread)
        .await
        .expect("reads")
        .expect("a thread");
    assert_eq!((waiting.status.as_str(), waiting.step), ("WAITING", 2));
    assert_eq!(
        drive(&db, &runtime, &shop, "c").await,
        0,
        "nothing left to run"
    );
}

#[tokio::test]
async fn a_run_delivered_again_after_its_step_was_written_changes_nothing() {
    let db = memory_db().await;
    let shop = Shop::default();
    let runtime = runtime(&db, Settings::default());
    let thread = waiting(&db, &runtime, &shop).await;
    // The same run item as the one propose's step came from, as if delivered twice.
    db::queue::enqueue(
        &db,
        &[db::queue::NewItem::new(
            db::agent::RUNS,
            &thread,
            json!({"thread": thread, "step": 1}),
        )],
    )
    .await
    .expect("enqueued");
    assert_eq!(drive(&db, &runtime, &shop, "w").await, 1);
    assert_eq!(shop.proposed.load(Ordering::SeqCst), 1);
    assert_eq!(published(&db, "PROPOSAL").await.len(), 1);
}

#[tokio::test]
async fn an_answer_the_workflow_refuses_writes_nothing() {
    let db = memory_db().await;
    let shop = Shop::default();
    let runtime = runtime(&db, Settings::default());
    let thread = waiting(&db, &runtime, &shop).await;
    let refused = runtime
        .resume(&shop, &thread, json!({"verdict": "maybe"}), None)
        .await;
    assert!(
        matches!(&refused, Err(Error::BadAnswer(reason)) if reason.contains("approve")),
        "{refused:?}"
    );
    let still = runtime
        .thread(&thread)
        .await
        .expect("reads")
        .expect("a thread");
    assert_eq!((still.status.as_str(), still.step), ("WAITING", 2));
    let unknown = runtime.resume(&shop, "nobody", json!({}), None).await;
    assert!(
        matches!(unknown, Err(Error::UnknownThread(_))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_node_that_takes_an_undrawn_way_fails_its_thread_with_the_reason() {
    let db = memory_db().await;
    let shop = Shop::default();
    let runtime = runtime(&db, Settings::default());
    let thread = waiting(&db, &runtime, &shop).await;
    runtime
        .resume(&shop, &thread, json!({"verdict": "stray"}), None)
        .await
        .expect("resumed");
    drive(&db, &runtime, &shop, "w").await;
    let failed = runtime
        .thread(&thread)
        .await
        .expect("reads")
        .expect("a thread");
    assert_eq!(failed.status, "FAILED");
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("decide")),
        "{:?}",
        failed.error
    );
}

#[tokio::test]
async fn a_thread_started_twice_with_one_id_runs_once() {
    let db = memory_db().await;
    let shop = Shop::default();
    let runtime = runtime(&db, Settings::default());
    let id = Some("strategist:demo:2026-11-30".to_owned());
    runtime
        .start::<Proposer>(&shop, id.clone(), MERCHANT, None, &plan())
        .await
        .expect("started");
    let again = runtime
        .start::<Proposer>(&shop, id, MERCHANT, None, &plan())
        .await;
    assert!(matches!(again, Err(Error::AlreadyStarted(_))), "{again:?}");
    assert_eq!(drive(&db, &runtime, &shop, "w").await, 2);
}

#[tokio::test]
async fn a_thread_restarts_from_an_earlier_checkpoint_but_not_while_it_runs() {
    let db = memory_db().await;
    let shop = Shop::default();
    let runtime = runtime(
        &db,
        Settings {
            keep: 50,
            ..Settings::default()
        },
    );
    let thread = runtime
        .start::<Proposer>(&shop, None, MERCHANT, None, &plan())
        .await
        .expect("started");
    let busy = runtime.restart_from(&shop, &thread, 0, None).await;
    assert!(matches!(busy, Err(Error::Busy(_))), "{busy:?}");
    drive(&db, &runtime, &shop, "w").await;
    runtime
        .resume(&shop, &thread, json!({"verdict": "reject"}), None)
        .await
        .expect("resumed");
    drive(&db, &runtime, &shop, "w").await;
    // Done; the boss wants it proposed again, from after sense (step 1).
    let restarted = runtime
        .restart_from(&shop, &thread, 1, Some("laowang"))
        .await
        .expect("restarted");
    assert_eq!((restarted.status.as_str(), restarted.step), ("RUNNING", 5));
    drive(&db, &runtime, &shop, "w").await;
    let waiting = runtime
        .thread(&thread)
        .await
        .expect("reads")
        .expect("a thread");
    assert_eq!((waiting.status.as_str(), waiting.step), ("WAITING", 6));
    let history = runtime.history(&thread).await.expect("history");
    let restart = history
        .iter()
        .find(|c| c.node == "restart")
        .expect("the restart");
    assert_eq!((restart.step, restart.parent), (5, Some(1)));
    assert_eq!(restart.state, history.get(1).expect("sense").state);
    assert_eq!(shop.proposed.load(Ordering::SeqCst), 2);
    let missing = runtime.restart_from(&shop, &thread, 99, None).await;
    assert!(
        matches!(missing, Err(Error::UnknownCheckpoint { step: 99, .. })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_finished_thread_keeps_its_last_checkpoints_and_is_forgotten_after_its_retention() {
    let db = memory_db().await;
    let shop = Shop::default();
    let settings = Settings {
        keep: 2,
        retention: Duration::from_secs(3600),
    };
    let runtime = runtime(&db, settings);
    let thread = waiting(&db, &runtime, &shop).await;
    assert_eq!(
        runtime.history(&thread).await.expect("history").len(),
        3,
        "waiting: all kept"
    );
    runtime
        .resume(&shop, &thread, json!({"verdict": "approve"}), None)
        .await
        .expect("resumed");
    drive(&db, &runtime, &shop, "w").await;
    let kept: Vec<i64> = runtime
        .history(&thread)
        .await
        .expect("history")
        .iter()
        .map(|c| c.step)
        .collect();
    assert_eq!(kept, [3, 4]);
    let now = chrono::Utc::now();
    assert_eq!(
        runtime.purge_finished(now).await.expect("purged"),
        0,
        "too young"
    );
    let later = now + chrono::Duration::hours(2);
    assert_eq!(runtime.purge_finished(later).await.expect("purged"), 1);
    assert!(runtime.thread(&thread).await.expect("reads").is_none());
    assert!(runtime.history(&thread).await.expect("history").is_empty());
}
