//! Trying a campaign before it goes live, and measuring it after: a dry run of one trigger,
//! a backtest replaying the shop's recorded triggers, and the holdout report. None of them
//! grants or writes anything.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use super::decide::plan;
use super::{cost_basis, rule_of, spec_of, stored};
use crate::domain::Money;
use crate::domain::rules::lift::{After, Lift, lift};
use crate::domain::rules::simulate::{Backtest, Recorded, replay};
use crate::domain::rules::{CampaignSpec, Rule, RuleSet, Story, Trigger, TriggerType};
use crate::error::AppError;
use crate::model::rules::{DecisionTrace, DryRun, TrialTrigger};
use crate::state::AppState;

/// The most recorded triggers a backtest replays.
pub const MAX_REPLAY: u32 = 20_000;
/// How many traces a backtest returns.
pub const BACKTEST_TRACES: usize = 20;

/// Decides `trial` as if it happened now, with campaign `code` (any status) beside the
/// active ones: the trace and the story the diner would get. Nothing is given or kept.
pub async fn dry_run(
    state: &AppState,
    merchant: &str,
    code: &str,
    trial: TrialTrigger,
    now: DateTime<Utc>,
) -> Result<DryRun, AppError> {
    let row = stored(state, merchant, code).await?;
    let spec = spec_of(&row)?;
    if db::diner::get(&state.db, &trial.uid).await?.is_none() {
        return Err(AppError::DinerNotFound(trial.uid.to_string()));
    }
    let trigger = Trigger {
        id: format!("dry-run-{}", uuid::Uuid::now_v7()),
        kind: trial.kind,
        merchant_id: merchant.to_owned(),
        uid: Some(trial.uid.into_string()),
        context: trial.context,
        occurred_at: now,
    };
    let (write, _) = plan(state, &trigger, Some((&row, &spec))).await?;
    let decision: DecisionTrace = serde_json::from_value(write.trace)
        .map_err(|e| AppError::Internal(format!("a trace does not read: {e}")))?;
    let story = write
        .grants
        .iter()
        .find(|grant| grant.campaign == code)
        .map(|grant| serde_json::from_value::<Story>(grant.story.clone()))
        .transpose()
        .map_err(|e| AppError::Internal(format!("a story does not read: {e}")))?;
    Ok(DryRun { decision, story })
}

