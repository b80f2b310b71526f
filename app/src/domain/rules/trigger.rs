//! Triggers: what happened that a campaign may answer, with the context it happened in.
//! The server's own changes make theirs from their fact ([`Trigger::of_fact`]) in the
//! change's transaction; clients and feeds post theirs (`POST /api/events`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::condition::Weather;
use super::decide::TriggerType;
use crate::domain::Money;
use crate::domain::checked::Code;
use crate::domain::events::DomainEvent;

/// The context a trigger happened in, as far as it is known (all optional).
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// The weather at the shop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather: Option<Weather>,
    /// The bill of the payment that triggered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Money>,
    /// What a recharge paid in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recharge: Option<Money>,
    /// The card type redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<Code>,
    /// The diner's steps today (WeChat Run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
}

/// A trigger as the rule engine decides it: `id` makes it once-only (a trigger delivered
/// twice is decided once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: TriggerType,
    pub merchant_id: String,
    /// The diner it is about; none for shop-wide triggers (weather, time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default)]
    pub context: Context,
    pub occurred_at: DateTime<Utc>,
}

impl TriggerType {
    /// Whether this trigger is the diner at the shop (counted as a visit, once a day).
    pub fn is_visit(self) -> bool {
        matches!(self, Self::UserEnterShop | Self::PaymentDone)
    }
}

impl Trigger {
    /// The trigger a committed change makes, if the rule engine listens to it: a payment
    /// collected, a card redeemed, a recharge.
    pub fn of_fact(fact: &DomainEvent, id: String, at: DateTime<Utc>) -> Option<Self> {
        let (kind, context) = match fact {
            DomainEvent::PaymentCollected { bill, .. } => (
                TriggerType::PaymentDone,
                Context {
                    payment: Some(*bill),
                    ..Context::default()
                },
            ),
            DomainEvent::CardRedeemed { .. } => (TriggerType::CardRedeemed, Context::default()),
            DomainEvent::Recharged { paid, .. } => (
                TriggerType::RechargeDone,
                Context {
                    recharge: Some(*paid),
                    ..Context::default()
                },
            ),
            DomainEvent::CashRefunded { .. }
            | DomainEvent::RefundReversed { .. }
            | DomainEvent::PaymentRefunded { .. }
            | DomainEvent::Synthesized { .. }
            | DomainEvent::Traded { .. }
            | DomainEvent::Rewarded { .. } => return None,
        };
        let party = fact.party();
        Some(Self {
            id,
            kind,
            merchant_id: party.merchant_id.clone(),
            uid: Some(party.uid.clone()),
            context,
            occurred_at: at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::Party;
    use crate::domain::{Balance, PaymentSplit};

    #[test]
    fn payments_redemptions_and_recharges_trigger_and_rewards_do_not() {
        let party = Party::new("demo", "d1", "t1");
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let paid = DomainEvent::PaymentCollected {
            party: party.clone(),
            payment_id: "p".into(),
            bill: Money::yuan(88, 0),
            deduction: Money::ZERO,
            split: PaymentSplit::default(),
            card: None,
            balance: Balance::default(),
        };
        let trigger = Trigger::of_fact(&paid, "x".into(), at);
        assert_eq!(
            trigger.as_ref().map(|t| (t.kind, t.context.payment)),
            Some((TriggerType::PaymentDone, Some(Money::yuan(88, 0))))
        );
        assert_eq!(trigger.and_then(|t| t.uid).as_deref(), Some("d1"));
        let rewarded = DomainEvent::Rewarded {
            party,
            campaign: "c".into(),
            story_id: "s".into(),
            story: crate::domain::rules::story::Story {
                title: "t".into(),
                scenes: vec![],
                rewards: vec![],
                cta: None,
                art: None,
            },
        };
        assert_eq!(Trigger::of_fact(&rewarded, "y".into(), at), None);
    }

    #[test]
    fn a_posted_context_with_an_unknown_field_is_refused() {
        let read: Result<Context, _> = serde_json::from_str(r#"{"weather":"RAINY","mood":"x"}"#);
        assert!(read.is_err());
        let read: Result<Context, _> = serde_json::from_str(r#"{"weather":"RAINY"}"#);
        assert_eq!(read.ok().and_then(|c| c.weather), Some(Weather::Rainy));
    }
}
