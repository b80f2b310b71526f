//! The rule engine's records: campaigns and their versions, triggers on the work queue, what
//! a campaign spent and gave, what the engine knows of a diner at a shop, and the one
//! transaction that records a trigger's decision with every grant it makes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use surrealdb::types::SurrealValue;

use crate::assets::{Holding, SELECT_HOLDINGS, StockRow};
use crate::card::{CardRow, CardValue};
use crate::catalog::{SELECT_STOCKS, StockOf};
use crate::error::checked;
use crate::idempotency::REMEMBER;
use crate::ledger::NewLedgerEntry;
use crate::outcome::Outcome;
use crate::queue::{COMPLETE, Completion, ENQUEUE, NewItem, Queue};
use crate::wallet::{SELECT_WALLET, WalletRow};
use crate::{Db, DbResult};

/// Triggers to decide, partitioned by merchant: one merchant's triggers are decided in the
/// order they were made.
pub const TRIGGERS: Queue = Queue {
    name: "triggers",
    partitions: 16,
};

/// A trigger on its way to the engine (its JSON, read by the rule engine).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrigger {
    pub merchant: String,
    pub trigger: serde_json::Value,
}

impl NewTrigger {
    pub fn item(&self) -> NewItem {
        NewItem::new(TRIGGERS, &self.merchant, self.trigger.clone())
    }
}

/// A campaign as stored: its current version and status, the spec as JSON.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CampaignRow {
    pub code: String,
    pub name: String,
    pub status: String,
    pub version: i64,
    pub spec: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

const SELECT_CAMPAIGN: &str = "SELECT code, name, status, version, spec, updated_at, updated_by";

/// A save of a campaign: a new version (1 for a new one), refused with `VERSION_CHANGED`
/// unless the stored version is still `expected` (none: the code must be new).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CampaignSave {
    pub merchant: String,
    pub code: String,
    pub name: String,
    pub status: String,
    pub expected: Option<i64>,
    pub spec: serde_json::Value,
    pub by: Option<String>,
}

/// The statements of a campaign save, over `$c` (a [`CampaignSave`]); they end with the new
/// version in `$version`. Shared by [`save_campaign`] and the agent's steps, which save an
/// approved proposal's campaign in the step's own transaction.
pub(crate) const SAVE_CAMPAIGN: &str = "
    LET $id = type::record('campaign', [$c.merchant, $c.code]);
    LET $stored = (SELECT VALUE version FROM ONLY $id) ?? NONE;
    IF $stored != $c.expected { THROW 'VERSION_CHANGED' };
    LET $version = ($stored ?? 0) + 1;
    UPSERT $id CONTENT {
        merchant: type::record('merchant', $c.merchant), code: $c.code, name: $c.name,
        status: $c.status, version: $version, spec: $c.spec, updated_by: $c.by
    } RETURN NONE;
    CREATE type::record('campaign_version', [$c.merchant, $c.code, $version]) CONTENT {
        spec: $c.spec, status: $c.status, saved_by: $c.by
    } RETURN NONE;
";

/// Saves a campaign as a new version (its spec and status as given).
pub async fn save_campaign(db: &Db, save: &CampaignSave) -> DbResult<i64> {
    let response = db
        .query(format!(
            "BEGIN TRANSACTION;{SAVE_CAMPAIGN}RETURN $version;COMMIT TRANSACTION;"
        ))
        .bind(("c", save.clone()))
        .await?;
    // Statement 7 is the RETURN (BEGIN is statement 0).
    let version: Option<i64> = checked(response)?.take(7)?;
    Ok(version.unwrap_or_default())
}

