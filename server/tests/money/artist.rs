//! The Artist end to end, offline (the built-in reading and the offline painter) and against
//! a stand-in images API: the boss's sentence → four distinct pictures, each passing the
//! review → the process restarts while they wait → the third is picked → the shop's asset,
//! stored, served, given to a card type and shown on a diner's card; two picks at once mint
//! one; another shop sees nothing of it; unpicked pictures go with the retention.

use std::sync::Arc;

use app::error::AppError;
use app::model::artwork::{AssetKind, Attach, Offer};
use app::service;
use app::service::artist::Studio;
use app::service::copilot;
use app::state::AppState;
use serde_json::json;

use crate::helpers::{seeded_state, state_with, thread, work};
use crate::provider::{Drawing, Provider};

const MERCHANT: &str = "demo";
const BOSS: &str = "laowang";
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// The boss's sentence, worked to the pictures it offers.
async fn offered(state: &AppState, sentence: &str) -> (String, Offer) {
    let reply = copilot::command(state, MERCHANT, BOSS, sentence)
        .await
        .expect("understood");
    assert_eq!(reply.intent, app::model::agent::Intent::Artist);
    let id = reply.thread_id.expect("a thread");
    work(state, &id).await;
    (id.clone(), offer_of(state, &id).await)
}

async fn offer_of(state: &AppState, id: &str) -> Offer {
    let waiting = thread(state, id).await;
    assert_eq!(waiting.status, "WAITING", "{:?}", waiting.error);
    serde_json::from_value(waiting.ask.expect("an offer")).expect("an offer")
}

async fn served(state: &AppState, url: &str) -> Option<Vec<u8>> {
    let name = url.strip_prefix("/media/art/").expect("a media url");
    service::artist::media(state, name)
        .await
        .expect("reads")
        .map(|bytes| bytes.to_vec())
}

fn renderer() -> Arc<artist::Renderer> {
    Arc::new(artist::Renderer::from_file(std::path::Path::new(FONT)).expect("the font"))
}

#[tokio::test]
async fn a_sentence_becomes_four_pictures_and_after_a_restart_the_third_is_the_cards_art() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("surrealkv://{}/db", dir.path().display());
    let media = dir.path().join("media").display().to_string();
    let config = [("MEALQUEST_ARTIST__MEDIA", media.as_str())];
    let state = state_with(&url, &config).await;
    db::seed::demo_data(&state.db).await.expect("seeds");

    let (id, offer) = offered(&state, "弄一张麻辣小龙虾的图").await;
    assert_eq!(offer.brief.subject, "麻辣小龙虾");
    assert_eq!(offer.brief.kind, AssetKind::CardArt);
    assert_eq!(offer.round, 1);
    assert_eq!(offer.model, llm::LOCAL_PAINTER);
    assert!(!offer.degraded, "offline is the normal mode");
    let numbers: Vec<u32> = offer.candidates.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let mut hashes: Vec<&str> = offer.candidates.iter().map(|c| c.hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 4, "four different pictures");
    for candidate in &offer.candidates {
        let png = served(&state, &candidate.url).await.expect("served");
        assert_eq!(app::domain::artwork::content_hash(&png), candidate.hash);
        artist::review(&png, 1024).expect("passes the review");
        let thumb = served(&state, &candidate.thumbnail).await.expect("thumb");
        assert!(thumb.len() < png.len());
    }

    // Waiting pictures are kept by the retention, however old.
    assert_eq!(
        service::artist::purge_unpicked(&state, 100)
            .await
            .expect("purged"),
        0
    );
    // The process stops while the pictures wait for the boss.
    drop(state);
    let state = state_with(&url, &config).await;
    let third = offer.candidates.get(2).expect("a third").clone();
    copilot::resume(
        &state,
        MERCHANT,
        BOSS,
        &id,
        json!({"choice": "pick", "number": 3}),
    )
    .await
    .expect("picked");
    work(&state, &id).await;
    assert_eq!(thread(&state, &id).await.status, "DONE");

    let library = service::artist::library(&state, MERCHANT, None, None)
        .await
        .expect("library");
    let [asset] = library.as_slice() else {
        panic!("one asset: {library:?}");
    };
    assert_eq!(asset.url, third.url);
    assert_eq!(asset.title, "麻辣小龙虾");
    assert_eq!(asset.kind, AssetKind::CardArt);
    assert_eq!(asset.thread_id.as_deref(), Some(id.as_str()));
    assert!(asset.prompt.contains("clay texture"), "{}", asset.prompt);
    assert_eq!(asset.bytes, third.bytes);
    assert!(served(&state, &asset.url).await.is_some());
    let found = service::artist::library(&state, MERCHANT, Some(AssetKind::StoryArt), None)
        .await
        .expect("library");
    assert!(found.is_empty(), "a card's art is not a story's");
    let found = service::artist::library(&state, MERCHANT, None, Some("小龙虾"))
        .await
        .expect("library");
    assert_eq!(found.len(), 1);

    // Given to the card type, it shows on a diner's card of that type.
    let attach: Attach =
        serde_json::from_value(json!({"card_type": "FREE_APPETIZER", "asset_id": asset.asset_id}))
            .expect("attach");
    let art = service::artist::attach(&state, MERCHANT, &attach)
        .await
        .expect("attached");
    assert_eq!(art.asset.expect("the asset").card_types, ["FREE_APPETIZER"]);
    app::service::demo::seed_demo_cards(&state, chrono::Utc::now())
        .await
        .expect("cards");
    let cards = app::service::assets::cards(&state, MERCHANT, db::seed::DEMO_CARD_HOLDER)
        .await
        .expect("cards");
    assert!(!cards.is_empty());
    assert!(
        cards
            .iter()
            .all(|card| card.art.as_deref() == Some(third.thumbnail.as_str())),
        "{cards:?}"
    );

    // The retention: the three pictures nobody picked go, the asset stays.
    let purged = service::artist::purge_unpicked(&state, 100)
        .await
        .expect("purged");
    assert_eq!(purged, 4, "the round's four candidate rows");
    for candidate in &offer.candidates {
        let kept = served(&state, &candidate.url).await.is_some();
        assert_eq!(kept, candidate.number == 3, "picture {}", candidate.number);
    }
    assert!(served(&state, &asset.thumbnail).await.is_some());
}

