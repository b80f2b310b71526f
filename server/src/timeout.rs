//! The request time limit. A request still running after it is answered 503 `TIMEOUT` as a
//! problem document, and its work is dropped — with the database call it waits on and the
//! per-record lock it holds — so a stalled database cannot pin a lock slot for ever. A
//! money request cut this way may or may not have committed: the client retries with the
//! same Idempotency-Key and gets the first answer if it did.

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use app::error::{ErrorCode, Problem};

/// `router`'s routes (and fallback) so far, each limited to `after`. Routes added later
/// are not: the WebSocket goes there, since its session must outlive any limit.
pub fn limited<S>(router: Router<S>, after: Duration) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(from_fn_with_state(after, within))
}

async fn within(State(after): State<Duration>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(after, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(path, limit = ?after, "request timed out");
            Problem::new(
                ErrorCode::Timeout,
                "The request took too long and was stopped. Please retry.",
            )
            .into_response()
        }
    }
}