/// One campaign of a merchant.
pub async fn campaign(db: &Db, merchant: &str, code: &str) -> DbResult<Option<CampaignRow>> {
    let response = db
        .query(format!(
            "{SELECT_CAMPAIGN} FROM type::record('campaign', [$merchant, $code])"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("code", code.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A merchant's campaigns, by code; `status` picks one status.
pub async fn campaigns(
    db: &Db,
    merchant: &str,
    status: Option<&str>,
) -> DbResult<Vec<CampaignRow>> {
    let response = db
        .query(format!(
            "{SELECT_CAMPAIGN} FROM campaign WHERE merchant = type::record('merchant', $merchant)
                 AND ($status IS NONE OR status = $status) ORDER BY code"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("status", status.map(str::to_owned)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A campaign's usage as the decision needs it: spent today, given ever, and one diner's
/// counter (as stored; the caller reads it on the shop's calendar).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct UsageRow {
    pub code: String,
    pub used_today: Decimal,
    pub granted_today: i64,
    pub total: i64,
    pub diner: Option<DinerCountRow>,
}

/// How often a campaign rewarded one diner (`day` and `week` as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DinerCountRow {
    pub day: String,
    pub today: i64,
    pub week: String,
    pub this_week: i64,
    pub ever: i64,
}

/// The usage of `$codes` at `$merchant` on `$day` (and of `$uid`'s counters, if a diner): an
/// array of [`UsageRow`].
const USAGE: &str = "$codes.map(|$code| {
    code: $code,
    used_today: type::record('campaign_day', [$merchant, $code, $day]).used ?? 0dec,
    granted_today: type::record('campaign_day', [$merchant, $code, $day]).granted ?? 0,
    total: type::record('campaign_usage', [$merchant, $code]).total ?? 0,
    diner: IF $uid THEN
        (SELECT day, today, week, this_week, ever
            FROM type::record('campaign_diner', [$merchant, $code, $uid]))[0]
    END
})";

/// The usage of `codes` on `day` (and of `uid`'s counters, if a diner).
pub async fn usage(
    db: &Db,
    merchant: &str,
    codes: &[String],
    uid: Option<&str>,
    day: &str,
) -> DbResult<Vec<UsageRow>> {
    let response = db
        .query(format!("RETURN {USAGE}"))
        .bind(("merchant", merchant.to_owned()))
        .bind(("codes", codes.to_vec()))
        .bind(("uid", uid.map(str::to_owned)))
        .bind(("day", day.to_owned()))
        .await?;
    // A RETURNed array is read as the statement's rows.
    Ok(checked(response)?.take(0)?)
}

/// A diner's visits to a shop, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct VisitRow {
    pub count: i64,
    pub last_day: Option<String>,
    pub previous_day: Option<String>,
}

/// What the engine knows of a diner at a shop: visits, tags set on them, the shop's tag
/// rules, and the diner's nickname.
#[derive(Debug, Clone, PartialEq, Eq, Default, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DinerFacts {
    pub known: bool,
    pub nickname: Option<String>,
    pub visits: VisitRow,
    pub tags: Vec<String>,
    pub regular_visits: i64,
    pub lapsed_days: i64,
}

/// [`DinerFacts`] of `$uid` at `$merchant` (the shop's tag rules' defaults when it set none).
const DINER_FACTS: &str = "{
    known: record::exists(type::record('diner', $uid)),
    nickname: type::record('diner', $uid).nickname ?? NONE,
    visits: (SELECT count, last_day, previous_day FROM ONLY type::record('visit', [$merchant, $uid]))
        ?? { count: 0, last_day: NONE, previous_day: NONE },
    tags: type::record('diner_tag', [$merchant, $uid]).tags ?? [],
    regular_visits: type::record('tag_rules', $merchant).regular_visits ?? 5,
    lapsed_days: type::record('tag_rules', $merchant).lapsed_days ?? 30,
}";

/// Reads [`DinerFacts`] in one round trip.
pub async fn diner_facts(db: &Db, merchant: &str, uid: &str) -> DbResult<DinerFacts> {
    let response = db
        .query(format!("RETURN {DINER_FACTS}"))
        .bind(("merchant", merchant.to_owned()))
        .bind(("uid", uid.to_owned()))
        .await?;
    let facts: Option<DinerFacts> = checked(response)?.take(0)?;
    Ok(facts.unwrap_or_default())
}

/// A diner whose decisions a batch reads: at `merchant`, with the usage of the campaigns
/// `codes` on the shop's `day`.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DinerAsk {
    pub merchant: String,
    pub uid: String,
    pub codes: Vec<String>,
    pub day: String,
}

/// What a decision reads of its shop: the weather the last weather trigger set, and the
/// card stocks.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ShopRead {
    pub merchant: String,
    pub weather: Option<String>,
    pub stocks: Vec<StockOf>,
}

/// What a decision reads of its diner at the shop.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DinerRead {
    pub facts: DinerFacts,
    /// None: the diner never had a wallet at the shop.
    pub wallet: Option<WalletRow>,
    pub holdings: Vec<Holding>,
    /// The ACTIVE ones only (some may be past their expiry).
    pub cards: Vec<CardRow>,
    pub usage: Vec<UsageRow>,
}

/// What the decisions of a batch read, in the order asked.
#[derive(Debug, Clone, PartialEq, Default, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Reads {
    pub shops: Vec<ShopRead>,
    pub diners: Vec<DinerRead>,
}

