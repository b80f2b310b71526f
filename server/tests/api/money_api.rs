//! The money API through the real router: auth, permissions, idempotency, problem+json.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, key, spawn_app};

const CASHIER: (&str, &str) = ("xiaozhang", "cashier-demo-1");
const DINER: &str = "wx-demo-001";

async fn cashier(app: &TestApp) -> String {
    app.staff_token(CASHIER.0, CASHIER.1).await
}

async fn recharge(app: &TestApp, token: &str, uid: &str, tier: &str) -> reqwest::Response {
    app.post(
        "/api/wallet/recharge",
        Some(token),
        Some(&key()),
        &json!({ "uid": uid, "tier": tier }),
    )
    .await
}

async fn wallet_of(app: &TestApp, token: &str, uid: &str) -> Value {
    let response = app
        .get_as(&format!("/api/wallets/of?uid={uid}"), token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("balance")
}

#[tokio::test]
async fn recharge_pay_verify_refund_over_http() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let diner = app.diner_token(DINER).await;

    let response = recharge(&app, &till, DINER, "T100").await;
    assert_eq!(response.status(), 200);
    let wallet = wallet_of(&app, &till, DINER).await;
    assert_eq!(
        wallet,
        json!({ "principal": "100.00", "bonus": "20.00", "granted_bonus": "20.00",
                "made_good": "0.00" })
    );

    let order = app.payment_order(&diner, "24.00").await;
    let code = order["code"].as_str().expect("code").to_owned();

    let scanned = app
        .post(
            "/api/payment/verify",
            Some(&till),
            Some(&key()),
            &json!({ "code": code }),
        )
        .await;
    assert_eq!(scanned.status(), 200);
    let scanned: Value = scanned.json().await.expect("scan");
    assert_eq!(scanned["kind"], "PAYMENT_COLLECTED");
    assert_eq!(
        scanned["split"],
        json!({ "principal": "20.00", "bonus": "4.00" })
    );
    let mine: Value = app
        .get_as("/api/wallets/mine?merchant_id=demo", &diner)
        .await
        .json()
        .await
        .expect("my wallet");
    assert_eq!(mine["principal"], "80.00");

    let refund = app
        .post(
            "/api/payment/refund",
            Some(&till),
            Some(&key()),
            &json!({ "payment_id": order["payment_id"] }),
        )
        .await;
    assert_eq!(refund.status(), 200);
    assert_eq!(wallet_of(&app, &till, DINER).await["principal"], "100.00");
    let sums = db::ledger::wallet_sum(&app.db, "demo", DINER)
        .await
        .expect("sum");
    assert_eq!(
        (sums.principal.to_string(), sums.bonus.to_string()),
        ("100.00".into(), "20.00".into())
    );
}

#[tokio::test]
async fn the_stored_value_refund_preview_is_what_the_refund_does() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    recharge(&app, &till, DINER, "T300").await;
    let body = json!({ "uid": DINER, "amount": "270" });
    let preview: Value = app
        .post("/api/wallet/refund/preview", Some(&till), None, &body)
        .await
        .json()
        .await
        .expect("preview");
    let confirmation =
        json!({ "uid": DINER, "amount": "270", "expected_payout": preview["payout"] });
    let done: Value = app
        .post(
            "/api/wallet/refund",
            Some(&till),
            Some(&key()),
            &confirmation,
        )
        .await
        .json()
        .await
        .expect("refund");
    assert_eq!(done["clawback"], preview);
    assert_eq!(preview["payout"], "270.00");
}

