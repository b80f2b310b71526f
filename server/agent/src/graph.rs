//! A workflow's graph: its nodes and the ways out of each (to another node, to a person's
//! answer, to the end). Pure: checked when a workflow is registered, and asked at every step
//! whether the way a node chose was declared — a node cannot wander off the drawn graph.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A node's name (stable: checkpoints store it).
pub type Node = &'static str;

/// What comes after a node, as the node decides and the checkpoint stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Next {
    /// Run `node` next.
    Goto { node: String },
    /// Wait for a person: `ask` is what they are shown; their answer resumes into `then`.
    Interrupt {
        ask: serde_json::Value,
        then: String,
    },
    /// The thread is done.
    End,
    /// The thread gave up, and says why.
    Fail { reason: String },
}

impl Next {
    pub fn goto(node: Node) -> Self {
        Self::Goto {
            node: node.to_owned(),
        }
    }

    pub fn interrupt(ask: serde_json::Value, then: Node) -> Self {
        Self::Interrupt {
            ask,
            then: then.to_owned(),
        }
    }

    pub fn fail(reason: impl Into<String>) -> Self {
        Self::Fail {
            reason: reason.into(),
        }
    }
}

/// A way out of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Edge {
    Goto(Node),
    Interrupt(Node),
    End,
}

/// What is wrong with a graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("the entry node {0} has no ways out")]
    NoEntry(Node),
    #[error("node {from} leads to {to}, which is not a node of the graph")]
    UnknownNode { from: Node, to: Node },
    #[error("node {0} cannot be reached from the entry")]
    Unreachable(Node),
    #[error("from node {0} the end cannot be reached")]
    NoEnd(Node),
}

/// The nodes of a workflow and their declared ways out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    entry: Node,
    edges: BTreeMap<Node, BTreeSet<Edge>>,
}

impl Graph {
    /// A graph that starts at `entry`.
    pub fn new(entry: Node) -> Self {
        Self {
            entry,
            edges: BTreeMap::new(),
        }
    }

    /// `from` may go on to `to`.
    pub fn edge(self, from: Node, to: Node) -> Self {
        self.with(from, Edge::Goto(to))
    }

    /// `from` may wait for a person, whose answer resumes into `then`.
    pub fn interrupt(self, from: Node, then: Node) -> Self {
        self.with(from, Edge::Interrupt(then))
    }

    /// `from` may end the thread.
    pub fn end(self, from: Node) -> Self {
        self.with(from, Edge::End)
    }

    fn with(mut self, from: Node, edge: Edge) -> Self {
        self.edges.entry(from).or_default().insert(edge);
        self
    }

    pub fn entry(&self) -> Node {
        self.entry
    }

    /// The node named `name`, as the graph spells it.
    pub fn node(&self, name: &str) -> Option<Node> {
        self.edges.keys().copied().find(|node| *node == name)
    }

    /// Every node has its ways out declared, every node is reachable from the entry, and
    /// from every node the end can be reached (a node that gives up may always fail).
    pub fn check(&self) -> Result<(), GraphError> {
        if !self.edges.contains_key(self.entry) {
            return Err(GraphError::NoEntry(self.entry));
        }
        for (from, edges) in &self.edges {
            for edge in edges {
                if let Edge::Goto(to) | Edge::Interrupt(to) = edge
                    && !self.edges.contains_key(to)
                {
                    return Err(GraphError::UnknownNode { from, to });
                }
            }
        }
        let reached = self.reachable_from(self.entry);
        if let Some(lost) = self.edges.keys().find(|node| !reached.contains(*node)) {
            return Err(GraphError::Unreachable(lost));
        }
        for node in self.edges.keys() {
            let ends = self.reachable_from(node).iter().any(|on| {
                self.edges
                    .get(on)
                    .is_some_and(|edges| edges.contains(&Edge::End))
            });
            if !ends {
                return Err(GraphError::NoEnd(node));
            }
        }
        Ok(())
    }

