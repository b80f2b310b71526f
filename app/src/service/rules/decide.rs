//! Deciding a trigger: the consumer of the work queue's `triggers`. For each trigger, one
//! transaction records the decision with its trace, the diner's visit, and for every
//! campaign that fires its spend, counters, grants, REWARD ledger entry and story (pushed
//! as a STORY frame), completing the trigger's queue item. The budget, the limits and the
//! stock are checked again inside that transaction against what the decision read; if any
//! moved, the trigger is decided again from a fresh read — never past a budget or a limit.
//! A trigger already decided (delivered twice) is completed without a second decision.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use db::card::CardValue;
use db::catalog::Catalog;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::queue::{Claimed, Completion, Queue};
use db::rules::{
    CampaignRow, CardGrant, DecisionWrite, DinerCountRow, GrantWrite, UsageRow, VisitRow,
};

use super::{cost_basis, rewards_of, rule_of, schema, spec_of};
use crate::domain::checked::Tag;
use crate::domain::events::{DomainEvent, Party};
use crate::domain::rules::story::{Values, rewards_in_words};
use crate::domain::rules::usage::{DinerCount, TagRules, Visits, week_of};
use crate::domain::rules::{
    CampaignSpec, CostBasis, Decision, Facts, Outcome as Decided, Rule, RuleSet, StoryTemplate,
    Trigger, TriggerType, Usage, Weather, decide,
};
use crate::domain::{CardStatus, Money};
use crate::error::AppError;
use crate::model::realtime::Event;
use crate::model::rules::DecisionTrace;
use crate::service::{catalog, with_retries};
use crate::state::AppState;
use crate::work::Consumer;

/// The consumer of the `triggers` queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct Decider;

impl Consumer for Decider {
    fn queue(&self) -> Queue {
        db::rules::TRIGGERS
    }

    /// In order (one shop's triggers share a partition, so they are decided in the order
    /// they were made). A decision that grants or counts something commits alone, checked
    /// against what it read; the plain ones before it (nothing fired, nothing counted: most
    /// triggers) are recorded together in one transaction first.
    async fn work(
        &self,
        state: &AppState,
        done: &Completion,
        items: &[Claimed],
    ) -> Result<(), AppError> {
        let triggers: Vec<Result<Trigger, AppError>> = items.iter().map(trigger_of).collect();
        // What every trigger of the batch reads, read at once; what one fails to read is read
        // again with its own trigger below, where its failure is its own.
        let mut known = Known::default();
        if let Err(err) = known.learn(state, triggers.iter().flatten(), None).await {
            tracing::debug!(error = %err, "a batch's reads failed; each trigger reads alone");
        }
        let mut plain: Vec<(&Claimed, DecisionWrite)> = Vec::new();
        for (item, trigger) in items.iter().zip(&triggers) {
            let planned = match trigger {
                Ok(trigger) => known
                    .learn(state, [trigger], None)
                    .await
                    .and_then(|()| plan_with(trigger, None, &known)),
                Err(err) => Err(AppError::Internal(err.to_string())),
            };
            match planned {
                Ok((write, outcome)) if write.is_plain() && outcome == db::Outcome::none() => {
                    plain.push((item, write));
                }
                planned => {
                    record_together(state, &done.owner, std::mem::take(&mut plain)).await?;
                    decide_alone(state, &done.owner, item, planned.ok()).await?;
                    // It may have counted a visit, set the weather or granted: what the
                    // shop's later triggers read of the shop and this diner is read again.
                    if let Ok(trigger) = trigger {
                        known.forget(trigger);
                    }
                }
            }
        }
        record_together(state, &done.owner, plain).await
    }
}

/// Records plain decisions in one transaction; if that fails (one was decided already, a
/// lease moved), each is decided again alone, which knows those cases.
async fn record_together(
    state: &AppState,
    owner: &str,
    plain: Vec<(&Claimed, DecisionWrite)>,
) -> Result<(), AppError> {
    if plain.is_empty() {
        return Ok(());
    }
    let items: Vec<Claimed> = plain.iter().map(|(item, _)| (*item).clone()).collect();
    let writes: Vec<DecisionWrite> = plain.into_iter().map(|(_, write)| write).collect();
    match db::rules::record_plain(&state.db, &Completion::of(owner, &items), &writes).await {
        Ok(()) => Ok(()),
        Err(err) => {
            tracing::debug!(error = %err, triggers = items.len(), "plain decisions recorded one by one");
            for item in &items {
                decide_alone(state, owner, item, None).await?;
            }
            Ok(())
        }
    }
}

