//! Who may get in, and for how long, tried as an attacker would: guessed passwords and
//! login codes, floods of logins, tokens of dismissed staff and signed-out sessions, forged
//! sessions, anonymous probing of the API's shapes, and posts from other sites riding on the
//! console's cookie.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, assert_problem, key, spawn_app, spawn_app_with};
use crate::support::socket;

async fn staff_login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/auth/staff/login",
        None,
        None,
        &json!({ "username": username, "password": password }),
    )
    .await
}

async fn balance_of(app: &TestApp, token: &str) -> reqwest::Response {
    app.get_as("/api/wallets/of?uid=wx-demo-001", token).await
}

#[tokio::test]
async fn a_cashier_password_cannot_be_guessed_at_speed() {
    let app = spawn_app_with(&[("MEALQUEST_AUTH__LOGIN__FAILURES_PER_USERNAME", "3")]).await;
    for guess in ["123456", "password", "xiaozhang"] {
        let wrong = staff_login(&app, "xiaozhang", guess).await;
        assert_problem(wrong, 401, "UNAUTHORIZED").await;
    }
    // The allowance is spent: one more failure locks the name, whatever comes next.
    let wrong = staff_login(&app, "XiaoZhang", "qwerty").await;
    assert!(matches!(wrong.status().as_u16(), 401 | 429));
    let locked = staff_login(&app, "xiaozhang", "cashier-demo-1").await;
    let retry_after = locked
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(locked, 429, "RATE_LIMITED").await;
    // Another member of staff is not locked out with them.
    assert_eq!(
        staff_login(&app, "laowang", "owner-demo-1").await.status(),
        200
    );
}

#[tokio::test]
async fn one_address_cannot_spray_passwords_over_many_names_or_codes_over_diners() {
    let app = spawn_app_with(&[("MEALQUEST_AUTH__LOGIN__FAILURES_PER_ADDRESS", "4")]).await;
    for name in ["a1", "a2", "a3", "a4", "a5"] {
        let _ = staff_login(&app, name, "guess").await;
    }
    let locked = staff_login(&app, "laowang", "owner-demo-1").await;
    assert_problem(locked, 429, "RATE_LIMITED").await;
    // Diner login codes count against the same address.
    let code = app.diner_login("dev:wx-demo-001").await;
    assert_problem(code, 429, "RATE_LIMITED").await;
}

#[tokio::test]
async fn guessed_diner_login_codes_lock_the_address_out() {
    let app = spawn_app_with(&[("MEALQUEST_AUTH__LOGIN__FAILURES_PER_ADDRESS", "3")]).await;
    for guess in ["071abc", "081def", "091ghi", "0a1jkl"] {
        let _ = app.diner_login(guess).await;
    }
    let locked = app.diner_login("dev:wx-demo-001").await;
    assert_problem(locked, 429, "RATE_LIMITED").await;
}

