//! The rule engine against real SurrealDB: campaigns saved and checked, triggers decided
//! once, stories and rewards granted in one transaction with their REWARD entry, and no
//! budget or limit passed under concurrency.

use app::auth::{Principal, Role};
use app::domain::rules::presence::Presence;
use app::domain::rules::{CampaignSpec, CampaignStatus, Outcome, TriggerType, Weather};
use app::error::ErrorCode;
use app::model::rules::{Context, DecisionTrace, NewCampaign, PostedEvent, ShopPlace};
use app::service::audit::check_books;
use app::service::rules::{self, Decider, lab, presence};
use app::state::AppState;
use chrono::Utc;
use serde_json::json;

use crate::helpers::{MERCHANT, cashier, seeded_disk_state, seeded_state};

pub(crate) const SPICY: &str = "wx-demo-001";

fn owner() -> Principal {
    Principal::Staff {
        staff_id: "owner-1".into(),
        merchant_id: MERCHANT.into(),
        role: Role::Owner,
    }
}

/// A campaign answering diners entering the shop, giving `grants`, with `extra` fields.
pub(crate) fn spec(
    name: &str,
    priority: u32,
    grants: serde_json::Value,
    extra: serde_json::Value,
) -> CampaignSpec {
    let mut spec = json!({
        "name": name,
        "triggers": ["USER_ENTER_SHOP"],
        "condition": {"check": "all", "of": []},
        "priority": priority,
        "action": {
            "story": {
                "title": "{nickname}，欢迎光临{shop}",
                "scenes": [{"text": "{weather}里为你备了{rewards}", "mood": "RAIN"}],
                "cta": {"label": "去看看", "action": "OPEN_INVENTORY"}
            },
            "grants": grants
        },
        "daily_budget_cap": "100.00",
        "holdout_percent": 0
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(spec).expect("a campaign")
}

pub(crate) async fn active(state: &AppState, code: &str, spec: CampaignSpec) {
    let new = NewCampaign {
        code: code.parse().expect("code"),
        spec,
    };
    rules::create_campaign(state, MERCHANT, "owner-1", new)
        .await
        .expect("created");
    rules::set_status(state, MERCHANT, "owner-1", code, CampaignStatus::Active)
        .await
        .expect("activated");
}

async fn post(state: &AppState, kind: TriggerType, uid: Option<&str>, context: Context) -> String {
    let event = PostedEvent {
        kind,
        merchant_id: MERCHANT.parse().expect("merchant"),
        uid: uid.map(|uid| uid.parse().expect("uid")),
        context,
        proof: None,
    };
    rules::post_event(state, &owner(), event, Utc::now())
        .await
        .expect("accepted")
        .trigger_id
}

/// `uid` enters the shop (checked in by staff); returns the trigger's id.
pub(crate) async fn enter(state: &AppState, uid: &str) -> String {
    post(
        state,
        TriggerType::UserEnterShop,
        Some(uid),
        Context::default(),
    )
    .await
}

pub(crate) async fn trace(state: &AppState, trigger: &str) -> DecisionTrace {
    let row = db::rules::decision(&state.db, MERCHANT, trigger)
        .await
        .expect("read")
        .expect("decided");
    serde_json::from_value(row.trace).expect("a trace")
}

async fn chili(state: &AppState, uid: &str) -> i64 {
    db::assets::holdings(&state.db, MERCHANT, uid)
        .await
        .expect("holdings")
        .get("CHILI")
        .copied()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_spicy_diner_entering_on_a_rainy_day_gets_the_rainy_spicy_story_and_its_fragments() {
    let state = seeded_state().await;
    db::rules::retag(&state.db, MERCHANT, SPICY, &["spicy".into()], &[])
        .await
        .expect("tagged");
    // Priority 10 × (100 + 50 spicy + 30 rain) = 1,800 beats 15 × 100 = 1,500; exclusive.
    active(
        &state,
        "RAINY_SPICY",
        spec(
            "雨天辣味",
            10,
            json!({"fragments": {"CHILI": 2}}),
            json!({
                "condition": {"check": "weather_in", "weather": ["RAINY"]},
                "affinity": {"tags": {"spicy": 50}, "weather": {"RAINY": 30}},
                "exclusive": true
            }),
        ),
    )
    .await;
    active(
        &state,
        "PLAIN",
        spec("随便送", 15, json!({"silver": 5}), json!({})),
    )
    .await;
    post(
        &state,
        TriggerType::WeatherChange,
        None,
        Context {
            weather: Some(Weather::Rainy),
            ..Context::default()
        },
    )
    .await;
    let entered = enter(&state, SPICY).await;
    rules::decide_all(&state).await;

    let decided = trace(&state, &entered).await;
    assert_eq!(decided.fired, ["RAINY_SPICY"]);
    let outcomes: Vec<(&str, &Outcome, u64)> = decided
        .considered
        .iter()
        .map(|c| (c.campaign.as_str(), &c.outcome, c.weight))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("RAINY_SPICY", &Outcome::Fired, 1_800),
            (
                "PLAIN",
                &Outcome::Suppressed {
                    by: "RAINY_SPICY".into()
                },
                1_500
            ),
        ]
    );
    assert_eq!(chili(&state, SPICY).await, 2);
    let inbox = rules::inbox(&state, SPICY, Some(MERCHANT))
        .await
        .expect("inbox");
    assert_eq!(inbox.len(), 1);
    let story = &inbox.first().expect("a story").story;
    let shop = db::merchant::name(&state.db, MERCHANT)
        .await
        .expect("shop")
        .unwrap_or_default();
    assert_eq!(
        story.title,
        format!("{}，欢迎光临{shop}", nickname(&state, SPICY).await)
    );
    assert!(
        story
            .scenes
            .iter()
            .any(|s| s.text == "雨天里为你备了辣椒碎片×2"),
        "{story:?}"
    );
    // The ledger has the reward with what it gave, and the books add up.
    let lines = db::ledger::for_diner(&state.db, MERCHANT, SPICY, 10)
        .await
        .expect("ledger");
    let reward = lines
        .iter()
        .find(|line| line.kind == db::ledger::LedgerType::Reward)
        .expect("a REWARD entry");
    assert_eq!(
        reward
            .assets_change
            .fragments
            .as_ref()
            .and_then(|f| f.get("CHILI")),
        Some(&2)
    );
    assert_eq!(reward.reference.as_deref(), Some("campaign:RAINY_SPICY@2"));
    assert_eq!(
        check_books(&state).await.expect("audit").mismatches,
        Vec::new()
    );
    // The story travels to the diner's socket as a STORY frame.
    app::realtime::sequencer::number_all(&state).await;
    let frames = db::events::after(&state.db, &format!("diner:{SPICY}"), 0, 100)
        .await
        .expect("log");
    assert!(frames.iter().any(|f| f.kind == "STORY"), "{frames:?}");
}

async fn nickname(state: &AppState, uid: &str) -> String {
    db::diner::get(&state.db, uid)
        .await
        .expect("diner")
        .and_then(|d| d.nickname)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_payment_a_recharge_and_a_redemption_trigger_in_their_own_transaction() {
    let state = seeded_state().await;
    active(
        &state,
        "TOP_UP",
        spec(
            "充值有礼",
            10,
            json!({"silver": 30}),
            json!({"triggers": ["RECHARGE_DONE"]}),
        ),
    )
    .await;
    app::service::wallet::recharge(&state, cashier(SPICY), "T100", None)
        .await
        .expect("recharge");
    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    rules::decide_all(&state).await;
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        before + 30
    );
    assert_eq!(
        check_books(&state).await.expect("audit").mismatches,
        Vec::new()
    );
}

#[tokio::test]
async fn a_redemption_nothing_listens_to_writes_no_trigger_and_one_a_campaign_hears_is_queued() {
    let state = seeded_state().await;
    let pending = || async {
        db::queue::figures(&state.db, db::rules::TRIGGERS)
            .await
            .expect("figures")
            .pending
    };
    let redeem = || async {
        let card = db::card::issue(
            &state.db,
            MERCHANT,
            "FREE_APPETIZER",
            SPICY,
            Utc::now() + chrono::Duration::days(3),
        )
        .await
        .expect("a card");
        app::service::payment::scan(&state, crate::helpers::TILL, &card, Utc::now(), None)
            .await
            .expect("redeemed");
    };
    let decisions = || async {
        let rows: Vec<serde_json::Value> = state
            .db
            .query("SELECT VALUE trace FROM decision WHERE uid = $uid AND trigger.type = 'CARD_REDEEMED'")
            .bind(("uid", SPICY))
            .await
            .expect("read")
            .take(0)
            .expect("traces");
        rows
    };
    // No campaign listens to a redemption: nothing is queued or decided; the redemption's
    // ledger entry is its record.
    redeem().await;
    assert_eq!(pending().await, 0);
    rules::decide_all(&state).await;
    assert_eq!(decisions().await, Vec::<serde_json::Value>::new());
    let redeemed = db::ledger::of_merchant(
        &state.db,
        MERCHANT,
        &[db::ledger::LedgerType::Redeem],
        Utc::now() - chrono::Duration::hours(1),
    )
    .await
    .expect("ledger");
    assert_eq!(
        redeemed
            .iter()
            .filter(|line| line.user_uid == SPICY)
            .count(),
        1
    );

    // Once one does, the next redemption is queued and the decider rewards it.
    active(
        &state,
        "THANKS",
        spec(
            "用券有礼",
            10,
            json!({"silver": 12}),
            json!({"triggers": ["CARD_REDEEMED"]}),
        ),
    )
    .await;
    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    redeem().await;
    assert_eq!(pending().await, 1);
    rules::decide_all(&state).await;
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        before + 12
    );
    let traces = decisions().await;
    let [trace] = traces.as_slice() else {
        panic!("one decision: {traces:?}");
    };
    assert_eq!(trace.get("fired"), Some(&json!(["THANKS"])));
}

