//! The campaigns page's forms: the shop's campaigns with today's spend, a campaign written
//! from a short form (the whole JSON document is the API's, `POST /api/campaigns/create`),
//! activate / pause / resume / end, and a dry run. Each calls the same service as the API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::rules::{Campaign, CampaignStatus, DryRun};
use crate::error::Problem;

/// What the campaigns page shows: the campaigns, and what the form can grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignsView {
    pub merchant_id: String,
    pub campaigns: Vec<Campaign>,
    /// The shop's fragments (code, name) for the form's grant.
    pub fragments: Vec<(String, String)>,
    /// The shop's offset from UTC now, in seconds (times shown on its clock).
    pub utc_offset: i32,
    /// The checks a condition can make, read from the campaign JSON Schema.
    pub checks: Vec<crate::api::rules::CheckForm>,
    /// The shop's fragment and card type codes (code, name), for checks naming one.
    pub codes: Vec<(String, String)>,
    /// The shop's pictures (asset id, title), one of which a story may show.
    pub pictures: Vec<(String, String)>,
}

/// The campaigns page's data (OWNER, MANAGER; anyone else: none).
#[server(prefix = "/console", endpoint = "campaigns")]
pub async fn console_campaigns() -> Result<Option<CampaignsView>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let Ok(staff) = call.staff(crate::auth::Permission::ManageCampaigns) else {
        return Ok(None);
    };
    let state = &call.state;
    let campaigns =
        crate::service::rules::campaigns(state, &staff.merchant_id, chrono::Utc::now()).await?;
    let catalog =
        crate::service::catalog::read(state, &staff.merchant_id, true, chrono::Utc::now()).await?;
    let fragments: Vec<(String, String)> = catalog
        .fragments
        .iter()
        .map(|f| (f.code.to_string(), f.name.to_string()))
        .collect();
    let codes = fragments
        .iter()
        .cloned()
        .chain(catalog.card_types.iter().map(|kind| {
            (
                kind.card_type.code.to_string(),
                kind.card_type.name.to_string(),
            )
        }))
        .collect();
    let checks = crate::service::rules::check_form::check_forms(
        &crate::service::rules::schema::campaign_schema(),
    );
    let pictures = crate::service::artist::library(state, &staff.merchant_id, None, None)
        .await?
        .into_iter()
        .map(|asset| (asset.asset_id, asset.title))
        .collect();
    let utc_offset = crate::service::merchant_clock(state, &staff.merchant_id, chrono::Utc::now())
        .await?
        .utc_offset;
    Ok(Some(CampaignsView {
        checks,
        codes,
        utc_offset,
        merchant_id: staff.merchant_id,
        campaigns,
        fragments,
        pictures,
    }))
}

/// The page's form of a campaign: one trigger, its condition (the editor's JSON), what it
/// gives, its budget and its story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignFields {
    pub code: String,
    pub name: String,
    pub trigger: String,
    /// The condition's JSON (empty: every diner).
    #[serde(default)]
    pub condition: String,
    pub priority: u32,
    pub silver: u32,
    pub fragment: String,
    pub fragment_count: u32,
    pub budget: String,
    pub title: String,
    pub text: String,
    /// The asset the story shows (empty: none).
    #[serde(default)]
    pub art: String,
}

