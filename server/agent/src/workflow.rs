//! What a workflow is to the runtime: a graph of nodes over a serde state of a known
//! version, each node an async function of the state (and, after an interrupt, a person's
//! answer) that says what comes next. Pure apart from what a node itself does.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::graph::{Graph, Next, Node};

/// One run of a node: which thread, which step it starts from, and the answer it resumes
/// with (only the node an interrupt named, right after the answer).
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub thread: &'a str,
    pub merchant: &'a str,
    pub node: Node,
    /// The checkpoint the node starts from. With the thread it keys every side effect the
    /// node commits, and every outside call it makes: a node run again (its worker died)
    /// passes the same key.
    pub step: i64,
    pub answer: Option<&'a serde_json::Value>,
    /// 1 the first time this step runs.
    pub attempt: i64,
}

impl Run<'_> {
    /// The key of this step's side effects and outside calls: `thread/step/node`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.thread, self.step, self.node)
    }
}

/// What a node gives back: the state after it, the way on, and the events that tell people
/// (published with the checkpoint, in its transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct Step<S> {
    pub state: S,
    pub next: Next,
    pub events: Vec<db::events::NewEvent>,
    /// Its side effects (a campaign saved), committed with its checkpoint: a node run again
    /// after its worker died cannot commit them twice.
    pub effects: Vec<db::agent::Effect>,
}

impl<S> Step<S> {
    /// `state`, then `next`, telling nobody.
    pub fn to(state: S, next: Next) -> Self {
        Self {
            state,
            next,
            events: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// The same step, committing `effect` with its checkpoint.
    pub fn with_effect(mut self, effect: db::agent::Effect) -> Self {
        self.effects.push(effect);
        self
    }
}

/// A node that could not finish now (a model down, a timeout): its run goes back to the
/// queue and is tried again later from the same checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NodeError(pub String);

/// A workflow run with context `C` (what its nodes reach: the database, the models).
pub trait Workflow<C>: Send + Sync + 'static {
    /// Its state, checkpointed after every node.
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Its name, stored on its threads.
    const NAME: &'static str;

    /// The version of `State`'s shape this build writes (`schema_version`).
    const VERSION: u32;

    /// Its nodes and their ways out.
    fn graph(&self) -> Graph;

    /// A state written at version `from`, in version `from + 1`'s shape. Each version that
    /// changed the shape adds its step here; none by default.
    fn migrate(&self, from: u32, state: serde_json::Value) -> Result<serde_json::Value, String> {
        let _ = state;
        Err(format!(
            "{} has no migration from version {from}",
            Self::NAME
        ))
    }

    /// Whether `answer` answers what the interrupt asked (`ask`, resuming into `then`);
    /// refused with the reason, before anything is written.
    fn check_answer(
        &self,
        then: &str,
        ask: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String> {
        let _ = (then, ask, answer);
        Ok(())
    }

    /// Runs `run.node` on `state`.
    fn run(
        &self,
        context: &C,
        run: Run<'_>,
        state: Self::State,
    ) -> impl Future<Output = Result<Step<Self::State>, NodeError>> + Send;
}

/// Why a stored state could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Written by a newer build: left for a process that knows its shape.
    #[error("the state is version {found}, newer than this build's {known}")]
    Newer { found: u32, known: u32 },
    /// A migration or the state's shape failed.
    #[error("the state does not read: {0}")]
    Unreadable(String),
}

/// `state` of `version` brought to `W::VERSION`, one migration at a time.
pub fn upgrade<C, W: Workflow<C>>(
    workflow: &W,
    version: u32,
    mut state: serde_json::Value,
) -> Result<serde_json::Value, StateError> {
    if version > W::VERSION {
        return Err(StateError::Newer {
            found: version,
            known: W::VERSION,
        });
    }
    for from in version..W::VERSION {
        state = workflow
            .migrate(from, state)
            .map_err(StateError::Unreadable)?;
    }
    Ok(state)
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a node's run gave, its state as JSON.
pub(crate) type Ran = Result<Step<serde_json::Value>, RunError>;

/// Why a run gave nothing to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    State(#[from] StateError),
}

/// A workflow with its state as JSON, so one runtime holds workflows of every state type.
pub(crate) trait Erased<C>: Send + Sync {
    fn version(&self) -> u32;
    fn graph(&self) -> &Graph;
    fn check_answer(
        &self,
        then: &str,
        ask: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String>;
    /// A fresh state of this workflow as stored (refused if it is not one).
    fn initial(&self, state: serde_json::Value) -> Result<serde_json::Value, StateError>;
    fn run<'a>(
        &'a self,
        context: &'a C,
        run: Run<'a>,
        state: serde_json::Value,
        version: u32,
    ) -> Boxed<'a, Ran>;
}

/// A workflow and its graph, checked once.
pub(crate) struct Typed<W> {
    pub(crate) workflow: W,
    pub(crate) graph: Graph,
}

impl<C: Sync, W: Workflow<C>> Erased<C> for Typed<W> {
    fn version(&self) -> u32 {
        W::VERSION
    }

