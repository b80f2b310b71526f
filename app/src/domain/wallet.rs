//! Stored value: a diner's balance at one merchant, as `principal` (cash paid in) and `bonus`
//! (given by recharge tiers), plus `granted_bonus` — the bonus granted by recharges and not yet
//! clawed back since the wallet was last empty (`G` in the product rules).
//!
//! Invariant kept by every function here: `bonus <= granted_bonus`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::Money;

/// A wallet's balances.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub principal: Money,
    pub bonus: Money,
    pub granted_bonus: Money,
}

/// A merchant's recharge offer: pay `pay`, receive `pay` as principal and `bonus` on top.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeTier {
    pub pay: Money,
    pub bonus: Money,
}

/// How a payment was taken from a wallet.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSplit {
    pub principal: Money,
    pub bonus: Money,
}

impl PaymentSplit {
    pub fn total(&self) -> Option<Money> {
        self.principal.checked_add(self.bonus)
    }
}

/// A stored-value refund worked out in full, before anything is written: the cashier sees
/// exactly these numbers, and the server applies exactly these numbers.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clawback {
    /// Principal refunded (`X`).
    pub refund: Money,
    /// Bonus to take back for it (`c = G·X/P`, half-up to the fen).
    pub clawback: Money,
    /// Taken from the bonus balance: `min(c, B)`.
    pub bonus_taken: Money,
    /// The part of `c` the bonus balance could not cover (already spent): `max(0, c − B)`.
    pub shortfall: Money,
    /// Cash paid out to the diner: `max(0, X − shortfall)`.
    pub payout: Money,
    /// The wallet afterwards.
    pub after: Balance,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("the balance is {available}, less than {requested}")]
    InsufficientBalance { available: Money, requested: Money },
    #[error("only {available} of principal can be refunded, not {requested}")]
    RefundExceedsPrincipal { available: Money, requested: Money },
    #[error("the amount must be more than zero")]
    ZeroAmount,
    #[error("the balance would exceed the largest amount allowed")]
    Overflow,
}

impl Balance {
    /// Principal plus bonus.
    pub fn total(&self) -> Option<Money> {
        self.principal.checked_add(self.bonus)
    }

    fn is_empty(&self) -> bool {
        self.principal.is_zero() && self.bonus.is_zero()
    }

    /// An empty wallet forgets the bonus it was granted: a later refund owes nothing for it.
    fn settled(mut self) -> Self {
        if self.is_empty() {
            self.granted_bonus = Money::ZERO;
        }
        self
    }
}

/// Adds a recharge: principal and bonus, and the bonus counts as granted.
pub fn recharge(balance: &Balance, tier: &RechargeTier) -> Result<Balance, WalletError> {
    if tier.pay.is_zero() {
        return Err(WalletError::ZeroAmount);
    }
    let add = |a: Money, b: Money| a.checked_add(b).ok_or(WalletError::Overflow);
    Ok(Balance {
        principal: add(balance.principal, tier.pay)?,
        bonus: add(balance.bonus, tier.bonus)?,
        granted_bonus: add(balance.granted_bonus, tier.bonus)?,
    })
}

/// The bonus ratio recorded on a recharge's ledger entry (`bonus / pay`), e.g. 0.2 for
/// 充100送20.
pub fn bonus_ratio(tier: &RechargeTier) -> Decimal {
    if tier.pay.is_zero() {
        return Decimal::ZERO;
    }
    tier.bonus
        .amount()
        .checked_div(tier.pay.amount())
        .unwrap_or(Decimal::ZERO)
        .round_dp(4)
}