/// Decides the shop's waiting triggers with `workers` workers at once, each claiming its
/// own items, so their transactions race for the same budget and counters.
async fn decide_concurrently(state: &AppState, workers: usize) {
    let partition = db::queue::partition_of(MERCHANT, db::rules::TRIGGERS.partitions);
    let settings = app::work::Settings {
        batch: 4,
        ..app::work::Settings::default()
    };
    let runs = (0..workers).map(|i| {
        let state = state.clone();
        async move {
            app::work::drain(
                &state,
                &Decider,
                &format!("worker-{i}"),
                &[partition],
                settings,
            )
            .await;
        }
    });
    futures::future::join_all(runs).await;
    // Anything given back after a failure is decided now.
    rules::decide_all(state).await;
}

/// `n` new diners named `<prefix>-00`, `<prefix>-01`, …
async fn diners(state: &AppState, prefix: &str, n: usize) -> Vec<String> {
    let mut uids = Vec::new();
    for i in 0..n {
        let uid = format!("{prefix}-{i:02}");
        db::diner::ensure(&state.db, &uid, None, None)
            .await
            .expect("diner");
        uids.push(uid);
    }
    uids
}

/// How many decisions the shop recorded in the last hour.
async fn decided_this_hour(state: &AppState) -> usize {
    db::rules::decisions(
        &state.db,
        MERCHANT,
        Utc::now() - chrono::Duration::hours(1),
        1_000,
    )
    .await
    .expect("decisions")
    .len()
}

