//! The real-time channel's frames (issue 5): what the server pushes to a diner's app and to a
//! merchant's cashier and boss pages, and who receives each one — derived from the domain's
//! facts (`domain::events`), as the people concerned see them.
//!
//! Every frame carries the recipient's own sequence number, so a client that reconnects
//! with the last one it saw gets exactly what it missed (see docs/realtime.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::events::DomainEvent;
use crate::domain::rules::Story;
use crate::domain::{Balance, CardStatus, Money};
use crate::model::figures::DayFigures;

/// A wallet's change through WeChat Pay, and its amount.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnlineMove {
    /// A recharge paid in the mini program.
    Recharged { amount: Money },
    /// Principal refunded to WeChat Pay (`amount` paid back).
    Refunded { amount: Money },
    /// A refund to WeChat Pay that failed, put back into the wallet.
    Reversed { amount: Money },
}

/// Something that changed, as the people concerned see it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    /// A diner's stored value at a merchant changed (recharge, stored-value refund).
    WalletUpdated {
        merchant_id: String,
        uid: String,
        txn_id: String,
        balance: Balance,
        /// Through WeChat Pay: what moved (absent at the counter).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        online: Option<OnlineMove>,
    },
    /// A card was redeemed at the counter: its new `status` is USED.
    CardRedeemed {
        merchant_id: String,
        uid: String,
        txn_id: String,
        card: String,
        card_name: String,
        status: CardStatus,
    },
    /// A payment code was collected (with the card it used, now USED, and the new balance).
    PaymentCollected {
        merchant_id: String,
        uid: String,
        txn_id: String,
        payment_id: String,
        amount: Money,
        card: Option<String>,
        balance: Balance,
    },
    /// A collected payment was refunded: `amount` back to the wallet, the card it used active
    /// again (`card`) if it had not expired, and the new balance.
    PaymentRefunded {
        merchant_id: String,
        uid: String,
        txn_id: String,
        payment_id: String,
        amount: Money,
        card: Option<String>,
        balance: Balance,
    },
    /// Silver, fragments or cards of a diner changed (trade, synthesis, reward).
    AssetChanged {
        merchant_id: String,
        uid: String,
        txn_id: String,
    },
    /// A campaign's story for the diner, with what it gave (also kept in their inbox).
    Story {
        merchant_id: String,
        uid: String,
        txn_id: String,
        campaign: String,
        story_id: String,
        story: Story,
    },
    /// A campaign rewarded a diner (for the shop's staff): what it cost, and the campaign's
    /// spend and rewards of the shop's day with it.
    RewardGiven {
        merchant_id: String,
        uid: String,
        txn_id: String,
        campaign: String,
        cost: Money,
        used_today: Money,
        granted_today: u32,
    },
    /// An agent workflow moved on (a node ran, it waits for an answer, it ended): for the
    /// shop's staff who manage campaigns, never the cashiers.
    WorkflowProgress {
        merchant_id: String,
        thread_id: String,
        workflow: String,
        /// The node that ran ('' at the start, 'resume' for an answer, 'restart').
        node: String,
        step: i64,
        /// RUNNING, WAITING, DONE or FAILED.
        status: String,
    },
    /// Today's figures moved (for the shop's staff who see its numbers, never the
    /// cashiers): the dashboard shows them as they are.
    FiguresUpdated {
        merchant_id: String,
        figures: DayFigures,
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
    /// Whose events a signed-in caller hears: a diner their own, staff their merchant's.
    #[cfg(feature = "ssr")]
    pub fn of(principal: &crate::auth::Principal) -> Self {
        match principal {
            crate::auth::Principal::Diner { uid } => Self::Diner(uid.clone()),
            crate::auth::Principal::Staff { merchant_id, .. } => {
                Self::Merchant(merchant_id.clone())
            }
        }
    }

    /// The key its sequence is counted under, e.g. `diner:wx-demo-001`.
    pub fn key(&self) -> String {
        match self {
            Self::Diner(uid) => format!("diner:{uid}"),
            Self::Merchant(id) => format!("merchant:{id}"),
        }
    }
}

impl Event {
    /// The diner it concerns (if any) and the merchant it happened at.
    fn parties(&self) -> (&str, Option<&str>) {
        match self {
            Self::WorkflowProgress { merchant_id, .. }
            | Self::FiguresUpdated { merchant_id, .. } => (merchant_id, None),
            Self::WalletUpdated {
                merchant_id, uid, ..
            }
            | Self::CardRedeemed {
                merchant_id, uid, ..
            }
            | Self::PaymentCollected {
                merchant_id, uid, ..
            }
            | Self::PaymentRefunded {
                merchant_id, uid, ..
            }
            | Self::AssetChanged {
                merchant_id, uid, ..
            }
            | Self::Story {
                merchant_id, uid, ..
            }
            | Self::RewardGiven {
                merchant_id, uid, ..
            } => (merchant_id, Some(uid)),
        }
    }