/// Decides one trigger in its own transaction (from `planned` when it was planned
/// already), again from a fresh read after a conflict.
async fn decide_alone(
    state: &AppState,
    owner: &str,
    item: &Claimed,
    planned: Option<(DecisionWrite, db::Outcome)>,
) -> Result<(), AppError> {
    let one = &Completion::of(owner, std::slice::from_ref(item));
    let mut planned = planned;
    let decided = with_retries(|| {
        let planned = planned.take();
        async move {
            let decided = decide_item(state, one, item, planned).await;
            if matches!(&decided, Err(AppError::Database(err)) if err.is_retryable()) {
                // Perhaps decided from a campaign changed since it was cached.
                state.campaigns.empty();
            }
            decided
        }
    });
    match decided.await {
        // Completed before (a retried batch) or taken over by another worker.
        Err(AppError::Database(err)) if err.rejection() == Some(&db::Rejection::LeaseLost) => {
            Ok(())
        }
        decided => decided,
    }
}

/// A queued trigger as its producer wrote it.
fn trigger_of(item: &Claimed) -> Result<Trigger, AppError> {
    serde_json::from_value(item.payload.clone())
        .map_err(|e| AppError::Internal(format!("trigger {} does not read: {e}", item.id)))
}

/// A queued trigger read and planned.
async fn plan_item(
    state: &AppState,
    item: &Claimed,
) -> Result<(DecisionWrite, db::Outcome), AppError> {
    plan(state, &trigger_of(item)?, None).await
}

/// Decides every trigger waiting now (tests, and start-up after the demo data).
pub async fn decide_all(state: &AppState) {
    let owner = format!("start-up-{}", uuid::Uuid::new_v4().simple());
    crate::work::drain_all(state, &Decider, &owner).await;
}

/// A campaign loaded for deciding: its spec and the rule the decision reads.
struct Loaded {
    spec: CampaignSpec,
    rule: Rule,
}

async fn decide_item(
    state: &AppState,
    done: &Completion,
    item: &Claimed,
    planned: Option<(DecisionWrite, db::Outcome)>,
) -> Result<(), AppError> {
    let started = std::time::Instant::now();
    let (write, outcome) = match planned {
        Some(planned) => planned,
        None => plan_item(state, item).await?,
    };
    let planned = started.elapsed();
    let recorded = db::rules::record_decision(&state.db, done, &write, &outcome).await;
    tracing::debug!(
        trigger = %write.trigger_id,
        waited_ms = (Utc::now() - item.at).num_milliseconds(),
        plan_us = planned.as_micros(),
        write_us = (started.elapsed() - planned).as_micros(),
        "trigger decided"
    );
    match recorded {
        Err(err) if err.is_duplicate() => {
            // Delivered twice: the first delivery's decision stands.
            if db::rules::decision(&state.db, &write.merchant, &write.trigger_id)
                .await?
                .is_some()
            {
                tracing::info!(trigger = %write.trigger_id, "trigger already decided");
                db::queue::complete(&state.db, done).await?;
                return Ok(());
            }
            Err(AppError::Database(err))
        }
        recorded => Ok(recorded?),
    }
}

/// Reads what the decision needs, decides, and prepares everything its transaction writes;
/// `candidate` (a dry run) is decided beside the active campaigns, whatever its status.
pub(super) async fn plan(
    state: &AppState,
    trigger: &Trigger,
    candidate: Option<(&db::rules::CampaignRow, &CampaignSpec)>,
) -> Result<(DecisionWrite, db::Outcome), AppError> {
    let mut known = Known::default();
    known
        .learn(
            state,
            [trigger],
            candidate.map(|(row, _)| row.code.as_str()),
        )
        .await?;
    plan_with(trigger, candidate, &known)
}