    fn reachable_from(&self, start: Node) -> BTreeSet<Node> {
        let mut seen = BTreeSet::from([start]);
        let mut todo = vec![start];
        while let Some(node) = todo.pop() {
            for edge in self.edges.get(node).into_iter().flatten() {
                if let Edge::Goto(to) | Edge::Interrupt(to) = edge
                    && seen.insert(to)
                {
                    todo.push(to);
                }
            }
        }
        seen
    }

    /// Whether `from` declared the way `next` takes (failing is always allowed).
    pub fn allows(&self, from: &str, next: &Next) -> bool {
        let Some(edges) = self.edges.get(from) else {
            return false;
        };
        match next {
            Next::Goto { node } => edges
                .iter()
                .any(|edge| matches!(edge, Edge::Goto(to) if to == node)),
            Next::Interrupt { then, .. } => edges
                .iter()
                .any(|edge| matches!(edge, Edge::Interrupt(to) if to == then)),
            Next::End => edges.contains(&Edge::End),
            Next::Fail { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Strategist's shape: sense → reason → propose ⇄ reason, propose waits for the
    /// boss, whose answer goes to decide, which ends or proposes again.
    fn strategist() -> Graph {
        Graph::new("sense")
            .edge("sense", "reason")
            .edge("reason", "propose")
            .edge("propose", "reason")
            .interrupt("propose", "decide")
            .end("decide")
            .edge("decide", "reason")
    }

    #[test]
    fn a_well_drawn_graph_passes_its_check() {
        assert_eq!(strategist().check(), Ok(()));
        assert_eq!(strategist().entry(), "sense");
        assert_eq!(strategist().node("decide"), Some("decide"));
        assert_eq!(strategist().node("elsewhere"), None);
    }

    #[test]
    fn a_graph_is_refused_for_what_it_leaves_undrawn() {
        assert_eq!(
            Graph::new("a").end("b").check(),
            Err(GraphError::NoEntry("a"))
        );
        assert_eq!(
            Graph::new("a").edge("a", "b").end("a").check(),
            Err(GraphError::UnknownNode { from: "a", to: "b" })
        );
        assert_eq!(
            Graph::new("a").end("a").end("island").check(),
            Err(GraphError::Unreachable("island"))
        );
        assert_eq!(
            Graph::new("a")
                .edge("a", "loop")
                .edge("loop", "loop")
                .end("a")
                .check(),
            Err(GraphError::NoEnd("loop"))
        );
    }

    #[test]
    fn a_node_may_take_only_the_ways_drawn_from_it() {
        let graph = strategist();
        assert!(graph.allows("sense", &Next::goto("reason")));
        assert!(!graph.allows("sense", &Next::goto("propose")));
        assert!(graph.allows("propose", &Next::interrupt(serde_json::json!({}), "decide")));
        assert!(!graph.allows("propose", &Next::interrupt(serde_json::json!({}), "sense")));
        assert!(!graph.allows("propose", &Next::End));
        assert!(graph.allows("decide", &Next::End));
        assert!(graph.allows("sense", &Next::fail("no data")));
        assert!(!graph.allows("nowhere", &Next::fail("no node")));
    }

    #[test]
    fn what_comes_next_is_stored_in_a_stable_shape() {
        let stored = serde_json::to_value(Next::interrupt(serde_json::json!({"q": 1}), "decide"))
            .expect("json");
        assert_eq!(
            stored,
            serde_json::json!({"kind": "interrupt", "ask": {"q": 1}, "then": "decide"})
        );
        assert_eq!(
            serde_json::to_value(Next::End).expect("json"),
            serde_json::json!({"kind": "end"})
        );
        let back: Next = serde_json::from_value(stored).expect("reads");
        assert_eq!(back, Next::interrupt(serde_json::json!({"q": 1}), "decide"));
    }
}
