//! The agent's threads and their checkpoints (the workflow runtime lives in the `agent`
//! crate). Every change of a thread is one transaction that names the step it read: it
//! writes checkpoint `[thread, step + 1]`, moves the thread on, enqueues what comes next
//! (the next node's run, the events that tell people) and, for a worker, completes its queue
//! item. Two writers of one thread, a node run twice, an answer given twice: each writes the
//! same checkpoint id, so one commits and the other changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::queue::{COMPLETE, Completion, ENQUEUE, NewItem, Queue};
use crate::{Db, DbResult};

/// The runs of agent workflows, partitioned by thread: one thread's nodes run in order, in
/// one process at a time.
pub const RUNS: Queue = Queue {
    name: "agent",
    partitions: 16,
};

/// A thread as stored.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ThreadRow {
    pub id: String,
    pub workflow: String,
    pub merchant: String,
    pub started_by: Option<String>,
    pub status: String,
    pub step: i64,
    pub node: Option<String>,
    pub ask: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A checkpoint as stored.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CheckpointRow {
    pub step: i64,
    pub node: String,
    pub state: serde_json::Value,
    pub version: i64,
    pub parent: Option<i64>,
    pub next: serde_json::Value,
    pub input: Option<serde_json::Value>,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// A new checkpoint (its thread and step come from the write that carries it).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewCheckpoint {
    pub node: String,
    pub state: serde_json::Value,
    pub version: i64,
    pub parent: Option<i64>,
    pub next: serde_json::Value,
    pub input: Option<serde_json::Value>,
    pub by: Option<String>,
}

/// Where the thread stands after a write.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ThreadMove {
    pub status: String,
    pub node: Option<String>,
    pub ask: Option<serde_json::Value>,
    pub error: Option<String>,
}

/// A thread to start: its first checkpoint (step 0) and its first run.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewThread {
    pub id: String,
    pub workflow: String,
    pub merchant: String,
    pub started_by: Option<String>,
    pub checkpoint: NewCheckpoint,
    pub moved: ThreadMove,
}

/// One change of a thread: from `step` (as read, in one of the `from` statuses) to
/// `step + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepWrite {
    pub thread: String,
    pub step: i64,
    /// The statuses the thread may be in for this write (a node's step: RUNNING; an answer:
    /// WAITING; a restart: anything but RUNNING).
    pub from: Vec<String>,
    pub checkpoint: NewCheckpoint,
    pub moved: ThreadMove,
    /// What comes next: the next node's run, the events that tell people.
    pub items: Vec<NewItem>,
    /// When the thread finishes (DONE, FAILED): how many of its last checkpoints it keeps.
    pub keep: i64,
    /// The step's side effects, written with it or not at all: a node run again after its
    /// worker died cannot write them twice, since its step can be written only once.
    pub effects: Vec<Effect>,
}

/// A side effect of a step, committed in the step's transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A campaign saved (an approved proposal going live).
    SaveCampaign(crate::rules::CampaignSave),
    /// A preference kept in the agent's memory (a rejection's reason).
    Remember(crate::memory::PreferenceSave),
    /// The pictures a round offered the boss (the Artist's review).
    Offer(Vec<crate::artwork::CandidateSave>),
    /// The picture the boss picked, minted as the shop's asset.
    Mint(crate::artwork::AssetSave),
}

impl Effect {
    /// The statements of the effect bound as `$effect{index}`.
    fn statements(&self, index: usize) -> String {
        match self {
            Self::SaveCampaign(_) => {
                crate::rules::SAVE_CAMPAIGN.replace("$c.", &format!("$effect{index}."))
            }
            Self::Remember(_) => {
                crate::memory::REMEMBER.replace("$p.", &format!("$effect{index}."))
            }
            Self::Offer(candidates) => (0..candidates.len())
                .map(|n| crate::artwork::OFFER.replace("$c.", &format!("$effect{index}[{n}].")))
                .collect(),
            Self::Mint(_) => crate::artwork::MINT.replace("$a.", &format!("$effect{index}.")),
        }
    }

