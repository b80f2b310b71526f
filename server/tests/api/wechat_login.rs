//! Diner login outside DEV: a WeChat mini program's code is exchanged for the OpenID at
//! WeChat's `jscode2session`. WeChat cannot run here, so a small HTTP server stands in for
//! it, answering as WeChat documents (including its error codes).

use std::collections::HashMap;

use axum::Json;
use axum::extract::Query;
use axum::routing::get;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app_with};

const APP_ID: &str = "wx5f0c1e7d2a9b3c4d";
const APP_SECRET: &str = "the-app-secret";
const OPEN_ID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
/// The session key WeChat gives this login (16 bytes, Base64).
const SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";

/// WeChat's `GET /sns/jscode2session`, for the codes the tests use.
async fn jscode2session(Query(query): Query<HashMap<String, String>>) -> Json<Value> {
    let param = |name: &str| query.get(name).map_or("", String::as_str);
    if param("appid") != APP_ID || param("secret") != APP_SECRET {
        return Json(json!({ "errcode": 40125, "errmsg": "invalid appsecret" }));
    }
    if param("grant_type") != "authorization_code" {
        return Json(json!({ "errcode": 40002, "errmsg": "invalid grant_type" }));
    }
    Json(match param("js_code") {
        "fresh-code" => json!({ "openid": OPEN_ID, "session_key": SESSION_KEY }),
        "used-code" => json!({ "errcode": 40163, "errmsg": "code been used" }),
        "while-busy" => json!({ "errcode": -1, "errmsg": "system error" }),
        _ => json!({ "errcode": 40029, "errmsg": "invalid code" }),
    })
}

/// Starts the stand-in; returns its base URL.
async fn fake_wechat() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let routes = axum::Router::new().route("/sns/jscode2session", get(jscode2session));
    tokio::spawn(async move { axum::serve(listener, routes).await });
    format!("http://{address}")
}

/// The application as staging runs it, logging diners in at `wechat_url`.
async fn staging_app(wechat_url: &str, secret: &str) -> TestApp {
    spawn_app_with(&[
        ("MEALQUEST_ENV", "staging"),
        (
            "MEALQUEST_SECRET_JWT_SIGNING_KEY",
            "a-signing-key-of-at-least-32-bytes!!",
        ),
        ("MEALQUEST_AUTH__WECHAT__APP_ID", APP_ID),
        ("MEALQUEST_AUTH__WECHAT__BASE_URL", wechat_url),
        ("MEALQUEST_SECRET_WECHAT_APP_SECRET", secret),
    ])
    .await
}

async fn login(app: &TestApp, code: &str) -> reqwest::Response {
    app.diner_login(code).await
}

#[tokio::test]
async fn a_wechat_code_logs_the_diner_in_as_their_openid() {
    let app = staging_app(&fake_wechat().await, APP_SECRET).await;
    let response = login(&app, "fresh-code").await;
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.expect("session");
    assert_eq!(session["subject"], format!("diner:{OPEN_ID}"));
    let token = session["token"].as_str().expect("token");
    let wallet = app
        .get_as("/api/wallets/mine?merchant_id=demo", token)
        .await;
    assert_eq!(wallet.status(), 200);
}

#[tokio::test]
async fn used_codes_and_dev_codes_are_refused_outside_dev() {
    let app = staging_app(&fake_wechat().await, APP_SECRET).await;
    assert_problem(login(&app, "used-code").await, 401, "UNAUTHORIZED").await;
    assert_problem(login(&app, "dev:wx-demo-001").await, 401, "UNAUTHORIZED").await;
    assert_problem(login(&app, "").await, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn wechat_failures_are_503_and_do_not_leak_the_secret() {
    let app = staging_app(&fake_wechat().await, "a-wrong-secret").await;
    let body = assert_problem(login(&app, "fresh-code").await, 503, "UPSTREAM_UNAVAILABLE").await;
    assert!(!body.to_string().contains("a-wrong-secret"), "{body}");

    let app = staging_app(&fake_wechat().await, APP_SECRET).await;
    assert_problem(login(&app, "while-busy").await, 503, "UPSTREAM_UNAVAILABLE").await;

    // Nothing listens on this port any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let app = staging_app(&url, APP_SECRET).await;
    assert_problem(login(&app, "fresh-code").await, 503, "UPSTREAM_UNAVAILABLE").await;
}

#[tokio::test]
async fn the_logins_session_key_reads_the_diners_wechat_run_data() {
    use app::service::steps::werun::{DaySteps, SessionKey, Watermark, WeRun, seal};
    let app = staging_app(&fake_wechat().await, APP_SECRET).await;
    db::seed::demo_data(&app.db).await.expect("the demo shop");
    let session: Value = login(&app, "fresh-code")
        .await
        .json()
        .await
        .expect("session");
    let token = session["token"].as_str().expect("token");
    // What wx.getWeRunData gives the mini program: today's steps, sealed by WeChat with the
    // login's session key, watermarked with the mini program's app id.
    let now = chrono::Utc::now();
    // Today's midnight on the phone (China time, as the demo shop's).
    let china = chrono::FixedOffset::east_opt(8 * 3_600).expect("UTC+8");
    let midnight = now
        .with_timezone(&china)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|day| day.and_local_timezone(china).single())
        .expect("midnight");
    let werun = |appid: &str| WeRun {
        step_info_list: vec![DaySteps {
            timestamp: midnight.timestamp(),
            step: 8_888,
        }],
        watermark: Watermark {
            appid: appid.into(),
            timestamp: now.timestamp(),
        },
    };
    let key = SessionKey::from_base64(SESSION_KEY).expect("key");
    let upload = |data: &WeRun| {
        let (encrypted_data, iv) = seal(&key, data, [9; 16]);
        json!({ "merchant_id": "demo", "encrypted_data": encrypted_data, "iv": iv })
    };
    let synced: app::model::steps::StepsSynced =
        app.call("/api/steps", token, &upload(&werun(APP_ID))).await;
    assert_eq!((synced.steps_today, synced.counted), (8_888, 8_888));
    assert!(synced.trigger_id.is_some());
    let foreign = app
        .post(
            "/api/steps",
            Some(token),
            None,
            &upload(&werun("wx-other-app")),
        )
        .await;
    assert_problem(foreign, 422, "STEPS_UNREADABLE").await;
    // No DEV stand-in outside DEV.
    let stand_in = app
        .post("/api/dev/werun", Some(token), None, &json!({ "steps": 1 }))
        .await;
    assert_problem(stand_in, 404, "NOT_FOUND").await;
}
