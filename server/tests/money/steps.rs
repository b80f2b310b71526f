//! WeChat Run steps against real SurrealDB: the data the mini program sends is decrypted
//! with the session key of the diner's login, today's steps count once however often they
//! are synced, and a rise is a `STEPS_SYNCED` trigger a campaign turns into silver — once a
//! day, under concurrency too.

use app::auth::{Principal, throttle::ClientAddr};
use app::domain::rules::Outcome;
use app::error::ErrorCode;
use app::model::steps::{StepsUpload, WeRunData};
use app::service::rules;
use app::service::steps::{self, werun};
use app::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeDelta, Utc};
use serde_json::json;

use crate::helpers::{MERCHANT, seeded_state};
use crate::rules::{SPICY, active, refused_fields, spec, trace};

async fn logged_in(state: &AppState, uid: &str) -> Principal {
    app::service::auth::login_diner(state, &format!("dev:{uid}"), ClientAddr(None), Utc::now())
        .await
        .expect("logged in");
    Principal::Diner { uid: uid.into() }
}

fn upload(data: WeRunData) -> StepsUpload {
    StepsUpload {
        merchant_id: MERCHANT.parse().expect("merchant"),
        encrypted_data: data.encrypted_data,
        iv: data.iv,
    }
}

/// What the mini program would send with `steps` today, read now.
fn werun(state: &AppState, diner: &Principal, steps: u32) -> StepsUpload {
    upload(steps::stand_in(state, diner, steps, Utc::now()).expect("stand-in"))
}

async fn silver(state: &AppState, uid: &str) -> i64 {
    db::assets::silver(&state.db, uid).await.expect("silver")
}

/// "8,000 steps today: 20 silver", once a day.
async fn walkers_campaign(state: &AppState) {
    active(
        state,
        "WALKERS",
        spec(
            "日行八千",
            10,
            json!({"silver": 20}),
            json!({
                "triggers": ["STEPS_SYNCED"],
                "condition": {"check": "steps", "at_least": 8000},
                "limits": {"per_diner_per_day": 1}
            }),
        ),
    )
    .await;
}

#[tokio::test]
async fn steps_count_once_and_turn_into_silver_once_a_day() {
    let state = seeded_state().await;
    walkers_campaign(&state).await;
    let diner = logged_in(&state, SPICY).await;
    let before = silver(&state, SPICY).await;
    let now = Utc::now();

    // 5,000 steps: counted, a trigger, but the campaign's condition does not hold.
    let first = steps::sync(&state, &diner, &werun(&state, &diner, 5_000), now)
        .await
        .expect("synced");
    assert_eq!((first.steps_today, first.counted), (5_000, 5_000));
    assert_eq!(first.total_steps, 5_000);
    rules::decide_all(&state).await;
    let decided = trace(&state, first.trigger_id.as_deref().expect("a trigger")).await;
    assert!(matches!(
        decided.considered.first().map(|c| &c.outcome),
        Some(Outcome::ConditionFailed)
    ));

    // The same again: nothing counted twice, no trigger.
    let again = steps::sync(&state, &diner, &werun(&state, &diner, 5_000), now)
        .await
        .expect("synced");
    assert_eq!((again.counted, again.total_steps), (0, 5_000));
    assert_eq!(again.trigger_id, None);

    // 9,000: the rise is counted, the campaign pays.
    let walked = steps::sync(&state, &diner, &werun(&state, &diner, 9_000), now)
        .await
        .expect("synced");
    assert_eq!((walked.counted, walked.total_steps), (4_000, 9_000));
    rules::decide_all(&state).await;
    assert_eq!(silver(&state, SPICY).await, before + 20);

    // 12,000 the same day: counted, but the campaign pays once a day.
    let more = steps::sync(&state, &diner, &werun(&state, &diner, 12_000), now)
        .await
        .expect("synced");
    rules::decide_all(&state).await;
    let decided = trace(&state, more.trigger_id.as_deref().expect("a trigger")).await;
    assert!(matches!(
        decided.considered.first().map(|c| &c.outcome),
        Some(Outcome::LimitReached { .. })
    ));
    assert_eq!(silver(&state, SPICY).await, before + 20);
    assert_eq!(
        db::steps::total(&state.db, SPICY).await.expect("total"),
        12_000
    );
}

