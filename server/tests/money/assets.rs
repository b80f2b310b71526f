use std::collections::BTreeMap;

use app::api::assets::TradeSide;
use app::error::{AppError, ErrorCode};
use app::service::assets;
use app::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};

use crate::helpers::{MERCHANT, give_silver, seeded_disk_state, seeded_state};

const DINER: &str = "wx-demo-001";

fn code(err: &AppError) -> ErrorCode {
    err.to_problem().code
}

#[tokio::test]
async fn buy_fragments_then_synthesize_a_card() {
    let state = seeded_state().await;
    let db = &state.db;
    give_silver(db, DINER, 100).await;
    let bought = assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Buy, 3, None)
        .await
        .expect("buy chili");
    assert_eq!(bought.silver, 30);
    assets::trade(&state, MERCHANT, DINER, "PEPPER", TradeSide::Buy, 2, None)
        .await
        .expect("buy pepper");
    assert_eq!(db::assets::silver(db, DINER).await.expect("silver"), 46);

    let card = assets::synthesize(&state, MERCHANT, DINER, "FREE_APPETIZER", Utc::now, None)
        .await
        .expect("synthesize");
    assert_eq!(card.stock_left_today, 19);
    let stored = db::card::get(db, &card.card_uuid)
        .await
        .expect("get")
        .expect("card");
    assert_eq!(stored.status, "ACTIVE");
    assert_eq!(stored.uid, DINER);
    assert!(
        db::assets::holdings(db, MERCHANT, DINER)
            .await
            .expect("holdings")
            .is_empty()
    );
}

#[tokio::test]
async fn missing_fragments_refuse_synthesis_and_take_no_stock() {
    let state = seeded_state().await;
    let db = &state.db;
    give_silver(db, DINER, 100).await;
    assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Buy, 3, None)
        .await
        .expect("buy");
    let err = assets::synthesize(&state, MERCHANT, DINER, "FREE_APPETIZER", Utc::now, None)
        .await
        .expect_err("no pepper");
    assert_eq!(code(&err), ErrorCode::InsufficientFragments);
    let held = db::assets::holdings(db, MERCHANT, DINER)
        .await
        .expect("holdings");
    assert_eq!(held.get("CHILI"), Some(&3), "fragments untouched");
    let stock = db::assets::stock(db, MERCHANT, "FREE_APPETIZER")
        .await
        .expect("stock")
        .expect("row");
    assert_eq!(stock.reset_day, "1970-01-01", "stock untouched");
}

#[tokio::test]
async fn trades_need_silver_or_fragments_and_a_buy_back_price() {
    let state = seeded_state().await;
    let db = &state.db;
    give_silver(db, DINER, 15).await;
    let err = assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Buy, 2, None)
        .await
        .expect_err("20 > 15");
    assert_eq!(code(&err), ErrorCode::InsufficientSilver);
    let err = assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Sell, 1, None)
        .await
        .expect_err("holds none");
    assert_eq!(code(&err), ErrorCode::InsufficientFragments);
    let err = assets::trade(&state, MERCHANT, DINER, "PANDA", TradeSide::Sell, 1, None)
        .await
        .expect_err("not bought back");
    assert_eq!(code(&err), ErrorCode::Conflict);
    let err = assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Buy, 0, None)
        .await
        .expect_err("zero");
    assert_eq!(code(&err), ErrorCode::ValidationFailed);
    let err = assets::trade(&state, MERCHANT, DINER, "GOLD", TradeSide::Buy, 1, None)
        .await
        .expect_err("unknown");
    assert_eq!(code(&err), ErrorCode::NotFound);
    assert_eq!(db::assets::silver(db, DINER).await.expect("silver"), 15);

    assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Buy, 1, None)
        .await
        .expect("buy");
    let sold = assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Sell, 1, None)
        .await
        .expect("sell");
    assert_eq!(sold.silver, 5);
    assert_eq!(db::assets::silver(db, DINER).await.expect("silver"), 10);
}

