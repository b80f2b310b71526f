//! Liveness and readiness probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use app::error::{AppError, ErrorCode, Problem};
use app::state::AppState;

#[derive(Debug, Serialize)]
pub struct Live {
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Ready {
    pub status: &'static str,
    pub engine: &'static str,
    pub schema_version: u32,
}

/// `GET /healthz`: the process is up and serving HTTP (no dependency is checked, so a slow
/// database never gets a healthy process restarted).
pub async fn healthz() -> Json<Live> {
    Json(Live { status: "ok" })
}

/// `GET /readyz`: the database answers and its schema is the one this build expects; 503 with
/// a problem document otherwise, so a balancer sends no traffic here yet.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match db::health::check(&state.db).await {
        Ok(health) if health.is_current() => Json(Ready {
            status: "ready",
            engine: state.engine.label(),
            schema_version: health.schema_version,
        })
        .into_response(),
        Ok(health) => Problem::new(
            ErrorCode::DatabaseUnavailable,
            format!(
                "schema version {} found, {} expected",
                health.schema_version, health.expected_version
            ),
        )
        .into_response(),
        Err(err) => AppError::from(err).into_response(),
    }
}