/// A campaign from the page's short form, saved as a DRAFT.
#[server(prefix = "/console", endpoint = "campaigns/create")]
pub async fn console_create_campaign(form: CampaignFields) -> Result<Campaign, Problem> {
    use serde_json::json;
    let CampaignFields {
        code,
        name,
        trigger,
        condition,
        priority,
        silver,
        fragment,
        fragment_count,
        budget,
        title,
        text,
        art,
    } = form;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let condition: serde_json::Value = if condition.trim().is_empty() {
        json!({"check": "all", "of": []})
    } else {
        serde_json::from_str(&condition).map_err(|e| {
            crate::error::AppError::FieldsInvalid(vec![crate::domain::rules::FieldError::new(
                "condition",
                e.to_string(),
            )])
        })?
    };
    // Diners with a tag the condition asks for weigh more; a rainy condition tells a rainy
    // story.
    let mut tags = serde_json::Map::new();
    let mut rainy = false;
    walk(
        &condition,
        &mut |node| match node.get("check").and_then(|c| c.as_str()) {
            Some("tag_in") => {
                for tag in node
                    .get("tags")
                    .and_then(|t| t.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(tag) = tag.as_str() {
                        tags.insert(tag.to_owned(), json!(50));
                    }
                }
            }
            Some("weather_in") => {
                rainy |= node.to_string().contains("RAINY");
            }
            _ => {}
        },
    );
    let mut fragments = serde_json::Map::new();
    if !fragment.is_empty() && fragment_count > 0 {
        fragments.insert(fragment, json!(fragment_count));
    }
    let mut story = json!({
        "title": title.trim(),
        "scenes": [{"text": text.trim(), "mood": if rainy { "RAIN" } else { "CALM" }}],
        "cta": {"label": "去看看", "action": "OPEN_INVENTORY"}
    });
    if !art.trim().is_empty()
        && let Some(fields) = story.as_object_mut()
    {
        fields.insert("art".into(), json!(art.trim()));
    }
    let document = json!({
        "code": code.trim(),
        "spec": {
            "name": name.trim(),
            "triggers": [trigger],
            "condition": condition,
            "priority": priority,
            "affinity": {"tags": tags},
            "action": {
                "story": story,
                "grants": {"silver": silver, "fragments": fragments}
            },
            "daily_budget_cap": budget.trim(),
        }
    });
    let new = serde_path_to_error::deserialize(document)
        .map_err(|e| crate::error::refusal(&crate::error::Unreadable::at(e).to_string()))?;
    Ok(crate::service::rules::create_campaign(
        &call.state,
        &staff.merchant_id,
        &staff.staff_id,
        new,
    )
    .await?)
}

/// Calls `visit` on every node of a condition's JSON, outside in (a `not` is not looked
/// into: its tags are ones the diner must lack).
#[cfg(feature = "ssr")]
fn walk(node: &serde_json::Value, visit: &mut impl FnMut(&serde_json::Value)) {
    visit(node);
    if node.get("check").and_then(|c| c.as_str()) == Some("not") {
        return;
    }
    for inner in node
        .get("of")
        .and_then(|of| of.as_array())
        .into_iter()
        .flatten()
    {
        walk(inner, visit);
    }
}

/// Activates, pauses, resumes or ends a campaign.
#[server(prefix = "/console", endpoint = "campaigns/status")]
pub async fn console_campaign_status(
    code: String,
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

/// A dry run of a diner entering the shop now, in some weather.
#[server(prefix = "/console", endpoint = "campaigns/dry_run")]
pub async fn console_dry_run(
    code: String,
    uid: String,
    weather: String,
) -> Result<DryRun, Problem> {
    use serde_json::json;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    let context = if weather.is_empty() {
        json!({})
    } else {
        json!({"weather": weather})
    };
    let trial = serde_path_to_error::deserialize(
        json!({"type": "USER_ENTER_SHOP", "uid": uid.trim(), "context": context}),
    )
    .map_err(|e| crate::error::refusal(&crate::error::Unreadable::at(e).to_string()))?;
    Ok(crate::service::rules::lab::dry_run(
        &call.state,
        &staff.merchant_id,
        &code,
        trial,
        chrono::Utc::now(),
    )
    .await?)
}

/// A backtest over the last `days` days: exactly `POST /api/campaigns/backtest` (nothing
/// is given).
#[server(prefix = "/console", endpoint = "campaigns/backtest")]
pub async fn console_backtest(
    code: crate::domain::checked::Code,
    days: crate::api::rules::Days,
) -> Result<crate::api::rules::Backtest, Problem> {
    crate::api::rules::backtest_campaign(code, days).await
}

/// The campaign's lift over its holdout (`GET /api/campaigns/holdout`): diners of the last
/// 30 days, what they did in the 14 after.
#[server(prefix = "/console", endpoint = "campaigns/holdout")]
pub async fn console_holdout(code: String) -> Result<crate::api::rules::Lift, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::ManageCampaigns)?;
    Ok(crate::service::rules::lab::holdout_report(
        &call.state,
        &staff.merchant_id,
        &code,
        30,
        14,
        chrono::Utc::now(),
    )
    .await?)
}
