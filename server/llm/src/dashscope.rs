//! An image model that works asynchronously: Alibaba Cloud Model Studio's (DashScope)
//! text-to-image API (通义万相 `wanx2.1-t2i-turbo`, `wan2.2-t2i-flash`…). A task is
//! submitted (`X-DashScope-Async: enable`), polled at `/api/v1/tasks/{id}` until it
//! succeeds or fails, and its pictures are fetched from the links it answers with.

use futures::future::BoxFuture;
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::json;

use crate::chat::CallError;
use crate::images::{Drawn, ImageEndpoint, ImageModel, ImageRequest, fetch, gather, unsent};

/// DashScope's asynchronous text-to-image API.
#[derive(Debug)]
pub struct DashScopeImages {
    http: reqwest::Client,
    endpoint: ImageEndpoint,
}

/// A task's state as DashScope reports it.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum TaskStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceled,
    /// The task expired (24 hours) or never existed.
    Unknown,
}

#[derive(Debug, Deserialize)]
struct TaskAnswer {
    output: TaskOutput,
}

#[derive(Debug, Deserialize)]
struct TaskOutput {
    task_id: String,
    task_status: TaskStatus,
    /// One per picture asked: a link, or why that picture failed.
    #[serde(default)]
    results: Vec<TaskResult>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TaskResult {
    #[serde(default)]
    url: Option<String>,
}

/// An error answer: `{"code": "...", "message": "...", "request_id": "..."}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorAnswer {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The largest seed DashScope takes.
const MAX_SEED: u64 = 2_147_483_647;

impl DashScopeImages {
    pub fn new(endpoint: ImageEndpoint) -> Result<Self, CallError> {
        let http = reqwest::Client::builder()
            .timeout(endpoint.timeout)
            .build()
            .map_err(|e| CallError::Transport(e.to_string()))?;
        Ok(Self { http, endpoint })
    }

    async fn call(&self, request: &ImageRequest) -> Result<Drawn, CallError> {
        gather(request.count, &self.endpoint, |missing| {
            self.once(request, missing)
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint.base_url.trim_end_matches('/'))
    }

    /// One task for `count` pictures: submitted, polled to its end, its pictures fetched
    /// (a picture the task failed is left out: the caller asks again for it).
    async fn once(&self, request: &ImageRequest, count: u32) -> Result<Vec<Vec<u8>>, CallError> {
        let body = json!({
            "model": self.endpoint.model,
            "input": {"prompt": request.prompt},
            "parameters": {
                "size": format!("{0}*{0}", request.size),
                "n": count,
                "seed": request.seed % (MAX_SEED + 1),
            }
        });
        let submitted: TaskAnswer = self
            .send(
                self.http
                    .post(self.url("/api/v1/services/aigc/text2image/image-synthesis"))
                    .header("X-DashScope-Async", "enable")
                    .header("Content-Type", "application/json")
                    .body(body.to_string()),
            )
            .await?;
        let mut task = submitted.output;
        let path = format!("/api/v1/tasks/{}", task.task_id);
        while matches!(task.task_status, TaskStatus::Pending | TaskStatus::Running) {
            tokio::time::sleep(self.endpoint.poll_every).await;
            let polled: TaskAnswer = self.send(self.http.get(self.url(&path))).await?;
            task = polled.output;
        }
        match task.task_status {
            TaskStatus::Succeeded => {}
            status => {
                let why = format!(
                    "task {} ended {status:?}: {} {}",
                    task.task_id,
                    task.code.unwrap_or_default(),
                    task.message.unwrap_or_default()
                );
                // A task the provider failed is its outage (worth another task later); one
                // it refused for its content is the request's (`DataInspectionFailed`…).
                return Err(
                    if status == TaskStatus::Failed && is_content_refusal(&why) {
                        CallError::Refused {
                            status: 400,
                            message: why,
                        }
                    } else {
                        CallError::Unavailable(why)
                    },
                );
            }
        }
        let mut pictures = Vec::new();
        for link in task
            .results
            .iter()
            .filter_map(|result| result.url.as_deref())
        {
            pictures.push(fetch(&self.http, link).await?);
        }
        Ok(pictures)
    }

    /// Sends a request with the key and reads its JSON answer; an error status is classed
    /// as the chat adapter classes it.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, CallError> {
        let answer = request
            .header(
                "Authorization",
                format!("Bearer {}", self.endpoint.api_key.expose_secret()),
            )
            .send()
            .await
            .map_err(unsent)?;
        let status = answer.status();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?;
        if status.as_u16() == 429 {
            return Err(CallError::RateLimited);
        }
        if status.is_server_error() {
            return Err(CallError::Server {
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            let error: ErrorAnswer = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(CallError::Refused {
                status: status.as_u16(),
                message: format!(
                    "{} {}",
                    error.code.unwrap_or_default(),
                    error.message.unwrap_or_default()
                ),
            });
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Malformed(format!("a task answer: {e}")))
    }
}

/// Whether a failed task's reason is the provider refusing the prompt's content.
fn is_content_refusal(why: &str) -> bool {
    why.contains("DataInspection") || why.contains("IPInfringement")
}

impl ImageModel for DashScopeImages {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>> {
        Box::pin(self.call(request))
    }
}
