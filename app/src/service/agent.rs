//! The agent in the application: the workflow runtime (`agent` crate) over the `AppState`,
//! the consumer of its run queue, and what a thread's change tells the shop (a
//! WORKFLOW_PROGRESS frame, heard only by staff who manage campaigns). Workflows register
//! in [`runtime`]; pages, the Copilot API and schedules start and answer them through it.

use db::queue::{Claimed, Completion, Queue};

use crate::error::AppError;
use crate::model::realtime::Event;
use crate::state::AppState;
use crate::work::Consumer;

/// The process's runtime, with every workflow it runs.
pub type Agent = agent::Runtime<AppState>;

/// The runtime over `db` with the product's workflows (refused if a workflow's graph is
/// drawn wrong).
pub fn runtime(db: &db::Db, settings: agent::Settings) -> Result<Agent, agent::Error> {
    agent::Runtime::new(db.clone(), settings)
        .register(super::strategist::Strategist)?
        .register(super::artist::Artist)
}

/// The frame of a thread's change: which node ran and where the thread stands.
pub fn progress(change: &agent::Change<'_>) -> Event {
    Event::WorkflowProgress {
        merchant_id: change.merchant.to_owned(),
        thread_id: change.thread.to_owned(),
        workflow: change.workflow.to_owned(),
        node: change.node.to_owned(),
        step: change.step,
        status: agent::Status::after(change.next).to_string(),
    }
}

impl agent::Announce for AppState {
    fn announce(&self, change: &agent::Change<'_>) -> Vec<db::events::NewEvent> {
        match progress(change).publication() {
            Ok(publication) => vec![publication],
            Err(err) => {
                tracing::error!(error = %err, "cannot publish a workflow's progress");
                Vec::new()
            }
        }
    }
}

impl From<agent::Error> for AppError {
    fn from(err: agent::Error) -> Self {
        use agent::Error;
        match err {
            Error::UnknownThread(_) | Error::UnknownCheckpoint { .. } => {
                Self::NotFound(err.to_string())
            }
            Error::NotWaiting(_) | Error::Busy(_) | Error::AlreadyStarted(_) => {
                Self::Conflict(err.to_string())
            }
            Error::BadAnswer(reason) => Self::Invalid(reason),
            Error::Database(err) => Self::Database(err),
            Error::UnknownWorkflow(_) | Error::Graph { .. } | Error::Retry { .. } => {
                Self::Internal(err.to_string())
            }
        }
    }
}

/// The consumer of the `agent` queue: one node per run item, each committed with its
/// item's completion.
#[derive(Debug, Clone, Copy, Default)]
pub struct Runner;

impl Consumer for Runner {
    fn queue(&self) -> Queue {
        db::agent::RUNS
    }

    async fn work(
        &self,
        state: &AppState,
        done: &Completion,
        items: &[Claimed],
    ) -> Result<(), AppError> {
        for item in items {
            let one = Completion::of(&done.owner, std::slice::from_ref(item));
            match state.agent.work(state, &one, item).await {
                // Another worker took it over while this one was slow: its step stands.
                Err(agent::Error::Database(err))
                    if err.rejection() == Some(&db::Rejection::LeaseLost) => {}
                worked => worked?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Principal, Role};

    #[test]
    fn a_threads_progress_is_for_the_shops_campaign_managers_only() {
        let waiting = agent::Next::interrupt(serde_json::json!({"title": "x"}), "decide");
        let change = agent::Change {
            thread: "t1",
            workflow: "strategist",
            merchant: "demo",
            node: "propose",
            step: 3,
            next: &waiting,
        };
        let event = progress(&change);
        assert!(matches!(
            &event,
            Event::WorkflowProgress { status, step: 3, node, .. } if status == "WAITING" && node == "propose"
        ));
        let published = event.publication().expect("publication");
        assert_eq!(published.recipients, ["merchant:demo"]);
        assert_eq!(published.kind, "WORKFLOW_PROGRESS");
        let staff = |role| Principal::Staff {
            staff_id: "s".into(),
            merchant_id: "demo".into(),
            role,
        };
        assert!(event.heard_by(&staff(Role::Owner)));
        assert!(event.heard_by(&staff(Role::Manager)));
        assert!(!event.heard_by(&staff(Role::Cashier)));
    }
}