    /// Whether it is news for the counter's feed (a line of its own); the figures are the
    /// dashboard's.
    pub fn is_news(&self) -> bool {
        !matches!(self, Self::FiguresUpdated { .. })
    }

    /// Everyone who hears of it: the diner, and the merchant's staff for what happens at
    /// their counter (a diner's trades and syntheses are the diner's own business).
    pub fn recipients(&self) -> Vec<Recipient> {
        let (merchant, uid) = self.parties();
        let shop = Recipient::Merchant(merchant.to_owned());
        let Some(uid) = uid else {
            return vec![shop];
        };
        let diner = Recipient::Diner(uid.to_owned());
        match self {
            Self::AssetChanged { .. } | Self::Story { .. } => vec![diner],
            Self::RewardGiven { .. } => vec![shop],
            _ => vec![diner, shop],
        }
    }
}

/// Whether `principal` may hear an event that `needs` a permission (see [`Event::needs`]).
#[cfg(feature = "ssr")]
pub fn hears(principal: &crate::auth::Principal, needs: Option<crate::auth::Permission>) -> bool {
    match (needs, principal) {
        (Some(permission), crate::auth::Principal::Staff { role, .. }) => {
            role.permissions().contains(&permission)
        }
        _ => true,
    }
}

#[cfg(feature = "ssr")]
impl Event {
    /// What a member of the shop's staff must be allowed to hear it (none: every one).
    pub fn needs(&self) -> Option<crate::auth::Permission> {
        match self {
            Self::WorkflowProgress { .. } => Some(crate::auth::Permission::ManageCampaigns),
            Self::FiguresUpdated { .. } => Some(crate::auth::Permission::ViewFigures),
            _ => None,
        }
    }

    /// Whether `principal` (a socket's, a page's caller) may hear it: a diner hears their
    /// own log whole; staff hear their shop's, less what their role is not allowed.
    pub fn heard_by(&self, principal: &crate::auth::Principal) -> bool {
        hears(principal, self.needs())
    }

    /// The `SCREAMING_SNAKE_CASE` name a frame carries in `type`.
    pub fn kind(&self) -> &'static str {
        self.into()
    }

    /// The event as the log stores it, with its recipients' keys (numbered later).
    pub fn publication(&self) -> Result<db::events::NewEvent, crate::error::AppError> {
        let payload = serde_json::to_value(self).map_err(|e| {
            crate::error::AppError::Internal(format!("cannot serialise an event: {e}"))
        })?;
        Ok(db::events::NewEvent {
            recipients: self.recipients().iter().map(Recipient::key).collect(),
            kind: self.kind().to_owned(),
            payload,
        })
    }
}

/// One pushed frame: the event with the recipient's sequence number.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// 1, 2, 3, … per recipient, in commit order, without gaps in the log (a member of
    /// staff is not sent what their role may not hear: their numbers skip it).
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: Event,
}

impl Frame {
    /// The frame of a numbered event from the log (its payload is the event's JSON).
    #[cfg(feature = "ssr")]
    pub fn from_stored(stored: &db::events::StoredEvent) -> Result<Self, crate::error::AppError> {
        let broken = |what: String| {
            crate::error::AppError::Internal(format!(
                "event {}#{} {what}",
                stored.recipient, stored.seq
            ))
        };
        Ok(Self {
            seq: u64::try_from(stored.seq).map_err(|_| broken("has a negative number".into()))?,
            at: stored.at,
            event: serde_json::from_value(stored.payload.clone())
                .map_err(|e| broken(format!("is not an event: {e}")))?,
        })
    }
}

