//! The shop's settings: its name, address, time zone, the margin the AI must keep, whether
//! the counter prints receipts, its logo (one of its pictures) and where it is. The form is
//! checked whole ([`checked`], pure) so every fault shows at its field at once.

use crate::domain::checked::Count;
use crate::domain::rules::FieldError;
use crate::domain::strategy::DEFAULT_MARGIN_FLOOR;
use crate::error::AppError;
use crate::model::artwork::AssetKind;
use crate::model::rules::ShopPlace;
use crate::model::settings::{SettingsForm, ShopSettings};
use crate::state::AppState;

/// The highest margin floor a shop may ask of the AI (above it, nothing could pass).
pub const MAX_MARGIN_FLOOR: u8 = 90;

/// The shop's settings as its settings page shows them.
pub async fn read(state: &AppState, merchant: &str) -> Result<ShopSettings, AppError> {
    let (settings, place) = tokio::try_join!(
        async {
            db::merchant::settings(&state.db, merchant)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("merchant {merchant}")))
        },
        async { Ok::<_, AppError>(db::rules::shop_location(&state.db, merchant).await?) },
    )?;
    let logo = match &settings.logo {
        Some(id) => crate::service::artist::asset(state, merchant, id).await?,
        None => None,
    };
    let place = place.and_then(|at| {
        Some(ShopPlace {
            lat: at.lat,
            lon: at.lon,
            radius_m: Count::new(u32::try_from(at.radius_m).ok()?).ok()?,
        })
    });
    Ok(ShopSettings {
        name: settings.name,
        timezone: settings.timezone,
        address: settings.address.unwrap_or_default(),
        margin_floor: u8::try_from(settings.margin_floor).unwrap_or(DEFAULT_MARGIN_FLOOR),
        auto_print: settings.auto_print,
        logo,
        place,
    })
}

/// Whether the shop's counter prints a receipt after each collection or recharge.
pub async fn auto_print(state: &AppState, merchant: &str) -> Result<bool, AppError> {
    Ok(db::merchant::settings(&state.db, merchant)
        .await?
        .is_some_and(|settings| settings.auto_print))
}

/// Saves the form whole (every fault at its field, nothing saved) and answers the settings
/// as stored. A logo must be one of the shop's pictures.
pub async fn save(
    state: &AppState,
    merchant: &str,
    form: &SettingsForm,
) -> Result<ShopSettings, AppError> {
    let (settings, place) = checked(form).map_err(AppError::FieldsInvalid)?;
    if let Some(id) = &settings.logo
        && crate::service::artist::asset(state, merchant, id)
            .await?
            .is_none()
    {
        return Err(AppError::FieldsInvalid(vec![FieldError::new(
            "logo",
            "not one of this shop's pictures",
        )]));
    }
    if !db::merchant::save_settings(&state.db, merchant, settings).await? {
        return Err(AppError::NotFound(format!("merchant {merchant}")));
    }
    match place {
        Some(place) => crate::service::rules::presence::set_place(state, merchant, place).await?,
        None => db::rules::forget_shop_location(&state.db, merchant).await?,
    }
    // This process's next read shows it (others hear it by LIVE query).
    state.shops.empty();
    read(state, merchant).await
}

/// The largest logo file taken (larger: refused at the field, unread).
pub const LOGO_MAX_BYTES: usize = 2 * 1024 * 1024;
/// A logo's side once fitted into its square.
pub const LOGO_SIDE: u32 = 512;

/// Makes `file` (PNG, JPEG or WebP, at most [`LOGO_MAX_BYTES`]) the shop's logo: fitted
/// into a square, kept in the pictures' store, minted as one of the shop's assets and set
/// as its logo in one transaction; the settings as stored. A file that is not such a
/// picture is refused at the field, nothing kept.
pub async fn upload_logo(
    state: &AppState,
    merchant: &str,
    title: &str,
    file: Vec<u8>,
) -> Result<ShopSettings, AppError> {
    let refused = |message: String| AppError::FieldsInvalid(vec![FieldError::new("logo", message)]);
    if file.len() > LOGO_MAX_BYTES {
        return Err(refused(format!(
            "at most {} MB",
            LOGO_MAX_BYTES / 1024 / 1024
        )));
    }
    if db::merchant::settings(&state.db, merchant).await?.is_none() {
        return Err(AppError::NotFound(format!("merchant {merchant}")));
    }
    let kept = state
        .studio
        .upload(file, LOGO_SIDE)
        .await?
        .map_err(|refusal| refused(refusal.to_string()))?;
    let title: String = title.trim().chars().take(40).collect();
    db::artwork::mint_logo(
        &state.db,
        db::artwork::AssetSave {
            id: uuid::Uuid::now_v7().to_string(),
            merchant: merchant.to_owned(),
            kind: AssetKind::Logo.as_str().to_owned(),
            hash: kept.hash,
            title,
            prompt: String::new(),
            thread: None,
            width: i64::from(kept.width),
            height: i64::from(kept.height),
            bytes: i64::try_from(kept.bytes).unwrap_or(i64::MAX),
            model: UPLOADED.to_owned(),
            card_type: None,
        },
    )
    .await?;
    state.shops.empty();
    read(state, merchant).await
}

