//! A day's ledger entries summed into its figures: pure, so it is tested and benchmarked
//! alone.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use db::ledger::{LedgerEntry, LedgerType};
use rust_decimal::Decimal;

use crate::domain::Money;
use crate::model::figures::{DayFigures, Liability, StaffDay};

/// What a day's figures are made from: its entries, the card type of each card redeemed
/// that day, and the tokens its AI used.
pub struct DayLedger<'a> {
    pub day: NaiveDate,
    pub entries: &'a [LedgerEntry],
    /// A redeemed card's uuid → its card type.
    pub card_types: &'a BTreeMap<String, String>,
    pub tokens: u64,
}

/// Why a day's entries do not add up (a negative sum where none can be).
#[derive(Debug, thiserror::Error)]
#[error("the ledger of {day} does not add up: {what} is {value}")]
pub struct Unbalanced {
    pub day: NaiveDate,
    pub what: &'static str,
    pub value: Decimal,
}

/// The day's figures, owing `opening` at its start.
pub fn figures(ledger: &DayLedger<'_>, opening: Liability) -> Result<DayFigures, Unbalanced> {
    let mut sums = Sums {
        principal: opening.principal.amount(),
        bonus: opening.bonus.amount(),
        ..Sums::default()
    };
    let mut synthesized: BTreeMap<String, u32> = BTreeMap::new();
    let mut redeemed: BTreeMap<String, u32> = BTreeMap::new();
    let mut counts = Counts::default();
    let mut by_staff: BTreeMap<String, (u32, Decimal, Decimal, Decimal)> = BTreeMap::new();
    for entry in ledger.entries {
        if let Some(staff) = &entry.staff {
            let did = by_staff.entry(staff.clone()).or_default();
            did.0 += 1;
            match entry.kind {
                LedgerType::Payment => did.1 += entry.amount,
                LedgerType::Recharge => did.2 += entry.amount,
                LedgerType::Refund | LedgerType::StoredValueRefund => did.3 += entry.amount,
                _ => {}
            }
        }
        let change = &entry.assets_change;
        let principal = change.principal.unwrap_or_default();
        let bonus = change.bonus.unwrap_or_default();
        sums.principal += principal;
        sums.bonus += bonus;
        match entry.kind {
            LedgerType::Payment => {
                sums.collected += entry.amount;
                counts.payments += 1;
            }
            LedgerType::Refund => {
                sums.refunded += entry.amount;
                counts.refunds += 1;
            }
            LedgerType::Recharge => {
                sums.sold += entry.amount;
                sums.bonus_granted += bonus;
                counts.recharges += 1;
            }
            LedgerType::StoredValueRefund => {
                sums.cash_refunded += entry.amount;
                // The bonus taken from the balance, and what the payout held back for bonus
                // already spent (the principal refunded less the cash paid).
                sums.clawback += -bonus + (-principal - entry.amount);
            }
            LedgerType::RefundReversal => {
                // The refund's exact opposite: what it would have paid and taken back.
                sums.refunds_reversed += entry.amount;
                sums.clawback_reversed += bonus + (principal - entry.amount);
            }
            LedgerType::Synthesize => {
                let kind = entry
                    .reference
                    .as_deref()
                    .and_then(|r| r.strip_prefix("card_type:"))
                    .unwrap_or("?");
                *synthesized.entry(kind.to_owned()).or_default() += 1;
            }
            LedgerType::Redeem => {
                let kind = entry
                    .reference
                    .as_deref()
                    .and_then(|r| r.strip_prefix("card:"))
                    .and_then(|uuid| ledger.card_types.get(uuid))
                    .map_or("?", String::as_str);
                *redeemed.entry(kind.to_owned()).or_default() += 1;
            }
            LedgerType::Reward => {
                sums.reward_cost += entry.amount;
                counts.rewards += 1;
                counts.silver += u64::try_from(change.silver.unwrap_or_default()).unwrap_or(0);
                counts.fragments += change
                    .fragments
                    .iter()
                    .flatten()
                    .filter_map(|(_, count)| u64::try_from(*count).ok())
                    .sum::<u64>();
            }
            LedgerType::MarketBuy | LedgerType::MarketSell | LedgerType::Clawback => {}
        }
    }
    let money = |what: &'static str, value: Decimal| {
        Money::new(value).map_err(|_| Unbalanced {
            day: ledger.day,
            what,
            value,
        })
    };
    Ok(DayFigures {
        day: ledger.day,
        collected: money("collected", sums.collected)?,
        payments: counts.payments,
        refunded: money("refunded", sums.refunded)?,
        refunds: counts.refunds,
        sold: money("sold", sums.sold)?,
        recharges: counts.recharges,
        bonus_granted: money("bonus granted", sums.bonus_granted)?,
        cash_refunded: money("cash refunded", sums.cash_refunded)?,
        clawback: money("clawback", sums.clawback)?,
        refunds_reversed: money("refunds reversed", sums.refunds_reversed)?,
        clawback_reversed: money("clawback reversed", sums.clawback_reversed)?,
        liability: Liability {
            principal: money("principal owed", sums.principal)?,
            bonus: money("bonus owed", sums.bonus)?,
        },
        synthesized,
        redeemed,
        rewards: counts.rewards,
        reward_cost: money("reward cost", sums.reward_cost)?,
        silver_issued: counts.silver,
        fragments_issued: counts.fragments,
        tokens: ledger.tokens,
        by_staff: by_staff
            .into_iter()
            .map(|(staff, (entries, collected, sold, refunded))| {
                Ok((
                    staff,
                    StaffDay {
                        entries,
                        collected: money("collected by staff", collected)?,
                        sold: money("sold by staff", sold)?,
                        refunded: money("refunded by staff", refunded)?,
                    },
                ))
            })
            .collect::<Result<_, Unbalanced>>()?,
    })
}

