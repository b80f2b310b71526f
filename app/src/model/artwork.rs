//! The Artist as it travels: what it is asked to draw, the four pictures it offers the boss,
//! the boss's choice, and the shop's assets (the pictures picked) that card types and
//! stories show.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::checked::{AssetId, Code};

/// What an asset is for.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, schemars::JsonSchema))]
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AssetKind {
    /// The art of a card type (入席令), on the diner's card.
    #[default]
    CardArt,
    /// A picture for a story pushed to diners.
    StoryArt,
    /// The shop's logo, uploaded by the boss: never drawn, so never in a brief.
    #[cfg_attr(feature = "ssr", schemars(skip))]
    Logo,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What to draw, as the Artist's first node reads the boss's sentence.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brief {
    /// The dish or scene, in a few words ("麻辣小龙虾"); also the title set in the picture.
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 24)))]
    pub subject: String,
    pub kind: AssetKind,
    /// The shop's card type whose art it becomes, when the sentence names one.
    #[serde(default)]
    pub card_type: Option<String>,
}

/// The image prompt the Artist's second node writes from a brief.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePrompt {
    /// English works best with image models: subject, style, light, composition.
    #[cfg_attr(feature = "ssr", schemars(length(min = 10, max = 600)))]
    pub prompt: String,
}

/// A picture offered to the boss.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// 1 to 4, what the boss picks by.
    pub number: u32,
    /// The picture's content hash (SHA-256, hex).
    pub hash: String,
    /// The picture, full size.
    pub url: String,
    /// Its thumbnail.
    pub thumbnail: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// What the Artist asks the boss: pick one of these, or ask for four more.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub brief: Brief,
    pub prompt: String,
    /// 1 for the first four, 2 after "four more"…
    pub round: u32,
    pub candidates: Vec<Candidate>,
    /// Which model drew them.
    pub model: String,
    /// Drawn by the offline painter because the provider failed.
    pub degraded: bool,
    /// The vision model that looked at each picture and found it intact and decent (none:
    /// no vision model is configured, it failed, or the offline painter drew them).
    #[serde(default)]
    pub inspected_by: Option<String>,
}

/// The boss's answer to an offer.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "choice", rename_all = "snake_case", deny_unknown_fields)]
pub enum Choice {
    /// This one (1 to 4) becomes the shop's asset.
    Pick { number: u32 },
    /// None of these: draw four more.
    Again,
}

/// A picture of the shop's library.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub asset_id: String,
    pub kind: AssetKind,
    pub title: String,
    pub prompt: String,
    pub url: String,
    pub thumbnail: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// The Artist's thread that drew it.
    pub thread_id: Option<String>,
    pub model: String,
    pub created_at: DateTime<Utc>,
    /// The shop's card types that show it.
    pub card_types: Vec<String>,
}

/// A card type's art after a change.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardArt {
    pub card_type: String,
    /// The asset it shows now, if any.
    pub asset: Option<Asset>,
}

/// Gives an asset to a card type as its art (or takes it away: no asset).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attach {
    pub card_type: Code,
    pub asset_id: Option<AssetId>,
}