/// The statement of [`reads`]: the same reads as the functions that read one thing each
/// (the same statements), for many shops and diners at once.
static READS: LazyLock<String> = LazyLock::new(|| {
    let cards = crate::card::select_active_cards();
    format!(
        "RETURN {{
             shops: $shops.map(|$merchant| {{
                 LET $m = type::record('merchant', $merchant);
                 RETURN {{
                     merchant: $merchant,
                     weather: type::record('shop_weather', $merchant).weather ?? NONE,
                     stocks: ({SELECT_STOCKS}),
                 }};
             }}),
             diners: $diners.map(|$ask| {{
                 LET $merchant = $ask.merchant;
                 LET $uid = $ask.uid;
                 LET $codes = $ask.codes;
                 LET $day = $ask.day;
                 RETURN {{
                     facts: {DINER_FACTS},
                     wallet: ({SELECT_WALLET})[0] ?? NONE,
                     holdings: ({SELECT_HOLDINGS}),
                     cards: ({cards}),
                     usage: {USAGE},
                 }};
             }}),
         }}"
    )
});

/// Everything the decisions of a batch of triggers read of `shops` and `diners`, in one
/// statement: one round trip and one parse where the triggers took seven reads each. The
/// reads are not one snapshot; the decision's transaction checks again what it depends on.
pub async fn reads(db: &Db, shops: &[String], diners: &[DinerAsk]) -> DbResult<Reads> {
    if shops.is_empty() && diners.is_empty() {
        return Ok(Reads::default());
    }
    let response = db
        .query(READS.as_str())
        .bind(("shops", shops.to_vec()))
        .bind(("diners", diners.to_vec()))
        .await?;
    let reads: Option<Reads> = checked(response)?.take(0)?;
    Ok(reads.unwrap_or_default())
}

/// Adds and removes tags of a diner at a shop (staff); returns the tags after.
pub async fn retag(
    db: &Db,
    merchant: &str,
    uid: &str,
    add: &[String],
    remove: &[String],
) -> DbResult<Vec<String>> {
    let response = db
        .query(
            "LET $id = type::record('diner_tag', [$merchant, $uid]);
             LET $now = $id.tags ?? [];
             LET $next = array::sort(array::complement(array::union($now, $add), $remove));
             UPSERT $id SET tags = $next RETURN NONE;
             RETURN $next;",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("uid", uid.to_owned()))
        .bind(("add", add.to_vec()))
        .bind(("remove", remove.to_vec()))
        .await?;
    Ok(checked(response)?.take(4)?)
}

/// One card a reward issues, out of the day's stock (guarded like a synthesis).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CardGrant {
    pub card_type: String,
    pub uuid: String,
    pub expiry: DateTime<Utc>,
    pub value: CardValue,
    pub stock_seen: StockRow,
    pub stock_next: StockRow,
}

/// What one fired campaign writes: its spend, its counters, the grants, the ledger entry and
/// the story. The spend is refused past the day's cap, the total past its limit and the
/// diner's counter if it changed since it was read — all with `STALE`: the usage the
/// decision was made from is gone, so the trigger is decided again from a fresh read.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct GrantWrite {
    pub campaign: String,
    pub version: i64,
    pub cost: Decimal,
    pub cap: Decimal,
    pub total_cap: Option<i64>,
    /// The diner's counter as read (`ever`, 0 if none) and as it becomes.
    pub diner_seen_ever: i64,
    pub diner_next: DinerCountRow,
    pub silver: i64,
    pub fragments: BTreeMap<String, i64>,
    pub card: Option<CardGrant>,
    pub story_id: String,
    pub story: serde_json::Value,
    pub entry: NewLedgerEntry,
}

/// A trigger's decision and everything it writes.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DecisionWrite {
    pub merchant: String,
    pub trigger_id: String,
    pub uid: Option<String>,
    pub trigger: serde_json::Value,
    pub day: String,
    pub fired: Vec<String>,
    pub held_out: Vec<String>,
    pub trace: serde_json::Value,
    /// The shop's weather from now on (a weather trigger).
    pub weather: Option<String>,
    /// The diner's visits as read (`count`) and as they become, when this is a visit.
    pub visit_seen: Option<i64>,
    pub visit_next: Option<VisitRow>,
    pub grants: Vec<GrantWrite>,
}

