//! The rule engine's pure core (trigger → condition → action): a campaign's condition as
//! data, its weight for a diner and a context, and the decision of which campaigns fire
//! for a trigger within their budgets and limits, with the trace of why. Wasm-safe, so the
//! console previews a condition with the code the server decides with.

pub mod campaign;
pub mod compiled;
pub mod condition;
pub mod decide;
pub mod lift;
pub mod presence;
pub mod simulate;
pub mod story;
pub mod trigger;
pub mod usage;
pub mod weight;

pub use campaign::{Action, CampaignSpec, CampaignStatus, CardCost, CostBasis, FieldError, Grants};
pub use compiled::RuleSet;
pub use condition::{Checked, Condition, ConditionError, Facts, Weather};
pub use decide::{
    Considered, Decision, Limit, Limits, Outcome, Rule, TriggerType, Usage, decide, held_out,
};
pub use story::{Story, StoryTemplate};
pub use trigger::{Context, Trigger};
pub use weight::{Affinity, weight};
