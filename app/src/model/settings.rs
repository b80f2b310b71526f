//! The shop's settings as the settings page reads and saves them.

use serde::{Deserialize, Serialize};

use crate::model::artwork::Asset;
use crate::model::rules::ShopPlace;

/// The shop as its owner set it up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShopSettings {
    pub name: String,
    /// An IANA time zone, e.g. `Asia/Shanghai`: the shop's days begin at its midnight.
    pub timezone: String,
    pub address: String,
    /// The gross margin (percent, 0–90) every AI proposal must keep.
    pub margin_floor: u8,
    /// The counter opens a print-friendly receipt after each collection or recharge.
    pub auto_print: bool,
    /// Its logo: one of the shop's pictures.
    pub logo: Option<Asset>,
    /// Where it is and how near counts as there, once set.
    pub place: Option<ShopPlace>,
}

/// The settings form as submitted: every value as typed (a field left out is empty),
/// checked by the service, each fault named by its field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub name: String,
    pub timezone: String,
    pub address: String,
    pub margin_floor: String,
    /// A checkbox: sent (any value) when ticked.
    pub auto_print: Option<String>,
    /// An asset id, or empty for no logo.
    pub logo: String,
    /// Latitude, longitude and radius in metres; all empty for no location.
    pub lat: String,
    pub lon: String,
    pub radius_m: String,
}
