//! The settings page's reads and the shop form (the catalogue is edited through the
//! catalogue's own server functions, `api::catalog`, from the page).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Problem;
use crate::model::artwork::Asset;
use crate::model::catalog::Catalog;
use crate::model::settings::ShopSettings;

/// What the settings page shows: the shop, its catalogue (inactive entries too), its
/// pictures to choose a logo from, and whether the caller may change the shop itself
/// (owners; managers edit the catalogue).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub shop: ShopSettings,
    pub catalog: Catalog,
    pub pictures: Vec<Asset>,
    pub may_edit_shop: bool,
}

/// The settings page's data (anyone who may not edit the catalogue: none).
#[server(prefix = "/console", endpoint = "settings")]
pub async fn console_settings() -> Result<Option<SettingsView>, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let Ok(staff) = call.staff(Permission::ManageCatalog) else {
        return Ok(None);
    };
    let state = &call.state;
    let merchant = staff.merchant_id.as_str();
    let (shop, catalog, pictures) = tokio::try_join!(
        crate::service::settings::read(state, merchant),
        crate::service::catalog::read(state, merchant, true, chrono::Utc::now()),
        crate::service::artist::library(state, merchant, None, None),
    )?;
    Ok(Some(SettingsView {
        shop,
        catalog,
        pictures,
        may_edit_shop: call.principal.can(Permission::ManageShop),
    }))
}

/// Saves the shop form whole (OWNER): every fault at its field, nothing saved.
#[server(prefix = "/console", endpoint = "settings/shop")]
pub async fn console_save_shop(
    shop: crate::model::settings::SettingsForm,
) -> Result<ShopSettings, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageShop)?;
    Ok(crate::service::settings::save(&call.state, &staff.merchant_id, &shop).await?)
}
