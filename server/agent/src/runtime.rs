//! The runtime: starts threads, advances them one node per queue item, takes a person's
//! answer, restarts from an earlier checkpoint and forgets finished threads. Nothing waits
//! in memory: a thread is its rows (`db::agent`), and its next run is an item of the work
//! queue's `agent` queue, which the application's worker pool consumes by calling
//! [`Runtime::work`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use db::agent::{CheckpointRow, NewCheckpoint, NewThread, StepWrite, ThreadMove, ThreadRow};
use db::queue::{Claimed, Completion, NewItem};
use db::{Db, DbError, Rejection};
use serde::{Deserialize, Serialize};

use crate::graph::{Graph, GraphError, Next};
use crate::workflow::{Erased, Run, RunError, StateError, Typed, Workflow};

/// How threads are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Checkpoints a finished thread keeps (its last ones).
    pub keep: u32,
    /// How long a finished thread is kept at all.
    pub retention: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            keep: 5,
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Where a thread stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Running,
    Waiting,
    Done,
    Failed,
}

impl Status {
    /// Where a thread stands once `next` is written.
    pub fn after(next: &Next) -> Self {
        match next {
            Next::Goto { .. } => Self::Running,
            Next::Interrupt { .. } => Self::Waiting,
            Next::End => Self::Done,
            Next::Fail { .. } => Self::Failed,
        }
    }
}

/// A change of a thread, for the application to tell people about (progress per node, a
/// question for the boss).
#[derive(Debug, Clone, PartialEq)]
pub struct Change<'a> {
    pub thread: &'a str,
    pub workflow: &'a str,
    pub merchant: &'a str,
    /// The node that ran ('resume', 'restart' for a person's doing).
    pub node: &'a str,
    /// The step written.
    pub step: i64,
    pub next: &'a Next,
}

/// The application's voice: the events a change of a thread publishes, in the change's
/// transaction (the real-time channel, the webhook).
pub trait Announce {
    fn announce(&self, change: &Change<'_>) -> Vec<db::events::NewEvent>;
}

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no workflow is called {0}")]
    UnknownWorkflow(String),
    #[error("no thread {0}")]
    UnknownThread(String),
    #[error("thread {0} is not waiting for an answer (answered already, or moved on)")]
    NotWaiting(String),
    #[error("thread {0} is running; wait until it stops")]
    Busy(String),
    #[error("thread {0} already exists")]
    AlreadyStarted(String),
    #[error("thread {thread} keeps no checkpoint {step}")]
    UnknownCheckpoint { thread: String, step: i64 },
    #[error("the answer is refused: {0}")]
    BadAnswer(String),
    #[error("workflow {workflow}: {source}")]
    Graph {
        workflow: &'static str,
        #[source]
        source: GraphError,
    },
    /// A state that does not read, or a node that could not finish now: tried again later.
    #[error("thread {thread} step {step}: {reason}")]
    Retry {
        thread: String,
        step: i64,
        reason: String,
    },
    #[error(transparent)]
    Database(#[from] DbError),
}

/// What a run item of the `agent` queue carries: advance `thread` from checkpoint `step`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RunItem {
    thread: String,
    step: i64,
}

fn run_item(thread: &str, step: i64) -> NewItem {
    let payload = serde_json::json!({ "thread": thread, "step": step });
    NewItem::new(db::agent::RUNS, thread, payload)
}

/// Where the thread stands once `next` is written.
fn moved(next: &Next) -> ThreadMove {
    let (node, ask, error) = match next {
        Next::Goto { node } => (Some(node.clone()), None, None),
        Next::Interrupt { ask, then } => (Some(then.clone()), Some(ask.clone()), None),
        Next::End => (None, None, None),
        Next::Fail { reason } => (None, None, Some(reason.clone())),
    };
    ThreadMove {
        status: Status::after(next).to_string(),
        node,
        ask,
        error,
    }
}

