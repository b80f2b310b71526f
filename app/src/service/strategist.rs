//! The Strategist (seed Workflow A): sense the shop (its cards and their costs, the weather,
//! the bills of the last days, the stock the boss wants moved) → propose (the model, or the
//! offline strategist, writes a campaign; our code checks it as the rule engine would and
//! computes its margin, asking again with the problems) → the boss decides (approve, edit
//! then approve, or reject with a reason). An approved campaign goes live in the decision's
//! own checkpoint transaction.

use std::sync::LazyLock;

use agent::{Graph, Next, NodeError, Run, Step, Workflow};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::models::AnswerSchema;
use crate::domain::Money;
use crate::domain::rules::CampaignSpec;
use crate::domain::strategy::{
    DEFAULT_FOOD_COST, Facts, Margin, Offer, Overstock, PLAN_TASK, Proposal, margin_problems, plan,
};
use crate::error::AppError;
pub use crate::model::agent::{Answer, Card, Projection};
use crate::state::AppState;

/// The days of bills the Strategist reads.
const SENSED_DAYS: i64 = 14;

/// What the boss asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub overstock: Option<Overstock>,
    /// The boss's own words, if any.
    pub note: Option<String>,
}

impl Goal {
    /// What the goal is about, in words: the preferences nearest to it are recalled.
    pub fn about(&self) -> String {
        let stock = self
            .overstock
            .as_ref()
            .map(|stock| format!("{} {}", stock.item, stock.count));
        [self.note.clone(), stock]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What the boss decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Decision {
    Approved { campaign: String },
    Rejected { reason: String },
}

/// The Strategist's state (version 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub goal: Goal,
    pub facts: Option<Facts>,
    pub card: Option<Card>,
    pub decision: Option<Decision>,
}

/// The workflow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Strategist;

impl Workflow<AppState> for Strategist {
    type State = Plan;
    const NAME: &'static str = "strategist";
    const VERSION: u32 = 1;

    fn graph(&self) -> Graph {
        Graph::new("sense")
            .edge("sense", "propose")
            .interrupt("propose", "decide")
            // An edit that does not pass goes back to the boss with its problems.
            .interrupt("decide", "decide")
            .end("decide")
    }

