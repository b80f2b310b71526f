//! The asynchronous image adapter's real client path against a local stand-in that speaks
//! DashScope's text-to-image task API: a task submitted with `X-DashScope-Async: enable`,
//! polled at `/api/v1/tasks/{id}` through PENDING and RUNNING to its end, its pictures
//! fetched from the links it answers with; a task that fails a picture, that fails for its
//! content or for the provider, that never ends, and a submit that errs.

mod support;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use llm::{CallError, ImageEndpoint, ImageModel, ImageProtocol, ImageRequest};
use serde_json::{Value, json};

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// How a task submitted next goes.
#[derive(Clone, Debug)]
enum Task {
    /// Polled this many times while working, then succeeds with the pictures asked (of
    /// which the first `failed` fail).
    Succeeds { polls: usize, failed: usize },
    /// Polled once, then fails with this code.
    Fails(&'static str),
    /// Keeps running.
    Endless,
    /// The submit answers this status.
    Status(u16),
}

#[derive(Default)]
struct Seen {
    script: VecDeque<Task>,
    submits: Vec<(HeaderMap, Value)>,
    /// Each task's plan and the polls it has had.
    tasks: BTreeMap<String, (Task, usize, usize)>,
    polls: usize,
    files: Vec<Vec<u8>>,
}

type Shared = support::Shared<Seen>;

fn picture(number: usize) -> Vec<u8> {
    artist::Renderer::from_file(std::path::Path::new(FONT))
        .expect("font")
        .draw(&artist::Sketch {
            prompt: "stand-in",
            title: "回锅肉",
            seed: u64::try_from(number).expect("small"),
            size: 64,
        })
        .expect("drawn")
        .png
}

async fn submit(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut seen = seen.lock().expect("lock");
    seen.submits.push((headers.clone(), body.clone()));
    if headers
        .get("x-dashscope-async")
        .and_then(|v| v.to_str().ok())
        != Some("enable")
    {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"code": "AccessDenied", "message": "current user api does not support synchronous calls"})),
        )
            .into_response();
    }
    let task = seen.script.pop_front().unwrap_or(Task::Status(500));
    if let Task::Status(status) = task {
        return (
            StatusCode::from_u16(status).expect("status"),
            Json(json!({"code": "InternalError", "message": "busy", "request_id": "r"})),
        )
            .into_response();
    }
    let asked = body
        .pointer("/parameters/n")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1);
    let id = format!("task-{}", seen.submits.len());
    seen.tasks.insert(id.clone(), (task, 0, asked));
    Json(json!({"output": {"task_status": "PENDING", "task_id": id}, "request_id": "r1"}))
        .into_response()
}

async fn poll(State(seen): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut seen = seen.lock().expect("lock");
    seen.polls += 1;
    assert_eq!(
        headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer sk-wanx"),
        "each poll is signed"
    );
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Some((task, polls, asked)) = seen.tasks.get_mut(&id).map(|entry| {
        entry.1 += 1;
        entry.clone()
    }) else {
        return Json(json!({"output": {"task_id": id, "task_status": "UNKNOWN"}})).into_response();
    };
    let status = |status: &str| json!({"output": {"task_id": id, "task_status": status}});
    let answer = match task {
        Task::Endless => status("RUNNING"),
        Task::Succeeds { polls: working, .. } if polls <= working => {
            status(if polls == 1 { "PENDING" } else { "RUNNING" })
        }
        Task::Succeeds { failed, .. } => {
            let mut results = Vec::new();
            for i in 0..asked {
                if i < failed {
                    results.push(json!({"code": "InternalError", "message": "one failed"}));
                } else {
                    let number = seen.files.len();
                    seen.files.push(picture(number));
                    results.push(json!({"url": format!("http://{host}/files/{number}")}));
                }
            }
            json!({"output": {"task_id": id, "task_status": "SUCCEEDED", "results": results,
                "task_metrics": {"TOTAL": asked, "SUCCEEDED": asked - failed, "FAILED": failed}},
                "usage": {"image_count": asked - failed}})
        }
        Task::Fails(code) => json!({"output": {"task_id": id, "task_status": "FAILED",
            "code": code, "message": "the task failed"}}),
        Task::Status(_) => status("UNKNOWN"),
    };
    Json(answer).into_response()
}

