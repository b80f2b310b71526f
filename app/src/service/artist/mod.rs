//! The Artist (seed Workflow B): the boss's sentence → what to draw and for which card
//! (`brief`, the model or the offline reading) → an image prompt (`prompt`) → four pictures
//! (`draw`, the image model or the offline painter) → each reviewed (`review`: decodes, its
//! size, not blank; refused ones drawn again) → the boss picks one, or asks for four more
//! (`pick`) → the pick is minted as the shop's asset in the pick's own checkpoint
//! transaction, and becomes its card type's art when the sentence named one.

pub mod studio;

use std::sync::LazyLock;

use agent::{Graph, Next, NodeError, Run, Step, Workflow};
use serde::{Deserialize, Serialize};

use super::models::AnswerSchema;
use crate::domain::artwork::{
    AssetKind, BRIEF_TASK, Brief, Choice, DRAWS_PER_ROUND, MAX_ROUNDS, OFFERED, PICTURE_SIDE,
    PROMPT_TASK, Variant, brief_of, image_prompt, seed_of,
};
use crate::error::AppError;
use crate::model::artwork::{Asset, Attach, Candidate, CardArt, ImagePrompt, Offer};
use crate::state::AppState;

pub use studio::{Inspection, Studio};

/// A picture the review passed, offered in this round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passed {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// The vision model that looked at it and found it fit (none: not looked at).
    #[serde(default)]
    pub inspected_by: Option<String>,
}

/// The Artist's state (version 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    /// The boss's words.
    pub sentence: String,
    pub brief: Option<Brief>,
    pub prompt: Option<String>,
    /// 1 for the first four pictures, one more for each "four more".
    pub round: u32,
    /// Draws made in this round (a refused picture is drawn again, a few times at most).
    pub draws: u32,
    /// Pictures drawn and stored, not reviewed yet.
    pub drawn: Vec<String>,
    /// Pictures of this round that passed the review.
    pub passed: Vec<Passed>,
    /// Which model drew the last pictures, and whether the offline painter stood in.
    pub model: Option<String>,
    pub degraded: bool,
    /// The asset the pick minted.
    pub asset: Option<String>,
}

/// The workflow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Artist;

impl Workflow<AppState> for Artist {
    type State = Commission;
    const NAME: &'static str = "artist";
    const VERSION: u32 = 1;

    fn graph(&self) -> Graph {
        Graph::new("brief")
            .edge("brief", "prompt")
            .edge("prompt", "draw")
            .edge("draw", "review")
            // Refused pictures are drawn again.
            .edge("review", "draw")
            .interrupt("review", "pick")
            // "Four more".
            .edge("pick", "draw")
            .end("pick")
    }

    fn check_answer(
        &self,
        _then: &str,
        ask: &serde_json::Value,
        answer: &serde_json::Value,
    ) -> Result<(), String> {
        let choice: Choice = serde_json::from_value(answer.clone()).map_err(|e| {
            format!(
                "the answer is {{\"choice\": \"pick\", \"number\": 1–4}} or {{\"choice\": \"again\"}}: {e}"
            )
        })?;
        let offer: Offer = serde_json::from_value(ask.clone())
            .map_err(|e| format!("the question is not an offer of pictures: {e}"))?;
        match choice {
            Choice::Pick { number } => offer
                .candidates
                .iter()
                .any(|candidate| candidate.number == number)
                .then_some(())
                .ok_or_else(|| {
                    format!(
                        "there is no picture {number}: pick 1 to {}",
                        offer.candidates.len()
                    )
                }),
            Choice::Again if offer.round >= MAX_ROUNDS => Err(format!(
                "{MAX_ROUNDS} rounds of pictures were drawn: pick one, or start again with other words"
            )),
            Choice::Again => Ok(()),
        }
    }

    async fn run(
        &self,
        state: &AppState,
        run: Run<'_>,
        commission: Commission,
    ) -> Result<Step<Commission>, NodeError> {
        match run.node {
            "brief" => brief(state, run, commission).await,
            "prompt" => prompt(state, run, commission).await,
            "draw" => draw(state, run, commission).await,
            "review" => review(state, run, commission).await,
            "pick" => pick(run, commission),
            other => Err(NodeError(format!("the artist has no node {other}"))),
        }
    }
}

fn node_error(err: impl std::fmt::Display) -> NodeError {
    NodeError(err.to_string())
}