    fn graph(&self) -> &Graph {
        &self.graph
    }

    fn check_answer(
        &self,
        then: &str,
        ask: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String> {
        self.workflow.check_answer(then, ask, answer)
    }

    fn initial(&self, state: serde_json::Value) -> Result<serde_json::Value, StateError> {
        let typed: W::State = read(state)?;
        write(&typed)
    }

    fn run<'a>(
        &'a self,
        context: &'a C,
        run: Run<'a>,
        state: serde_json::Value,
        version: u32,
    ) -> Boxed<'a, Ran> {
        Box::pin(async move {
            let state: W::State = read(upgrade(&self.workflow, version, state)?)?;
            let step = self.workflow.run(context, run, state).await?;
            Ok(Step {
                state: write(&step.state)?,
                next: step.next,
                events: step.events,
                effects: step.effects,
            })
        })
    }
}

fn read<S: DeserializeOwned>(state: serde_json::Value) -> Result<S, StateError> {
    serde_json::from_value(state).map_err(|e| StateError::Unreadable(e.to_string()))
}

fn write<S: Serialize>(state: &S) -> Result<serde_json::Value, StateError> {
    let value = serde_json::to_value(state).map_err(|e| StateError::Unreadable(e.to_string()))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(StateError::Unreadable(
            "a workflow's state must be a JSON object".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    /// Version 1 counted in `n`; version 2 calls it `count`; version 3 adds `notes`.
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Counted {
        count: u32,
        notes: Vec<String>,
    }

    struct Counter;

    impl Workflow<()> for Counter {
        type State = Counted;
        const NAME: &'static str = "counter";
        const VERSION: u32 = 3;

        fn graph(&self) -> Graph {
            Graph::new("count").end("count")
        }

        fn migrate(
            &self,
            from: u32,
            mut state: serde_json::Value,
        ) -> Result<serde_json::Value, String> {
            let object = state.as_object_mut().ok_or("not an object")?;
            match from {
                1 => {
                    let n = object.remove("n").ok_or("no n")?;
                    object.insert("count".into(), n);
                }
                2 => {
                    object.insert("notes".into(), json!([]));
                }
                _ => return Err(format!("no migration from {from}")),
            }
            Ok(state)
        }

        async fn run(
            &self,
            _: &(),
            _: Run<'_>,
            mut state: Counted,
        ) -> Result<Step<Counted>, NodeError> {
            state.count += 1;
            Ok(Step::to(state, Next::End))
        }
    }

    #[test]
    fn an_old_state_is_migrated_one_version_at_a_time() {
        let upgraded = upgrade(&Counter, 1, json!({"n": 4})).expect("migrates");
        assert_eq!(upgraded, json!({"count": 4, "notes": []}));
        let current = upgrade(&Counter, 3, json!({"count": 1, "notes": ["x"]})).expect("as is");
        assert_eq!(current, json!({"count": 1, "notes": ["x"]}));
    }

    #[test]
    fn a_newer_state_is_left_alone_and_a_broken_one_says_why() {
        assert_eq!(
            upgrade(&Counter, 4, json!({})),
            Err(StateError::Newer { found: 4, known: 3 })
        );
        assert!(matches!(
            upgrade(&Counter, 1, json!({"m": 1})),
            Err(StateError::Unreadable(reason)) if reason == "no n"
        ));
        assert!(matches!(
            upgrade(&Counter, 0, json!({})),
            Err(StateError::Unreadable(_))
        ));
    }

    #[tokio::test]
    async fn the_erased_run_reads_the_old_state_and_writes_the_current_one() {
        let typed = Typed {
            workflow: Counter,
            graph: Counter.graph(),
        };
        let run = Run {
            thread: "t",
            merchant: "m",
            node: "count",
            step: 0,
            answer: None,
            attempt: 1,
        };
        assert_eq!(run.key(), "t/0/count");
        let ran = Erased::<()>::run(&typed, &(), run, json!({"n": 1}), 1)
            .await
            .expect("runs");
        assert_eq!(ran.state, json!({"count": 2, "notes": []}));
        assert_eq!(ran.next, Next::End);
        assert!(matches!(
            Erased::<()>::initial(&typed, json!({"count": "x"})),
            Err(StateError::Unreadable(_))
        ));
    }
}
