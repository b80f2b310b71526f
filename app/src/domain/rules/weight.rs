//! A campaign's weight for one trigger:
//!
//! ```text
//! weight = priority × (100 + Σ affinity of the diner's tags it names
//!                          + affinity of the context's weather, if it names it)
//! ```
//!
//! Priority is 1–100; each affinity is a bonus in percent (0–1000). A campaign with priority
//! 10 and `spicy: 50` weighs 1,000 for most diners and 1,500 for a spicy one. Integers, so
//! every process (and the browser's preview) ranks alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::condition::{Facts, Weather};
use crate::domain::checked::Tag;

/// The most an affinity may add, in percent.
pub const MAX_AFFINITY: u32 = 1_000;

/// How much more a campaign weighs for diners with some tags, or in some weather.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affinity {
    #[serde(default)]
    pub tags: BTreeMap<Tag, u32>,
    #[serde(default)]
    pub weather: BTreeMap<Weather, u32>,
}

/// The weight of a campaign of `priority` and `affinity` for `facts`.
pub fn weight(priority: u32, affinity: &Affinity, facts: &Facts) -> u64 {
    let tags: u64 = affinity
        .tags
        .iter()
        .filter(|(tag, _)| facts.tags.contains(*tag))
        .map(|(_, bonus)| u64::from((*bonus).min(MAX_AFFINITY)))
        .sum();
    let weather = facts
        .weather
        .and_then(|now| affinity.weather.get(&now))
        .map_or(0, |bonus| u64::from((*bonus).min(MAX_AFFINITY)));
    u64::from(priority) * (100 + tags + weather)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> Tag {
        text.parse().expect("a tag")
    }

    #[test]
    fn the_formula_as_a_table() {
        let affinity = Affinity {
            tags: BTreeMap::from([
                (tag("spicy"), 50),
                (tag("regular"), 20),
                (tag("whale"), 5_000),
            ]),
            weather: BTreeMap::from([(Weather::Rainy, 30)]),
        };
        let facts = |tags: &[&str], weather: Option<Weather>| Facts {
            tags: tags.iter().map(|t| tag(t)).collect(),
            weather,
            ..Facts::default()
        };
        let table = [
            (10, facts(&[], None), 1_000),
            (10, facts(&["spicy"], None), 1_500),
            (10, facts(&["spicy", "regular"], None), 1_700),
            (10, facts(&["spicy"], Some(Weather::Rainy)), 1_800),
            (10, facts(&[], Some(Weather::Sunny)), 1_000),
            (10, facts(&["vegan"], None), 1_000),
            // An affinity counts at most 1000 %.
            (1, facts(&["whale"], None), 1_100),
            (
                100,
                facts(&["spicy", "regular"], Some(Weather::Rainy)),
                20_000,
            ),
        ];
        for (priority, facts, expected) in table {
            assert_eq!(weight(priority, &affinity, &facts), expected, "{facts:?}");
        }
    }
}