#[tokio::test]
async fn two_picks_at_once_mint_one_asset() {
    let state = seeded_state().await;
    let (id, _) = offered(&state, "帮我画一幅水煮鱼").await;
    let pick = |number: u32| {
        copilot::resume(
            &state,
            MERCHANT,
            BOSS,
            &id,
            json!({"choice": "pick", "number": number}),
        )
    };
    let (first, second) = tokio::join!(pick(1), pick(2));
    assert_eq!(
        [&first, &second].iter().filter(|r| r.is_ok()).count(),
        1,
        "{first:?} {second:?}"
    );
    assert!(
        [&first, &second]
            .iter()
            .any(|r| matches!(r, Err(AppError::Conflict(_)))),
        "{first:?} {second:?}"
    );
    work(&state, &id).await;
    let library = service::artist::library(&state, MERCHANT, None, None)
        .await
        .expect("library");
    assert_eq!(library.len(), 1);
}

#[tokio::test]
async fn another_shops_staff_see_nothing_of_the_pictures_and_cannot_attach_them() {
    let state = seeded_state().await;
    let (id, _) = offered(&state, "弄一张回锅肉的图").await;
    let other = "other";
    assert!(matches!(
        copilot::resume(
            &state,
            other,
            "boss2",
            &id,
            json!({"choice": "pick", "number": 1})
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    copilot::resume(
        &state,
        MERCHANT,
        BOSS,
        &id,
        json!({"choice": "pick", "number": 1}),
    )
    .await
    .expect("picked");
    work(&state, &id).await;
    let asset = service::artist::library(&state, MERCHANT, None, None)
        .await
        .expect("library")
        .pop()
        .expect("an asset");
    assert!(
        service::artist::library(&state, other, None, None)
            .await
            .expect("library")
            .is_empty()
    );
    let attach: Attach =
        serde_json::from_value(json!({"card_type": "FREE_APPETIZER", "asset_id": asset.asset_id}))
            .expect("attach");
    assert!(matches!(
        service::artist::attach(&state, other, &attach).await,
        Err(AppError::NotFound(_))
    ));
    // Nor to a card type this shop does not have.
    let unknown: Attach =
        serde_json::from_value(json!({"card_type": "NO_SUCH", "asset_id": asset.asset_id}))
            .expect("attach");
    assert!(matches!(
        service::artist::attach(&state, MERCHANT, &unknown).await,
        Err(AppError::NotFound(_))
    ));
    // A name that is not a content hash, or a hash of nothing of ours, is not served.
    for name in [
        "../../../etc/passwd".to_owned(),
        format!("{}.png", "0".repeat(64)),
        format!(
            "{}.svg",
            asset
                .url
                .trim_start_matches("/media/art/")
                .trim_end_matches(".png")
        ),
    ] {
        assert!(
            service::artist::media(&state, &name)
                .await
                .expect("reads")
                .is_none(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn four_more_draws_a_new_round_and_answers_that_do_not_fit_are_refused() {
    let state = seeded_state().await;
    let (id, first) = offered(&state, "给下雨天的活动做张海报").await;
    assert_eq!(first.brief.kind, AssetKind::StoryArt);
    for wrong in [
        json!({"choice": "pick", "number": 5}),
        json!({"choice": "pick", "number": 0}),
        json!({"verdict": "approve"}),
        json!({"choice": "pick"}),
    ] {
        assert!(
            matches!(
                copilot::resume(&state, MERCHANT, BOSS, &id, wrong.clone()).await,
                Err(AppError::Invalid(_))
            ),
            "{wrong}"
        );
    }
    copilot::resume(&state, MERCHANT, BOSS, &id, json!({"choice": "again"}))
        .await
        .expect("four more");
    work(&state, &id).await;
    let second = offer_of(&state, &id).await;
    assert_eq!(second.round, 2);
    assert_eq!(second.candidates.len(), 4);
    for candidate in &second.candidates {
        assert!(
            first
                .candidates
                .iter()
                .all(|old| old.hash != candidate.hash),
            "round 2 draws other pictures"
        );
    }
}

/// The state with the Artist drawing through `provider`'s images API.
fn drawing_through(state: AppState, provider: &Provider, drawings: Vec<Drawing>) -> AppState {
    let store = Studio::store_at("memory://").expect("store");
    AppState {
        studio: Studio::new(renderer(), store).with_remote(provider.images(drawings)),
        ..state
    }
}

#[tokio::test]
async fn a_blank_picture_from_the_provider_is_caught_by_the_review_and_drawn_again() {
    let provider = Provider::start(Vec::new()).await;
    let state = drawing_through(
        seeded_state().await,
        &provider,
        vec![Drawing::FirstBlank, Drawing::Pictures],
    );
    let (_, offer) = offered(&state, "弄一张麻辣小龙虾的图").await;
    assert_eq!(offer.model, "Kwai-Kolors/Kolors");
    assert!(!offer.degraded);
    assert_eq!(offer.candidates.len(), 4);
    assert_eq!(provider.image_calls(), 2, "the blank one was drawn again");
    for candidate in &offer.candidates {
        let png = served(&state, &candidate.url).await.expect("served");
        artist::review(&png, 1024).expect("passes the review");
    }
}

#[tokio::test]
async fn a_providers_jpegs_are_kept_and_served_as_pngs() {
    let provider = Provider::start(Vec::new()).await;
    let state = drawing_through(seeded_state().await, &provider, vec![Drawing::Jpeg]);
    let (_, offer) = offered(&state, "弄一张夫妻肺片的图").await;
    assert!(!offer.degraded);
    assert_eq!(provider.image_calls(), 1, "each JPEG passed the review");
    for candidate in &offer.candidates {
        let png = served(&state, &candidate.url).await.expect("served");
        assert!(png.starts_with(b"\x89PNG"), "stored as PNG");
        assert_eq!(app::domain::artwork::content_hash(&png), candidate.hash);
        artist::review(&png, 1024).expect("passes the review");
    }
}

#[tokio::test]
async fn the_vision_model_refuses_a_broken_picture_and_it_is_drawn_again() {
    let fit = r#"{"acceptable": true, "reason": "a clear dish"}"#;
    let broken = r#"{"acceptable": false, "reason": "melted, garbled shapes"}"#;
    let provider = Provider::start(vec![
        Some(broken),
        Some(fit),
        Some(fit),
        Some(fit),
        Some(fit),
    ])
    .await;
    let state = drawing_through(
        seeded_state().await,
        &provider,
        vec![Drawing::Pictures, Drawing::Pictures],
    );
    let state = AppState {
        studio: state.studio.clone().with_vision(provider.vision()),
        ..state
    };
    let (_, offer) = offered(&state, "弄一张麻辣小龙虾的图").await;
    assert_eq!(offer.candidates.len(), 4);
    assert_eq!(provider.image_calls(), 2, "the refused one was drawn again");
    assert_eq!(offer.inspected_by.as_deref(), Some("qwen-vl-max"));
    let looks = provider.chats();
    assert_eq!(looks.len(), 5, "each picture looked at once");
    let shown = looks
        .first()
        .and_then(|look| look.pointer("/messages/1/content/1/image_url/url"))
        .and_then(serde_json::Value::as_str)
        .expect("the picture inline");
    assert!(shown.starts_with("data:image/png;base64,"), "{shown:.40}");

    // A vision model that fails leaves the review's checks standing: offered, not inspected.
    let provider = Provider::start(Vec::new()).await;
    let state = drawing_through(seeded_state().await, &provider, vec![Drawing::Pictures]);
    let state = AppState {
        studio: state.studio.clone().with_vision(provider.vision()),
        ..state
    };
    let (_, offer) = offered(&state, "弄一张麻辣小龙虾的图").await;
    assert_eq!(offer.candidates.len(), 4);
    assert_eq!(offer.inspected_by, None);
}

#[tokio::test]
async fn a_failing_provider_leaves_the_offline_painter_to_draw() {
    let provider = Provider::start(Vec::new()).await;
    let state = drawing_through(seeded_state().await, &provider, Vec::new());
    let (_, offer) = offered(&state, "弄一张麻辣小龙虾的图").await;
    assert_eq!(offer.model, llm::LOCAL_PAINTER);
    assert!(offer.degraded, "the provider failed");
    assert_eq!(offer.candidates.len(), 4);
    assert!(provider.image_calls() >= 1);
}

#[tokio::test]
async fn a_story_shows_a_picture_of_its_shops_library_and_no_other_shops() {
    let state = seeded_state().await;
    let (id, offer) = offered(&state, "给雨天的故事画一张热汤的图").await;
    assert_eq!(offer.brief.kind, AssetKind::StoryArt);
    copilot::resume(
        &state,
        MERCHANT,
        BOSS,
        &id,
        json!({"choice": "pick", "number": 2}),
    )
    .await
    .expect("picked");
    work(&state, &id).await;
    let asset = service::artist::library(&state, MERCHANT, Some(AssetKind::StoryArt), None)
        .await
        .expect("library")
        .pop()
        .expect("an asset");

    // A campaign whose story shows it: the diner's story carries the picture, served.
    let with_art = |name: &str| {
        crate::rules::spec(
            name,
            10,
            json!({"silver": 5}),
            json!({"action": {
                "story": {
                    "title": "{nickname}，下雨了",
                    "scenes": [{"text": "{shop}为你备了{rewards}", "mood": "RAIN"}],
                    "art": asset.asset_id
                },
                "grants": {"silver": 5}
            }}),
        )
    };
    crate::rules::active(&state, "RAINY_SOUP", with_art("雨天热汤")).await;
    crate::rules::enter(&state, crate::rules::SPICY).await;
    service::rules::decide_all(&state).await;
    let inbox = service::rules::inbox(&state, crate::rules::SPICY, None)
        .await
        .expect("inbox");
    let story = &inbox
        .iter()
        .find(|story| story.campaign == "RAINY_SOUP")
        .expect("its story")
        .story;
    assert_eq!(story.art.as_deref(), Some(asset.url.as_str()));
    assert!(served(&state, &asset.url).await.is_some());

    // Another shop cannot show it, nor a picture nobody has.
    db::merchant::upsert(&state.db, "other", "隔壁火锅", "Asia/Shanghai")
        .await
        .expect("a second shop");
    for (merchant, code) in [("other", "BORROWED"), (MERCHANT, "MADE_UP")] {
        let mut spec = with_art("借图");
        if code == "MADE_UP" {
            spec.action.story.art = Some(
                "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20"
                    .parse()
                    .expect("an id"),
            );
        }
        let refused = service::rules::create_campaign(
            &state,
            merchant,
            "owner-1",
            app::model::rules::NewCampaign {
                code: code.parse().expect("code"),
                spec,
            },
        )
        .await
        .expect_err("refused");
        assert!(
            crate::rules::refused_fields(refused).contains(&"action.story.art".to_owned()),
            "{merchant}"
        );
    }
}

#[tokio::test]
async fn pictures_no_row_names_are_swept_once_they_are_old_enough() {
    let state = seeded_state().await;
    let (_, offer) = offered(&state, "弄一张回锅肉的图").await;
    // A picture a crashed draw left behind: stored, named by no row.
    let stray = renderer()
        .draw(&artist::Sketch {
            prompt: "a draw run again",
            title: "回锅肉",
            seed: 99,
            size: 1024,
        })
        .expect("drawn")
        .png;
    let stray = state.studio.put(stray).await.expect("stored");
    let url = app::domain::artwork::Variant::Picture.url(&stray);

    // Too young: a thread may still be about to name it.
    let long_ago = chrono::Utc::now() - service::artist::UNNAMED_GRACE;
    assert_eq!(
        service::artist::sweep_unnamed(&state, long_ago)
            .await
            .expect("swept"),
        0
    );
    let now = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(
        service::artist::sweep_unnamed(&state, now)
            .await
            .expect("swept"),
        1
    );
    let picture = app::domain::artwork::Variant::Picture;
    assert!(
        state
            .studio
            .read(&stray, picture)
            .await
            .expect("reads")
            .is_none(),
        "{url} swept"
    );
    for candidate in &offer.candidates {
        assert!(
            state
                .studio
                .read(&candidate.hash, picture)
                .await
                .expect("reads")
                .is_some(),
            "an offered picture stays"
        );
    }
}