/// 200 diners with the fragments synthesize the same card type at once against a stock of
/// 10: exactly 10 cards exist afterwards, and only their owners lost fragments.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_synthesis_never_oversells_the_daily_stock() {
    synthesis_never_oversells(seeded_state().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_synthesis_never_oversells_the_daily_stock_on_disk() {
    let (state, _dir) = seeded_disk_state().await;
    synthesis_never_oversells(state).await;
}

async fn synthesis_never_oversells(state: AppState) {
    let db = &state.db;
    let diners: Vec<String> = (0..200).map(|n| format!("diner-{n:03}")).collect();
    for uid in &diners {
        db::diner::ensure(db, uid, None, None).await.expect("diner");
        give_silver(db, uid, 1000).await;
        for (fragment, count) in [("CHILI", 5), ("PEPPER", 5), ("PANDA", 1)] {
            assets::trade(&state, MERCHANT, uid, fragment, TradeSide::Buy, count, None)
                .await
                .expect("buy");
        }
    }
    let tasks: Vec<_> = diners
        .iter()
        .cloned()
        .map(|uid| {
            let state = state.clone();
            tokio::spawn(async move {
                assets::synthesize(&state, MERCHANT, &uid, "HOTPOT_30", Utc::now, None).await
            })
        })
        .collect();
    let (mut made, mut sold_out, mut busy) = (0, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => made += 1,
            Err(AppError::OutOfStock(_)) => sold_out += 1,
            Err(AppError::Busy { .. }) => busy += 1,
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(made, 10, "{sold_out} sold out, {busy} busy");
    let mut response = db
        .query("SELECT VALUE count() FROM card WHERE card_type = card_type:['demo', 'HOTPOT_30'] GROUP ALL")
        .await
        .expect("count");
    let cards: Option<i64> = response.take(0).expect("count");
    assert_eq!(cards, Some(10));
}

/// Requests stamped a second before and a second after the shop's midnight (Asia/Shanghai)
/// race each other, served in whatever order the lock and the retries give them. However
/// they interleave, no day gives out more than its cap, a request never counts against a
/// day earlier than its own, and the stored count ends on the later day.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn synthesis_around_midnight_never_oversells_either_day() {
    const CAP: u32 = 5;
    const EACH_SIDE: usize = 20;
    let state = seeded_state().await;
    let db = &state.db;
    let before_midnight = shop_time("2026-11-30T23:59:59+08:00");
    let after_midnight = shop_time("2026-12-01T00:00:01+08:00");
    let (day_n, day_n1) = (day("2026-11-30"), day("2026-12-01"));
    app::service::catalog::set_daily_cap(&state, MERCHANT, "FREE_APPETIZER", CAP, move || {
        before_midnight
    })
    .await
    .expect("cap set on day N");
    // Enough fragments for every request (3 chili + 2 pepper a card).
    let requests = u32::try_from(2 * EACH_SIDE).expect("small");
    give_silver(db, DINER, i64::from(requests) * 54).await;
    for (fragment, count) in [("CHILI", 3), ("PEPPER", 2)] {
        assets::trade(
            &state,
            MERCHANT,
            DINER,
            fragment,
            TradeSide::Buy,
            count * requests,
            None,
        )
        .await
        .expect("buy");
    }

    let cards_before = cards_of(db, DINER).await;
    let tasks: Vec<_> = (0..2 * EACH_SIDE)
        .map(|n| {
            let stamp = if n % 2 == 0 {
                before_midnight
            } else {
                after_midnight
            };
            let state = state.clone();
            tokio::spawn(async move {
                let made = assets::synthesize(
                    &state,
                    MERCHANT,
                    DINER,
                    "FREE_APPETIZER",
                    move || stamp,
                    None,
                )
                .await;
                (stamp, made)
            })
        })
        .collect();
    let mut given: BTreeMap<NaiveDate, Vec<u32>> = BTreeMap::new();
    for task in tasks {
        let (stamp, made) = task.await.expect("task");
        match made {
            Ok(receipt) => {
                let own_day = if stamp == before_midnight {
                    day_n
                } else {
                    day_n1
                };
                assert!(
                    receipt.stock_day >= own_day,
                    "a request of {own_day} counted against {}",
                    receipt.stock_day
                );
                given
                    .entry(receipt.stock_day)
                    .or_default()
                    .push(receipt.stock_left_today);
            }
            Err(AppError::OutOfStock(_)) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    for (stock_day, left) in &mut given {
        left.sort_unstable();
        // Each unit of a day given once: what was left after each is 0, 1, … up to CAP - 1.
        let first = u32::try_from(left.len())
            .ok()
            .and_then(|n| CAP.checked_sub(n))
            .unwrap_or_else(|| panic!("{} given out on {stock_day}: {left:?}", left.len()));
        assert_eq!(
            *left,
            (first..CAP).collect::<Vec<_>>(),
            "given out on {stock_day}"
        );
    }
    // Day N+1 had more requests than units: all of its units went.
    assert_eq!(
        given.get(&day_n1).map(Vec::len),
        usize::try_from(CAP).ok(),
        "{given:?}"
    );
    let stock = db::assets::stock(db, MERCHANT, "FREE_APPETIZER")
        .await
        .expect("stock")
        .expect("row");
    assert_eq!(
        (stock.reset_day.as_str(), stock.current_stock),
        ("2026-12-01", 0)
    );
    let made: usize = given.values().map(Vec::len).sum();
    assert_eq!(
        cards_of(db, DINER).await,
        cards_before + made,
        "a card for each receipt"
    );
}

async fn cards_of(db: &db::Db, uid: &str) -> usize {
    db::card::for_diner(db, MERCHANT, uid)
        .await
        .expect("cards")
        .len()
}

fn shop_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .to_utc()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}
