//! The campaigns of one decision, made ready for it. Campaigns of a shop ask much the same
//! questions (rainy? a regular? after 17:00?), so every distinct check — condition leaf or
//! affinity tag — becomes one numbered predicate, answered once per trigger into a bit set;
//! each campaign's condition is then bit tests (an `all` of plain checks, one mask
//! comparison per 64 predicates), its affinity a sum over bits, its triggers one bit.
//! Compiled once per set of campaigns, for any number of triggers (a backtest replays
//! thousands against one set).

use std::collections::HashMap;

use super::condition::{Condition, Facts};
use super::decide::{Rule, TriggerType};
use super::weight::MAX_AFFINITY;

/// Campaigns ready to decide with ([`super::decide::rank`]); built with [`RuleSet::new`]
/// or `From<Vec<Rule>>`.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    compiled: Vec<Compiled>,
    /// Every distinct check, numbered by its place.
    predicates: Vec<Condition>,
    /// The predicates the campaigns answering each trigger ask (by [`bit`]'s position).
    asked: [Vec<u32>; TRIGGER_TYPES],
}

const TRIGGER_TYPES: usize = 7;

/// One campaign: its triggers as bits, its condition on predicates, its affinity's tags as
/// predicates with their bonus.
#[derive(Clone, Debug)]
struct Compiled {
    triggers: u8,
    check: Check,
    tag_bonus: Vec<(u32, u64)>,
}

/// A condition on predicate numbers.
#[derive(Clone, Debug)]
enum Check {
    /// All these predicates hold: per 64-bit word of the answers, the bits that must be set.
    AllOf(Vec<(usize, u64)>),
    All(Vec<Check>),
    Any(Vec<Check>),
    Not(Box<Check>),
    Is(u32),
}

/// Which predicates of a set hold for one trigger's facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answers(Vec<u64>);

impl Answers {
    fn holds(&self, predicate: u32) -> bool {
        let (word, mask) = place(predicate);
        self.0.get(word).is_some_and(|bits| bits & mask != 0)
    }

    fn set(&mut self, predicate: u32) {
        let (word, mask) = place(predicate);
        if let Some(bits) = self.0.get_mut(word) {
            *bits |= mask;
        }
    }
}

/// A predicate's word and bit in [`Answers`].
fn place(predicate: u32) -> (usize, u64) {
    (
        usize::try_from(predicate / 64).unwrap_or(usize::MAX),
        1 << (predicate % 64),
    )
}

/// A trigger type's position among the trigger types.
fn position(trigger: TriggerType) -> u8 {
    match trigger {
        TriggerType::UserEnterShop => 0,
        TriggerType::WeatherChange => 1,
        TriggerType::PaymentDone => 2,
        TriggerType::CardRedeemed => 3,
        TriggerType::RechargeDone => 4,
        TriggerType::TimeTick => 5,
        TriggerType::StepsSynced => 6,
    }
}

fn bit(trigger: TriggerType) -> u8 {
    1 << position(trigger)
}

/// Numbers distinct checks as they are met.
#[derive(Default)]
struct Numbering<'a> {
    numbers: HashMap<&'a Condition, u32>,
    predicates: Vec<Condition>,
}

impl<'a> Numbering<'a> {
    fn number(&mut self, check: &'a Condition) -> u32 {
        let next = u32::try_from(self.predicates.len()).unwrap_or(u32::MAX);
        *self.numbers.entry(check).or_insert_with(|| {
            self.predicates.push(check.clone());
            next
        })
    }

    fn compile(&mut self, condition: &'a Condition) -> Check {
        let plain = |of: &[Condition]| {
            of.iter().all(|c| {
                !matches!(
                    c,
                    Condition::All { .. } | Condition::Any { .. } | Condition::Not { .. }
                )
            })
        };
        match condition {
            Condition::All { of } if plain(of) => {
                let mut words: Vec<(usize, u64)> = Vec::new();
                for inner in of {
                    let (word, mask) = place(self.number(inner));
                    match words.iter_mut().find(|(w, _)| *w == word) {
                        Some((_, bits)) => *bits |= mask,
                        None => words.push((word, mask)),
                    }
                }
                Check::AllOf(words)
            }
            Condition::All { of } => Check::All(of.iter().map(|c| self.compile(c)).collect()),
            Condition::Any { of } => Check::Any(of.iter().map(|c| self.compile(c)).collect()),
            Condition::Not { of } => Check::Not(Box::new(self.compile(of))),
            leaf => Check::Is(self.number(leaf)),
        }
    }
}