/// Splits a payment between principal and bonus in proportion to the current balances,
/// bonus rounded half-up to the fen and the remainder on principal.
pub fn split_payment(balance: &Balance, amount: Money) -> Result<PaymentSplit, WalletError> {
    if amount.is_zero() {
        return Err(WalletError::ZeroAmount);
    }
    let total = balance.total().ok_or(WalletError::Overflow)?;
    if amount > total {
        return Err(WalletError::InsufficientBalance {
            available: total,
            requested: amount,
        });
    }
    let share = amount
        .amount()
        .checked_mul(balance.bonus.amount())
        .and_then(|product| product.checked_div(total.amount()))
        .ok_or(WalletError::Overflow)?;
    // Exact share ≤ B and ≥ amount − P, and rounding is monotonic, so both parts fit.
    let bonus = Money::round_half_up(share).min(balance.bonus);
    let principal = amount.saturating_sub(bonus);
    Ok(PaymentSplit { principal, bonus })
}

/// The wallet after a payment with this split.
pub fn pay(balance: &Balance, split: &PaymentSplit) -> Result<Balance, WalletError> {
    let requested = split.total().ok_or(WalletError::Overflow)?;
    let insufficient = || WalletError::InsufficientBalance {
        available: balance.total().unwrap_or(Money::MAX),
        requested,
    };
    Ok(Balance {
        principal: balance
            .principal
            .checked_sub(split.principal)
            .ok_or_else(insufficient)?,
        bonus: balance
            .bonus
            .checked_sub(split.bonus)
            .ok_or_else(insufficient)?,
        granted_bonus: balance.granted_bonus,
    }
    .settled())
}

/// The wallet after refunding a payment: exactly its split comes back. If the payment had
/// emptied the wallet (and so reset `G`), the bonus coming back counts as granted again, so a
/// later cash refund still claws it back.
pub fn refund_payment(balance: &Balance, split: &PaymentSplit) -> Result<Balance, WalletError> {
    let principal = balance
        .principal
        .checked_add(split.principal)
        .ok_or(WalletError::Overflow)?;
    let bonus = balance
        .bonus
        .checked_add(split.bonus)
        .ok_or(WalletError::Overflow)?;
    Ok(Balance {
        principal,
        bonus,
        granted_bonus: balance.granted_bonus.max(bonus),
    })
}