/// Starts the Artist for `merchant` at `by`'s request, with the boss's `sentence`; its
/// thread's id.
pub async fn start(
    state: &AppState,
    merchant: &str,
    by: &str,
    sentence: &str,
) -> Result<String, AppError> {
    let sentence = sentence.trim();
    if sentence.is_empty() || sentence.chars().count() > 500 {
        return Err(AppError::Invalid(
            "say what to draw in 1 to 500 characters".into(),
        ));
    }
    let commission = Commission {
        sentence: sentence.to_owned(),
        round: 1,
        ..Commission::default()
    };
    Ok(state
        .agent
        .start::<Artist>(state, None, merchant, Some(by), &commission)
        .await?)
}

/// The shop's card types the boss may name: `(code, name)` of the active ones.
async fn card_types(state: &AppState, merchant: &str) -> Result<Vec<(String, String)>, AppError> {
    let catalog = super::catalog::of_shop(state, merchant).await?;
    Ok(catalog
        .card_types
        .into_iter()
        .filter(|kind| kind.active)
        .map(|kind| (kind.code, kind.name))
        .collect())
}

/// Reads what to draw and for which card type: the model's reading (checked against the
/// schema and the shop's card types), else the offline one.
async fn brief(
    state: &AppState,
    run: Run<'_>,
    mut commission: Commission,
) -> Result<Step<Commission>, NodeError> {
    let kinds = card_types(state, run.merchant).await.map_err(node_error)?;
    let facts = serde_json::json!({
        "sentence": commission.sentence,
        "card_types": kinds.iter().map(|(code, name)| serde_json::json!({"code": code, "name": name})).collect::<Vec<_>>(),
    });
    let request = llm::ChatRequest {
        task: BRIEF_TASK.into(),
        tier: llm::Tier::Wording,
        merchant: run.merchant.to_owned(),
        thread: Some(run.thread.to_owned()),
        system: format!(
            "You are the Artist of a restaurant's marketing console. Read the boss's sentence: \
             what should be drawn (the dish or scene in a few words of the boss's language, \
             at most 24 characters: it is set in the picture as its title), is it a card's \
             art (CARD_ART) or a story's picture (STORY_ART), and which of the shop's card \
             types (by code, from the facts) it is for, if the sentence names one. Answer \
             with one JSON object that follows this JSON Schema:\n{}",
            BRIEF.schema()
        ),
        facts,
        messages: Vec::new(),
        attempt: 1,
    };
    let check = |brief: &Brief| {
        let mut problems = Vec::new();
        if brief.subject.trim().is_empty() {
            problems.push("subject: say what to draw".to_owned());
        }
        if let Some(code) = &brief.card_type
            && !kinds.iter().any(|(known, _)| known == code)
        {
            problems.push(format!("card_type: the shop has no card type {code}"));
        }
        problems
    };
    let read = match BRIEF.validator() {
        Ok(validator) => super::models::ask(state, request, validator, check)
            .await
            .map(|answer| answer.value)
            .ok(),
        Err(_) => None,
    };
    commission.brief = Some(read.unwrap_or_else(|| brief_of(&commission.sentence, &kinds)));
    Ok(Step::to(commission, Next::goto("prompt")))
}

/// Writes the image prompt of the brief: the model's, else the offline one.
async fn prompt(
    state: &AppState,
    run: Run<'_>,
    mut commission: Commission,
) -> Result<Step<Commission>, NodeError> {
    let brief = commission
        .brief
        .clone()
        .ok_or_else(|| NodeError("prompt runs after brief".into()))?;
    let request = llm::ChatRequest {
        task: PROMPT_TASK.into(),
        tier: llm::Tier::Wording,
        merchant: run.merchant.to_owned(),
        thread: Some(run.thread.to_owned()),
        system: format!(
            "You write prompts for an image model. From the brief, write one prompt in \
             English: the dish named as in the brief, a look that suits it (for card art: \
             isometric, 3D render, clay texture, soft light, centered; for a story: an \
             illustrated poster with room for a title), appetising, no text in the picture. \
             Answer with one JSON object that follows this JSON Schema:\n{}",
            PROMPT.schema()
        ),
        facts: serde_json::to_value(&brief).map_err(node_error)?,
        messages: Vec::new(),
        attempt: 1,
    };
    let written = match PROMPT.validator() {
        Ok(validator) => {
            super::models::ask(state, request, validator, |_: &ImagePrompt| Vec::new())
                .await
                .map(|answer| answer.value.prompt)
                .ok()
        }
        Err(_) => None,
    };
    commission.prompt = Some(written.unwrap_or_else(|| image_prompt(&brief)));
    Ok(Step::to(commission, Next::goto("draw")))
}

