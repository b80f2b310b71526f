//! A campaign's condition: data, never code. A closed set of checks combined with all / any /
//! not, read with unknown fields refused, so a campaign written by a person or a model can
//! only ask what this enum can ask. Bounded at save time ([`Condition::check_size`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::Money;
use crate::domain::checked::{Code, Tag};

/// The deepest a condition tree may nest (all / any / not count one each).
pub const MAX_DEPTH: usize = 6;
/// The most checks (all nodes) a condition may hold.
pub const MAX_NODES: usize = 64;
/// The most values one check may list (tags, weathers, weekdays).
pub const MAX_LIST: usize = 32;

/// The weather a trigger's context reports.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Weather {
    Sunny,
    Cloudy,
    Rainy,
    Snowy,
    Windy,
    Hot,
    Cold,
}

impl Weather {
    /// Its name on the wire and in the database (`RAINY`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A day as a condition writes it (`chrono::Weekday` on the wire), for the OpenAPI document.
#[cfg(feature = "ssr")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
enum DayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// One condition node.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Every one holds (none: holds).
    All {
        #[cfg_attr(feature = "ssr", schema(no_recursion))]
        of: Vec<Condition>,
    },
    /// At least one holds (none: does not hold).
    Any {
        #[cfg_attr(feature = "ssr", schema(no_recursion))]
        of: Vec<Condition>,
    },
    /// The inner one does not hold.
    Not {
        #[cfg_attr(feature = "ssr", schema(no_recursion))]
        of: Box<Condition>,
    },
    /// The diner has at least one of these tags at the shop.
    TagIn { tags: Vec<Tag> },
    /// The diner has none of these tags at the shop.
    TagNotIn { tags: Vec<Tag> },
    /// The context's weather is one of these (no weather known: does not hold).
    WeatherIn { weather: Vec<Weather> },
    /// The shop's local time is in `[from, to)`; a window past midnight (`from` > `to`)
    /// wraps, e.g. 22:00–02:00.
    LocalTime {
        #[cfg_attr(feature = "ssr", schema(value_type = String, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?$"))]
        from: NaiveTime,
        #[cfg_attr(feature = "ssr", schema(value_type = String, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?$"))]
        to: NaiveTime,
    },
    /// The shop's local day is one of these.
    Weekdays {
        #[cfg_attr(feature = "ssr", schema(value_type = Vec<DayName>))]
        days: Vec<Weekday>,
    },
    /// The diner's visits to the shop, this one included.
    VisitCount {
        at_least: Option<u32>,
        at_most: Option<u32>,
    },
    /// Whole days since the diner's previous visit (a first visit: does not hold).
    DaysSinceLastVisit {
        at_least: Option<u32>,
        at_most: Option<u32>,
    },
    /// The diner's stored value at the shop (principal + bonus).
    Balance {
        at_least: Option<Money>,
        at_most: Option<Money>,
    },
    /// The amount of the payment that triggered it (no payment: does not hold).
    PaymentAmount {
        at_least: Option<Money>,
        at_most: Option<Money>,
    },
    /// The diner holds at least `count` of a fragment.
    HoldsFragment { fragment: Code, count: u32 },
    /// The diner holds an active card of a type.
    HoldsCard { card_type: Code },
    /// The diner's steps today, as WeChat Run counted them (a `STEPS_SYNCED` trigger's; any
    /// other trigger: does not hold).
    Steps {
        at_least: Option<u32>,
        at_most: Option<u32>,
    },
}

/// What a condition is evaluated against: the trigger's context and the diner as the shop
/// knows them, read before the decision (kept with the decision, for backtests).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Facts {
    pub local_time: NaiveTime,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<DayName>))]
    pub weekday: Option<Weekday>,
    pub weather: Option<Weather>,
    pub tags: BTreeSet<Tag>,
    pub visits: u32,
    pub days_since_last_visit: Option<u32>,
    pub balance: Money,
    pub payment: Option<Money>,
    pub fragments: BTreeMap<Code, u32>,
    pub card_types: BTreeSet<Code>,
    /// The diner's steps today, when the trigger is their WeChat Run sync.
    #[serde(default)]
    pub steps: Option<u32>,
}

/// One check's result, for the decision's trace: where it sits in the tree
/// (`all[1].weather_in`), and whether it held.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub path: String,
    pub held: bool,
}

