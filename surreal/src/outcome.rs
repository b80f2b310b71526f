//! What a mutation's transaction writes besides its effect: the answer to its request
//! (Idempotency-Key), the events that tell the people concerned and the triggers the rule
//! engine answers. All commit with the effect or not at all; each mutation appends
//! `{ENQUEUE}{REMEMBER}` and binds an `Outcome`.

use crate::events::NewEvent;
use crate::idempotency::{Answer, KEEP_HOURS};
use crate::rules::NewTrigger;

/// The answer to store (when the request had a key) and the events to publish.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub answer: Option<Answer>,
    pub events: Vec<NewEvent>,
    /// The rule engine's triggers the change makes (a payment, a recharge, a redemption).
    pub triggers: Vec<NewTrigger>,
}

impl Outcome {
    /// Nothing to remember, nobody to tell.
    pub fn none() -> Self {
        Self::default()
    }

    /// Binds what `idempotency::REMEMBER` and `queue::ENQUEUE` read (the events travel to
    /// the sequencer as work queue items).
    pub(crate) fn bind<'r, C: surrealdb::Connection>(
        &self,
        query: surrealdb::method::Query<'r, C>,
    ) -> surrealdb::method::Query<'r, C> {
        query
            .bind(("answer", self.answer.clone()))
            .bind(("answer_keep_hours", KEEP_HOURS))
            .bind((
                "items",
                self.events
                    .iter()
                    .map(NewEvent::item)
                    .chain(self.triggers.iter().map(NewTrigger::item))
                    .collect::<Vec<_>>(),
            ))
    }
}
