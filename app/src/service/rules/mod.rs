//! The rule engine's services: campaigns (saved whole, checked against the catalogue and
//! the Story schema, every save a new version), the triggers the server's changes and the
//! clients make, the decision of each trigger (`decide`, the work queue's `triggers`
//! consumer) and the diner's story inbox.

pub mod cache;
pub mod check_form;
mod decide;
pub mod lab;
pub mod presence;
pub mod schema;
mod triggers;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use db::catalog::Catalog;

pub use decide::heard;
pub use decide::{Decider, decide_all};
pub(crate) use decide::{Words, story_for};
pub(crate) use triggers::publication;
pub use triggers::{post_event, trigger_of};

use super::{local_day, merchant_zone};
use crate::domain::Money;
use crate::domain::checked::Code;
use crate::domain::rules::campaign::CardCost;
use crate::domain::rules::story::{Reward, Values, rewards_in_words};
use crate::domain::rules::{CampaignSpec, CampaignStatus, CostBasis, FieldError, Grants};
use crate::error::AppError;
use crate::model::rules::{Campaign, InboxStory, NewCampaign};
use crate::state::AppState;

/// The most stories an inbox read returns.
pub const INBOX_LIMIT: u32 = 50;

/// Creates a campaign as a DRAFT (version 1). 409 if the shop already has the code.
pub async fn create_campaign(
    state: &AppState,
    merchant: &str,
    staff: &str,
    new: NewCampaign,
) -> Result<Campaign, AppError> {
    let db = &state.db;
    check_campaign(state, merchant, &new.spec).await?;
    if db::rules::campaign(db, merchant, &new.code)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "the shop already has a campaign {}",
            new.code
        )));
    }
    save(
        state,
        merchant,
        staff,
        &new.code,
        CampaignStatus::Draft,
        None,
        &new.spec,
    )
    .await?;
    campaign(state, merchant, &new.code, Utc::now()).await
}

/// Saves a new version of a campaign, unless someone saved one since `expected_version`
/// (409: reload and edit again). An ENDED campaign cannot be changed.
pub async fn update_campaign(
    state: &AppState,
    merchant: &str,
    staff: &str,
    code: &str,
    expected_version: u32,
    spec: CampaignSpec,
) -> Result<Campaign, AppError> {
    let current = stored(state, merchant, code).await?;
    let status = status_of(&current)?;
    if status == CampaignStatus::Ended {
        return Err(AppError::Conflict(format!("campaign {code} has ended")));
    }
    check_campaign(state, merchant, &spec).await?;
    save(
        state,
        merchant,
        staff,
        code,
        status,
        Some(expected_version),
        &spec,
    )
    .await?;
    campaign(state, merchant, code, Utc::now()).await
}

/// Activates, pauses, resumes or ends a campaign (a new version with the same spec).
pub async fn set_status(
    state: &AppState,
    merchant: &str,
    staff: &str,
    code: &str,
    next: CampaignStatus,
) -> Result<Campaign, AppError> {
    let current = stored(state, merchant, code).await?;
    let status = status_of(&current)?;
    if status == next {
        return campaign(state, merchant, code, Utc::now()).await;
    }
    if !status.may_become(next) {
        return Err(AppError::Conflict(format!(
            "campaign {code} is {} and cannot become {}",
            status.as_str(),
            next.as_str()
        )));
    }
    let spec = spec_of(&current)?;
    if next == CampaignStatus::Active {
        // The catalogue may have changed since the campaign was saved.
        check_campaign(state, merchant, &spec).await?;
    }
    let version = u32::try_from(current.version).unwrap_or_default();
    save(state, merchant, staff, code, next, Some(version), &spec).await?;
    campaign(state, merchant, code, Utc::now()).await
}