#[tokio::test]
async fn the_same_sync_sent_ten_times_at_once_counts_once() {
    let state = seeded_state().await;
    let diner = logged_in(&state, SPICY).await;
    let sent = werun(&state, &diner, 7_000);
    let now = Utc::now();
    let syncs = (0..10).map(|_| steps::sync(&state, &diner, &sent, now));
    let results = futures::future::join_all(syncs).await;
    let triggers = results
        .iter()
        .map(|result| result.as_ref().expect("synced"))
        .filter(|synced| synced.trigger_id.is_some())
        .count();
    assert_eq!(triggers, 1);
    let counted: u32 = results
        .iter()
        .filter_map(|result| result.as_ref().ok())
        .map(|synced| synced.counted)
        .sum();
    assert_eq!(counted, 7_000);
    assert_eq!(
        db::steps::total(&state.db, SPICY).await.expect("total"),
        7_000
    );
}

fn refusal(result: Result<app::model::steps::StepsSynced, app::error::AppError>) -> String {
    let problem = result.expect_err("refused").to_problem();
    assert_eq!(
        problem.code,
        ErrorCode::StepsUnreadable,
        "{}",
        problem.detail
    );
    problem.detail
}

#[tokio::test]
async fn another_diners_old_or_forged_data_is_refused_and_counts_nothing() {
    let state = seeded_state().await;
    let diner = logged_in(&state, SPICY).await;
    let other = logged_in(&state, "wx-demo-002").await;
    let now = Utc::now();

    // Another diner's data does not decrypt with this diner's session key.
    let theirs = werun(&state, &other, 30_000);
    let detail = refusal(steps::sync(&state, &diner, &theirs, now).await);
    assert!(detail.contains("log in again"), "{detail}");

    // Data read 20 minutes ago is a replay.
    let old = upload(
        steps::stand_in(&state, &diner, 30_000, now - TimeDelta::minutes(20)).expect("stand-in"),
    );
    let detail = refusal(steps::sync(&state, &diner, &old, now).await);
    assert!(detail.contains("minutes ago"), "{detail}");

    // Another mini program's data, sealed with the right key.
    let key = werun::SessionKey::dev(SPICY);
    let foreign = werun::WeRun {
        step_info_list: vec![],
        watermark: werun::Watermark {
            appid: "wx-someone-else".into(),
            timestamp: now.timestamp(),
        },
    };
    let (encrypted_data, iv) = werun::seal(&key, &foreign, [3; 16]);
    let detail = refusal(
        steps::sync(
            &state,
            &diner,
            &upload(WeRunData { encrypted_data, iv }),
            now,
        )
        .await,
    );
    assert!(detail.contains("another mini program"), "{detail}");

    // A byte of the first block flipped in transit: the text no longer reads.
    let mut forged = werun(&state, &diner, 30_000);
    let mut bytes = STANDARD.decode(&forged.encrypted_data).expect("base64");
    if let Some(byte) = bytes.get_mut(3) {
        *byte ^= 0x5a;
    }
    forged.encrypted_data = STANDARD.encode(bytes);
    let detail = refusal(steps::sync(&state, &diner, &forged, now).await);
    assert!(
        detail.contains("not WeChat Run data") || detail.contains("log in again"),
        "{detail}"
    );

    // Staff do not sync steps.
    let staff = Principal::Staff {
        staff_id: "owner-1".into(),
        merchant_id: MERCHANT.into(),
        role: app::auth::Role::Owner,
    };
    let forbidden = steps::sync(&state, &staff, &werun(&state, &diner, 1), now).await;
    assert_eq!(
        forbidden.expect_err("refused").to_problem().code,
        ErrorCode::Forbidden
    );
    assert_eq!(db::steps::total(&state.db, SPICY).await.expect("total"), 0);
}

#[tokio::test]
async fn a_steps_campaign_without_a_daily_limit_is_refused_at_save() {
    let state = seeded_state().await;
    let unlimited = spec(
        "无限步数",
        10,
        json!({"silver": 20}),
        json!({"triggers": ["STEPS_SYNCED"]}),
    );
    let refused = rules::create_campaign(
        &state,
        MERCHANT,
        "owner-1",
        app::model::rules::NewCampaign {
            code: "UNLIMITED".parse().expect("code"),
            spec: unlimited,
        },
    )
    .await
    .expect_err("refused");
    assert_eq!(refused_fields(refused), ["limits.per_diner_per_day"]);
}