/// A few hundred parallel logins must not run a few hundred argon2 checks (19 MiB each) at
/// once: beyond the bound they are answered 503 quickly, and the process stays up.
#[tokio::test]
async fn a_flood_of_logins_is_bounded_not_queued_without_end() {
    let app = spawn_app_with(&[
        ("MEALQUEST_AUTH__LOGIN__MAX_CONCURRENT_CHECKS", "2"),
        ("MEALQUEST_AUTH__LOGIN__CHECK_WAIT_MS", "20"),
        ("MEALQUEST_AUTH__LOGIN__FAILURES_PER_USERNAME", "1000"),
        ("MEALQUEST_AUTH__LOGIN__FAILURES_PER_ADDRESS", "1000"),
    ])
    .await;
    let logins = futures::stream::iter(0..200)
        .map(|i| {
            let app = &app;
            async move {
                let response = staff_login(app, &format!("flood{i}"), "guess").await;
                let status = response.status().as_u16();
                if status == 503 {
                    assert_problem(response, 503, "BUSY").await;
                }
                status
            }
        })
        .buffer_unordered(200)
        .collect::<Vec<u16>>()
        .await;
    let busy = logins.iter().filter(|s| **s == 503).count();
    let checked = logins.iter().filter(|s| **s == 401).count();
    assert_eq!(busy + checked, 200, "only 401 and 503: {logins:?}");
    assert!(busy > 0, "the bound turned some away");
    assert!(checked >= 2, "and let some be checked");
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn signing_out_ends_the_token_at_once_everywhere_it_was_copied() {
    let app = spawn_app().await;
    let token = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let other_till = app.staff_token("xiaozhang", "cashier-demo-1").await;
    assert_eq!(balance_of(&app, &token).await.status(), 200);
    let out = app
        .post("/api/auth/sign_out", Some(&token), None, &json!({}))
        .await;
    assert_eq!(out.status(), 200);
    assert_problem(balance_of(&app, &token).await, 401, "UNAUTHORIZED").await;
    // Only that session ended: the other till's goes on.
    assert_eq!(balance_of(&app, &other_till).await.status(), 200);
    // An operation without arguments needs no body: a bare POST signs out as well.
    let bare = app
        .client
        .post(app.url("/api/auth/sign_out"))
        .bearer_auth(&other_till)
        .send()
        .await
        .expect("sent");
    assert_eq!(bare.status(), 200);
    assert_problem(balance_of(&app, &other_till).await, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn a_dismissed_cashier_loses_refund_rights_and_the_live_feed_at_once() {
    let app = spawn_app().await;
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let mut feed = socket::open_ready(&app.address.to_string(), &cashier).await;

    app::service::auth::set_staff_active(&app.state, "xiaozhang", false)
        .await
        .expect("dismissed");

    let refund = app
        .post(
            "/api/wallet/refund/preview",
            Some(&cashier),
            None,
            &json!({ "uid": "wx-demo-001", "amount": "1" }),
        )
        .await;
    assert_problem(refund, 401, "UNAUTHORIZED").await;
    assert_eq!(close_code(&mut feed).await, Some(4001));
    // And they cannot sign in again.
    assert_problem(
        staff_login(&app, "xiaozhang", "cashier-demo-1").await,
        401,
        "UNAUTHORIZED",
    )
    .await;
}

/// An account disabled by another process (here: straight in the database, as another app
/// server would) is refused once this process's check of the session is older than
/// `auth.session_cache_ms`, and its sockets close at their next check.
#[tokio::test]
async fn an_account_disabled_elsewhere_is_refused_and_its_socket_closes_at_its_check() {
    let app = spawn_app_with(&[
        ("MEALQUEST_REALTIME__SESSION_CHECK_SECS", "1"),
        ("MEALQUEST_AUTH__SESSION_CACHE_MS", "500"),
    ])
    .await;
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let mut feed = socket::open_ready(&app.address.to_string(), &cashier).await;
    assert!(
        db::staff::set_active(&app.db, "xiaozhang", false)
            .await
            .expect("disabled")
    );
    refused_within(Duration::from_secs(2), || balance_of(&app, &cashier)).await;
    assert_eq!(close_code(&mut feed).await, Some(4001));
}

/// With no session cache, another process's change is seen by the very next request.
#[tokio::test]
async fn without_the_session_cache_every_request_reads_the_session() {
    let app = spawn_app_with(&[("MEALQUEST_AUTH__SESSION_CACHE_MS", "0")]).await;
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    assert_eq!(balance_of(&app, &cashier).await.status(), 200);
    assert!(
        db::staff::set_active(&app.db, "xiaozhang", false)
            .await
            .expect("disabled")
    );
    assert_problem(balance_of(&app, &cashier).await, 401, "UNAUTHORIZED").await;
}

/// Polls `request` until it is refused 401, failing after `limit`.
async fn refused_within<F, Fut>(limit: Duration, request: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let response = request().await;
        if response.status() == 401 {
            assert_problem(response, 401, "UNAUTHORIZED").await;
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {} after {limit:?}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_demoted_manager_loses_the_managers_rights_with_the_same_token() {
    let app = spawn_app_with(&[("MEALQUEST_AUTH__SESSION_CACHE_MS", "0")]).await;
    let manager = app.staff_token("xiaoli", "manager-demo-1").await;
    let tier = json!({ "tier": { "code": "T50", "label": "充50送5", "pay": "50", "bonus": "5", "active": true } });
    let saved = app
        .post("/api/catalog/tiers", Some(&manager), None, &tier)
        .await;
    assert_eq!(saved.status(), 200);
    let demoted = app
        .db
        .query("UPDATE staff:xiaoli SET role = 'CASHIER'")
        .await
        .expect("demoted");
    demoted.check().expect("demoted");
    let refused = app
        .post("/api/catalog/tiers", Some(&manager), None, &tier)
        .await;
    assert_problem(refused, 403, "FORBIDDEN").await;
}

/// RFC 7519 and the session check: a token signed with the server's own key is still refused
/// when its session does not exist (a stolen key, or a token for an account that never was).
#[tokio::test]
async fn a_validly_signed_token_without_a_session_is_refused() {
    let app = spawn_app().await;
    for principal in [
        app::auth::Principal::Staff {
            staff_id: "ghost".into(),
            merchant_id: "no-such-shop".into(),
            role: app::auth::Role::Owner,
        },
        app::auth::Principal::Staff {
            staff_id: "laowang".into(),
            merchant_id: "demo".into(),
            role: app::auth::Role::Owner,
        },
    ] {
        let token = app
            .state_tokens
            .issue(&principal, "made-up-session", chrono::Utc::now())
            .expect("signed");
        let recharge = app
            .post(
                "/api/wallet/recharge",
                Some(&token),
                Some(&key()),
                &json!({ "uid": "wx-demo-001", "tier": "T100" }),
            )
            .await;
        assert_problem(recharge, 401, "UNAUTHORIZED").await;
    }
    // A real session of another account does not lend itself to a token naming someone else.
    let diner = app.diner_token("wx-demo-001").await;
    let claims = diner.split('.').nth(1).expect("claims");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims)
            .expect("base64"),
    )
    .expect("json");
    let sid = claims["sid"].as_str().expect("sid");
    let owner = app::auth::Principal::Staff {
        staff_id: "laowang".into(),
        merchant_id: "demo".into(),
        role: app::auth::Role::Owner,
    };
    let borrowed = app
        .state_tokens
        .issue(&owner, sid, chrono::Utc::now())
        .expect("signed");
    assert_problem(balance_of(&app, &borrowed).await, 401, "UNAUTHORIZED").await;
}

/// Anonymous callers learn nothing of the shapes: 401 whatever the body or query.
#[tokio::test]
async fn the_caller_is_known_before_the_body_is_read() {
    let app = spawn_app().await;
    let verify = app
        .post("/api/payment/verify", None, None, &json!({}))
        .await;
    assert_problem(verify, 401, "UNAUTHORIZED").await;
    let garbage = app
        .client
        .post(app.url("/api/wallet/recharge"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_problem(garbage, 401, "UNAUTHORIZED").await;
    for path in ["/api/assets/mine", "/api/wallets/mine", "/api/ledger/mine"] {
        assert_problem(app.get(path).await, 401, "UNAUTHORIZED").await;
    }
    // An endpoint nobody has made yet is closed too.
    assert_problem(app.get("/api/not/yet/made").await, 401, "UNAUTHORIZED").await;
}

/// The console's cookie rides along with requests other sites' pages make: a post carrying
/// it counts only when its Origin is ours.
#[tokio::test]
async fn a_post_from_another_site_cannot_use_the_console_cookie() {
    let app = spawn_app().await;
    let signed_in = app
        .client
        .post(app.url("/console/sign_in"))
        .header("origin", app.origin())
        .form(&[("username", "xiaozhang"), ("password", "cashier-demo-1")])
        .send()
        .await
        .expect("sent");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned();
    let recharge = |origin: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/api/wallet/recharge"))
            .header("cookie", &cookie)
            .header("idempotency-key", key())
            .json(&json!({ "uid": "wx-demo-002", "tier": "T100" }));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        async move { request.send().await.expect("sent") }
    };
    let before = db::wallet::get(&app.db, "demo", "wx-demo-002")
        .await
        .expect("wallet");
    assert_problem(
        recharge(Some("https://evil.example".into())).await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_problem(recharge(None).await, 403, "FORBIDDEN").await;
    assert_eq!(
        db::wallet::get(&app.db, "demo", "wx-demo-002")
            .await
            .expect("wallet"),
        before,
        "nothing was recharged"
    );
    assert_eq!(recharge(Some(app.origin())).await.status(), 200);
    // The console's own forms are checked even before anyone is signed in (login CSRF).
    let forced = app
        .client
        .post(app.url("/console/sign_in"))
        .header("origin", "https://evil.example")
        .form(&[("username", "xiaozhang"), ("password", "cashier-demo-1")])
        .send()
        .await
        .expect("sent");
    assert_problem(forced, 403, "FORBIDDEN").await;
    // Apps with a bearer token send no Origin and need none.
    let token = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let app_call = app
        .post(
            "/api/wallet/recharge",
            Some(&token),
            Some(&key()),
            &json!({ "uid": "wx-demo-002", "tier": "T100" }),
        )
        .await;
    assert_eq!(app_call.status(), 200);
}

/// The close code a socket ends with (skipping frames still on their way).
async fn close_code(socket: &mut socket::Socket) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, socket.next()).await {
        match message {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}
