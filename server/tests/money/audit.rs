//! `mealquest check-ledger`'s audit: the books add up after real operations, and a balance
//! changed behind the ledger's back is found.

use app::api::assets::TradeSide;
use app::service::audit::{Mismatch, check_books};
use app::service::{assets, wallet};
use chrono::Utc;

use crate::helpers::{MERCHANT, cashier, give_silver, m, seeded_state};

const DINER: &str = "wx-demo-001";

#[tokio::test]
async fn the_books_add_up_after_recharges_trades_and_synthesis() {
    let state = seeded_state().await;
    let db = &state.db;
    wallet::recharge(&state, cashier(DINER), "T100", None)
        .await
        .expect("recharge");
    give_silver(db, DINER, 100).await;
    assets::trade(&state, MERCHANT, DINER, "CHILI", TradeSide::Buy, 3, None)
        .await
        .expect("buy chili");
    assets::trade(&state, MERCHANT, DINER, "PEPPER", TradeSide::Buy, 2, None)
        .await
        .expect("buy pepper");
    assets::synthesize(&state, MERCHANT, DINER, "FREE_APPETIZER", Utc::now, None)
        .await
        .expect("synthesize");
    wallet::stored_value_refund(&state, cashier(DINER), m("10"), m("10.00"), None)
        .await
        .expect("refund");
    let audit = check_books(&state).await.expect("audit");
    assert!(audit.accounts >= 1);
    assert!(audit.entries >= 5, "{audit:?}");
    assert_eq!(audit.mismatches, Vec::new());
}

#[tokio::test]
async fn a_balance_changed_behind_the_ledger_is_found() {
    let state = seeded_state().await;
    let db = &state.db;
    wallet::recharge(&state, cashier(DINER), "T100", None)
        .await
        .expect("recharge");
    give_silver(db, DINER, 40).await;
    db.query(
        "UPDATE type::record('wallet', [$merchant, $uid]) SET principal += 1dec;
         UPDATE type::record('diner', $uid) SET silver += 1;",
    )
    .bind(("merchant", MERCHANT))
    .bind(("uid", DINER))
    .await
    .expect("tampered");
    let audit = check_books(&state).await.expect("audit");
    assert!(
        audit
            .mismatches
            .iter()
            .any(|found| matches!(found, Mismatch::Wallet { account, .. } if account.uid == DINER)),
        "{:?}",
        audit.mismatches
    );
    assert!(
        audit.mismatches.iter().any(|found| matches!(
            found,
            Mismatch::Silver {
                stored: 41,
                ledger: 40,
                ..
            }
        )),
        "{:?}",
        audit.mismatches
    );
}