#[derive(Default)]
struct Sums {
    collected: Decimal,
    refunded: Decimal,
    sold: Decimal,
    bonus_granted: Decimal,
    cash_refunded: Decimal,
    clawback: Decimal,
    refunds_reversed: Decimal,
    clawback_reversed: Decimal,
    reward_cost: Decimal,
    principal: Decimal,
    bonus: Decimal,
}

#[derive(Default)]
struct Counts {
    payments: u32,
    refunds: u32,
    recharges: u32,
    rewards: u32,
    silver: u64,
    fragments: u64,
}

#[cfg(test)]
mod tests {
    use db::ledger::AssetsChange;

    use super::*;

    fn entry(kind: LedgerType, amount: Decimal, change: AssetsChange) -> LedgerEntry {
        LedgerEntry {
            txn_id: uuid::Uuid::now_v7().to_string(),
            kind,
            amount,
            assets_change: change,
            merchant_id: "demo".into(),
            user_uid: "wx".into(),
            staff: None,
            reference: None,
            timestamp: chrono::Utc::now(),
        }
    }

    fn d(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    fn wallet(principal: Decimal, bonus: Decimal) -> AssetsChange {
        AssetsChange {
            principal: Some(principal),
            bonus: Some(bonus),
            ..AssetsChange::default()
        }
    }

    #[test]
    fn a_day_of_every_kind_adds_up() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day");
        let mut synthesis = entry(LedgerType::Synthesize, d("0"), AssetsChange::default());
        synthesis.reference = Some("card_type:COLD".into());
        let mut redemption = entry(LedgerType::Redeem, d("18"), AssetsChange::default());
        redemption.reference = Some("card:u-1".into());
        let entries = [
            // 100 paid for 100 + 20 bonus.
            entry(LedgerType::Recharge, d("100"), wallet(d("100"), d("20"))),
            // A 30 bill paid 25 from principal, 5 from bonus, then refunded.
            entry(LedgerType::Payment, d("30"), wallet(d("-25"), d("-5"))),
            entry(LedgerType::Refund, d("30"), wallet(d("25"), d("5"))),
            // 50 of principal refunded: 10 bonus to take back, 8 left to take, 2 held back.
            entry(
                LedgerType::StoredValueRefund,
                d("48"),
                wallet(d("-50"), d("-8")),
            ),
            entry(
                LedgerType::Reward,
                d("3.5"),
                AssetsChange {
                    silver: Some(12),
                    fragments: Some(BTreeMap::from([("CHILI".into(), 2), ("MINT".into(), 1)])),
                    ..AssetsChange::default()
                },
            ),
            synthesis,
            redemption,
        ];
        let mut entries = entries;
        for entry in entries.iter_mut().take(3) {
            entry.staff = Some("cashier-1".into());
        }
        let types = BTreeMap::from([("u-1".to_owned(), "COLD".to_owned())]);
        let ledger = DayLedger {
            day,
            entries: &entries,
            card_types: &types,
            tokens: 900,
        };
        let opening = Liability {
            principal: Money::yuan(10, 0),
            bonus: Money::ZERO,
        };
        let figures = figures(&ledger, opening).expect("adds up");
        assert_eq!(figures.sold, Money::yuan(100, 0));
        assert_eq!(figures.bonus_granted, Money::yuan(20, 0));
        assert_eq!(
            (figures.collected, figures.payments),
            (Money::yuan(30, 0), 1)
        );
        assert_eq!((figures.refunded, figures.refunds), (Money::yuan(30, 0), 1));
        assert_eq!(figures.cash_refunded, Money::yuan(48, 0));
        assert_eq!(figures.clawback, Money::yuan(10, 0));
        assert_eq!(
            figures.liability,
            Liability {
                principal: Money::yuan(60, 0),
                bonus: Money::yuan(12, 0),
            }
        );
        assert_eq!(
            (figures.rewards, figures.reward_cost),
            (1, Money::yuan(3, 50))
        );
        assert_eq!((figures.silver_issued, figures.fragments_issued), (12, 3));
        assert_eq!(figures.synthesized.get("COLD"), Some(&1));
        assert_eq!(figures.redeemed.get("COLD"), Some(&1));
        assert_eq!(figures.tokens, 900);
        // The cashier's recharge, payment and refund, and nobody else's.
        let cashier = figures.by_staff.get("cashier-1").expect("the cashier");
        assert_eq!(
            (
                cashier.entries,
                cashier.collected,
                cashier.sold,
                cashier.refunded
            ),
            (
                3,
                Money::yuan(30, 0),
                Money::yuan(100, 0),
                Money::yuan(30, 0)
            )
        );
        assert_eq!(figures.by_staff.len(), 1);
    }

    #[test]
    fn a_ledger_that_owes_less_than_nothing_is_refused() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day");
        let entries = [entry(LedgerType::Payment, d("5"), wallet(d("-5"), d("0")))];
        let ledger = DayLedger {
            day,
            entries: &entries,
            card_types: &BTreeMap::new(),
            tokens: 0,
        };
        let err = figures(&ledger, Liability::default()).expect_err("owes -5");
        assert_eq!(err.what, "principal owed");
    }
}
