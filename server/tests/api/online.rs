//! Online recharges through the real router against the stand-in WeChat Pay, which speaks
//! API v3 with the test keys on a port of its own: it checks our signatures, signs its
//! answers and posts signed, sealed notifications to the app.

use std::time::Duration;

use app::model::online::{OnlineOrder, OnlineRecharge};
use chrono::Utc;
use pay::standin::{API_V3_KEY, MERCHANT_SERIAL, PLATFORM_KEY_ID, StandIn};
use serde_json::{Value, json};

use crate::helpers::{TestApp, key, spawn_app_with};
use crate::money::{DINER, cashier, m, recharge, wallet_of};

const MCHID: &str = "1900000109";
const APPID: &str = "wx8888888888888888";

pub(crate) struct Shop {
    pub app: TestApp,
    pub standin: StandIn,
    pub diner: String,
}

/// A WeChat Pay merchant account answered by a stand-in of its own (a port of its own).
pub(crate) async fn standin(mchid: &str, appid: &str) -> (StandIn, String) {
    let standin = StandIn::new(mchid, appid).expect("the stand-in");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let router = standin.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (standin, url)
}

/// The configuration of `shop`'s WeChat Pay account `mchid`, with the test keys.
pub(crate) fn account(shop: &str, mchid: &str, appid: &str) -> Vec<(String, String)> {
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/pay/testdata");
    let field = |name: &str| format!("MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__{shop}__{name}");
    let [private_key, api_v3_key] = server::config::WeChatPayKeys::names(shop);
    [
        (field("MCHID"), mchid.to_owned()),
        (field("APPID"), appid.to_owned()),
        (field("MERCHANT_SERIAL"), MERCHANT_SERIAL.to_owned()),
        (field("PLATFORM_KEY_ID"), PLATFORM_KEY_ID.to_owned()),
        (
            field("PLATFORM_PUBLIC_KEY_FILE"),
            format!("{keys}/platform_public_key.pem"),
        ),
        (
            format!("MEALQUEST_SECRET_{private_key}_FILE"),
            format!("{keys}/merchant_private_key.pem"),
        ),
        (
            format!("MEALQUEST_SECRET_{api_v3_key}"),
            API_V3_KEY.to_owned(),
        ),
    ]
    .into()
}