/// What a node made besides its state: the events that tell people and its side effects.
#[derive(Default)]
struct Made<'a> {
    events: &'a [db::events::NewEvent],
    effects: Vec<db::agent::Effect>,
}

/// What a change writes besides its checkpoint: the node's own events, the application's
/// news of the change, and the next node's run when a node runs next.
fn told<C: Announce>(
    context: &C,
    change: &Change<'_>,
    events: &[db::events::NewEvent],
) -> Vec<NewItem> {
    let mut items: Vec<NewItem> = events.iter().map(db::events::NewEvent::item).collect();
    items.extend(
        context
            .announce(change)
            .iter()
            .map(db::events::NewEvent::item),
    );
    if matches!(change.next, Next::Goto { .. }) {
        items.push(run_item(change.thread, change.step));
    }
    items
}

fn stored(next: &Next) -> serde_json::Value {
    serde_json::to_value(next).unwrap_or_else(|_| serde_json::json!({ "kind": "end" }))
}

/// The workflows a process runs, and their threads.
pub struct Runtime<C> {
    db: Db,
    settings: Settings,
    workflows: BTreeMap<&'static str, Arc<dyn Erased<C>>>,
}

impl<C> Clone for Runtime<C> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            settings: self.settings,
            workflows: self.workflows.clone(),
        }
    }
}

