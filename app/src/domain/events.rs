//! What happened: one fact per committed change, with its amounts, said once. A change's
//! transaction records it beside its ledger entry; the real-time channel's frames and their
//! recipients are derived from it (`model::realtime`), and the rule engine's triggers read
//! the same facts. Wasm-safe: the console can reason about facts in the browser too.

use serde::{Deserialize, Serialize};

use crate::domain::rules::story::Story;
use crate::domain::{Balance, Clawback, Money, PaymentSplit};

/// Buy fragments with silver, or sell them back.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeSide {
    Buy,
    Sell,
}

/// Where and to whom it happened, and the ledger entry that records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub merchant_id: String,
    pub uid: String,
    pub txn_id: String,
}

impl Party {
    pub fn new(merchant_id: &str, uid: &str, txn_id: &str) -> Self {
        Self {
            merchant_id: merchant_id.to_owned(),
            uid: uid.to_owned(),
            txn_id: txn_id.to_owned(),
        }
    }
}

/// A fact of the product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DomainEvent {
    /// Stored value sold: `paid` at the counter, or `online` through WeChat Pay, `bonus`
    /// given on top.
    Recharged {
        #[serde(flatten)]
        party: Party,
        tier: String,
        paid: Money,
        bonus: Money,
        balance: Balance,
        #[serde(default)]
        online: bool,
    },
    /// Principal paid back in cash — or `online`, to the diner's WeChat Pay — with the bonus
    /// it takes back (the clawback rule).
    CashRefunded {
        #[serde(flatten)]
        party: Party,
        clawback: Clawback,
        #[serde(default)]
        online: bool,
    },
    /// A refund to WeChat Pay the provider refused or failed: its `payout` never left, and
    /// the wallet is as it was before it (`balance`).
    RefundReversed {
        #[serde(flatten)]
        party: Party,
        refund: String,
        payout: Money,
        balance: Balance,
    },
    /// A payment code collected: the bill, what a card took off it, how the rest was paid.
    PaymentCollected {
        #[serde(flatten)]
        party: Party,
        payment_id: String,
        bill: Money,
        deduction: Money,
        split: PaymentSplit,
        card: Option<String>,
        balance: Balance,
    },
    /// A collected payment undone: `returned` to the wallet, the card active again if any.
    PaymentRefunded {
        #[serde(flatten)]
        party: Party,
        payment_id: String,
        returned: Money,
        card_reactivated: Option<String>,
        balance: Balance,
    },
    /// A card redeemed at the counter on its own (not as part of a payment).
    CardRedeemed {
        #[serde(flatten)]
        party: Party,
        card: String,
        card_name: String,
    },
    /// Fragments turned into a card, out of the day's stock.
    Synthesized {
        #[serde(flatten)]
        party: Party,
        card: String,
        card_type: String,
    },
    /// Fragments bought with silver or sold back.
    Traded {
        #[serde(flatten)]
        party: Party,
        fragment: String,
        side: TradeSide,
        quantity: u32,
        silver: u64,
    },
    /// A campaign rewarded the diner: its story, with what it gave.
    Rewarded {
        #[serde(flatten)]
        party: Party,
        campaign: String,
        story_id: String,
        story: Story,
    },
}

impl DomainEvent {
    /// Where, to whom, and which ledger entry.
    pub fn party(&self) -> &Party {
        match self {
            Self::Recharged { party, .. }
            | Self::CashRefunded { party, .. }
            | Self::RefundReversed { party, .. }
            | Self::PaymentCollected { party, .. }
            | Self::PaymentRefunded { party, .. }
            | Self::CardRedeemed { party, .. }
            | Self::Synthesized { party, .. }
            | Self::Traded { party, .. }
            | Self::Rewarded { party, .. } => party,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_says_what_happened_with_its_amounts() {
        let fact = DomainEvent::Recharged {
            party: Party::new("demo", "wx-demo-001", "t1"),
            tier: "充100送20".into(),
            paid: Money::yuan(100, 0),
            bonus: Money::yuan(20, 0),
            balance: Balance::default(),
            online: false,
        };
        let json = serde_json::to_value(&fact).unwrap_or_default();
        assert_eq!(json["type"], "RECHARGED");
        assert_eq!(json["merchant_id"], "demo");
        assert_eq!(json["paid"], "100.00");
        assert_eq!(fact.party().uid, "wx-demo-001");
        let back: Result<DomainEvent, _> = serde_json::from_value(json);
        assert_eq!(back.ok(), Some(fact));
    }
}
