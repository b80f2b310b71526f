//! The agent's workflow runtime (host-only; docs/agent.md). A workflow is a typed graph of
//! nodes over a serde state ([`Workflow`], [`Graph`]); after every node its state is
//! checkpointed in SurrealDB with the node's side effects, in one transaction. An interrupt
//! writes the question and ends the run: nothing waits in memory for a person, and a
//! person's answer ([`Runtime::resume`]) continues from the checkpoint, in this process or
//! another, before or after a restart. Runs are items of the durable work queue, so a node
//! whose worker died runs again elsewhere, and commits once.

mod graph;
mod runtime;
mod workflow;

pub use graph::{Graph, GraphError, Next, Node};
pub use runtime::{Announce, Change, Error, Runtime, Settings, Status};
pub use workflow::{NodeError, Run, StateError, Step, Workflow, upgrade};