async fn file(State(seen): State<Shared>, Path(index): Path<usize>) -> Response {
    match seen.lock().expect("lock").files.get(index).cloned() {
        Some(png) => ([("content-type", "image/png")], png).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

struct StandIn {
    seen: Shared,
    address: SocketAddr,
}

impl StandIn {
    async fn start(script: Vec<Task>) -> Self {
        let (seen, address) = support::serve(
            Seen {
                script: script.into(),
                ..Seen::default()
            },
            axum::Router::new()
                .route(
                    "/api/v1/services/aigc/text2image/image-synthesis",
                    post(submit),
                )
                .route("/api/v1/tasks/{id}", get(poll))
                .route("/files/{index}", get(file)),
        )
        .await;
        Self { seen, address }
    }

    fn model(&self) -> Arc<dyn ImageModel> {
        ImageEndpoint {
            base_url: format!("http://{}", self.address),
            api_key: "sk-wanx".into(),
            model: "wanx2.1-t2i-turbo".into(),
            timeout: Duration::from_millis(800),
            protocol: ImageProtocol::DashScope,
            poll_every: Duration::from_millis(20),
        }
        .model()
        .expect("client")
    }

    fn submits(&self) -> Vec<Value> {
        let seen = self.seen.lock().expect("lock");
        seen.submits.iter().map(|(_, body)| body.clone()).collect()
    }

    fn polls(&self) -> usize {
        self.seen.lock().expect("lock").polls
    }
}

fn request(count: u32) -> ImageRequest {
    ImageRequest {
        merchant: "m1".into(),
        prompt: "回锅肉, isometric, 3D render, clay texture".into(),
        title: "回锅肉".into(),
        size: 1024,
        count,
        seed: 7,
    }
}

#[tokio::test]
async fn a_task_is_submitted_polled_to_its_end_and_its_pictures_fetched() {
    let stand_in = StandIn::start(vec![Task::Succeeds {
        polls: 2,
        failed: 0,
    }])
    .await;
    let drawn = stand_in.model().draw(&request(4)).await.expect("drawn");
    assert_eq!(drawn.model, "wanx2.1-t2i-turbo");
    assert_eq!(drawn.pictures.len(), 4);
    for png in &drawn.pictures {
        assert!(png.starts_with(b"\x89PNG"));
    }
    let [body] = stand_in.submits().try_into().expect("one task");
    assert_eq!(body.pointer("/model"), Some(&json!("wanx2.1-t2i-turbo")));
    assert_eq!(
        body.pointer("/input/prompt"),
        Some(&json!("回锅肉, isometric, 3D render, clay texture"))
    );
    assert_eq!(body.pointer("/parameters/size"), Some(&json!("1024*1024")));
    assert_eq!(body.pointer("/parameters/n"), Some(&json!(4)));
    assert_eq!(stand_in.polls(), 3, "PENDING, RUNNING, then SUCCEEDED");
}

#[tokio::test]
async fn pictures_a_task_failed_are_asked_of_another_task() {
    let stand_in = StandIn::start(vec![
        Task::Succeeds {
            polls: 0,
            failed: 1,
        },
        Task::Succeeds {
            polls: 1,
            failed: 0,
        },
    ])
    .await;
    let drawn = stand_in.model().draw(&request(4)).await.expect("drawn");
    assert_eq!(drawn.pictures.len(), 4);
    let asked: Vec<Value> = stand_in
        .submits()
        .iter()
        .filter_map(|body| body.pointer("/parameters/n").cloned())
        .collect();
    assert_eq!(asked, [json!(4), json!(1)]);
}

#[tokio::test]
async fn a_failed_task_is_the_providers_outage_unless_it_refused_the_content() {
    let stand_in = StandIn::start(vec![
        Task::Fails("DataInspectionFailed"),
        Task::Fails("InternalError.Algo"),
    ])
    .await;
    let model = stand_in.model();
    assert!(matches!(
        model.draw(&request(4)).await,
        Err(CallError::Refused { status: 400, .. })
    ));
    assert!(matches!(
        model.draw(&request(4)).await,
        Err(CallError::Unavailable(why)) if why.contains("InternalError.Algo")
    ));
}

#[tokio::test]
async fn a_task_that_never_ends_times_out_and_a_failing_submit_is_a_server_error() {
    let stand_in = StandIn::start(vec![Task::Endless, Task::Status(500), Task::Status(429)]).await;
    let model = stand_in.model();
    assert!(matches!(
        model.draw(&request(4)).await,
        Err(CallError::Timeout)
    ));
    assert!(stand_in.polls() > 3, "polled until the time was up");
    assert!(matches!(
        model.draw(&request(4)).await,
        Err(CallError::Server { status: 500 })
    ));
    assert!(matches!(
        model.draw(&request(4)).await,
        Err(CallError::RateLimited)
    ));
}
