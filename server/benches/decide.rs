//! The rule engine's pure decision rate: one trigger against 10 / 100 / 1,000 active
//! campaigns of six conditions each, on one core (this thread), no I/O. Two figures per row:
//! `rank` (which campaigns fire, every check's result kept as bits) and `decide` (the same
//! with the trace written out in words, as a decision is stored).
//!
//! `cargo bench -p server --bench decide`; figures go to docs/benchmarks.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use app::domain::rules::decide::rank;
use app::domain::rules::{
    Affinity, Condition, Facts, Limits, Rule, RuleSet, TriggerType, Usage, Weather, decide,
};
use chrono::{NaiveTime, Weekday};

/// How long each row runs.
const RUN: Duration = Duration::from_secs(3);

fn money(text: &str) -> app::domain::Money {
    text.parse().expect("money")
}

/// Campaign `i`: six checks under one `all` (tags, weather, hours, days, visits, balance),
/// answering entries or payments, with affinities; about a third of them match the diner.
fn campaign(i: usize) -> Rule {
    let tags = ["spicy", "regular", "new", "lapsed", "family"];
    let tag = |k: usize| tags.get(k % tags.len()).expect("tag").parse().expect("tag");
    let weathers = [Weather::Rainy, Weather::Sunny, Weather::Cloudy];
    let weather = *weathers.get(i % weathers.len()).expect("weather");
    let hour = |h: usize| NaiveTime::from_hms_opt(u32::try_from(h % 24).expect("hour"), 0, 0);
    Rule {
        id: format!("C{i:04}"),
        version: 1,
        triggers: if i.is_multiple_of(2) {
            [TriggerType::UserEnterShop].into()
        } else {
            [TriggerType::UserEnterShop, TriggerType::PaymentDone].into()
        },
        condition: Condition::All {
            of: vec![
                Condition::TagIn {
                    tags: vec![tag(i), tag(i + 1)],
                },
                Condition::WeatherIn {
                    weather: vec![weather],
                },
                Condition::LocalTime {
                    from: hour(10).expect("from"),
                    to: hour(22).expect("to"),
                },
                Condition::Weekdays {
                    days: vec![Weekday::Mon, Weekday::Fri, Weekday::Sat, Weekday::Sun],
                },
                Condition::VisitCount {
                    at_least: Some(u32::try_from(i % 3).expect("visits")),
                    at_most: None,
                },
                Condition::Balance {
                    at_least: Some(money("10")),
                    at_most: None,
                },
            ],
        },
        priority: u32::try_from(1 + i % 100).expect("priority"),
        affinity: Affinity {
            tags: BTreeMap::from([(tag(i), 50)]),
            weather: BTreeMap::from([(Weather::Rainy, 20)]),
        },
        exclusive: i.is_multiple_of(10),
        cost: money("3.5"),
        daily_budget_cap: money("500"),
        limits: Limits {
            per_diner_per_day: Some(1),
            ..Limits::default()
        },
        holdout_percent: 10,
        gives_card: false,
    }
}

fn diner() -> Facts {
    Facts {
        local_time: NaiveTime::from_hms_opt(12, 30, 0).expect("noon"),
        weekday: Some(Weekday::Fri),
        weather: Some(Weather::Rainy),
        tags: [
            "spicy".parse().expect("tag"),
            "regular".parse().expect("tag"),
        ]
        .into(),
        visits: 4,
        days_since_last_visit: Some(6),
        balance: money("120"),
        ..Facts::default()
    }
}

/// Triggers per second of `step` over [`RUN`].
fn rate(mut step: impl FnMut(usize)) -> f64 {
    let started = Instant::now();
    let mut done = 0_usize;
    while started.elapsed() < RUN {
        for _ in 0..100 {
            step(done);
            done += 1;
        }
    }
    f64::from(u32::try_from(done).unwrap_or(u32::MAX)) / started.elapsed().as_secs_f64()
}

fn main() {
    let facts = diner();
    let usage = Usage {
        budget_used_today: money("120"),
        total: 40,
        cards_left_today: 10,
        ..Usage::default()
    };
    let uids: Vec<String> = (0..1024).map(|i| format!("wx-bench-{i:04}")).collect();
    let uid = |n: usize| uids.get(n % uids.len()).map_or("", String::as_str);
    println!(
        "| campaigns | rank (triggers/s) | decide with trace (triggers/s) | compile (sets/s) | fired (first) |"
    );
    println!("|---|---|---|---|---|");
    for count in [10, 100, 1_000] {
        let written: Vec<Rule> = (0..count).map(campaign).collect();
        let compiles = rate(|_| {
            black_box(RuleSet::new(black_box(written.clone())));
        });
        let rules = RuleSet::new(written);
        let fired = decide(TriggerType::UserEnterShop, uid(0), &facts, &rules, |_| {
            usage
        })
        .fired
        .len();
        let ranked = rate(|n| {
            black_box(rank(
                TriggerType::UserEnterShop,
                uid(n),
                black_box(&facts),
                black_box(&rules),
                |_| usage,
            ));
        });
        let traced = rate(|n| {
            black_box(decide(
                TriggerType::UserEnterShop,
                uid(n),
                black_box(&facts),
                black_box(&rules),
                |_| usage,
            ));
        });
        println!("| {count} | {ranked:.0} | {traced:.0} | {compiles:.0} | {fired} |");
    }
}
