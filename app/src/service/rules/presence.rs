//! Checking that a diner is at the shop before their arrival is believed: today's table
//! code, signed with the shop's own key (HMAC-SHA256; the key lives in the database, so
//! every process checks alike), or a phone location within the shop's radius.

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{local_day, merchant_zone};
use crate::domain::checked::Code;
use crate::domain::rules::presence::{Presence, TableCode, distance_m, is_place};
use crate::error::AppError;
use crate::state::AppState;

type HmacSha256 = Hmac<Sha256>;

/// How much of the MAC a table code carries (hex): 128 bits, past guessing.
const SIGNATURE_HEX: usize = 32;

/// Today's code for one table of the shop (what the counter screen shows as a QR code).
pub async fn table_code(
    state: &AppState,
    merchant: &str,
    table: &Code,
    now: DateTime<Utc>,
) -> Result<(String, NaiveDate), AppError> {
    let day = local_day(merchant_zone(&state.db, merchant).await?, now);
    let key = shop_key(state, merchant).await?;
    let signature = sign(&key, &TableCode::signed_text(merchant, table, day))?;
    Ok((TableCode::text(merchant, table, day, &signature), day))
}

/// Whether `proof` shows the diner at `merchant` at `now`; the refusal says why.
pub async fn check(
    state: &AppState,
    merchant: &str,
    proof: &Presence,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let refused = |why: &str| Err(AppError::PresenceNotProven(why.to_owned()));
    match proof {
        Presence::TableCode(text) => {
            let Some(code) = TableCode::parse(text) else {
                return refused("this is not a table code: scan the QR code on your table");
            };
            if code.merchant != merchant {
                return refused("this table code is another shop's");
            }
            let today = local_day(merchant_zone(&state.db, merchant).await?, now);
            if code.day != today {
                return refused(
                    "this table code is from another day: scan the code on your table again",
                );
            }
            let key = shop_key(state, merchant).await?;
            let signed = TableCode::signed_text(code.merchant, code.table, code.day);
            if !verify(&key, &signed, code.signature)? {
                return refused("this table code is not genuine");
            }
            Ok(())
        }
        Presence::Location { lat, lon } => {
            if !is_place(*lat, *lon) {
                return refused("the location is not a place on Earth");
            }
            let Some(shop) = db::rules::shop_location(&state.db, merchant).await? else {
                return refused("the shop has not set its location: scan the table code instead");
            };
            let away = distance_m(*lat, *lon, shop.lat, shop.lon);
            let radius = f64::from(i32::try_from(shop.radius_m).unwrap_or(i32::MAX));
            if away > radius {
                return Err(AppError::PresenceNotProven(format!(
                    "you are {:.0} m from the shop (within {radius:.0} m counts as being there)",
                    away
                )));
            }
            Ok(())
        }
    }
}

/// Sets where the shop is and how near counts as there (10–5,000 m).
pub async fn set_place(
    state: &AppState,
    merchant: &str,
    place: crate::model::rules::ShopPlace,
) -> Result<(), AppError> {
    if !is_place(place.lat, place.lon) {
        return Err(AppError::Invalid("lat, lon: not a place on Earth".into()));
    }
    let at = db::rules::ShopLocation {
        lat: place.lat,
        lon: place.lon,
        radius_m: i64::from(place.radius_m.get()),
    };
    Ok(db::rules::set_shop_location(&state.db, merchant, at).await?)
}

/// The shop's signing key (made with the OS's CSPRNG on first use).
async fn shop_key(state: &AppState, merchant: &str) -> Result<Vec<u8>, AppError> {
    let mut fresh = [0_u8; 32];
    getrandom::fill(&mut fresh)
        .map_err(|e| AppError::Internal(format!("no randomness for a shop key: {e}")))?;
    let stored = db::rules::shop_key(&state.db, merchant, &hex::encode(fresh)).await?;
    hex::decode(stored).map_err(|e| AppError::Internal(format!("shop {merchant}'s key: {e}")))
}

fn mac(key: &[u8], text: &str) -> Result<HmacSha256, AppError> {
    let mut mac = HmacSha256::new_from_slice(key)
        .map_err(|e| AppError::Internal(format!("table code key: {e}")))?;
    mac.update(text.as_bytes());
    Ok(mac)
}

fn sign(key: &[u8], text: &str) -> Result<String, AppError> {
    let full = hex::encode(mac(key, text)?.finalize().into_bytes());
    Ok(full.get(..SIGNATURE_HEX).unwrap_or_default().to_owned())
}

/// Constant-time comparison of the code's signature with the one it should carry.
fn verify(key: &[u8], text: &str, signature: &str) -> Result<bool, AppError> {
    let Ok(given) = hex::decode(signature) else {
        return Ok(false);
    };
    if given.len() * 2 != SIGNATURE_HEX {
        return Ok(false);
    }
    Ok(mac(key, text)?.verify_truncated_left(&given).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_text_and_key() {
        let key = [7_u8; 32];
        let signature = sign(&key, "MQT1.demo.T1.20261130").expect("signed");
        assert_eq!(signature.len(), SIGNATURE_HEX);
        assert_eq!(
            verify(&key, "MQT1.demo.T1.20261130", &signature).ok(),
            Some(true)
        );
        assert_eq!(
            verify(&key, "MQT1.demo.T2.20261130", &signature).ok(),
            Some(false)
        );
        assert_eq!(
            verify(&[8_u8; 32], "MQT1.demo.T1.20261130", &signature).ok(),
            Some(false)
        );
        assert_eq!(
            verify(&key, "MQT1.demo.T1.20261130", "00").ok(),
            Some(false)
        );
        assert_eq!(
            verify(&key, "MQT1.demo.T1.20261130", "zz").ok(),
            Some(false)
        );
    }
}
