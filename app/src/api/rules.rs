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

/// The query of `GET /api/presence/table_code`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableQuery {
    /// The table, e.g. `T3`.
    pub table: crate::domain::checked::Code,
}

/// `GET /api/presence/table_code?table=…` (staff): today's code of a table, for the QR
/// code a diner scans to prove they are at the shop. It changes at the shop's midnight.
#[leptos::server(prefix = "/api", endpoint = "presence/table_code", input = leptos::server_fn::codec::GetUrl)]
pub async fn table_code() -> Result<TableCodeToday, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::Scan)?;
    let TableQuery { table } = crate::api::codec::query()?;
    let (code, day) = crate::service::rules::presence::table_code(
        &call.state,
        &staff.merchant_id,
        &table,
        chrono::Utc::now(),
    )
    .await?;
    Ok(TableCodeToday {
        svg: crate::api::diner_demo::qr_svg(&code)?,
        code,
        day,
    })
}

/// `POST /api/presence/location` (OWNER, MANAGER): where the shop is, so a diner's phone
/// within `radius_m` proves they are there.
#[leptos::server(prefix = "/api", endpoint = "presence/location", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn set_shop_place(place: ShopPlace) -> Result<ShopPlace, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    crate::service::rules::presence::set_place(&call.state, &staff.merchant_id, place).await?;
    Ok(place)
}

/// `POST /api/campaigns/dry_run` (OWNER, MANAGER): decide one trigger now with the campaign
/// (any status) beside the active ones — the trace and the story, nothing given.
#[leptos::server(prefix = "/api", endpoint = "campaigns/dry_run", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn dry_run_campaign(
    code: crate::domain::checked::Code,
    trigger: TrialTrigger,
) -> Result<DryRun, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::rules::lab::dry_run(
        &call.state,
        &staff.merchant_id,
        &code,
        trigger,
        chrono::Utc::now(),
    )
    .await?)
}

/// How many days a backtest replays or a report reads (1–90).
pub type Days = crate::domain::checked::Count<1, 90>;

/// `POST /api/campaigns/backtest` (OWNER, MANAGER): replay the shop's triggers of the last
/// `days` days with the campaign beside the active ones — reach, rewards, cost, when each
/// day's budget ran out, and traces. Nothing is given; the same answer every run.
#[leptos::server(prefix = "/api", endpoint = "campaigns/backtest", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn backtest_campaign(
    code: crate::domain::checked::Code,
    days: Days,
) -> Result<Backtest, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::rules::lab::backtest(
        &call.state,
        &staff.merchant_id,
        &code,
        days.get(),
        chrono::Utc::now(),
    )
    .await?)
}

/// The query of `GET /api/campaigns/holdout`.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HoldoutQuery {
    pub code: crate::domain::checked::Code,
    /// Diners first decided in the last `days` days (1–90, default 30).
    #[cfg_attr(feature = "ssr", param(inline))]
    pub days: Option<Days>,
    /// What they did in the `window` days after (1–90, default 14).
    #[cfg_attr(feature = "ssr", param(inline))]
    pub window: Option<Days>,
}

/// `GET /api/campaigns/holdout?code=…` (OWNER, MANAGER): the campaign's lift over its
/// holdout (visits and spend per diner, with a 95 % interval) and its net incremental
/// return, or "inconclusive" while either group is too small.
#[leptos::server(prefix = "/api", endpoint = "campaigns/holdout", input = leptos::server_fn::codec::GetUrl)]
pub async fn campaign_holdout() -> Result<Lift, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let HoldoutQuery { code, days, window } = crate::api::codec::query()?;
    Ok(crate::service::rules::lab::holdout_report(
        &call.state,
        &staff.merchant_id,
        &code,
        days.map_or(30, Days::get),
        window.map_or(14, Days::get),
        chrono::Utc::now(),
    )
    .await?)
}

/// Tags one request adds or removes at most.
pub type TagList = Vec<crate::domain::checked::Tag>;

/// `POST /api/diners/tags` (staff): add and remove a diner's tags at the shop (`spicy`,
/// `vip`…), which campaigns' conditions and affinities ask for.
#[leptos::server(prefix = "/api", endpoint = "diners/tags", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn tag_diner(
    uid: crate::domain::checked::DinerId,
    #[server(default)] add: TagList,
    #[server(default)] remove: TagList,
) -> Result<DinerTags, Problem> {
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::Scan)?;
    if add.len() > 16 || remove.len() > 16 {
        return Err(AppError::Invalid("add, remove: at most 16 tags each".into()).into());
    }
    let tags =
        crate::service::rules::retag(&call.state, &staff.merchant_id, &uid, &add, &remove).await?;
    Ok(DinerTags {
        uid: uid.into_string(),
        tags,
    })
}

/// When a diner earns `regular` and `lapsed` at the shop.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagThresholds {
    /// Visits (days at the shop) from which a diner is `regular` (1–1,000).
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub regular_visits: crate::domain::checked::Count<1, 1000>,
    /// Days away after which a returning diner is `lapsed` (1–3,650).
    #[cfg_attr(feature = "ssr", schema(inline))]
    pub lapsed_days: crate::domain::checked::Count<1, 3650>,
}

/// `POST /api/diners/tag_rules` (OWNER, MANAGER): when the shop's diners earn the tags
/// `regular` and `lapsed` from their visits (defaults 5 visits, 30 days).
#[leptos::server(prefix = "/api", endpoint = "diners/tag_rules", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn set_tag_rules(rules: TagThresholds) -> Result<TagThresholds, Problem> {
    use crate::error::AppError;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    db::rules::set_tag_rules(
        &call.state.db,
        &staff.merchant_id,
        i64::from(rules.regular_visits.get()),
        i64::from(rules.lapsed_days.get()),
    )
    .await
    .map_err(AppError::from)?;
    Ok(rules)
}