impl<C> std::fmt::Debug for Runtime<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("settings", &self.settings)
            .field("workflows", &self.workflows.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<C: Announce + Sync + 'static> Runtime<C> {
    pub fn new(db: Db, settings: Settings) -> Self {
        Self {
            db,
            settings,
            workflows: BTreeMap::new(),
        }
    }

    /// Adds a workflow, refused if its graph is not whole.
    pub fn register<W: Workflow<C>>(mut self, workflow: W) -> Result<Self, Error> {
        let graph = workflow.graph();
        graph.check().map_err(|source| Error::Graph {
            workflow: W::NAME,
            source,
        })?;
        self.workflows
            .insert(W::NAME, Arc::new(Typed { workflow, graph }));
        Ok(self)
    }

    fn workflow(&self, name: &str) -> Result<&Arc<dyn Erased<C>>, Error> {
        self.workflows
            .get(name)
            .ok_or_else(|| Error::UnknownWorkflow(name.to_owned()))
    }

    /// The graph of workflow `name`.
    pub fn graph(&self, name: &str) -> Result<&Graph, Error> {
        Ok(self.workflow(name)?.graph())
    }

    /// Starts a thread of `W` for `merchant` from `state`; its entry node runs next. `id`:
    /// the thread's id when the caller needs it to be one (a schedule's "once a day"), else
    /// a fresh one. Returns the thread's id.
    pub async fn start<W: Workflow<C>>(
        &self,
        context: &C,
        id: Option<String>,
        merchant: &str,
        by: Option<&str>,
        state: &W::State,
    ) -> Result<String, Error> {
        let workflow = self.workflow(W::NAME)?;
        let id = id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let state = serde_json::to_value(state)
            .map_err(|e| StateError::Unreadable(e.to_string()))
            .and_then(|state| workflow.initial(state))
            .map_err(|e| Error::Retry {
                thread: id.clone(),
                step: 0,
                reason: e.to_string(),
            })?;
        let next = Next::goto(workflow.graph().entry());
        let change = Change {
            thread: &id,
            workflow: W::NAME,
            merchant,
            node: "",
            step: 0,
            next: &next,
        };
        let items = told(context, &change, &[]);
        let thread = NewThread {
            id: id.clone(),
            workflow: W::NAME.to_owned(),
            merchant: merchant.to_owned(),
            started_by: by.map(str::to_owned),
            checkpoint: NewCheckpoint {
                node: String::new(),
                state,
                version: i64::from(W::VERSION),
                parent: None,
                next: stored(&next),
                input: None,
                by: by.map(str::to_owned),
            },
            moved: moved(&next),
        };
        match db::agent::start(&self.db, &thread, &items).await {
            Err(err) if err.is_duplicate() => Err(Error::AlreadyStarted(id)),
            started => {
                started?;
                Ok(id)
            }
        }
    }

    /// A thread, if it exists.
    pub async fn thread(&self, id: &str) -> Result<Option<ThreadRow>, Error> {
        Ok(db::agent::thread(&self.db, id).await?)
    }

    /// A thread's checkpoints that are kept, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<CheckpointRow>, Error> {
        Ok(db::agent::history(&self.db, id).await?)
    }

    async fn existing(&self, id: &str) -> Result<ThreadRow, Error> {
        self.thread(id)
            .await?
            .ok_or_else(|| Error::UnknownThread(id.to_owned()))
    }

    async fn checkpoint(&self, thread: &str, step: i64) -> Result<CheckpointRow, Error> {
        db::agent::checkpoint(&self.db, thread, step)
            .await?
            .ok_or_else(|| Error::UnknownCheckpoint {
                thread: thread.to_owned(),
                step,
            })
    }

    /// Runs the node a claimed run item names and writes its step, completing the item in
    /// the same transaction (`done`). An item whose step was written already (its worker
    /// died after the commit, or another worker took over) is completed with no effect.
    pub async fn work(&self, context: &C, done: &Completion, item: &Claimed) -> Result<(), Error> {
        let Ok(RunItem { thread: id, step }) = serde_json::from_value(item.payload.clone()) else {
            tracing::warn!(item = %item.id, "an agent run item that does not read");
            return self.drop_item(done).await;
        };
        let Some(thread) = self.thread(&id).await? else {
            return self.drop_item(done).await;
        };
        if thread.step != step || thread.status != Status::Running.to_string() {
            return self.drop_item(done).await;
        }
        let checkpoint = self.checkpoint(&id, step).await?;
        let workflow = self.workflow(&thread.workflow)?;
        let next = match serde_json::from_value::<Next>(checkpoint.next.clone()) {
            Ok(Next::Goto { node }) => match workflow.graph().node(&node) {
                Some(node) => {
                    let run = Run {
                        thread: &id,
                        merchant: &thread.merchant,
                        node,
                        step,
                        answer: checkpoint.input.as_ref(),
                        attempt: item.attempts,
                    };
                    let version = u32::try_from(checkpoint.version).unwrap_or(u32::MAX);
                    let started = std::time::Instant::now();
                    let ran = workflow
                        .run(context, run, checkpoint.state.clone(), version)
                        .await;
                    tracing::debug!(thread = %id, step, node, ms = started.elapsed().as_millis(), "node ran");
                    match ran {
                        Ok(ran) if workflow.graph().allows(node, &ran.next) => {
                            Some((node.to_owned(), ran))
                        }
                        Ok(ran) => Some((
                            node.to_owned(),
                            // Failed: what it meant to do is not done.
                            crate::workflow::Step {
                                next: Next::fail(format!(
                                    "node {node} chose a way its graph does not draw: {:?}",
                                    ran.next
                                )),
                                effects: Vec::new(),
                                ..ran
                            },
                        )),
                        Err(RunError::State(StateError::Unreadable(reason))) => Some((
                            node.to_owned(),
                            crate::workflow::Step::to(
                                checkpoint.state.clone(),
                                Next::fail(format!("its state does not read: {reason}")),
                            ),
                        )),
                        Err(err) => {
                            return Err(Error::Retry {
                                thread: id,
                                step,
                                reason: err.to_string(),
                            });
                        }
                    }
                }
                None => Some((
                    node.clone(),
                    crate::workflow::Step::to(
                        checkpoint.state.clone(),
                        Next::fail(format!("workflow {} has no node {node}", thread.workflow)),
                    ),
                )),
            },
            // Not a node to run (a person's answer, the end): nothing for this item.
            _ => None,
        };
        let Some((node, ran)) = next else {
            return self.drop_item(done).await;
        };
        let version = if matches!(ran.next, Next::Fail { .. }) && ran.state == checkpoint.state {
            checkpoint.version
        } else {
            i64::from(workflow.version())
        };
        let checkpoint = NewCheckpoint {
            node,
            state: ran.state,
            version,
            parent: Some(step),
            next: stored(&ran.next),
            input: None,
            by: None,
        };
        let made = Made {
            events: &ran.events,
            effects: ran.effects,
        };
        let write = self.step_write(
            context,
            &thread,
            &[Status::Running],
            checkpoint,
            &ran.next,
            made,
        );
        match self.commit(done, &write).await {
            Err(Error::Database(err)) if written_by_another(&err) => self.drop_item(done).await,
            committed => committed,
        }
    }

    /// The write that moves `thread` (as read, in one of `from`) on to `checkpoint`, then
    /// `next`, with what the node `made` and the news of it.
    fn step_write(
        &self,
        context: &C,
        thread: &ThreadRow,
        from: &[Status],
        checkpoint: NewCheckpoint,
        next: &Next,
        made: Made<'_>,
    ) -> StepWrite {
        let change = Change {
            thread: &thread.id,
            workflow: &thread.workflow,
            merchant: &thread.merchant,
            node: &checkpoint.node,
            step: thread.step + 1,
            next,
        };
        StepWrite {
            thread: thread.id.clone(),
            step: thread.step,
            from: from.iter().map(ToString::to_string).collect(),
            items: told(context, &change, made.events),
            moved: moved(next),
            checkpoint,
            keep: i64::from(self.settings.keep),
            effects: made.effects,
        }
    }

    async fn commit(&self, done: &Completion, write: &StepWrite) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match db::agent::commit_step(&self.db, done, write).await {
                Err(err) if err.is_retryable() && !err.is_duplicate() && attempt < 5 => {
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(5..50))).await;
                }
                committed => return Ok(committed?),
            }
        }
    }

    /// Completes an item that has nothing (more) to do.
    async fn drop_item(&self, done: &Completion) -> Result<(), Error> {
        match db::queue::complete(&self.db, done).await {
            Err(err) if err.rejection() == Some(&Rejection::LeaseLost) => Ok(()),
            completed => Ok(completed?),
        }
    }

    /// A person's answer to the interrupt the thread waits at: checked by the workflow,
    /// then written as a checkpoint of its own (who answered, what), and the node the
    /// interrupt named runs next. Answered once: a second answer (a double click, two
    /// managers at once) is refused with [`Error::NotWaiting`] and writes nothing.
    pub async fn resume(
        &self,
        context: &C,
        id: &str,
        answer: serde_json::Value,
        by: Option<&str>,
    ) -> Result<ThreadRow, Error> {
        let thread = self.existing(id).await?;
        if thread.status != Status::Waiting.to_string() {
            return Err(Error::NotWaiting(id.to_owned()));
        }
        let workflow = self.workflow(&thread.workflow)?;
        let then = thread.node.clone().unwrap_or_default();
        let ask = thread.ask.clone().unwrap_or_default();
        workflow
            .check_answer(&then, &ask, &answer)
            .map_err(Error::BadAnswer)?;
        if !answer.is_object() {
            return Err(Error::BadAnswer("an answer is a JSON object".into()));
        }
        let checkpoint = self.checkpoint(id, thread.step).await?;
        let next = Next::Goto { node: then };
        let answered = NewCheckpoint {
            node: "resume".into(),
            state: checkpoint.state,
            version: checkpoint.version,
            parent: Some(thread.step),
            next: stored(&next),
            input: Some(answer),
            by: by.map(str::to_owned),
        };
        let write = self.step_write(
            context,
            &thread,
            &[Status::Waiting],
            answered,
            &next,
            Made::default(),
        );
        self.write(id, &write).await?;
        self.existing(id).await
    }

    /// Runs the thread again from its checkpoint `from` (an earlier step): a new checkpoint
    /// with that state, `from` as its parent, and what came after it then comes next. Not
    /// while the thread runs (one writer).
    pub async fn restart_from(
        &self,
        context: &C,
        id: &str,
        from: i64,
        by: Option<&str>,
    ) -> Result<ThreadRow, Error> {
        let thread = self.existing(id).await?;
        if thread.status == Status::Running.to_string() {
            return Err(Error::Busy(id.to_owned()));
        }
        let earlier = self.checkpoint(id, from).await?;
        let next: Next =
            serde_json::from_value(earlier.next.clone()).map_err(|e| Error::Retry {
                thread: id.to_owned(),
                step: from,
                reason: format!("checkpoint {from} does not read: {e}"),
            })?;
        let restarted = NewCheckpoint {
            node: "restart".into(),
            state: earlier.state,
            version: earlier.version,
            parent: Some(from),
            next: earlier.next,
            input: earlier.input,
            by: by.map(str::to_owned),
        };
        let stopped = [Status::Waiting, Status::Done, Status::Failed];
        let write = self.step_write(
            context,
            &thread,
            &stopped,
            restarted,
            &next,
            Made::default(),
        );
        match self.write(id, &write).await {
            Err(Error::NotWaiting(_)) => Err(Error::Busy(id.to_owned())),
            written => written,
        }?;
        self.existing(id).await
    }

    async fn write(&self, id: &str, write: &StepWrite) -> Result<(), Error> {
        match db::agent::write_step(&self.db, write).await {
            Err(err) if written_by_another(&err) => Err(Error::NotWaiting(id.to_owned())),
            Err(err) if err.is_retryable() => Err(Error::NotWaiting(id.to_owned())),
            written => Ok(written?),
        }
    }

    /// Deletes threads finished before `now` less the retention, a batch at a time;
    /// returns how many.
    pub async fn purge_finished(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let age =
            chrono::Duration::from_std(self.settings.retention).unwrap_or(chrono::Duration::MAX);
        let cutoff = now - age;
        let mut purged = 0;
        loop {
            let batch = db::agent::finished_before(&self.db, cutoff, 100).await?;
            for thread in &batch {
                db::agent::delete_thread(&self.db, thread).await?;
            }
            purged += batch.len();
            if batch.len() < 100 {
                return Ok(purged);
            }
        }
    }
}