/// Draws the pictures this round still needs and stores them, unreviewed. The round's last
/// draw is the offline painter's if the provider's pictures keep failing the review.
async fn draw(
    state: &AppState,
    run: Run<'_>,
    mut commission: Commission,
) -> Result<Step<Commission>, NodeError> {
    let (Some(brief), Some(prompt)) = (commission.brief.clone(), commission.prompt.clone()) else {
        return Err(NodeError("draw runs after prompt".into()));
    };
    let missing = OFFERED.saturating_sub(u32::try_from(commission.passed.len()).unwrap_or(0));
    commission.draws = commission.draws.saturating_add(1);
    let request = llm::ImageRequest {
        merchant: run.merchant.to_owned(),
        prompt,
        title: brief.subject.clone(),
        size: PICTURE_SIDE,
        count: missing.max(1),
        seed: seed_of(run.thread, commission.round, commission.draws),
    };
    let last = commission.draws >= DRAWS_PER_ROUND;
    let painted = state
        .studio
        .draw(&request, last)
        .await
        .map_err(node_error)?;
    let mut drawn = Vec::with_capacity(painted.drawn.pictures.len());
    for png in painted.drawn.pictures {
        drawn.push(state.studio.put(png).await.map_err(node_error)?);
    }
    commission.drawn = drawn;
    commission.model = Some(painted.drawn.model);
    commission.degraded = painted.degraded;
    Ok(Step::to(commission, Next::goto("review")))
}

/// Reviews what was drawn: a refused picture is deleted and drawn again (a few times at
/// most); the pictures that passed are offered to the boss, recorded with this step.
async fn review(
    state: &AppState,
    run: Run<'_>,
    mut commission: Commission,
) -> Result<Step<Commission>, NodeError> {
    for hash in std::mem::take(&mut commission.drawn) {
        if commission.passed.iter().any(|passed| passed.hash == hash) {
            continue;
        }
        match state
            .studio
            .review(&hash, PICTURE_SIDE)
            .await
            .map_err(node_error)?
        {
            Ok(kept) => {
                // The offline painter's pictures are ours: only a provider's are looked at.
                let provider = commission.model.as_deref() != Some(llm::LOCAL_PAINTER);
                let subject = commission.brief.as_ref().map(|b| b.subject.as_str());
                let inspection = match subject.filter(|_| provider) {
                    Some(subject) => state
                        .studio
                        .inspect(run.merchant, subject, &hash)
                        .await
                        .map_err(node_error)?,
                    None => Inspection::Skipped,
                };
                let inspected_by = match inspection {
                    Inspection::Passed { model } => Some(model),
                    Inspection::Skipped => None,
                    Inspection::Refused { reason } => {
                        tracing::warn!(thread = %run.thread, %hash, %reason, "the vision model refused a picture");
                        continue;
                    }
                };
                commission.passed.push(Passed {
                    hash: kept.hash,
                    width: kept.width,
                    height: kept.height,
                    bytes: kept.bytes,
                    inspected_by,
                });
            }
            Err(refusal) => {
                tracing::warn!(thread = %run.thread, %hash, %refusal, "a picture failed the review");
            }
        }
    }
    commission
        .passed
        .truncate(usize::try_from(OFFERED).unwrap_or(usize::MAX));
    let short = commission.passed.len() < usize::try_from(OFFERED).unwrap_or(usize::MAX);
    if short && commission.draws < DRAWS_PER_ROUND {
        return Ok(Step::to(commission, Next::goto("draw")));
    }
    if commission.passed.is_empty() {
        return Ok(Step::to(
            commission,
            Next::fail("no picture passed the review"),
        ));
    }
    let offer = offer_of(&commission)?;
    let model = offer.model.clone();
    let candidates = offer
        .candidates
        .iter()
        .map(|candidate| db::artwork::CandidateSave {
            thread: run.thread.to_owned(),
            merchant: run.merchant.to_owned(),
            round: i64::from(offer.round),
            number: i64::from(candidate.number),
            hash: candidate.hash.clone(),
            width: i64::from(candidate.width),
            height: i64::from(candidate.height),
            bytes: i64::try_from(candidate.bytes).unwrap_or(i64::MAX),
            model: model.clone(),
        })
        .collect();
    let ask = serde_json::to_value(&offer).map_err(node_error)?;
    Ok(Step::to(commission, Next::interrupt(ask, "pick"))
        .with_effect(db::agent::Effect::Offer(candidates)))
}

