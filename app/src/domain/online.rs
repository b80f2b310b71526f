//! Online recharges, the pure part: an order's number, its amount in fen, and whether what
//! the payment provider reports is this order paid in full — nothing else may credit it.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::domain::Money;

/// An order's number at the provider (`out_trade_no`: 6–32 of `[0-9A-Za-z_-]`; here 32
/// capitals and digits, a catalogue-style code the API reads back), made from
/// who asked and their Idempotency-Key: the same request again is the same order, so the
/// provider's own idempotency (the same number, the same prepay) covers a retry.
pub fn order_number(scope: &str, key: &str) -> String {
    numbered("MQ", scope, key)
}

/// A refund's number at the provider (`out_refund_no`), made the same way: the same request
/// again is the same refund, which the provider makes once.
pub fn refund_number(scope: &str, key: &str) -> String {
    numbered("MR", scope, key)
}

fn numbered(prefix: &str, scope: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{scope}\u{1f}{key}").as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02X}")).collect();
    format!("{prefix}{}", hex.get(..30).unwrap_or(&hex))
}

/// Whether a refund of `payout_fen` fits an order of `total_fen` of which `refunded_fen` is
/// refunded or being refunded: what is left, when it does not.
pub fn refund_fits(total_fen: u64, refunded_fen: u64, payout_fen: u64) -> Result<(), u64> {
    let left = total_fen.saturating_sub(refunded_fen);
    if payout_fen <= left {
        Ok(())
    } else {
        Err(left)
    }
}

/// What the provider says of a refund: taken (still on its way, or back with the diner), or
/// failed (closed, or stuck: the money stays with the shop and goes back into the wallet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    Processing,
    Succeeded,
    Failed,
}

impl RefundState {
    /// The provider's refund status (`SUCCESS`, `PROCESSING`, `CLOSED`, `ABNORMAL`).
    pub fn of(status: &str) -> Self {
        match status {
            "SUCCESS" => Self::Succeeded,
            "CLOSED" | "ABNORMAL" => Self::Failed,
            _ => Self::Processing,
        }
    }
}

/// `money` in fen, if it is a whole number of fen above zero.
pub fn fen(money: Money) -> Option<u64> {
    use rust_decimal::prelude::ToPrimitive as _;
    let fen = money.amount().checked_mul(Decimal::ONE_HUNDRED)?;
    if fen.fract().is_zero() && fen > Decimal::ZERO {
        fen.to_u64()
    } else {
        None
    }
}

/// What the provider says of an order, as far as crediting it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Paid in full, in CNY: credit it (once).
    Paid,
    /// Not paid (yet): nothing to do.
    Unpaid,
    /// Will never be paid: close it.
    Closed,
    /// Reported paid, but not as ordered: refuse, credit nothing, and raise the alarm.
    Mismatch(String),
}

/// What the provider reports of an order (`out_trade_no`, state, amount, currency).
#[derive(Debug, Clone, Copy)]
pub struct Reported<'a> {
    pub out_trade_no: &'a str,
    pub paid: bool,
    pub closed: bool,
    pub total_fen: u64,
    pub currency: &'a str,
}

/// Judges a report against the order `number` of `total_fen`.
pub fn verdict(number: &str, total_fen: u64, reported: Reported<'_>) -> Verdict {
    if reported.out_trade_no != number {
        return Verdict::Mismatch(format!(
            "order {} reported for order {number}",
            reported.out_trade_no
        ));
    }
    if reported.paid {
        if reported.total_fen != total_fen || reported.currency != "CNY" {
            return Verdict::Mismatch(format!(
                "paid {} {} for an order of {total_fen} CNY",
                reported.total_fen, reported.currency
            ));
        }
        return Verdict::Paid;
    }
    if reported.closed {
        Verdict::Closed
    } else {
        Verdict::Unpaid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_fits_what_its_order_has_left() {
        assert_eq!(refund_fits(10_000, 0, 10_000), Ok(()));
        assert_eq!(refund_fits(10_000, 4_000, 6_000), Ok(()));
        assert_eq!(refund_fits(10_000, 4_000, 6_001), Err(6_000));
        assert_eq!(refund_fits(10_000, 12_000, 1), Err(0));
    }

    #[test]
    fn refund_and_order_numbers_differ_for_one_request() {
        let (order, refund) = (order_number("s", "k"), refund_number("s", "k"));
        assert_ne!(order, refund);
        assert_eq!(refund.len(), 32);
        assert_eq!(refund, refund_number("s", "k"));
        assert_eq!(RefundState::of("ABNORMAL"), RefundState::Failed);
        assert_eq!(RefundState::of("PROCESSING"), RefundState::Processing);
    }

    fn money(text: &str) -> Money {
        Money::new(text.parse().expect("a decimal")).expect("money")
    }

    #[test]
    fn an_amount_is_whole_fen_above_zero() {
        assert_eq!(fen(money("100")), Some(10_000));
        assert_eq!(fen(money("0.01")), Some(1));
        assert_eq!(fen(money("88.80")), Some(8_880));
        assert_eq!(fen(money("0")), None);
    }

    #[test]
    fn the_same_request_is_the_same_order_and_the_number_fits_the_provider() {
        let first = order_number("diner:wx-1|wallet/recharge/online", "k-1");
        assert_eq!(
            first,
            order_number("diner:wx-1|wallet/recharge/online", "k-1")
        );
        assert_ne!(
            first,
            order_number("diner:wx-1|wallet/recharge/online", "k-2")
        );
        assert_ne!(
            first,
            order_number("diner:wx-2|wallet/recharge/online", "k-1")
        );
        assert_eq!(first.len(), 32);
        use crate::domain::checked::{CheckedText as _, Code};
        assert!(Code::parse(&first).is_ok());
    }

    fn reported(paid: bool, total_fen: u64) -> Reported<'static> {
        Reported {
            out_trade_no: "MQ1",
            paid,
            closed: false,
            total_fen,
            currency: "CNY",
        }
    }

    #[test]
    fn only_the_order_paid_in_full_is_credited() {
        assert_eq!(
            verdict("MQ1", 10_000, reported(true, 10_000)),
            Verdict::Paid
        );
        assert_eq!(
            verdict("MQ1", 10_000, reported(false, 10_000)),
            Verdict::Unpaid
        );
        assert!(matches!(
            verdict("MQ1", 10_000, reported(true, 1)),
            Verdict::Mismatch(_)
        ));
        assert!(matches!(
            verdict("MQ2", 10_000, reported(true, 10_000)),
            Verdict::Mismatch(_)
        ));
        let dollars = Reported {
            currency: "USD",
            ..reported(true, 10_000)
        };
        assert!(matches!(
            verdict("MQ1", 10_000, dollars),
            Verdict::Mismatch(_)
        ));
        let closed = Reported {
            closed: true,
            ..reported(false, 10_000)
        };
        assert_eq!(verdict("MQ1", 10_000, closed), Verdict::Closed);
    }
}