    fn check_answer(
        &self,
        _then: &str,
        _ask: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String> {
        match serde_json::from_value::<Answer>(answer.clone()) {
            Ok(Answer::Reject { reason }) if reason.trim().is_empty() => {
                Err("a rejection needs its reason".into())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(format!(
                "the answer is {{\"verdict\": \"approve\"}} (with an edited \"campaign\" if any) or {{\"verdict\": \"reject\", \"reason\": …}}: {e}"
            )),
        }
    }

    async fn run(
        &self,
        state: &AppState,
        run: Run<'_>,
        plan: Plan,
    ) -> Result<Step<Plan>, NodeError> {
        match run.node {
            "sense" => sense(state, run, plan).await,
            "propose" => propose(state, run, plan).await,
            "decide" => decide(state, run, plan).await,
            other => Err(NodeError(format!("the strategist has no node {other}"))),
        }
    }
}

fn node_error(err: impl std::fmt::Display) -> NodeError {
    NodeError(err.to_string())
}

/// Starts the Strategist for `merchant` at `by`'s request; its thread's id.
pub async fn start(
    state: &AppState,
    merchant: &str,
    by: &str,
    goal: Goal,
) -> Result<String, AppError> {
    let plan = Plan {
        goal,
        ..Plan::default()
    };
    Ok(state
        .agent
        .start::<Strategist>(state, None, merchant, Some(by), &plan)
        .await?)
}

/// Starts the Strategist for `merchant` once per `occasion` (a period of the schedule, a
/// rainy day): the thread's id is derived from the two, so a second start of the same
/// occasion — another round, another process — starts nothing. The id of the thread it
/// started, if it did.
pub async fn start_once(
    state: &AppState,
    merchant: &str,
    occasion: &str,
    goal: Goal,
) -> Result<Option<String>, AppError> {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("strategist\u{0}{merchant}\u{0}{occasion}"));
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    let id = uuid::Uuid::new_v8(bytes).to_string();
    let plan = Plan {
        goal,
        ..Plan::default()
    };
    match state
        .agent
        .start::<Strategist>(state, Some(id), merchant, None, &plan)
        .await
    {
        Ok(id) => Ok(Some(id)),
        Err(agent::Error::AlreadyStarted(_)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Starts what is due for `merchant` at `now` without the boss asking: a routine proposal
/// every `every_days` days of the shop's calendar (0: never), and one on a day the last
/// weather reading says rain or snow (diners stay home). Each occasion once.
pub async fn propose_when_due(
    state: &AppState,
    merchant: &str,
    now: chrono::DateTime<Utc>,
    every_days: u32,
) -> Result<Vec<String>, AppError> {
    use chrono::Datelike;
    let shop = super::shops::shop(state, merchant).await?;
    let today = now.with_timezone(&shop.zone).date_naive();
    let mut started = Vec::new();
    if every_days > 0 {
        let period = today.num_days_from_ce() / i32::try_from(every_days).unwrap_or(i32::MAX);
        let goal = Goal {
            overstock: None,
            note: Some("例行检查：看看最近的生意，提一个方案".into()),
        };
        started.extend(
            start_once(
                state,
                merchant,
                &format!("routine:{every_days}:{period}"),
                goal,
            )
            .await?,
        );
    }
    let reading = db::rules::shop_weather_reading(&state.db, merchant).await?;
    if let Some(reading) = reading.filter(|r| r.at.with_timezone(&shop.zone).date_naive() == today)
        && matches!(reading.weather.as_str(), "RAINY" | "SNOWY")
    {
        let goal = Goal {
            overstock: None,
            note: Some(if reading.weather == "RAINY" {
                "今天下雨，客人少，想个办法把人请进来".into()
            } else {
                "今天下雪，客人少，想个办法把人请进来".into()
            }),
        };
        started.extend(start_once(state, merchant, &format!("weather:{today}"), goal).await?);
    }
    Ok(started)
}

/// Reads what the Strategist knows of the shop.
async fn sense(state: &AppState, run: Run<'_>, mut plan: Plan) -> Result<Step<Plan>, NodeError> {
    let merchant = run.merchant;
    let since = Utc::now() - Duration::days(SENSED_DAYS);
    let about = plan.goal.about();
    let (shop, catalog, weather, takings, preferences) = tokio::join!(
        super::shops::shop(state, merchant),
        super::catalog::of_shop(state, merchant),
        super::rules::shop_weather(state, merchant),
        db::ledger::takings_since(&state.db, merchant, since),
        super::memory::recall(state, merchant, &about, super::memory::RECALLED),
    );
    let (shop, catalog) = (shop.map_err(node_error)?, catalog.map_err(node_error)?);
    let weather = weather.map_err(node_error)?;
    let takings = takings.map_err(node_error)?;
    let basis = super::rules::cost_basis(&catalog);
    let mut offers: Vec<Offer> = catalog
        .card_types
        .iter()
        .filter(|kind| kind.active)
        .filter_map(|kind| {
            let code = kind.code.parse().ok()?;
            let grants = crate::domain::rules::Grants {
                card: Some(code),
                ..Default::default()
            };
            Some(Offer {
                code: kind.code.clone(),
                name: kind.name.clone(),
                cost: basis.cost(&grants),
            })
        })
        .collect();
    offers.sort_by_key(|offer| offer.cost);
    let average_bill = u32::try_from(takings.payments)
        .ok()
        .filter(|payments| *payments > 0)
        .and_then(|payments| {
            Money::new((takings.total / rust_decimal::Decimal::from(payments)).round_dp(2)).ok()
        });
    plan.facts = Some(Facts {
        shop: shop.name.clone(),
        weather,
        overstock: plan.goal.overstock.clone(),
        offers,
        average_bill,
        margin_floor: shop.margin_floor,
        food_cost: DEFAULT_FOOD_COST,
        preferences: preferences.map_err(node_error)?,
    });
    Ok(Step::to(plan, Next::goto("propose")))
}

/// The instructions of the plan task: the role, the rules our code will hold it to, and the
/// answer's schema.
fn instructions(facts: &Facts) -> String {
    format!(
        "You are the marketing strategist of the restaurant {shop}. Propose one campaign for \
         its rule engine that moves the stock in the facts (if any) and keeps the expected \
         gross margin of the bill it is given with at or above {floor}% (the food costs \
         {food}% of a bill; the reward's cost comes from the card's cost). Give only cards \
         from the facts' offers. Respect the boss's preferences. Answer with one JSON \
         object that follows this JSON Schema:\n{schema}",
        shop = facts.shop,
        floor = facts.margin_floor,
        food = facts.food_cost,
        schema = proposal_schema(),
    )
}

/// Asks for a proposal until one passes the rule engine's checks and the margin floor;
/// gives up, saying why, when none does.
async fn propose(state: &AppState, run: Run<'_>, mut plan: Plan) -> Result<Step<Plan>, NodeError> {
    let facts = plan
        .facts
        .clone()
        .ok_or_else(|| NodeError("propose runs after sense".into()))?;
    let catalog = super::catalog::of_shop(state, run.merchant)
        .await
        .map_err(node_error)?;
    let basis = super::rules::cost_basis(&catalog);
    let validator = proposal_validator().map_err(NodeError)?;
    let request = llm::ChatRequest {
        task: PLAN_TASK.into(),
        tier: llm::Tier::Strategy,
        merchant: run.merchant.to_owned(),
        thread: Some(run.thread.to_owned()),
        system: instructions(&facts),
        facts: serde_json::to_value(&facts).map_err(node_error)?,
        messages: Vec::new(),
        attempt: 1,
    };
    let check = |proposal: &Proposal| {
        problems(&proposal.campaign, &catalog, &facts).unwrap_or_else(|err| vec![err.to_string()])
    };
    let answer = match super::models::ask(state, request, validator, check).await {
        Ok(answer) => answer,
        Err(llm::AskError::Invalid { problems, .. }) => {
            return Ok(Step::to(
                plan,
                Next::fail(format!(
                    "no proposal passed the checks: {}",
                    problems.join("; ")
                )),
            ));
        }
        // No model answered now: the run is tried again later.
        Err(err @ llm::AskError::Call { .. }) => return Err(node_error(err)),
    };
    let proposal = answer.value;
    let margin = Margin::of(
        &proposal.campaign,
        basis.cost(&proposal.campaign.action.grants),
        &facts,
    )
    .map_err(NodeError)?;
    let projection = project(state, run, &proposal.campaign).await?;
    let card = Card {
        proposal,
        margin,
        projection,
        model: answer.model,
        degraded: answer.degraded,
        problems: Vec::new(),
    };
    let ask = serde_json::to_value(&card).map_err(node_error)?;
    plan.card = Some(card);
    Ok(Step::to(plan, Next::interrupt(ask, "decide")))
}

/// Everything wrong with `spec` as a proposal: what the rule engine refuses when a campaign
/// is saved, and a margin under the shop's floor.
fn problems(
    spec: &CampaignSpec,
    catalog: &db::catalog::Catalog,
    facts: &Facts,
) -> Result<Vec<String>, AppError> {
    let mut problems: Vec<String> = super::rules::campaign_problems(spec, catalog)?
        .into_iter()
        .map(|p| format!("campaign.{}: {}", p.field, p.message))
        .collect();
    let reward = super::rules::cost_basis(catalog).cost(&spec.action.grants);
    problems.extend(margin_problems(spec, reward, facts));
    Ok(problems)
}

/// The proposal's campaign replayed over the shop's recorded triggers of the sensed days.
async fn project(
    state: &AppState,
    run: Run<'_>,
    campaign: &CampaignSpec,
) -> Result<Projection, NodeError> {
    let days = u32::try_from(SENSED_DAYS).unwrap_or(u32::MAX);
    let code = campaign_code(run.thread);
    let replay =
        super::rules::lab::backtest_of(state, run.merchant, &code, 1, campaign, days, Utc::now())
            .await
            .map_err(node_error)?;
    let campaign = replay
        .campaigns
        .into_iter()
        .find(|replayed| replayed.campaign == code)
        .unwrap_or_default();
    Ok(Projection {
        days,
        triggers: replay.triggers,
        campaign,
    })
}

/// The campaign code of a thread's proposal: `AI_` and the thread id's first characters.
pub fn campaign_code(thread: &str) -> String {
    let id: String = thread
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(20)
        .collect();
    format!("AI_{id}")
}

/// The boss's answer: an approval writes the campaign ACTIVE with this step (once, however
/// often the node runs); an edit is checked as a proposal is, and goes back to the boss
/// with its problems; a rejection is kept with its reason.
async fn decide(state: &AppState, run: Run<'_>, mut plan: Plan) -> Result<Step<Plan>, NodeError> {
    let answer: Answer = run
        .answer
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(node_error)?
        .ok_or_else(|| NodeError("decide runs with the boss's answer".into()))?;
    let (Some(mut card), Some(facts)) = (plan.card.clone(), plan.facts.clone()) else {
        return Err(NodeError("decide runs after propose".into()));
    };
    let spec = match answer {
        Answer::Reject { reason } => {
            // The reason is remembered with the decision's step, once.
            let remembered = super::memory::preference(
                state,
                run.merchant,
                &reason,
                super::memory::Source::Rejection,
                Some(run.thread),
            )
            .await
            .map_err(node_error)?;
            plan.decision = Some(Decision::Rejected { reason });
            return Ok(
                Step::to(plan, Next::End).with_effect(db::agent::Effect::Remember(remembered))
            );
        }
        Answer::Approve { campaign } => {
            campaign.map_or_else(|| card.proposal.campaign.clone(), |edited| *edited)
        }
    };
    let catalog = super::catalog::of_shop(state, run.merchant)
        .await
        .map_err(node_error)?;
    let problems = problems(&spec, &catalog, &facts).map_err(node_error)?;
    if !problems.is_empty() {
        card.proposal.campaign = spec;
        card.problems = problems;
        let ask = serde_json::to_value(&card).map_err(node_error)?;
        plan.card = Some(card);
        return Ok(Step::to(plan, Next::interrupt(ask, "decide")));
    }
    let now = Utc::now();
    let mut live = spec;
    live.valid_from = Some(now);
    live.valid_until = Some(now + Duration::days(i64::from(card.proposal.days)));
    let code = campaign_code(run.thread);
    let save = db::rules::CampaignSave {
        merchant: run.merchant.to_owned(),
        code: code.clone(),
        name: live.name.to_string(),
        status: crate::domain::rules::CampaignStatus::Active
            .as_str()
            .to_owned(),
        expected: None,
        spec: serde_json::to_value(&live).map_err(node_error)?,
        by: Some(format!("strategist:{}", run.thread)),
    };
    plan.decision = Some(Decision::Approved { campaign: code });
    Ok(Step::to(plan, Next::End).with_effect(db::agent::Effect::SaveCampaign(save)))
}

/// The JSON Schema of a proposal, as the model is told and its answers are checked.
static PROPOSAL: LazyLock<AnswerSchema> = LazyLock::new(AnswerSchema::of::<Proposal>);

/// The proposal schema.
pub fn proposal_schema() -> &'static serde_json::Value {
    PROPOSAL.schema()
}

/// The proposal schema's validator.
pub fn proposal_validator() -> Result<&'static jsonschema::Validator, String> {
    PROPOSAL.validator()
}

/// Adds the offline strategist to `rulebook`: the plan of the request's facts, asking a
/// higher bill with each retry.
pub fn offline(rulebook: llm::Rulebook) -> llm::Rulebook {
    rulebook.with(
        PLAN_TASK,
        |request: &llm::ChatRequest| match serde_json::from_value::<Facts>(request.facts.clone()) {
            Ok(facts) => plan(&facts, request.attempt).unwrap_or_else(
                || serde_json::json!({ "problem": "the shop offers no card type to give" }),
            ),
            Err(e) => serde_json::json!({ "problem": format!("the facts do not read: {e}") }),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;
    use crate::domain::rules::Weather;
    use crate::domain::strategy::{DEFAULT_FOOD_COST, DEFAULT_MARGIN_FLOOR, Offer, Overstock};
    use llm::ChatModel;

    fn facts() -> Facts {
        Facts {
            shop: "老成都川菜馆".into(),
            weather: Some(Weather::Rainy),
            overstock: Some(Overstock {
                item: "鸭脖".into(),
                count: 500,
            }),
            offers: vec![Offer {
                code: "FREE_APPETIZER".into(),
                name: "凉菜入席令".into(),
                cost: Money::yuan(6, 0),
            }],
            average_bill: None,
            margin_floor: DEFAULT_MARGIN_FLOOR,
            food_cost: DEFAULT_FOOD_COST,
            preferences: Vec::new(),
        }
    }

    fn request(facts: serde_json::Value) -> llm::ChatRequest {
        llm::ChatRequest {
            task: PLAN_TASK.into(),
            tier: llm::Tier::Strategy,
            merchant: "demo".into(),
            thread: None,
            system: String::new(),
            facts,
            messages: Vec::new(),
            attempt: 1,
        }
    }

    #[tokio::test]
    async fn the_offline_strategists_plan_passes_the_proposal_schema() {
        let validator = proposal_validator().expect("the schema compiles");
        let facts = serde_json::to_value(facts()).expect("facts");
        let answer = llm::ask_json::<Proposal, _>(
            &offline(llm::Rulebook::new()),
            request(facts),
            validator,
            1,
            |_| Vec::new(),
        )
        .await
        .expect("a valid proposal");
        assert!(
            answer.value.title.contains("凉菜入席令"),
            "{}",
            answer.value.title
        );
    }

    #[tokio::test]
    async fn facts_that_do_not_read_give_an_answer_the_schema_refuses() {
        let validator = proposal_validator().expect("the schema compiles");
        let reply = offline(llm::Rulebook::new())
            .chat(&request(serde_json::json!({ "shop": 1 })))
            .await
            .expect("an answer");
        let json: serde_json::Value = serde_json::from_str(&reply.content).expect("json");
        assert!(!llm::schema_problems(validator, &json).is_empty());
    }
}