async fn enqueue_entries(state: &AppState, uids: &[String]) {
    for uid in uids {
        enter(state, uid).await;
    }
}

async fn budget_holds(state: AppState) {
    // One chili costs 30 / 11 of a hot-pot card: 2.73. A cap of 54.60 pays 20 rewards.
    active(
        &state,
        "TWENTY",
        spec(
            "前二十名",
            10,
            json!({"fragments": {"CHILI": 1}}),
            json!({"daily_budget_cap": "54.60"}),
        ),
    )
    .await;
    let uids = diners(&state, "budget", 50).await;
    // 500 triggers: each of the 50 diners enters ten times.
    let all: Vec<String> = (0..10).flat_map(|_| uids.clone()).collect();
    enqueue_entries(&state, &all).await;
    decide_concurrently(&state, 6).await;
    let campaign = rules::campaign(&state, MERCHANT, "TWENTY", Utc::now())
        .await
        .expect("campaign");
    assert_eq!(campaign.granted_today, 20);
    assert_eq!(campaign.used_today.to_string(), "54.60");
    let mut given = 0;
    for uid in &uids {
        given += chili(&state, uid).await;
    }
    assert_eq!(given, 20);
    assert_eq!(
        decided_this_hour(&state).await,
        500,
        "every trigger decided once"
    );
    assert_eq!(
        check_books(&state).await.expect("audit").mismatches,
        Vec::new()
    );
}

#[tokio::test]
async fn five_hundred_concurrent_triggers_never_spend_past_a_budget_for_twenty() {
    budget_holds(seeded_state().await).await;
}

#[tokio::test]
async fn the_budget_holds_on_disk_too() {
    let (state, _dir) = seeded_disk_state().await;
    budget_holds(state).await;
}

#[tokio::test]
async fn a_per_diner_cap_holds_under_concurrency() {
    let state = seeded_state().await;
    active(
        &state,
        "THRICE",
        spec(
            "一天三次",
            10,
            json!({"silver": 1}),
            json!({"limits": {"per_diner_per_day": 3}}),
        ),
    )
    .await;
    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    enqueue_entries(&state, &vec![SPICY.to_owned(); 40]).await;
    decide_concurrently(&state, 4).await;
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        before + 3
    );
}

