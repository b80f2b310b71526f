//! The rule engine's batched read against real SurrealDB: one statement reads for many shops
//! and diners exactly what the reads of one thing each read, and only a diner's ACTIVE cards.

mod common;

use std::collections::BTreeMap;

use chrono::Utc;
use common::seeded_db;
use db::Outcome;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::rules::{DinerAsk, Reads};
use db::seed::{DEMO_CARD_HOLDER, DEMO_MERCHANT_ID as SHOP};
use rust_decimal::Decimal;

fn ask(uid: &str, codes: &[&str], day: &str) -> DinerAsk {
    DinerAsk {
        merchant: SHOP.into(),
        uid: uid.into(),
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        day: day.into(),
    }
}

/// A diner with fragments, a wallet, visits, tags, a used and an active card, and a
/// campaign's counters: what a decision reads.
async fn busy_diner(db: &db::Db, uid: &str) -> String {
    let fragments = BTreeMap::from([("CHILI".to_owned(), 2_i64)]);
    let reward = NewLedgerEntry::new(
        LedgerType::Reward,
        Decimal::ZERO,
        SHOP,
        uid,
        AssetsChange {
            fragments: Some(fragments.clone()),
            ..AssetsChange::default()
        },
    );
    db::seed::reward_new_demo_diner(db, SHOP, uid, &fragments, &reward)
        .await
        .expect("rewarded");
    let expiry = Utc::now() + chrono::Duration::days(30);
    let used = db::card::issue(db, SHOP, "FREE_APPETIZER", uid, expiry)
        .await
        .expect("card");
    let active = db::card::issue(db, SHOP, "FREE_APPETIZER", uid, expiry)
        .await
        .expect("card");
    let redeem = NewLedgerEntry::new(
        LedgerType::Redeem,
        Decimal::ONE,
        SHOP,
        uid,
        AssetsChange::default(),
    );
    db::card::redeem(db, &used, Some("xiaozhang"), &redeem, &Outcome::none())
        .await
        .expect("redeemed");
    db::rules::retag(db, SHOP, uid, &["VIP".into()], &[])
        .await
        .expect("tagged");
    db::rules::set_tag_rules(db, SHOP, 3, 14)
        .await
        .expect("tag rules");
    db.query(
        "UPSERT type::record('visit', [$shop, $uid])
             CONTENT { count: 4, last_day: '2026-11-30', previous_day: '2026-11-20' };
         UPSERT type::record('campaign_day', [$shop, 'RAINY', '2026-12-01'])
             CONTENT { used: 12.5dec, granted: 3 };
         UPSERT type::record('shop_weather', $shop) CONTENT { weather: 'RAINY', at: time::now() };",
    )
    .bind(("shop", SHOP))
    .bind(("uid", uid.to_owned()))
    .await
    .expect("written")
    .check()
    .expect("written");
    active
}

#[tokio::test]
async fn one_statement_reads_what_each_read_reads() {
    let db = seeded_db().await;
    let active = busy_diner(&db, DEMO_CARD_HOLDER).await;
    let codes = ["RAINY", "NEVER_USED"];
    let asks = [
        ask(DEMO_CARD_HOLDER, &codes, "2026-12-01"),
        ask(DEMO_CARD_HOLDER, &codes, "2026-12-02"),
        ask("wx-demo-002", &codes, "2026-12-01"),
        ask("nobody", &[], "2026-12-01"),
    ];
    let reads = db::rules::reads(&db, &[SHOP.to_owned()], &asks)
        .await
        .expect("read");

    let [shop] = reads.shops.as_slice() else {
        panic!("one shop read: {:?}", reads.shops);
    };
    assert_eq!(shop.merchant, SHOP);
    assert_eq!(shop.weather.as_deref(), Some("RAINY"));
    assert_eq!(
        shop.stocks,
        db::catalog::stocks(&db, SHOP).await.expect("stocks")
    );
    assert_eq!(reads.diners.len(), asks.len(), "one read per ask, in order");
    for (ask, read) in asks.iter().zip(&reads.diners) {
        let uid = ask.uid.as_str();
        assert_eq!(
            read.facts,
            db::rules::diner_facts(&db, SHOP, uid).await.expect("facts"),
            "{uid}"
        );
        assert_eq!(
            read.wallet.unwrap_or_default(),
            db::wallet::get(&db, SHOP, uid).await.expect("wallet")
        );
        assert_eq!(
            db::assets::Holding::by_fragment(read.holdings.clone()),
            db::assets::holdings(&db, SHOP, uid)
                .await
                .expect("holdings")
        );
        assert_eq!(
            read.usage,
            db::rules::usage(&db, SHOP, &ask.codes, Some(uid), &ask.day)
                .await
                .expect("usage")
        );
        let mut cards = db::card::for_diner(&db, SHOP, uid).await.expect("cards");
        cards.retain(|card| card.status == "ACTIVE");
        let mut read_cards = read.cards.clone();
        read_cards.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        cards.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        assert_eq!(read_cards, cards, "the ACTIVE cards of {uid}");
    }
    let holder = reads.diners.first().expect("holder");
    assert!(holder.facts.known);
    assert_eq!(holder.facts.tags, ["VIP"]);
    assert_eq!(
        (holder.facts.regular_visits, holder.facts.lapsed_days),
        (3, 14)
    );
    assert_eq!(holder.facts.visits.count, 4);
    assert!(
        holder.cards.iter().any(|card| card.uuid == active),
        "the active card is read"
    );
    assert!(
        holder.cards.iter().all(|card| card.status == "ACTIVE"),
        "a used card is not"
    );
    let rainy = holder.usage.first().expect("usage");
    assert_eq!(
        (rainy.used_today, rainy.granted_today),
        (Decimal::new(125, 1), 3)
    );
    let next_day = reads
        .diners
        .get(1)
        .and_then(|d| d.usage.first())
        .expect("usage");
    assert_eq!(next_day.used_today, Decimal::ZERO, "another day's counters");
    let nobody = reads.diners.get(3).expect("nobody");
    assert!(!nobody.facts.known);
    assert_eq!(nobody.wallet, None);
    assert!(nobody.cards.is_empty() && nobody.usage.is_empty());
}

#[tokio::test]
async fn nothing_asked_reads_nothing() {
    let db = seeded_db().await;
    assert_eq!(
        db::rules::reads(&db, &[], &[]).await.expect("read"),
        Reads::default()
    );
    let reads = db::rules::reads(&db, &["no-such-shop".to_owned()], &[])
        .await
        .expect("read");
    let [shop] = reads.shops.as_slice() else {
        panic!("one shop read");
    };
    assert_eq!((shop.weather.as_deref(), shop.stocks.len()), (None, 0));
}
