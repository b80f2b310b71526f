//! The boss's dashboard over a year of books: a million ledger entries of the demo shop
//! spread over the 365 days before today (and a busy day today), on the embedded engine
//! (SurrealKV in a temp dir).
//!
//! Reported: the figures worker catching up a year (every day computed once and closed),
//! one of its rounds for today (what a collection costs it), the dashboard's service read,
//! and the page itself rendered by the server (`GET /console`, SSR with the owner's token).
//!
//! `cargo bench -p server --bench dashboard`; figures go to docs/benchmarks.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use db::ledger::{AssetsChange, LedgerEntry, LedgerType};
use rust_decimal::Decimal;
use server::startup::Application;

const MERCHANT: &str = "demo";
const ENTRIES: usize = 1_000_000;
const DAYS: i64 = 365;
const BATCH: usize = 5_000;
const SAMPLES: usize = 200;

fn percentile(values: &mut [Duration], percent: usize) -> f64 {
    values.sort();
    let index = values.len().saturating_sub(1) * percent / 100;
    values.get(index).copied().unwrap_or_default().as_secs_f64() * 1e3
}

fn row(label: &str, values: &mut [Duration]) {
    let p50 = percentile(values, 50);
    let p95 = percentile(values, 95);
    let p99 = percentile(values, 99);
    println!(
        "| {label} | {} | {p50:.2} ms | {p95:.2} ms | {p99:.2} ms |",
        values.len()
    );
}

/// Entry `i` of the year: a payment, a recharge, a refund or a reward, at a moment of day
/// `i % 366` before today (today's share written before now).
fn entry(i: usize, today_start: chrono::DateTime<Utc>) -> LedgerEntry {
    let day = i64::try_from(i).unwrap_or(0) % (DAYS + 1);
    let second = i64::try_from(i / 366).unwrap_or(0) % 86_000;
    let at = today_start - chrono::Duration::days(day) + chrono::Duration::seconds(second);
    let at = if day == 0 { Utc::now().min(at) } else { at };
    let money = |text: &str| -> Decimal { text.parse().expect("a decimal") };
    let wallet = |principal: &str, bonus: &str| AssetsChange {
        principal: Some(money(principal)),
        bonus: Some(money(bonus)),
        ..AssetsChange::default()
    };
    let (kind, amount, assets_change) = match i % 10 {
        0..=4 => (LedgerType::Payment, "38.50", wallet("-32.00", "-6.50")),
        5 | 6 => (LedgerType::Recharge, "100.00", wallet("100.00", "20.00")),
        7 => (LedgerType::Refund, "12.00", wallet("10.00", "2.00")),
        _ => (
            LedgerType::Reward,
            "1.50",
            AssetsChange {
                silver: Some(5),
                ..AssetsChange::default()
            },
        ),
    };
    LedgerEntry {
        txn_id: uuid::Uuid::now_v7().to_string(),
        kind,
        amount: money(amount),
        assets_change,
        merchant_id: MERCHANT.to_owned(),
        user_uid: format!("year-{}", i % 5_000),
        staff: None,
        reference: None,
        timestamp: at,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = format!("surrealkv://{}/db", dir.path().display());
    // The tests' configuration (the demo shop; the figures worker off: the bench computes
    // the figures itself, timed) on a store on disk.
    let config = support::test_config(&[
        ("MEALQUEST_DATABASE__URL", store.as_str()),
        ("MEALQUEST_LOG__FILTER", "error"),
    ]);
    let app = Application::build(&config).await.expect("app");
    let state = app.state().clone();
    let db = state.db.clone();
    let base = format!("http://{}", app.local_addr().expect("addr"));
    tokio::spawn(app.run_until(std::future::pending()));

    let zone = chrono_tz::Asia::Shanghai;
    let local = Utc::now().with_timezone(&zone).date_naive();
    let today_start = zone
        .from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .expect("midnight")
        .with_timezone(&Utc);

    // A year of books, written straight into the ledger in batches.
    let started = Instant::now();
    let mut written = 0;
    while written < ENTRIES {
        let rows: Vec<LedgerEntry> = (written..(written + BATCH).min(ENTRIES))
            .map(|i| entry(i, today_start))
            .collect();
        written += rows.len();
        db.query("INSERT INTO ledger $rows RETURN NONE")
            .bind(("rows", rows))
            .await
            .expect("insert")
            .check()
            .expect("inserted");
    }
    let loaded = started.elapsed();
    println!(
        "{ENTRIES} ledger entries over {DAYS} days written in {:.1} s",
        loaded.as_secs_f64()
    );

    // The worker's first round: a year caught up, day by day.
    let started = Instant::now();
    app::service::figures::refresh(&state, MERCHANT, Utc::now())
        .await
        .expect("caught up");
    let caught_up = started.elapsed();
    println!(
        "a year caught up (each day computed once and closed): {:.1} s",
        caught_up.as_secs_f64()
    );

    println!("| what | samples | p50 | p95 | p99 |");
    println!("| --- | --- | --- | --- | --- |");
    // A round of the worker for the shop: today computed again (nothing moved: no write).
    let mut rounds = Vec::new();
    for _ in 0..SAMPLES / 4 {
        let started = Instant::now();
        app::service::figures::refresh(&state, MERCHANT, Utc::now())
            .await
            .expect("round");
        rounds.push(started.elapsed());
    }
    let today = db::figures::days(&db, MERCHANT, &local.to_string(), &local.to_string())
        .await
        .expect("today");
    let entries_today = ENTRIES / usize::try_from(DAYS + 1).unwrap_or(1);
    row(
        &format!("figures worker: one round for the shop (today ≈ {entries_today} entries)"),
        &mut rounds,
    );
    assert_eq!(today.len(), 1, "today is stored");

    // The dashboard as the page's server function reads it.
    let mut reads = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let dashboard = app::service::figures::dashboard(&state, MERCHANT, Utc::now())
            .await
            .expect("dashboard");
        reads.push(started.elapsed());
        assert_eq!(dashboard.days.len(), 30);
    }
    row("dashboard: service read (30 days + budgets)", &mut reads);

    // The page rendered by the server, as the owner's browser asks for it.
    let client = reqwest::Client::new();
    let session: serde_json::Value = client
        .post(format!("{base}/api/auth/staff/login"))
        .json(&serde_json::json!({"username": "laowang", "password": "owner-demo-1"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("session");
    let token = session
        .get("token")
        .and_then(|t| t.as_str())
        .expect("token")
        .to_owned();
    let mut pages = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let page = client
            .get(format!("{base}/console"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        pages.push(started.elapsed());
        assert!(page.contains("fig-collected"), "the dashboard rendered");
    }
    row("dashboard: GET /console, server-rendered", &mut pages);
}