/// A merchant's campaigns with what each spent and gave today.
pub async fn campaigns(
    state: &AppState,
    merchant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Campaign>, AppError> {
    let db = &state.db;
    let rows = db::rules::campaigns(db, merchant, None).await?;
    let catalog = db::catalog::of_merchant(db, merchant).await?;
    let basis = cost_basis(&catalog);
    let day = local_day(merchant_zone(db, merchant).await?, now).to_string();
    let codes: Vec<String> = rows.iter().map(|row| row.code.clone()).collect();
    let usage: BTreeMap<String, db::rules::UsageRow> =
        db::rules::usage(db, merchant, &codes, None, &day)
            .await?
            .into_iter()
            .map(|row| (row.code.clone(), row))
            .collect();
    rows.iter()
        .map(|row| {
            let spec = spec_of(row)?;
            let usage = usage.get(&row.code);
            Ok(Campaign {
                code: row.code.clone(),
                status: status_of(row)?,
                version: u32::try_from(row.version).unwrap_or_default(),
                cost: basis.cost(&spec.action.grants),
                used_today: usage
                    .map(|u| Money::round_half_up(u.used_today))
                    .unwrap_or(Money::ZERO),
                granted_today: usage
                    .map(|u| u32::try_from(u.granted_today).unwrap_or_default())
                    .unwrap_or_default(),
                granted_total: usage
                    .map(|u| u32::try_from(u.total).unwrap_or_default())
                    .unwrap_or_default(),
                spec,
                updated_at: row.updated_at,
                updated_by: row.updated_by.clone(),
            })
        })
        .collect()
}

/// One campaign with what it spent and gave today.
pub async fn campaign(
    state: &AppState,
    merchant: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Campaign, AppError> {
    campaigns(state, merchant, now)
        .await?
        .into_iter()
        .find(|campaign| campaign.code == code)
        .ok_or_else(|| AppError::NotFound(format!("campaign {code}")))
}

pub(crate) async fn stored(
    state: &AppState,
    merchant: &str,
    code: &str,
) -> Result<db::rules::CampaignRow, AppError> {
    db::rules::campaign(&state.db, merchant, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("campaign {code}")))
}

async fn save(
    state: &AppState,
    merchant: &str,
    staff: &str,
    code: &str,
    status: CampaignStatus,
    expected: Option<u32>,
    spec: &CampaignSpec,
) -> Result<i64, AppError> {
    let save = db::rules::CampaignSave {
        merchant: merchant.to_owned(),
        code: code.to_owned(),
        name: spec.name.to_string(),
        status: status.as_str().to_owned(),
        expected: expected.map(i64::from),
        spec: serde_json::to_value(spec)
            .map_err(|e| AppError::Internal(format!("cannot serialise a campaign: {e}")))?,
        by: Some(staff.to_owned()),
    };
    match db::rules::save_campaign(&state.db, &save).await {
        Err(err) if err.rejection() == Some(&db::Rejection::VersionChanged) => {
            Err(AppError::Conflict(format!(
                "campaign {code} was changed by someone else since you opened it; reload it"
            )))
        }
        saved => {
            let version = saved?;
            // This process reads its own write at once; the others when their LIVE query says.
            state.campaigns.empty();
            Ok(version)
        }
    }
}

/// The shop's weather as the last weather trigger set it.
pub async fn shop_weather(
    state: &AppState,
    merchant: &str,
) -> Result<Option<crate::domain::rules::Weather>, AppError> {
    Ok(db::rules::shop_weather(&state.db, merchant)
        .await?
        .and_then(weather_named))
}

/// A weather as stored by name (a name this build does not know reads as none).
pub(crate) fn weather_named(name: String) -> Option<crate::domain::rules::Weather> {
    serde_json::from_value(serde_json::Value::String(name)).ok()
}

/// A stored campaign's spec (a stored one that no longer reads is our fault: 500).
pub(crate) fn spec_of(row: &db::rules::CampaignRow) -> Result<CampaignSpec, AppError> {
    serde_json::from_value(row.spec.clone()).map_err(|e| {
        AppError::Internal(format!(
            "campaign {} v{} does not read: {e}",
            row.code, row.version
        ))
    })
}

/// A stored campaign as the decision sees it, with what one reward costs.
pub(crate) fn rule_of(
    row: &db::rules::CampaignRow,
    spec: &CampaignSpec,
    basis: &CostBasis,
) -> crate::domain::rules::Rule {
    let version = u32::try_from(row.version).unwrap_or_default();
    spec.rule(&row.code, version, basis.cost(&spec.action.grants))
}

fn status_of(row: &db::rules::CampaignRow) -> Result<CampaignStatus, AppError> {
    row.status
        .parse()
        .map_err(|_| AppError::Internal(format!("campaign {} has status {}", row.code, row.status)))
}

/// Everything wrong with a campaign for this shop: its own rules, codes the catalogue does
/// not have, a story that cannot be filled in or breaks the Story schema, a reward that
/// costs more than the day's budget.
async fn check_campaign(
    state: &AppState,
    merchant: &str,
    spec: &CampaignSpec,
) -> Result<(), AppError> {
    let catalog = db::catalog::of_merchant(&state.db, merchant).await?;
    let problems = campaign_problems(spec, &catalog)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::FieldsInvalid(problems))
    }
}

