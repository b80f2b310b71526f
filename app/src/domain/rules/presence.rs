//! Proof that a diner is at the shop, so arriving cannot be claimed from home: the code on
//! the shop's table (signed with the shop's key and good for one shop-local day, so a photo
//! of yesterday's code proves nothing), or where the phone is (within the shop's radius).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a diner shows to prove they are at the shop.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Presence {
    /// The text of the QR code on the table (`MQT1.<shop>.<table>.<day>.<signature>`).
    TableCode(String),
    /// Where the phone is (WGS-84 degrees, as `wx.getLocation` gives them).
    Location { lat: f64, lon: f64 },
}

/// A table code's parts (the signature not yet checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCode<'a> {
    pub merchant: &'a str,
    pub table: &'a str,
    pub day: NaiveDate,
    pub signature: &'a str,
}

/// The version prefix of table codes.
const PREFIX: &str = "MQT1";

impl<'a> TableCode<'a> {
    /// Reads a table code; none if it is not one.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.split('.');
        let (prefix, merchant, table, day, signature) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if prefix != PREFIX || parts.next().is_some() || merchant.is_empty() || table.is_empty() {
            return None;
        }
        Some(Self {
            merchant,
            table,
            day: NaiveDate::parse_from_str(day, "%Y%m%d").ok()?,
            signature,
        })
    }

    /// What the signature covers.
    pub fn signed_text(merchant: &str, table: &str, day: NaiveDate) -> String {
        format!("{PREFIX}.{merchant}.{table}.{}", day.format("%Y%m%d"))
    }

    /// The whole code, given its signature.
    pub fn text(merchant: &str, table: &str, day: NaiveDate, signature: &str) -> String {
        format!("{}.{signature}", Self::signed_text(merchant, table, day))
    }
}

/// The distance in metres between two points on the Earth (haversine; good to a few metres
/// at a shop's scale).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().atan2((1.0 - a).sqrt())
}

/// Whether a point is a real place (a phone can send anything).
pub fn is_place(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_code_reads_back_and_anything_else_does_not() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).expect("day");
        let text = TableCode::text("demo", "T3", day, "abc");
        assert_eq!(text, "MQT1.demo.T3.20261130.abc");
        assert_eq!(
            TableCode::parse(&text),
            Some(TableCode {
                merchant: "demo",
                table: "T3",
                day,
                signature: "abc"
            })
        );
        for bad in [
            "",
            "MQT1.demo.T3.20261130",
            "MQT2.demo.T3.20261130.abc",
            "MQT1.demo.T3.2026-11-30.abc",
            "MQT1..T3.20261130.abc",
            "MQT1.demo.T3.20261130.abc.x",
        ] {
            assert_eq!(TableCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn distances_are_in_metres() {
        // Chengdu Tianfu Square to Chunxi Road: about 1.2 km.
        let far = distance_m(30.6574, 104.0658, 30.6551, 104.0781);
        assert!((1_100.0..1_300.0).contains(&far), "{far}");
        // 0.001° of latitude is about 111 m.
        let near = distance_m(30.0, 104.0, 30.001, 104.0);
        assert!((110.0..112.5).contains(&near), "{near}");
        assert!(is_place(30.0, 104.0));
        assert!(!is_place(f64::NAN, 104.0));
        assert!(!is_place(91.0, 0.0));
    }
}
