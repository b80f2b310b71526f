//! The decision for one trigger: which of the merchant's active campaigns fire, and why each
//! of the others did not. Pure: the caller reads the campaigns and their usage (budget used
//! today, rewards given) in the transaction that then writes the grants, and the
//! transaction's guards refuse the write if the usage changed meanwhile.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::compiled::RuleSet;
use super::condition::{Checked, Condition, Facts};
use super::weight::{Affinity, weight};
use crate::domain::Money;

/// What happened that a campaign may answer.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerType {
    UserEnterShop,
    WeatherChange,
    PaymentDone,
    CardRedeemed,
    RechargeDone,
    TimeTick,
    StepsSynced,
}

/// How often a campaign may reward: per diner per shop-local day, per week (Monday to
/// Sunday, shop time) and over the campaign's life, and in total; none: no limit.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Limits {
    pub per_diner_per_day: Option<u32>,
    pub per_diner_per_week: Option<u32>,
    pub per_diner: Option<u32>,
    pub total: Option<u32>,
}

/// A campaign as the decision sees it (one version of it).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    pub version: u32,
    pub triggers: BTreeSet<TriggerType>,
    pub condition: Condition,
    /// 1–100.
    pub priority: u32,
    pub affinity: Affinity,
    /// Fired, it suppresses every campaign ranked below it for this trigger.
    pub exclusive: bool,
    /// What one reward costs the shop (from the catalogue's cost bases).
    pub cost: Money,
    pub daily_budget_cap: Money,
    pub limits: Limits,
    /// The share of matching diners kept out, to measure the campaign's lift (0–50).
    pub holdout_percent: u8,
    /// It gives a card, so it needs one left in today's stock.
    pub gives_card: bool,
}

/// A campaign's usage as read for the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Usage {
    pub budget_used_today: Money,
    pub total: u32,
    pub diner_today: u32,
    pub diner_this_week: u32,
    pub diner_ever: u32,
    /// Cards left in today's stock of the card type it gives.
    pub cards_left_today: u32,
}

/// Which limit stopped a campaign.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Limit {
    PerDinerPerDay,
    PerDinerPerWeek,
    PerDiner,
    Total,
}

/// What became of one campaign for this trigger.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// It rewards the diner.
    Fired,
    /// It matched, but the diner is in its holdout: nothing is given, and nothing below it
    /// is given either (the held-out diner must look like an untreated one).
    HeldOut,
    /// It does not answer this trigger.
    NotTriggered,
    /// Its condition did not hold (the trace says which check).
    ConditionFailed,
    /// Today's budget cannot pay for one more.
    OverBudget {
        used: Money,
        cap: Money,
        cost: Money,
    },
    /// One of its limits is reached.
    LimitReached { limit: Limit, reached: u32 },
    /// The card it gives has no stock left today.
    OutOfStock,
    /// Its story could not be filled in or broke the Story schema: nothing was sent.
    StoryRefused { reason: String },
    /// A campaign ranked above it fired and is exclusive (or held the diner out).
    Suppressed { by: String },
}

/// One campaign considered: its version, weight, outcome and every check's result.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Considered {
    pub campaign: String,
    pub version: u32,
    pub weight: u64,
    pub outcome: Outcome,
    pub checks: Vec<Checked>,
}

/// The decision: the campaigns that fire, best first, and the trace of all of them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub fired: Vec<String>,
    pub considered: Vec<Considered>,
}

/// Whether `uid` is in `campaign`'s holdout: a sticky hash of the two, so the same diner is
/// held out of the same campaign on every trigger, and about `percent` of diners are.
pub fn held_out(campaign: &str, uid: &str, percent: u8) -> bool {
    if percent == 0 {
        return false;
    }
    let digest = Sha256::new()
        .chain_update(campaign.as_bytes())
        .chain_update([0])
        .chain_update(uid.as_bytes())
        .finalize();
    let mut head = [0_u8; 2];
    head.copy_from_slice(digest.get(..2).unwrap_or(&[0; 2]));
    u16::from_be_bytes(head) % 100 < u16::from(percent.min(100))
}

/// What became of a campaign that matched, before the trace is written out in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fired,
    HeldOut,
    /// Over budget, out of stock or at a limit.
    Refused(Outcome),
    /// By the campaign at this index of the rules.
    Suppressed(usize),
}