/// Replays the shop's triggers of the last `days` days with campaign `code` (any status)
/// beside the campaigns active now, from the facts each was decided with: what each would
/// have given and cost, and when each day's budget ran out. The same every run.
pub async fn backtest(
    state: &AppState,
    merchant: &str,
    code: &str,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Backtest, AppError> {
    let row = stored(state, merchant, code).await?;
    let candidate = spec_of(&row)?;
    let version = u32::try_from(row.version).unwrap_or_default();
    backtest_of(state, merchant, code, version, &candidate, days, now).await
}

/// The same for a campaign not saved yet (a proposal): `candidate` as `code` at `version`.
pub async fn backtest_of(
    state: &AppState,
    merchant: &str,
    code: &str,
    version: u32,
    candidate: &CampaignSpec,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Backtest, AppError> {
    let db = &state.db;
    let catalog = db::catalog::of_merchant(db, merchant).await?;
    let basis = cost_basis(&catalog);
    let mut rules: Vec<Rule> = Vec::new();
    for active in db::rules::campaigns(db, merchant, Some("ACTIVE")).await? {
        if active.code == code {
            continue;
        }
        rules.push(rule_of(&active, &spec_of(&active)?, &basis));
    }
    rules.push(candidate.rule(code, version, basis.cost(&candidate.action.grants)));
    let from = now - Duration::days(i64::from(days));
    let records: Vec<Recorded> = db::rules::decisions(db, merchant, from, MAX_REPLAY)
        .await?
        .into_iter()
        .filter_map(|row| {
            let kind: TriggerType =
                serde_json::from_value(row.trigger.get("type")?.clone()).ok()?;
            let trace: DecisionTrace = serde_json::from_value(row.trace).ok()?;
            Some(Recorded {
                trigger_id: row.trigger_id,
                kind,
                uid: row.uid?,
                day: row.day.parse().ok()?,
                at: row.at,
                facts: trace.facts?,
            })
        })
        .collect();
    Ok(replay(
        &records,
        &RuleSet::new(rules),
        code,
        BACKTEST_TRACES,
    ))
}

/// The holdout report of campaign `code` over the last `days` days: the diners it rewarded
/// against those it held out, on their visits and spend in the `window` days after their
/// first decision.
pub async fn holdout_report(
    state: &AppState,
    merchant: &str,
    code: &str,
    days: u32,
    window: u32,
    now: DateTime<Utc>,
) -> Result<Lift, AppError> {
    let db = &state.db;
    stored(state, merchant, code).await?;
    let from = now - Duration::days(i64::from(days) + i64::from(window));
    let decisions = db::rules::decisions(db, merchant, from, MAX_REPLAY).await?;
    // Each diner's first decision by the campaign, and which side it put them on.
    let mut first: BTreeMap<String, (DateTime<Utc>, bool)> = BTreeMap::new();
    let mut visit_days: BTreeMap<String, BTreeSet<(DateTime<Utc>, String)>> = BTreeMap::new();
    for decision in &decisions {
        let Some(uid) = decision.uid.clone() else {
            continue;
        };
        let kind: Option<TriggerType> = decision
            .trigger
            .get("type")
            .and_then(|t| serde_json::from_value(t.clone()).ok());
        if kind.is_some_and(TriggerType::is_visit) {
            visit_days
                .entry(uid.clone())
                .or_default()
                .insert((decision.at, decision.day.clone()));
        }
        let treated = decision.fired.iter().any(|c| c == code);
        let held = decision.held_out.iter().any(|c| c == code);
        if treated || held {
            first.entry(uid).or_insert((decision.at, treated));
        }
    }
    // The shop's payments and rewards of the period, read once for every diner.
    let kinds = [
        db::ledger::LedgerType::Payment,
        db::ledger::LedgerType::Reward,
    ];
    let lines = db::ledger::of_merchant(db, merchant, &kinds, from).await?;
    let mut lines_of: BTreeMap<&str, Vec<&db::ledger::LedgerEntry>> = BTreeMap::new();
    for line in &lines {
        lines_of
            .entry(line.user_uid.as_str())
            .or_default()
            .push(line);
    }
    let reference = format!("campaign:{code}@");
    let mut treated = Vec::new();
    let mut held_out = Vec::new();
    let mut reward_cost = Money::ZERO;
    for (uid, (start, was_treated)) in &first {
        let end = *start + Duration::days(i64::from(window));
        let visits = visit_days.get(uid).map_or(0, |days| {
            let later: BTreeSet<&String> = days
                .iter()
                .filter(|(at, _)| at > start && *at <= end)
                .map(|(_, day)| day)
                .collect();
            u32::try_from(later.len()).unwrap_or(u32::MAX)
        });
        let mut spend = Money::ZERO;
        for line in lines_of.get(uid.as_str()).into_iter().flatten() {
            let amount = Money::round_half_up(line.amount);
            match line.kind {
                db::ledger::LedgerType::Payment
                    if line.timestamp > *start && line.timestamp <= end =>
                {
                    spend = spend.checked_add(amount).unwrap_or(Money::MAX);
                }
                db::ledger::LedgerType::Reward
                    if line
                        .reference
                        .as_deref()
                        .is_some_and(|r| r.starts_with(&reference)) =>
                {
                    reward_cost = reward_cost.checked_add(amount).unwrap_or(Money::MAX);
                }
                _ => {}
            }
        }
        let after = After { visits, spend };
        if *was_treated {
            treated.push(after);
        } else {
            held_out.push(after);
        }
    }
    Ok(lift(&treated, &held_out, reward_cost))
}
