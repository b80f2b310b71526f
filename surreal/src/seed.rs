//! Demo data for `make run`: safe to apply on every start. The restaurant and its catalogue
//! are created once (a boss's later edits stay); the diners are ensured every time.

use rust_decimal::Decimal;

use crate::assets::{ListingRow, StockRow};
use crate::catalog::{self, BenefitRow, CardTypeRow, FragmentRow, RecipeItem, TierRow};
use crate::{Db, DbResult, card, diner, merchant};

/// The demo restaurant's record key.
pub const DEMO_MERCHANT_ID: &str = "demo";
/// The demo diners' uids.
pub const DEMO_DINERS: [(&str, &str, &str); 2] = [
    ("wx-demo-001", "小明", "13800000001"),
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
    // A few cards in the first diner's pocket, so the counter's scan can be tried at once.
    let (first_diner, _, _) = DEMO_DINERS[0];
    for _ in 0..DEMO_CARDS {
        let expiry = chrono::Utc::now() + chrono::Duration::days(30);
        card::issue(db, m, "FREE_APPETIZER", first_diner, expiry).await?;
    }
    Ok(())
}

/// ACTIVE 凉菜入席令 cards the first demo diner starts with.
pub const DEMO_CARDS: usize = 4;

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
            },
            10,
        ),
    ]
}
