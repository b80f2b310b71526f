//! Demo data for `make run`: safe to apply on every start. The restaurant and its catalogue
//! are created once (a boss's later edits stay); the diners are ensured every time. Nothing
//! here moves a balance, fragment or card: the demo diner's cards are made by the product's
//! own ledgered operations (`app::service::demo`), starting from [`reward_new_demo_diner`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::assets::{ListingRow, StockRow};
use crate::catalog::{self, BenefitRow, CardTypeRow, FragmentRow, RecipeItem, TierRow};
use crate::error::checked;
use crate::ledger::NewLedgerEntry;
use crate::{Db, DbResult, diner, merchant};

/// The demo restaurant's record key.
pub const DEMO_MERCHANT_ID: &str = "demo";
/// The demo diners' uids.
pub const DEMO_DINERS: [(&str, &str, &str); 2] = [
    (DEMO_CARD_HOLDER, "小明", "13800000001"),
    ("wx-demo-002", "小红", "13800000002"),
];

/// Seeds the demo restaurant, its catalogue and two diners.
#[tracing::instrument(skip_all)]
pub async fn demo_data(db: &Db) -> DbResult<()> {
    for (uid, nickname, phone) in DEMO_DINERS {
        diner::ensure(db, uid, Some(nickname), Some(phone)).await?;
    }
    let m = DEMO_MERCHANT_ID;
    if merchant::timezone(db, m).await?.is_some() {
        return Ok(());
    }
    merchant::upsert(db, m, "老成都川菜馆", "Asia/Shanghai").await?;
    for (code, label, pay, bonus) in [
        ("T100", "充100送20", 100, 20),
        ("T300", "充300送80", 300, 80),
    ] {
        let tier = TierRow {
            code: code.to_owned(),
            label: label.to_owned(),
            pay: Decimal::new(pay, 0),
            bonus: Decimal::new(bonus, 0),
            active: true,
        };
        catalog::upsert_recharge_tier(db, m, &tier).await?;
    }
    for (code, name, rarity, buy, sell) in [
        ("CHILI", "辣椒碎片", "COMMON", 10, Some(5)),
        ("PEPPER", "花椒碎片", "COMMON", 12, Some(6)),
        ("PANDA", "熊猫碎片", "RARE", 80, None),
    ] {
        let fragment = FragmentRow {
            code: code.to_owned(),
            name: name.to_owned(),
            rarity: rarity.to_owned(),
        };
        catalog::upsert_fragment(db, m, &fragment).await?;
        let listing = ListingRow {
            fragment: code.to_owned(),
            buy_price: buy,
            sell_price: sell,
            active: true,
        };
        catalog::upsert_listing(db, m, &listing).await?;
    }
    // The stock's reset day is in the past, so the first synthesize of the day fills it.
    for (card_type, daily_cap) in demo_card_types() {
        let stock = StockRow {
            daily_cap,
            current_stock: daily_cap,
            reset_day: "1970-01-01".into(),
        };
        catalog::save_card_type(db, m, &card_type, None, &stock).await?;
    }
    Ok(())
}

/// The demo diner who starts with a few cards, so the counter's scan can be tried at once.
pub const DEMO_CARD_HOLDER: &str = "wx-demo-001";
/// The card type of those cards (凉菜入席令) and how many.
pub const DEMO_CARD_TYPE: &str = "FREE_APPETIZER";
pub const DEMO_CARDS: usize = 4;

/// Rewards a demo diner `fragments` at a merchant (with its REWARD `entry`), only while the
/// diner has no ledger entry and no card there, checked in the same transaction: later
/// start-ups find the reward (or the diner's own activity) and THROW 'ALREADY_SEEDED'
/// ([`crate::Rejection::AlreadySeeded`]). Two start-ups at once both write the holdings, so
/// one conflicts and, retried, finds the other's.
pub async fn reward_new_demo_diner(
    db: &Db,
    merchant: &str,
    uid: &str,
    fragments: &BTreeMap<String, i64>,
    entry: &NewLedgerEntry,
) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             LET $m = type::record('merchant', $merchant);
             LET $entries = SELECT VALUE txn_id FROM ledger
                 WHERE user_uid = $uid AND merchant_id = $merchant LIMIT 1;
             LET $cards = SELECT VALUE id FROM card WHERE uid = $uid AND merchant = $m LIMIT 1;
             IF array::len($entries) > 0 OR array::len($cards) > 0 { THROW 'ALREADY_SEEDED' };
             FOR $item IN $fragments {
                 LET $holding = type::record('holding', [$merchant, $uid, $item.fragment]);
                 LET $held = (SELECT VALUE count FROM $holding)[0] ?? 0;
                 UPSERT $holding MERGE {
                     merchant: $m, uid: $uid, fragment: $item.fragment, count: $held + $item.count
                 } RETURN NONE;
             };
             CREATE ledger CONTENT $entry RETURN NONE;
             COMMIT TRANSACTION;",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("uid", uid.to_owned()))
        .bind((
            "fragments",
            fragments
                .iter()
                .map(|(fragment, count)| RecipeItem {
                    fragment: fragment.clone(),
                    count: *count,
                })
                .collect::<Vec<_>>(),
        ))
        .bind(("entry", entry.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

fn demo_card_types() -> [(CardTypeRow, i64); 2] {
    let item = |fragment: &str, count| RecipeItem {
        fragment: fragment.to_owned(),
        count,
    };
    [
        (
            CardTypeRow {
                code: "FREE_APPETIZER".into(),
                name: "凉菜入席令".into(),
                recipe: vec![item("CHILI", 3), item("PEPPER", 2)],
                benefit: BenefitRow {
                    kind: "DEDUCT".into(),
                    amount: Decimal::new(18, 0),
                    description: "免费凉菜一份（抵18元）".into(),
                },
                validity_days: 30,
                cost_basis: Decimal::new(6, 0),
                active: true,
                art: None,
            },
            20,
        ),
        (
            CardTypeRow {
                code: "HOTPOT_30".into(),
                name: "火锅立减入席令".into(),
                recipe: vec![item("CHILI", 5), item("PEPPER", 5), item("PANDA", 1)],
                benefit: BenefitRow {
                    kind: "DEDUCT".into(),
                    amount: Decimal::new(30, 0),
                    description: "消费立减30元".into(),
                },
                validity_days: 14,
                cost_basis: Decimal::new(30, 0),
                active: true,
                art: None,
            },
            10,
        ),
    ]
}