/// The confirmation carries the payout its preview showed. A payment at another till in
/// between changes what the refund would pay out: refused with the new preview, nothing
/// written; confirmed with the new payout, done.
#[tokio::test]
async fn a_refund_whose_wallet_changed_since_its_preview_is_refused_with_the_new_one() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let other_till = app.staff_token("xiaoli", "manager-demo-1").await;
    let diner = app.diner_token(DINER).await;
    recharge(&app, &till, DINER, "T100").await;
    let asked = json!({ "uid": DINER, "amount": "80" });
    let preview: Value = app
        .post("/api/wallet/refund/preview", Some(&till), None, &asked)
        .await
        .json()
        .await
        .expect("preview");
    // 80 of 100/20: c 16, all from the bonus.
    assert_eq!(preview["payout"], "80.00");

    // Meanwhile the diner pays 24 (20 + 4) at another till.
    let order = app.payment_order(&diner, "24.00").await;
    let paid = app
        .post(
            "/api/payment/verify",
            Some(&other_till),
            Some(&key()),
            &json!({ "code": order["code"] }),
        )
        .await;
    assert_eq!(paid.status(), 200);
    let wallet_before = wallet_of(&app, &till, DINER).await;
    let entries_before = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger")
        .len();

    let stale = json!({ "uid": DINER, "amount": "80", "expected_payout": preview["payout"] });
    let refused = app
        .post("/api/wallet/refund", Some(&till), Some(&key()), &stale)
        .await;
    let problem = assert_problem(refused, 409, "REFUND_PREVIEW_CHANGED").await;
    // 80 of 80/16 with G 20: c 20, 16 from the bonus, 4 already spent → 76.
    assert_eq!(problem["preview"]["payout"], "76.00");
    assert_eq!(problem["preview"]["shortfall"], "4.00");
    assert_eq!(wallet_of(&app, &till, DINER).await, wallet_before);
    assert_eq!(
        db::ledger::for_diner(&app.db, "demo", DINER, 100)
            .await
            .expect("ledger")
            .len(),
        entries_before,
        "nothing written"
    );

    let confirmed =
        json!({ "uid": DINER, "amount": "80", "expected_payout": problem["preview"]["payout"] });
    let done = app
        .post("/api/wallet/refund", Some(&till), Some(&key()), &confirmed)
        .await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.expect("receipt");
    assert_eq!(done["clawback"], problem["preview"]);
}

/// A confirmation that does not say what it expects to pay out is not read: it could only
/// pay whatever the wallet gives by then.
#[tokio::test]
async fn a_refund_without_the_payout_of_its_preview_is_refused() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    recharge(&app, &till, DINER, "T100").await;
    let response = app
        .post(
            "/api/wallet/refund",
            Some(&till),
            Some(&key()),
            &json!({ "uid": DINER, "amount": "10" }),
        )
        .await;
    assert_problem(response, 422, "VALIDATION_FAILED").await;
    assert_eq!(wallet_of(&app, &till, DINER).await["principal"], "100.00");
}

/// Recharges and refunds name a diner who exists: else 404 `DINER_NOT_FOUND`, nothing written.
#[tokio::test]
async fn recharges_and_refunds_for_a_uid_no_diner_has_are_404() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let nobody = "wx-nobody-at-all";
    let recharged = recharge(&app, &till, nobody, "T100").await;
    assert_problem(recharged, 404, "DINER_NOT_FOUND").await;
    let refunded = app
        .post(
            "/api/wallet/refund",
            Some(&till),
            Some(&key()),
            &json!({ "uid": nobody, "amount": "10", "expected_payout": "10" }),
        )
        .await;
    assert_problem(refunded, 404, "DINER_NOT_FOUND").await;
    assert!(
        db::ledger::for_diner(&app.db, "demo", nobody, 10)
            .await
            .expect("ledger")
            .is_empty()
    );
    let wallet = db::wallet::get(&app.db, "demo", nobody)
        .await
        .expect("wallet");
    assert_eq!(wallet, db::wallet::WalletRow::default());
}

#[tokio::test]
async fn a_replayed_key_returns_the_first_response_without_a_second_effect() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let same = key();
    let body = json!({ "uid": DINER, "tier": "T100" });
    let first: Value = app
        .post("/api/wallet/recharge", Some(&till), Some(&same), &body)
        .await
        .json()
        .await
        .expect("first");
    let again = app
        .post("/api/wallet/recharge", Some(&till), Some(&same), &body)
        .await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("again");
    assert_eq!(again, first);
    assert_eq!(wallet_of(&app, &till, DINER).await["principal"], "100.00");

    let other_body = json!({ "uid": DINER, "tier": "T300" });
    let reused = app
        .post(
            "/api/wallet/recharge",
            Some(&till),
            Some(&same),
            &other_body,
        )
        .await;
    assert_problem(reused, 422, "IDEMPOTENCY_KEY_REUSED").await;
    let missing = app
        .post("/api/wallet/recharge", Some(&till), None, &body)
        .await;
    assert_problem(missing, 400, "IDEMPOTENCY_KEY_REQUIRED").await;
    assert_eq!(wallet_of(&app, &till, DINER).await["principal"], "100.00");
}