/// What every online test sets: WeChat Pay at `base_url`, the worker out of the way (tests
/// sweep when they mean to).
pub(crate) fn wechat_pay_at(base_url: &str) -> Vec<(String, String)> {
    [
        ("MEALQUEST_PAYMENTS__ONLINE__PROVIDER", "wechat"),
        ("MEALQUEST_PAYMENTS__ONLINE__BASE_URL", base_url),
        ("MEALQUEST_PAYMENTS__ONLINE__QUERY_AFTER_SECS", "3600"),
        ("MEALQUEST_PAYMENTS__ONLINE__SWEEP_EVERY_SECS", "3600"),
        ("MEALQUEST_PAYMENTS__ONLINE__FAILURES_TO_OPEN", "3"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into()
}

/// The app with the demo shop's WeChat Pay account at a stand-in of its own.
pub(crate) async fn shop(extra: &[(&str, &str)]) -> Shop {
    let (standin, url) = standin(MCHID, APPID).await;
    let mut vars = wechat_pay_at(&url);
    vars.extend(account("demo", MCHID, APPID));
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let diner = app.diner_token(DINER).await;
    Shop {
        app,
        standin,
        diner,
    }
}

impl Shop {
    async fn open(&self, tier: &str, key: &str) -> reqwest::Response {
        self.app
            .post(
                "/api/wallet/recharge/online",
                Some(&self.diner),
                Some(key),
                &json!({ "merchant_id": "demo", "tier": tier }),
            )
            .await
    }

    pub(crate) async fn opened(&self, tier: &str) -> OnlineRecharge {
        let response = self.open(tier, &key()).await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        response.json().await.expect("an online recharge")
    }

    async fn order(&self, number: &str) -> OnlineOrder {
        order_at(&self.app, &self.diner, "demo", number).await
    }

    /// Waits for the order to leave PENDING (the notification arrives on its own).
    pub(crate) async fn settled(&self, number: &str) -> OnlineOrder {
        settled_at(&self.app, &self.diner, "demo", number).await
    }

    /// The RECHARGE entries the orders put on the diner's ledger.
    async fn online_entries(&self) -> usize {
        db::ledger::for_diner(&self.app.db, "demo", DINER, 1_000)
            .await
            .expect("the ledger")
            .iter()
            .filter(|entry| {
                entry
                    .reference
                    .as_deref()
                    .is_some_and(|r| r.starts_with("online_order:"))
            })
            .count()
    }

    /// Posts a notification to the app as WeChat Pay does; its status.
    pub(crate) async fn notify(&self, headers: &axum::http::HeaderMap, body: &str) -> u16 {
        self.app
            .client
            .post(self.app.url("/api/pay/wechat/notify/demo"))
            .headers(headers.clone())
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16()
    }
}

/// The diner's order `number` at `shop`, as the diner reads it.
async fn order_at(app: &TestApp, diner: &str, shop: &str, number: &str) -> OnlineOrder {
    app.call(
        "/api/wallet/recharge/online/order",
        diner,
        &json!({ "merchant_id": shop, "order": number }),
    )
    .await
}

/// Waits for the order to leave PENDING (the notification arrives on its own).
async fn settled_at(app: &TestApp, diner: &str, shop: &str, number: &str) -> OnlineOrder {
    for _ in 0..100 {
        let order = order_at(app, diner, shop, number).await;
        if order.status != "PENDING" {
            return order;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {number} is still pending");
}

pub(crate) fn prepay_id(recharge: &OnlineRecharge) -> &str {
    recharge
        .payment
        .package
        .strip_prefix("prepay_id=")
        .expect("a prepay id")
}

#[tokio::test]
async fn a_diner_pays_online_and_is_credited_once_with_its_ledger_entry() {
    let shop = shop(&[]).await;
    let till = cashier(&shop.app).await;
    let before = wallet_of(&shop.app, &till, DINER).await;
    let opened = shop.opened("T100").await;
    assert_eq!((opened.pay, opened.bonus), (m("100"), m("20")));
    assert_eq!(opened.payment.sign_type, "RSA");
    assert_eq!(shop.order(&opened.order).await.status, "PENDING");

    // The diner pays in WeChat; its notification reaches the app by itself.
    shop.standin
        .pay(prepay_id(&opened), true)
        .await
        .expect("paid");
    let order = shop.settled(&opened.order).await;
    assert_eq!(order.status, "PAID");
    let after = wallet_of(&shop.app, &till, DINER).await;
    assert_eq!(
        after.principal.amount() - before.principal.amount(),
        m("100").amount()
    );
    assert_eq!(
        after.bonus.amount() - before.bonus.amount(),
        m("20").amount()
    );
    let entries = db::ledger::for_diner(&shop.app.db, "demo", DINER, 1_000)
        .await
        .expect("ledger");
    let entry = entries
        .iter()
        .find(|entry| Some(entry.txn_id.as_str()) == order.txn_id.as_deref())
        .expect("the RECHARGE entry");
    assert_eq!(entry.kind, db::ledger::LedgerType::Recharge);
    assert_eq!(
        entry.reference.as_deref(),
        Some(format!("online_order:{}", opened.order).as_str())
    );
    assert_eq!(entry.staff, None);

    // The same Idempotency-Key again: the same order; WeChat's own notification again, and
    // the query: nothing more.
    let again = shop
        .standin
        .pay(prepay_id(&opened), false)
        .await
        .expect("the same notification");
    assert_eq!(shop.notify(&again.0, &again.1).await, 204);
    let swept =
        app::service::online::sweep(&shop.app.state, Utc::now() + chrono::Duration::hours(2), 10)
            .await
            .expect("swept");
    assert_eq!(swept, 0);
    assert_eq!(shop.online_entries().await, 1);
    assert_eq!(wallet_of(&shop.app, &till, DINER).await, after);
    // The success ratio the payment alert watches, as the shop's staff see it.
    let status: app::api::system::SystemStatus = shop
        .app
        .get_as("/api/system/status", &till)
        .await
        .json()
        .await
        .expect("the status");
    let online = status
        .online_payments
        .expect("the shop takes online payments");
    assert_eq!((online.opened, online.paid), (1, 1));
    assert_eq!(online.ratio(), Some(1.0));
}

#[tokio::test]
async fn ten_copies_of_the_notification_racing_the_query_credit_once() {
    let shop = shop(&[]).await;
    let opened = shop.opened("T100").await;
    let (headers, body) = shop
        .standin
        .pay(prepay_id(&opened), false)
        .await
        .expect("paid");
    let query_after = Utc::now() + chrono::Duration::hours(2);
    let notices = (0..10).map(|_| shop.notify(&headers, &body));
    let (statuses, swept) = tokio::join!(
        futures::future::join_all(notices),
        app::service::online::sweep(&shop.app.state, query_after, 10),
    );
    assert!(statuses.iter().all(|status| *status == 204), "{statuses:?}");
    swept.expect("swept");
    assert_eq!(shop.order(&opened.order).await.status, "PAID");
    assert_eq!(shop.online_entries().await, 1);
}

#[tokio::test]
async fn a_forged_replayed_or_wrong_amount_notification_credits_nothing() {
    let shop = shop(&[]).await;
    let opened = shop.opened("T100").await;
    let (headers, body) = shop
        .standin
        .pay(prepay_id(&opened), false)
        .await
        .expect("paid");
    // The body changed after signing.
    let forged = body.replacen("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS ", 1);
    assert_eq!(shop.notify(&headers, &forged).await, 401);
    // Rightly signed ten minutes ago: a replay.
    let transaction = json!({
        "appid": APPID, "mchid": MCHID, "out_trade_no": opened.order,
        "transaction_id": "4200000000000000000000000001", "trade_state": "SUCCESS",
        "amount": { "total": 10_000, "payer_total": 10_000, "currency": "CNY" }
    });
    let signed = |value: &Value, at: i64| {
        shop.standin
            .notification(
                "TRANSACTION.SUCCESS",
                "transaction",
                value.to_string().as_bytes(),
                at,
            )
            .expect("signed")
    };
    let old = signed(&transaction, Utc::now().timestamp() - 600);
    assert_eq!(shop.notify(&old.0, &old.1).await, 401);
    // Signed now, but one fen paid for a 100-yuan order.
    let mut cheap = transaction.clone();
    cheap["amount"]["total"] = json!(1);
    cheap["amount"]["payer_total"] = json!(1);
    let cheap = signed(&cheap, Utc::now().timestamp());
    assert_eq!(shop.notify(&cheap.0, &cheap.1).await, 422);
    // Another merchant account's payment.
    let mut foreign = transaction.clone();
    foreign["mchid"] = json!("1900000999");
    let foreign = signed(&foreign, Utc::now().timestamp());
    assert_eq!(shop.notify(&foreign.0, &foreign.1).await, 401);
    assert_eq!(shop.order(&opened.order).await.status, "PENDING");
    assert_eq!(shop.online_entries().await, 0);
    // The real one still credits.
    assert_eq!(shop.notify(&headers, &body).await, 204);
    assert_eq!(shop.order(&opened.order).await.status, "PAID");
}

#[tokio::test]
async fn the_same_key_is_the_same_order() {
    let shop = shop(&[]).await;
    let same = key();
    let first: OnlineRecharge = shop.open("T100", &same).await.json().await.expect("json");
    let again: OnlineRecharge = shop.open("T100", &same).await.json().await.expect("json");
    assert_eq!(
        (first.order.as_str(), first.payment.package.as_str()),
        (again.order.as_str(), again.payment.package.as_str())
    );
    let other = shop.open("T300", &same).await;
    assert_eq!(other.status(), 422);
}

#[tokio::test]
async fn a_provider_down_is_a_clear_503_the_breaker_opens_and_the_counter_still_sells() {
    let shop = shop(&[]).await;
    shop.standin.set_down(true);
    for _ in 0..2 {
        let refused = shop.open("T100", &key()).await;
        assert_eq!(refused.status(), 503);
        assert!(refused.headers().get("retry-after").is_some());
        let problem: Value = refused.json().await.expect("a problem");
        assert_eq!(problem["code"], "PAYMENT_PROVIDER_UNAVAILABLE");
    }
    // Open now: refused before the provider is asked, saying why.
    let refused = shop.open("T100", &key()).await;
    assert_eq!(refused.status(), 503);
    let problem: Value = refused.json().await.expect("a problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("failing")),
        "{problem}"
    );
    // Nothing half-written: every order it opened is closed, nothing credited.
    let open: Vec<db::online::OrderRow> =
        db::online::pending_before(&shop.app.db, Utc::now() + chrono::Duration::hours(1), 100)
            .await
            .expect("pending");
    assert!(open.is_empty(), "{open:?}");
    assert_eq!(shop.online_entries().await, 0);
    // The counter still sells stored value.
    let till = cashier(&shop.app).await;
    assert_eq!(
        recharge(&shop.app, &till, DINER, "T100").await.status(),
        200
    );
}

#[tokio::test]
async fn an_order_never_paid_is_closed_there_and_here_after_its_expiry() {
    let shop = shop(&[("MEALQUEST_PAYMENTS__ONLINE__ORDER_TTL_SECS", "7200")]).await;
    let opened = shop.opened("T100").await;
    // Asked after before its expiry: still pending.
    let asked = Utc::now() + chrono::Duration::minutes(61);
    assert_eq!(
        app::service::online::sweep(&shop.app.state, asked, 10)
            .await
            .expect("swept"),
        0
    );
    assert_eq!(shop.order(&opened.order).await.status, "PENDING");
    let expired = opened.expires_at + chrono::Duration::hours(2);
    assert_eq!(
        app::service::online::sweep(&shop.app.state, expired, 10)
            .await
            .expect("swept"),
        1
    );
    assert_eq!(shop.order(&opened.order).await.status, "CLOSED");
    assert_eq!(
        shop.standin.state_of(&opened.order).as_deref(),
        Some("CLOSED")
    );
    // The diner can no longer pay it: it stays closed there, nothing is credited.
    shop.standin
        .pay(prepay_id(&opened), true)
        .await
        .expect("tried");
    assert_eq!(
        shop.standin.state_of(&opened.order).as_deref(),
        Some("CLOSED")
    );
    assert_eq!(shop.online_entries().await, 0);
}

#[tokio::test]
async fn the_same_key_after_the_provider_failed_asks_again_under_the_same_number() {
    let shop = shop(&[("MEALQUEST_PAYMENTS__ONLINE__FAILURES_TO_OPEN", "100")]).await;
    let same = key();
    shop.standin.set_down(true);
    assert_eq!(shop.open("T100", &same).await.status(), 503);
    shop.standin.set_down(false);
    let again = shop.open("T100", &same).await;
    assert_eq!(again.status(), 200);
    let opened: OnlineRecharge = again.json().await.expect("json");
    assert_eq!(shop.order(&opened.order).await.status, "PENDING");
    assert_eq!(
        shop.standin.state_of(&opened.order).as_deref(),
        Some("NOTPAY")
    );
    // The same key for another tier: refused, the order as it was.
    let other = shop.open("T300", &same).await;
    assert_eq!(other.status(), 422);
}

#[tokio::test]
async fn each_shop_is_paid_into_its_own_wechat_pay_account_and_never_the_others() {
    const OTHER_MCHID: &str = "1900000222";
    const OTHER_APPID: &str = "wx9999999999999999";
    let (demo_pay, demo_url) = standin(MCHID, APPID).await;
    let (other_pay, other_url) = standin(OTHER_MCHID, OTHER_APPID).await;
    let mut vars = wechat_pay_at(&demo_url);
    vars.extend(account("demo", MCHID, APPID));
    vars.extend(account("other", OTHER_MCHID, OTHER_APPID));
    vars.push((
        "MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__other__BASE_URL".to_owned(),
        other_url,
    ));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    // Two more shops: one with its own account, one with none.
    for (shop, name) in [("other", "隔壁火锅"), ("third", "街角面馆")] {
        db::merchant::upsert(&app.db, shop, name, "Asia/Shanghai")
            .await
            .expect("a shop");
        let tier = db::catalog::TierRow {
            code: "T50".into(),
            label: "充50送5".into(),
            pay: rust_decimal::Decimal::new(50, 0),
            bonus: rust_decimal::Decimal::new(5, 0),
            active: true,
        };
        db::catalog::upsert_recharge_tier(&app.db, shop, &tier)
            .await
            .expect("a tier");
    }
    let diner = app.diner_token(DINER).await;
    let open = |shop: &'static str, tier: &'static str| {
        let (app, diner) = (&app, &diner);
        async move {
            let body = json!({ "merchant_id": shop, "tier": tier });
            app.post(
                "/api/wallet/recharge/online",
                Some(diner),
                Some(&key()),
                &body,
            )
            .await
        }
    };
    let opened = |shop: &'static str, tier: &'static str| async move {
        let answer = open(shop, tier).await;
        assert_eq!(answer.status(), 200, "{shop}");
        answer.json::<OnlineRecharge>().await.expect("an order")
    };
    let at_demo = opened("demo", "T100").await;
    let at_other = opened("other", "T50").await;
    // Each order was placed with its own shop's merchant account, and only there; the diner's
    // payment fields are signed for that shop's mini program.
    assert_eq!(demo_pay.state_of(&at_demo.order).as_deref(), Some("NOTPAY"));
    assert_eq!(demo_pay.state_of(&at_other.order), None);
    assert_eq!(
        other_pay.state_of(&at_other.order).as_deref(),
        Some("NOTPAY")
    );
    assert_eq!(other_pay.state_of(&at_demo.order), None);
    assert_eq!(at_demo.payment.app_id, APPID);
    assert_eq!(at_other.payment.app_id, OTHER_APPID);

    // The other shop's payment, brought to the demo shop's address: not its account.
    let (headers, body) = other_pay
        .pay(prepay_id(&at_other), false)
        .await
        .expect("paid");
    let notify = |shop: &str| {
        app.client
            .post(app.url(&format!("/api/pay/wechat/notify/{shop}")))
            .headers(headers.clone())
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
    };
    assert_eq!(notify("demo").await.expect("sent").status(), 401);
    assert_eq!(notify("other").await.expect("sent").status(), 204);
    demo_pay.pay(prepay_id(&at_demo), true).await.expect("paid");
    for (shop, order) in [("demo", &at_demo), ("other", &at_other)] {
        let order = settled_at(&app, &diner, shop, &order.order).await;
        assert_eq!(order.status, "PAID");
    }
    // Each wallet holds its own shop's stored value.
    let wallet = |shop: &'static str| db::wallet::get(&app.db, shop, DINER);
    let other_wallet = wallet("other").await.expect("a wallet");
    assert_eq!(
        (other_wallet.principal, other_wallet.bonus),
        (
            rust_decimal::Decimal::new(50, 0),
            rust_decimal::Decimal::new(5, 0)
        )
    );
    let demo_entries = db::ledger::for_diner(&app.db, "demo", DINER, 1_000)
        .await
        .expect("ledger");
    assert!(demo_entries.iter().any(|entry| {
        entry.reference.as_deref() == Some(format!("online_order:{}", at_demo.order).as_str())
    }));
    assert!(!demo_entries.iter().any(|entry| {
        entry.reference.as_deref() == Some(format!("online_order:{}", at_other.order).as_str())
    }));

    // A shop without an account takes no online payment, and says so.
    let refused = open("third", "T50").await;
    assert_eq!(refused.status(), 503);
    let problem: Value = refused.json().await.expect("a problem");
    assert_eq!(problem["code"], "PAYMENT_PROVIDER_UNAVAILABLE");
}
