//! Provider callbacks, the pure part: what a thread waiting for an outside provider's job
//! shows at its interrupt ([`Awaiting`]), what a provider's callback says ([`Callback`]),
//! and the answer it resumes the thread with ([`ProviderAnswer`]). The signature, the
//! replay window and the thread's resume are `service::callbacks`'.

use serde::{Deserialize, Serialize};

use crate::domain::checked::{JobId, ThreadId};

/// The key under which an interrupt's `ask` names the provider job it waits for.
const AWAITING: &str = "awaiting_provider";

/// How a checkpoint a provider's callback wrote names who answered: `provider:<name>`.
const BY_PROVIDER: &str = "provider:";

/// A provider job a thread waits for: a node that started the job interrupts with
/// [`Awaiting::ask`]; the job's callback resumes the thread ([`Awaiting::of`] finds it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Awaiting {
    /// Which provider (`images`, …), as the thread's resume is signed `provider:<name>`.
    pub provider: String,
    pub job: JobId,
}

impl Awaiting {
    /// The interrupt's `ask`: this job, beside what a person is shown meanwhile (`shown`,
    /// an object; anything else is dropped).
    pub fn ask(&self, shown: serde_json::Value) -> serde_json::Value {
        let mut ask = match shown {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        ask.insert(AWAITING.into(), serde_json::json!(self));
        serde_json::Value::Object(ask)
    }

    /// The job an interrupt's `ask` waits for, if it waits for one.
    pub fn of(ask: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(ask.get(AWAITING)?.clone()).ok()
    }

    /// Who resumed a thread with a callback, as its checkpoint records it.
    pub fn by(&self) -> String {
        format!("{BY_PROVIDER}{}", self.provider)
    }
}

impl ProviderAnswer {
    /// Whether a checkpoint answered `by` with `input` is a provider's answer about `job`.
    pub fn answers(by: Option<&str>, input: Option<&serde_json::Value>, job: &JobId) -> bool {
        by.is_some_and(|by| by.starts_with(BY_PROVIDER))
            && input
                .and_then(|input| input.get("job"))
                .and_then(|found| found.as_str())
                == Some(job.as_str())
    }
}

/// How a provider's job ended.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobOutcome {
    #[serde(rename = "job.succeeded")]
    Succeeded,
    #[serde(rename = "job.failed")]
    Failed,
}

/// A provider's callback (`POST /api/agent/webhook`), in the Standard Webhooks payload
/// shape: `type`, `timestamp`, `data`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    #[serde(rename = "type")]
    pub outcome: JobOutcome,
    /// When the provider says the job ended (informational: the signature's time is the
    /// one checked).
    #[serde(default)]
    pub timestamp: Option<chrono::DateTime<chrono::Utc>>,
    pub data: CallbackData,
}

/// What the callback is about.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackData {
    /// The thread that started the job (given to the provider with the job).
    pub thread_id: ThreadId,
    pub job: JobId,
    /// What the job made (a succeeded job), as the provider describes it.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub output: Option<serde_json::Map<String, serde_json::Value>>,
    /// Why it failed (a failed job), at most 500 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub error: Option<String>,
}

/// What a callback resumes its thread with: the workflow's node reads it as its input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderAnswer {
    pub provider: String,
    pub job: JobId,
    pub outcome: JobOutcome,
    #[serde(default)]
    pub output: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub error: Option<String>,
}

/// Why a callback cannot answer a thread.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("the thread waits for no provider job")]
    NotAwaiting,
    #[error("the thread waits for job {waits} of {provider}, not {came}")]
    OtherJob {
        provider: String,
        waits: String,
        came: String,
    },
    #[error("a failed job's callback says why (error, at most 500 characters)")]
    Unexplained,
}

