//! A card is worth what its type offered when it was issued: an owner who changes the card
//! type afterwards changes only the cards issued after that.

use app::api::assets::TradeSide;
use app::api::payment::ScanResult;
use app::service::payment;
use app::service::{assets, catalog, wallet};
use app::state::AppState;
use chrono::Utc;
use rust_decimal::Decimal;

use crate::helpers::{
    MERCHANT, TILL, assert_wallet_matches_ledger, cashier, give_silver, m, pay_with_card,
    seeded_state,
};

/// A 凉菜入席令 (18 off) the diner synthesizes from fragments bought with silver.
async fn synthesized_card(state: &AppState, uid: &str) -> String {
    let db = &state.db;
    db::diner::ensure(db, uid, None, None).await.expect("diner");
    give_silver(db, uid, 54).await;
    for (fragment, count) in [("CHILI", 3), ("PEPPER", 2)] {
        assets::trade(state, MERCHANT, uid, fragment, TradeSide::Buy, count, None)
            .await
            .expect("buy");
    }
    assets::synthesize(state, MERCHANT, uid, "FREE_APPETIZER", Utc::now, None)
        .await
        .expect("synthesize")
        .card_uuid
}

/// The owner renames the card type and cuts its benefit from 18 to 5, through the catalogue.
async fn owner_cuts_the_benefit(state: &AppState) {
    let offer = catalog::read(state, MERCHANT, true, Utc::now())
        .await
        .expect("catalogue")
        .card_types
        .into_iter()
        .find(|offer| offer.card_type.code == "FREE_APPETIZER")
        .expect("FREE_APPETIZER on offer");
    let mut changed = offer.card_type;
    changed.name = "凉菜小券".parse().expect("a name");
    changed.benefit = app::domain::Amount::new(m("5")).expect("an amount");
    changed.benefit_description = "凉菜立减5元".parse().expect("a name");
    changed.cost_basis = m("2");
    catalog::save_card_type(state, MERCHANT, changed, Utc::now)
        .await
        .expect("saved");
}

/// Scans a card of `d1` at the till: the name and benefit the counter is shown, and the
/// amount its REDEEM entry records.
async fn scan_card(state: &AppState, card: &str) -> (String, String, Decimal) {
    let db = &state.db;
    let scanned = payment::scan(state, TILL, card, Utc::now(), None)
        .await
        .expect("redeem");
    let ScanResult::CardRedeemed {
        txn_id,
        card_name,
        benefit,
        ..
    } = scanned
    else {
        panic!("expected a redemption, got {scanned:?}");
    };
    let recorded = db::ledger::for_diner(db, MERCHANT, "d1", 50)
        .await
        .expect("ledger")
        .into_iter()
        .find(|entry| entry.txn_id == txn_id)
        .expect("the REDEEM entry")
        .amount;
    (card_name, benefit, recorded)
}

#[tokio::test]
async fn a_scanned_card_gives_what_it_was_issued_with() {
    let state = seeded_state().await;
    let card = synthesized_card(&state, "d1").await;
    owner_cuts_the_benefit(&state).await;
    let issued_later = synthesized_card(&state, "d1").await;

    assert_eq!(
        scan_card(&state, &card).await,
        (
            "凉菜入席令".to_owned(),
            "免费凉菜一份（抵18元）".to_owned(),
            Decimal::new(18, 0)
        )
    );
    // A card issued after the change is worth the new terms.
    assert_eq!(
        scan_card(&state, &issued_later).await,
        (
            "凉菜小券".to_owned(),
            "凉菜立减5元".to_owned(),
            Decimal::new(5, 0)
        )
    );
}

#[tokio::test]
async fn a_payment_with_a_card_takes_off_what_the_card_was_issued_with() {
    let state = seeded_state().await;
    wallet::recharge(&state, cashier("d1"), "T100", None)
        .await
        .expect("recharge");
    let card = synthesized_card(&state, "d1").await;
    owner_cuts_the_benefit(&state).await;
    // The diner pays with the card after the change: it still takes 18 off.
    let (_, deduction, split) = pay_with_card(&state, "d1", "60", &card, Utc::now()).await;
    assert_eq!(deduction, m("18"));
    assert_eq!(split.total(), Some(m("42")));
    assert_wallet_matches_ledger(&state, "d1").await;
}
