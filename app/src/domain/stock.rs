//! Daily stock of a card type: `daily_cap` units per merchant-local day. The stored count is
//! only refilled lazily, by the first synthesize of a new day.

use serde::{Deserialize, Serialize};

/// The stored state of a card type's stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyStock {
    pub daily_cap: u32,
    pub current_stock: u32,
    /// The merchant-local day (`YYYY-MM-DD`) `current_stock` counts for.
    pub reset_day: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("today's stock of this card is used up")]
pub struct OutOfStock;

impl DailyStock {
    /// Units left on `today` (a new day starts from the full cap).
    pub fn available(&self, today: &str) -> u32 {
        if self.reset_day == today {
            self.current_stock
        } else {
            self.daily_cap
        }
    }

    /// The stock after taking one unit on `today`.
    pub fn take_one(&self, today: &str) -> Result<DailyStock, OutOfStock> {
        let left = self.available(today).checked_sub(1).ok_or(OutOfStock)?;
        Ok(DailyStock {
            daily_cap: self.daily_cap,
            current_stock: left,
            reset_day: today.to_owned(),
        })
    }

    /// The stock once the merchant sets a new cap on `today`: what was taken today stays
    /// taken, so a higher cap adds the difference and a lower one may leave none.
    pub fn with_cap(&self, cap: u32, today: &str) -> DailyStock {
        let taken_today = self.daily_cap.saturating_sub(self.available(today));
        DailyStock {
            daily_cap: cap,
            current_stock: cap.saturating_sub(taken_today),
            reset_day: today.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(cap: u32, current: u32, day: &str) -> DailyStock {
        DailyStock {
            daily_cap: cap,
            current_stock: current,
            reset_day: day.to_owned(),
        }
    }

    #[test]
    fn a_new_day_starts_full() {
        assert_eq!(stock(10, 0, "2026-11-24").available("2026-11-25"), 10);
        assert_eq!(stock(10, 3, "2026-11-25").available("2026-11-25"), 3);
        assert_eq!(
            stock(10, 0, "2026-11-24").take_one("2026-11-25"),
            Ok(stock(10, 9, "2026-11-25"))
        );
    }

    #[test]
    fn a_new_cap_keeps_what_was_taken_today() {
        // 20 a day, 15 left: 5 taken today.
        let today = "2026-11-25";
        let stock = stock(20, 15, today);
        assert_eq!(stock.with_cap(30, today), self::stock(30, 25, today));
        assert_eq!(stock.with_cap(10, today), self::stock(10, 5, today));
        assert_eq!(stock.with_cap(3, today), self::stock(3, 0, today));
        // Nothing taken yet today (the count is from yesterday): full at the new cap.
        let yesterday = self::stock(20, 0, "2026-11-24");
        assert_eq!(yesterday.with_cap(8, today), self::stock(8, 8, today));
    }

    #[test]
    fn the_last_unit_can_be_taken_and_then_none() {
        assert_eq!(
            stock(10, 1, "2026-11-25").take_one("2026-11-25"),
            Ok(stock(10, 0, "2026-11-25"))
        );
        assert_eq!(
            stock(10, 0, "2026-11-25").take_one("2026-11-25"),
            Err(OutOfStock)
        );
        assert_eq!(
            stock(0, 0, "2026-11-24").take_one("2026-11-25"),
            Err(OutOfStock)
        );
    }
}
