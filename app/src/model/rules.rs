//! The rule engine as it travels: campaigns with what they spent today, the events clients
//! post, the decisions' traces and the diner's story inbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Money;
use crate::domain::checked::{Code, DinerId, MerchantId};
use crate::domain::rules::Facts;
pub use crate::domain::rules::campaign::FieldError;
pub use crate::domain::rules::lift::Lift;
pub use crate::domain::rules::presence::Presence;
pub use crate::domain::rules::simulate::{Backtest, Replayed};
pub use crate::domain::rules::{
    CampaignSpec, CampaignStatus, Considered, Context, Story, TriggerType,
};

/// A campaign with its current version and what it spent and gave today.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub code: String,
    pub status: CampaignStatus,
    pub version: u32,
    pub spec: CampaignSpec,
    /// What one reward costs the shop, from the catalogue's cost bases.
    pub cost: Money,
    /// Spent today (shop-local day) against `spec.daily_budget_cap`.
    pub used_today: Money,
    pub granted_today: u32,
    pub granted_total: u32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

/// A new campaign: its code (unique in the shop) and what it is. It starts as a DRAFT.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub code: Code,
    pub spec: CampaignSpec,
}

/// An event a client or a feed posts (`POST /api/events`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostedEvent {
    #[serde(rename = "type")]
    pub kind: TriggerType,
    pub merchant_id: MerchantId,
    /// The diner it is about (a diner posts their own; staff name one).
    #[serde(default)]
    pub uid: Option<DinerId>,
    #[serde(default)]
    pub context: Context,
    /// A diner's proof they are at the shop (required when a diner posts their arrival).
    #[serde(default)]
    pub proof: Option<Presence>,
}

/// Today's code of one of the shop's tables, for the counter screen's QR code.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCodeToday {
    pub code: String,
    /// The shop-local day it is good for.
    pub day: chrono::NaiveDate,
    /// The code as a QR image (SVG).
    pub svg: String,
}

/// Where the shop is, and how near a diner's phone must be to count as there.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopPlace {
    #[cfg_attr(feature = "ssr", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    #[cfg_attr(feature = "ssr", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
    /// 10–5,000 m.
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub radius_m: crate::domain::checked::Count<10, 5000>,
}

/// A diner's tags at the shop, as staff set them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DinerTags {
    pub uid: String,
    pub tags: Vec<String>,
}

/// An event accepted: it will be decided (once) by the rule engine.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventReceipt {
    pub trigger_id: String,
}

/// A story in the diner's inbox.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxStory {
    pub id: String,
    pub merchant_id: String,
    pub campaign: String,
    pub story: Story,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// A trigger's decision: what fired, who was held out, and every campaign considered.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionTrace {
    pub trigger_id: String,
    pub uid: Option<String>,
    pub fired: Vec<String>,
    pub held_out: Vec<String>,
    pub considered: Vec<Considered>,
    /// Why nothing was considered, if nothing was (no diner, an unknown diner).
    pub note: Option<String>,
    /// What the conditions were evaluated against (replayed by backtests).
    #[serde(default)]
    pub facts: Option<Facts>,
}

/// A dry run: the trigger decided with the campaign beside the active ones, nothing given.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    pub decision: DecisionTrace,
    /// The campaign's story as the diner would see it, if it fired.
    pub story: Option<Story>,
}

/// The trigger a dry run decides.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialTrigger {
    #[serde(rename = "type")]
    pub kind: TriggerType,
    pub uid: DinerId,
    #[serde(default)]
    pub context: Context,
}

/// One kind of check as the campaign form offers it, read from the campaign JSON Schema (so
/// a check added to the type appears in the form without the page knowing it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckForm {
    /// `weather_in`, `steps`…
    pub check: String,
    /// The schema's description of it.
    pub description: String,
    pub fields: Vec<FieldForm>,
}

/// One field of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldForm {
    pub name: String,
    pub kind: FieldKind,
    /// Left empty, an optional field is left out (no bound).
    pub required: bool,
}

/// What a field holds, and so how the form asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// Some of these values (weather, weekdays).
    Choices { values: Vec<String> },
    /// Words matching `pattern` (tags), several.
    Words { pattern: String },
    /// A whole number.
    Count,
    /// An amount in yuan.
    Money { pattern: String },
    /// A time of day.
    Time,
    /// A catalogue code (a fragment, a card type).
    Code { pattern: String },
}
