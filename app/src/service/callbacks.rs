//! Provider callbacks (`POST /api/agent/webhook`): an outside provider tells a thread that
//! waits for one of its jobs (an image being drawn) that the job ended, and the thread
//! goes on. Signed as Standard Webhooks specify — an HMAC-SHA256 of
//! `webhook-id.webhook-timestamp.body` under the shared secret, refused outside five
//! minutes of its timestamp ([`Webhooks::verify`]). Replay-safe twice over: a delivery that
//! took effect is recorded by its id, and a replay of it is acknowledged without effect;
//! and a thread takes one answer per interrupt, so the same job's callback under another id
//! (or ten at once) resumes it once ([`deliver`]).

use std::sync::Arc;

use crate::domain::callbacks::{Callback, Mismatch, ProviderAnswer};
use crate::error::AppError;
use crate::model::agent::{DeliveryOutcome, Receipt};
use crate::state::AppState;

/// Verifies callbacks with the secret shared with the providers. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks(Arc<standardwebhooks::Webhook>);

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Webhooks(<secret>)")
    }
}

/// A callback whose signature verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The sender's id of this delivery (`webhook-id`): the same on a retry.
    pub id: String,
    pub callback: Callback,
}

impl Webhooks {
    /// With `secret` as Standard Webhooks write it (`whsec_` and base64, or base64): at
    /// least 24 bytes, as the specification asks.
    pub fn new(secret: &str) -> Result<Self, String> {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
            .map_err(|e| format!("the webhook secret is not base64: {e}"))?;
        if key.len() < 24 {
            return Err(format!(
                "the webhook secret is {} bytes; it needs at least 24",
                key.len()
            ));
        }
        standardwebhooks::Webhook::from_bytes(key)
            .map(|webhook| Self(Arc::new(webhook)))
            .map_err(|e| format!("the webhook secret does not read: {e}"))
    }

    /// The delivery `body` with its `headers`, if signed with our secret within five
    /// minutes; its body read as a [`Callback`].
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<Delivery, AppError> {
        self.0
            .verify(body, headers)
            .map_err(|e| AppError::WebhookRefused(e.to_string()))?;
        let id = headers
            .get(standardwebhooks::HEADER_WEBHOOK_ID)
            .and_then(|id| id.to_str().ok())
            .filter(|id| (1..=128).contains(&id.len()))
            .ok_or_else(|| AppError::WebhookRefused("webhook-id is missing or too long".into()))?;
        let callback = serde_json::from_slice(body)
            .map_err(|e| AppError::Invalid(format!("the callback does not read: {e}")))?;
        Ok(Delivery {
            id: id.to_owned(),
            callback,
        })
    }

    /// Signs `body` as delivery `id` at `timestamp` (seconds): the `webhook-signature`
    /// header a provider sends (stand-in providers and tests).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<String, AppError> {
        self.0
            .sign(id, timestamp, body)
            .map_err(|e| AppError::Internal(format!("cannot sign: {e}")))
    }
}

/// Verifies a delivery with the process's secret; without one, the endpoint is not there.
pub fn verify(
    state: &AppState,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Delivery, AppError> {
    // Unsigned is refused as such, configured or not (what a client must fix first).
    for name in [
        standardwebhooks::HEADER_WEBHOOK_ID,
        standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
        standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
    ] {
        if !headers.contains_key(name) {
            return Err(AppError::WebhookRefused(format!("{name} is missing")));
        }
    }
    state
        .webhooks
        .as_ref()
        .ok_or_else(|| AppError::NotFound("provider callbacks are not configured".into()))?
        .verify(headers, body)
}

/// Resumes the thread a verified callback is about with the job's outcome — once, however
/// often and under whatever ids it is delivered.
pub async fn deliver(state: &AppState, delivery: Delivery) -> Result<Receipt, AppError> {
    let Delivery { id, callback } = delivery;
    let thread_id = callback.data.thread_id.to_string();
    let receipt = |outcome| Receipt {
        delivery: id.clone(),
        thread_id: thread_id.clone(),
        outcome,
    };
    if db::agent::delivery(&state.db, &id).await?.is_some() {
        return Ok(receipt(DeliveryOutcome::Duplicate));
    }
    let outcome = match resume(state, &thread_id, &callback).await {
        Ok(()) => DeliveryOutcome::Resumed,
        // Another delivery of this job got there first.
        Err(err) => match taken_before(state, &thread_id, &callback).await? {
            true => DeliveryOutcome::Already,
            false => return Err(err),
        },
    };
    let row = db::agent::DeliveryRow {
        thread: thread_id.clone(),
        job: callback.data.job.to_string(),
        outcome: outcome.as_str().to_owned(),
    };
    db::agent::record_delivery(&state.db, &id, &row).await?;
    tracing::info!(delivery = %id, thread = %thread_id, job = %callback.data.job,
        outcome = outcome.as_str(), "provider callback");
    Ok(receipt(outcome))
}

async fn resume(state: &AppState, thread_id: &str, callback: &Callback) -> Result<(), AppError> {
    let thread = state
        .agent
        .thread(thread_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("thread {thread_id}")))?;
    if thread.status != agent::Status::Waiting.to_string() {
        return Err(AppError::Conflict(format!(
            "thread {thread_id} waits for nothing (it is {})",
            thread.status.to_lowercase()
        )));
    }
    let (awaiting, answer) =
        callback
            .answer(&thread.ask.unwrap_or_default())
            .map_err(|mismatch| match mismatch {
                Mismatch::Unexplained => AppError::Invalid(mismatch.to_string()),
                Mismatch::NotAwaiting | Mismatch::OtherJob { .. } => {
                    AppError::Conflict(format!("thread {thread_id}: {mismatch}"))
                }
            })?;
    let answer = serde_json::to_value(&answer)
        .map_err(|e| AppError::Internal(format!("cannot write an answer: {e}")))?;
    state
        .agent
        .resume(state, thread_id, answer, Some(&awaiting.by()))
        .await?;
    Ok(())
}

/// Whether the thread already took this job's callback (its history holds the resume).
async fn taken_before(
    state: &AppState,
    thread_id: &str,
    callback: &Callback,
) -> Result<bool, AppError> {
    let history = match state.agent.history(thread_id).await {
        Ok(history) => history,
        Err(agent::Error::UnknownThread(_)) => return Ok(false),
        Err(err) => return Err(err.into()),
    };
    Ok(history.iter().any(|checkpoint| {
        ProviderAnswer::answers(
            checkpoint.by.as_deref(),
            checkpoint.input.as_ref(),
            &callback.data.job,
        )
    }))
}