impl RuleSet {
    /// Compiles `rules` (in the shop's order, which the trace keeps).
    pub fn new(rules: Vec<Rule>) -> Self {
        // The affinity's "has this tag" checks are borrowed from here while numbering.
        let tag_checks: Vec<Vec<(Condition, u64)>> = rules
            .iter()
            .map(|rule| {
                rule.affinity
                    .tags
                    .iter()
                    .map(|(tag, bonus)| {
                        (
                            Condition::TagIn {
                                tags: vec![tag.clone()],
                            },
                            u64::from((*bonus).min(MAX_AFFINITY)),
                        )
                    })
                    .collect()
            })
            .collect();
        let mut numbering = Numbering::default();
        let mut asked: [Vec<u32>; TRIGGER_TYPES] = Default::default();
        let mut compiled = Vec::with_capacity(rules.len());
        for (rule, tags) in rules.iter().zip(&tag_checks) {
            let check = numbering.compile(&rule.condition);
            let tag_bonus: Vec<(u32, u64)> = tags
                .iter()
                .map(|(check, bonus)| (numbering.number(check), *bonus))
                .collect();
            let triggers = rule.triggers.iter().fold(0, |bits, t| bits | bit(*t));
            // Asked for this campaign's triggers (a predicate shared with another campaign
            // is asked for its triggers too).
            let mine = rule_predicates(&check, &tag_bonus);
            for trigger in &rule.triggers {
                if let Some(list) = asked.get_mut(usize::from(position(*trigger))) {
                    list.extend(mine.iter().copied());
                }
            }
            compiled.push(Compiled {
                triggers,
                check,
                tag_bonus,
            });
        }
        for list in &mut asked {
            list.sort_unstable();
            list.dedup();
        }
        let Numbering { predicates, .. } = numbering;
        Self {
            rules,
            compiled,
            predicates,
            asked,
        }
    }

    /// The campaigns, in the order they were given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Answers every predicate the campaigns answering `trigger` ask, for `facts`.
    pub fn answer(&self, trigger: TriggerType, facts: &Facts) -> Answers {
        let words = self.predicates.len().div_ceil(64);
        let mut answers = Answers(vec![0; words]);
        let asked = self.asked.get(usize::from(position(trigger)));
        for &predicate in asked.into_iter().flatten() {
            let held = usize::try_from(predicate)
                .ok()
                .and_then(|index| self.predicates.get(index))
                .is_some_and(|check| check.holds(facts));
            if held {
                answers.set(predicate);
            }
        }
        answers
    }

    /// Each campaign with its index, to ask whether it answers a trigger, whether its
    /// condition holds and what it weighs, by `answers` (of that trigger).
    pub(super) fn each<'a>(
        &'a self,
        facts: &'a Facts,
        answers: &'a Answers,
    ) -> impl Iterator<Item = Entry<'a>> + 'a {
        self.rules
            .iter()
            .zip(&self.compiled)
            .enumerate()
            .map(move |(index, (rule, compiled))| Entry {
                index,
                rule,
                compiled,
                facts,
                answers,
            })
    }
}

/// Every predicate a compiled campaign asks.
fn rule_predicates(check: &Check, tag_bonus: &[(u32, u64)]) -> Vec<u32> {
    fn walk(check: &Check, out: &mut Vec<u32>) {
        match check {
            Check::AllOf(words) => {
                for &(word, bits) in words {
                    let base = u32::try_from(word).unwrap_or(u32::MAX).saturating_mul(64);
                    out.extend((0..64).filter(|b| bits & (1 << b) != 0).map(|b| base + b));
                }
            }
            Check::All(of) | Check::Any(of) => of.iter().for_each(|c| walk(c, out)),
            Check::Not(of) => walk(of, out),
            Check::Is(predicate) => out.push(*predicate),
        }
    }
    let mut out: Vec<u32> = tag_bonus.iter().map(|(p, _)| *p).collect();
    walk(check, &mut out);
    out
}

impl From<Vec<Rule>> for RuleSet {
    fn from(rules: Vec<Rule>) -> Self {
        Self::new(rules)
    }
}

/// One campaign of a set, for one trigger's facts.
pub(super) struct Entry<'a> {
    pub index: usize,
    pub rule: &'a Rule,
    compiled: &'a Compiled,
    facts: &'a Facts,
    answers: &'a Answers,
}

impl Entry<'_> {
    pub fn answers(&self, trigger: TriggerType) -> bool {
        self.compiled.triggers & bit(trigger) != 0
    }

    /// Whether its condition holds (for the trigger the answers were made for).
    pub fn holds(&self) -> bool {
        self.compiled.check.holds(self.answers)
    }

    /// [`super::weight::weight`], on the answers.
    pub fn weight(&self) -> u64 {
        let tags: u64 = self
            .compiled
            .tag_bonus
            .iter()
            .filter(|(predicate, _)| self.answers.holds(*predicate))
            .map(|(_, bonus)| bonus)
            .sum();
        let weather = self
            .facts
            .weather
            .and_then(|now| self.rule.affinity.weather.get(&now))
            .map_or(0, |bonus| u64::from((*bonus).min(MAX_AFFINITY)));
        u64::from(self.rule.priority) * (100 + tags + weather)
    }
}