/// Why a condition cannot be saved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    #[error("the condition nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the condition has more than {MAX_NODES} checks")]
    TooLarge,
    #[error("{path} lists more than {MAX_LIST} values")]
    ListTooLong { path: String },
    #[error("{path} lists nothing")]
    EmptyList { path: String },
    #[error("{path}: at_least is above at_most")]
    EmptyRange { path: String },
}

impl Condition {
    /// The name of the check, as it is written (`weather_in`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::All { .. } => "all",
            Self::Any { .. } => "any",
            Self::Not { .. } => "not",
            Self::TagIn { .. } => "tag_in",
            Self::TagNotIn { .. } => "tag_not_in",
            Self::WeatherIn { .. } => "weather_in",
            Self::LocalTime { .. } => "local_time",
            Self::Weekdays { .. } => "weekdays",
            Self::VisitCount { .. } => "visit_count",
            Self::DaysSinceLastVisit { .. } => "days_since_last_visit",
            Self::Balance { .. } => "balance",
            Self::PaymentAmount { .. } => "payment_amount",
            Self::HoldsFragment { .. } => "holds_fragment",
            Self::HoldsCard { .. } => "holds_card",
            Self::Steps { .. } => "steps",
        }
    }

    /// Refuses a condition too deep, too large, or with a list or range that can never hold.
    pub fn check_size(&self) -> Result<(), ConditionError> {
        let mut nodes = 0;
        self.check_node(self.name(), 1, &mut nodes)
    }

    fn check_node(
        &self,
        path: &str,
        depth: usize,
        nodes: &mut usize,
    ) -> Result<(), ConditionError> {
        *nodes += 1;
        if depth > MAX_DEPTH {
            return Err(ConditionError::TooDeep);
        }
        if *nodes > MAX_NODES {
            return Err(ConditionError::TooLarge);
        }
        let list = |len: usize| match len {
            0 => Err(ConditionError::EmptyList {
                path: path.to_owned(),
            }),
            n if n > MAX_LIST => Err(ConditionError::ListTooLong {
                path: path.to_owned(),
            }),
            _ => Ok(()),
        };
        let range = |ordered: bool| {
            if ordered {
                Ok(())
            } else {
                Err(ConditionError::EmptyRange {
                    path: path.to_owned(),
                })
            }
        };
        match self {
            Self::All { of } | Self::Any { of } => {
                if of.len() > MAX_LIST {
                    return Err(ConditionError::ListTooLong {
                        path: path.to_owned(),
                    });
                }
                for (i, inner) in of.iter().enumerate() {
                    inner.check_node(&format!("{path}[{i}].{}", inner.name()), depth + 1, nodes)?;
                }
                Ok(())
            }
            Self::Not { of } => of.check_node(&format!("{path}.{}", of.name()), depth + 1, nodes),
            Self::TagIn { tags } | Self::TagNotIn { tags } => list(tags.len()),
            Self::WeatherIn { weather } => list(weather.len()),
            Self::Weekdays { days } => list(days.len()),
            Self::VisitCount { at_least, at_most }
            | Self::DaysSinceLastVisit { at_least, at_most }
            | Self::Steps { at_least, at_most } => range(ordered(*at_least, *at_most)),
            Self::Balance { at_least, at_most } | Self::PaymentAmount { at_least, at_most } => {
                range(ordered(*at_least, *at_most))
            }
            Self::LocalTime { .. } | Self::HoldsFragment { .. } | Self::HoldsCard { .. } => Ok(()),
        }
    }

    /// Whether the condition holds for `facts`, with every check's result (all of them, so
    /// the trace also says what would have held: evaluation does not stop early).
    pub fn evaluate(&self, facts: &Facts) -> (bool, Vec<Checked>) {
        let results = self.results(facts);
        (results.held(), results.trace(self))
    }

    /// [`Self::evaluate`] without the trace's words: every check's result as one bit, for
    /// the decision's hot path (the trace is written out only for what is kept).
    pub fn results(&self, facts: &Facts) -> Results {
        let mut results = Results::default();
        self.eval(facts, &mut results);
        results
    }

    /// Every check's path in the tree (`all[1].weather_in`), in the order of [`Results`].
    pub fn paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        self.collect_paths(self.name().to_owned(), &mut paths);
        paths
    }

    fn collect_paths(&self, path: String, paths: &mut Vec<String>) {
        match self {
            Self::All { of } | Self::Any { of } => {
                for (i, inner) in of.iter().enumerate() {
                    inner.collect_paths(format!("{path}[{i}].{}", inner.name()), paths);
                }
            }
            Self::Not { of } => of.collect_paths(format!("{path}.{}", of.name()), paths),
            _ => {}
        }
        paths.push(path);
    }

    /// Whether the condition holds, stopping at the first check that decides it: the
    /// decision's hot path ([`Self::evaluate`] gives every check's result, for the trace).
    pub fn holds(&self, facts: &Facts) -> bool {
        match self {
            Self::All { of } => of.iter().all(|inner| inner.holds(facts)),
            Self::Any { of } => of.iter().any(|inner| inner.holds(facts)),
            Self::Not { of } => !of.holds(facts),
            leaf => leaf.leaf_holds(facts),
        }
    }

    /// Evaluates every check (children before their parent, none skipped, so the trace also
    /// says what would have held) and records each result in `results`.
    fn eval(&self, facts: &Facts, results: &mut Results) -> bool {
        let held = match self {
            // Loops, not `all`/`any`: every inner check is evaluated, never cut short.
            Self::All { of } => {
                let mut all = true;
                for inner in of {
                    all &= inner.eval(facts, results);
                }
                all
            }
            Self::Any { of } => {
                let mut any = false;
                for inner in of {
                    any |= inner.eval(facts, results);
                }
                any
            }
            Self::Not { of } => !of.eval(facts, results),
            leaf => leaf.leaf_holds(facts),
        };
        results.push(held);
        held
    }

    /// A check that is not a combinator.
    fn leaf_holds(&self, facts: &Facts) -> bool {
        match self {
            Self::TagIn { tags } => tags.iter().any(|tag| facts.tags.contains(tag)),
            Self::TagNotIn { tags } => !tags.iter().any(|tag| facts.tags.contains(tag)),
            Self::WeatherIn { weather } => facts.weather.is_some_and(|now| weather.contains(&now)),
            Self::LocalTime { from, to } => in_window(facts.local_time, *from, *to),
            Self::Weekdays { days } => facts.weekday.is_some_and(|day| days.contains(&day)),
            Self::VisitCount { at_least, at_most } => within(facts.visits, *at_least, *at_most),
            Self::DaysSinceLastVisit { at_least, at_most } => facts
                .days_since_last_visit
                .is_some_and(|days| within(days, *at_least, *at_most)),
            Self::Balance { at_least, at_most } => within(facts.balance, *at_least, *at_most),
            Self::PaymentAmount { at_least, at_most } => facts
                .payment
                .is_some_and(|paid| within(paid, *at_least, *at_most)),
            Self::HoldsFragment { fragment, count } => {
                facts.fragments.get(fragment).copied().unwrap_or_default() >= *count
            }
            Self::HoldsCard { card_type } => facts.card_types.contains(card_type),
            Self::Steps { at_least, at_most } => facts
                .steps
                .is_some_and(|steps| within(steps, *at_least, *at_most)),
            Self::All { of } => of.iter().all(|inner| inner.holds(facts)),
            Self::Any { of } => of.iter().any(|inner| inner.holds(facts)),
            Self::Not { of } => !of.holds(facts),
        }
    }
}