/// What a decision reads of its shop.
struct ShopKnown {
    shop: std::sync::Arc<crate::service::shops::Shop>,
    active: super::cache::Active,
    /// The active campaigns read once for the batch (each trigger keeps those valid then).
    loaded: Vec<Loaded>,
    catalog: Catalog,
    /// As the last weather trigger set it.
    weather: Option<Weather>,
}

impl ShopKnown {
    /// Whether deciding a trigger of `kind` needs its diner: a visit is counted, or an
    /// active campaign listens to it. Most triggers (a card redeemed where no campaign
    /// listens) need nothing read.
    fn listens(&self, kind: TriggerType) -> bool {
        listens(&self.loaded, kind)
    }
}

fn listens(loaded: &[Loaded], kind: TriggerType) -> bool {
    kind.is_visit() || loaded.iter().any(|c| c.spec.triggers.contains(&kind))
}

/// What the decisions of a batch read ([`db::rules::reads`]): each shop's, and each diner's
/// at a shop on a shop-local day, read once for every trigger that needs it.
#[derive(Default)]
struct Known {
    shops: BTreeMap<String, ShopKnown>,
    diners: BTreeMap<(String, String, String), db::rules::DinerRead>,
}

impl Known {
    /// Reads what `triggers` need and is not known yet, in one statement (the shop and its
    /// campaigns come from memory when kept); `extra` is a campaign whose usage is read
    /// beside the active ones' (a dry run's).
    async fn learn<'t>(
        &mut self,
        state: &AppState,
        triggers: impl IntoIterator<Item = &'t Trigger>,
        extra: Option<&str>,
    ) -> Result<(), AppError> {
        let triggers: Vec<&Trigger> = triggers.into_iter().collect();
        let mut merchants: Vec<&str> = triggers
            .iter()
            .map(|t| t.merchant_id.as_str())
            .filter(|m| !self.shops.contains_key(*m))
            .collect();
        merchants.sort_unstable();
        merchants.dedup();
        let kept = futures::future::try_join_all(merchants.iter().map(|merchant| async move {
            tokio::try_join!(
                crate::service::shops::shop(state, merchant),
                super::cache::active(state, merchant),
                catalog::kept(state, merchant),
            )
        }))
        .await?;
        // The fresh shops' campaigns, parsed once for the batch.
        let loaded: Vec<Vec<Loaded>> = kept
            .iter()
            .map(|(_, active, kept)| load_active(active, &cost_basis(kept)))
            .collect();
        let mut asks: Vec<db::rules::DinerAsk> = Vec::new();
        for trigger in &triggers {
            let merchant = trigger.merchant_id.as_str();
            let fresh = merchants.iter().position(|m| *m == merchant);
            let (zone, active, listening) = match (
                self.shops.get(merchant),
                fresh.and_then(|i| Some((kept.get(i)?, loaded.get(i)?))),
            ) {
                (Some(known), _) => (known.shop.zone, &known.active, known.listens(trigger.kind)),
                (None, Some(((shop, active, _), loaded))) => {
                    (shop.zone, active, listens(loaded, trigger.kind))
                }
                (None, None) => continue,
            };
            let Some(uid) = trigger.uid.as_deref() else {
                continue;
            };
            // Nothing to decide about the diner: nothing of theirs is read.
            if !listening && extra.is_none() {
                continue;
            }
            let day = trigger
                .occurred_at
                .with_timezone(&zone)
                .date_naive()
                .to_string();
            let asked = |ask: &db::rules::DinerAsk| {
                (ask.merchant.as_str(), ask.uid.as_str(), ask.day.as_str()) == (merchant, uid, &day)
            };
            if self
                .diners
                .contains_key(&(merchant.to_owned(), uid.to_owned(), day.clone()))
                || asks.iter().any(asked)
            {
                continue;
            }
            let mut codes: Vec<String> = active.iter().map(|row| row.code.clone()).collect();
            codes.extend(extra.map(str::to_owned));
            asks.push(db::rules::DinerAsk {
                merchant: merchant.to_owned(),
                uid: uid.to_owned(),
                codes,
                day,
            });
        }
        let shops: Vec<String> = merchants.iter().map(|m| (*m).to_owned()).collect();
        let reads = db::rules::reads(&state.db, &shops, &asks).await?;
        for (((merchant, (shop, active, kept)), loaded), read) in
            merchants.iter().zip(kept).zip(loaded).zip(reads.shops)
        {
            let weather = read.weather.and_then(super::weather_named);
            let catalog = catalog::with_stocks(&kept, read.stocks);
            self.shops.insert(
                (*merchant).to_owned(),
                ShopKnown {
                    loaded,
                    shop,
                    active,
                    catalog,
                    weather,
                },
            );
        }
        for (ask, read) in asks.into_iter().zip(reads.diners) {
            self.diners.insert((ask.merchant, ask.uid, ask.day), read);
        }
        Ok(())
    }

    /// Forgets what `trigger`'s decision may have changed: its shop's weather and stocks,
    /// and its diner there.
    fn forget(&mut self, trigger: &Trigger) {
        self.shops.remove(&trigger.merchant_id);
        if let Some(uid) = trigger.uid.as_deref() {
            self.diners
                .retain(|(merchant, diner, _), _| *merchant != trigger.merchant_id || diner != uid);
        }
    }
}

