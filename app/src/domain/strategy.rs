//! The Strategist's rules, apart from any I/O: what it knows of a shop ([`Facts`]), what it
//! proposes ([`Proposal`]: a campaign as the rule engine takes it, with why), the expected
//! gross margin our code computes for a proposal — never the model's word — and the
//! offline plan, the deterministic strategist that answers when no model is configured or
//! the model fails.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::Money;
use super::rules::{CampaignSpec, Condition, Weather};

/// The task the Strategist asks a model (and the offline rulebook answers).
pub const PLAN_TASK: &str = "strategist.plan";

/// The margin a proposal must keep, in percent, unless the shop says otherwise.
pub const DEFAULT_MARGIN_FLOOR: u8 = 40;
/// The share of a bill the food costs the shop, in percent, unless the shop says otherwise.
pub const DEFAULT_FOOD_COST: u8 = 35;
/// How far above the floor the offline plan aims, in percent points.
const HEADROOM: u8 = 5;

/// Stock the boss wants moved (or the shop's stock figure says is piling up).
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overstock {
    pub item: String,
    pub count: u32,
}

/// A card type the shop can give, with what one costs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub code: String,
    pub name: String,
    pub cost: Money,
}

/// What the Strategist knows of the shop when it plans (the model reads it as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub shop: String,
    pub weather: Option<Weather>,
    pub overstock: Option<Overstock>,
    /// The card types on offer, cheapest first.
    pub offers: Vec<Offer>,
    /// The average collected bill of the last days, if there were payments.
    pub average_bill: Option<Money>,
    /// The margin a proposal must keep, in percent.
    pub margin_floor: u8,
    /// The share of a bill the food costs, in percent.
    pub food_cost: u8,
    /// What the boss has said they like and dislike, most relevant first.
    pub preferences: Vec<String>,
}

/// A proposed campaign and why.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// A short title for the boss (1–40 characters).
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 40)))]
    pub title: String,
    /// Why, in one to four short lines.
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 4)))]
    pub reasoning: Vec<String>,
    /// How many days it should run (1–30).
    #[cfg_attr(feature = "ssr", schemars(range(min = 1, max = 30)))]
    pub days: u32,
    /// The campaign, as the rule engine saves it.
    pub campaign: CampaignSpec,
}

/// The expected gross margin of the bill a reward is given with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Margin {
    /// The bill it is judged on: the campaign's minimum payment, else the average bill.
    pub bill: Money,
    /// What one reward costs the shop.
    pub reward: Money,
    /// (bill − food cost − reward) / bill, in percent, one decimal (a string on the wire).
    #[serde(with = "rust_decimal::serde::str")]
    pub percent: Decimal,
}