/// Every check's result of one evaluation, one bit each in the order of
/// [`Condition::paths`] (a condition has at most [`MAX_NODES`] = 64 checks); the last is
/// the whole condition's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Results {
    bits: u64,
    len: u32,
}

impl Results {
    fn push(&mut self, held: bool) {
        if held && self.len < u64::BITS {
            self.bits |= 1 << self.len;
        }
        self.len += 1;
    }

    /// Whether the whole condition held.
    pub fn held(self) -> bool {
        self.len
            .checked_sub(1)
            .is_some_and(|last| last < u64::BITS && self.bits & (1 << last) != 0)
    }

    /// The results with their paths in `condition`, as the decision's trace keeps them.
    pub fn trace(self, condition: &Condition) -> Vec<Checked> {
        condition
            .paths()
            .into_iter()
            .zip(0..)
            .map(|(path, i): (String, u32)| Checked {
                path,
                held: i < u64::BITS && self.bits & (1 << i) != 0,
            })
            .collect()
    }
}

fn ordered<T: PartialOrd>(at_least: Option<T>, at_most: Option<T>) -> bool {
    match (at_least, at_most) {
        (Some(low), Some(high)) => low <= high,
        _ => true,
    }
}

fn within<T: PartialOrd>(value: T, at_least: Option<T>, at_most: Option<T>) -> bool {
    at_least.is_none_or(|low| value >= low) && at_most.is_none_or(|high| value <= high)
}

