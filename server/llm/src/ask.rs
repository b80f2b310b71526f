//! One question, one checked JSON answer. DeepSeek's JSON mode promises JSON, not the
//! schema, so the answer is parsed, validated against the schema and then by the caller's
//! own check (a margin, say); what is wrong goes back to the model in the conversation, a
//! bounded number of times. Nothing unchecked comes out of here.

use serde::de::DeserializeOwned;

use crate::chat::{CallError, ChatModel, ChatRequest, Message, Usage};

/// A checked answer and what it took to get it.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer<T> {
    pub value: T,
    /// The answer as the model wrote it, parsed.
    pub json: serde_json::Value,
    /// Every attempt's tokens together.
    pub usage: Usage,
    pub attempts: u32,
    pub model: String,
    pub degraded: bool,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AskError {
    #[error("{error}")]
    Call { error: CallError, usage: Usage },
    /// Every attempt's answer was broken or wrong; the last one's problems.
    #[error("no acceptable answer in {attempts} attempts: {}", problems.join("; "))]
    Invalid {
        attempts: u32,
        problems: Vec<String>,
        usage: Usage,
    },
}

impl AskError {
    pub fn usage(&self) -> Usage {
        match self {
            Self::Call { usage, .. } | Self::Invalid { usage, .. } => *usage,
        }
    }
}

/// Every way `value` breaks `schema`, each said with where it is.
pub fn schema_problems(schema: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
    schema
        .iter_errors(value)
        .map(|error| {
            let at = error.instance_path().to_string();
            if at.is_empty() {
                error.to_string()
            } else {
                format!("{at}: {error}")
            }
        })
        .collect()
}

/// Asks `model` until an answer parses, fits `schema` and passes `check` (which lists what
/// is wrong, nothing when it is right), at most `attempts` times.
pub async fn ask_json<T, F>(
    model: &dyn ChatModel,
    mut request: ChatRequest,
    schema: &jsonschema::Validator,
    attempts: u32,
    check: F,
) -> Result<Answer<T>, AskError>
where
    T: DeserializeOwned,
    F: Fn(&T) -> Vec<String>,
{
    let mut usage = Usage::default();
    let mut problems = Vec::new();
    for attempt in 1..=attempts.max(1) {
        request.attempt = attempt;
        let reply = model
            .chat(&request)
            .await
            .map_err(|error| AskError::Call { error, usage })?;
        usage = usage + reply.usage;
        problems = match read(&reply.content, schema) {
            Ok((json, value)) => {
                let wrong = check(&value);
                if wrong.is_empty() {
                    return Ok(Answer {
                        value,
                        json,
                        usage,
                        attempts: attempt,
                        model: reply.model,
                        degraded: reply.degraded,
                    });
                }
                wrong
            }
            Err(wrong) => wrong,
        };
        tracing::info!(task = %request.task, attempt, problems = ?problems, "model answer refused");
        request.messages.push(Message::assistant(reply.content));
        request.messages.push(Message::user(format!(
            "That answer cannot be used:\n- {}\nAnswer again with one JSON object that fixes all of this.",
            problems.join("\n- ")
        )));
    }
    Err(AskError::Invalid {
        attempts: attempts.max(1),
        problems,
        usage,
    })
}

fn read<T: DeserializeOwned>(
    content: &str,
    schema: &jsonschema::Validator,
) -> Result<(serde_json::Value, T), Vec<String>> {
    let json: serde_json::Value = serde_json::from_str(unfenced(content))
        .map_err(|e| vec![format!("the answer is not JSON: {e}")])?;
    let problems = schema_problems(schema, &json);
    if !problems.is_empty() {
        return Err(problems);
    }
    // The schema is generated from `T`, so this fails only where the schema is looser.
    let value = T::deserialize(&json).map_err(|e| vec![e.to_string()])?;
    Ok((json, value))
}

/// Models sometimes wrap JSON in a Markdown fence even in JSON mode.
fn unfenced(content: &str) -> &str {
    let trimmed = content.trim();
    trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .map_or(trimmed, str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_taken_off_and_bare_json_is_left_alone() {
        assert_eq!(unfenced("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(unfenced("```\n{}\n```"), "{}");
        assert_eq!(unfenced("  {\"a\":1} "), "{\"a\":1}");
        assert_eq!(unfenced("```json {"), "```json {");
    }
}