/// The "model" of an uploaded picture: the boss made it.
pub const UPLOADED: &str = "upload";

/// The form as it will be stored, or every fault with its field.
pub fn checked(
    form: &SettingsForm,
) -> Result<(db::merchant::Settings, Option<ShopPlace>), Vec<FieldError>> {
    let mut faults = Vec::new();
    let mut fault = |field: &str, message: &str| faults.push(FieldError::new(field, message));
    let name = form.name.trim();
    if !(1..=80).contains(&name.chars().count()) {
        fault("name", "1–80 characters");
    }
    let address = form.address.trim();
    if address.chars().count() > 120 {
        fault("address", "at most 120 characters");
    }
    let timezone = form.timezone.trim();
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        fault("timezone", "an IANA time zone such as Asia/Shanghai");
    }
    let margin_floor = form.margin_floor.trim().parse::<u8>().ok();
    if margin_floor.is_none_or(|floor| floor > MAX_MARGIN_FLOOR) {
        fault("margin_floor", "a whole percent from 0 to 90");
    }
    let place = place_of(form, &mut fault);
    let logo = Some(form.logo.trim()).filter(|id| !id.is_empty());
    if faults.is_empty() {
        Ok((
            db::merchant::Settings {
                name: name.to_owned(),
                timezone: timezone.to_owned(),
                address: Some(address.to_owned()).filter(|a| !a.is_empty()),
                margin_floor: i64::from(margin_floor.unwrap_or(DEFAULT_MARGIN_FLOOR)),
                auto_print: form.auto_print.is_some(),
                logo: logo.map(str::to_owned),
            },
            place,
        ))
    } else {
        Err(faults)
    }
}

/// The shop's place from the form: all three values, or none of them.
fn place_of(form: &SettingsForm, fault: &mut impl FnMut(&str, &str)) -> Option<ShopPlace> {
    let (lat, lon, radius) = (form.lat.trim(), form.lon.trim(), form.radius_m.trim());
    if lat.is_empty() && lon.is_empty() && radius.is_empty() {
        return None;
    }
    let lat = lat
        .parse::<f64>()
        .ok()
        .filter(|lat| (-90.0..=90.0).contains(lat));
    let lon = lon
        .parse::<f64>()
        .ok()
        .filter(|lon| (-180.0..=180.0).contains(lon));
    let radius = radius
        .parse::<u32>()
        .ok()
        .and_then(|radius| Count::new(radius).ok());
    if lat.is_none() {
        fault("lat", "a latitude from -90 to 90");
    }
    if lon.is_none() {
        fault("lon", "a longitude from -180 to 180");
    }
    if radius.is_none() {
        fault("radius_m", "10–5,000 metres");
    }
    Some(ShopPlace {
        lat: lat?,
        lon: lon?,
        radius_m: radius?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm {
            name: " 老王川菜馆 ".into(),
            timezone: "Asia/Shanghai".into(),
            address: "成都市武侯区".into(),
            margin_floor: "45".into(),
            auto_print: Some("on".into()),
            logo: String::new(),
            lat: "30.65".into(),
            lon: "104.06".into(),
            radius_m: "200".into(),
        }
    }

    fn fields(form: &SettingsForm) -> Vec<String> {
        checked(form)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|fault| fault.field)
            .collect()
    }

    #[test]
    fn a_good_form_is_stored_trimmed_with_its_place() {
        let Ok((settings, place)) = checked(&form()) else {
            panic!("a good form is refused");
        };
        assert_eq!(settings.name, "老王川菜馆");
        assert_eq!(settings.margin_floor, 45);
        assert_eq!(settings.logo, None);
        assert_eq!(place.map(|p| p.radius_m.get()), Some(200));
    }

    #[test]
    fn every_fault_is_named_by_its_field_at_once() {
        let bad = SettingsForm {
            name: "  ".into(),
            timezone: "Mars/Olympus".into(),
            margin_floor: "95".into(),
            lat: "91".into(),
            radius_m: "5".into(),
            ..form()
        };
        assert_eq!(
            fields(&bad),
            ["name", "timezone", "margin_floor", "lat", "radius_m"]
        );
    }

    #[test]
    fn a_place_is_all_three_values_or_none() {
        let none = SettingsForm {
            lat: String::new(),
            lon: String::new(),
            radius_m: String::new(),
            ..form()
        };
        assert!(matches!(checked(&none), Ok((_, None))));
        let half = SettingsForm {
            lon: String::new(),
            ..form()
        };
        assert_eq!(fields(&half), ["lon"]);
    }
}
