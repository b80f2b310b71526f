//! The agent's long-term memory: a shop's preferences, each with its vectors, found nearest
//! first by the KNN operator over the table's HNSW indexes (migration 0016).

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A preference to keep.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PreferenceSave {
    pub merchant: String,
    pub text: String,
    /// `REJECTION` or `BOSS`.
    pub source: String,
    pub thread: Option<String>,
    /// The space of `embedding`.
    pub space: String,
    pub embedding: Vec<f32>,
    /// The offline embedder's vector of the same text.
    pub lexical: Vec<f32>,
}

/// The statements that keep `$p` (a [`PreferenceSave`]); a workflow step commits them with
/// its checkpoint (`agent::Effect::Remember`), so a step run again keeps it once.
pub(crate) const REMEMBER: &str = "
    CREATE preference CONTENT {
        merchant: $p.merchant, text: $p.text, source: $p.source, thread: $p.thread,
        space: $p.space, embedding: $p.embedding, lexical: $p.lexical
    } RETURN NONE;
";

/// Keeps a preference (the boss's own words, outside a workflow).
pub async fn remember(db: &Db, save: &PreferenceSave) -> DbResult<()> {
    let response = db
        .query(format!("BEGIN TRANSACTION;{REMEMBER}COMMIT TRANSACTION;"))
        .bind(("p", save.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// A preference found, with its cosine distance to what was searched (0 the same).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Recalled {
    pub text: String,
    pub source: String,
    pub at: DateTime<Utc>,
    pub distance: f64,
}

/// Which vectors to search with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Space {
    /// `embedding`, of the rows made in this space.
    Embedding(String),
    /// `lexical`, of every row.
    Lexical,
}

/// The query of [`nearest`]: the KNN operator (`<|k,ef|>`), which the HNSW index answers.
pub fn nearest_query(space: &Space, k: u32) -> String {
    let (field, same_space) = match space {
        Space::Embedding(_) => ("embedding", " AND space = $space"),
        Space::Lexical => ("lexical", ""),
    };
    // k and ef are literals: the operator takes no parameters there.
    format!(
        "SELECT text, source, at, vector::distance::knn() AS distance FROM preference
             WHERE merchant = $merchant{same_space} AND {field} <|{k},{ef}|> $vector
             ORDER BY distance",
        ef = k.max(40)
    )
}

/// The shop's `k` preferences nearest to `vector` in `space`, nearest first.
pub async fn nearest(
    db: &Db,
    merchant: &str,
    space: &Space,
    vector: &[f32],
    k: u32,
) -> DbResult<Vec<Recalled>> {
    let mut query = db
        .query(nearest_query(space, k))
        .bind(("merchant", merchant.to_owned()))
        .bind(("vector", vector.to_vec()));
    if let Space::Embedding(name) = space {
        query = query.bind(("space", name.clone()));
    }
    Ok(checked(query.await?)?.take(0)?)
}

/// A shop's preferences, newest first (at most `limit`).
pub async fn preferences(db: &Db, merchant: &str, limit: u32) -> DbResult<Vec<Recalled>> {
    let response = db
        .query(
            "SELECT text, source, at, 0.0 AS distance FROM preference
                 WHERE merchant = $merchant ORDER BY at DESC LIMIT $limit",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}
