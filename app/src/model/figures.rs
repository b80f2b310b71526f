//! The shop's numbers for its boss (issue 18): one shop-local day's figures, rolled up from
//! the ledger, and the dashboard that shows them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Money;

/// Stored value the shop owes its diners: what they paid (principal) and what it gave on
/// top (bonus), apart.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liability {
    pub principal: Money,
    pub bonus: Money,
}

/// What happened at a shop on one of its days, summed from that day's ledger entries.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    /// The shop-local day.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    /// Bills collected from stored value, and how many.
    pub collected: Money,
    pub payments: u32,
    /// Collected payments given back, and how many.
    pub refunded: Money,
    pub refunds: u32,
    /// Stored value sold: the cash paid for recharges, how many, and the bonus they gave.
    pub sold: Money,
    pub recharges: u32,
    pub bonus_granted: Money,
    /// Stored value refunded in cash: what was paid out, and the bonus taken back for it
    /// (from the bonus balance or, when spent, from the refund).
    pub cash_refunded: Money,
    pub clawback: Money,
    /// Refunds to WeChat Pay the provider refused or failed, put back into the wallets: the
    /// payout that never left, and the clawback undone with it.
    #[serde(default)]
    pub refunds_reversed: Money,
    #[serde(default)]
    pub clawback_reversed: Money,
    /// What the shop owed at the day's end (now, for today).
    pub liability: Liability,
    /// Cards made from fragments and used at the counter, by card type.
    pub synthesized: BTreeMap<String, u32>,
    pub redeemed: BTreeMap<String, u32>,
    /// Campaign rewards given and what they cost (the campaigns' budgets).
    pub rewards: u32,
    pub reward_cost: Money,
    /// Silver and fragments the shop's campaigns gave.
    pub silver_issued: u64,
    pub fragments_issued: u64,
    /// Tokens the shop's AI used (prompt and completion).
    pub tokens: u64,
    /// What each member of staff did at the counter (the ledger's operator), by staff id.
    #[serde(default)]
    pub by_staff: BTreeMap<String, StaffDay>,
}

/// What one member of staff did on a day: the entries they made, and the money of them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDay {
    pub entries: u32,
    pub collected: Money,
    pub sold: Money,
    pub refunded: Money,
}

impl StaffDay {
    fn absorb(&mut self, other: &StaffDay) {
        let add = |a: Money, b: Money| a.checked_add(b).unwrap_or(Money::MAX);
        self.entries = self.entries.saturating_add(other.entries);
        self.collected = add(self.collected, other.collected);
        self.sold = add(self.sold, other.sold);
        self.refunded = add(self.refunded, other.refunded);
    }
}

/// One campaign's spend on the shop's day against its daily cap.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetUse {
    pub campaign: String,
    pub name: String,
    pub used: Money,
    pub cap: Money,
    pub granted: u32,
}

/// The boss's dashboard: the last `days` shop-local days, oldest first, the last one today
/// (figures as of `at`), and today's campaign budgets.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub days: Vec<DayFigures>,
    pub budgets: Vec<BudgetUse>,
    pub at: DateTime<Utc>,
    /// Seconds east of UTC: the shop's clock, for the page.
    pub utc_offset: i32,
}

impl Dashboard {
    /// Today's figures (the last day).
    pub fn today(&self) -> Option<&DayFigures> {
        self.days.last()
    }

    /// The figures of the last `count` days summed (see [`DayFigures::last_of`]).
    pub fn last(&self, count: usize) -> DayFigures {
        DayFigures::last_of(&self.days, count)
    }
}

impl DayFigures {
    /// The last `count` of `days` (oldest first) summed: counts and money added, the
    /// liability the last day's.
    pub fn last_of(days: &[DayFigures], count: usize) -> DayFigures {
        let mut total = DayFigures::default();
        for day in days.iter().skip(days.len().saturating_sub(count)) {
            total.absorb(day);
        }
        total
    }

    /// `days` with `fresh` in its place: a day shown already is replaced, a later one is
    /// added at the end and the oldest let go (the window stays as long).
    pub fn merged(days: &mut Vec<DayFigures>, fresh: DayFigures) {
        if let Some(shown) = days.iter_mut().find(|day| day.day == fresh.day) {
            *shown = fresh;
        } else if days.last().is_none_or(|last| last.day < fresh.day) {
            days.push(fresh);
            if days.len() > 1 {
                days.remove(0);
            }
        }
    }

    /// Adds `other`'s counts and sums to these; the day and the liability become `other`'s
    /// (a later day's).
    pub fn absorb(&mut self, other: &DayFigures) {
        let add = |a: Money, b: Money| a.checked_add(b).unwrap_or(Money::MAX);
        self.day = other.day;
        self.collected = add(self.collected, other.collected);
        self.payments = self.payments.saturating_add(other.payments);
        self.refunded = add(self.refunded, other.refunded);
        self.refunds = self.refunds.saturating_add(other.refunds);
        self.sold = add(self.sold, other.sold);
        self.recharges = self.recharges.saturating_add(other.recharges);
        self.bonus_granted = add(self.bonus_granted, other.bonus_granted);
        self.cash_refunded = add(self.cash_refunded, other.cash_refunded);
        self.clawback = add(self.clawback, other.clawback);
        self.refunds_reversed = add(self.refunds_reversed, other.refunds_reversed);
        self.clawback_reversed = add(self.clawback_reversed, other.clawback_reversed);
        self.liability = other.liability;
        for (kind, count) in &other.synthesized {
            let entry = self.synthesized.entry(kind.clone()).or_default();
            *entry = entry.saturating_add(*count);
        }
        for (kind, count) in &other.redeemed {
            let entry = self.redeemed.entry(kind.clone()).or_default();
            *entry = entry.saturating_add(*count);
        }
        self.rewards = self.rewards.saturating_add(other.rewards);
        self.reward_cost = add(self.reward_cost, other.reward_cost);
        self.silver_issued = self.silver_issued.saturating_add(other.silver_issued);
        self.fragments_issued = self.fragments_issued.saturating_add(other.fragments_issued);
        self.tokens = self.tokens.saturating_add(other.tokens);
        for (staff, day) in &other.by_staff {
            self.by_staff.entry(staff.clone()).or_default().absorb(day);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32, collected: u32, principal: u32) -> DayFigures {
        DayFigures {
            day: NaiveDate::from_ymd_opt(2026, 11, n).expect("a day"),
            collected: Money::yuan(collected, 0),
            payments: 1,
            liability: Liability {
                principal: Money::yuan(principal, 0),
                bonus: Money::ZERO,
            },
            redeemed: BTreeMap::from([("COLD".to_owned(), 2)]),
            ..DayFigures::default()
        }
    }

    #[test]
    fn the_last_days_add_up_and_owe_what_the_last_one_owes() {
        let dashboard = Dashboard {
            days: vec![day(1, 10, 100), day(2, 20, 80), day(3, 30, 50)],
            budgets: Vec::new(),
            at: Utc::now(),
            utc_offset: 0,
        };
        let two = dashboard.last(2);
        assert_eq!(two.collected, Money::yuan(50, 0));
        assert_eq!(two.payments, 2);
        assert_eq!(two.liability.principal, Money::yuan(50, 0));
        assert_eq!(two.redeemed.get("COLD"), Some(&4));
        assert_eq!(dashboard.last(30).collected, Money::yuan(60, 0));
        assert_eq!(
            dashboard.today().map(|d| d.collected),
            Some(Money::yuan(30, 0))
        );
    }
}