/// Everything wrong with a campaign for a shop with `catalog` (see [`check_campaign`]).
pub(crate) fn campaign_problems(
    spec: &CampaignSpec,
    catalog: &Catalog,
) -> Result<Vec<FieldError>, AppError> {
    let mut problems = spec.check();
    let grants = &spec.action.grants;
    for code in grants.fragments.keys() {
        if !catalog.fragments.iter().any(|f| f.code == code.as_str()) {
            problems.push(FieldError::new(
                format!("action.grants.fragments.{code}"),
                "the shop has no such fragment",
            ));
        }
    }
    if let Some(card) = &grants.card
        && !catalog
            .card_types
            .iter()
            .any(|kind| kind.active && kind.code == card.as_str())
    {
        problems.push(FieldError::new(
            "action.grants.card",
            "the shop has no such card type on offer",
        ));
    }
    let art = decide::art_of(&spec.action.story, catalog);
    if spec.action.story.art.is_some() && art.is_none() {
        problems.push(FieldError::new(
            "action.story.art",
            "the shop's library has no such picture",
        ));
    }
    let rewards = rewards_of(grants, catalog);
    let words = rewards_in_words(&rewards);
    let sample = sample_values(&words);
    match spec.action.story.fill(&sample, rewards, art) {
        Err(e) => problems.push(FieldError::new(
            format!("action.story.{}", e.path()),
            e.to_string(),
        )),
        Ok(story) => {
            let json = serde_json::to_value(&story)
                .map_err(|e| AppError::Internal(format!("cannot serialise a story: {e}")))?;
            if let Err(errors) = schema::check_story(&json) {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|message| FieldError::new("action.story", message)),
                );
            }
        }
    }
    let cost = cost_basis(catalog).cost(grants);
    if cost > spec.daily_budget_cap {
        problems.push(FieldError::new(
            "daily_budget_cap",
            format!("one reward costs {cost}: the daily budget must cover at least one"),
        ));
    }
    Ok(problems)
}

/// What the catalogue says the shop's things cost it.
pub(crate) fn cost_basis(catalog: &Catalog) -> CostBasis {
    let codes: BTreeMap<&str, Code> = catalog
        .card_types
        .iter()
        .flat_map(|kind| {
            std::iter::once(kind.code.as_str())
                .chain(kind.recipe.iter().map(|item| item.fragment.as_str()))
        })
        .chain(catalog.listings.iter().map(|l| l.fragment.as_str()))
        .filter_map(|text| text.parse().ok().map(|code| (text, code)))
        .collect();
    let code = |text: &str| codes.get(text);
    let cards = catalog.card_types.iter().filter_map(|kind| {
        Some(CardCost {
            code: code(&kind.code)?,
            cost_basis: Money::round_half_up(kind.cost_basis),
            recipe: kind
                .recipe
                .iter()
                .filter_map(|item| Some((code(&item.fragment)?, u32::try_from(item.count).ok()?)))
                .collect(),
        })
    });
    let listings = catalog
        .listings
        .iter()
        .filter(|listing| listing.active)
        .filter_map(|l| Some((code(&l.fragment)?, u32::try_from(l.buy_price).ok()?)));
    CostBasis::of(cards, listings)
}

