//! Stored value: a diner's balance at one merchant, as `principal` (cash paid in) and `bonus`
//! (given by recharge tiers), plus `granted_bonus` — the bonus granted by recharges and not yet
//! clawed back since the wallet was last empty (`G` in the product rules) — and `made_good`,
//! the bonus a cash refund already took out of the principal paid out (`S`).
//!
//! Invariants kept by every function here, with `Σb` the bonus taken by payments not refunded:
//! - `bonus <= granted_bonus`: a full cash refund takes back all the bonus left;
//! - `granted_bonus + made_good <= bonus + Σb`: nothing is clawed back that is not in the
//!   wallet or out in a payment, and so `made_good <= Σb` (each made-good fen comes back when
//!   the payments are refunded: paid in = paid out once all are refunded and cashed out).

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
    /// Bonus already made good from principal by cash refunds (their shortfalls) and not yet
    /// given back by a payment refund. Never reset: it belongs to payments, not to the wallet's
    /// contents. Absent in answers stored before it existed: 0.
    #[serde(default)]
    pub made_good: Money,
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
    /// The wallet afterwards (`made_good` grown by what the payout held back, `X − payout`).
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
    /// What was made good stays: the payments it belongs to can still be refunded.
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
    let after = Balance {
        principal: add(balance.principal, tier.pay)?,
        bonus: add(balance.bonus, tier.bonus)?,
        granted_bonus: add(balance.granted_bonus, tier.bonus)?,
        made_good: balance.made_good,
    };
    // A wallet holds at most Money::MAX in all, so what it pays and refunds always fits.
    after.total().ok_or(WalletError::Overflow)?;
    Ok(after)
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
        made_good: balance.made_good,
    }
    .settled())
}