impl DecisionWrite {
    /// A decision that writes nothing but itself: nothing fired, no visit counted, no
    /// weather set. Nothing another decision reads depends on it, so such decisions can be
    /// recorded together ([`record_plain`]).
    pub fn is_plain(&self) -> bool {
        self.grants.is_empty() && self.visit_next.is_none() && self.weather.is_none()
    }
}

/// The decision record of `$d` (a trigger decided twice is refused here as a duplicate).
const CREATE_DECISION: &str = "
    CREATE type::record('decision', [$d.merchant, $d.trigger_id]) CONTENT {
        merchant: $d.merchant, uid: $d.uid, trigger: $d.trigger, day: $d.day,
        fired: $d.fired, held_out: $d.held_out, trace: $d.trace
    } RETURN NONE;
";

/// Records plain decisions ([`DecisionWrite::is_plain`]) in one transaction, completing
/// their triggers' queue items (`done`): a burst of triggers no campaign answers costs one
/// commit, not one each. A trigger already decided fails the whole batch as a duplicate.
pub async fn record_plain(db: &Db, done: &Completion, writes: &[DecisionWrite]) -> DbResult<()> {
    debug_assert!(writes.iter().all(DecisionWrite::is_plain));
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             {COMPLETE}
             FOR $d IN $decisions {{ {CREATE_DECISION} }};
             COMMIT TRANSACTION;"
        ))
        .bind(("decisions", writes.to_vec()));
    checked(done.bind(query).await?)?;
    Ok(())
}

/// Records a decision with its grants, completing its trigger's queue item (`done`): all in
/// one transaction. A trigger already decided is refused as a duplicate (`is_duplicate`).
pub async fn record_decision(
    db: &Db,
    done: &Completion,
    write: &DecisionWrite,
    outcome: &Outcome,
) -> DbResult<()> {
    let query = db
        .query(format!(
            "BEGIN TRANSACTION;
             {COMPLETE}
             {CREATE_DECISION}
             IF $d.weather {{
                 UPSERT type::record('shop_weather', $d.merchant)
                     CONTENT {{ weather: $d.weather, at: time::now() }} RETURN NONE;
             }};
             IF $d.visit_next {{
                 LET $visit = type::record('visit', [$d.merchant, $d.uid]);
                 IF ((SELECT VALUE count FROM ONLY $visit) ?? 0) != $d.visit_seen {{
                     THROW 'STALE'
                 }};
                 UPSERT $visit CONTENT $d.visit_next RETURN NONE;
             }};
             FOR $g IN $d.grants {{
                 // Decided from a cached campaign: it must still be this version, and live.
                 LET $campaign = type::record('campaign', [$d.merchant, $g.campaign]);
                 IF $campaign.version != $g.version OR $campaign.status != 'ACTIVE' {{
                     THROW 'STALE'
                 }};
                 LET $day = type::record('campaign_day', [$d.merchant, $g.campaign, $d.day]);
                 LET $spent = (SELECT used, granted FROM ONLY $day) ?? {{ used: 0dec, granted: 0 }};
                 IF $spent.used + $g.cost > $g.cap {{ THROW 'STALE' }};
                 UPSERT $day CONTENT {{ used: $spent.used + $g.cost, granted: $spent.granted + 1 }}
                     RETURN NONE;
                 LET $life = type::record('campaign_usage', [$d.merchant, $g.campaign]);
                 LET $total = (SELECT VALUE total FROM ONLY $life) ?? 0;
                 IF $g.total_cap AND $total >= $g.total_cap {{ THROW 'STALE' }};
                 UPSERT $life CONTENT {{ total: $total + 1 }} RETURN NONE;
                 LET $counter = type::record('campaign_diner', [$d.merchant, $g.campaign, $d.uid]);
                 IF ((SELECT VALUE ever FROM ONLY $counter) ?? 0) != $g.diner_seen_ever {{
                     THROW 'STALE'
                 }};
                 UPSERT $counter CONTENT $g.diner_next RETURN NONE;
                 IF $g.silver > 0 {{
                     LET $paid = UPDATE type::record('diner', $d.uid) SET silver += $g.silver
                         RETURN AFTER;
                     IF array::len($paid) != 1 {{ THROW 'UNKNOWN_DINER' }};
                 }};
                 FOR $fragment IN object::entries($g.fragments) {{
                     LET $holding = type::record('holding', [$d.merchant, $d.uid, $fragment[0]]);
                     LET $held = (SELECT VALUE count FROM ONLY $holding) ?? 0;
                     UPSERT $holding MERGE {{
                         merchant: type::record('merchant', $d.merchant), uid: $d.uid,
                         fragment: $fragment[0], count: $held + $fragment[1]
                     }} RETURN NONE;
                 }};
                 IF $g.card {{
                     LET $c = $g.card;
                     LET $taken = UPDATE type::record('card_stock', [$d.merchant, $c.card_type])
                         SET current_stock = $c.stock_next.current_stock,
                             reset_day = $c.stock_next.reset_day
                         WHERE current_stock = $c.stock_seen.current_stock
                             AND reset_day = $c.stock_seen.reset_day
                         RETURN AFTER;
                     IF array::len($taken) != 1 {{ THROW 'STALE' }};
                     CREATE type::record('card', $c.uuid) CONTENT {{
                         merchant: type::record('merchant', $d.merchant),
                         card_type: type::record('card_type', [$d.merchant, $c.card_type]),
                         uid: $d.uid, status: 'ACTIVE', expiry: $c.expiry, value: $c.value
                     }} RETURN NONE;
                 }};
                 CREATE ledger CONTENT $g.entry RETURN NONE;
                 CREATE type::record('story', $g.story_id) CONTENT {{
                     merchant: $d.merchant, uid: $d.uid, campaign: $g.campaign,
                     version: $g.version, trigger: $d.trigger_id, story: $g.story
                 }} RETURN NONE;
             }};
             {ENQUEUE}{REMEMBER}
             COMMIT TRANSACTION;"
        ))
        .bind(("d", write.clone()));
    checked(outcome.bind(done.bind(query)).await?)?;
    Ok(())
}