impl Margin {
    /// The margin of `spec`'s reward costing `reward`, or why it cannot be judged.
    pub fn of(spec: &CampaignSpec, reward: Money, facts: &Facts) -> Result<Self, String> {
        let bill = minimum_payment(&spec.condition)
            .or(facts.average_bill)
            .filter(|bill| bill.amount() > Decimal::ZERO)
            .ok_or_else(|| {
                "no bill to judge the margin by: the shop has no recent payments, so the \
                 campaign needs a minimum payment (payment_amount.at_least)"
                    .to_owned()
            })?;
        let kept = Decimal::ONE - percent(facts.food_cost);
        let percent = ((bill.amount() * kept - reward.amount()) / bill.amount()
            * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(1, RoundingStrategy::ToZero);
        Ok(Self {
            bill,
            reward,
            percent,
        })
    }

    pub fn keeps(&self, floor: u8) -> bool {
        self.percent >= Decimal::from(floor)
    }
}

/// What is wrong with a proposal's margin, nothing when it keeps the floor.
pub fn margin_problems(spec: &CampaignSpec, reward: Money, facts: &Facts) -> Vec<String> {
    match Margin::of(spec, reward, facts) {
        Err(why) => vec![why],
        Ok(margin) if margin.keeps(facts.margin_floor) => Vec::new(),
        Ok(margin) => vec![format!(
            "the expected gross margin is {}% on a bill of {} with a reward costing {}: under \
             the shop's floor of {}%; ask a higher minimum payment or give less",
            margin.percent, margin.bill, margin.reward, facts.margin_floor
        )],
    }
}

/// The least a payment must be for `condition` to hold, when it says (every branch of an
/// `all`; the smallest of an `any` whose branches all say).
pub fn minimum_payment(condition: &Condition) -> Option<Money> {
    match condition {
        Condition::PaymentAmount { at_least, .. } => *at_least,
        Condition::All { of } => of.iter().filter_map(minimum_payment).max(),
        Condition::Any { of } if !of.is_empty() => {
            let floors: Option<Vec<Money>> = of.iter().map(minimum_payment).collect();
            floors.and_then(|floors| floors.into_iter().min())
        }
        _ => None,
    }
}

/// `spec` with the daily budget and the minimum bill the boss typed (blank: as proposed);
/// `None` when neither changed. The minimum replaces every payment floor of the condition,
/// or is added to it when it had none.
pub fn edited(
    spec: &CampaignSpec,
    budget: &str,
    minimum: &str,
) -> Result<Option<CampaignSpec>, String> {
    let read = |field: &str, text: &str| -> Result<Option<Money>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<Money>()
            .map(Some)
            .map_err(|e| format!("{field}: {e}"))
    };
    let (budget, minimum) = (read("budget", budget)?, read("minimum", minimum)?);
    let mut edited = spec.clone();
    if let Some(budget) = budget {
        edited.daily_budget_cap = budget;
    }
    if let Some(minimum) = minimum.filter(|m| Some(*m) != minimum_payment(&spec.condition))
        && !set_minimum(&mut edited.condition, minimum)
    {
        let before = std::mem::replace(&mut edited.condition, Condition::All { of: Vec::new() });
        edited.condition = Condition::All {
            of: vec![
                Condition::PaymentAmount {
                    at_least: Some(minimum),
                    at_most: None,
                },
                before,
            ],
        };
    }
    Ok((edited != *spec).then_some(edited))
}

/// Sets every payment floor in `condition` to `minimum`; whether there was one.
fn set_minimum(condition: &mut Condition, minimum: Money) -> bool {
    match condition {
        Condition::PaymentAmount { at_least, .. } => {
            *at_least = Some(minimum);
            true
        }
        Condition::All { of } | Condition::Any { of } => {
            // Every floor, not only the first.
            let mut found = false;
            for child in of.iter_mut() {
                found |= set_minimum(child, minimum);
            }
            found
        }
        _ => false,
    }
}

fn percent(value: u8) -> Decimal {
    Decimal::from(value) / Decimal::ONE_HUNDRED
}

