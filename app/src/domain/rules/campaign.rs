//! A campaign as a boss (or the Strategist) writes it: when it answers, whom it wants, how
//! much it weighs, what it gives, and what it may spend. Every save is checked whole
//! ([`CampaignSpec::check`]) and becomes a new version; what one reward costs is worked out
//! by our code from the catalogue ([`CostBasis`]), never taken from the campaign.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::condition::Condition;
use super::decide::{Limits, Rule, TriggerType};
use super::story::StoryTemplate;
use super::weight::{Affinity, MAX_AFFINITY};
use crate::domain::Money;
use crate::domain::checked::{Code, Count, Name};

/// The largest holdout a campaign may keep (a campaign for nobody measures nothing).
pub const MAX_HOLDOUT: u8 = 50;
/// The holdout a campaign keeps unless it says otherwise.
pub const DEFAULT_HOLDOUT: u8 = 10;
/// The most silver one reward may give.
pub const MAX_SILVER: u32 = 100_000;
/// The most of one fragment one reward may give.
pub const MAX_FRAGMENTS: u32 = 100;

/// Where a campaign is in its life. Only an ACTIVE one rewards; ENDED is for good.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Ended,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether a campaign may go from `self` to `next`: draft → active, active ⇄ paused,
    /// anything but ended → ended; ended stays ended.
    pub fn may_become(self, next: Self) -> bool {
        use CampaignStatus::{Active, Draft, Ended, Paused};
        matches!(
            (self, next),
            (Draft, Active)
                | (Active, Paused)
                | (Paused, Active)
                | (Draft | Active | Paused, Ended)
        )
    }
}

/// How many of one fragment a reward gives.
pub type FragmentCount = Count<1, MAX_FRAGMENTS>;

/// What a reward gives besides its story.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Silver (碎银).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(maximum = 100_000))]
    #[cfg_attr(feature = "ssr", schemars(range(max = 100_000)))]
    pub silver: u32,
    /// Fragments by code, with how many of each (1–100).
    #[serde(default)]
    pub fragments: BTreeMap<Code, FragmentCount>,
    /// One card of this type, out of the day's stock (none left: the campaign cannot fire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Code>,
}

impl Grants {
    pub fn is_empty(&self) -> bool {
        self.silver == 0 && self.fragments.is_empty() && self.card.is_none()
    }
}

/// What a campaign does when it fires.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub story: StoryTemplate,
    #[serde(default)]
    pub grants: Grants,
}

/// A campaign as it is saved (one version).
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub name: Name,
    /// The triggers it answers (at least one).
    #[cfg_attr(feature = "ssr", schema(min_items = 1))]
    #[cfg_attr(feature = "ssr", schemars(length(min = 1)))]
    pub triggers: BTreeSet<TriggerType>,
    /// Whom it wants: all / any / not over a closed set of checks.
    pub condition: Condition,
    /// 1–100: its weight before affinity.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 100))]
    #[cfg_attr(feature = "ssr", schemars(range(min = 1, max = 100)))]
    pub priority: u32,
    #[serde(default)]
    pub affinity: Affinity,
    pub action: Action,
    /// The most its rewards may cost the shop per shop-local day.
    pub daily_budget_cap: Money,
    #[serde(default)]
    pub limits: Limits,
    /// Fired, it keeps every campaign ranked below it from this trigger.
    #[serde(default)]
    pub exclusive: bool,
    /// The share of matching diners (0–50 %) it keeps out to measure its lift.
    #[serde(default = "default_holdout")]
    #[cfg_attr(feature = "ssr", schema(maximum = 50))]
    #[cfg_attr(feature = "ssr", schemars(range(max = 50)))]
    pub holdout_percent: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
}

fn default_holdout() -> u8 {
    DEFAULT_HOLDOUT
}

