//! WeChat Run steps as they travel: what the mini program sends after `wx.getWeRunData`,
//! and what the sync counted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::checked::{Count, MerchantId};

/// A day's steps as the DEV stand-in takes them (0–200,000).
pub type StepCount = Count<0, 200_000>;

/// `wx.getWeRunData`'s result as the mini program got it, for the shop the diner is using.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepsUpload {
    pub merchant_id: MerchantId,
    /// `encryptedData`, Base64.
    pub encrypted_data: String,
    /// `iv`, Base64.
    pub iv: String,
}

/// What a sync counted.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepsSynced {
    /// Today, on the shop's calendar.
    pub day: NaiveDate,
    /// Today's steps as WeChat Run counts them.
    pub steps_today: u32,
    /// The steps this sync added (0 when today's were already counted).
    pub counted: u32,
    /// All the diner's counted steps.
    pub total_steps: u64,
    /// The rule engine's `STEPS_SYNCED` trigger, when today's steps rose.
    pub trigger_id: Option<String>,
}

/// What the DEV stand-in of `wx.getWeRunData` hands the page, as WeChat would.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeRunData {
    pub encrypted_data: String,
    pub iv: String,
}
