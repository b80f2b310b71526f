//! What a merchant offers: recharge tiers, fragments, card types with their daily stock, and
//! market listings. Saving is create-or-replace by code (a PUT): saving twice is harmless.

use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::assets::{ListingRow, StockRow};
use crate::error::checked;
use crate::{Db, DbResult};

/// A fragment definition as stored: `fragment:[merchant, code]`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct FragmentRow {
    pub code: String,
    pub name: String,
    pub rarity: String,
}

/// A card type's daily stock with the card type's code.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StockOf {
    pub card_type: String,
    pub stock: StockRow,
}

/// The fields a `CardTypeRow` is read from.
pub(crate) const CARD_TYPE_FIELDS: &str =
    "code, name, recipe, benefit, validity_days, cost_basis, active, art.hash AS art";

/// Everything a merchant offers (inactive entries included; callers filter).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    pub fragments: Vec<FragmentRow>,
    pub card_types: Vec<CardTypeRow>,
    pub stocks: Vec<StockOf>,
    pub tiers: Vec<TierRow>,
    pub listings: Vec<ListingRow>,
    /// The shop's pictures (the Artist's assets), which stories may show.
    pub assets: Vec<AssetRef>,
}

/// One of the shop's assets as a story names it: its id and the picture's content hash.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AssetRef {
    pub id: String,
    pub hash: String,
}

impl Catalog {
    /// The picture (content hash) of the shop's asset `id`; another shop's is none.
    pub fn picture(&self, id: &str) -> Option<&str> {
        self.assets
            .binary_search_by(|asset| asset.id.as_str().cmp(id))
            .ok()
            .and_then(|at| self.assets.get(at))
            .map(|asset| asset.hash.as_str())
    }
}

/// A merchant's card stocks (`$m`: the merchant record), by card type.
pub(crate) const SELECT_STOCKS: &str =
    "SELECT record::id(id)[1] AS card_type, { daily_cap: daily_cap,
        current_stock: current_stock, reset_day: reset_day } AS stock
    FROM card_stock WHERE merchant = $m ORDER BY card_type";

/// A merchant's whole catalogue in one round trip, each list ordered by code.
pub async fn of_merchant(db: &Db, merchant: &str) -> DbResult<Catalog> {
    let mut response = checked(
        db.query(format!(
            "LET $m = type::record('merchant', $merchant);
             {SELECT_FRAGMENTS};
             SELECT {CARD_TYPE_FIELDS} FROM card_type WHERE merchant = $m ORDER BY code;
             {SELECT_STOCKS};
             SELECT code, label, pay, bonus, active FROM recharge_tier WHERE merchant = $m
                 ORDER BY pay;
             SELECT fragment, buy_price, sell_price, active FROM market_listing
                 WHERE merchant = $m ORDER BY fragment;
             SELECT record::id(id) AS id, hash FROM asset WHERE merchant = $merchant;"
        ))
        .bind(("merchant", merchant.to_owned()))
        .await?,
    )?;
    let mut assets: Vec<AssetRef> = response.take(6)?;
    // Sorted as [`Catalog::picture`] searches.
    assets.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(Catalog {
        fragments: response.take(1)?,
        card_types: response.take(2)?,
        stocks: response.take(3)?,
        tiers: response.take(4)?,
        listings: response.take(5)?,
        assets,
    })
}

/// A merchant's card stocks alone (they move with every card given; the rest of the
/// catalogue only when the boss edits it).
pub async fn stocks(db: &Db, merchant: &str) -> DbResult<Vec<StockOf>> {
    let response = db
        .query(format!(
            "LET $m = type::record('merchant', $merchant); {SELECT_STOCKS};"
        ))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    Ok(checked(response)?.take(1)?)
}

/// The tables of a catalogue but its stocks (fragments, card types, tiers, listings,
/// assets): what a cache of catalogues watches ([`crate::live::changes`]).
pub const TABLES: &[&str] = &[
    "fragment",
    "card_type",
    "recharge_tier",
    "market_listing",
    "asset",
];

/// A merchant's fragment definitions (`$m`: the merchant record), by code.
const SELECT_FRAGMENTS: &str =
    "SELECT code, name, rarity FROM fragment WHERE merchant = $m ORDER BY code";

/// A merchant's fragment definitions alone (what recipes and listings are checked against).
pub async fn fragments(db: &Db, merchant: &str) -> DbResult<Vec<FragmentRow>> {
    let response = db
        .query(format!(
            "LET $m = type::record('merchant', $merchant); {SELECT_FRAGMENTS};"
        ))
        .bind(("merchant", merchant.to_owned()))
        .await?;
    Ok(checked(response)?.take(1)?)
}