/// What the boss is shown: this round's pictures, numbered 1 to 4.
fn offer_of(commission: &Commission) -> Result<Offer, NodeError> {
    let (Some(brief), Some(prompt)) = (commission.brief.clone(), commission.prompt.clone()) else {
        return Err(NodeError("an offer comes after the prompt".into()));
    };
    Ok(Offer {
        brief,
        prompt,
        round: commission.round,
        candidates: (1_u32..)
            .zip(&commission.passed)
            .map(|(number, passed)| Candidate {
                number,
                hash: passed.hash.clone(),
                url: Variant::Picture.url(&passed.hash),
                thumbnail: Variant::Thumbnail.url(&passed.hash),
                width: passed.width,
                height: passed.height,
                bytes: passed.bytes,
            })
            .collect(),
        model: commission.model.clone().unwrap_or_default(),
        degraded: commission.degraded,
        inspected_by: inspected_by(&commission.passed),
    })
}

/// The vision model that looked at every one of `passed`, if one did.
fn inspected_by(passed: &[Passed]) -> Option<String> {
    let first = passed.first()?.inspected_by.clone()?;
    passed
        .iter()
        .all(|p| p.inspected_by.as_ref() == Some(&first))
        .then_some(first)
}

/// The boss's choice: four more (a new round), or the pick minted as the shop's asset with
/// this step — once, however often the node runs or the boss clicks.
fn pick(run: Run<'_>, mut commission: Commission) -> Result<Step<Commission>, NodeError> {
    let choice: Choice = run
        .answer
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(node_error)?
        .ok_or_else(|| NodeError("pick runs with the boss's choice".into()))?;
    let number = match choice {
        Choice::Again => {
            commission.round = commission.round.saturating_add(1);
            commission.draws = 0;
            commission.passed.clear();
            return Ok(Step::to(commission, Next::goto("draw")));
        }
        Choice::Pick { number } => number,
    };
    let offer = offer_of(&commission)?;
    let picked = offer
        .candidates
        .iter()
        .find(|candidate| candidate.number == number)
        .ok_or_else(|| NodeError(format!("there is no picture {number}")))?;
    let id = asset_id(run.thread);
    let save = db::artwork::AssetSave {
        id: id.clone(),
        merchant: run.merchant.to_owned(),
        kind: offer.brief.kind.as_str().to_owned(),
        hash: picked.hash.clone(),
        title: offer.brief.subject.clone(),
        prompt: offer.prompt.clone(),
        thread: Some(run.thread.to_owned()),
        width: i64::from(picked.width),
        height: i64::from(picked.height),
        bytes: i64::try_from(picked.bytes).unwrap_or(i64::MAX),
        model: offer.model.clone(),
        card_type: offer.brief.card_type.clone(),
    };
    commission.asset = Some(id);
    Ok(Step::to(commission, Next::End).with_effect(db::agent::Effect::Mint(save)))
}

/// The asset a thread mints: derived from the thread, so it is one whatever happens.
fn asset_id(thread: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("asset\u{0}{thread}"));
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    uuid::Uuid::new_v8(bytes).to_string()
}

static BRIEF: LazyLock<AnswerSchema> = LazyLock::new(AnswerSchema::of::<Brief>);
static PROMPT: LazyLock<AnswerSchema> = LazyLock::new(AnswerSchema::of::<ImagePrompt>);

/// Adds the Artist's offline answers to `rulebook`: the reading of the sentence, and the
/// image prompt of a brief.
pub fn offline(rulebook: llm::Rulebook) -> llm::Rulebook {
    rulebook
        .with(BRIEF_TASK, |request: &llm::ChatRequest| {
            let sentence = request
                .facts
                .get("sentence")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            let kinds: Vec<(String, String)> = request
                .facts
                .get("card_types")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|kind| {
                    Some((
                        kind.get("code")?.as_str()?.to_owned(),
                        kind.get("name")?.as_str()?.to_owned(),
                    ))
                })
                .collect();
            serde_json::to_value(brief_of(sentence, &kinds)).unwrap_or_default()
        })
        .with(
            PROMPT_TASK,
            |request: &llm::ChatRequest| match serde_json::from_value::<Brief>(
                request.facts.clone(),
            ) {
                Ok(brief) => serde_json::json!({ "prompt": image_prompt(&brief) }),
                Err(e) => serde_json::json!({ "problem": format!("the brief does not read: {e}") }),
            },
        )
}