/// Works out a refund of `refund` principal as cash, with the clawback of the bonus.
pub fn clawback(balance: &Balance, refund: Money) -> Result<Clawback, WalletError> {
    if refund.is_zero() {
        return Err(WalletError::ZeroAmount);
    }
    if refund > balance.principal {
        return Err(WalletError::RefundExceedsPrincipal {
            available: balance.principal,
            requested: refund,
        });
    }
    let owed = balance
        .granted_bonus
        .amount()
        .checked_mul(refund.amount())
        .and_then(|product| product.checked_div(balance.principal.amount()))
        .ok_or(WalletError::Overflow)?;
    // X ≤ P, so c ≤ G: the granted bonus never goes negative.
    let clawback = Money::round_half_up(owed).min(balance.granted_bonus);
    let bonus_taken = clawback.min(balance.bonus);
    let shortfall = clawback.saturating_sub(balance.bonus);
    let payout = refund.saturating_sub(shortfall);
    let after = Balance {
        principal: balance.principal.saturating_sub(refund),
        bonus: balance.bonus.saturating_sub(bonus_taken),
        granted_bonus: balance.granted_bonus.saturating_sub(clawback),
    }
    .settled();
    Ok(Clawback {
        refund,
        clawback,
        bonus_taken,
        shortfall,
        payout,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn tier(pay: &str, bonus: &str) -> RechargeTier {
        RechargeTier {
            pay: m(pay),
            bonus: m(bonus),
        }
    }

    fn recharged(pay: &str, bonus: &str) -> Balance {
        recharge(&Balance::default(), &tier(pay, bonus)).expect("recharge")
    }

    fn paid(balance: Balance, amount: &str) -> (Balance, PaymentSplit) {
        let split = split_payment(&balance, m(amount)).expect("split");
        (pay(&balance, &split).expect("pay"), split)
    }

    fn balance(principal: &str, bonus: &str, granted: &str) -> Balance {
        Balance {
            principal: m(principal),
            bonus: m(bonus),
            granted_bonus: m(granted),
        }
    }

    /// The product rules' worked examples, by hand: (start, refund X) → (c, bonus taken,
    /// shortfall, payout, after).
    #[test]
    fn clawback_matches_the_worked_examples() {
        let cases = [
            // 充100送20, refund 100.
            (
                recharged("100", "20"),
                "100",
                "20",
                "20",
                "0",
                "100",
                balance("0", "0", "0"),
            ),
            // 充100送20, pay 24 (20 + 4), refund 80.
            (
                paid(recharged("100", "20"), "24").0,
                "80",
                "20",
                "16",
                "4",
                "76",
                balance("0", "0", "0"),
            ),
            // Same, refund 40 first.
            (
                paid(recharged("100", "20"), "24").0,
                "40",
                "10",
                "10",
                "0",
                "40",
                balance("40", "6", "10"),
            ),
            // …then the other 40.
            (
                balance("40", "6", "10"),
                "40",
                "10",
                "6",
                "4",
                "36",
                balance("0", "0", "0"),
            ),
            // 充300送80, pay 38 (30 + 8), refund 270.
            (
                paid(recharged("300", "80"), "38").0,
                "270",
                "80",
                "72",
                "8",
                "262",
                balance("0", "0", "0"),
            ),
            // A plain recharge after the wallet was emptied owes nothing.
            (
                recharged("50", "0"),
                "50",
                "0",
                "0",
                "0",
                "50",
                balance("0", "0", "0"),
            ),
            // Rounding: G·X/P = 20·33.33/100 = 6.666 → 6.67.
            (
                recharged("100", "20"),
                "33.33",
                "6.67",
                "6.67",
                "0",
                "33.33",
                balance("66.67", "13.33", "13.33"),
            ),
        ];
        for (start, refund, c, taken, shortfall, payout, after) in cases {
            let result = clawback(&start, m(refund)).expect("clawback");
            assert_eq!(result.clawback, m(c), "c for {start:?} − {refund}");
            assert_eq!(
                result.bonus_taken,
                m(taken),
                "bonus taken for {start:?} − {refund}"
            );
            assert_eq!(
                result.shortfall,
                m(shortfall),
                "shortfall for {start:?} − {refund}"
            );
            assert_eq!(result.payout, m(payout), "payout for {start:?} − {refund}");
            assert_eq!(result.after, after, "after {start:?} − {refund}");
        }
    }

    #[test]
    fn the_payment_splits_of_the_worked_examples() {
        let (after, split) = paid(recharged("100", "20"), "24");
        assert_eq!(
            split,
            PaymentSplit {
                principal: m("20"),
                bonus: m("4")
            }
        );
        assert_eq!(after, balance("80", "16", "20"));
        let (_, split) = paid(recharged("300", "80"), "38");
        assert_eq!(
            split,
            PaymentSplit {
                principal: m("30"),
                bonus: m("8")
            }
        );
    }

    #[test]
    fn paying_everything_empties_the_wallet_and_forgets_the_granted_bonus() {
        let (after, split) = paid(recharged("100", "20"), "120");
        assert_eq!(
            split,
            PaymentSplit {
                principal: m("100"),
                bonus: m("20")
            }
        );
        assert_eq!(after, Balance::default());
        let after = recharge(&after, &tier("50", "0")).expect("recharge");
        assert_eq!(clawback(&after, m("50")).expect("refund").payout, m("50"));
    }

    #[test]
    fn split_rounding_puts_the_remainder_on_principal() {
        // 10.00 from 66.67/13.33: bonus share 10 × 13.33 / 80 = 1.66625 → 1.67.
        let split = split_payment(&balance("66.67", "13.33", "20"), m("10")).expect("split");
        assert_eq!(
            split,
            PaymentSplit {
                principal: m("8.33"),
                bonus: m("1.67")
            }
        );
        // A payment of one fen from a bonus-heavy wallet still adds up.
        let split = split_payment(&balance("0.01", "99.99", "99.99"), m("0.01")).expect("split");
        assert_eq!(split.total(), Some(m("0.01")));
    }

    #[test]
    fn cannot_pay_more_than_the_balance_or_nothing() {
        let wallet = recharged("100", "20");
        assert_eq!(
            split_payment(&wallet, m("120.01")),
            Err(WalletError::InsufficientBalance {
                available: m("120"),
                requested: m("120.01")
            })
        );
        assert_eq!(
            split_payment(&wallet, Money::ZERO),
            Err(WalletError::ZeroAmount)
        );
    }

    #[test]
    fn refunding_a_payment_restores_the_wallet_exactly() {
        let start = recharged("100", "20");
        let (after, split) = paid(start, "24");
        assert_eq!(refund_payment(&after, &split), Ok(start));
    }

    #[test]
    fn a_refunded_payment_that_had_emptied_the_wallet_is_clawed_back_later() {
        let start = recharged("100", "20");
        let (empty, split) = paid(start, "120");
        let restored = refund_payment(&empty, &split).expect("refund");
        assert_eq!(restored.granted_bonus, m("20"));
        let cash = clawback(&restored, m("100")).expect("clawback");
        assert_eq!(cash.payout, m("100"));
        assert_eq!(
            cash.after,
            Balance::default(),
            "the bonus must not survive a full cash refund"
        );
    }

    #[test]
    fn refunds_never_exceed_principal_and_never_pay_more_than_refunded() {
        let wallet = recharged("100", "20");
        assert_eq!(
            clawback(&wallet, m("100.01")),
            Err(WalletError::RefundExceedsPrincipal {
                available: m("100"),
                requested: m("100.01")
            })
        );
        assert_eq!(clawback(&wallet, Money::ZERO), Err(WalletError::ZeroAmount));
    }

    /// Every sequence of recharges, payments and refunds keeps the invariants: no negative
    /// balance, bonus ≤ granted, and cash out never more than cash in.
    #[test]
    fn invariants_hold_over_many_sequences() {
        let tiers = [
            tier("100", "20"),
            tier("300", "80"),
            tier("50", "0"),
            tier("0.03", "0.01"),
        ];
        let amounts = ["0.01", "0.07", "1", "3.33", "24", "38", "99.99", "150"];
        for seed in 0_usize..400 {
            let mut wallet = Balance::default();
            let (mut paid_in, mut paid_out) = (Decimal::ZERO, Decimal::ZERO);
            for step in 0_usize..12 {
                let pick = seed.wrapping_mul(31).wrapping_add(step.wrapping_mul(17));
                let amount = m(amounts.get(pick % amounts.len()).copied().unwrap_or("1"));
                match pick % 3 {
                    0 => {
                        let t = tiers
                            .get(pick % tiers.len())
                            .cloned()
                            .unwrap_or(tier("1", "0"));
                        wallet = recharge(&wallet, &t).expect("recharge");
                        paid_in += t.pay.amount();
                    }
                    1 => {
                        if let Ok(split) = split_payment(&wallet, amount) {
                            wallet = pay(&wallet, &split).expect("pay");
                        }
                    }
                    _ => {
                        if let Ok(result) = clawback(&wallet, amount.min(wallet.principal)) {
                            assert!(result.payout <= result.refund);
                            paid_out += result.payout.amount();
                            wallet = result.after;
                        }
                    }
                }
                assert!(
                    wallet.bonus <= wallet.granted_bonus,
                    "seed {seed}: {wallet:?}"
                );
                assert!(
                    paid_out <= paid_in,
                    "seed {seed}: out {paid_out} > in {paid_in}"
                );
            }
        }
    }

    #[test]
    fn the_bonus_ratio_is_recorded_per_recharge() {
        assert_eq!(bonus_ratio(&tier("100", "20")), Decimal::new(2, 1));
        assert_eq!(bonus_ratio(&tier("300", "80")), Decimal::new(2667, 4));
        assert_eq!(bonus_ratio(&tier("50", "0")), Decimal::ZERO);
    }
}
