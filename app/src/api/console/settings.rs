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

/// Uploads the shop's logo (OWNER): a multipart form whose `logo` field is a PNG, JPEG or
/// WebP file; it becomes one of the shop's pictures and its logo. A file too large is not
/// read past the limit.
#[server(
    prefix = "/console",
    endpoint = "settings/logo",
    input = leptos::server_fn::codec::MultipartFormData
)]
pub async fn console_upload_logo(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<ShopSettings, Problem> {
    use crate::domain::rules::FieldError;
    use crate::error::AppError;
    use crate::service::settings::LOGO_MAX_BYTES;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageShop)?;
    let unreadable = |e: String| AppError::Invalid(format!("the upload does not read: {e}"));
    let mut form = data
        .into_inner()
        .ok_or_else(|| AppError::Invalid("not a multipart form".into()))?;
    let (mut title, mut file) = (String::new(), Vec::new());
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| unreadable(e.to_string()))?
    {
        if field.name() != Some("logo") {
            continue;
        }
        // Its name without the extension: the asset's title.
        title = field
            .file_name()
            .map(|name| {
                name.rsplit_once('.')
                    .map_or(name, |(stem, _)| stem)
                    .to_owned()
            })
            .unwrap_or_default();
        while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(e.to_string()))? {
            file.extend_from_slice(&chunk);
            if file.len() > LOGO_MAX_BYTES {
                break;
            }
        }
        break;
    }
    if file.is_empty() {
        return Err(
            AppError::FieldsInvalid(vec![FieldError::new("logo", "choose a picture")]).into(),
        );
    }
    Ok(
        crate::service::settings::upload_logo(&call.state, &staff.merchant_id, &title, file)
            .await?,
    )
}
