//! The catalogue API: owners and managers edit, cashiers and diners read, nobody edits
//! another shop, and bad entries are refused with the field named.

use app::api::assets::SynthesisReceipt;
use app::api::catalog::{CardTypeOnOffer, Catalog};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, key, spawn_app};

const DINER: &str = "wx-demo-001";

async fn owner(app: &TestApp) -> String {
    app.staff_token("laowang", "owner-demo-1").await
}

async fn catalog(app: &TestApp, token: &str) -> Catalog {
    app.read("/api/catalog?merchant_id=demo", token).await
}

fn noodle_card(daily_cap: u32) -> Value {
    json!({ "card_type": {
        "code": "NOODLES", "name": "担担面入席令",
        "recipe": [{ "fragment": "CHILI", "count": 2 }],
        "benefit": "12.00", "benefit_description": "担担面一碗（抵12元）",
        "validity_days": 7, "cost_basis": "4.50", "daily_cap": daily_cap, "active": true
    }})
}

/// Grants the diner `silver` (as the rule engine will).
async fn give_silver(app: &TestApp, silver: i64) {
    let entry = db::ledger::NewLedgerEntry::new(
        db::ledger::LedgerType::Reward,
        rust_decimal::Decimal::ZERO,
        "demo",
        DINER,
        db::ledger::AssetsChange::default(),
    );
    db::assets::reward_silver(&app.db, DINER, silver, &entry)
        .await
        .expect("silver");
}

async fn buy_chili(app: &TestApp, diner: &str, quantity: u32) -> reqwest::Response {
    let body =
        json!({ "merchant_id": "demo", "fragment": "CHILI", "side": "BUY", "quantity": quantity });
    app.post("/api/market/trade", Some(diner), Some(&key()), &body)
        .await
}

async fn synthesize_noodles(app: &TestApp, diner: &str) -> reqwest::Response {
    let body = json!({ "merchant_id": "demo", "card_type": "NOODLES" });
    app.post("/api/assets/synthesize", Some(diner), Some(&key()), &body)
        .await
}

/// Gives the diner silver and buys `count` CHILI fragments with it.
async fn give_chili(app: &TestApp, count: u32) {
    give_silver(app, 1000).await;
    app::service::assets::trade(
        &app.state,
        "demo",
        DINER,
        "CHILI",
        app::api::assets::TradeSide::Buy,
        count,
        None,
    )
    .await
    .expect("fragments");
}

#[tokio::test]
async fn the_demo_catalogue_is_readable_by_diners_and_staff() {
    let app = spawn_app().await;
    let diner = app.diner_token(DINER).await;
    let seen = catalog(&app, &diner).await;
    let tiers: Vec<&str> = seen.tiers.iter().map(|tier| tier.label.as_str()).collect();
    assert_eq!(tiers, ["充100送20", "充300送80"]);
    let card = &seen.card_types[0];
    assert_eq!(card.card_type.code.as_str(), "FREE_APPETIZER");
    assert_eq!(card.card_type.benefit.to_string(), "18.00");
    // The demo diner's cards came out of today's stock.
    assert_eq!(
        usize::try_from(card.left_today),
        Ok(20 - db::seed::DEMO_CARDS)
    );
    assert_eq!(seen.listings.len(), 3);
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    assert_eq!(catalog(&app, &cashier).await, seen);
}

#[tokio::test]
async fn an_owner_adds_a_card_type_that_diners_can_then_synthesize() {
    let app = spawn_app().await;
    let boss = owner(&app).await;
    let saved: CardTypeOnOffer = app
        .call("/api/catalog/card_types", &boss, &noodle_card(5))
        .await;
    assert_eq!(saved.left_today, 5);
    assert_eq!(saved.card_type.benefit.to_string(), "12.00");

    let diner = app.diner_token(DINER).await;
    let bought = buy_chili(&app, &diner, 2).await;
    // Diners start without silver: the purchase is refused, so grant some first.
    assert_problem(bought, 409, "INSUFFICIENT_SILVER").await;
    give_silver(&app, 100).await;
    let bought = buy_chili(&app, &diner, 2).await;
    assert_eq!(bought.status(), 200);
    let card: SynthesisReceipt = app
        .call(
            "/api/assets/synthesize",
            &diner,
            &json!({ "merchant_id": "demo", "card_type": "NOODLES" }),
        )
        .await;
    assert_eq!(card.stock_left_today, 4);
}

