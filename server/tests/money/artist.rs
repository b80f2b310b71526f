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
async fn a_failing_provider_leaves_the_offline_painter_to_draw() {
    let provider = Provider::start(Vec::new()).await;
    let state = drawing_through(seeded_state().await, &provider, Vec::new());
    let (_, offer) = offered(&state, "弄一张麻辣小龙虾的图").await;
    assert_eq!(offer.model, llm::LOCAL_PAINTER);
    assert!(offer.degraded, "the provider failed");
    assert_eq!(offer.candidates.len(), 4);
    assert!(provider.image_calls() >= 1);
}