/// Decides `trigger` from what is `known` ([`Known::learn`] read it), and prepares
/// everything its transaction writes.
fn plan_with(
    trigger: &Trigger,
    candidate: Option<(&db::rules::CampaignRow, &CampaignSpec)>,
    known: &Known,
) -> Result<(DecisionWrite, db::Outcome), AppError> {
    let merchant = trigger.merchant_id.as_str();
    let ShopKnown {
        shop,
        loaded,
        catalog,
        weather,
        ..
    } = known
        .shops
        .get(merchant)
        .ok_or_else(|| AppError::Internal(format!("shop {merchant} was not read")))?;
    let local = trigger.occurred_at.with_timezone(&shop.zone);
    let day = local.date_naive();
    let day_text = day.to_string();
    let weather = trigger.context.weather.or(*weather);
    let listening = candidate.is_some() || listens(loaded, trigger.kind);
    let diner = match trigger.uid.as_deref().filter(|_| listening) {
        Some(uid) => Some(
            known
                .diners
                .get(&(merchant.to_owned(), uid.to_owned(), day_text.clone()))
                .ok_or_else(|| AppError::Internal(format!("diner {uid} was not read")))?,
        ),
        None => None,
    };
    let mut write = decision_of(trigger, &day_text)?;
    let mut trace = trace_of(trigger);
    let (Some(uid), Some(read)) = (trigger.uid.as_deref(), diner) else {
        trace.note = Some(if trigger.uid.is_some() {
            unheard(trigger.kind)?
        } else {
            "about the shop, not a diner: nobody to reward".into()
        });
        write.trace = to_json(&trace)?;
        return Ok((write, db::Outcome::none()));
    };
    if !read.facts.known {
        trace.note = Some("no such diner".into());
        write.trace = to_json(&trace)?;
        return Ok((write, db::Outcome::none()));
    }
    // The visit this trigger makes, counted once a shop-local day.
    let seen_visits = visits(&read.facts.visits);
    let visits_now = if trigger.kind.is_visit() {
        let next = seen_visits.after_visit(day);
        if next != seen_visits {
            write.visit_seen = Some(read.facts.visits.count);
            write.visit_next = Some(visit_row(&next));
        }
        next
    } else {
        seen_visits
    };
    let candidate = candidate.map(|(row, spec)| Loaded {
        rule: rule_of(row, spec, &cost_basis(catalog)),
        spec: spec.clone(),
    });
    let campaigns: Vec<&Loaded> = loaded
        .iter()
        .filter(|c| c.spec.is_valid_at(trigger.occurred_at))
        .filter(|c| {
            candidate
                .as_ref()
                .is_none_or(|new| new.rule.id != c.rule.id)
        })
        .chain(candidate.as_ref())
        .collect();
    let facts = facts(
        trigger,
        &read.facts,
        &visits_now,
        weather,
        local,
        Held {
            wallet: read.wallet.unwrap_or_default(),
            holdings: db::assets::Holding::by_fragment(read.holdings.clone()),
            cards: read.cards.clone(),
        },
    );
    let usage: BTreeMap<&str, &UsageRow> = read
        .usage
        .iter()
        .map(|row| (row.code.as_str(), row))
        .collect();
    let rules = RuleSet::new(campaigns.iter().map(|c| c.rule.clone()).collect());
    let usage_of = |rule: &Rule| {
        usage_for(
            rule,
            usage.get(rule.id.as_str()).copied(),
            catalog,
            &campaigns,
            day,
        )
    };
    let mut decision = decide(trigger.kind, uid, &facts, &rules, usage_of);
    let nickname = read.facts.nickname.clone().unwrap_or_else(|| "朋友".into());
    let mut events = Vec::new();
    for code in decision.fired.clone() {
        let Some(campaign) = campaigns.iter().find(|c| c.rule.id == code) else {
            continue;
        };
        let seen = usage.get(code.as_str()).and_then(|u| u.diner.as_ref());
        match grant(
            campaign,
            catalog,
            trigger,
            uid,
            day,
            seen,
            &Words {
                nickname: &nickname,
                shop: &shop.name,
                weather,
            },
        ) {
            Ok((grant, fact)) => {
                events.push(Event::from(&fact).publication()?);
                // The day's figures as this transaction leaves them (a concurrent grant of the
                // same campaign conflicts on its day's record, so the read is current).
                let today = usage.get(code.as_str());
                let cost = Money::round_half_up(grant.cost);
                let used = today.map_or(Money::ZERO, |r| Money::round_half_up(r.used_today));
                events.push(
                    Event::RewardGiven {
                        merchant_id: merchant.to_owned(),
                        uid: uid.to_owned(),
                        txn_id: grant.entry.txn_id.clone(),
                        campaign: grant.campaign.clone(),
                        cost,
                        used_today: used.checked_add(cost).unwrap_or(used),
                        granted_today: today
                            .map_or(0, |r| u32::try_from(r.granted_today).unwrap_or(u32::MAX))
                            .saturating_add(1),
                    }
                    .publication()?,
                );
                write.grants.push(grant);
            }
            Err(reason) => {
                tracing::warn!(campaign = %code, version = campaign.rule.version, %reason,
                    "a story was refused and not sent");
                refuse(&mut decision, &code, reason);
            }
        }
    }
    write.fired = decision.fired.clone();
    write.held_out = decision
        .considered
        .iter()
        .filter(|c| c.outcome == Decided::HeldOut)
        .map(|c| c.campaign.clone())
        .collect();
    trace.fired = write.fired.clone();
    trace.held_out = write.held_out.clone();
    trace.considered = decision.considered;
    trace.facts = Some(facts);
    write.trace = to_json(&trace)?;
    Ok((
        write,
        db::Outcome {
            events,
            ..db::Outcome::none()
        },
    ))
}