/// The shop's library: its assets, the newest first, of one kind or matching `text`.
pub async fn library(
    state: &AppState,
    merchant: &str,
    kind: Option<AssetKind>,
    text: Option<&str>,
) -> Result<Vec<Asset>, AppError> {
    let text = text.map(str::trim).filter(|text| !text.is_empty());
    let rows = db::artwork::library(
        &state.db,
        merchant,
        kind.map(AssetKind::as_str),
        text,
        LIBRARY_PAGE,
    )
    .await?;
    Ok(rows.into_iter().map(asset_of).collect())
}

/// The shop's asset `id` (another shop's: none).
pub async fn asset(state: &AppState, merchant: &str, id: &str) -> Result<Option<Asset>, AppError> {
    Ok(db::artwork::asset(&state.db, merchant, id)
        .await?
        .map(asset_of))
}

/// Assets a library page shows at most.
pub const LIBRARY_PAGE: u32 = 200;

/// Gives the shop's asset to one of its card types as its art (or takes the art away). An
/// asset of another shop is not found, as if it did not exist.
pub async fn attach(
    state: &AppState,
    merchant: &str,
    attach: &Attach,
) -> Result<CardArt, AppError> {
    if let Some(id) = &attach.asset_id
        && db::artwork::asset(&state.db, merchant, id).await?.is_none()
    {
        return Err(AppError::NotFound(format!("asset {id}")));
    }
    if !db::artwork::attach(
        &state.db,
        merchant,
        &attach.card_type,
        attach.asset_id.as_ref().map(|id| id.as_str()),
    )
    .await?
    {
        return Err(AppError::NotFound(format!(
            "card type {}",
            &*attach.card_type
        )));
    }
    // This process's next read of the catalogue shows it (others hear it by LIVE query).
    state.catalogs.empty();
    let asset = match &attach.asset_id {
        Some(id) => db::artwork::asset(&state.db, merchant, id)
            .await?
            .map(asset_of),
        None => None,
    };
    Ok(CardArt {
        card_type: attach.card_type.to_string(),
        asset,
    })
}

/// A stored picture the app serves (`/media/art/<hash>.png`, `….thumb.png`): only a name
/// a content hash gives, and only a hash one of our rows names.
pub async fn media(state: &AppState, name: &str) -> Result<Option<bytes::Bytes>, AppError> {
    let Some((hash, variant)) = Variant::parse(name) else {
        return Ok(None);
    };
    if !db::artwork::is_ours(&state.db, &hash).await? {
        return Ok(None);
    }
    state.studio.read(&hash, variant).await
}

/// Deletes at most `limit` candidates of finished threads (the picked one lives on as an
/// asset), and the pictures no row names any more; how many candidates went.
pub async fn purge_unpicked(state: &AppState, limit: u32) -> Result<usize, AppError> {
    let purged = db::artwork::purge_unpicked(&state.db, limit).await?;
    for hash in &purged.orphans {
        state.studio.remove(hash).await?;
    }
    Ok(purged.rows)
}

/// Pictures a draw left in the store unnamed are deleted after this long (a thread names
/// its pictures within minutes of drawing them).
pub const UNNAMED_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// Deletes the pictures in the store that no row of ours names and that were written
/// before `cutoff`: those of a draw run again after a crash, of a thread that failed before
/// its review, or left by a delete that failed. How many were deleted.
pub async fn sweep_unnamed(
    state: &AppState,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<usize, AppError> {
    let stored = state.studio.stored_before(cutoff).await?;
    let mut deleted = 0;
    for batch in stored.chunks(500) {
        let named: std::collections::BTreeSet<String> = db::artwork::named(&state.db, batch)
            .await?
            .into_iter()
            .collect();
        for hash in batch.iter().filter(|hash| !named.contains(*hash)) {
            state.studio.remove(hash).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

fn asset_of(row: db::artwork::AssetRow) -> Asset {
    Asset {
        url: Variant::Picture.url(&row.hash),
        thumbnail: Variant::Thumbnail.url(&row.hash),
        asset_id: row.id,
        kind: row.kind.parse().unwrap_or_default(),
        title: row.title,
        prompt: row.prompt,
        width: u32::try_from(row.width).unwrap_or(0),
        height: u32::try_from(row.height).unwrap_or(0),
        bytes: u64::try_from(row.bytes).unwrap_or(0),
        thread_id: row.thread,
        model: row.model,
        created_at: row.created_at,
        card_types: row.card_types,
    }
}
