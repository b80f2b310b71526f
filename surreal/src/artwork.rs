//! The Artist's records (migration 0018): the candidates a thread offered the boss and the
//! assets the boss picked. The pictures themselves are in the object store under their
//! content hash; a hash is ours only when one of these rows names it.

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbResult};

/// A picture the review passed, offered to the boss.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CandidateSave {
    pub thread: String,
    pub merchant: String,
    pub round: i64,
    /// 1 to 4, as the boss sees them.
    pub number: i64,
    pub hash: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    /// Which model drew it.
    pub model: String,
}

/// The statements that record `$c` (a [`CandidateSave`]) under its thread, round and number
/// (written again by a step run again: the same row).
pub(crate) const OFFER: &str = "
    UPSERT type::record('artwork_candidate', [$c.thread, $c.round, $c.number]) CONTENT {
        thread: $c.thread, merchant: $c.merchant, round: $c.round, number: $c.number,
        hash: $c.hash, width: $c.width, height: $c.height, bytes: $c.bytes, model: $c.model
    } RETURN NONE;
";

/// An asset to mint: the picked candidate, the shop's from now on.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AssetSave {
    pub id: String,
    pub merchant: String,
    /// `CARD_ART`, `STORY_ART` or `LOGO`.
    pub kind: String,
    pub hash: String,
    pub title: String,
    pub prompt: String,
    pub thread: Option<String>,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub model: String,
    /// The card type that takes it as its art at once, if the boss said which.
    pub card_type: Option<String>,
}

/// The statements that mint `$a` (an [`AssetSave`]) and give it to its card type, if any;
/// committed with the pick's checkpoint (`agent::Effect::Mint`), so a pick runs once.
pub(crate) const MINT: &str = "
    CREATE type::record('asset', $a.id) CONTENT {
        merchant: $a.merchant, kind: $a.kind, hash: $a.hash, title: $a.title,
        prompt: $a.prompt, thread: $a.thread, width: $a.width, height: $a.height,
        bytes: $a.bytes, model: $a.model
    } RETURN NONE;
    IF $a.card_type != NONE {
        UPDATE type::record('card_type', [$a.merchant, $a.card_type])
            SET art = type::record('asset', $a.id) RETURN NONE;
    };
";

/// Mints `asset` (an upload: no thread, no card type) and makes it its shop's logo, in one
/// transaction.
pub async fn mint_logo(db: &Db, asset: AssetSave) -> DbResult<()> {
    let response = db
        .query(format!(
            "BEGIN TRANSACTION;
             {MINT}
             UPDATE type::record('merchant', $a.merchant) SET logo = $a.id RETURN NONE;
             COMMIT TRANSACTION;"
        ))
        .bind(("a", asset))
        .await?;
    checked(response)?;
    Ok(())
}

/// An asset of a shop.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AssetRow {
    pub id: String,
    pub merchant: String,
    pub kind: String,
    pub hash: String,
    pub title: String,
    pub prompt: String,
    pub thread: Option<String>,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub model: String,
    pub created_at: DateTime<Utc>,
    /// The shop's card types that show it.
    pub card_types: Vec<String>,
}

const ASSET_FIELDS: &str = "record::id(id) AS id, merchant, kind, hash, title, prompt, thread,
    width, height, bytes, model, created_at,
    (SELECT VALUE code FROM card_type WHERE merchant = type::record('merchant', $parent.merchant)
        AND art = $parent.id) AS card_types";

/// The shop's assets, the newest first; of one kind, or whose title or prompt holds `text`.
pub async fn library(
    db: &Db,
    merchant: &str,
    kind: Option<&str>,
    text: Option<&str>,
    limit: u32,
) -> DbResult<Vec<AssetRow>> {
    let response = db
        .query(format!(
            "SELECT {ASSET_FIELDS} FROM asset
                 WHERE merchant = $merchant
                     AND ($kind = NONE OR kind = $kind)
                     AND ($text = NONE OR string::contains(title, $text)
                         OR string::contains(prompt, $text))
                 ORDER BY created_at DESC LIMIT $limit"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("kind", kind.map(str::to_owned)))
        .bind(("text", text.map(str::to_owned)))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The asset `id` of `merchant` (another shop's is none).
pub async fn asset(db: &Db, merchant: &str, id: &str) -> DbResult<Option<AssetRow>> {
    let response = db
        .query(format!(
            "SELECT {ASSET_FIELDS} FROM ONLY type::record('asset', $id) WHERE merchant = $merchant"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Gives `asset` (of `merchant`) to the shop's card type `code` as its art, or takes the
/// art away (`None`); whether that card type exists.
pub async fn attach(db: &Db, merchant: &str, code: &str, asset: Option<&str>) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('card_type', [$merchant, $code])
                 SET art = IF $asset = NONE { NONE } ELSE { type::record('asset', $asset) }
                 RETURN VALUE code",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .bind(("asset", asset.map(str::to_owned)))
        .await?;
    let updated: Vec<String> = checked(response)?.take(0)?;
    Ok(!updated.is_empty())
}

/// Whether a row of ours names the picture `hash` (an asset or a candidate): the app serves
/// nothing else from the store.
pub async fn is_ours(db: &Db, hash: &str) -> DbResult<bool> {
    let response = db
        .query(
            "RETURN (SELECT VALUE id FROM asset WHERE hash = $hash LIMIT 1)[0] != NONE
                 OR (SELECT VALUE id FROM artwork_candidate WHERE hash = $hash LIMIT 1)[0] != NONE",
        )
        .bind(("hash", hash.to_owned()))
        .await?;
    let ours: Option<bool> = checked(response)?.take(0)?;
    Ok(ours.unwrap_or(false))
}

/// Those of `hashes` that a row of ours names (an asset or a candidate).
pub async fn named(db: &Db, hashes: &[String]) -> DbResult<Vec<String>> {
    let response = db
        .query(
            "RETURN array::union(
                 (SELECT VALUE hash FROM asset WHERE hash IN $hashes),
                 (SELECT VALUE hash FROM artwork_candidate WHERE hash IN $hashes))",
        )
        .bind(("hashes", hashes.to_vec()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// What [`purge_unpicked`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Candidate rows deleted.
    pub rows: usize,
    /// Pictures no row names any more: the caller deletes them from the store.
    pub orphans: Vec<String>,
}

/// Deletes at most `limit` candidates nobody will pick: of threads that finished (or are
/// gone). The pictures they named that no asset or other candidate names are returned.
pub async fn purge_unpicked(db: &Db, limit: u32) -> DbResult<Purged> {
    let response = db
        .query(
            "LET $done = SELECT VALUE id FROM artwork_candidate
                 WHERE type::record('agent_thread', thread).status NOT IN ['RUNNING', 'WAITING']
                 LIMIT $limit;
             LET $hashes = array::distinct((SELECT VALUE hash FROM $done));
             DELETE $done RETURN NONE;
             RETURN array::len($done);
             RETURN array::filter($hashes, |$h|
                 (SELECT VALUE id FROM asset WHERE hash = $h LIMIT 1)[0] = NONE
                 AND (SELECT VALUE id FROM artwork_candidate WHERE hash = $h LIMIT 1)[0] = NONE);",
        )
        .bind(("limit", i64::from(limit)))
        .await?;
    let mut response = checked(response)?;
    let rows: Option<usize> = response.take(3)?;
    let orphans: Vec<String> = response.take(4)?;
    Ok(Purged {
        rows: rows.unwrap_or_default(),
        orphans,
    })
}