/// The wallet after refunding a payment: exactly its split comes back, but the part of its
/// bonus a cash refund already made good from principal (`min(b, S)`) comes back as principal
/// — the diner paid for it in cash, and must not pay for it twice.
///
/// If the payment had emptied the wallet (and so reset `G`), the bonus coming back counts as
/// granted again, so a later cash refund still claws it back: `G` becomes at least the bonus
/// balance. It stays within `bonus + Σb − S` (the invariant) because `S ≤ Σb` held before.
pub fn refund_payment(balance: &Balance, split: &PaymentSplit) -> Result<Balance, WalletError> {
    let made_good = split.bonus.min(balance.made_good);
    let principal = balance
        .principal
        .checked_add(split.principal)
        .and_then(|principal| principal.checked_add(made_good))
        .ok_or(WalletError::Overflow)?;
    let bonus = balance
        .bonus
        .checked_add(split.bonus.saturating_sub(made_good))
        .ok_or(WalletError::Overflow)?;
    Ok(Balance {
        principal,
        bonus,
        granted_bonus: balance.granted_bonus.max(bonus),
        made_good: balance.made_good.saturating_sub(made_good),
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
        // What the payout held back, the shortfall as far as the principal refunded covers it
        // (`G` can exceed `P` once bonus is spent): more would hand back more than was kept.
        made_good: balance
            .made_good
            .checked_add(refund.saturating_sub(payout))
            .ok_or(WalletError::Overflow)?,
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

/// The wallet after a cash refund that never paid out (the provider refused or failed it):
/// `before` again when the wallet is still as the refund left it; else, something moved it
/// since, the refund's own numbers put back on what it holds now — its principal and the
/// bonus it took, the bonus counted as granted again, what it held back no longer made good.
pub fn undo_cash_refund(
    now: &Balance,
    before: &Balance,
    refund: &Clawback,
) -> Result<Balance, WalletError> {
    if *now == refund.after {
        return Ok(*before);
    }
    let add = |a: Money, b: Money| a.checked_add(b).ok_or(WalletError::Overflow);
    let bonus = add(now.bonus, refund.bonus_taken)?;
    Ok(Balance {
        principal: add(now.principal, refund.refund)?,
        bonus,
        granted_bonus: add(now.granted_bonus, refund.clawback)?.max(bonus),
        made_good: now
            .made_good
            .saturating_sub(refund.refund.saturating_sub(refund.payout)),
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
            made_good: Money::ZERO,
        }
    }

    fn split(principal: &str, bonus: &str) -> PaymentSplit {
        PaymentSplit {
            principal: m(principal),
            bonus: m(bonus),
        }
    }

    fn made_good(balance: Balance, made_good: &str) -> Balance {
        Balance {
            made_good: m(made_good),
            ..balance
        }
    }

    /// A wallet never holds more than the largest amount in all, so a payment from it can
    /// always be split (found by the API fuzzer: a full wallet could not pay).
    #[test]
    fn a_recharge_past_the_largest_total_is_refused() {
        let full = balance("9999900.00", "0.00", "0.00");
        assert_eq!(
            recharge(&full, &tier("100", "100")),
            Err(WalletError::Overflow)
        );
        let fits = recharge(&full, &tier("50", "50")).expect("fits");
        assert_eq!(fits.total(), Some(Money::MAX));
        assert!(split_payment(&fits, m("10")).is_ok());
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
            // 充100送20, pay 24 (20 + 4), refund 80: the 4 spent is made good.
            (
                paid(recharged("100", "20"), "24").0,
                "80",
                "20",
                "16",
                "4",
                "76",
                made_good(balance("0", "0", "0"), "4"),
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
                made_good(balance("0", "0", "0"), "4"),
            ),
            // 充300送80, pay 38 (30 + 8), refund 270.
            (
                paid(recharged("300", "80"), "38").0,
                "270",
                "80",
                "72",
                "8",
                "262",
                made_good(balance("0", "0", "0"), "8"),
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

    /// product.md's worked example of a payment refunded after a cash refund.
    #[test]
    fn a_payment_refunded_after_a_cash_refund_is_not_clawed_back_twice() {
        let (wallet, sixty) = paid(recharged("100", "20"), "60");
        assert_eq!(
            (wallet, sixty),
            (balance("50", "10", "20"), split("50", "10"))
        );
        let cash = clawback(&wallet, m("50")).expect("first cash refund");
        assert_eq!(
            (cash.clawback, cash.bonus_taken, cash.shortfall, cash.payout),
            (m("20"), m("10"), m("10"), m("40"))
        );
        assert_eq!(
            cash.after,
            made_good(balance("0", "0", "0"), "10"),
            "S survives the empty wallet"
        );
        let refunded = refund_payment(&cash.after, &sixty).expect("payment refund");
        assert_eq!(
            refunded,
            balance("60", "0", "0"),
            "the 10 made good comes back as principal"
        );
        let last = clawback(&refunded, m("60")).expect("second cash refund");
        assert_eq!((last.clawback, last.payout), (Money::ZERO, m("60")));
        assert_eq!(
            cash.payout.checked_add(last.payout),
            Some(m("100")),
            "paid 100, nothing consumed, 100 back"
        );
    }

    /// Once bonus is spent `G` can exceed `P`: the shortfall is then more than the principal
    /// refunded, and only what the payout held back is made good.
    #[test]
    fn only_what_the_payout_held_back_is_made_good() {
        let (wallet, paid_110) = paid(recharged("100", "20"), "110");
        assert_eq!(
            (wallet, paid_110),
            (balance("8.33", "1.67", "20"), split("91.67", "18.33"))
        );
        let cash = clawback(&wallet, m("8.33")).expect("cash refund");
        assert_eq!((cash.shortfall, cash.payout), (m("18.33"), Money::ZERO));
        assert_eq!(cash.after, made_good(balance("0", "0", "0"), "8.33"));
        let refunded = refund_payment(&cash.after, &paid_110).expect("payment refund");
        assert_eq!(refunded, balance("100", "10", "10"));
        let last = clawback(&refunded, m("100")).expect("cash refund");
        assert_eq!(last.payout, m("100"), "paid 100, nothing consumed");
        assert_eq!(last.after, Balance::default());
    }

    /// Random sequences of recharges, payments, refunds of earlier payments and cash refunds,
    /// checked against the books kept beside the wallet.
    mod property {
        use proptest::prelude::*;
        use proptest::sample::Index;

        use super::super::*;

        #[derive(Clone, Debug)]
        enum Portion {
            Everything,
            Fen(u32),
        }

        #[derive(Clone, Debug)]
        enum Step {
            /// Pay `pay` fen, get `permille`‰ of it as bonus (a tier's bonus is at most its pay).
            Recharge {
                pay: u32,
                permille: u32,
            },
            Pay(Portion),
            /// Refunds one of the payments not yet refunded, any of them.
            RefundPayment(Index),
            CashRefund(Portion),
        }

        fn portion() -> impl Strategy<Value = Portion> {
            prop_oneof![
                1 => Just(Portion::Everything),
                3 => (1_u32..=20_000).prop_map(Portion::Fen),
                1 => (1_u32..=10).prop_map(Portion::Fen),
            ]
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                2 => (1_u32..=50_000, 0_u32..=1_000)
                    .prop_map(|(pay, permille)| Step::Recharge { pay, permille }),
                1 => (1_u32..=5, 0_u32..=1_000)
                    .prop_map(|(pay, permille)| Step::Recharge { pay, permille }),
                3 => portion().prop_map(Step::Pay),
                2 => any::<Index>().prop_map(Step::RefundPayment),
                2 => portion().prop_map(Step::CashRefund),
            ]
        }

        fn fen(count: u64) -> Money {
            let fen = i64::try_from(count).expect("fen fit in i64");
            Money::new(Decimal::new(fen, 2)).expect("a valid amount")
        }

        fn held(result: Result<Balance, WalletError>) -> Result<Balance, TestCaseError> {
            result.map_err(|err| TestCaseError::fail(err.to_string()))
        }

        /// The wallet, the payments not refunded, and the cash in and out.
        #[derive(Default)]
        struct Books {
            wallet: Balance,
            open: Vec<PaymentSplit>,
            paid_in: Decimal,
            paid_out: Decimal,
        }

        impl Books {
            fn portion_of(available: Money, portion: &Portion) -> Money {
                match portion {
                    Portion::Everything => available,
                    Portion::Fen(count) => fen(u64::from(*count)).min(available),
                }
            }

            fn apply(&mut self, step: &Step) -> Result<(), TestCaseError> {
                match step {
                    Step::Recharge { pay, permille } => {
                        let bonus = u64::from(*pay) * u64::from(*permille) / 1_000;
                        let tier = RechargeTier {
                            pay: fen(u64::from(*pay)),
                            bonus: fen(bonus),
                        };
                        self.wallet = held(recharge(&self.wallet, &tier))?;
                        self.paid_in += tier.pay.amount();
                    }
                    Step::Pay(portion) => {
                        let total = self.wallet.total().unwrap_or(Money::ZERO);
                        let amount = Self::portion_of(total, portion);
                        if !amount.is_zero() {
                            let split = split_payment(&self.wallet, amount)
                                .map_err(|err| TestCaseError::fail(err.to_string()))?;
                            self.wallet = held(pay(&self.wallet, &split))?;
                            self.open.push(split);
                        }
                    }
                    Step::RefundPayment(which) => {
                        if !self.open.is_empty() {
                            let split = self.open.remove(which.index(self.open.len()));
                            self.wallet = held(refund_payment(&self.wallet, &split))?;
                        }
                    }
                    Step::CashRefund(portion) => {
                        let amount = Self::portion_of(self.wallet.principal, portion);
                        if !amount.is_zero() {
                            self.cash(amount)?;
                        }
                    }
                }
                Ok(())
            }

            fn cash(&mut self, amount: Money) -> Result<(), TestCaseError> {
                let done = clawback(&self.wallet, amount)
                    .map_err(|err| TestCaseError::fail(err.to_string()))?;
                prop_assert!(done.payout <= done.refund);
                self.paid_out += done.payout.amount();
                self.wallet = done.after;
                Ok(())
            }

            fn check(&self) -> Result<(), TestCaseError> {
                let w = &self.wallet;
                let open_principal: Decimal = self.open.iter().map(|s| s.principal.amount()).sum();
                let open_bonus: Decimal = self.open.iter().map(|s| s.bonus.amount()).sum();
                prop_assert!(
                    self.paid_out <= self.paid_in,
                    "out {} > in {}",
                    self.paid_out,
                    self.paid_in
                );
                // Every fen paid in is in the wallet, out in a payment, paid back, or held back
                // (made good) until its payment is refunded.
                prop_assert_eq!(
                    w.principal.amount() + open_principal + self.paid_out + w.made_good.amount(),
                    self.paid_in,
                    "{:?}",
                    w
                );
                prop_assert!(w.bonus <= w.granted_bonus, "{:?}", w);
                prop_assert!(
                    w.granted_bonus.amount() + w.made_good.amount()
                        <= w.bonus.amount() + open_bonus,
                    "{:?} with {} bonus out in payments",
                    w,
                    open_bonus
                );
                Ok(())
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            /// product.md: payouts never exceed what was paid in; once every payment is
            /// refunded and all principal cashed out, they equal it exactly.
            #[test]
            fn cash_out_never_exceeds_cash_in_and_equals_it_once_nothing_is_consumed(
                steps in prop::collection::vec(step(), 1..40)
            ) {
                let mut books = Books::default();
                for step in &steps {
                    books.apply(step)?;
                    books.check()?;
                }
                while let Some(split) = books.open.pop() {
                    books.wallet = held(refund_payment(&books.wallet, &split))?;
                    books.check()?;
                }
                let rest = books.wallet.principal;
                if !rest.is_zero() {
                    books.cash(rest)?;
                    books.check()?;
                }
                prop_assert_eq!(books.paid_out, books.paid_in, "steps {:?}", steps);
                prop_assert_eq!(books.wallet.made_good, Money::ZERO);
            }
        }
    }

    #[test]
    fn an_undone_cash_refund_leaves_the_wallet_as_it_was() {
        // Emptied by the refund (G forgotten): undone at once, every balance as before.
        let before = recharged("100", "20");
        let refund = clawback(&before, m("100")).expect("refund");
        assert_eq!(refund.after, Balance::default());
        assert_eq!(
            undo_cash_refund(&refund.after, &before, &refund),
            Ok(before)
        );
        // Moved since (a recharge of 50/10 after the refund of 40 from 100/20): the refund's
        // numbers come back on top of what it holds now.
        let refund = clawback(&before, m("40")).expect("refund");
        let now = recharge(&refund.after, &tier("50", "10")).expect("recharge");
        let undone = undo_cash_refund(&now, &before, &refund).expect("undo");
        assert_eq!(
            undone,
            recharge(&before, &tier("50", "10")).expect("recharge")
        );
    }

    #[test]
    fn the_bonus_ratio_is_recorded_per_recharge() {
        assert_eq!(bonus_ratio(&tier("100", "20")), Decimal::new(2, 1));
        assert_eq!(bonus_ratio(&tier("300", "80")), Decimal::new(2667, 4));
        assert_eq!(bonus_ratio(&tier("50", "0")), Decimal::ZERO);
    }
}