/// The write lost to another writer of the same step: the thread moved on.
fn written_by_another(err: &DbError) -> bool {
    err.is_duplicate() || err.rejection() == Some(&Rejection::NotWaiting)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_moves_as_its_next_says() {
        let running = moved(&Next::goto("reason"));
        assert_eq!(
            (running.status.as_str(), running.node.as_deref()),
            ("RUNNING", Some("reason"))
        );
        let waiting = moved(&Next::interrupt(
            serde_json::json!({"title": "x"}),
            "decide",
        ));
        assert_eq!(waiting.status, "WAITING");
        assert_eq!(waiting.node.as_deref(), Some("decide"));
        assert_eq!(waiting.ask, Some(serde_json::json!({"title": "x"})));
        assert_eq!(moved(&Next::End).status, "DONE");
        let failed = moved(&Next::fail("no data"));
        assert_eq!(
            (failed.status.as_str(), failed.error.as_deref()),
            ("FAILED", Some("no data"))
        );
    }

    #[test]
    fn a_run_item_goes_to_its_threads_partition() {
        let one = run_item("thread-1", 3);
        let again = run_item("thread-1", 4);
        assert_eq!(one.partition, again.partition);
        assert_eq!(one.queue, "agent");
        assert_eq!(
            one.payload,
            serde_json::json!({"thread": "thread-1", "step": 3})
        );
    }
}