/// The rewards `grants` give, named from the catalogue.
pub(crate) fn rewards_of(grants: &Grants, catalog: &Catalog) -> Vec<Reward> {
    let mut rewards = Vec::new();
    for (code, count) in &grants.fragments {
        let name = catalog
            .fragments
            .iter()
            .find(|f| f.code == code.as_str())
            .and_then(|f| f.name.parse().ok());
        if let Some(name) = name {
            rewards.push(Reward::Fragment {
                code: code.clone(),
                name,
                count: count.get(),
            });
        }
    }
    if grants.silver > 0 {
        rewards.push(Reward::Silver {
            amount: grants.silver,
        });
    }
    if let Some(card) = &grants.card {
        let name = catalog
            .card_types
            .iter()
            .find(|kind| kind.code == card.as_str())
            .and_then(|kind| kind.name.parse().ok());
        if let Some(name) = name {
            rewards.push(Reward::Card {
                card_type: card.clone(),
                name,
            });
        }
    }
    rewards
}

/// Values like real ones, to check a template at save time.
fn sample_values(words: &str) -> Values<'_> {
    BTreeMap::from([
        ("nickname", "食客"),
        ("shop", "本店"),
        ("weather", "雨天"),
        ("rewards", words),
    ])
}

/// The most tags a diner may carry at one shop (set by staff and campaigns).
pub const MAX_TAGS: usize = 32;

/// Staff add and remove tags of a diner at their shop (conditions ask for them: `tag_in`).
pub async fn retag(
    state: &AppState,
    merchant: &str,
    uid: &str,
    add: &[crate::domain::checked::Tag],
    remove: &[crate::domain::checked::Tag],
) -> Result<Vec<String>, AppError> {
    let db = &state.db;
    if db::diner::get(db, uid).await?.is_none() {
        return Err(AppError::DinerNotFound(uid.to_owned()));
    }
    let text = |tags: &[crate::domain::checked::Tag]| -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    };
    let now = db::rules::diner_facts(db, merchant, uid).await?.tags;
    let after: std::collections::BTreeSet<String> = now
        .into_iter()
        .chain(text(add))
        .filter(|tag| !remove.iter().any(|r| r.as_str() == tag))
        .collect();
    if after.len() > MAX_TAGS {
        return Err(AppError::Conflict(format!(
            "a diner carries at most {MAX_TAGS} tags at a shop: remove some first"
        )));
    }
    Ok(db::rules::retag(db, merchant, uid, &text(add), &text(remove)).await?)
}

/// A diner's stories, newest first, at one merchant or all.
pub async fn inbox(
    state: &AppState,
    uid: &str,
    merchant: Option<&str>,
) -> Result<Vec<InboxStory>, AppError> {
    db::rules::stories(&state.db, uid, merchant, INBOX_LIMIT)
        .await?
        .into_iter()
        .map(|row| {
            Ok(InboxStory {
                story: serde_json::from_value(row.story).map_err(|e| {
                    AppError::Internal(format!("story {} does not read: {e}", row.id))
                })?,
                id: row.id,
                merchant_id: row.merchant,
                campaign: row.campaign,
                created_at: row.created_at,
                read: row.read_at.is_some(),
            })
        })
        .collect()
}

/// Marks one of the diner's stories read (404 if it is not theirs).
pub async fn mark_read(state: &AppState, uid: &str, id: &str) -> Result<(), AppError> {
    if db::rules::mark_read(&state.db, uid, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("story {id}")))
    }
}
