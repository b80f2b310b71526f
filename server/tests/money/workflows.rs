//! The agent's runtime inside the application: its runs worked by the application's
//! consumer of the `agent` queue (`app::work`), its progress published as WORKFLOW_PROGRESS
//! frames in the same transactions, numbered for the shop and read back by its owner.

use agent::{Graph, Next, NodeError, Run, Step, Workflow};
use app::auth::{Principal, Role};
use app::model::realtime::Event;
use app::service::agent::Runner;
use app::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::helpers::seeded_state;

#[derive(Debug, Serialize, Deserialize)]
struct Note {
    text: String,
}

/// write → waits for the boss → finish.
struct Scribe;

impl Workflow<AppState> for Scribe {
    type State = Note;
    const NAME: &'static str = "scribe";
    const VERSION: u32 = 1;

    fn graph(&self) -> Graph {
        Graph::new("write")
            .interrupt("write", "finish")
            .end("finish")
    }

    async fn run(
        &self,
        _: &AppState,
        run: Run<'_>,
        mut note: Note,
    ) -> Result<Step<Note>, NodeError> {
        match run.node {
            "write" => {
                note.text = "雨天送辣椒".into();
                let ask = json!({ "title": note.text });
                Ok(Step::to(note, Next::interrupt(ask, "finish")))
            }
            _ => Ok(Step::to(note, Next::End)),
        }
    }
}

fn owner() -> Principal {
    Principal::Staff {
        staff_id: "laowang".into(),
        merchant_id: "demo".into(),
        role: Role::Owner,
    }
}

/// The statuses the shop's owner has heard of, in order.
async fn heard(state: &AppState) -> Vec<(String, String)> {
    app::realtime::sequencer::number_all(state).await;
    let today = app::service::feed::today_at(state, "demo", &owner(), chrono::Utc::now(), 100)
        .await
        .expect("feed");
    today
        .frames
        .into_iter()
        .filter_map(|frame| match frame.event {
            Event::WorkflowProgress { node, status, .. } => Some((node, status)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_applications_workers_run_a_thread_to_its_question_and_on_after_the_answer() {
    let mut state = seeded_state().await;
    state.agent = state.agent.clone().register(Scribe).expect("a whole graph");
    let thread = state
        .agent
        .start::<Scribe>(
            &state,
            None,
            "demo",
            Some("laowang"),
            &Note {
                text: String::new(),
            },
        )
        .await
        .expect("started");
    app::work::drain_all(&state, &Runner, "worker").await;
    let waiting = state
        .agent
        .thread(&thread)
        .await
        .expect("reads")
        .expect("thread");
    assert_eq!(waiting.status, "WAITING");
    assert_eq!(waiting.ask, Some(json!({ "title": "雨天送辣椒" })));
    state
        .agent
        .resume(
            &state,
            &thread,
            json!({ "verdict": "approve" }),
            Some("laowang"),
        )
        .await
        .expect("answered");
    app::work::drain_all(&state, &Runner, "worker").await;
    let done = state
        .agent
        .thread(&thread)
        .await
        .expect("reads")
        .expect("thread");
    assert_eq!(done.status, "DONE");
    let said = |node: &str, status: &str| (node.to_owned(), status.to_owned());
    assert_eq!(
        heard(&state).await,
        [
            said("", "RUNNING"),
            said("write", "WAITING"),
            said("resume", "RUNNING"),
            said("finish", "DONE"),
        ]
    );
}
