//! The agent as it travels: the boss's commands and what they started, a workflow thread
//! as the console shows it (where it stands, what it asks, its history), and the
//! Strategist's proposal card with the boss's answers to it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::rules::CampaignSpec;
use crate::domain::rules::simulate::Replayed;
pub use crate::domain::strategy::{Margin, Proposal};

/// What the boss typed into the Copilot box (1–500 characters).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub text: String,
}

/// What a command was understood as.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Propose a campaign (the Strategist).
    Strategist,
    /// Draw a picture for a card or a story (the Artist).
    Artist,
    /// Keep a preference in the agent's memory.
    Remember,
    /// Not something the Copilot does: the reply says what it can.
    Unknown,
}

/// The Copilot's answer to a command: what it understood, what it started, what it says.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandReply {
    pub intent: Intent,
    /// The workflow thread it started, if any.
    pub thread_id: Option<String>,
    pub reply: String,
}

/// A workflow thread as the console shows it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub thread_id: String,
    pub workflow: String,
    /// RUNNING, WAITING, DONE or FAILED.
    pub status: String,
    pub step: i64,
    /// The node that runs next (or that the answer resumes into).
    pub node: Option<String>,
    /// What it asks while WAITING (the Strategist's proposal card).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub ask: Option<serde_json::Value>,
    /// Why it FAILED.
    pub error: Option<String>,
    pub started_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The model tokens it used so far.
    pub tokens: u64,
}

/// One checkpoint of a thread's history.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub step: i64,
    /// The node that ran ('resume' for an answer, 'restart').
    pub node: String,
    pub parent: Option<i64>,
    /// The answer it carries (a resume).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub input: Option<serde_json::Value>,
    /// Who answered.
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// What the rule engine's backtest says the campaign would have done over the last days,
/// beside the campaigns live now: so the boss decides on figures, not on the model's prose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    pub days: u32,
    /// The recorded triggers replayed.
    pub triggers: u32,
    /// Its rewards, reach, cost and the moments its budget ran out.
    pub campaign: Replayed,
}

/// The proposal as the boss sees it: the campaign and why, with the margin our code
/// computed, its backtest, and who wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub proposal: Proposal,
    pub margin: Margin,
    pub projection: Projection,
    /// The model that wrote it (`offline` for the built-in strategist).
    pub model: String,
    /// Written offline because the model provider failed.
    pub degraded: bool,
    /// What was wrong with the last answer the boss gave (an edit that did not pass).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The boss's answer to a proposal.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// Put it live, as proposed or as edited.
    Approve {
        #[serde(default)]
        campaign: Option<Box<CampaignSpec>>,
    },
    /// No, and why (remembered for the next proposals).
    Reject {
        #[cfg_attr(feature = "ssr", schema(min_length = 1, pattern = r"\S"))]
        reason: String,
    },
}

/// What became of a provider's callback (`POST /api/agent/webhook`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The delivery's `webhook-id`.
    pub delivery: String,
    pub thread_id: String,
    pub outcome: DeliveryOutcome,
}

/// RESUMED: the thread went on with the job's outcome. ALREADY: it had taken this job's
/// callback from an earlier delivery. DUPLICATE: this delivery took effect before.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryOutcome {
    Resumed,
    Already,
    Duplicate,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