impl Check {
    fn holds(&self, answers: &Answers) -> bool {
        match self {
            Self::AllOf(words) => words
                .iter()
                .all(|&(word, mask)| answers.0.get(word).is_some_and(|bits| bits & mask == mask)),
            Self::All(of) => of.iter().all(|inner| inner.holds(answers)),
            Self::Any(of) => of.iter().any(|inner| inner.holds(answers)),
            Self::Not(of) => !of.holds(answers),
            Self::Is(predicate) => answers.holds(*predicate),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::domain::checked::Tag;
    use crate::domain::rules::condition::Weather;
    use crate::domain::rules::decide::Limits;
    use crate::domain::rules::weight::{Affinity, weight};

    const TAGS: [&str; 5] = ["spicy", "regular", "new", "lapsed", "family"];
    const TRIGGERS: [TriggerType; TRIGGER_TYPES] = [
        TriggerType::UserEnterShop,
        TriggerType::WeatherChange,
        TriggerType::PaymentDone,
        TriggerType::CardRedeemed,
        TriggerType::RechargeDone,
        TriggerType::TimeTick,
        TriggerType::StepsSynced,
    ];

    fn tag() -> impl Strategy<Value = Tag> {
        prop::sample::select(TAGS.to_vec()).prop_map(|t| t.parse().expect("tag"))
    }

    fn condition() -> impl Strategy<Value = Condition> {
        let leaf = prop_oneof![
            prop::collection::vec(tag(), 1..3).prop_map(|tags| Condition::TagIn { tags }),
            prop::collection::vec(tag(), 1..3).prop_map(|tags| Condition::TagNotIn { tags }),
            prop::sample::select(vec![Weather::Rainy, Weather::Sunny])
                .prop_map(|w| Condition::WeatherIn { weather: vec![w] }),
            (0_u32..6).prop_map(|n| Condition::VisitCount {
                at_least: Some(n),
                at_most: None
            }),
        ];
        leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|of| Condition::All { of }),
                prop::collection::vec(inner.clone(), 0..3).prop_map(|of| Condition::Any { of }),
                inner.prop_map(|of| Condition::Not { of: Box::new(of) }),
            ]
        })
    }

    fn rule(
        condition: Condition,
        triggers: BTreeSet<TriggerType>,
        bonus: BTreeMap<Tag, u32>,
    ) -> Rule {
        Rule {
            id: "c".into(),
            version: 1,
            triggers,
            condition,
            priority: 7,
            affinity: Affinity {
                tags: bonus,
                weather: BTreeMap::from([(Weather::Rainy, 20)]),
            },
            exclusive: false,
            cost: crate::domain::Money::ZERO,
            daily_budget_cap: crate::domain::Money::ZERO,
            limits: Limits::default(),
            holdout_percent: 0,
            gives_card: false,
        }
    }

    fn campaign() -> impl Strategy<Value = Rule> {
        (
            condition(),
            prop::collection::btree_set(prop::sample::select(TRIGGERS.to_vec()), 1..4),
            prop::collection::btree_map(tag(), 0_u32..2_000, 0..3),
        )
            .prop_map(|(condition, triggers, bonus)| rule(condition, triggers, bonus))
    }

    proptest! {
        /// Compiled campaigns (sharing predicates) answer, hold and weigh exactly as the
        /// campaigns as written (the console's preview and the trace use those).
        #[test]
        fn compiled_decides_as_written(
            written in prop::collection::vec(campaign(), 1..5),
            diner in prop::collection::btree_set(
                prop_oneof![tag(), Just("unnamed".parse().expect("tag"))], 0..4),
            rainy in any::<bool>(),
            visits in 0_u32..8,
        ) {
            let facts = Facts {
                tags: diner,
                weather: Some(if rainy { Weather::Rainy } else { Weather::Sunny }),
                visits,
                ..Facts::default()
            };
            let set = RuleSet::new(written.clone());
            for trigger in TRIGGERS {
                let answers = set.answer(trigger, &facts);
                for (entry, rule) in set.each(&facts, &answers).zip(&written) {
                    prop_assert_eq!(entry.answers(trigger), rule.triggers.contains(&trigger));
                    if entry.answers(trigger) {
                        prop_assert_eq!(entry.holds(), rule.condition.holds(&facts));
                        prop_assert_eq!(entry.weight(), weight(rule.priority, &rule.affinity, &facts));
                    }
                }
            }
        }
    }

    #[test]
    fn a_check_two_campaigns_ask_is_one_predicate() {
        let rainy = Condition::WeatherIn {
            weather: vec![Weather::Rainy],
        };
        let set = RuleSet::new(vec![
            rule(
                Condition::All {
                    of: vec![rainy.clone()],
                },
                [TriggerType::UserEnterShop].into(),
                BTreeMap::new(),
            ),
            rule(rainy, [TriggerType::PaymentDone].into(), BTreeMap::new()),
        ]);
        assert_eq!(set.predicates.len(), 1);
        assert_eq!(set.asked.first(), Some(&vec![0]));
    }
}
