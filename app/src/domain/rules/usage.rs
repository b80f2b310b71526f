//! What the engine counts, on the shop's calendar: a diner's visits (once a local day), the
//! tags their behaviour earns, and how often a campaign rewarded them today, this week
//! (Monday to Sunday) and ever. Counters are stored with the day they were counted on, so
//! a new day starts from zero without any job resetting them at midnight.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::checked::Tag;

/// The Monday that starts `day`'s week.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
        .unwrap_or(day)
}

/// How often a campaign rewarded one diner, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DinerCount {
    pub day: Option<NaiveDate>,
    pub today: u32,
    pub week: Option<NaiveDate>,
    pub this_week: u32,
    pub ever: u32,
}

impl DinerCount {
    /// `(today, this week, ever)` as of `day`.
    pub fn as_of(&self, day: NaiveDate) -> (u32, u32, u32) {
        let today = if self.day == Some(day) { self.today } else { 0 };
        let this_week = if self.week == Some(week_of(day)) {
            self.this_week
        } else {
            0
        };
        (today, this_week, self.ever)
    }

    /// The counter after one more reward on `day`.
    pub fn after_one(&self, day: NaiveDate) -> Self {
        let (today, this_week, ever) = self.as_of(day);
        Self {
            day: Some(day),
            today: today.saturating_add(1),
            week: Some(week_of(day)),
            this_week: this_week.saturating_add(1),
            ever: ever.saturating_add(1),
        }
    }
}

/// A diner's visits to a shop, as stored: how many days they came, the last one and the
/// one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Visits {
    pub count: u32,
    pub last_day: Option<NaiveDate>,
    pub previous_day: Option<NaiveDate>,
}

impl Visits {
    /// The visits after the diner is at the shop on `day` (a second time that day is the
    /// same visit).
    pub fn after_visit(&self, day: NaiveDate) -> Self {
        if self.last_day == Some(day) {
            return *self;
        }
        Self {
            count: self.count.saturating_add(1),
            last_day: Some(day),
            previous_day: self.last_day,
        }
    }

    /// Whole days between the visit on `day` and the one before it (none: a first visit).
    pub fn days_since_previous(&self, day: NaiveDate) -> Option<u32> {
        let before = if self.last_day == Some(day) {
            self.previous_day
        } else {
            self.last_day
        }?;
        u32::try_from((day - before).num_days()).ok()
    }
}

/// When behaviour earns a tag: `regular` from this many visits, `lapsed` after this many
/// days away; a first visit is `new`. Each shop sets its own.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRules {
    pub regular_visits: u32,
    pub lapsed_days: u32,
}

impl Default for TagRules {
    fn default() -> Self {
        Self {
            regular_visits: 5,
            lapsed_days: 30,
        }
    }
}

impl TagRules {
    /// The tags `visits` earn as of a visit on `day`.
    pub fn tags(&self, visits: &Visits, day: NaiveDate) -> Vec<Tag> {
        let mut tags = Vec::new();
        let mut add = |name: &str| tags.extend(name.parse::<Tag>().ok());
        if visits.count <= 1 {
            add("new");
        }
        if visits.count >= self.regular_visits {
            add("regular");
        }
        if visits
            .days_since_previous(day)
            .is_some_and(|days| days >= self.lapsed_days)
        {
            add("lapsed");
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn counts_start_again_on_a_new_local_day_and_a_new_week() {
        // Sunday 2026-11-29, then Monday 2026-11-30.
        let sunday = day("2026-11-29");
        let monday = day("2026-11-30");
        assert_eq!(week_of(sunday), day("2026-11-23"));
        assert_eq!(week_of(monday), monday);
        let once = DinerCount::default().after_one(sunday);
        let twice = once.after_one(sunday);
        assert_eq!(twice.as_of(sunday), (2, 2, 2));
        // Past the shop's midnight: a new day and, on Monday, a new week; ever goes on.
        assert_eq!(twice.as_of(monday), (0, 0, 2));
        assert_eq!(twice.after_one(monday).as_of(monday), (1, 1, 3));
        // Saturday → Sunday: a new day, the same week.
        let saturday = DinerCount::default().after_one(day("2026-11-28"));
        assert_eq!(saturday.as_of(sunday), (0, 1, 1));
    }

    #[test]
    fn a_visit_counts_once_a_day_and_remembers_the_one_before() {
        let first = Visits::default().after_visit(day("2026-10-01"));
        assert_eq!(first.count, 1);
        assert_eq!(first.days_since_previous(day("2026-10-01")), None);
        let again = first.after_visit(day("2026-10-01"));
        assert_eq!(again, first);
        let later = again.after_visit(day("2026-11-05"));
        assert_eq!(later.count, 2);
        assert_eq!(later.days_since_previous(day("2026-11-05")), Some(35));
        let rules = TagRules::default();
        let tags: Vec<String> = rules
            .tags(&later, day("2026-11-05"))
            .into_iter()
            .map(|t| t.into_string())
            .collect();
        assert_eq!(tags, ["lapsed"]);
        assert_eq!(
            rules
                .tags(&first, day("2026-10-01"))
                .first()
                .map(|t| t.as_str()),
            Some("new")
        );
        let regular = Visits {
            count: 5,
            last_day: Some(day("2026-11-04")),
            previous_day: None,
        };
        let tags = rules.tags(&regular.after_visit(day("2026-11-05")), day("2026-11-05"));
        assert_eq!(tags.len(), 1);
        assert_eq!(tags.first().map(|t| t.as_str()), Some("regular"));
    }
}
