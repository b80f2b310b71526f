//! The agent's long-term memory: what a shop's boss likes and dislikes, kept with its
//! vectors (`db::memory`) and recalled nearest first into the Strategist's prompt. Every
//! rejection's reason becomes one; the boss can also say one to the Copilot.

use db::memory::{PreferenceSave, Space};

use crate::error::AppError;
use crate::state::AppState;

/// Preferences a prompt carries at most.
pub const RECALLED: u32 = 5;

/// Where a preference came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A proposal's rejection reason.
    Rejection,
    /// Said to the Copilot.
    Boss,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejection => "REJECTION",
            Self::Boss => "BOSS",
        }
    }
}

/// `text` as a preference of `merchant`, embedded, ready to keep (a workflow keeps it with
/// its step; [`remember`] keeps it at once).
pub async fn preference(
    state: &AppState,
    merchant: &str,
    text: &str,
    source: Source,
    thread: Option<&str>,
) -> Result<PreferenceSave, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::Invalid("a preference needs its words".into()));
    }
    let embedded = super::models::embed(state, merchant, text).await;
    Ok(PreferenceSave {
        merchant: merchant.to_owned(),
        text: text.to_owned(),
        source: source.as_str().to_owned(),
        thread: thread.map(str::to_owned),
        space: embedded.space,
        embedding: embedded.embedding,
        lexical: embedded.lexical,
    })
}

/// Keeps what the boss said they like or dislike.
pub async fn remember(state: &AppState, merchant: &str, text: &str) -> Result<(), AppError> {
    let save = preference(state, merchant, text, Source::Boss, None).await?;
    Ok(db::memory::remember(&state.db, &save).await?)
}

/// The shop's preferences nearest to `about` (at most `k`), nearest first; the newest when
/// `about` says nothing.
pub async fn recall(
    state: &AppState,
    merchant: &str,
    about: &str,
    k: u32,
) -> Result<Vec<String>, AppError> {
    if about.trim().is_empty() {
        let newest = db::memory::preferences(&state.db, merchant, k).await?;
        return Ok(newest.into_iter().map(|p| p.text).collect());
    }
    let embedded = super::models::embed(state, merchant, about).await;
    let mut found = Vec::new();
    if !embedded.is_lexical() {
        let space = Space::Embedding(embedded.space.clone());
        found = db::memory::nearest(&state.db, merchant, &space, &embedded.embedding, k).await?;
    }
    // The lexical vectors cover every preference, also those kept while the provider failed.
    let lexical =
        db::memory::nearest(&state.db, merchant, &Space::Lexical, &embedded.lexical, k).await?;
    let mut texts: Vec<String> = found.into_iter().map(|p| p.text).collect();
    for recalled in lexical {
        if !texts.contains(&recalled.text) {
            texts.push(recalled.text);
        }
    }
    texts.truncate(usize::try_from(k).unwrap_or(usize::MAX));
    Ok(texts)
}