impl Callback {
    /// The answer this callback gives a thread whose interrupt asks `ask`.
    pub fn answer(&self, ask: &serde_json::Value) -> Result<(Awaiting, ProviderAnswer), Mismatch> {
        let awaiting = Awaiting::of(ask).ok_or(Mismatch::NotAwaiting)?;
        if awaiting.job != self.data.job {
            return Err(Mismatch::OtherJob {
                provider: awaiting.provider,
                waits: awaiting.job.to_string(),
                came: self.data.job.to_string(),
            });
        }
        let error = self.data.error.clone().filter(|e| !e.trim().is_empty());
        if self.outcome == JobOutcome::Failed
            && error.as_ref().is_none_or(|e| e.chars().count() > 500)
        {
            return Err(Mismatch::Unexplained);
        }
        let answer = ProviderAnswer {
            provider: awaiting.provider.clone(),
            job: self.data.job.clone(),
            outcome: self.outcome,
            output: self.data.output.clone().unwrap_or_default(),
            error,
        };
        Ok((awaiting, answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(text: &str) -> JobId {
        text.parse().expect("a job id")
    }

    fn callback(outcome: &str, job: &str, error: Option<&str>) -> Callback {
        serde_json::from_value(json!({
            "type": outcome,
            "data": {
                "thread_id": "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
                "job": job, "output": {"url": "https://img/1.png"}, "error": error
            }
        }))
        .expect("a callback")
    }

    #[test]
    fn an_ask_keeps_what_is_shown_and_names_its_job() {
        let awaiting = Awaiting {
            provider: "images".into(),
            job: job("img-1"),
        };
        let ask = awaiting.ask(json!({"title": "正在画图"}));
        assert_eq!(ask["title"], "正在画图");
        assert_eq!(Awaiting::of(&ask), Some(awaiting.clone()));
        assert_eq!(Awaiting::of(&json!({"title": "批准吗？"})), None);
        assert_eq!(
            Awaiting::of(&awaiting.ask(json!("not an object"))),
            Some(awaiting)
        );
    }

    #[test]
    fn a_callback_answers_only_the_job_its_thread_waits_for() {
        let ask = Awaiting {
            provider: "images".into(),
            job: job("img-1"),
        }
        .ask(json!({}));
        let (awaiting, answer) = callback("job.succeeded", "img-1", None)
            .answer(&ask)
            .expect("answers");
        assert_eq!(awaiting.by(), "provider:images");
        assert_eq!(answer.output["url"], "https://img/1.png");
        assert_eq!(
            callback("job.succeeded", "img-2", None).answer(&ask),
            Err(Mismatch::OtherJob {
                provider: "images".into(),
                waits: "img-1".into(),
                came: "img-2".into()
            })
        );
        assert_eq!(
            callback("job.succeeded", "img-1", None).answer(&json!({"proposal": {}})),
            Err(Mismatch::NotAwaiting)
        );
        assert_eq!(
            callback("job.failed", "img-1", Some(" ")).answer(&ask),
            Err(Mismatch::Unexplained)
        );
        let (_, failed) = callback("job.failed", "img-1", Some("NSFW"))
            .answer(&ask)
            .expect("answers");
        assert_eq!(
            (failed.outcome, failed.error.as_deref()),
            (JobOutcome::Failed, Some("NSFW"))
        );
    }

    #[test]
    fn a_callback_with_unknown_fields_or_a_bad_job_does_not_read() {
        let extra = json!({"type": "job.succeeded", "data": {
            "thread_id": "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20", "job": "a", "run": "rm -rf"
        }});
        assert!(serde_json::from_value::<Callback>(extra).is_err());
        let bad_job = json!({"type": "job.succeeded", "data": {
            "thread_id": "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20", "job": "a b"
        }});
        assert!(serde_json::from_value::<Callback>(bad_job).is_err());
        let other_type = json!({"type": "job.started", "data": {
            "thread_id": "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20", "job": "a"
        }});
        assert!(serde_json::from_value::<Callback>(other_type).is_err());
    }
}
