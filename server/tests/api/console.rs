//! The console's own endpoints (behind the pages) through the real router: the session
//! cookie, and the counter's scan form with its per-action key.

use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, content_type, spawn_app};

const CASHIER: (&str, &str) = ("xiaozhang", "cashier-demo-1");

impl TestApp {
    /// Posts a form as a browser without JavaScript would, with the session cookie if any.
    async fn form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("accept", "text/html")
            .header("origin", self.origin())
            .form(fields);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("sent")
    }

    /// Posts a console form as the page's script does (JSON answer, status 200 expected).
    async fn console_json(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Value {
        let (status, answer) = self.console_form(path, cookie, fields).await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    /// The counter page at `query`, as a browser gets it: a 200 HTML page.
    async fn counter_page(&self, cookie: &str, query: &str) -> String {
        let page = self
            .client
            .get(self.url(&format!("/cashier{query}")))
            .header("cookie", cookie)
            .header("accept", "text/html")
            .send()
            .await
            .expect("sent");
        assert_eq!(page.status(), 200, "{query}");
        assert!(content_type(&page).is_some_and(|v| v.starts_with("text/html")));
        page.text().await.expect("body")
    }

    /// The demo cashier's sign-in form, with `password`.
    async fn sign_in(&self, password: &str) -> reqwest::Response {
        self.form(
            "/console/sign_in",
            None,
            &[("username", CASHIER.0), ("password", password)],
        )
        .await
    }

    /// Signs the demo cashier in; returns the `name=value` of the session cookie.
    async fn session_cookie(&self) -> String {
        let response = self.sign_in(CASHIER.1).await;
        let set_cookie = set_cookie(&response).expect("a session cookie");
        set_cookie.split(';').next().expect("name=value").to_owned()
    }
}

fn set_cookie(response: &reqwest::Response) -> Option<String> {
    header(response, "set-cookie")
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn signing_in_sets_an_http_only_strict_cookie_that_authenticates_and_signing_out_ends_it() {
    let app = spawn_app().await;
    let response = app.sign_in(CASHIER.1).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(header(&response, "location").as_deref(), Some("/cashier"));
    let header = set_cookie(&response).expect("cookie");
    for attribute in ["mq_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(attribute), "{header} has {attribute}");
    }
    let cookie = header.split(';').next().expect("name=value").to_owned();

    // The cookie stands for the cashier wherever a token would.
    let wallet = app
        .client
        .get(app.url("/api/wallets/of?uid=wx-demo-001"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(wallet.status(), 200);

    let out = app.form("/console/sign_out", Some(&cookie), &[]).await;
    let cleared = set_cookie(&out).expect("cleared cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let refused = app.sign_in("wrong").await;
    assert!(
        set_cookie(&refused).is_none(),
        "no session for a wrong password"
    );
}

#[tokio::test]
async fn the_counter_scan_answers_every_scan_with_the_next_key_and_replays_a_retry() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let card = app.active_card("wx-demo-001").await;
    let scan = |key: &'static str| {
        let fields = [("code", card.clone()), ("key", key.to_owned())];
        let (app, cookie) = (&app, &cookie);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.console_json("/console/scan", cookie, &fields).await
        }
    };
    const KEY_1: &str = "00000000-0000-4000-8000-000000000001";
    const KEY_2: &str = "00000000-0000-4000-8000-000000000002";
    let first = scan(KEY_1).await;
    assert_eq!(first["result"]["kind"], "CARD_REDEEMED");
    assert!(first["refusal"].is_null());
    let next_key = first["next_key"].as_str().expect("next key");
    assert_ne!(next_key, KEY_1);

    // A retry with the same key (a double press) gets the same answer, not a refusal.
    let retry = scan(KEY_1).await;
    assert_eq!(retry["result"], first["result"]);

    // A new scan of the used card is refused, as an answer to show.
    let again = scan(KEY_2).await;
    assert!(again["result"].is_null());
    assert_eq!(again["refusal"]["code"], "CARD_ALREADY_USED");
}

#[tokio::test]
async fn the_counter_scan_needs_a_signed_in_cashier() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/console/scan"))
        .header("origin", app.origin())
        .header("accept", "application/json")
        .form(&[("code", "x"), ("key", "k")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn the_counter_recharge_finds_the_diner_and_charges_once_per_key() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let post = |path, fields| app.console_json(path, &cookie, fields);
    // 小红 is new here: she shows her member code.
    let code = app.member_code("wx-demo-002").await;
    let by_code = [("uid", code.as_str())];
    let found = post("/console/diner", &by_code).await;
    assert_eq!(found["diners"][0]["nickname"], "小红");
    assert!(
        found["diners"][0]["tiers"]
            .as_array()
            .is_some_and(|tiers| !tiers.is_empty())
    );
    let nobody = post("/console/diner", &[("uid", "nobody")]).await;
    assert_eq!(
        nobody["diners"],
        serde_json::json!([]),
        "an unknown diner is no answer, not an error"
    );
    assert!(nobody["refusal"].is_null());

    let recharge = || {
        post(
            "/console/recharge",
            &[
                ("uid", "wx-demo-002"),
                ("tier", "T100"),
                ("key", "00000000-0000-4000-8000-00000000000a"),
            ],
        )
    };
    let first = recharge().await;
    assert_eq!(first["receipt"]["balance"]["principal"], "100.00");
    // A double press sends the same key: the same receipt, no second recharge.
    let again = recharge().await;
    assert_eq!(again["receipt"], first["receipt"]);
    // Now a customer here, she is found by her uid too.
    let again = post("/console/diner", &[("uid", "wx-demo-002")]).await;
    assert_eq!(again["diners"][0]["balance"]["principal"], "100.00");
    let unknown_tier = post(
        "/console/recharge",
        &[
            ("uid", "wx-demo-002"),
            ("tier", "T999"),
            ("key", "00000000-0000-4000-8000-00000000000b"),
        ],
    )
    .await;
    assert_eq!(unknown_tier["refusal"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn without_javascript_a_recharge_comes_back_to_the_counter_which_reads_its_answer() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let fields = [
        ("uid", "wx-demo-002"),
        ("tier", "T100"),
        ("key", "00000000-0000-4000-8000-00000000000c"),
    ];
    let posted = app.form("/console/recharge", Some(&cookie), &fields).await;
    assert!(posted.status().is_redirection(), "{}", posted.status());
    assert_eq!(
        header(&posted, "location").as_deref(),
        Some("/cashier?recharged=00000000-0000-4000-8000-00000000000c")
    );
    // The page shows the stored answer; showing it again recharges nothing.
    let answer = app
        .console_json(
            "/console/recharge/answer",
            &cookie,
            &[("key", "00000000-0000-4000-8000-00000000000c")],
        )
        .await;
    assert_eq!(answer["receipt"]["balance"]["principal"], "100.00");
    let till = app.staff_token(CASHIER.0, CASHIER.1).await;
    let wallet = || async {
        let response = app.get_as("/api/wallets/of?uid=wx-demo-002", &till).await;
        response.json::<Value>().await.expect("wallet")
    };
    let before = wallet().await;
    for _ in 0..2 {
        let html = app
            .counter_page(&cookie, "?recharged=00000000-0000-4000-8000-00000000000c")
            .await;
        assert!(html.contains("充100送20"), "the recharge's answer is shown");
    }
    assert_eq!(wallet().await, before);
    // A key with no answer (the post failed before one was recorded) says to try again.
    let html = app.counter_page(&cookie, "?recharged=never-used").await;
    assert!(html.contains("系统繁忙，请重试"), "no answer, try again");

    // Looking a diner up comes back with what to look up; a phone number is kept as typed.
    let found = app
        .form("/console/diner", Some(&cookie), &[("uid", " 13800000002 ")])
        .await;
    assert_eq!(
        header(&found, "location").as_deref(),
        Some("/cashier?diner=13800000002")
    );
    // The counter page looks the diner up while it renders (no redirect there).
    let html = app.counter_page(&cookie, "?diner=13800000002").await;
    assert!(
        html.contains(r#"data-testid="recharge-diner""#),
        "the diner is shown"
    );
    let previewed = app
        .form(
            "/console/refund/preview",
            Some(&cookie),
            &[("uid", "wx-demo-002"), ("amount", "50")],
        )
        .await;
    assert_eq!(
        header(&previewed, "location").as_deref(),
        Some("/cashier?refund_uid=wx-demo-002&refund_amount=50.00")
    );
    // The page it comes back to is a page: what the preview does to its own answer (status,
    // JSON) is not done to the page rendering it.
    let html = app
        .counter_page(&cookie, "?refund_uid=wx-demo-002&refund_amount=50.00")
        .await;
    assert!(html.contains(r#"data-testid="refund-preview-result""#));
}

/// The counter's refund form carries the payout of its preview. When the refund would pay out
/// anything else, it is refused with the new preview: in the answer (with JavaScript), or by
/// coming back to the counter, which shows the refusal beside a fresh preview (without).
#[tokio::test]
async fn the_counter_refund_is_refused_with_the_new_preview_when_the_payout_changed() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let till = app.staff_token(CASHIER.0, CASHIER.1).await;
    let recharged = app
        .post(
            "/api/wallet/recharge",
            Some(&till),
            Some(&crate::helpers::key()),
            &serde_json::json!({ "uid": "wx-demo-002", "tier": "T100" }),
        )
        .await;
    assert_eq!(recharged.status(), 200);
    // 50 of 100/20 pays out 50; the form says its preview showed 49.
    let stale = |key| {
        [
            ("uid", "wx-demo-002"),
            ("amount", "50"),
            ("expected_payout", "49"),
            ("key", key),
        ]
    };
    let answer = app
        .console_json(
            "/console/refund",
            &cookie,
            &stale("00000000-0000-4000-8000-0000000000e1"),
        )
        .await;
    assert_eq!(answer["refusal"]["code"], "REFUND_PREVIEW_CHANGED");
    assert_eq!(answer["changed"]["uid"], "wx-demo-002");
    assert_eq!(answer["changed"]["clawback"]["payout"], "50.00");

    let posted = app
        .form(
            "/console/refund",
            Some(&cookie),
            &stale("00000000-0000-4000-8000-0000000000e2"),
        )
        .await;
    let query =
        "?refunded=00000000-0000-4000-8000-0000000000e2&refund_uid=wx-demo-002&refund_amount=50.00";
    assert_eq!(
        header(&posted, "location"),
        Some(format!("/cashier{query}"))
    );
    let html = app.counter_page(&cookie, query).await;
    assert!(html.contains("顾客余额刚有变动"), "the refusal is said");
    assert!(
        html.contains(r#"name="expected_payout" value="50.00""#),
        "the new preview is offered to confirm"
    );
    let wallet = app.get_as("/api/wallets/of?uid=wx-demo-002", &till).await;
    let wallet: Value = wallet.json().await.expect("wallet");
    assert_eq!(wallet["principal"], "100.00", "nothing was refunded");

    let done = app
        .console_json(
            "/console/refund",
            &cookie,
            &[
                ("uid", "wx-demo-002"),
                ("amount", "50"),
                ("expected_payout", "50.00"),
                ("key", "00000000-0000-4000-8000-00000000000d"),
            ],
        )
        .await;
    assert_eq!(done["receipt"]["clawback"]["payout"], "50.00");
}

#[tokio::test]
async fn the_language_switch_sets_its_cookie_goes_back_and_the_pages_follow_it() {
    let app = spawn_app().await;
    // Chinese first, whatever the browser prefers.
    let chinese = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("sent");
    let html = chinese.text().await.expect("body");
    assert!(html.contains("员工登录"), "Chinese by default");

    let switched = app
        .form(
            "/console/language",
            None,
            &[("to", "en"), ("back", "/login?x=1")],
        )
        .await;
    assert!(switched.status().is_redirection(), "{}", switched.status());
    assert_eq!(header(&switched, "location").as_deref(), Some("/login?x=1"));
    let set = set_cookie(&switched).expect("a language cookie");
    let cookie = set.split(';').next().expect("name=value").to_owned();
    assert_eq!(cookie, "mq_lang=en");

    let english = app
        .client
        .get(app.url("/login"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sent");
    // Pages read the choice and leave the cookie (its year-long lifetime) as it is.
    assert_eq!(set_cookie(&english), None);
    let html = english.text().await.expect("body");
    assert!(html.contains("Staff sign-in"), "English once chosen");
    assert!(!html.contains("员工登录"));

    // Never back to another site; an unknown language is refused and sets nothing.
    let elsewhere = app
        .form(
            "/console/language",
            None,
            &[("to", "zh"), ("back", "//evil.example/")],
        )
        .await;
    assert_eq!(header(&elsewhere, "location").as_deref(), Some("/"));
    let unknown = app
        .client
        .post(app.url("/console/language"))
        .header("origin", app.origin())
        .header("accept", "application/json")
        .form(&[("to", "fr"), ("back", "/")])
        .send()
        .await
        .expect("sent");
    assert!(set_cookie(&unknown).is_none());
    assert_problem(unknown, 422, "VALIDATION_FAILED").await;
}

impl TestApp {
    /// A fresh member code of the diner `uid`, as their app gets it.
    async fn member_code(&self, uid: &str) -> String {
        let token = self.diner_token(uid).await;
        let response = self
            .post(
                "/api/diner/member_code",
                Some(&token),
                None,
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(response.status(), 200, "member code");
        let code: Value = response.json().await.expect("json");
        code.get("code")
            .and_then(Value::as_str)
            .expect("code")
            .to_owned()
    }

    /// Makes `uid` a customer of `merchant`: a wallet there, with its ledger entry.
    async fn customer_of(&self, merchant: &str, uid: &str) {
        let empty = db::wallet::WalletRow::default();
        let after = db::wallet::WalletRow {
            principal: "10".parse().expect("decimal"),
            ..empty
        };
        let entry = db::ledger::NewLedgerEntry::new(
            db::ledger::LedgerType::Recharge,
            after.principal,
            merchant,
            uid,
            db::ledger::AssetsChange {
                principal: Some(after.principal),
                ..Default::default()
            },
        );
        db::wallet::apply(
            &self.db,
            merchant,
            uid,
            &empty,
            &after,
            &entry,
            &db::Outcome::none(),
        )
        .await
        .expect("a customer there");
    }
}

#[tokio::test]
async fn staff_find_only_their_own_customers_by_phone_or_uid_and_anyone_present_by_member_code() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let find = |wanted: String| {
        let (app, cookie) = (&app, &cookie);
        async move {
            app.console_json("/console/diner", cookie, &[("uid", &wanted)])
                .await
        }
    };
    db::merchant::upsert(&app.db, "other", "隔壁火锅店", "Asia/Shanghai")
        .await
        .expect("another shop");
    db::diner::ensure(&app.db, "wx-elsewhere", Some("阿强"), Some("13911112222"))
        .await
        .expect("a diner");
    app.customer_of("other", "wx-elsewhere").await;

    // Another shop's customer: neither their phone nor their uid finds them here (no
    // nickname, no OpenID comes back).
    for wanted in ["13911112222", "wx-elsewhere"] {
        let answer = find(wanted.to_owned()).await;
        assert_eq!(
            answer["diners"],
            serde_json::json!([]),
            "{wanted}: {answer}"
        );
        assert!(!answer.to_string().contains("阿强"));
    }
    // At the counter with their phone, they show a member code: found.
    let code = app.member_code("wx-elsewhere").await;
    let present = find(code).await;
    assert_eq!(present["diners"][0]["uid"], "wx-elsewhere", "{present}");
    assert_eq!(present["diners"][0]["nickname"], "阿强");
    // A typed uid is no member code, and a forged or stale one is refused as such.
    let forged =
        find("eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOiJ3eC1lbHNld2hlcmUifQ.c2lnbmF0dXJl".into()).await;
    assert_eq!(forged["refusal"]["code"], "MEMBER_CODE_INVALID", "{forged}");
    assert_eq!(forged["diners"], serde_json::json!([]));

    // Once a customer here, the phone finds them.
    app.customer_of("demo", "wx-elsewhere").await;
    let by_phone = find("13911112222".into()).await;
    assert_eq!(by_phone["diners"][0]["uid"], "wx-elsewhere", "{by_phone}");
}

#[tokio::test]
async fn diners_sharing_a_phone_number_are_all_listed_to_choose_from() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    for (uid, nickname) in [("wx-twin-a", "大双"), ("wx-twin-b", "小双")] {
        db::diner::ensure(&app.db, uid, Some(nickname), Some("13933334444"))
            .await
            .expect("a diner");
        app.customer_of("demo", uid).await;
    }
    let found = app
        .console_json("/console/diner", &cookie, &[("uid", "13933334444")])
        .await;
    let uids: Vec<&str> = found["diners"]
        .as_array()
        .expect("diners")
        .iter()
        .filter_map(|diner| diner["uid"].as_str())
        .collect();
    assert_eq!(uids, ["wx-twin-a", "wx-twin-b"], "both, none picked");

    // Without JavaScript the counter lists both, each with a button choosing it.
    let html = app.counter_page(&cookie, "?diner=13933334444").await;
    assert!(html.contains(r#"data-testid="recharge-matches""#), "a list");
    assert_eq!(html.matches(r#"data-testid="recharge-choose""#).count(), 2);
    assert!(html.contains("大双") && html.contains("小双"));
    assert!(
        !html.contains(r#"data-testid="recharge-diner""#),
        "none chosen"
    );
    // Choosing one is the counter with that diner.
    let html = app.counter_page(&cookie, "?diner=wx-twin-b").await;
    assert!(html.contains(r#"data-testid="recharge-diner""#));
    assert!(html.contains("小双") && !html.contains("大双"));
}