/// `[from, to)`, wrapping past midnight when `from` > `to`; `from` = `to` is the whole day.
fn in_window(now: NaiveTime, from: NaiveTime, to: NaiveTime) -> bool {
    match from.cmp(&to) {
        std::cmp::Ordering::Less => from <= now && now < to,
        std::cmp::Ordering::Greater => now >= from || now < to,
        std::cmp::Ordering::Equal => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> Tag {
        text.parse().expect("a tag")
    }

    fn at(hh: u32, mm: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hh, mm, 0).expect("a time")
    }

    fn money(text: &str) -> Money {
        text.parse().expect("money")
    }

    /// A spicy regular walking in on a rainy Tuesday evening with ¥120 stored.
    fn diner() -> Facts {
        Facts {
            local_time: at(18, 30),
            weekday: Some(Weekday::Tue),
            weather: Some(Weather::Rainy),
            tags: [tag("spicy"), tag("regular")].into(),
            visits: 7,
            days_since_last_visit: Some(3),
            balance: money("120"),
            payment: None,
            fragments: [("CHILI".parse().expect("code"), 2)].into(),
            card_types: BTreeSet::new(),
            steps: Some(9_000),
        }
    }

    fn read(json: serde_json::Value) -> Condition {
        serde_json::from_value(json).expect("a condition")
    }

    #[test]
    fn each_check_as_a_table() {
        use serde_json::json;
        let table = [
            (json!({"check": "tag_in", "tags": ["spicy", "vegan"]}), true),
            (json!({"check": "tag_in", "tags": ["vegan"]}), false),
            (json!({"check": "tag_not_in", "tags": ["lapsed"]}), true),
            (json!({"check": "tag_not_in", "tags": ["regular"]}), false),
            (
                json!({"check": "weather_in", "weather": ["RAINY", "SNOWY"]}),
                true,
            ),
            (json!({"check": "weather_in", "weather": ["SUNNY"]}), false),
            (
                json!({"check": "local_time", "from": "17:00:00", "to": "21:00:00"}),
                true,
            ),
            (
                json!({"check": "local_time", "from": "11:00:00", "to": "14:00:00"}),
                false,
            ),
            (
                json!({"check": "local_time", "from": "22:00:00", "to": "02:00:00"}),
                false,
            ),
            (json!({"check": "weekdays", "days": ["Mon", "Tue"]}), true),
            (json!({"check": "weekdays", "days": ["Sat", "Sun"]}), false),
            (json!({"check": "visit_count", "at_least": 5}), true),
            (json!({"check": "visit_count", "at_most": 1}), false),
            (
                json!({"check": "days_since_last_visit", "at_least": 2, "at_most": 30}),
                true,
            ),
            (
                json!({"check": "days_since_last_visit", "at_least": 30}),
                false,
            ),
            (json!({"check": "balance", "at_least": "100.00"}), true),
            (json!({"check": "balance", "at_most": "50.00"}), false),
            (
                json!({"check": "payment_amount", "at_least": "1.00"}),
                false,
            ),
            (
                json!({"check": "holds_fragment", "fragment": "CHILI", "count": 2}),
                true,
            ),
            (
                json!({"check": "holds_fragment", "fragment": "CHILI", "count": 3}),
                false,
            ),
            (
                json!({"check": "holds_card", "card_type": "FREE_APPETIZER"}),
                false,
            ),
            (json!({"check": "steps", "at_least": 8000}), true),
            (json!({"check": "steps", "at_least": 10000}), false),
            (
                json!({"check": "steps", "at_least": 5000, "at_most": 9000}),
                true,
            ),
            (json!({"check": "all", "of": []}), true),
            (json!({"check": "any", "of": []}), false),
            (
                json!({"check": "not", "of": {"check": "tag_in", "tags": ["vegan"]}}),
                true,
            ),
        ];
        for (json, expected) in table {
            let condition = read(json.clone());
            assert_eq!(condition.evaluate(&diner()).0, expected, "{json}");
            assert_eq!(condition.holds(&diner()), expected, "{json}");
        }
    }

    #[test]
    fn a_window_past_midnight_wraps() {
        let late = Condition::LocalTime {
            from: at(22, 0),
            to: at(2, 0),
        };
        for (now, expected) in [
            (at(23, 0), true),
            (at(1, 59), true),
            (at(2, 0), false),
            (at(21, 59), false),
        ] {
            let facts = Facts {
                local_time: now,
                ..diner()
            };
            assert_eq!(late.evaluate(&facts).0, expected, "{now}");
        }
    }

    #[test]
    fn the_trace_says_every_checks_result_with_its_place() {
        let rainy_spicy = read(serde_json::json!({"check": "all", "of": [
            {"check": "weather_in", "weather": ["RAINY"]},
            {"check": "any", "of": [
                {"check": "tag_in", "tags": ["vegan"]},
                {"check": "balance", "at_least": "100"}
            ]}
        ]}));
        let (held, trace) = rainy_spicy.evaluate(&diner());
        assert!(held);
        let results: Vec<(&str, bool)> = trace.iter().map(|c| (c.path.as_str(), c.held)).collect();
        assert_eq!(
            results,
            [
                ("all[0].weather_in", true),
                ("all[1].any[0].tag_in", false),
                ("all[1].any[1].balance", true),
                ("all[1].any", true),
                ("all", true),
            ]
        );
    }

    #[test]
    fn a_condition_of_the_largest_size_keeps_every_result() {
        let leaves = |n: usize, tag: &str| Condition::Any {
            of: (0..n)
                .map(|_| Condition::TagIn {
                    tags: vec![tag.parse().expect("tag")],
                })
                .collect(),
        };
        let largest = Condition::All {
            of: vec![leaves(30, "vegan"), leaves(31, "spicy")],
        };
        assert_eq!(largest.check_size(), Ok(()));
        let (held, trace) = largest.evaluate(&diner());
        assert!(!held);
        assert_eq!(trace.len(), MAX_NODES);
        let held: Vec<bool> = trace.iter().map(|c| c.held).collect();
        let mut expected = vec![false; 31];
        expected.extend([true; 32]);
        expected.push(false);
        assert_eq!(held, expected);
        assert_eq!(trace.last().map(|c| c.path.as_str()), Some("all"));
    }

    #[test]
    fn what_is_not_a_check_is_refused_when_read() {
        use serde_json::json;
        for bad in [
            json!({"check": "script", "code": "grant(1000)"}),
            json!({"check": "tag_in", "tags": ["spicy"], "extra": 1}),
            json!({"check": "tag_in", "tags": ["Spicy Food"]}),
            json!({"check": "weather_in", "weather": ["ACID_RAIN"]}),
            json!({"check": "balance", "at_least": 100.5}),
        ] {
            assert!(
                serde_json::from_value::<Condition>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn sizes_are_bounded_at_save() {
        let leaf = Condition::TagIn {
            tags: vec![tag("spicy")],
        };
        let mut deep = leaf.clone();
        for _ in 0..MAX_DEPTH {
            deep = Condition::Not { of: Box::new(deep) };
        }
        assert_eq!(deep.check_size(), Err(ConditionError::TooDeep));
        let wide = Condition::All {
            of: vec![
                Condition::Any {
                    of: vec![leaf.clone(); 30]
                };
                3
            ],
        };
        assert_eq!(wide.check_size(), Err(ConditionError::TooLarge));
        let empty = Condition::All {
            of: vec![Condition::WeatherIn { weather: vec![] }],
        };
        assert_eq!(
            empty.check_size(),
            Err(ConditionError::EmptyList {
                path: "all[0].weather_in".into()
            })
        );
        let backwards = Condition::VisitCount {
            at_least: Some(5),
            at_most: Some(2),
        };
        assert!(matches!(
            backwards.check_size(),
            Err(ConditionError::EmptyRange { .. })
        ));
        assert_eq!(Condition::All { of: vec![leaf; 3] }.check_size(), Ok(()));
    }
}