#[tokio::test]
async fn a_trigger_delivered_twice_or_left_by_a_dead_worker_is_decided_once() {
    let state = seeded_state().await;
    active(
        &state,
        "ONCE",
        spec("一次", 10, json!({"fragments": {"CHILI": 1}}), json!({})),
    )
    .await;
    let trigger = json!({
        "id": uuid::Uuid::now_v7().to_string(), "type": "USER_ENTER_SHOP",
        "merchant_id": MERCHANT, "uid": SPICY, "occurred_at": Utc::now()
    });
    let item = db::rules::NewTrigger {
        merchant: MERCHANT.into(),
        trigger,
    }
    .item();
    db::queue::enqueue(&state.db, &[item.clone(), item])
        .await
        .expect("enqueued twice");
    // A worker claims them and dies: its lease runs out without a decision.
    let partition = db::queue::partition_of(MERCHANT, db::rules::TRIGGERS.partitions);
    let claimed = db::queue::claim(&state.db, db::rules::TRIGGERS, &[partition], "dead", 10, 1)
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    rules::decide_all(&state).await;
    assert_eq!(chili(&state, SPICY).await, 1);
    let figures = db::queue::figures(&state.db, db::rules::TRIGGERS)
        .await
        .expect("figures");
    assert_eq!((figures.pending, figures.dead), (0, 0));
}

#[tokio::test]
async fn a_burst_of_triggers_no_campaign_answers_is_recorded_together_and_once() {
    let state = seeded_state().await;
    active(
        &state,
        "ONCE",
        spec("一次", 10, json!({"fragments": {"CHILI": 1}}), json!({})),
    )
    .await;
    let trigger = |kind: &str| {
        db::rules::NewTrigger {
            merchant: MERCHANT.into(),
            trigger: json!({
                "id": uuid::Uuid::now_v7().to_string(), "type": kind,
                "merchant_id": MERCHANT, "uid": SPICY, "occurred_at": Utc::now()
            }),
        }
        .item()
    };
    // Plain redemptions, one of them delivered twice inside the batch, and a visit that
    // fires in the middle: the plain ones before it commit first, then it alone.
    let twice = trigger("CARD_REDEEMED");
    let mut items: Vec<_> = (0..4).map(|_| trigger("CARD_REDEEMED")).collect();
    items.push(twice.clone());
    items.push(trigger("USER_ENTER_SHOP"));
    items.push(twice);
    items.extend((0..3).map(|_| trigger("CARD_REDEEMED")));
    db::queue::enqueue(&state.db, &items)
        .await
        .expect("enqueued");
    rules::decide_all(&state).await;
    assert_eq!(
        decided_this_hour(&state).await,
        9,
        "nine triggers, each decided once"
    );
    assert_eq!(chili(&state, SPICY).await, 1, "the visit fired once");
    let figures = db::queue::figures(&state.db, db::rules::TRIGGERS)
        .await
        .expect("figures");
    assert_eq!((figures.pending, figures.dead), (0, 0));
}

#[tokio::test]
async fn a_later_trigger_of_a_batch_reads_what_an_earlier_one_granted() {
    let state = seeded_state().await;
    let held = chili(&state, SPICY).await;
    active(
        &state,
        "WELCOME",
        spec("欢迎", 10, json!({"fragments": {"CHILI": 1}}), json!({})),
    )
    .await;
    // Answers a redemption only once the diner holds one more chili than now: what the
    // visit just before it in the same batch gives.
    active(
        &state,
        "HOLDER",
        spec(
            "集齐",
            10,
            json!({"silver": 5}),
            json!({
                "triggers": ["CARD_REDEEMED"],
                "condition": {"check": "holds_fragment", "fragment": "CHILI", "count": held + 1}
            }),
        ),
    )
    .await;
    let silver = db::assets::silver(&state.db, SPICY).await.expect("silver");
    let trigger = |kind: &str| db::rules::NewTrigger {
        merchant: MERCHANT.into(),
        trigger: json!({
            "id": uuid::Uuid::now_v7().to_string(), "type": kind,
            "merchant_id": MERCHANT, "uid": SPICY, "occurred_at": Utc::now()
        }),
    };
    let (visit, redeemed) = (trigger("USER_ENTER_SHOP"), trigger("CARD_REDEEMED"));
    let redeemed_id = redeemed.trigger["id"].as_str().expect("id").to_owned();
    // Enqueued together, so one claim takes both and their reads are read at once.
    db::queue::enqueue(&state.db, &[visit.item(), redeemed.item()])
        .await
        .expect("enqueued");
    rules::decide_all(&state).await;
    assert_eq!(
        chili(&state, SPICY).await,
        held + 1,
        "the visit gave a chili"
    );
    assert_eq!(
        trace(&state, &redeemed_id).await.fired,
        ["HOLDER"],
        "the redemption saw it"
    );
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        silver + 5
    );
}