/// A recharge tier as stored: `recharge_tier:[merchant, code]`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct TierRow {
    pub code: String,
    pub label: String,
    pub pay: Decimal,
    pub bonus: Decimal,
    pub active: bool,
}

/// One tier of a merchant, if it exists.
pub async fn recharge_tier(db: &Db, merchant: &str, code: &str) -> DbResult<Option<TierRow>> {
    let response = db
        .query(
            "SELECT code, label, pay, bonus, active \
             FROM type::record('recharge_tier', [$merchant, $code])",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Creates or replaces a tier.
pub async fn upsert_recharge_tier(db: &Db, merchant: &str, tier: &TierRow) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('recharge_tier', [$merchant, $tier.code]) MERGE { \
                 merchant: type::record('merchant', $merchant), code: $tier.code, \
                 label: $tier.label, pay: $tier.pay, bonus: $tier.bonus, active: $tier.active }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("tier", tier.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// One line of a card type's recipe: `count` of the fragment `fragment`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct RecipeItem {
    pub fragment: String,
    pub count: i64,
}

/// What redeeming a card gives: `amount` off the bill.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct BenefitRow {
    pub kind: String,
    pub amount: Decimal,
    pub description: String,
}

/// A card type (入席令) as stored: `card_type:[merchant, code]`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CardTypeRow {
    pub code: String,
    pub name: String,
    pub recipe: Vec<RecipeItem>,
    pub benefit: BenefitRow,
    pub validity_days: i64,
    pub cost_basis: Decimal,
    pub active: bool,
    /// The content hash of its art (an asset of the shop), if it has one; set by the Artist,
    /// never by a save of the card type.
    pub art: Option<String>,
}

/// One card type of a merchant, if it exists.
pub async fn card_type(db: &Db, merchant: &str, code: &str) -> DbResult<Option<CardTypeRow>> {
    let response = db
        .query(format!(
            "SELECT {CARD_TYPE_FIELDS} FROM type::record('card_type', [$merchant, $code])"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Saves a card type and its daily stock together. `stock_seen` is the stock as the caller
/// read it (None: there was none): if it changed meanwhile the save THROWs 'STALE'.
pub async fn save_card_type(
    db: &Db,
    merchant: &str,
    card_type: &CardTypeRow,
    stock_seen: Option<&StockRow>,
    stock_next: &StockRow,
) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             UPSERT type::record('card_type', [$merchant, $t.code]) MERGE {
                 merchant: type::record('merchant', $merchant), code: $t.code, name: $t.name,
                 recipe: $t.recipe, benefit: $t.benefit, validity_days: $t.validity_days,
                 cost_basis: $t.cost_basis, active: $t.active } RETURN NONE;
             LET $stock = type::record('card_stock', [$merchant, $t.code]);
             IF $seen {
                 LET $set = UPDATE $stock SET daily_cap = $next.daily_cap,
                     current_stock = $next.current_stock, reset_day = $next.reset_day
                     WHERE daily_cap = $seen.daily_cap AND current_stock = $seen.current_stock
                         AND reset_day = $seen.reset_day RETURN AFTER;
                 IF array::len($set) != 1 { THROW 'STALE' };
             } ELSE {
                 CREATE $stock CONTENT { merchant: type::record('merchant', $merchant),
                     daily_cap: $next.daily_cap, current_stock: $next.current_stock,
                     reset_day: $next.reset_day } RETURN NONE;
             };
             COMMIT TRANSACTION;",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("t", card_type.clone()))
        .bind(("seen", stock_seen.cloned()))
        .bind(("next", stock_next.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Creates or renames a fragment definition.
pub async fn upsert_fragment(db: &Db, merchant: &str, fragment: &FragmentRow) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('fragment', [$merchant, $f.code]) MERGE {
                 merchant: type::record('merchant', $merchant), code: $f.code, name: $f.name,
                 rarity: $f.rarity }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("f", fragment.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Creates or replaces a market listing (prices in silver; `sell_price` None: no buy-back).
pub async fn upsert_listing(db: &Db, merchant: &str, listing: &ListingRow) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('market_listing', [$merchant, $l.fragment]) MERGE {
                 merchant: type::record('merchant', $merchant), fragment: $l.fragment,
                 buy_price: $l.buy_price, sell_price: $l.sell_price, active: $l.active }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("l", listing.clone()))
        .await?;
    checked(response)?;
    Ok(())
}