/// One thing wrong with a campaign, where it is (`action.grants.silver`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl CampaignSpec {
    /// Everything wrong with it that needs no catalogue (the service adds the codes it does
    /// not know, and the story's schema check). Empty: it may be saved.
    pub fn check(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if self.triggers.is_empty() {
            problems.push(FieldError::new("triggers", "choose at least one trigger"));
        }
        if let Err(e) = self.condition.check_size() {
            problems.push(FieldError::new("condition", e.to_string()));
        }
        if !(1..=100).contains(&self.priority) {
            problems.push(FieldError::new("priority", "from 1 to 100"));
        }
        let too_much = |bonus: &u32| *bonus > MAX_AFFINITY;
        if self.affinity.tags.values().any(too_much) || self.affinity.weather.values().any(too_much)
        {
            problems.push(FieldError::new(
                "affinity",
                format!("each bonus is 0–{MAX_AFFINITY} %"),
            ));
        }
        if self.holdout_percent > MAX_HOLDOUT {
            problems.push(FieldError::new(
                "holdout_percent",
                format!("at most {MAX_HOLDOUT} %"),
            ));
        }
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until)
            && from >= until
        {
            problems.push(FieldError::new("valid_until", "must be after valid_from"));
        }
        let grants = &self.action.grants;
        if grants.silver > MAX_SILVER {
            problems.push(FieldError::new(
                "action.grants.silver",
                format!("at most {MAX_SILVER}"),
            ));
        }
        let limits = [
            ("per_diner_per_day", self.limits.per_diner_per_day),
            ("per_diner_per_week", self.limits.per_diner_per_week),
            ("per_diner", self.limits.per_diner),
            ("total", self.limits.total),
        ];
        for (name, limit) in limits {
            if limit == Some(0) {
                problems.push(FieldError::new(
                    format!("limits.{name}"),
                    "at least 1 (leave it empty for no limit)",
                ));
            }
        }
        // A diner syncs their steps as often as they like; each rise is a trigger.
        if self.triggers.contains(&TriggerType::StepsSynced)
            && !grants.is_empty()
            && self.limits.per_diner_per_day.is_none()
        {
            problems.push(FieldError::new(
                "limits.per_diner_per_day",
                "a campaign answering step syncs needs a daily limit per diner (each sync \
                 where the steps rose is a trigger)",
            ));
        }
        if self.daily_budget_cap.is_zero() && !grants.is_empty() {
            problems.push(FieldError::new(
                "daily_budget_cap",
                "a campaign that gives something needs a budget",
            ));
        }
        problems
    }

    /// Whether it may reward at `now` (inside its validity window).
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| now >= from)
            && self.valid_until.is_none_or(|until| now < until)
    }

    /// The campaign as the decision sees it, with what one reward costs.
    pub fn rule(&self, id: &str, version: u32, cost: Money) -> Rule {
        Rule {
            id: id.to_owned(),
            version,
            triggers: self.triggers.clone(),
            condition: self.condition.clone(),
            priority: self.priority,
            affinity: self.affinity.clone(),
            exclusive: self.exclusive,
            cost,
            daily_budget_cap: self.daily_budget_cap,
            limits: self.limits,
            holdout_percent: self.holdout_percent,
            gives_card: self.action.grants.card.is_some(),
        }
    }
}

/// What the shop's things cost it, from the catalogue: a card its `cost_basis`; a fragment
/// its share of the dearest card it goes into (`cost_basis / fragments in the recipe`), or
/// nothing if no card uses it; one silver what it buys on the market at the cheapest
/// (`fragment cost / buy price`), or nothing if the market sells nothing.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CostBasis {
    pub cards: BTreeMap<Code, Decimal>,
    pub fragments: BTreeMap<Code, Decimal>,
    pub silver: Decimal,
}

/// A card type as the cost needs it.
pub struct CardCost<'a> {
    pub code: &'a Code,
    pub cost_basis: Money,
    pub recipe: Vec<(&'a Code, u32)>,
}