#[tokio::test]
async fn a_new_cap_keeps_what_was_taken_today() {
    let app = spawn_app().await;
    let boss = owner(&app).await;
    let first = app
        .post(
            "/api/catalog/card_types",
            Some(&boss),
            None,
            &noodle_card(5),
        )
        .await;
    assert_eq!(first.status(), 200);
    give_chili(&app, 2).await;
    let diner = app.diner_token(DINER).await;
    let card = synthesize_noodles(&app, &diner).await;
    assert_eq!(card.status(), 200);
    let raised: CardTypeOnOffer = app
        .call(
            "/api/catalog/stock",
            &boss,
            &json!({ "card_type": "NOODLES", "daily_cap": 8 }),
        )
        .await;
    assert_eq!(
        (raised.card_type.daily_cap.get(), raised.left_today),
        (8, 7)
    );
    let unknown = app
        .post(
            "/api/catalog/stock",
            Some(&boss),
            None,
            &json!({ "card_type": "NOPE", "daily_cap": 8 }),
        )
        .await;
    assert_problem(unknown, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn tiers_and_listings_are_saved_and_withdrawn() {
    let app = spawn_app().await;
    let boss = app.staff_token("xiaoli", "manager-demo-1").await;
    let tier = json!({ "tier": { "code": "T500", "label": "充500送150", "pay": "500", "bonus": "150", "active": true } });
    let saved = app
        .post("/api/catalog/tiers", Some(&boss), None, &tier)
        .await;
    assert_eq!(saved.status(), 200);
    let withdrawn = json!({ "listing": { "fragment": "PANDA", "buy_price": 80, "sell_price": null, "active": false } });
    let saved = app
        .post("/api/catalog/listings", Some(&boss), None, &withdrawn)
        .await;
    assert_eq!(saved.status(), 200);

    let diner = app.diner_token(DINER).await;
    let seen = catalog(&app, &diner).await;
    assert_eq!(seen.tiers.len(), 3);
    assert_eq!(seen.listings.len(), 2);
    let staff_view = catalog(&app, &boss).await;
    assert_eq!(staff_view.listings.len(), 3);
}

#[tokio::test]
async fn cashiers_and_diners_may_not_edit_and_nobody_reads_another_shop_as_staff() {
    let app = spawn_app().await;
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let refused = app
        .post(
            "/api/catalog/card_types",
            Some(&cashier),
            None,
            &noodle_card(5),
        )
        .await;
    assert_problem(refused, 403, "FORBIDDEN").await;
    let diner = app.diner_token(DINER).await;
    let refused = app
        .post(
            "/api/catalog/card_types",
            Some(&diner),
            None,
            &noodle_card(5),
        )
        .await;
    assert_problem(refused, 403, "FORBIDDEN").await;

    db::merchant::upsert(&app.db, "other", "别家", "Asia/Shanghai")
        .await
        .expect("merchant");
    let elsewhere = app.get_as("/api/catalog?merchant_id=other", &cashier).await;
    assert_problem(elsewhere, 404, "NOT_FOUND").await;
    let missing = app.get_as("/api/catalog?merchant_id=nowhere", &diner).await;
    assert_problem(missing, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn bad_catalogue_entries_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let boss = owner(&app).await;
    let before = catalog(&app, &boss).await;
    let mut bad_code = noodle_card(5);
    bad_code["card_type"]["code"] = json!("noodles");
    let mut unknown_fragment = noodle_card(5);
    unknown_fragment["card_type"]["recipe"] = json!([{ "fragment": "GOLD", "count": 1 }]);
    let mut zero_benefit = noodle_card(5);
    zero_benefit["card_type"]["benefit"] = json!("0");
    let mut float_money = noodle_card(5);
    float_money["card_type"]["benefit"] = json!(12.5);
    let cases = [
        ("/api/catalog/card_types", bad_code, 422),
        ("/api/catalog/card_types", unknown_fragment, 404),
        ("/api/catalog/card_types", zero_benefit, 422),
        ("/api/catalog/card_types", noodle_card(100_001), 422),
        ("/api/catalog/card_types", float_money, 422),
        (
            "/api/catalog/tiers",
            json!({ "tier": { "code": "T1", "label": "x", "pay": "10", "bonus": "11", "active": true } }),
            422,
        ),
        (
            "/api/catalog/listings",
            json!({ "listing": { "fragment": "CHILI", "buy_price": 10, "sell_price": 10, "active": true } }),
            422,
        ),
        (
            "/api/catalog/listings",
            json!({ "listing": { "fragment": "GOLD", "buy_price": 10, "sell_price": null, "active": true } }),
            404,
        ),
        (
            "/api/catalog/fragments",
            json!({ "fragment": { "code": "GOLD", "name": " ", "rarity": "RARE" } }),
            422,
        ),
        (
            "/api/catalog/fragments",
            json!({ "fragment": { "code": "GOLD", "name": "金", "rarity": "MYTHIC" } }),
            422,
        ),
    ];
    for (path, body, status) in cases {
        let response = app.post(path, Some(&boss), None, &body).await;
        assert_eq!(response.status().as_u16(), status, "{path} {body}");
    }
    assert_eq!(catalog(&app, &boss).await, before);
}