/// The offline strategist's proposal (as the model would write it): the cheapest card on
/// offer, given with a payment large enough to keep the margin a little above the floor —
/// larger with each retry — on rainy days when it rains, once a day per diner. `None` when
/// the shop offers no card to give.
pub fn plan(facts: &Facts, attempt: u32) -> Option<serde_json::Value> {
    let offer = facts.offers.iter().min_by_key(|offer| offer.cost)?;
    let aim = Decimal::ONE
        - percent(facts.food_cost)
        - percent(facts.margin_floor.saturating_add(HEADROOM));
    let aim = aim.max(Decimal::new(5, 2));
    // Each retry asks a quarter more, in whole ten yuan.
    let raise = Decimal::ONE + Decimal::new(25, 2) * Decimal::from(attempt.saturating_sub(1));
    let ten = Decimal::TEN;
    let bill = (offer.cost.amount() / aim * raise / ten).ceil() * ten;
    let bill = bill.max(ten);
    let rainy = facts.weather == Some(Weather::Rainy);
    let mut checks =
        vec![serde_json::json!({"check": "payment_amount", "at_least": bill.to_string()})];
    if rainy {
        checks.push(serde_json::json!({"check": "weather_in", "weather": ["RAINY"]}));
    }
    let item = facts
        .overstock
        .as_ref()
        .map_or_else(|| offer.name.clone(), |stock| stock.item.clone());
    let per_day: u32 = facts
        .overstock
        .as_ref()
        .map_or(20, |stock| (stock.count / 3).clamp(5, 50));
    let budget = (offer.cost.amount() * Decimal::from(per_day)).round_dp(2);
    let title = if rainy {
        format!("雨天满{bill}送{}", offer.name)
    } else {
        format!("满{bill}送{}", offer.name)
    };
    let mut reasoning = vec![match &facts.overstock {
        Some(stock) => format!(
            "{}积压{}份，用{}带走库存",
            stock.item, stock.count, offer.name
        ),
        None => format!("用最便宜的{}拉动客单", offer.name),
    }];
    reasoning.push(format!(
        "满{bill}元才送，一份成本{}，毛利守在{}%以上",
        offer.cost, facts.margin_floor
    ));
    if rainy {
        reasoning.push("只在下雨天触发，雨天客流少，正好拉一把".into());
    }
    // The offline strategist only ever gives a card (送菜, never a discount); it says which
    // of the boss's words it kept in mind.
    if let Some(said) = facts.preferences.first() {
        let said: String = said.chars().take(30).collect();
        reasoning.push(format!("记着老板说过：「{said}」"));
    }
    Some(serde_json::json!({
        "title": title.chars().take(40).collect::<String>(),
        "reasoning": reasoning,
        "days": if rainy { 3 } else { 7 },
        "campaign": {
            "name": title.chars().take(40).collect::<String>(),
            "triggers": ["PAYMENT_DONE"],
            "condition": {"check": "all", "of": checks},
            "priority": 50,
            "affinity": {"tags": {}, "weather": if rainy { serde_json::json!({"RAINY": 20}) } else { serde_json::json!({}) }},
            "action": {
                "story": {
                    "title": "{nickname}，这份送你",
                    "scenes": [{
                        // "雨天也来了": the weather is said only when it is why.
                        "text": if rainy {
                            format!("{{weather}}也来了，满{bill}元送你{{rewards}}，{item}管够")
                        } else {
                            format!("来得正好，满{bill}元送你{{rewards}}，{item}管够")
                        },
                        "mood": if rainy { "RAIN" } else { "CALM" }
                    }],
                    "cta": {"label": "看看我的卡", "action": "OPEN_INVENTORY"}
                },
                "grants": {"card": offer.code}
            },
            "daily_budget_cap": budget.to_string(),
            "limits": {"per_diner_per_day": 1},
            "holdout_percent": 10
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(weather: Option<Weather>, average_bill: Option<Money>) -> Facts {
        Facts {
            shop: "老成都川菜馆".into(),
            weather,
            overstock: Some(Overstock {
                item: "鸭脖".into(),
                count: 500,
            }),
            offers: vec![
                Offer {
                    code: "HOTPOT_30".into(),
                    name: "火锅立减入席令".into(),
                    cost: Money::yuan(30, 0),
                },
                Offer {
                    code: "FREE_APPETIZER".into(),
                    name: "凉菜入席令".into(),
                    cost: Money::yuan(6, 0),
                },
            ],
            average_bill,
            margin_floor: DEFAULT_MARGIN_FLOOR,
            food_cost: DEFAULT_FOOD_COST,
            preferences: Vec::new(),
        }
    }

    fn proposal(value: serde_json::Value) -> Proposal {
        serde_json::from_value(value).expect("the plan reads as a proposal")
    }

    #[test]
    fn the_offline_plan_gives_the_cheapest_card_on_rainy_days_above_the_margin_floor() {
        let facts = facts(Some(Weather::Rainy), None);
        let plan = proposal(plan(&facts, 1).expect("a plan"));
        assert!(
            plan.campaign.check().is_empty(),
            "{:?}",
            plan.campaign.check()
        );
        assert_eq!(
            plan.campaign
                .action
                .grants
                .card
                .as_ref()
                .map(|c| c.as_str()),
            Some("FREE_APPETIZER")
        );
        let margin = Margin::of(&plan.campaign, Money::yuan(6, 0), &facts).expect("judged");
        // 6.00 / (1 − 0.35 − 0.45) = 30.00: (30 × 0.65 − 6) / 30 = 45 %.
        assert_eq!(margin.bill, Money::yuan(30, 0));
        assert_eq!(margin.percent, Decimal::from(45));
        assert!(margin_problems(&plan.campaign, Money::yuan(6, 0), &facts).is_empty());
        assert!(plan.reasoning.iter().any(|line| line.contains("鸭脖")));
        let json = serde_json::to_string(&plan.campaign.condition).expect("json");
        assert!(json.contains("RAINY"), "{json}");
    }

    #[test]
    fn the_same_facts_give_the_same_plan_and_a_retry_asks_a_higher_bill() {
        let facts = facts(None, None);
        assert_eq!(plan(&facts, 1), plan(&facts, 1));
        let first = minimum_payment(&proposal(plan(&facts, 1).expect("plan")).campaign.condition);
        let second = minimum_payment(&proposal(plan(&facts, 2).expect("plan")).campaign.condition);
        assert!(second > first, "{first:?} {second:?}");
        assert!(
            plan(
                &Facts {
                    offers: Vec::new(),
                    ..facts
                },
                1
            )
            .is_none()
        );
    }

    #[test]
    fn a_margin_under_the_floor_says_by_how_much_and_what_to_change() {
        let facts = facts(None, Some(Money::yuan(20, 0)));
        let mut spec = proposal(plan(&facts, 1).expect("plan")).campaign;
        // No payment threshold: judged on the average bill of 20.00, with a 30.00 card.
        spec.condition = Condition::All { of: Vec::new() };
        let problems = margin_problems(&spec, Money::yuan(30, 0), &facts);
        let [problem] = problems.as_slice() else {
            panic!("{problems:?}")
        };
        assert!(
            problem.contains("-85") && problem.contains("40%"),
            "{problem}"
        );
        // Without payments or a threshold there is nothing to judge by.
        let unknown = Facts {
            average_bill: None,
            ..facts
        };
        let problems = margin_problems(&spec, Money::yuan(6, 0), &unknown);
        assert!(
            problems.iter().any(|p| p.contains("minimum payment")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_minimum_payment_is_read_through_all_and_any() {
        let at_least = |yuan| Condition::PaymentAmount {
            at_least: Some(Money::yuan(yuan, 0)),
            at_most: None,
        };
        let all = Condition::All {
            of: vec![
                at_least(30),
                at_least(50),
                Condition::WeatherIn {
                    weather: vec![Weather::Rainy],
                },
            ],
        };
        assert_eq!(minimum_payment(&all), Some(Money::yuan(50, 0)));
        let any = Condition::Any {
            of: vec![at_least(30), at_least(50)],
        };
        assert_eq!(minimum_payment(&any), Some(Money::yuan(30, 0)));
        let open = Condition::Any {
            of: vec![
                at_least(30),
                Condition::WeatherIn {
                    weather: vec![Weather::Rainy],
                },
            ],
        };
        assert_eq!(minimum_payment(&open), None);
    }
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    fn planned() -> CampaignSpec {
        let facts = Facts {
            shop: "店".into(),
            weather: Some(Weather::Rainy),
            overstock: None,
            offers: vec![Offer {
                code: "FREE_APPETIZER".into(),
                name: "凉菜入席令".into(),
                cost: Money::yuan(6, 0),
            }],
            average_bill: None,
            margin_floor: DEFAULT_MARGIN_FLOOR,
            food_cost: DEFAULT_FOOD_COST,
            preferences: Vec::new(),
        };
        let plan = plan(&facts, 1).expect("a plan");
        let proposal: Proposal = serde_json::from_value(plan).expect("a proposal");
        proposal.campaign
    }

    #[test]
    fn blank_or_unchanged_fields_are_no_edit() {
        let spec = planned();
        let minimum = minimum_payment(&spec.condition)
            .expect("a floor")
            .to_string();
        assert_eq!(edited(&spec, "", ""), Ok(None));
        assert_eq!(
            edited(&spec, &spec.daily_budget_cap.to_string(), &minimum),
            Ok(None)
        );
    }

    #[test]
    fn a_new_budget_and_minimum_bill_change_the_campaign_and_bad_numbers_are_refused() {
        let spec = planned();
        let changed = edited(&spec, "88", "120").expect("reads").expect("an edit");
        assert_eq!(changed.daily_budget_cap, Money::yuan(88, 0));
        assert_eq!(
            minimum_payment(&changed.condition),
            Some(Money::yuan(120, 0))
        );
        let mut floorless = spec.clone();
        floorless.condition = Condition::WeatherIn {
            weather: vec![Weather::Rainy],
        };
        let added = edited(&floorless, "", "99")
            .expect("reads")
            .expect("an edit");
        assert_eq!(minimum_payment(&added.condition), Some(Money::yuan(99, 0)));
        assert!(edited(&spec, "lots", "").is_err());
        assert!(edited(&spec, "", "-5").is_err());
    }
}