impl CostBasis {
    /// The costs of a catalogue's card types and market listings (`(fragment, buy price)`).
    pub fn of<'a>(
        cards: impl IntoIterator<Item = CardCost<'a>>,
        listings: impl IntoIterator<Item = (&'a Code, u32)>,
    ) -> Self {
        let mut basis = Self::default();
        for card in cards {
            let basis_of_card = card.cost_basis.amount();
            basis.cards.insert(card.code.clone(), basis_of_card);
            let total: u32 = card.recipe.iter().map(|(_, count)| count).sum();
            if total == 0 {
                continue;
            }
            let share = basis_of_card / Decimal::from(total);
            for (fragment, _) in card.recipe {
                let entry = basis.fragments.entry(fragment.clone()).or_default();
                *entry = (*entry).max(share);
            }
        }
        basis.silver = listings
            .into_iter()
            .filter(|(_, price)| *price > 0)
            .filter_map(|(fragment, price)| {
                basis
                    .fragments
                    .get(fragment)
                    .map(|cost| *cost / Decimal::from(price))
            })
            .min()
            .unwrap_or_default();
        basis
    }

    /// What `grants` cost the shop, rounded up to the fen (the budget never under-counts).
    pub fn cost(&self, grants: &Grants) -> Money {
        let fragments: Decimal = grants
            .fragments
            .iter()
            .map(|(code, count)| {
                self.fragments.get(code).copied().unwrap_or_default() * Decimal::from(count.get())
            })
            .sum();
        let card = grants
            .card
            .as_ref()
            .and_then(|code| self.cards.get(code).copied())
            .unwrap_or_default();
        let total = self.silver * Decimal::from(grants.silver) + fragments + card;
        let up = total.round_dp_with_strategy(2, RoundingStrategy::AwayFromZero);
        Money::new(up).unwrap_or(Money::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one() -> FragmentCount {
        serde_json::from_str("1").expect("a count")
    }

    fn code(text: &str) -> Code {
        text.parse().expect("code")
    }

    #[test]
    fn costs_come_from_the_catalogue_and_round_up() {
        let (chili, beer, card) = (code("CHILI"), code("BEER"), code("FREE_DISH"));
        // A free dish costing 18.00 takes 2 chili and 1 beer: each fragment is 6.00 of it.
        let basis = CostBasis::of(
            [CardCost {
                code: &card,
                cost_basis: Money::yuan(18, 0),
                recipe: vec![(&chili, 2), (&beer, 1)],
            }],
            // Beer sells for 30 silver on the market: a silver is worth 0.20.
            [(&beer, 30), (&chili, 20)],
        );
        let table = [
            (Grants::default(), "0.00"),
            (
                Grants {
                    fragments: [(chili.clone(), one())].into(),
                    ..Grants::default()
                },
                "6.00",
            ),
            (
                Grants {
                    silver: 7,
                    ..Grants::default()
                },
                "1.40",
            ),
            (
                Grants {
                    card: Some(card.clone()),
                    fragments: [(beer.clone(), one()), (code("UNUSED"), one())].into(),
                    ..Grants::default()
                },
                "24.00",
            ),
        ];
        for (grants, expected) in table {
            assert_eq!(basis.cost(&grants).to_string(), expected, "{grants:?}");
        }
        // A third of a fen is a whole fen.
        let thirds = CostBasis::of(
            [CardCost {
                code: &card,
                cost_basis: Money::yuan(1, 0),
                recipe: vec![(&chili, 1), (&beer, 2)],
            }],
            [],
        );
        let one = Grants {
            fragments: [(chili, one())].into(),
            ..Grants::default()
        };
        assert_eq!(thirds.cost(&one).to_string(), "0.34");
    }

    #[test]
    fn statuses_move_only_forward_or_between_active_and_paused() {
        use CampaignStatus::*;
        let allowed = [
            (Draft, Active),
            (Active, Paused),
            (Paused, Active),
            (Paused, Ended),
        ];
        for (from, to) in allowed {
            assert!(from.may_become(to), "{from:?} → {to:?}");
        }
        let refused = [
            (Ended, Active),
            (Active, Draft),
            (Paused, Draft),
            (Draft, Paused),
        ];
        for (from, to) in refused {
            assert!(!from.may_become(to), "{from:?} → {to:?}");
        }
    }
}