/// A campaign that matched the trigger: its index in the rules, weight and verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    pub rule: usize,
    pub weight: u64,
    pub verdict: Verdict,
}

/// Decides `trigger` for `uid` with `facts` against the active `rules`, whose usage
/// `usage_of` gives: rank the campaigns that answer the trigger and whose condition holds
/// by [`weight`] (ties: higher priority, then id), then go down the ranking: a campaign
/// inside its budget and limits fires, unless the diner is in its holdout (then nothing
/// more is given); an exclusive one that fires ends the list. Only the matching campaigns,
/// best first: conditions stop at the first check that decides them and nothing is
/// allocated per campaign, so deciding stays cheap with hundreds of campaigns — [`decide`]
/// adds the others and every check's result for the trace.
pub fn rank(
    trigger: TriggerType,
    uid: &str,
    facts: &Facts,
    set: &RuleSet,
    usage_of: impl Fn(&Rule) -> Usage,
) -> Vec<Ranked> {
    let answers = set.answer(trigger, facts);
    let mut ranked: Vec<Ranked> = set
        .each(facts, &answers)
        .filter(|entry| entry.answers(trigger) && entry.holds())
        .map(|entry| Ranked {
            rule: entry.index,
            weight: entry.weight(),
            verdict: Verdict::Fired, // provisional: budget, limits and ranking decide below
        })
        .collect();
    let rules = set.rules();
    let rule = |index: usize| rules.get(index);
    ranked.sort_unstable_by(|a, b| {
        let (ra, rb) = (rule(a.rule), rule(b.rule));
        b.weight
            .cmp(&a.weight)
            .then_with(|| rb.map(|r| r.priority).cmp(&ra.map(|r| r.priority)))
            .then_with(|| ra.map(|r| &r.id).cmp(&rb.map(|r| &r.id)))
    });
    let mut stopped_by: Option<usize> = None;
    for entry in &mut ranked {
        let Some(rule) = rule(entry.rule) else {
            continue;
        };
        if let Some(by) = stopped_by {
            entry.verdict = Verdict::Suppressed(by);
            continue;
        }
        if let Some(outcome) = refusal(rule, &usage_of(rule)) {
            entry.verdict = Verdict::Refused(outcome);
            continue;
        }
        if held_out(&rule.id, uid, rule.holdout_percent) {
            entry.verdict = Verdict::HeldOut;
            stopped_by = Some(entry.rule);
            continue;
        }
        if rule.exclusive {
            stopped_by = Some(entry.rule);
        }
    }
    ranked
}

/// [`rank`], with the trace written out as the decision keeps it: the matching campaigns
/// best first, then the others in the shop's order (not answering the trigger, or their
/// condition failing), each with every check's result.
pub fn decide(
    trigger: TriggerType,
    uid: &str,
    facts: &Facts,
    set: &RuleSet,
    usage_of: impl Fn(&Rule) -> Usage,
) -> Decision {
    let ranked = rank(trigger, uid, facts, set, usage_of);
    let rules = set.rules();
    let id = |index: usize| {
        rules
            .get(index)
            .map(|rule| rule.id.clone())
            .unwrap_or_default()
    };
    let fired = ranked
        .iter()
        .filter(|entry| entry.verdict == Verdict::Fired)
        .map(|entry| id(entry.rule))
        .collect();
    let considered_one = |rule: &Rule, weight: u64, outcome: Outcome| Considered {
        campaign: rule.id.clone(),
        version: rule.version,
        weight,
        outcome,
        checks: rule.condition.evaluate(facts).1,
    };
    let matched = ranked.iter().filter_map(|entry| {
        let rule = rules.get(entry.rule)?;
        let outcome = match &entry.verdict {
            Verdict::Fired => Outcome::Fired,
            Verdict::HeldOut => Outcome::HeldOut,
            Verdict::Refused(outcome) => outcome.clone(),
            Verdict::Suppressed(by) => Outcome::Suppressed { by: id(*by) },
        };
        Some(considered_one(rule, entry.weight, outcome))
    });
    let others = rules
        .iter()
        .enumerate()
        .filter(|(index, _)| !ranked.iter().any(|entry| entry.rule == *index))
        .map(|(_, rule)| {
            let outcome = if rule.triggers.contains(&trigger) {
                Outcome::ConditionFailed
            } else {
                Outcome::NotTriggered
            };
            considered_one(rule, weight(rule.priority, &rule.affinity, facts), outcome)
        });
    Decision {
        fired,
        considered: matched.chain(others).collect(),
    }
}