#[tokio::test]
async fn a_story_that_breaks_the_schema_is_refused_at_save_and_at_send() {
    let state = seeded_state().await;
    let long = "长".repeat(41);
    let bad = spec(
        "太长",
        10,
        json!({"silver": 1}),
        json!({"action": {"story": {"title": long, "scenes": [{"text": "{password}"}]}}}),
    );
    let refused = rules::create_campaign(
        &state,
        MERCHANT,
        "owner-1",
        NewCampaign {
            code: "BAD".parse().expect("code"),
            spec: bad,
        },
    )
    .await
    .expect_err("refused");
    assert_eq!(refused_fields(refused), ["action.story.scenes[0].text"]);
    // A stored template tampered with behind the API: the story breaks the schema at send
    // time, is logged and never sent, and its campaign gives nothing.
    active(
        &state,
        "TAMPERED",
        spec("被改", 10, json!({"silver": 7}), json!({})),
    )
    .await;
    state
        .db
        .query("UPDATE type::record('campaign', [$m, 'TAMPERED']) SET spec.action.story.title = $t")
        .bind(("m", MERCHANT))
        .bind(("t", "长".repeat(300)))
        .await
        .expect("tampered");
    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    let entered = enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    let decided = trace(&state, &entered).await;
    assert!(decided.fired.is_empty());
    assert!(matches!(
        decided.considered.first().map(|c| &c.outcome),
        Some(Outcome::StoryRefused { .. })
    ));
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        before
    );
    assert!(
        rules::inbox(&state, SPICY, None)
            .await
            .expect("inbox")
            .is_empty()
    );
}

/// Puts the demo shop in Chengdu, 200 m around it counting as in the shop.
pub(crate) async fn place_the_shop(state: &AppState) {
    presence::set_place(
        state,
        MERCHANT,
        ShopPlace {
            lat: 30.6574,
            lon: 104.0658,
            radius_m: serde_json::from_str("200").expect("radius"),
        },
    )
    .await
    .expect("placed");
}

/// The fields a refused campaign save names.
pub(crate) fn refused_fields(refused: app::error::AppError) -> Vec<String> {
    refused
        .to_problem()
        .errors
        .map(|errors| errors.0)
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

/// A diner posts their own arrival with `proof`.
async fn arrive(
    state: &AppState,
    uid: &str,
    proof: Option<Presence>,
) -> Result<String, app::error::AppError> {
    let event = PostedEvent {
        kind: TriggerType::UserEnterShop,
        merchant_id: MERCHANT.parse().expect("merchant"),
        uid: None,
        context: Context {
            // A diner cannot say what the weather is: this is dropped.
            weather: Some(Weather::Rainy),
            ..Context::default()
        },
        proof,
    };
    let diner = Principal::Diner { uid: uid.into() };
    rules::post_event(state, &diner, event, Utc::now())
        .await
        .map(|receipt| receipt.trigger_id)
}

fn refusal(result: Result<String, app::error::AppError>) -> (ErrorCode, String) {
    let problem = result.expect_err("refused").to_problem();
    (problem.code, problem.detail)
}

#[tokio::test]
async fn a_diner_arrives_only_with_todays_table_code_or_from_near_the_shop() {
    let state = seeded_state().await;
    active(
        &state,
        "WELCOME",
        spec("欢迎", 10, json!({"silver": 2}), json!({})),
    )
    .await;
    let table = "T3".parse().expect("table");
    let (today, _) = presence::table_code(&state, MERCHANT, &table, Utc::now())
        .await
        .expect("today's code");
    let (yesterday, _) = presence::table_code(
        &state,
        MERCHANT,
        &table,
        Utc::now() - chrono::Duration::days(1),
    )
    .await
    .expect("yesterday's code");
    // The last character of the signature changed (never to itself: a code ending in `0`
    // once made this "forgery" the genuine code).
    let last = if today.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", today.get(..today.len() - 1).unwrap_or_default());
    let elsewhere = today.replacen(".demo.", ".other.", 1);
    let table_code = |text: &str| Some(Presence::TableCode(text.to_owned()));
    let refused = [
        (None, "scan the table code"),
        (table_code(&yesterday), "another day"),
        (table_code(&forged), "not genuine"),
        (table_code(&elsewhere), "another shop"),
        (table_code("hello"), "not a table code"),
        (
            Some(Presence::Location {
                lat: 30.0,
                lon: 104.0,
            }),
            "has not set its location",
        ),
    ];
    for (proof, why) in refused {
        let (code, detail) = refusal(arrive(&state, SPICY, proof).await);
        assert_eq!(code, ErrorCode::PresenceNotProven);
        assert!(detail.contains(why), "{detail}");
    }
    place_the_shop(&state).await;
    let (_, far) = refusal(
        arrive(
            &state,
            SPICY,
            Some(Presence::Location {
                lat: 30.6551,
                lon: 104.0781,
            }),
        )
        .await,
    );
    assert!(far.contains("m from the shop"), "{far}");
    // Another diner's arrival, or the weather, is not a diner's to post.
    let mut theirs = PostedEvent {
        kind: TriggerType::UserEnterShop,
        merchant_id: MERCHANT.parse().expect("merchant"),
        uid: Some("wx-demo-002".parse().expect("uid")),
        context: Context::default(),
        proof: table_code(&today),
    };
    let diner = Principal::Diner { uid: SPICY.into() };
    let forbidden = rules::post_event(&state, &diner, theirs.clone(), Utc::now()).await;
    assert_eq!(
        forbidden.expect_err("refused").to_problem().code,
        ErrorCode::Forbidden
    );
    theirs.kind = TriggerType::WeatherChange;
    theirs.uid = None;
    let forbidden = rules::post_event(&state, &diner, theirs, Utc::now()).await;
    assert_eq!(
        forbidden.expect_err("refused").to_problem().code,
        ErrorCode::Forbidden
    );

    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    let by_code = arrive(&state, SPICY, table_code(&today))
        .await
        .expect("believed");
    let nearby = Presence::Location {
        lat: 30.6580,
        lon: 104.0660,
    };
    arrive(&state, SPICY, Some(nearby)).await.expect("believed");
    rules::decide_all(&state).await;
    let decided = db::rules::decision(&state.db, MERCHANT, &by_code)
        .await
        .expect("read")
        .expect("decided");
    assert_eq!(
        decided.trigger["context"],
        json!({}),
        "the diner's weather is dropped"
    );
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        before + 4
    );
}

