//! Replaying recorded triggers against a set of campaigns without granting anything: the
//! budget kept day by day and the limits counted in memory, from the facts each trigger was
//! decided with. The same records give the same answer on every run (a backtest).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::compiled::RuleSet;
use super::condition::Facts;
use super::decide::{Considered, Outcome as Decided, Rule, TriggerType, Usage, decide};
use super::usage::DinerCount;
use crate::domain::Money;

/// One recorded trigger as the backtest replays it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub trigger_id: String,
    pub kind: TriggerType,
    pub uid: String,
    /// The shop-local day and the moment it happened.
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub facts: Facts,
}

/// What one campaign would have done over the replay.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Replayed {
    pub campaign: String,
    /// Rewards it would have given.
    pub rewards: u32,
    /// Distinct diners it would have rewarded.
    pub reach: u32,
    pub cost: Money,
    /// Diners it would have held out (they get nothing, to measure lift).
    pub held_out: u32,
    /// Each day its budget ran out, and the moment the first reward was refused for it.
    pub budget_ran_out: Vec<DateTime<Utc>>,
}

/// The replay: per campaign, and the first traces (to read why).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Backtest {
    pub triggers: u32,
    pub campaigns: Vec<Replayed>,
    pub traces: Vec<Trace>,
}

/// How one replayed trigger was decided.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub trigger_id: String,
    pub considered: Vec<Considered>,
}

/// Replays `records` (oldest first) against `rules`, keeping at most `keep_traces` traces
/// (those in which `focus` was considered first).
pub fn replay(records: &[Recorded], set: &RuleSet, focus: &str, keep_traces: usize) -> Backtest {
    let rules = set.rules();
    let mut spent: BTreeMap<(&str, NaiveDate), Money> = BTreeMap::new();
    let mut totals: BTreeMap<&str, u32> = BTreeMap::new();
    let mut counts: BTreeMap<(&str, &str), DinerCount> = BTreeMap::new();
    let mut reached: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut out: BTreeMap<&str, Replayed> = rules
        .iter()
        .map(|rule| {
            (
                rule.id.as_str(),
                Replayed {
                    campaign: rule.id.clone(),
                    ..Replayed::default()
                },
            )
        })
        .collect();
    let mut ran_out: BTreeSet<(&str, NaiveDate)> = BTreeSet::new();
    let mut traces = Vec::new();
    for record in records {
        let usage_of = |rule: &Rule| {
            let (today, week, ever) = counts
                .get(&(rule.id.as_str(), record.uid.as_str()))
                .map_or((0, 0, 0), |count| count.as_of(record.day));
            Usage {
                budget_used_today: spent
                    .get(&(rule.id.as_str(), record.day))
                    .copied()
                    .unwrap_or(Money::ZERO),
                total: totals.get(rule.id.as_str()).copied().unwrap_or_default(),
                diner_today: today,
                diner_this_week: week,
                diner_ever: ever,
                // Stock is not replayed: a card is assumed to be left.
                cards_left_today: u32::MAX,
            }
        };
        let decision = decide(record.kind, &record.uid, &record.facts, set, usage_of);
        for considered in &decision.considered {
            let Some(rule) = rules.iter().find(|r| r.id == considered.campaign) else {
                continue;
            };
            let id = rule.id.as_str();
            let Some(line) = out.get_mut(id) else {
                continue;
            };
            match &considered.outcome {
                Decided::Fired => {
                    line.rewards += 1;
                    line.cost = line.cost.checked_add(rule.cost).unwrap_or(Money::MAX);
                    let day_spent = spent.entry((id, record.day)).or_insert(Money::ZERO);
                    *day_spent = day_spent.checked_add(rule.cost).unwrap_or(Money::MAX);
                    *totals.entry(id).or_default() += 1;
                    let count = counts.entry((id, record.uid.as_str())).or_default();
                    *count = count.after_one(record.day);
                    reached.entry(id).or_default().insert(record.uid.as_str());
                }
                Decided::HeldOut => line.held_out += 1,
                Decided::OverBudget { .. } if ran_out.insert((id, record.day)) => {
                    line.budget_ran_out.push(record.at);
                }
                _ => {}
            }
        }
        let focused = decision
            .considered
            .iter()
            .any(|c| c.campaign == focus && c.outcome != Decided::NotTriggered);
        if focused && traces.len() < keep_traces {
            traces.push(Trace {
                trigger_id: record.trigger_id.clone(),
                considered: decision.considered,
            });
        }
    }
    for (id, line) in &mut out {
        line.reach = u32::try_from(reached.get(id).map_or(0, BTreeSet::len)).unwrap_or(u32::MAX);
    }
    Backtest {
        triggers: u32::try_from(records.len()).unwrap_or(u32::MAX),
        campaigns: out.into_values().collect(),
        traces,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::condition::Condition;
    use crate::domain::rules::decide::Limits;
    use crate::domain::rules::weight::Affinity;

    fn rule(id: &str, cost: &str, cap: &str) -> Rule {
        Rule {
            id: id.into(),
            version: 1,
            triggers: [TriggerType::UserEnterShop].into(),
            condition: Condition::All { of: vec![] },
            priority: 10,
            affinity: Affinity::default(),
            exclusive: false,
            cost: cost.parse().expect("cost"),
            daily_budget_cap: cap.parse().expect("cap"),
            limits: Limits {
                per_diner_per_day: Some(1),
                ..Limits::default()
            },
            holdout_percent: 0,
            gives_card: false,
        }
    }

    fn week_of_entries() -> Vec<Recorded> {
        let start: DateTime<Utc> = "2026-11-23T02:00:00Z".parse().expect("time");
        (0..7_i64)
            .flat_map(|day| (0..10_i64).map(move |n| (day, n)))
            .map(|(day, n)| {
                let at = start + chrono::Duration::days(day) + chrono::Duration::minutes(n * 30);
                Recorded {
                    trigger_id: format!("t{day}-{n}"),
                    kind: TriggerType::UserEnterShop,
                    // Ten diners, each every day; diner 0 twice a day.
                    uid: format!("d{}", if n == 9 { 0 } else { n }),
                    day: at.date_naive(),
                    at,
                    facts: Facts::default(),
                }
            })
            .collect()
    }

    #[test]
    fn a_week_replays_the_same_every_time_inside_budget_and_limits() {
        let records = week_of_entries();
        let rules = RuleSet::new(vec![rule("CHEAP", "2.00", "10.00")]);
        let first = replay(&records, &rules, "CHEAP", 5);
        assert_eq!(first, replay(&records, &rules, "CHEAP", 5));
        let cheap = first.campaigns.first().expect("replayed");
        // Five rewards a day (10.00 / 2.00) for seven days, to five distinct diners.
        assert_eq!(cheap.rewards, 35);
        assert_eq!(cheap.cost.to_string(), "70.00");
        assert_eq!(cheap.reach, 5);
        // Each day the sixth entry (at 04:30) found the budget spent.
        assert_eq!(cheap.budget_ran_out.len(), 7);
        let first_day: DateTime<Utc> = "2026-11-23T04:30:00Z".parse().expect("time");
        assert_eq!(cheap.budget_ran_out.first(), Some(&first_day));
        assert_eq!(first.traces.len(), 5);
        assert_eq!(first.triggers, 70);
    }
}