/// Why a matching campaign cannot reward now, if it cannot: its budget first, then its
/// limits, the diner's before the total.
pub fn refusal(rule: &Rule, usage: &Usage) -> Option<Outcome> {
    let after = usage.budget_used_today.checked_add(rule.cost);
    if after.is_none_or(|after| after > rule.daily_budget_cap) {
        return Some(Outcome::OverBudget {
            used: usage.budget_used_today,
            cap: rule.daily_budget_cap,
            cost: rule.cost,
        });
    }
    if rule.gives_card && usage.cards_left_today == 0 {
        return Some(Outcome::OutOfStock);
    }
    let limits = [
        (
            rule.limits.per_diner_per_day,
            usage.diner_today,
            Limit::PerDinerPerDay,
        ),
        (
            rule.limits.per_diner_per_week,
            usage.diner_this_week,
            Limit::PerDinerPerWeek,
        ),
        (rule.limits.per_diner, usage.diner_ever, Limit::PerDiner),
        (rule.limits.total, usage.total, Limit::Total),
    ];
    limits.into_iter().find_map(|(cap, used, limit)| {
        cap.filter(|&cap| used >= cap)
            .map(|reached| Outcome::LimitReached { limit, reached })
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::rules::condition::Weather;

    fn money(text: &str) -> Money {
        text.parse().expect("money")
    }

    fn rule(id: &str, priority: u32, condition: Condition) -> Rule {
        Rule {
            id: id.into(),
            version: 1,
            triggers: [TriggerType::UserEnterShop].into(),
            condition,
            priority,
            affinity: Affinity::default(),
            exclusive: false,
            cost: money("5"),
            daily_budget_cap: money("100"),
            limits: Limits::default(),
            holdout_percent: 0,
            gives_card: false,
        }
    }

    fn rainy() -> Condition {
        Condition::WeatherIn {
            weather: vec![Weather::Rainy],
        }
    }

    fn everyone() -> Condition {
        Condition::All { of: vec![] }
    }

    fn spicy_diner_on_a_rainy_day() -> Facts {
        Facts {
            weather: Some(Weather::Rainy),
            tags: ["spicy".parse().expect("tag")].into(),
            ..Facts::default()
        }
    }

    fn outcomes(decision: &Decision) -> Vec<(&str, &Outcome)> {
        decision
            .considered
            .iter()
            .map(|c| (c.campaign.as_str(), &c.outcome))
            .collect()
    }

    #[test]
    fn the_heavier_campaign_comes_first_and_all_that_may_fire_do() {
        let mut spicy_rain = rule("rainy-spicy", 10, rainy());
        spicy_rain.affinity = Affinity {
            tags: BTreeMap::from([("spicy".parse().expect("tag"), 50)]),
            weather: BTreeMap::new(),
        };
        let plain = rule("plain", 12, everyone());
        let sunny = rule(
            "sunny",
            50,
            Condition::WeatherIn {
                weather: vec![Weather::Sunny],
            },
        );
        let decision = decide(
            TriggerType::UserEnterShop,
            "d1",
            &spicy_diner_on_a_rainy_day(),
            &vec![plain, sunny, spicy_rain].into(),
            |_| Usage::default(),
        );
        // 10 × 150 = 1500 beats 12 × 100 = 1200; sunny (5000) does not match, and is
        // listed after the ranked ones.
        assert_eq!(decision.fired, ["rainy-spicy", "plain"]);
        assert_eq!(
            outcomes(&decision),
            [
                ("rainy-spicy", &Outcome::Fired),
                ("plain", &Outcome::Fired),
                ("sunny", &Outcome::ConditionFailed),
            ]
        );
    }

    #[test]
    fn an_exclusive_campaign_that_fires_suppresses_those_below_it() {
        let mut first = rule("first", 20, everyone());
        first.exclusive = true;
        let decision = decide(
            TriggerType::UserEnterShop,
            "d1",
            &Facts::default(),
            &vec![rule("second", 10, everyone()), first].into(),
            |_| Usage::default(),
        );
        assert_eq!(decision.fired, ["first"]);
        assert_eq!(
            outcomes(&decision)[1],
            ("second", &Outcome::Suppressed { by: "first".into() })
        );
    }

    #[test]
    fn budget_and_limits_pass_the_turn_to_the_next_campaign() {
        let table = [
            (
                Usage {
                    budget_used_today: money("96"),
                    ..Usage::default()
                },
                Outcome::OverBudget {
                    used: money("96"),
                    cap: money("100"),
                    cost: money("5"),
                },
            ),
            (
                Usage {
                    budget_used_today: money("95"),
                    diner_today: 1,
                    ..Usage::default()
                },
                Outcome::LimitReached {
                    limit: Limit::PerDinerPerDay,
                    reached: 1,
                },
            ),
            (
                Usage {
                    diner_this_week: 3,
                    ..Usage::default()
                },
                Outcome::LimitReached {
                    limit: Limit::PerDinerPerWeek,
                    reached: 3,
                },
            ),
            (
                Usage {
                    diner_ever: 5,
                    ..Usage::default()
                },
                Outcome::LimitReached {
                    limit: Limit::PerDiner,
                    reached: 5,
                },
            ),
            (
                Usage {
                    total: 200,
                    ..Usage::default()
                },
                Outcome::LimitReached {
                    limit: Limit::Total,
                    reached: 200,
                },
            ),
        ];
        for (usage, expected) in table {
            let mut capped = rule("capped", 50, everyone());
            capped.limits = Limits {
                per_diner_per_day: Some(1),
                per_diner_per_week: Some(3),
                per_diner: Some(5),
                total: Some(200),
            };
            let decision = decide(
                TriggerType::UserEnterShop,
                "d1",
                &Facts::default(),
                &vec![capped, rule("fallback", 1, everyone())].into(),
                |rule| {
                    if rule.id == "capped" {
                        usage
                    } else {
                        Usage::default()
                    }
                },
            );
            assert_eq!(decision.fired, ["fallback"], "{usage:?}");
            assert_eq!(outcomes(&decision)[0], ("capped", &expected));
        }
        // Exactly at the cap still fits.
        let decision = decide(
            TriggerType::UserEnterShop,
            "d1",
            &Facts::default(),
            &vec![rule("last", 1, everyone())].into(),
            |_| Usage {
                budget_used_today: money("95"),
                ..Usage::default()
            },
        );
        assert_eq!(decision.fired, ["last"]);
    }

    #[test]
    fn a_campaign_for_other_triggers_is_not_considered_for_this_one() {
        let decision = decide(
            TriggerType::PaymentDone,
            "d1",
            &Facts::default(),
            &vec![rule("entry", 1, everyone())].into(),
            |_| Usage::default(),
        );
        assert!(decision.fired.is_empty());
        assert_eq!(outcomes(&decision), [("entry", &Outcome::NotTriggered)]);
    }

    #[test]
    fn the_holdout_is_sticky_near_its_share_and_gives_nothing_below_it() {
        let held: Vec<String> = (0..1_000)
            .map(|n| format!("diner-{n}"))
            .filter(|uid| held_out("rainy-spicy", uid, 10))
            .collect();
        assert!((70..=130).contains(&held.len()), "{} of 1000", held.len());
        assert!(
            held.iter().all(|uid| held_out("rainy-spicy", uid, 10)),
            "sticky"
        );
        assert!((0..1_000).all(|n| !held_out("c", &format!("d{n}"), 0)));

        let mut measured = rule("rainy-spicy", 10, everyone());
        measured.holdout_percent = 10;
        let uid = held.first().expect("one held out");
        let decision = decide(
            TriggerType::UserEnterShop,
            uid,
            &Facts::default(),
            &vec![measured, rule("plain", 1, everyone())].into(),
            |_| Usage::default(),
        );
        assert!(decision.fired.is_empty());
        assert_eq!(
            outcomes(&decision),
            [
                ("rainy-spicy", &Outcome::HeldOut),
                (
                    "plain",
                    &Outcome::Suppressed {
                        by: "rainy-spicy".into()
                    }
                ),
            ]
        );
    }
}