    fn bind<'r, C: surrealdb::Connection>(
        &self,
        index: usize,
        query: surrealdb::method::Query<'r, C>,
    ) -> surrealdb::method::Query<'r, C> {
        match self {
            Self::SaveCampaign(save) => query.bind((format!("effect{index}"), save.clone())),
            Self::Remember(save) => query.bind((format!("effect{index}"), save.clone())),
            Self::Offer(candidates) => query.bind((format!("effect{index}"), candidates.clone())),
            Self::Mint(save) => query.bind((format!("effect{index}"), save.clone())),
        }
    }
}

/// The statements of `effects`, in order.
fn effect_statements(effects: &[Effect]) -> String {
    effects
        .iter()
        .enumerate()
        .map(|(index, effect)| effect.statements(index))
        .collect()
}

#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StepBinding {
    thread: String,
    step: i64,
    from: Vec<String>,
    checkpoint: NewCheckpoint,
    moved: ThreadMove,
    keep: i64,
}

/// Writes the thread, its first checkpoint and `items` (its first run), unless a thread
/// with that id exists (a duplicate: `DbError::is_duplicate`).
pub async fn start(db: &Db, thread: &NewThread, items: &[NewItem]) -> DbResult<()> {
    let response = db
        .query(format!(
            "BEGIN TRANSACTION;
             CREATE type::record('agent_thread', $t.id) CONTENT {{
                 workflow: $t.workflow, merchant: $t.merchant, started_by: $t.started_by,
                 status: $t.moved.status, step: 0, node: $t.moved.node, ask: $t.moved.ask,
                 error: $t.moved.error
             }} RETURN NONE;
             CREATE type::record('agent_checkpoint', [$t.id, 0]) CONTENT {{
                 thread: $t.id, step: 0, node: $t.checkpoint.node, state: $t.checkpoint.state,
                 version: $t.checkpoint.version, parent: NONE, next: $t.checkpoint.next,
                 input: $t.checkpoint.input, by: $t.checkpoint.by
             }} RETURN NONE;
             {ENQUEUE}
             COMMIT TRANSACTION;"
        ))
        .bind(("t", thread.clone()))
        .bind(("items", items.to_vec()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Statements of one step (bound by [`bind_step`]): refused with `NOT_WAITING` unless the
/// thread is at `$s.step` in one of `$s.from`; checkpoint `[thread, step + 1]` is new, or the
/// whole write fails on it (a second writer of the same step).
const STEP: &str = "
    LET $thread = type::record('agent_thread', $s.thread);
    LET $seen = SELECT status, step FROM ONLY $thread;
    IF $seen IS NONE OR $seen.step != $s.step OR $seen.status NOT IN $s.from {
        THROW 'NOT_WAITING'
    };
    CREATE type::record('agent_checkpoint', [$s.thread, $s.step + 1]) CONTENT {
        thread: $s.thread, step: $s.step + 1, node: $s.checkpoint.node,
        state: $s.checkpoint.state, version: $s.checkpoint.version,
        parent: $s.checkpoint.parent, next: $s.checkpoint.next, input: $s.checkpoint.input,
        by: $s.checkpoint.by
    } RETURN NONE;
    UPDATE $thread SET step = $s.step + 1, status = $s.moved.status, node = $s.moved.node,
        ask = $s.moved.ask, error = $s.moved.error, updated_at = time::now(),
        finished_at = IF $s.moved.status IN ['DONE', 'FAILED'] { time::now() } ELSE { NONE }
        RETURN NONE;
    IF $s.moved.status IN ['DONE', 'FAILED'] {
        DELETE agent_checkpoint WHERE thread = $s.thread AND step <= $s.step + 1 - $s.keep
            RETURN NONE;
    };
";

fn bind_step<'r, C: surrealdb::Connection>(
    query: surrealdb::method::Query<'r, C>,
    write: &StepWrite,
) -> surrealdb::method::Query<'r, C> {
    let query = write
        .effects
        .iter()
        .enumerate()
        .fold(query, |query, (index, effect)| effect.bind(index, query));
    query
        .bind((
            "s",
            StepBinding {
                thread: write.thread.clone(),
                step: write.step,
                from: write.from.clone(),
                checkpoint: write.checkpoint.clone(),
                moved: write.moved.clone(),
                keep: write.keep.max(1),
            },
        ))
        .bind(("items", write.items.clone()))
}

/// Writes one step of a thread outside a queue item (an answer, a restart).
pub async fn write_step(db: &Db, write: &StepWrite) -> DbResult<()> {
    let query = db.query(format!(
        "BEGIN TRANSACTION;{STEP}{}{ENQUEUE}COMMIT TRANSACTION;",
        effect_statements(&write.effects)
    ));
    checked(bind_step(query, write).await?)?;
    Ok(())
}

/// Writes a node's step and completes its queue item (`done`) in one transaction: the step
/// is saved exactly when the item is done (`LEASE_LOST` if another worker has it now).
pub async fn commit_step(db: &Db, done: &Completion, write: &StepWrite) -> DbResult<()> {
    let query = db.query(format!(
        "BEGIN TRANSACTION;{COMPLETE}{STEP}{}{ENQUEUE}COMMIT TRANSACTION;",
        effect_statements(&write.effects)
    ));
    checked(done.bind(bind_step(query, write)).await?)?;
    Ok(())
}

const SELECT_THREAD: &str = "SELECT record::id(id) AS id, workflow, merchant, started_by, status,
    step, node, ask, error, created_at, updated_at, finished_at";

/// A thread.
pub async fn thread(db: &Db, id: &str) -> DbResult<Option<ThreadRow>> {
    let response = db
        .query(format!(
            "{SELECT_THREAD} FROM ONLY type::record('agent_thread', $id)"
        ))
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// A shop's threads, the latest changed first (at most `limit`), of one status or all.
pub async fn threads(
    db: &Db,
    merchant: &str,
    status: Option<&str>,
    limit: u32,
) -> DbResult<Vec<ThreadRow>> {
    let response = db
        .query(format!(
            "{SELECT_THREAD} FROM agent_thread
                 WHERE merchant = $merchant AND ($status IS NONE OR status = $status)
                 ORDER BY updated_at DESC LIMIT $limit"
        ))
        .bind(("merchant", merchant.to_owned()))
        .bind(("status", status.map(str::to_owned)))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

const SELECT_CHECKPOINT: &str =
    "SELECT step, node, state, version, parent, next, input, by, at FROM";

/// The thread's checkpoint at `step`.
pub async fn checkpoint(db: &Db, thread: &str, step: i64) -> DbResult<Option<CheckpointRow>> {
    let response = db
        .query(format!(
            "{SELECT_CHECKPOINT} ONLY type::record('agent_checkpoint', [$thread, $step])"
        ))
        .bind(("thread", thread.to_owned()))
        .bind(("step", step))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// The thread's checkpoints that are kept, oldest first.
pub async fn history(db: &Db, thread: &str) -> DbResult<Vec<CheckpointRow>> {
    let response = db
        .query(format!(
            "{SELECT_CHECKPOINT} agent_checkpoint WHERE thread = $thread ORDER BY step"
        ))
        .bind(("thread", thread.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Threads finished before `cutoff` (at most `limit`), the oldest first.
pub async fn finished_before(db: &Db, cutoff: DateTime<Utc>, limit: u32) -> DbResult<Vec<String>> {
    let response = db
        .query(
            "SELECT VALUE record::id(id) FROM agent_thread
                 WHERE finished_at < $cutoff ORDER BY finished_at LIMIT $limit",
        )
        .bind(("cutoff", cutoff))
        .bind(("limit", i64::from(limit)))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Deletes a finished thread and all its checkpoints.
pub async fn delete_thread(db: &Db, thread: &str) -> DbResult<()> {
    let response = db
        .query(
            "BEGIN TRANSACTION;
             DELETE agent_checkpoint WHERE thread = $thread RETURN NONE;
             DELETE type::record('agent_thread', $thread) RETURN NONE;
             COMMIT TRANSACTION;",
        )
        .bind(("thread", thread.to_owned()))
        .await?;
    checked(response)?;
    Ok(())
}

/// A provider callback that took effect, by its delivery id.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DeliveryRow {
    pub thread: String,
    pub job: String,
    /// `RESUMED` or `ALREADY`.
    pub outcome: String,
}

/// The delivery `id` if it took effect before.
pub async fn delivery(db: &Db, id: &str) -> DbResult<Option<DeliveryRow>> {
    let response = db
        .query("SELECT thread, job, outcome FROM ONLY type::record('webhook_delivery', $id)")
        .bind(("id", id.to_owned()))
        .await?;
    Ok(checked(response)?.take(0)?)
}

/// Records that delivery `id` took effect (the first record of an id stays).
pub async fn record_delivery(db: &Db, id: &str, row: &DeliveryRow) -> DbResult<()> {
    let response = db
        .query(
            "INSERT IGNORE INTO webhook_delivery {
                 id: type::record('webhook_delivery', $id),
                 thread: $row.thread, job: $row.job, outcome: $row.outcome
             } RETURN NONE",
        )
        .bind(("id", id.to_owned()))
        .bind(("row", row.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Deletes at most `limit` deliveries recorded before `cutoff`; how many went.
pub async fn purge_deliveries(db: &Db, cutoff: DateTime<Utc>, limit: u32) -> DbResult<usize> {
    let response = db
        .query(
            "LET $old = SELECT VALUE id FROM webhook_delivery
                 WHERE at < $cutoff ORDER BY at LIMIT $limit;
             DELETE $old RETURN NONE;
             RETURN array::len($old);",
        )
        .bind(("cutoff", cutoff))
        .bind(("limit", i64::from(limit)))
        .await?;
    let purged: Option<usize> = checked(response)?.take(2)?;
    Ok(purged.unwrap_or_default())
}

/// One question asked of a model, all its attempts together.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewUsage {
    pub merchant: String,
    pub thread: Option<String>,
    pub task: String,
    pub model: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub attempts: i64,
    /// ANSWERED, DEGRADED, INVALID or FAILED.
    pub outcome: String,
}

/// Records what a question cost.
pub async fn record_usage(db: &Db, usage: &NewUsage) -> DbResult<()> {
    let response = db
        .query("CREATE model_usage CONTENT $u RETURN NONE")
        .bind(("u", usage.clone()))
        .await?;
    checked(response)?;
    Ok(())
}

/// Questions and tokens together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct UsageTotal {
    pub questions: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

const SUM_USAGE: &str = "
    LET $rows = SELECT prompt_tokens, completion_tokens FROM model_usage WHERE {where};
    RETURN {
        questions: array::len($rows),
        prompt_tokens: math::sum($rows.map(|$r| $r.prompt_tokens)),
        completion_tokens: math::sum($rows.map(|$r| $r.completion_tokens))
    };";

/// What a thread's questions cost.
pub async fn thread_usage(db: &Db, thread: &str) -> DbResult<UsageTotal> {
    let response = db
        .query(SUM_USAGE.replace("{where}", "thread = $thread"))
        .bind(("thread", thread.to_owned()))
        .await?;
    Ok(checked(response)?
        .take::<Option<UsageTotal>>(1)?
        .unwrap_or_default())
}

/// What each of `threads`' questions cost (a thread that asked nothing is left out).
pub async fn threads_usage(db: &Db, threads: &[String]) -> DbResult<BTreeMap<String, UsageTotal>> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        thread: String,
        questions: i64,
        prompt_tokens: i64,
        completion_tokens: i64,
    }
    if threads.is_empty() {
        return Ok(BTreeMap::new());
    }
    let response = db
        .query(
            "SELECT thread, count() AS questions, math::sum(prompt_tokens) AS prompt_tokens,
                 math::sum(completion_tokens) AS completion_tokens
             FROM model_usage WHERE thread IN $threads GROUP BY thread",
        )
        .bind(("threads", threads.to_vec()))
        .await?;
    let rows: Vec<Row> = checked(response)?.take(0)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let total = UsageTotal {
                questions: row.questions,
                prompt_tokens: row.prompt_tokens,
                completion_tokens: row.completion_tokens,
            };
            (row.thread, total)
        })
        .collect())
}

/// What a merchant's questions cost since `since`.
pub async fn merchant_usage(db: &Db, merchant: &str, since: DateTime<Utc>) -> DbResult<UsageTotal> {
    let response = db
        .query(SUM_USAGE.replace("{where}", "merchant = $merchant AND at >= $since"))
        .bind(("merchant", merchant.to_owned()))
        .bind(("since", since))
        .await?;
    Ok(checked(response)?
        .take::<Option<UsageTotal>>(1)?
        .unwrap_or_default())
}
