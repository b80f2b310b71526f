//! The figures worker's read of a day: every entry of the range, none outside it, however
//! many share one time across the pages it is read in.

mod common;

use chrono::{Duration, TimeZone, Utc};
use db::ledger::{AssetsChange, LedgerEntry, LedgerType};
use rust_decimal::Decimal;

fn entry(i: usize, at: chrono::DateTime<Utc>, kind: LedgerType) -> LedgerEntry {
    LedgerEntry {
        txn_id: format!("t-{i:06}"),
        kind,
        amount: Decimal::ONE,
        assets_change: AssetsChange::default(),
        merchant_id: "demo".into(),
        user_uid: "wx-demo-001".into(),
        staff: None,
        reference: None,
        timestamp: at,
    }
}

#[tokio::test]
async fn a_range_is_read_whole_across_pages_and_equal_times() {
    let db = common::seeded_db().await;
    let start = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let end = start + Duration::days(1);
    let noon = start + Duration::hours(12);
    let mut rows = Vec::new();
    // Before the day, 2,500 at one moment (more than a page), 1,500 more, one at its very
    // start and one at its end (the next day's), and some of another type.
    rows.extend((0..10).map(|i| entry(i, start - Duration::seconds(1), LedgerType::Payment)));
    rows.push(entry(10, start, LedgerType::Payment));
    rows.extend((11..2_511).map(|i| entry(i, noon, LedgerType::Payment)));
    rows.extend((2_511..4_011).map(|i| {
        let second = i64::try_from(i).unwrap_or(0);
        entry(i, noon + Duration::seconds(second), LedgerType::Payment)
    }));
    rows.push(entry(4_011, end, LedgerType::Payment));
    rows.extend((4_012..4_112).map(|i| entry(i, noon, LedgerType::Recharge)));
    for batch in rows.chunks(1_000) {
        db.query("INSERT INTO ledger $rows RETURN NONE")
            .bind(("rows", batch.to_vec()))
            .await
            .expect("insert")
            .check()
            .expect("inserted");
    }
    let read = db::figures::entries(&db, "demo", start, end)
        .await
        .expect("read");
    let within: Vec<&LedgerEntry> = rows
        .iter()
        .filter(|e| e.timestamp >= start && e.timestamp < end)
        .collect();
    assert_eq!(read.len(), within.len());
    let mut ids: Vec<&str> = read.iter().map(|e| e.txn_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), within.len(), "no entry twice");
    assert!(read.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
}

#[tokio::test]
async fn the_last_day_before_another_is_this_shops_closed_or_not() {
    let db = common::seeded_db().await;
    let figures = serde_json::json!({ "collected": "1.00" });
    for (merchant, day, closed) in [
        ("demo", "2026-03-01", true),
        ("demo", "2026-03-02", true),
        ("demo", "2026-03-03", false),
        ("demo", "2026-03-05", true),
        ("other", "2026-03-04", true),
    ] {
        db::figures::store(&db, merchant, day, figures.clone(), closed, &[])
            .await
            .expect("stored");
    }
    let before = |day: &'static str, closed_only: bool| {
        let db = db.clone();
        async move {
            db::figures::before(&db, "demo", day, closed_only)
                .await
                .expect("read")
                .map(|row| row.day)
        }
    };
    for (day, closed_only, last) in [
        ("2026-03-05", false, Some("2026-03-03")),
        ("2026-03-05", true, Some("2026-03-02")),
        ("2026-03-09", false, Some("2026-03-05")),
        ("2026-03-02", false, Some("2026-03-01")),
        ("2026-03-01", false, None),
    ] {
        assert_eq!(
            before(day, closed_only).await.as_deref(),
            last,
            "{day} {closed_only}"
        );
    }
}
