//! The demo data is ledgered like real activity: the demo diner's cards come from a REWARD of
//! fragments and a SYNTHESIZE per card, so every demo diner holds exactly what the sum of
//! their statement says, and the statement shows where each card came from.

use std::collections::BTreeMap;

use chrono::Utc;
use db::seed::{DEMO_CARD_HOLDER, DEMO_CARDS, DEMO_DINERS, DEMO_MERCHANT_ID};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, key, spawn_app, test_config};

/// What a diner holds at the demo shop, as the diner's own endpoints show it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Holdings {
    principal: Decimal,
    bonus: Decimal,
    silver: i64,
    fragments: BTreeMap<String, i64>,
    cards: BTreeMap<String, String>,
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get_as(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

fn decimal(value: &Value) -> Decimal {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a decimal string"))
}

/// The diner's statement, oldest first.
async fn statement(app: &TestApp, token: &str) -> Vec<Value> {
    let lines = get_json(app, "/api/ledger/mine?merchant_id=demo&limit=200", token).await;
    let mut lines = lines.as_array().expect("lines").clone();
    assert!(lines.len() < 200, "the whole statement fits");
    lines.reverse();
    lines
}

async fn held(app: &TestApp, token: &str) -> Holdings {
    let wallet = get_json(app, "/api/wallets/mine?merchant_id=demo", token).await;
    let assets = get_json(app, "/api/assets/mine?merchant_id=demo", token).await;
    Holdings {
        principal: decimal(at(&wallet, "principal")),
        bonus: decimal(at(&wallet, "bonus")),
        silver: at(&assets, "silver").as_i64().expect("silver"),
        fragments: serde_json::from_value(at(&assets, "fragments").clone()).expect("fragments"),
        cards: at(&assets, "cards")
            .as_array()
            .expect("cards")
            .iter()
            .map(|card| {
                let field = |name: &str| at(card, name).as_str().expect(name).to_owned();
                (field("uuid"), field("status"))
            })
            .collect(),
    }
}

/// The sum of a statement's changes (cards: each card's last status).
fn summed(lines: &[Value]) -> Holdings {
    let mut sum = Holdings::default();
    for line in lines {
        let change = |name: &str| Some(at(line, name)).filter(|value| !value.is_null());
        sum.principal += change("principal_change").map_or(Decimal::ZERO, decimal);
        sum.bonus += change("bonus_change").map_or(Decimal::ZERO, decimal);
        sum.silver += at(line, "silver_change").as_i64().unwrap_or(0);
        let fragments: Option<BTreeMap<String, i64>> =
            serde_json::from_value(at(line, "fragments_change").clone()).expect("fragments");
        for (fragment, change) in fragments.unwrap_or_default() {
            *sum.fragments.entry(fragment).or_default() += change;
        }
        let cards: Option<BTreeMap<String, String>> =
            serde_json::from_value(at(line, "cards").clone()).expect("cards");
        sum.cards.extend(cards.unwrap_or_default());
    }
    // What is held shows no fragment of which none is left.
    sum.fragments.retain(|_, count| *count != 0);
    sum
}

/// A field of a JSON object (null when absent).
fn at<'a>(value: &'a Value, name: &str) -> &'a Value {
    value.get(name).unwrap_or(&Value::Null)
}

/// Holdings = Σ statement, for every demo diner; returns each one's statement.
async fn assert_demo_diners_match_their_statements(app: &TestApp) -> BTreeMap<String, Vec<Value>> {
    let mut statements = BTreeMap::new();
    for (uid, _, _) in DEMO_DINERS {
        let token = app.diner_token(uid).await;
        let lines = statement(app, &token).await;
        assert_eq!(held(app, &token).await, summed(&lines), "{uid}");
        statements.insert(uid.to_owned(), lines);
    }
    statements
}

#[tokio::test]
async fn demo_diners_hold_exactly_what_their_statements_add_up_to() {
    let app = spawn_app().await;
    let statements = assert_demo_diners_match_their_statements(&app).await;
    let kinds: Vec<&str> = statements
        .get(DEMO_CARD_HOLDER)
        .expect("the card holder's statement")
        .iter()
        .filter_map(|line| line["kind"].as_str())
        .collect();
    let mut expected = vec!["REWARD"];
    expected.extend(["SYNTHESIZE"; DEMO_CARDS]);
    assert_eq!(kinds, expected);

    // The next start seeds again: nothing changes.
    db::seed::demo_data(&app.db).await.expect("seeds again");
    app::service::demo::seed_demo_cards(&app.state, Utc::now())
        .await
        .expect("seeds the cards again");
    assert_eq!(
        assert_demo_diners_match_their_statements(&app).await,
        statements
    );
}

#[tokio::test]
async fn a_redeemed_demo_card_was_synthesized_earlier_in_the_statement() {
    let app = spawn_app().await;
    let cards = db::card::for_diner(&app.db, DEMO_MERCHANT_ID, DEMO_CARD_HOLDER)
        .await
        .expect("cards");
    assert_eq!(cards.len(), DEMO_CARDS);
    let card = cards.first().expect("a card").uuid.clone();
    let till = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let scanned = app
        .post(
            "/api/payment/verify",
            Some(&till),
            Some(&key()),
            &json!({ "code": card }),
        )
        .await;
    assert_eq!(scanned.status(), 200);

    let statements = assert_demo_diners_match_their_statements(&app).await;
    let lines = statements
        .get(DEMO_CARD_HOLDER)
        .expect("the card holder's statement");
    let position = |kind: &str, status: &str| {
        lines
            .iter()
            .position(|line| line["kind"] == kind && line["cards"][&card] == status)
            .unwrap_or_else(|| panic!("no {kind} of {card} in {lines:#?}"))
    };
    let (made, redeemed) = (position("SYNTHESIZE", "ACTIVE"), position("REDEEM", "USED"));
    assert!(made < redeemed, "{lines:#?}");
    assert!(
        lines.iter().take(made).all(|line| line["kind"] != "REDEEM"),
        "{lines:#?}"
    );
}

/// Two processes starting on a fresh database at once: the demo diner gets the cards once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_ups_seeding_at_once_give_the_demo_cards_once() {
    let config = test_config(&[]);
    let options = config.connect_options();
    let db = db::connect(&options).await.expect("connects");
    db::migrations::migrate(&db).await.expect("migrates");
    db::seed::demo_data(&db).await.expect("seeds");
    let engine = db::Engine::from_url(&options.url).expect("an engine");
    let state = server::startup::state_over(&config, db.clone(), engine).expect("state");
    let seeds = (0..4).map(|_| {
        let state = state.clone();
        tokio::spawn(async move { app::service::demo::seed_demo_cards(&state, Utc::now()).await })
    });
    for seed in seeds {
        seed.await.expect("task").expect("seeded");
    }
    let cards = db::card::for_diner(&db, DEMO_MERCHANT_ID, DEMO_CARD_HOLDER)
        .await
        .expect("cards");
    assert_eq!(cards.len(), DEMO_CARDS);
    let entries = db::ledger::for_diner(&db, DEMO_MERCHANT_ID, DEMO_CARD_HOLDER, 50)
        .await
        .expect("ledger");
    assert_eq!(
        entries.len(),
        1 + DEMO_CARDS,
        "one reward, a synthesis a card"
    );
}