/// The shop's weather as the last weather trigger set it.
pub async fn shop_weather(db: &Db, merchant: &str) -> DbResult<Option<String>> {
    Ok(shop_weather_reading(db, merchant)
        .await?
        .map(|reading| reading.weather))
}

/// The shop's weather as the last weather trigger set it, and when.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct WeatherReading {
    pub weather: String,
    pub at: DateTime<Utc>,
}

/// [`shop_weather`] with the moment it was set.
pub async fn shop_weather_reading(db: &Db, merchant: &str) -> DbResult<Option<WeatherReading>> {
    let response = db
        .query("SELECT weather, at FROM ONLY type::record('shop_weather', $merchant)")
        .bind(("merchant", merchant.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A story in a diner's inbox.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StoryRow {
    pub id: String,
    pub merchant: String,
    pub campaign: String,
    pub story: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A diner's stories, newest first (at most `limit`), at one merchant or all.
pub async fn stories(
    db: &Db,
    uid: &str,
    merchant: Option<&str>,
    limit: u32,
) -> DbResult<Vec<StoryRow>> {
    let response = db
        .query(
            "SELECT record::id(id) AS id, merchant, campaign, story, created_at, read_at
             FROM story WHERE uid = $uid AND ($merchant IS NONE OR merchant = $merchant)
             ORDER BY created_at DESC LIMIT $limit",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("merchant", merchant.map(str::to_owned)))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Marks a diner's story read (only their own); false if they have no such story.
pub async fn mark_read(db: &Db, uid: &str, id: &str) -> DbResult<bool> {
    let response = db
        .query(
            "UPDATE type::record('story', $id) SET read_at = read_at ?? time::now()
             WHERE uid = $uid RETURN VALUE record::id(id)",
        )
        .bind(("uid", uid.to_owned()))
        .bind(("id", id.to_owned()))
        .await?;
    let ids: Vec<String> = checked(response)?.take(0)?;
    Ok(!ids.is_empty())
}

/// A recorded decision (for traces and backtests).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DecisionRow {
    pub trigger_id: String,
    pub uid: Option<String>,
    pub trigger: serde_json::Value,
    pub day: String,
    pub fired: Vec<String>,
    pub held_out: Vec<String>,
    pub trace: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// The fields a [`DecisionRow`] is read from.
const DECISION_FIELDS: &str =
    "record::id(id)[1] AS trigger_id, uid, trigger, day, fired, held_out, trace, at";

/// The decisions of a merchant since `from`, oldest first (at most `limit`).
pub async fn decisions(
    db: &Db,
    merchant: &str,
    from: DateTime<Utc>,
    limit: u32,
) -> DbResult<Vec<DecisionRow>> {
    let response = db
        .query(format!(
            "SELECT {DECISION_FIELDS} FROM decision WHERE merchant = $merchant AND at >= $from
             ORDER BY at, id LIMIT $limit"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("from", from))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// One decision by its trigger's id.
pub async fn decision(db: &Db, merchant: &str, trigger_id: &str) -> DbResult<Option<DecisionRow>> {
    let response = db
        .query(format!(
            "SELECT {DECISION_FIELDS} FROM type::record('decision', [$merchant, $trigger_id])"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("trigger_id", trigger_id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The shop's key for signing table codes: the stored one, or `fresh` stored now if it has
/// none (two processes making one at once: the first stored wins, both read it).
pub async fn shop_key(db: &Db, merchant: &str, fresh: &str) -> DbResult<String> {
    let create = db
        .query(
            "IF !record::exists(type::record('shop_key', $merchant)) {
                 CREATE type::record('shop_key', $merchant) CONTENT { key: $fresh } RETURN NONE
             }",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("fresh", fresh.to_owned()))
        .await?;
    match checked(create) {
        Err(err) if err.is_duplicate() => {}
        other => {
            other?;
        }
    }
    let response = db
        .query("SELECT VALUE key FROM ONLY type::record('shop_key', $merchant)")
        .bind(("merchant", merchant.to_owned()))
        .await?;
    let key: Option<String> = checked(response)?.take(0)?;
    Ok(key.unwrap_or_default())
}

/// Where a shop is and how near a diner must be.
#[derive(Debug, Clone, Copy, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ShopLocation {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: i64,
}

/// The shop's location, if it set one.
pub async fn shop_location(db: &Db, merchant: &str) -> DbResult<Option<ShopLocation>> {
    let response = db
        .query("SELECT lat, lon, radius_m FROM ONLY type::record('shop_location', $merchant)")
        .bind(("merchant", merchant.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Sets the shop's location.
pub async fn set_shop_location(db: &Db, merchant: &str, at: ShopLocation) -> DbResult<()> {
    let response = db
        .query("UPSERT type::record('shop_location', $merchant) CONTENT $at RETURN NONE")
        .bind(("merchant", merchant.to_owned()))
        .bind(("at", at))
        .await?;
    checked(response)?;
    Ok(())
}

/// Sets when a shop's diners earn `regular` (visits) and `lapsed` (days away).
pub async fn set_tag_rules(
    db: &Db,
    merchant: &str,
    regular_visits: i64,
    lapsed_days: i64,
) -> DbResult<()> {
    let response = db
        .query(
            "UPSERT type::record('tag_rules', $merchant)
                 CONTENT { regular_visits: $regular_visits, lapsed_days: $lapsed_days } RETURN NONE",
        )
        .bind(("merchant", merchant.to_owned()))
        .bind(("regular_visits", regular_visits))
        .bind(("lapsed_days", lapsed_days))
        .await?;
    checked(response)?;
    Ok(())
}

/// A shop with its location (where its weather is read).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PlacedShop {
    pub merchant: String,
    pub lat: f64,
    pub lon: f64,
}

/// Every shop that has set its location, by merchant.
pub async fn placed_shops(db: &Db) -> DbResult<Vec<PlacedShop>> {
    let response = db
        .query("SELECT record::id(id) AS merchant, lat, lon FROM shop_location ORDER BY merchant")
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Records the weather a feed read at a shop: when it differs from the shop's last, the
/// new weather and its `WEATHER_CHANGE` trigger, in one transaction (two readers of the
/// same change conflict, and the one tried again finds nothing changed). Whether it changed.
pub async fn weather_read(
    db: &Db,
    merchant: &str,
    weather: &str,
    trigger: &NewTrigger,
) -> DbResult<bool> {
    let response = db
        .query(format!(
            "BEGIN TRANSACTION;
             LET $row = type::record('shop_weather', $merchant);
             LET $changed = ((SELECT VALUE weather FROM ONLY $row) ?? NONE) != $weather;
             LET $items = IF $changed {{
                 UPSERT $row CONTENT {{ weather: $weather, at: time::now() }} RETURN NONE;
                 $trigger
             }} ELSE {{ [] }};
             {ENQUEUE}
             RETURN $changed;
             COMMIT TRANSACTION;"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("weather", weather.to_owned()))
        .bind(("trigger", vec![trigger.item()]))
        .await?;
    // Statement 5 is the RETURN (BEGIN is statement 0; ENQUEUE is one FOR).
    let changed: Option<bool> = checked(response)?.take(5)?;
    Ok(changed.unwrap_or_default())
}

/// Forgets where the shop is (a diner's location proves nothing there any more).
pub async fn forget_shop_location(db: &Db, merchant: &str) -> DbResult<()> {
    let response = db
        .query("DELETE type::record('shop_location', $merchant)")
        .bind(("merchant", merchant.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}
