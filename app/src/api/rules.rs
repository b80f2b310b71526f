//! The rule engine's API: campaigns for OWNER and MANAGER (write, activate, pause, end),
//! events posted by staff, and the diner's story inbox. Campaign saves are whole documents
//! checked as one (every fault at its field, `errors`), each a new version; a save that
//! names an old version is refused (409) rather than overwriting someone else's edit.

use serde::{Deserialize, Serialize};

use crate::error::Problem;
pub use crate::model::rules::*;

/// The query naming one campaign.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CampaignQuery {
    pub code: crate::domain::checked::Code,
}

/// The query of `GET /api/stories/mine`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboxQuery {
    /// Only this merchant's stories (else all, newest first).
    pub merchant_id: Option<crate::domain::checked::MerchantId>,
}

/// `GET /api/campaigns` (OWNER, MANAGER): the shop's campaigns with today's spend.
#[leptos::server(prefix = "/api", endpoint = "campaigns", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_campaigns() -> Result<Vec<Campaign>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(
        crate::service::rules::campaigns(&call.state, &staff.merchant_id, chrono::Utc::now())
            .await?,
    )
}

/// `GET /api/campaigns/one?code=…` (OWNER, MANAGER): one campaign.
#[leptos::server(prefix = "/api", endpoint = "campaigns/one", input = leptos::server_fn::codec::GetUrl)]
pub async fn read_campaign() -> Result<Campaign, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let CampaignQuery { code } = crate::api::codec::query()?;
    Ok(
        crate::service::rules::campaign(&call.state, &staff.merchant_id, &code, chrono::Utc::now())
            .await?,
    )
}

/// `POST /api/campaigns/create` (OWNER, MANAGER): a new campaign, as a DRAFT.
#[leptos::server(prefix = "/api", endpoint = "campaigns/create", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn create_campaign(campaign: NewCampaign) -> Result<Campaign, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::rules::create_campaign(
        &call.state,
        &staff.merchant_id,
        &staff.staff_id,
        campaign,
    )
    .await?)
}

/// `POST /api/campaigns/update` (OWNER, MANAGER): a new version of a campaign, refused
/// (409) if someone saved one since `version`.
#[leptos::server(prefix = "/api", endpoint = "campaigns/update", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn update_campaign(
    code: crate::domain::checked::Code,
    version: u32,
    spec: CampaignSpec,
) -> Result<Campaign, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::rules::update_campaign(
        &call.state,
        &staff.merchant_id,
        &staff.staff_id,
        &code,
        version,
        spec,
    )
    .await?)
}

/// `POST /api/campaigns/status` (OWNER, MANAGER): activate, pause, resume or end.
#[leptos::server(prefix = "/api", endpoint = "campaigns/status", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn set_campaign_status(
    code: crate::domain::checked::Code,
    status: CampaignStatus,
) -> Result<Campaign, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::rules::set_status(
        &call.state,
        &staff.merchant_id,
        &staff.staff_id,
        &code,
        status,
    )
    .await?)
}

/// `POST /api/events` (staff): a trigger for the rule engine — a diner checked in at the
/// counter (CASHIER and up), the weather or a tick (OWNER, MANAGER).
#[leptos::server(prefix = "/api", endpoint = "events", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn post_event(event: PostedEvent) -> Result<EventReceipt, Problem> {
    let call = crate::api::edge::authenticated()?;
    Ok(
        crate::service::rules::post_event(&call.state, &call.principal, event, chrono::Utc::now())
            .await?,
    )
}

/// `GET /api/stories/mine` (diner): my stories, newest first.
#[leptos::server(prefix = "/api", endpoint = "stories/mine", input = leptos::server_fn::codec::GetUrl)]
pub async fn my_stories() -> Result<Vec<InboxStory>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let InboxQuery { merchant_id } = crate::api::codec::query()?;
    Ok(crate::service::rules::inbox(&call.state, &uid, merchant_id.as_deref()).await?)
}

/// `POST /api/stories/read` (diner): mark one of my stories read.
#[leptos::server(prefix = "/api", endpoint = "stories/read", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn read_story(id: crate::domain::checked::StoryId) -> Result<(), Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    Ok(crate::service::rules::mark_read(&call.state, &uid, &id).await?)
}