/// The decision of `trigger` on the shop-local `day` before anything is decided: nothing
/// fired, no visit counted, no trace yet; the weather a weather trigger sets.
fn decision_of(trigger: &Trigger, day: &str) -> Result<DecisionWrite, AppError> {
    Ok(DecisionWrite {
        merchant: trigger.merchant_id.clone(),
        trigger_id: trigger.id.clone(),
        uid: trigger.uid.clone(),
        trigger: serde_json::to_value(trigger)
            .map_err(|e| AppError::Internal(format!("cannot serialise a trigger: {e}")))?,
        day: day.to_owned(),
        fired: Vec::new(),
        held_out: Vec::new(),
        trace: serde_json::Value::Null,
        weather: match (trigger.kind, trigger.context.weather) {
            (TriggerType::WeatherChange, Some(now)) => Some(now.as_str().to_owned()),
            _ => None,
        },
        visit_seen: None,
        visit_next: None,
        grants: Vec::new(),
    })
}

/// The trace of `trigger`'s decision before anything is considered.
fn trace_of(trigger: &Trigger) -> DecisionTrace {
    DecisionTrace {
        trigger_id: trigger.id.clone(),
        uid: trigger.uid.clone(),
        fired: Vec::new(),
        held_out: Vec::new(),
        considered: Vec::new(),
        note: None,
        facts: None,
    }
}

