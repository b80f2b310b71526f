//! Cards (入席令): when one may be redeemed, and what it takes off a bill.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::money::Money;

/// A card's life: ACTIVE until redeemed. Expiry is a time, not a status: an ACTIVE card past
/// its expiry simply cannot be redeemed.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum CardStatus {
    Active,
    Used,
}

impl CardStatus {
    /// The stored name, e.g. `ACTIVE`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("this card has already been used")]
    AlreadyUsed,
    #[error("this card expired at {0}")]
    Expired(DateTime<Utc>),
}

/// May this card be redeemed now?
pub fn check_redeemable(
    status: CardStatus,
    expiry: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), CardError> {
    match status {
        CardStatus::Used => Err(CardError::AlreadyUsed),
        CardStatus::Active if now >= expiry => Err(CardError::Expired(expiry)),
        CardStatus::Active => Ok(()),
    }
}

/// A refunded payment gives its card back only while the card is still valid.
pub fn reactivates_on_refund(expiry: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expiry
}

/// A card's benefit applied to a bill: (taken off, left to pay). Never more than the bill.
pub fn apply_benefit(bill: Money, benefit: Money) -> (Money, Money) {
    let deduction = bill.min(benefit);
    (deduction, bill.saturating_sub(deduction))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0)
            .single()
            .expect("valid time")
    }

    fn m(text: &str) -> Money {
        text.parse().expect("money")
    }

    #[test]
    fn an_active_card_is_redeemable_until_its_expiry() {
        assert_eq!(check_redeemable(CardStatus::Active, at(12), at(11)), Ok(()));
        assert_eq!(
            check_redeemable(CardStatus::Active, at(12), at(12)),
            Err(CardError::Expired(at(12)))
        );
        assert_eq!(
            check_redeemable(CardStatus::Used, at(12), at(11)),
            Err(CardError::AlreadyUsed)
        );
    }

    #[test]
    fn a_benefit_never_takes_off_more_than_the_bill() {
        assert_eq!(apply_benefit(m("100"), m("18")), (m("18"), m("82")));
        assert_eq!(apply_benefit(m("12.50"), m("18")), (m("12.50"), m("0")));
    }

    #[test]
    fn refunds_reactivate_only_unexpired_cards() {
        assert!(reactivates_on_refund(at(12), at(11)));
        assert!(!reactivates_on_refund(at(12), at(13)));
    }

    #[test]
    fn statuses_parse_from_their_stored_names() {
        assert_eq!(CardStatus::parse("ACTIVE"), Some(CardStatus::Active));
        assert_eq!(CardStatus::parse("USED"), Some(CardStatus::Used));
        assert_eq!(CardStatus::parse("used"), None);
    }
}
