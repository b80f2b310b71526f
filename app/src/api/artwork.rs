//! The Artist's library (OWNER, MANAGER): the shop's pictures (`GET /api/assets/library`),
//! given to a card type as its art (`POST /api/assets/attach`), and the pictures themselves
//! (`GET /media/art/<hash>.png`, no session: a diner's card shows them). The Artist itself
//! is started by the Copilot (`POST /api/agent/command`) and answered through
//! `POST /api/agent/resume/{thread_id}` with `{"choice": "pick", "number": 3}`.

use serde::{Deserialize, Serialize};

use crate::error::Problem;
pub use crate::model::artwork::*;

/// The query of `GET /api/assets/library`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LibraryQuery {
    /// Only assets of this kind.
    pub kind: Option<AssetKind>,
    /// Only assets whose title or prompt holds these words.
    pub q: Option<String>,
}

/// `GET /api/assets/library?kind=…&q=…` (OWNER, MANAGER): the shop's pictures, the newest
/// first.
#[leptos::server(prefix = "/api", endpoint = "assets/library", input = leptos::server_fn::codec::GetUrl)]
pub async fn asset_library() -> Result<Vec<Asset>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let LibraryQuery { kind, q } = crate::api::codec::query()?;
    Ok(
        crate::service::artist::library(&call.state, &staff.merchant_id, kind, q.as_deref())
            .await?,
    )
}

/// `POST /api/assets/attach` (OWNER, MANAGER): the shop's asset becomes a card type's art
/// (or, without an asset, the card type has none). Another shop's asset is not found.
#[leptos::server(prefix = "/api", endpoint = "assets/attach", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn attach_asset(attach: Attach) -> Result<CardArt, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    Ok(crate::service::artist::attach(&call.state, &staff.merchant_id, &attach).await?)
}

/// `GET /media/art/{name}`: a picture (`<hash>.png`) or its thumbnail (`<hash>.thumb.png`),
/// cached for a year (a name is its content, so it never changes); anything else is 404.
#[cfg(feature = "ssr")]
pub async fn media(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let Some(bytes) = crate::service::artist::media(&state, &name).await? else {
        return Err(crate::error::AppError::NotFound(format!("picture {name}")).into());
    };
    Ok((
        [
            (http::header::CONTENT_TYPE, "image/png"),
            (
                http::header::CACHE_CONTROL,
                "public, max-age=31536000, immutable",
            ),
            (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}