/// Why a diner's trigger of `kind` was decided without reading them.
fn unheard(kind: TriggerType) -> Result<String, AppError> {
    Ok(format!("no active campaign listens to {}", to_json(&kind)?))
}

/// The triggers of a change that its shop may answer, as queue items for the decider. A
/// trigger that no active campaign of its shop listens to and that counts no visit (every
/// redemption at a shop with no campaign for redemptions) is not written at all: nothing
/// would be decided from it, and the change's own ledger entry records what happened. The
/// campaigns come from memory when kept; one stored that does not read counts as listening.
pub async fn heard(
    state: &AppState,
    triggers: Vec<Trigger>,
) -> Result<Vec<db::rules::NewTrigger>, AppError> {
    let mut queued = Vec::new();
    for trigger in triggers {
        if listened_to(state, &trigger).await? {
            queued.push(super::publication(&trigger)?);
        }
    }
    Ok(queued)
}

/// Whether deciding `trigger` could do anything: count a visit, set the weather, or
/// answer a campaign that listens to its kind.
async fn listened_to(state: &AppState, trigger: &Trigger) -> Result<bool, AppError> {
    if trigger.kind.is_visit() || trigger.uid.is_none() || trigger.context.weather.is_some() {
        return Ok(true);
    }
    let active = super::cache::active(state, &trigger.merchant_id).await?;
    let kind = to_json(&trigger.kind)?;
    Ok(active.iter().any(|row| {
        row.spec
            .get("triggers")
            .and_then(serde_json::Value::as_array)
            .is_none_or(|kinds| kinds.contains(&kind))
    }))
}

/// The shop's active campaigns, each with what one reward costs. A stored campaign that no
/// longer reads is left out and logged (it cannot fire).
fn load_active(rows: &[CampaignRow], basis: &CostBasis) -> Vec<Loaded> {
    rows.iter()
        .filter_map(|row| match spec_of(row) {
            Ok(spec) => Some((row, spec)),
            Err(err) => {
                tracing::error!(campaign = %row.code, error = %err, "an active campaign does not read");
                None
            }
        })
        .map(|(row, spec)| Loaded {
            rule: rule_of(row, &spec, basis),
            spec,
        })
        .collect()
}

/// What the diner holds at the shop, as read for the decision.
struct Held {
    wallet: db::wallet::WalletRow,
    holdings: BTreeMap<String, i64>,
    cards: Vec<db::card::CardRow>,
}

/// What the conditions are evaluated against: the trigger's context, the shop's clock and
/// weather, and the diner as the shop knows them.
fn facts(
    trigger: &Trigger,
    known: &db::rules::DinerFacts,
    visits: &Visits,
    weather: Option<Weather>,
    local: DateTime<chrono_tz::Tz>,
    held: Held,
) -> Facts {
    let day = local.date_naive();
    let rules = TagRules {
        regular_visits: u32::try_from(known.regular_visits).unwrap_or(5),
        lapsed_days: u32::try_from(known.lapsed_days).unwrap_or(30),
    };
    let mut tags: BTreeSet<Tag> = known.tags.iter().filter_map(|t| t.parse().ok()).collect();
    tags.extend(rules.tags(visits, day));
    let Held {
        wallet,
        holdings,
        cards,
    } = held;
    let balance = Money::round_half_up(wallet.principal + wallet.bonus);
    let fragments = holdings
        .into_iter()
        .filter_map(|(code, count)| Some((code.parse().ok()?, u32::try_from(count).ok()?)))
        .collect();
    let card_types = cards
        .into_iter()
        .filter(|card| card.status == CardStatus::Active.as_str() && card.expiry > local)
        .filter_map(|card| card.card_type.parse().ok())
        .collect();
    Facts {
        local_time: local.time(),
        weekday: Some(local.weekday()),
        weather,
        tags,
        visits: visits.count,
        days_since_last_visit: visits.days_since_previous(day),
        balance,
        payment: trigger.context.payment,
        fragments,
        card_types,
        steps: trigger.context.steps,
    }
}

