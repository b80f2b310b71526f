//! Daily stock of a card type: `daily_cap` units per merchant-local day. The stored count is
//! only refilled lazily, by the first synthesize of a new day.
//!
//! Day monotonicity: the stored day never goes backwards. A request whose day is earlier
//! than the stored one (its clock is behind another server's, or it waited past midnight
//! for its turn) is counted against the stored, later day: that day has begun for the shop,
//! so the unit comes out of its count and nothing is handed out twice — and the diner is
//! not refused for having asked a second before midnight. Refilling for the earlier day
//! instead would hand that day's units out again and wipe the later day's count.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The stored state of a card type's stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyStock {
    pub daily_cap: u32,
    pub current_stock: u32,
    /// The merchant-local day `current_stock` counts for.
    pub reset_day: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("today's stock of this card is used up")]
pub struct OutOfStock;

impl DailyStock {
    /// The day a request made on `today` counts against: its own, or the stored day when
    /// that is later (never an earlier one).
    pub fn counting_day(&self, today: NaiveDate) -> NaiveDate {
        self.reset_day.max(today)
    }

    /// Units left for a request made on `today` (a new day starts from the full cap).
    pub fn available(&self, today: NaiveDate) -> u32 {
        if today > self.reset_day {
            self.daily_cap
        } else {
            self.current_stock
        }
    }

    /// The stock after taking one unit on `today`.
    pub fn take_one(&self, today: NaiveDate) -> Result<DailyStock, OutOfStock> {
        let left = self.available(today).checked_sub(1).ok_or(OutOfStock)?;
        Ok(DailyStock {
            daily_cap: self.daily_cap,
            current_stock: left,
            reset_day: self.counting_day(today),
        })
    }

    /// The stock once the merchant sets a new cap on `today`: what was taken on the counted
    /// day stays taken, so a higher cap adds the difference and a lower one may leave none.
    pub fn with_cap(&self, cap: u32, today: NaiveDate) -> DailyStock {
        let taken = self.daily_cap.saturating_sub(self.available(today));
        DailyStock {
            daily_cap: cap,
            current_stock: cap.saturating_sub(taken),
            reset_day: self.counting_day(today),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse()
            .unwrap_or_else(|e| panic!("{text} is not a date: {e}"))
    }

    fn stock(cap: u32, current: u32, reset_day: &str) -> DailyStock {
        DailyStock {
            daily_cap: cap,
            current_stock: current,
            reset_day: day(reset_day),
        }
    }

    #[test]
    fn units_available_by_the_day_asked() {
        // (cap, left, stored day, asked on, available)
        let table = [
            (10, 3, "2026-11-25", "2026-11-25", 3),
            // A later day starts full.
            (10, 0, "2026-11-24", "2026-11-25", 10),
            (10, 0, "2026-11-24", "2027-01-01", 10),
            // An earlier day counts against the stored one: no refill.
            (10, 3, "2026-11-25", "2026-11-24", 3),
            (10, 0, "2026-11-25", "2026-11-24", 0),
            (10, 7, "2027-01-01", "2026-12-31", 7),
            // Dates, not strings: the day after 2026-11-09 is 2026-11-10.
            (10, 0, "2026-11-09", "2026-11-10", 10),
            (10, 0, "2026-02-28", "2026-03-01", 10),
            (0, 0, "2026-11-24", "2026-11-25", 0),
        ];
        for (cap, left, stored, asked, available) in table {
            assert_eq!(
                stock(cap, left, stored).available(day(asked)),
                available,
                "{cap}/{left} on {stored}, asked on {asked}"
            );
        }
    }

    #[test]
    fn taking_one_never_moves_the_day_back() {
        // (cap, left, stored day, asked on, after: Some((left, day)) or None: sold out)
        let table = [
            (10, 3, "2026-11-25", "2026-11-25", Some((2, "2026-11-25"))),
            (10, 0, "2026-11-24", "2026-11-25", Some((9, "2026-11-25"))),
            (10, 1, "2026-11-25", "2026-11-25", Some((0, "2026-11-25"))),
            (10, 0, "2026-11-25", "2026-11-25", None),
            (0, 0, "2026-11-24", "2026-11-25", None),
            // Asked on the day before the stored one: taken from the stored day's count.
            (10, 9, "2026-11-25", "2026-11-24", Some((8, "2026-11-25"))),
            (10, 0, "2026-11-25", "2026-11-24", None),
            (10, 5, "2026-01-01", "2025-12-31", Some((4, "2026-01-01"))),
        ];
        for (cap, left, stored, asked, after) in table {
            let expected = after
                .map(|(left, reset_day)| stock(cap, left, reset_day))
                .ok_or(OutOfStock);
            assert_eq!(
                stock(cap, left, stored).take_one(day(asked)),
                expected,
                "{cap}/{left} on {stored}, asked on {asked}"
            );
        }
    }

    #[test]
    fn a_new_cap_keeps_what_was_taken_on_the_counted_day() {
        // (cap, left, stored day, new cap, set on, after: (left, day))
        let table = [
            // 20 a day, 15 left: 5 taken today.
            (20, 15, "2026-11-25", 30, "2026-11-25", (25, "2026-11-25")),
            (20, 15, "2026-11-25", 10, "2026-11-25", (5, "2026-11-25")),
            (20, 15, "2026-11-25", 3, "2026-11-25", (0, "2026-11-25")),
            // Nothing taken yet today (the count is from yesterday): full at the new cap.
            (20, 0, "2026-11-24", 8, "2026-11-25", (8, "2026-11-25")),
            // Set by a clock still on yesterday: the stored day and what it took stay.
            (20, 15, "2026-11-25", 10, "2026-11-24", (5, "2026-11-25")),
            (20, 0, "2026-11-25", 30, "2026-11-24", (10, "2026-11-25")),
        ];
        for (cap, left, stored, new_cap, set_on, (after_left, after_day)) in table {
            assert_eq!(
                stock(cap, left, stored).with_cap(new_cap, day(set_on)),
                stock(new_cap, after_left, after_day),
                "{cap}/{left} on {stored}, cap {new_cap} set on {set_on}"
            );
        }
    }

    /// Requests of two days in any order: whatever order they commit in, the stored day only
    /// moves forward and no day gives out more than its cap.
    #[test]
    fn interleaved_days_never_give_out_more_than_the_cap() {
        let (monday, tuesday) = (day("2026-11-30"), day("2026-12-01"));
        for pattern in 0_u32..256 {
            let mut stock = stock(3, 0, "2026-11-29");
            let mut given = std::collections::BTreeMap::<NaiveDate, u32>::new();
            for bit in 0..8 {
                let asked = if (pattern >> bit) & 1 == 1 {
                    tuesday
                } else {
                    monday
                };
                let before = stock.reset_day;
                if let Ok(next) = stock.take_one(asked) {
                    *given.entry(next.reset_day).or_default() += 1;
                    stock = next;
                }
                assert!(stock.reset_day >= before, "pattern {pattern:08b}");
            }
            assert!(
                given.values().all(|&n| n <= 3),
                "pattern {pattern:08b}: {given:?}"
            );
        }
    }
}
