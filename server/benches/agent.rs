//! The workflow runtime's own costs, model time left out: a node's run with its checkpoint
//! (claim, run, one transaction with the checkpoint, the thread, the next run item and its
//! WORKFLOW_PROGRESS event), an answer's resume, and the memory 10,000 threads waiting at an
//! interrupt hold (none beyond the database: a waiting thread is rows, not a task). On
//! SurrealKV in a temp dir, one worker, a three-node workflow whose nodes do no work.
//!
//! `cargo bench -p server --bench agent`; figures go to docs/benchmarks.md.

use std::time::{Duration, Instant};

use agent::{Graph, Next, NodeError, Run, Step, Workflow};
use app::state::AppState;
use db::queue::{self, Completion};
use serde::{Deserialize, Serialize};

const TIMED: usize = 500;
const WAITING: usize = 10_000;
const OWNER: &str = "bench-worker";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    n: u32,
}

/// count → ask → done: two nodes to the question, one after the answer.
struct Bench;

impl Workflow<AppState> for Bench {
    type State = Counter;
    const NAME: &'static str = "bench";
    const VERSION: u32 = 1;

    fn graph(&self) -> Graph {
        Graph::new("count")
            .edge("count", "ask")
            .interrupt("ask", "done")
            .end("done")
    }

    async fn run(
        &self,
        _: &AppState,
        run: Run<'_>,
        mut counter: Counter,
    ) -> Result<Step<Counter>, NodeError> {
        counter.n += 1;
        Ok(match run.node {
            "count" => Step::to(counter, Next::goto("ask")),
            "ask" => Step::to(
                counter,
                Next::interrupt(serde_json::json!({"n": 1}), "done"),
            ),
            _ => Step::to(counter, Next::End),
        })
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(values: &mut [Duration], percent: usize) -> f64 {
    values.sort();
    let index = values.len().saturating_sub(1) * percent / 100;
    values.get(index).copied().unwrap_or_default().as_secs_f64() * 1e3
}

/// Runs every ready node, one claimed item at a time; each run's time.
async fn run_all(state: &AppState) -> Vec<Duration> {
    let partitions: Vec<u32> = (0..db::agent::RUNS.partitions).collect();
    let mut times = Vec::new();
    loop {
        let claimed = queue::claim(&state.db, db::agent::RUNS, &partitions, OWNER, 64, 600_000)
            .await
            .expect("claimed");
        if claimed.is_empty() {
            return times;
        }
        for item in &claimed {
            let started = Instant::now();
            state
                .agent
                .work(
                    state,
                    &Completion::of(OWNER, std::slice::from_ref(item)),
                    item,
                )
                .await
                .expect("a node runs");
            times.push(started.elapsed());
        }
    }
}

async fn start(state: &AppState, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(
            state
                .agent
                .start::<Bench>(state, None, "demo", None, &Counter::default())
                .await
                .expect("started"),
        );
    }
    ids
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("surrealkv://{}/db", dir.path().display());
    let config_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let vars = [
        ("MEALQUEST_DATABASE__URL", url.as_str()),
        ("MEALQUEST_DATABASE__DATABASE", "bench"),
        ("MEALQUEST_DEMO__SEED", "true"),
        ("MEALQUEST_ARTIST__MEDIA", "memory://"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = server::config::AppConfig::load_from(&config_dir, &vars).expect("config");
    let mut state = server::startup::build_state(&config).await.expect("state");
    state.agent = state.agent.clone().register(Bench).expect("a whole graph");

    // Node runs with their checkpoints: TIMED threads to their question (two nodes each).
    let ids = start(&state, TIMED).await;
    let mut nodes = run_all(&state).await;
    // Resumes: the answer's checkpoint and the next run queued (the node after it not
    // included), then that node.
    let mut resumes = Vec::with_capacity(TIMED);
    for id in &ids {
        let started = Instant::now();
        state
            .agent
            .resume(&state, id, serde_json::json!({"ok": true}), Some("boss"))
            .await
            .expect("resumed");
        resumes.push(started.elapsed());
    }
    let mut after = run_all(&state).await;
    println!("| operation | n | p50 | p99 |");
    println!("|---|---|---|---|");
    println!(
        "| a node run with its checkpoint (to the question) | {} | {:.2} ms | {:.2} ms |",
        nodes.len(),
        percentile(&mut nodes, 50),
        percentile(&mut nodes, 99)
    );
    println!(
        "| a resume (the answer's checkpoint, the next run queued) | {} | {:.2} ms | {:.2} ms |",
        resumes.len(),
        percentile(&mut resumes, 50),
        percentile(&mut resumes, 99)
    );
    println!(
        "| the node after the answer, to the end | {} | {:.2} ms | {:.2} ms |",
        after.len(),
        percentile(&mut after, 50),
        percentile(&mut after, 99)
    );

    // Memory: WAITING threads at their question, against the process's resident set.
    let before = rss_kib();
    let started = Instant::now();
    start(&state, WAITING).await;
    run_all(&state).await;
    let made = started.elapsed();
    // Let the allocator settle, then measure what stays.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = db::agent::threads(&state.db, "demo", Some("WAITING"), 20_000)
        .await
        .expect("listed")
        .len();
    let held = rss_kib();
    println!(
        "| {waiting} threads waiting at their question | made in {:.1} s | RSS {} MiB → {} MiB | {:+} MiB |",
        made.as_secs_f64(),
        before / 1024,
        held / 1024,
        i64::try_from(held).unwrap_or(0) / 1024 - i64::try_from(before).unwrap_or(0) / 1024
    );
}