#[tokio::test]
async fn a_refused_request_is_replayed_as_the_same_refusal() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let same = key();
    let body = json!({ "uid": DINER, "amount": "5", "expected_payout": "5" });
    let first = app
        .post("/api/wallet/refund", Some(&till), Some(&same), &body)
        .await;
    assert_problem(first, 409, "REFUND_EXCEEDS_PRINCIPAL").await;
    recharge(&app, &till, DINER, "T100").await;
    let again = app
        .post("/api/wallet/refund", Some(&till), Some(&same), &body)
        .await;
    assert_problem(again, 409, "REFUND_EXCEEDS_PRINCIPAL").await;
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_have_one_effect() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let same = key();
    let body = json!({ "uid": DINER, "tier": "T100" });
    let requests =
        (0..50).map(|_| app.post("/api/wallet/recharge", Some(&till), Some(&same), &body));
    let responses = futures::future::join_all(requests).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200));
    assert_eq!(wallet_of(&app, &till, DINER).await["principal"], "100.00");
    let entries = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger");
    let recharges = entries
        .iter()
        .filter(|entry| entry.kind == db::ledger::LedgerType::Recharge);
    assert_eq!(recharges.count(), 1);
}

#[tokio::test]
async fn tokens_must_be_present_valid_and_for_this_audience() {
    let app = spawn_app().await;
    let body = json!({ "code": "x" });
    let none = app
        .post("/api/payment/verify", None, Some(&key()), &body)
        .await;
    assert_problem(none, 401, "UNAUTHORIZED").await;
    let garbage = app
        .post(
            "/api/payment/verify",
            Some("abc.def.ghi"),
            Some(&key()),
            &body,
        )
        .await;
    assert_problem(garbage, 401, "UNAUTHORIZED").await;

    let principal = app::auth::Principal::Staff {
        staff_id: "xiaozhang".into(),
        merchant_id: "demo".into(),
        role: app::auth::Role::Cashier,
    };
    let settings = |audience: &str, secret: &str| app::auth::TokenSettings {
        issuer: "mealquest".into(),
        audience: audience.into(),
        ttl: chrono::Duration::hours(1),
        current: app::auth::SigningKey {
            id: "k1".into(),
            secret: secret.as_bytes().to_vec(),
        },
        previous: None,
    };
    let forged = app::auth::TokenKeys::new(settings(
        "mealquest-api",
        "not-the-server-key-at-all-000000",
    ))
    .issue(&principal, "no-such-session", chrono::Utc::now())
    .expect("forged");
    let response = app
        .post("/api/payment/verify", Some(&forged), Some(&key()), &body)
        .await;
    assert_problem(response, 401, "UNAUTHORIZED").await;

    // The server's own key, but expired or for another audience.
    let state_keys = |audience: &str| {
        let mut keys = app.state_tokens.clone();
        if audience != "mealquest-api" {
            keys =
                app::auth::TokenKeys::new(settings(audience, "irrelevant-because-kid-differs-0"));
        }
        keys
    };
    let expired = state_keys("mealquest-api")
        .issue(
            &principal,
            "no-such-session",
            chrono::Utc::now() - chrono::Duration::hours(9),
        )
        .expect("expired");
    let response = app
        .post("/api/payment/verify", Some(&expired), Some(&key()), &body)
        .await;
    assert_problem(response, 401, "UNAUTHORIZED").await;
    let foreign = state_keys("another-app")
        .issue(&principal, "no-such-session", chrono::Utc::now())
        .expect("foreign");
    let response = app
        .post("/api/payment/verify", Some(&foreign), Some(&key()), &body)
        .await;
    assert_problem(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn wrong_passwords_and_dev_codes_are_refused_alike() {
    let app = spawn_app().await;
    let wrong = app
        .post(
            "/api/auth/staff/login",
            None,
            None,
            &json!({ "username": "xiaozhang", "password": "nope" }),
        )
        .await;
    assert_problem(wrong, 401, "UNAUTHORIZED").await;
    let unknown = app
        .post(
            "/api/auth/staff/login",
            None,
            None,
            &json!({ "username": "nobody", "password": "nope" }),
        )
        .await;
    assert_problem(unknown, 401, "UNAUTHORIZED").await;
    let not_dev = app
        .post(
            "/api/auth/diner/login",
            None,
            None,
            &json!({ "code": "wechat-code-123" }),
        )
        .await;
    assert_problem(not_dev, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn diners_cannot_act_as_staff_nor_see_other_wallets() {
    let app = spawn_app().await;
    let diner = app.diner_token(DINER).await;
    let scan = app
        .post(
            "/api/payment/verify",
            Some(&diner),
            Some(&key()),
            &json!({ "code": "663456789012345678" }),
        )
        .await;
    assert_problem(scan, 403, "FORBIDDEN").await;
    let peek = app
        .get_as(&format!("/api/wallets/of?uid={}", "wx-demo-002"), &diner)
        .await;
    assert_problem(peek, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn another_merchants_cashier_cannot_redeem_our_card() {
    let app = spawn_app().await;
    db::merchant::upsert(&app.db, "other", "隔壁面馆", "Asia/Shanghai")
        .await
        .expect("merchant");
    let hash = app::auth::hash_password("other-cashier-1").expect("hash");
    db::staff::ensure(
        &app.db,
        &db::staff::StaffRow {
            id: "othercashier".into(),
            merchant: "other".into(),
            username: "othercashier".into(),
            display_name: "隔壁收银".into(),
            password_hash: hash,
            role: "CASHIER".into(),
            active: true,
        },
    )
    .await
    .expect("staff");
    let card = app.active_card(DINER).await;
    let stranger = app.staff_token("othercashier", "other-cashier-1").await;
    let response = app
        .post(
            "/api/payment/verify",
            Some(&stranger),
            Some(&key()),
            &json!({ "code": card }),
        )
        .await;
    assert_problem(response, 404, "NOT_FOUND").await;
    let untouched = db::card::get(&app.db, &card)
        .await
        .expect("get")
        .expect("card");
    assert_eq!(untouched.status, "ACTIVE");
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_changes_nothing() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let diner = app.diner_token(DINER).await;
    // The demo data's own entries (the demo diner's cards).
    let seeded = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger");
    let cases: Vec<(&str, &str, Value, u16)> = vec![
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": -5, "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": "-5", "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": "1.001", "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": 12.5, "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo", "amount": "0", "card": null }),
            422,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "nowhere", "amount": "5", "card": null }),
            404,
        ),
        (
            "/api/payment/create",
            "diner",
            json!({ "merchant_id": "demo" }),
            422,
        ),
        (
            "/api/wallet/recharge",
            "staff",
            json!({ "uid": DINER, "tier": "T999" }),
            404,
        ),
        (
            "/api/wallet/recharge",
            "staff",
            json!({ "uid": DINER, "tier": 100 }),
            422,
        ),
        (
            "/api/payment/verify",
            "staff",
            json!({ "code": "not a code" }),
            422,
        ),
        (
            "/api/payment/verify",
            "staff",
            json!({ "code": "00000000-0000-4000-8000-000000000000" }),
            404,
        ),
        (
            "/api/market/trade",
            "diner",
            json!({ "merchant_id": "demo", "fragment": "CHILI", "side": "STEAL", "quantity": 1 }),
            422,
        ),
        (
            "/api/market/trade",
            "diner",
            json!({ "merchant_id": "demo", "fragment": "CHILI", "side": "BUY", "quantity": -1 }),
            422,
        ),
        (
            "/api/assets/synthesize",
            "diner",
            json!({ "merchant_id": "demo", "card_type": "NOPE" }),
            404,
        ),
    ];
    for (path, who, body, status) in cases {
        let token = if who == "staff" { &till } else { &diner };
        let response = app.post(path, Some(token), Some(&key()), &body).await;
        assert_eq!(response.status(), status, "{path} {body}");
        assert_eq!(
            crate::helpers::content_type(&response).as_deref(),
            Some("application/problem+json"),
            "{path} {body}"
        );
    }
    let huge = json!({ "uid": "x".repeat(100_000), "tier": "T100" });
    let response = app
        .post("/api/wallet/recharge", Some(&till), Some(&key()), &huge)
        .await;
    assert_eq!(response.status(), 413);
    let problem: Value = response
        .json()
        .await
        .expect("a problem document, not plain text");
    assert_eq!(problem["code"], "PAYLOAD_TOO_LARGE");
    let entries = db::ledger::for_diner(&app.db, "demo", DINER, 100)
        .await
        .expect("ledger");
    assert_eq!(entries, seeded, "nothing was written");
}

/// What cannot be an id is refused where the request is read — 422 naming the field — and
/// never reaches the database (it used to come back as 503 `DATABASE_UNAVAILABLE`).
#[tokio::test]
async fn ids_that_cannot_be_ids_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let owner = app.staff_token("laowang", "owner-demo-1").await;
    let diner = app.diner_token(DINER).await;
    let cases: Vec<(&str, &String, Value, &str)> = vec![
        (
            "/api/payment/refund",
            &owner,
            json!({ "payment_id": "" }),
            "payment_id",
        ),
        (
            "/api/assets/synthesize",
            &diner,
            // Fields are read in the body's order: the first at fault is named.
            json!({ "card_type": "", "merchant_id": "" }),
            "card_type",
        ),
        (
            "/api/market/trade",
            &diner,
            json!({ "fragment": "", "merchant_id": "demo", "quantity": 1, "side": "BUY" }),
            "fragment",
        ),
        (
            "/api/payment/create",
            &diner,
            json!({ "amount": "12.30", "card": null, "merchant_id": "" }),
            "merchant_id",
        ),
        (
            "/api/wallet/refund/preview",
            &owner,
            json!({ "amount": "12.30", "uid": "" }),
            "uid",
        ),
        (
            "/api/catalog/tiers",
            &owner,
            json!({ "tier": { "code": "T1", "label": "l", "pay": "100000000", "bonus": "1", "active": true } }),
            "tier.pay",
        ),
    ];
    for (path, token, body, field) in cases {
        let response = app.post(path, Some(token), Some(&key()), &body).await;
        assert_eq!(response.status(), 422, "{path} {body}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "VALIDATION_FAILED", "{path} {body}");
        assert_eq!(problem["field"], field, "{path} {body}");
    }
    let query = app.get_as("/api/wallets/mine?merchant_id=", &diner).await;
    assert_eq!(query.status(), 422);
    let problem: Value = query.json().await.expect("problem");
    assert_eq!(problem["field"], "merchant_id");
    let missing = app.get_as("/api/ledger/of?limit=3", &owner).await;
    let problem: Value = missing.json().await.expect("problem");
    assert_eq!(problem["field"], "uid", "{problem}");
    let too_many = app
        .get_as("/api/ledger/of?uid=wx-demo-001&limit=201", &owner)
        .await;
    let problem: Value = too_many.json().await.expect("problem");
    assert_eq!(problem["field"], "limit", "{problem}");
    let key_not_a_uuid = app
        .post(
            "/api/payment/refund",
            Some(&owner),
            Some("1"),
            &json!({ "payment_id": "0193a0c4e5f07c3e9d2b6a1f4e8c7b20" }),
        )
        .await;
    let problem: Value = key_not_a_uuid.json().await.expect("problem");
    assert_eq!(problem["field"], "Idempotency-Key", "{problem}");
}

#[tokio::test]
async fn diners_read_their_statement_and_staff_read_a_diners() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    assert_eq!(recharge(&app, &till, DINER, "T100").await.status(), 200);
    assert_eq!(recharge(&app, &till, DINER, "T300").await.status(), 200);

    let diner = app.diner_token(DINER).await;
    let mine = app
        .get_as("/api/ledger/mine?merchant_id=demo&limit=1", &diner)
        .await;
    assert_eq!(mine.status(), 200);
    let mine: Value = mine.json().await.expect("lines");
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    assert_eq!(mine[0]["kind"], "RECHARGE");
    assert_eq!(mine[0]["amount"], "300.00");
    assert_eq!(mine[0]["bonus_change"], "80.00");
    assert_eq!(mine[0]["staff"], "xiaozhang");

    let theirs = app
        .get_as(&format!("/api/ledger/of?uid={DINER}"), &till)
        .await;
    assert_eq!(theirs.status(), 200);
    let theirs: Value = theirs.json().await.expect("lines");
    let all_of_mine: Value = app
        .get_as("/api/ledger/mine?merchant_id=demo", &diner)
        .await
        .json()
        .await
        .expect("lines");
    assert_eq!(theirs, all_of_mine);

    // Another diner sees only their own (empty) statement, and may not use the staff view.
    let other = app.diner_token("wx-demo-002").await;
    let empty: Value = app
        .get_as("/api/ledger/mine?merchant_id=demo", &other)
        .await
        .json()
        .await
        .expect("lines");
    assert_eq!(empty, json!([]));
    let refused = app
        .get_as(&format!("/api/ledger/of?uid={DINER}"), &other)
        .await;
    assert_problem(refused, 403, "FORBIDDEN").await;
    let too_many = app
        .get_as("/api/ledger/mine?merchant_id=demo&limit=201", &diner)
        .await;
    assert_problem(too_many, 422, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn a_replayed_scan_gets_the_first_success_though_the_card_is_now_used() {
    let app = spawn_app().await;
    let till = cashier(&app).await;
    let card = app.active_card(DINER).await;
    let same = key();
    let body = json!({ "code": card });
    let first = app
        .post("/api/payment/verify", Some(&till), Some(&same), &body)
        .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.expect("scan");
    // The retry finds the card USED, and the stored success wins over that refusal.
    let again = app
        .post("/api/payment/verify", Some(&till), Some(&same), &body)
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.expect("scan"), first);
    // A new key is a new scan: now it is refused.
    let fresh = app
        .post("/api/payment/verify", Some(&till), Some(&key()), &body)
        .await;
    assert_problem(fresh, 409, "CARD_ALREADY_USED").await;
}
