//! The shop's day figures against real SurrealDB: after a randomised mixed day (recharges,
//! payments, refunds, stored-value refunds, rewards, redemptions, syntheses) split across
//! the shop's midnight, each day's roll-up equals its ledger entries' sums, and what the
//! shop owes at the end equals its wallets.

use std::collections::BTreeMap;

use app::domain::Money;
use app::service::figures;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::{MERCHANT, RULES, TILL, cashier, seeded_state};
use crate::rules::{active, spec};

const DINERS: [&str; 4] = ["f1", "f2", "f3", "f4"];

/// The shop's ledger, summed by SurrealQL (not by the roll-up's code), in `[from, to)`.
async fn summed(
    state: &app::state::AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<String, (Decimal, i64)> {
    let rows: Vec<serde_json::Value> = state
        .db
        .query(
            "SELECT type, math::sum(amount) AS amount, count() AS count FROM ledger
             WHERE merchant_id = $merchant AND timestamp >= $from AND timestamp < $to
             GROUP BY type",
        )
        .bind(("merchant", MERCHANT))
        .bind(("from", from))
        .bind(("to", to))
        .await
        .expect("sums")
        .take(0)
        .expect("rows");
    rows.into_iter()
        .map(|row| {
            let kind = row.get("type").and_then(|t| t.as_str()).expect("type");
            let count = row.get("count").and_then(serde_json::Value::as_i64);
            (
                kind.to_owned(),
                (decimal(row.get("amount")), count.expect("count")),
            )
        })
        .collect()
}

/// A sum as SurrealDB answers it (a number, or a decimal's text).
fn decimal(value: Option<&serde_json::Value>) -> Decimal {
    let text = value.expect("a sum").to_string();
    text.trim_matches('"').parse().expect("a decimal")
}

fn of(sums: &BTreeMap<String, (Decimal, i64)>, kind: &str) -> (Money, u32) {
    let (amount, count) = sums.get(kind).copied().unwrap_or_default();
    (
        Money::round_half_up(amount),
        u32::try_from(count).expect("a count"),
    )
}

/// Moves the shop's first `count` entries (oldest first) to just before `midnight`, as if
/// written the evening before — the last of them a microsecond before it. Entries are
/// read-only, so each is written again with its new time (its sums unchanged).
async fn written_the_evening_before(
    state: &app::state::AppState,
    midnight: DateTime<Utc>,
    count: usize,
) {
    let ids: Vec<String> = state
        .db
        .query("SELECT VALUE txn_id FROM ledger WHERE merchant_id = $merchant ORDER BY timestamp")
        .bind(("merchant", MERCHANT))
        .await
        .expect("entries")
        .take(0)
        .expect("ids");
    let moved: Vec<&String> = ids.iter().take(count).collect();
    let total = i32::try_from(moved.len()).expect("a few");
    for (index, txn) in (0..).zip(moved) {
        let at =
            midnight - Duration::microseconds(1) - Duration::minutes(i64::from(total - 1 - index));
        state
            .db
            .query(
                "LET $old = (SELECT * FROM ledger WHERE txn_id = $txn)[0];
                 DELETE $old.id;
                 CREATE ledger CONTENT object::extend($old, { id: NONE, timestamp: $at }) RETURN NONE;",
            )
            .bind(("txn", txn.clone()))
            .bind(("at", at))
            .await
            .expect("moved")
            .check()
            .expect("moved");
    }
}

#[tokio::test]
async fn the_day_figures_equal_the_ledger_after_a_random_day_across_midnight() {
    let state = seeded_state().await;
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for diner in DINERS {
        db::diner::ensure(&state.db, diner, None, None)
            .await
            .expect("a diner");
    }
    // A campaign answers payments with silver and a fragment (a REWARD with its cost).
    active(
        &state,
        "THANKS",
        spec(
            "谢谢光临",
            10,
            json!({"silver": 5, "fragments": {"CHILI": 1}}),
            json!({"triggers": ["PAYMENT_DONE"]}),
        ),
    )
    .await;
    let now = Utc::now();
    let mut paid: Vec<String> = Vec::new();
    let mut clawed = Money::ZERO;
    for _ in 0..60 {
        let diner = DINERS
            .get(rng.random_range(0..DINERS.len()))
            .expect("a diner");
        match rng.random_range(0..6) {
            0 | 1 => {
                let tier = if rng.random_bool(0.5) { "T100" } else { "T300" };
                app::service::wallet::recharge(&state, cashier(diner), tier, None)
                    .await
                    .expect("recharged");
            }
            2 => {
                let amount = Money::yuan(rng.random_range(1..60), rng.random_range(0..100));
                let Ok(order) = app::service::payment::create_payment(
                    &state, MERCHANT, diner, amount, None, now, None, RULES,
                )
                .await
                else {
                    continue;
                };
                if app::service::payment::scan(&state, TILL, &order.code, now, None)
                    .await
                    .is_ok()
                {
                    paid.push(order.payment_id);
                }
            }
            3 => {
                if let Some(payment) = paid.pop() {
                    app::service::payment::refund_payment(&state, TILL, &payment, now, None)
                        .await
                        .expect("refunded");
                }
            }
            4 => {
                let amount = Money::yuan(rng.random_range(1..40), 0);
                let Ok(preview) = app::service::wallet::preview_stored_value_refund(
                    &state, MERCHANT, diner, amount,
                )
                .await
                else {
                    continue;
                };
                let refunded = app::service::wallet::stored_value_refund(
                    &state,
                    cashier(diner),
                    amount,
                    preview.payout,
                    None,
                )
                .await
                .expect("refunded");
                clawed = clawed.checked_add(refunded.clawback.clawback).expect("sum");
            }
            _ => {
                let card = db::card::issue(
                    &state.db,
                    MERCHANT,
                    "FREE_APPETIZER",
                    diner,
                    now + Duration::days(3),
                )
                .await
                .expect("a card");
                app::service::payment::scan(&state, TILL, &card, now, None)
                    .await
                    .expect("redeemed");
            }
        }
    }
    app::service::rules::decide_all(&state).await;
    // One synthesis, from fragments bought at the market with silver.
    crate::helpers::give_silver(&state.db, "f1", 100).await;
    for (fragment, count) in [("CHILI", 3), ("PEPPER", 2)] {
        app::service::assets::trade(
            &state,
            MERCHANT,
            "f1",
            fragment,
            app::api::assets::TradeSide::Buy,
            count,
            None,
        )
        .await
        .expect("bought");
    }
    app::service::assets::synthesize(&state, MERCHANT, "f1", "FREE_APPETIZER", Utc::now, None)
        .await
        .expect("synthesized");

    // Half the day was the evening before the shop's midnight.
    let zone: chrono_tz::Tz = "Asia/Shanghai".parse().expect("zone");
    let today = now.with_timezone(&zone).date_naive();
    let (midnight, tomorrow) = figures::bounds(zone, today).expect("bounds");
    let entries: usize = summed(&state, DateTime::UNIX_EPOCH, tomorrow)
        .await
        .values()
        .map(|(_, count)| usize::try_from(*count).expect("count"))
        .sum();
    written_the_evening_before(&state, midnight, entries / 2).await;

    let later = Utc::now();
    let today_figures = figures::refresh(&state, MERCHANT, later)
        .await
        .expect("refreshed");
    let yesterday = today.pred_opt().expect("a day");
    let (evening, _) = figures::bounds(zone, yesterday).expect("bounds");
    let dashboard = figures::dashboard(&state, MERCHANT, later)
        .await
        .expect("dashboard");
    let before = dashboard
        .days
        .iter()
        .find(|day| day.day == yesterday)
        .expect("yesterday");
    assert_eq!(dashboard.today(), Some(&today_figures));
    // Both days have entries of their own.
    for day in [before, &today_figures] {
        assert!(
            day.payments + day.recharges + day.refunds + day.rewards > 0,
            "{day:?}"
        );
    }
    for (day, from, to) in [
        (before, evening, midnight),
        (&today_figures, midnight, tomorrow),
    ] {
        let sums = summed(&state, from, to).await;
        let seen = [
            (day.collected, day.payments),
            (day.refunded, day.refunds),
            (day.sold, day.recharges),
            (day.reward_cost, day.rewards),
            (day.cash_refunded, of(&sums, "STORED_VALUE_REFUND").1),
            (of(&sums, "REDEEM").0, day.redeemed.values().sum::<u32>()),
        ];
        let summed = [
            "PAYMENT",
            "REFUND",
            "RECHARGE",
            "REWARD",
            "STORED_VALUE_REFUND",
            "REDEEM",
        ]
        .map(|kind| of(&sums, kind));
        assert_eq!(seen, summed, "{}", day.day);
    }
    // The two days together: every clawback, and every entry counted once.
    let both = dashboard.last(2);
    assert_eq!(both.clawback, clawed);
    assert_eq!(both.synthesized.get("FREE_APPETIZER"), Some(&1));
    assert!(
        both.redeemed.keys().all(|kind| kind == "FREE_APPETIZER"),
        "{:?}",
        both.redeemed
    );
    let silver: Option<i64> = state
        .db
        .query("RETURN math::sum(SELECT VALUE assets_change.silver ?? 0 FROM ledger WHERE merchant_id = $merchant AND type = 'REWARD')")
        .bind(("merchant", MERCHANT))
        .await
        .expect("silver")
        .take(0)
        .expect("a sum");
    assert_eq!(
        i64::try_from(both.silver_issued).expect("silver"),
        silver.unwrap_or_default()
    );
    // What the shop owes tonight is what its wallets hold.
    let owed: Vec<serde_json::Value> = state
        .db
        .query("SELECT math::sum(principal) AS principal, math::sum(bonus) AS bonus FROM wallet WHERE merchant = type::record('merchant', $merchant) GROUP ALL")
        .bind(("merchant", MERCHANT))
        .await
        .expect("wallets")
        .take(0)
        .expect("sums");
    let owed = owed.first().expect("a sum");
    let read = |field: &str| -> Money {
        Money::round_half_up(
            owed[field]
                .to_string()
                .trim_matches('"')
                .parse()
                .expect("a sum"),
        )
    };
    assert_eq!(today_figures.liability.principal, read("principal"));
    assert_eq!(today_figures.liability.bonus, read("bonus"));
    // Computed again, nothing changes; yesterday is closed once its grace is over.
    assert_eq!(
        figures::refresh(&state, MERCHANT, later)
            .await
            .expect("again"),
        today_figures
    );
}