async fn draft(state: &AppState, code: &str, spec: CampaignSpec) {
    let new = NewCampaign {
        code: code.parse().expect("code"),
        spec,
    };
    rules::create_campaign(state, MERCHANT, "owner-1", new)
        .await
        .expect("created");
}

#[tokio::test]
async fn a_dry_run_shows_the_trace_and_the_story_and_gives_nothing() {
    let state = seeded_state().await;
    draft(
        &state,
        "TRY_ME",
        spec(
            "试一试",
            10,
            json!({"fragments": {"PEPPER": 1}}),
            json!({"condition": {"check": "weather_in", "weather": ["RAINY"]}}),
        ),
    )
    .await;
    let trial = |weather| app::model::rules::TrialTrigger {
        kind: TriggerType::UserEnterShop,
        uid: SPICY.parse().expect("uid"),
        context: Context {
            weather,
            ..Context::default()
        },
    };
    let dry = lab::dry_run(
        &state,
        MERCHANT,
        "TRY_ME",
        trial(Some(Weather::Rainy)),
        Utc::now(),
    )
    .await
    .expect("dry run");
    assert_eq!(dry.decision.fired, ["TRY_ME"]);
    let story = dry.story.expect("the story");
    assert!(
        story.scenes.iter().any(|s| s.text.ends_with("×1")),
        "{story:?}"
    );
    let sunny = lab::dry_run(
        &state,
        MERCHANT,
        "TRY_ME",
        trial(Some(Weather::Sunny)),
        Utc::now(),
    )
    .await
    .expect("dry run");
    assert!(sunny.decision.fired.is_empty());
    assert_eq!(
        sunny.decision.considered.first().map(|c| &c.outcome),
        Some(&Outcome::ConditionFailed)
    );
    // Nothing was given, kept or decided for real.
    assert!(
        db::assets::holdings(&state.db, MERCHANT, SPICY)
            .await
            .expect("held")
            .is_empty()
    );
    assert!(
        rules::inbox(&state, SPICY, None)
            .await
            .expect("inbox")
            .is_empty()
    );
    let decided = db::rules::decisions(
        &state.db,
        MERCHANT,
        Utc::now() - chrono::Duration::hours(1),
        10,
    )
    .await
    .expect("decisions");
    assert!(decided.is_empty());
}