/// A campaign's usage for the decision, on the shop's calendar.
fn usage_for(
    rule: &Rule,
    row: Option<&UsageRow>,
    catalog: &Catalog,
    campaigns: &[&Loaded],
    day: NaiveDate,
) -> Usage {
    let diner = row.and_then(|r| r.diner.as_ref()).map(diner_count);
    let (today, week, ever) = diner.unwrap_or_default().as_of(day);
    let card = campaigns
        .iter()
        .find(|c| c.rule.id == rule.id)
        .and_then(|c| c.spec.action.grants.card.as_ref());
    let cards_left_today = card
        .and_then(|code| catalog.stocks.iter().find(|s| s.card_type == code.as_str()))
        .and_then(|s| catalog::stock(&s.stock).ok())
        .map_or(0, |stock| stock.available(day));
    Usage {
        budget_used_today: row.map_or(Money::ZERO, |r| Money::round_half_up(r.used_today)),
        total: row.map_or(0, |r| u32::try_from(r.total).unwrap_or(u32::MAX)),
        diner_today: today,
        diner_this_week: week,
        diner_ever: ever,
        cards_left_today,
    }
}

/// What a story's placeholders are filled with.
pub(crate) struct Words<'a> {
    pub nickname: &'a str,
    pub shop: &'a str,
    pub weather: Option<Weather>,
}

/// What one fired campaign writes, and its fact (the STORY frame); the reason if its story
/// cannot be sent (then nothing of it is written).
fn grant(
    campaign: &Loaded,
    catalog: &Catalog,
    trigger: &Trigger,
    uid: &str,
    day: NaiveDate,
    seen: Option<&DinerCountRow>,
    words: &Words<'_>,
) -> Result<(GrantWrite, DomainEvent), String> {
    let merchant = trigger.merchant_id.as_str();
    let code = campaign.rule.id.as_str();
    let grants = &campaign.spec.action.grants;
    let story = story_for(&campaign.spec, catalog, words).map_err(|e| e.to_string())?;
    let story_json = serde_json::to_value(&story).map_err(|e| e.to_string())?;
    schema::check_story(&story_json).map_err(|errors| errors.join("; "))?;
    let card = match &grants.card {
        Some(card_type) => Some(card_grant(
            catalog,
            card_type.as_str(),
            day,
            trigger.occurred_at,
        )?),
        None => None,
    };
    let fragments: BTreeMap<String, i64> = grants
        .fragments
        .iter()
        .map(|(code, count)| (code.to_string(), i64::from(count.get())))
        .collect();
    let silver = i64::from(grants.silver);
    let entry = NewLedgerEntry::new(
        LedgerType::Reward,
        campaign.rule.cost.amount(),
        merchant,
        uid,
        AssetsChange {
            silver: (silver > 0).then_some(silver),
            fragments: (!fragments.is_empty()).then(|| fragments.clone()),
            cards: card.as_ref().map(|c| {
                BTreeMap::from([(c.uuid.clone(), CardStatus::Active.as_str().to_owned())])
            }),
            ..AssetsChange::default()
        },
    )
    .referencing(format!("campaign:{code}@{}", campaign.rule.version));
    let story_id = uuid::Uuid::now_v7().to_string();
    let seen_count = seen.map(diner_count).unwrap_or_default();
    let fact = DomainEvent::Rewarded {
        party: Party::new(merchant, uid, &entry.txn_id),
        campaign: code.to_owned(),
        story_id: story_id.clone(),
        story,
    };
    Ok((
        GrantWrite {
            campaign: code.to_owned(),
            version: i64::from(campaign.rule.version),
            cost: campaign.rule.cost.amount(),
            cap: campaign.rule.daily_budget_cap.amount(),
            total_cap: campaign.rule.limits.total.map(i64::from),
            diner_seen_ever: i64::from(seen_count.ever),
            diner_next: diner_count_row(&seen_count.after_one(day)),
            silver,
            fragments,
            card,
            story_id,
            story: story_json,
            entry,
        },
        fact,
    ))
}

