//! The real-time channel's typed events (issue 5): what the server pushes to a diner's app
//! and to a merchant's cashier and boss pages, and who receives each one.
//!
//! Every frame carries the recipient's own sequence number, so a client that reconnects
//! with the last one it saw gets exactly what it missed (see docs/realtime.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Balance, Money};

/// Something that changed, as the people concerned see it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    /// A diner's stored value at a merchant changed (recharge, payment, refund).
    WalletUpdated {
        merchant_id: String,
        uid: String,
        txn_id: String,
        balance: Balance,
    },
    /// A card was redeemed at the counter (it is now USED).
    CardRedeemed {
        merchant_id: String,
        uid: String,
        txn_id: String,
        card: String,
        card_name: String,
    },
    /// A payment code was collected.
    PaymentCollected {
        merchant_id: String,
        uid: String,
        txn_id: String,
        payment_id: String,
        amount: Money,
    },
    /// Silver, fragments or cards of a diner changed (trade, synthesis, reward).
    AssetChanged {
        merchant_id: String,
        uid: String,
        txn_id: String,
    },
}

/// Who a frame is for: one diner (all their merchants), or one merchant's staff.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    Diner(String),
    Merchant(String),
}

impl Recipient {
    /// The key its sequence is counted under, e.g. `diner:wx-demo-001`.
    pub fn key(&self) -> String {
        match self {
            Self::Diner(uid) => format!("diner:{uid}"),
            Self::Merchant(id) => format!("merchant:{id}"),
        }
    }
}

impl Event {
    /// The diner it concerns and the merchant it happened at.
    fn parties(&self) -> (&str, &str) {
        match self {
            Self::WalletUpdated {
                merchant_id, uid, ..
            }
            | Self::CardRedeemed {
                merchant_id, uid, ..
            }
            | Self::PaymentCollected {
                merchant_id, uid, ..
            }
            | Self::AssetChanged {
                merchant_id, uid, ..
            } => (merchant_id, uid),
        }
    }

    /// Everyone who hears of it: the diner, and the merchant's staff for what happens at
    /// their counter (a diner's trades and syntheses are the diner's own business).
    pub fn recipients(&self) -> Vec<Recipient> {
        let (merchant, uid) = self.parties();
        let diner = Recipient::Diner(uid.to_owned());
        match self {
            Self::AssetChanged { .. } => vec![diner],
            _ => vec![diner, Recipient::Merchant(merchant.to_owned())],
        }
    }
}

/// One pushed frame: the event with the recipient's sequence number.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// 1, 2, 3, … per recipient, in commit order, without gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redeemed() -> Event {
        Event::CardRedeemed {
            merchant_id: "demo".into(),
            uid: "wx-demo-001".into(),
            txn_id: "t1".into(),
            card: "c1".into(),
            card_name: "凉菜入席令".into(),
        }
    }

    #[test]
    fn counter_events_reach_the_diner_and_the_shop_asset_events_only_the_diner() {
        assert_eq!(
            redeemed().recipients(),
            [
                Recipient::Diner("wx-demo-001".into()),
                Recipient::Merchant("demo".into())
            ]
        );
        let traded = Event::AssetChanged {
            merchant_id: "demo".into(),
            uid: "wx-demo-001".into(),
            txn_id: "t2".into(),
        };
        assert_eq!(
            traded.recipients(),
            [Recipient::Diner("wx-demo-001".into())]
        );
        assert_eq!(Recipient::Merchant("demo".into()).key(), "merchant:demo");
    }

    #[test]
    fn a_frame_is_flat_json_with_its_type_and_sequence() {
        let frame = Frame {
            seq: 7,
            at: DateTime::<Utc>::UNIX_EPOCH,
            event: redeemed(),
        };
        let json = serde_json::to_value(&frame).unwrap_or_default();
        assert_eq!(json["type"], "CARD_REDEEMED");
        assert_eq!(json["seq"], 7);
        assert_eq!(json["card"], "c1");
        let back: Frame = serde_json::from_value(json).unwrap_or(Frame {
            seq: 0,
            at: DateTime::<Utc>::UNIX_EPOCH,
            event: redeemed(),
        });
        assert_eq!(back.seq, 7);
    }
}