#[tokio::test]
async fn a_backtest_replays_recorded_triggers_the_same_twice_and_grants_nothing() {
    let state = seeded_state().await;
    active(
        &state,
        "LIVE",
        spec("在用", 10, json!({"silver": 1}), json!({})),
    )
    .await;
    let uids = diners(&state, "replay", 10).await;
    let all: Vec<String> = (0..3).flat_map(|_| uids.clone()).collect();
    enqueue_entries(&state, &all).await;
    rules::decide_all(&state).await;
    // A candidate whose budget pays five rewards (2.73 each).
    draft(
        &state,
        "CANDIDATE",
        spec(
            "候选",
            20,
            json!({"fragments": {"CHILI": 1}}),
            json!({"daily_budget_cap": "13.65"}),
        ),
    )
    .await;
    let silver_before = db::assets::silver(&state.db, "replay-00")
        .await
        .expect("silver");
    let first = lab::backtest(&state, MERCHANT, "CANDIDATE", 7, Utc::now())
        .await
        .expect("backtest");
    let again = lab::backtest(&state, MERCHANT, "CANDIDATE", 7, Utc::now())
        .await
        .expect("backtest");
    assert_eq!(first, again);
    assert_eq!(first.triggers, 30);
    let of = |code: &str| {
        first
            .campaigns
            .iter()
            .find(|c| c.campaign == code)
            .cloned()
            .expect("replayed")
    };
    let candidate = of("CANDIDATE");
    assert_eq!((candidate.rewards, candidate.reach), (5, 5));
    assert_eq!(candidate.cost.to_string(), "13.65");
    assert_eq!(candidate.budget_ran_out.len(), 1);
    assert_eq!(of("LIVE").rewards, 30);
    assert_eq!(
        db::assets::silver(&state.db, "replay-00")
            .await
            .expect("silver"),
        silver_before
    );
    assert_eq!(chili(&state, "replay-00").await, 0);
}

#[tokio::test]
async fn a_held_out_diner_gets_nothing_and_the_report_waits_for_enough_diners() {
    let state = seeded_state().await;
    active(
        &state,
        "HALF",
        spec(
            "一半",
            10,
            json!({"silver": 3}),
            json!({"holdout_percent": 50}),
        ),
    )
    .await;
    let uids = diners(&state, "holdout", 40).await;
    enqueue_entries(&state, &uids).await;
    rules::decide_all(&state).await;
    let mut held = 0;
    for uid in &uids {
        let silver = db::assets::silver(&state.db, uid).await.expect("silver");
        if app::domain::rules::held_out("HALF", uid, 50) {
            held += 1;
            assert_eq!(silver, 0, "{uid} is held out and gets nothing");
        } else {
            assert_eq!(silver, 3, "{uid} is treated");
        }
    }
    assert!((10..=30).contains(&held), "{held} of 40 held out");
    let report = lab::holdout_report(&state, MERCHANT, "HALF", 30, 14, Utc::now())
        .await
        .expect("report");
    match report {
        app::model::rules::Lift::Measured {
            treated, held_out, ..
        }
        | app::model::rules::Lift::Inconclusive {
            treated, held_out, ..
        } => {
            assert_eq!(held_out, held);
            assert_eq!(treated + held_out, 40);
        }
    }
}

#[tokio::test]
async fn a_paused_campaign_gives_nothing_even_while_processes_cache_it() {
    let state = seeded_state().await;
    let watcher = tokio::spawn(app::service::shops::watch_caches(state.clone()));
    let cached = spec("缓存", 10, json!({"silver": 1}), json!({}));
    active(&state, "CACHED", cached).await;
    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    let silver = || async { db::assets::silver(&state.db, SPICY).await.expect("silver") };
    assert_eq!(silver().await, before + 1);
    // The cache holds the campaign as live, and its watcher stops before the pause: the
    // worst case of a LIVE notification that has not arrived yet. The decision's
    // transaction sees the campaign is no longer live, and the retry reads it afresh.
    for _ in 0..100 {
        rules::cache::active(&state, MERCHANT).await.expect("read");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if state.campaigns.holds(MERCHANT) {
            break;
        }
    }
    assert!(state.campaigns.holds(MERCHANT), "the campaign is cached");
    watcher.abort();
    let _ = watcher.await;
    // Another process (its own caches, the same database) pauses it.
    let other = AppState {
        campaigns: Default::default(),
        shops: Default::default(),
        catalogs: Default::default(),
        ..state.clone()
    };
    let paused = CampaignStatus::Paused;
    rules::set_status(&other, MERCHANT, "owner-1", "CACHED", paused)
        .await
        .expect("paused");
    assert!(
        state.campaigns.holds(MERCHANT),
        "still cached: nobody told it"
    );
    let after_pause = enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    assert_eq!(silver().await, before + 1);
    assert!(trace(&state, &after_pause).await.fired.is_empty());
}