/// The card a reward issues: one out of today's stock, worth what its type offers now.
fn card_grant(
    catalog: &Catalog,
    card_type: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<CardGrant, String> {
    let kind = catalog
        .card_types
        .iter()
        .find(|kind| kind.code == card_type && kind.active)
        .ok_or_else(|| format!("card type {card_type} is no longer on offer"))?;
    let seen = catalog
        .stocks
        .iter()
        .find(|s| s.card_type == card_type)
        .map(|s| s.stock.clone())
        .ok_or_else(|| format!("card type {card_type} has no stock"))?;
    let next = catalog::stock(&seen)
        .map_err(|e| e.to_string())?
        .take_one(day)
        .map_err(|e| e.to_string())?;
    Ok(CardGrant {
        card_type: card_type.to_owned(),
        uuid: uuid::Uuid::new_v4().to_string(),
        expiry: now + Duration::days(kind.validity_days),
        value: CardValue::from(kind),
        stock_seen: seen,
        stock_next: catalog::stock_row(&next),
    })
}

/// A fired campaign whose story cannot be sent gives nothing: its outcome says why.
fn refuse(decision: &mut Decision, code: &str, reason: String) {
    decision.fired.retain(|fired| fired != code);
    if let Some(entry) = decision.considered.iter_mut().find(|c| c.campaign == code) {
        entry.outcome = Decided::StoryRefused { reason };
    }
}

fn visits(row: &VisitRow) -> Visits {
    Visits {
        count: u32::try_from(row.count).unwrap_or_default(),
        last_day: row.last_day.as_deref().and_then(|d| d.parse().ok()),
        previous_day: row.previous_day.as_deref().and_then(|d| d.parse().ok()),
    }
}

fn visit_row(visits: &Visits) -> VisitRow {
    VisitRow {
        count: i64::from(visits.count),
        last_day: visits.last_day.map(|d| d.to_string()),
        previous_day: visits.previous_day.map(|d| d.to_string()),
    }
}

fn diner_count(row: &DinerCountRow) -> DinerCount {
    DinerCount {
        day: row.day.parse().ok(),
        today: u32::try_from(row.today).unwrap_or(u32::MAX),
        week: row.week.parse().ok(),
        this_week: u32::try_from(row.this_week).unwrap_or(u32::MAX),
        ever: u32::try_from(row.ever).unwrap_or(u32::MAX),
    }
}

fn diner_count_row(count: &DinerCount) -> DinerCountRow {
    let day_text = |day: Option<NaiveDate>| day.map(|d| d.to_string()).unwrap_or_default();
    DinerCountRow {
        day: day_text(count.day),
        today: i64::from(count.today),
        week: day_text(count.week.or(count.day.map(week_of))),
        this_week: i64::from(count.this_week),
        ever: i64::from(count.ever),
    }
}

/// The story `spec` tells a diner, in `words`, with its rewards named from `catalog`.
pub(crate) fn story_for(
    spec: &CampaignSpec,
    catalog: &Catalog,
    words: &Words<'_>,
) -> Result<crate::domain::rules::Story, crate::domain::rules::story::StoryError> {
    let rewards = rewards_of(&spec.action.grants, catalog);
    let said = rewards_in_words(&rewards);
    let values: Values<'_> = BTreeMap::from([
        ("nickname", words.nickname),
        ("shop", words.shop),
        ("weather", words.weather.map_or("", weather_words)),
        ("rewards", said.as_str()),
    ]);
    spec.action
        .story
        .fill(&values, rewards, art_of(&spec.action.story, catalog))
}

/// Where the picture a story template names is served, if the shop's library has it.
pub(crate) fn art_of(story: &StoryTemplate, catalog: &Catalog) -> Option<String> {
    let asset = story.art.as_ref()?;
    let hash = catalog.picture(asset.as_str())?;
    Some(crate::domain::artwork::Variant::Picture.url(hash))
}

/// The weather as a story says it.
fn weather_words(weather: Weather) -> &'static str {
    match weather {
        Weather::Sunny => "晴天",
        Weather::Cloudy => "阴天",
        Weather::Rainy => "雨天",
        Weather::Snowy => "雪天",
        Weather::Windy => "大风天",
        Weather::Hot => "炎热天",
        Weather::Cold => "寒冷天",
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(value)
        .map_err(|e| AppError::Internal(format!("cannot serialise a decision: {e}")))
}