impl From<&DomainEvent> for Event {
    /// The frame of a fact: a wallet's new balance after a recharge or a cash refund, a
    /// payment collected or refunded, a card redeemed; a trade or a synthesis is news of the
    /// diner's assets.
    fn from(fact: &DomainEvent) -> Self {
        let party = fact.party();
        let (merchant_id, uid, txn_id) = (
            party.merchant_id.clone(),
            party.uid.clone(),
            party.txn_id.clone(),
        );
        match fact {
            DomainEvent::Recharged {
                balance,
                paid,
                online,
                ..
            } => Self::WalletUpdated {
                merchant_id,
                uid,
                txn_id,
                balance: *balance,
                online: online.then_some(OnlineMove::Recharged { amount: *paid }),
            },
            DomainEvent::CashRefunded {
                clawback, online, ..
            } => Self::WalletUpdated {
                merchant_id,
                uid,
                txn_id,
                balance: clawback.after,
                online: online.then_some(OnlineMove::Refunded {
                    amount: clawback.payout,
                }),
            },
            DomainEvent::RefundReversed {
                payout, balance, ..
            } => Self::WalletUpdated {
                merchant_id,
                uid,
                txn_id,
                balance: *balance,
                online: Some(OnlineMove::Reversed { amount: *payout }),
            },
            DomainEvent::PaymentCollected {
                payment_id,
                bill,
                card,
                balance,
                ..
            } => Self::PaymentCollected {
                merchant_id,
                uid,
                txn_id,
                payment_id: payment_id.clone(),
                amount: *bill,
                card: card.clone(),
                balance: *balance,
            },
            DomainEvent::PaymentRefunded {
                payment_id,
                returned,
                card_reactivated,
                balance,
                ..
            } => Self::PaymentRefunded {
                merchant_id,
                uid,
                txn_id,
                payment_id: payment_id.clone(),
                amount: *returned,
                card: card_reactivated.clone(),
                balance: *balance,
            },
            DomainEvent::CardRedeemed {
                card, card_name, ..
            } => Self::CardRedeemed {
                merchant_id,
                uid,
                txn_id,
                card: card.clone(),
                card_name: card_name.clone(),
                status: CardStatus::Used,
            },
            DomainEvent::Synthesized { .. } | DomainEvent::Traded { .. } => Self::AssetChanged {
                merchant_id,
                uid,
                txn_id,
            },
            DomainEvent::Rewarded {
                campaign,
                story_id,
                story,
                ..
            } => Self::Story {
                merchant_id,
                uid,
                txn_id,
                campaign: campaign.clone(),
                story_id: story_id.clone(),
                story: story.clone(),
            },
        }
    }
}

/// Today's events at the shop, oldest first, and the shop's offset from UTC (seconds) to
/// show their times on its clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayAtShop {
    pub frames: Vec<Frame>,
    pub utc_offset: i32,
}

/// What the server says on the socket besides events.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Control {
    /// Everything up to `seq` was sent (the missed events replayed); live events follow.
    Ready { seq: u64 },
    /// The `after` asked for is no longer in the log (older than it keeps) or unknown: load
    /// the current state afresh, then go on from `seq`. Live events follow.
    Reset { seq: u64 },
}

/// The close codes of the socket besides the standard ones (1001: the server is stopping).
pub mod close_code {
    /// The client read too slowly and its queue filled; reconnect with the last `seq`.
    pub const TOO_SLOW: u16 = 4008;
    /// The client stopped answering pings.
    pub const NO_PONG: u16 = 4009;
    /// The session ended (signed out, account disabled, expired): sign in again, do not
    /// reconnect with the same credentials.
    pub const SESSION_ENDED: u16 = 4001;
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
            status: CardStatus::Used,
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
        // What a reward cost is the shop's figure, not the diner's.
        let rewarded = Event::RewardGiven {
            merchant_id: "demo".into(),
            uid: "wx-demo-001".into(),
            txn_id: "t3".into(),
            campaign: "RAIN".into(),
            cost: crate::domain::Money::ZERO,
            used_today: crate::domain::Money::ZERO,
            granted_today: 1,
        };
        assert_eq!(rewarded.recipients(), [Recipient::Merchant("demo".into())]);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn each_event_names_its_kind_as_its_json_does() {
        let money = crate::domain::Money::ZERO;
        let balance = Balance::default();
        let events = [
            redeemed(),
            Event::WalletUpdated {
                merchant_id: "m".into(),
                uid: "u".into(),
                txn_id: "t".into(),
                balance,
                online: None,
            },
            Event::PaymentCollected {
                merchant_id: "m".into(),
                uid: "u".into(),
                txn_id: "t".into(),
                payment_id: "p".into(),
                amount: money,
                card: None,
                balance,
            },
            Event::PaymentRefunded {
                merchant_id: "m".into(),
                uid: "u".into(),
                txn_id: "t".into(),
                payment_id: "p".into(),
                amount: money,
                card: Some("c".into()),
                balance,
            },
            Event::AssetChanged {
                merchant_id: "m".into(),
                uid: "u".into(),
                txn_id: "t".into(),
            },
            Event::RewardGiven {
                merchant_id: "m".into(),
                uid: "u".into(),
                txn_id: "t".into(),
                campaign: "C".into(),
                cost: money,
                used_today: money,
                granted_today: 1,
            },
        ];
        for event in events {
            let json = serde_json::to_value(&event).unwrap_or_default();
            assert_eq!(json["type"], event.kind());
            let stored = event.publication().expect("publication");
            assert_eq!(stored.recipients.len(), event.recipients().len());
            assert_eq!(stored.payload, json);
        }
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