#[tokio::test]
async fn the_process_that_saves_a_campaign_forgets_its_cached_campaigns_at_once() {
    let state = seeded_state().await;
    let watcher = tokio::spawn(app::service::shops::watch_caches(state.clone()));
    assert!(until(|| state.campaigns.is_live()).await, "watching");
    rules::cache::active(&state, MERCHANT).await.expect("read");
    assert!(state.campaigns.holds(MERCHANT), "kept");
    // No LIVE notification can arrive while it is stopped: the save itself forgets.
    watcher.abort();
    let _ = watcher.await;
    state.campaigns.empty();
    rules::cache::active(&state, MERCHANT).await.expect("read");
    let live = spec("即时", 10, json!({"silver": 1}), json!({}));
    active(&state, "AT_ONCE", live).await;
    let read = rules::cache::active(&state, MERCHANT).await.expect("read");
    assert!(read.iter().any(|row| row.code == "AT_ONCE"), "{read:?}");
}

#[tokio::test]
async fn staff_tag_a_diner_and_a_campaign_asks_for_the_tag() {
    let state = seeded_state().await;
    let wants_vip = json!({"condition": {"check": "tag_in", "tags": ["vip"]}});
    active(
        &state,
        "VIP",
        spec("贵宾", 10, json!({"silver": 5}), wants_vip),
    )
    .await;
    let before = db::assets::silver(&state.db, SPICY).await.expect("silver");
    let not_yet = enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    assert!(trace(&state, &not_yet).await.fired.is_empty());
    let tag = |text: &str| text.parse::<app::domain::checked::Tag>().expect("tag");
    let tags = rules::retag(&state, MERCHANT, SPICY, &[tag("vip"), tag("spicy")], &[])
        .await
        .expect("tagged");
    assert_eq!(tags, ["spicy", "vip"]);
    let tagged = enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    assert_eq!(trace(&state, &tagged).await.fired, ["VIP"]);
    assert_eq!(
        db::assets::silver(&state.db, SPICY).await.expect("silver"),
        before + 5
    );
    let tags = rules::retag(&state, MERCHANT, SPICY, &[], &[tag("vip")])
        .await
        .expect("untagged");
    assert_eq!(tags, ["spicy"]);
    let unknown = rules::retag(&state, MERCHANT, "nobody", &[tag("vip")], &[]).await;
    assert_eq!(
        unknown.expect_err("refused").to_problem().code,
        ErrorCode::DinerNotFound
    );
}

#[tokio::test]
async fn a_shop_sets_when_its_diners_are_regulars() {
    let state = seeded_state().await;
    let wants_regulars = json!({"condition": {"check": "tag_in", "tags": ["regular"]}});
    active(
        &state,
        "REGULARS",
        spec("熟客", 10, json!({"silver": 1}), wants_regulars),
    )
    .await;
    let first = enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    assert!(
        trace(&state, &first).await.fired.is_empty(),
        "one visit is no regular"
    );
    db::rules::set_tag_rules(&state.db, MERCHANT, 1, 30)
        .await
        .expect("set");
    let again = enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    assert_eq!(trace(&state, &again).await.fired, ["REGULARS"]);
}

/// Waits (at most 5 s) until `kept` says what is wanted.
async fn until(kept: impl Fn() -> bool) -> bool {
    for _ in 0..250 {
        if kept() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_fragment_renamed_while_the_catalogue_is_kept_is_named_anew_in_the_next_story() {
    let state = seeded_state().await;
    let watcher = tokio::spawn(app::service::shops::watch_caches(state.clone()));
    assert!(until(|| state.catalogs.is_live()).await, "watching");
    active(
        &state,
        "CHILI_GIFT",
        spec("辣椒", 10, json!({"fragments": {"CHILI": 1}}), json!({})),
    )
    .await;
    let told = |trigger: String| {
        let state = state.clone();
        async move {
            rules::decide_all(&state).await;
            assert_eq!(trace(&state, &trigger).await.fired, ["CHILI_GIFT"]);
            let inbox = rules::inbox(&state, SPICY, Some(MERCHANT))
                .await
                .expect("inbox");
            let story = &inbox.first().expect("a story").story;
            story
                .scenes
                .iter()
                .map(|s| s.text.clone())
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let first = told(enter(&state, SPICY).await).await;
    assert!(first.contains("辣椒碎片×1"), "{first}");
    assert!(state.catalogs.holds(MERCHANT), "the catalogue is kept");

    let renamed = app::model::catalog::Fragment {
        code: "CHILI".parse().expect("code"),
        name: "朝天椒".parse().expect("name"),
        rarity: app::model::catalog::Rarity::Common,
    };
    app::service::catalog::save_fragment(&state, MERCHANT, &renamed)
        .await
        .expect("renamed");
    assert!(
        until(|| !state.catalogs.holds(MERCHANT)).await,
        "forgotten at once"
    );
    let next = told(enter(&state, SPICY).await).await;
    assert!(next.contains("朝天椒×1"), "{next}");
    watcher.abort();
}
