//! The Artist's page forms (画室): the boss's sentence starts the Artist, the pictures it
//! offers are picked (or four more asked for), and the shop's library gives a picture to a
//! card type. Each calls the same services as `POST /api/agent/command`,
//! `POST /api/agent/resume/{thread_id}` and `POST /api/assets/attach`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::agent::Thread;
use crate::api::artwork::{Asset, CardArt, Offer};
use crate::error::Problem;

/// Pictures waiting for the boss's pick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offered {
    pub thread: Thread,
    pub offer: Offer,
}

/// A card type the library can give a picture to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardChoice {
    pub code: String,
    pub name: String,
}

/// What the Artist's page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudioView {
    /// Threads drawing now, node by node.
    pub running: Vec<Thread>,
    pub offered: Vec<Offered>,
    /// Threads that ended without a picture (the review refused every one).
    pub failed: Vec<Thread>,
    pub library: Vec<Asset>,
    pub card_types: Vec<CardChoice>,
}

/// The page's data (OWNER, MANAGER; anyone else: none).
#[server(prefix = "/console", endpoint = "artist")]
pub async fn console_artist() -> Result<Option<StudioView>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let Ok(staff) = call.staff(crate::auth::Permission::ManageCampaigns) else {
        return Ok(None);
    };
    let state = &call.state;
    let merchant = staff.merchant_id.as_str();
    let artist = <crate::service::artist::Artist as agent::Workflow<crate::state::AppState>>::NAME;
    let (threads, library, catalog) = tokio::try_join!(
        crate::service::copilot::threads(state, merchant, None),
        crate::service::artist::library(state, merchant, None, None),
        crate::service::catalog::of_shop(state, merchant),
    )?;
    let mut view = StudioView {
        running: Vec::new(),
        offered: Vec::new(),
        failed: Vec::new(),
        library,
        card_types: catalog
            .card_types
            .into_iter()
            .filter(|kind| kind.active)
            .map(|kind| CardChoice {
                code: kind.code,
                name: kind.name,
            })
            .collect(),
    };
    for thread in threads.into_iter().filter(|t| t.workflow == artist) {
        match thread.status.as_str() {
            "WAITING" => {
                if let Some(offer) = thread
                    .ask
                    .clone()
                    .and_then(|ask| serde_json::from_value::<Offer>(ask).ok())
                {
                    view.offered.push(Offered { thread, offer });
                }
            }
            "RUNNING" => view.running.push(thread),
            "FAILED" => view.failed.push(thread),
            _ => {}
        }
    }
    view.failed.truncate(3);
    Ok(Some(view))
}

/// The boss's sentence: the Artist starts drawing it; its thread's id.
#[server(prefix = "/console", endpoint = "artist/start")]
pub async fn console_artist_start(text: String) -> Result<String, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(
        crate::service::artist::start(&call.state, &staff.merchant_id, &staff.staff_id, &text)
            .await?,
    )
}

/// The boss's choice of an offer: `pick` with its `number`, or `again` (four more).
#[server(prefix = "/console", endpoint = "artist/choose")]
pub async fn console_artist_choose(
    thread_id: String,
    choice: String,
    #[server(default)] number: u32,
) -> Result<Thread, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let answer = match choice.as_str() {
        "pick" => serde_json::json!({ "choice": "pick", "number": number }),
        _ => serde_json::json!({ "choice": "again" }),
    };
    Ok(crate::service::copilot::resume(
        &call.state,
        &staff.merchant_id,
        &staff.staff_id,
        &thread_id,
        answer,
    )
    .await?)
}

/// Gives a picture of the library to a card type as its art.
#[server(prefix = "/console", endpoint = "artist/attach")]
pub async fn console_artist_attach(
    card_type: String,
    asset_id: String,
) -> Result<CardArt, Problem> {
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCatalog)?;
    let attach: crate::api::artwork::Attach = serde_json::from_value(serde_json::json!({
        "card_type": card_type, "asset_id": asset_id,
    }))
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(crate::service::artist::attach(&call.state, &staff.merchant_id, &attach).await?)
}
