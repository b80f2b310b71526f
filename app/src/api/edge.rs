//! The edge of every server function: who is calling, may they, and was this request seen
//! before (Idempotency-Key). Server-side only.

use std::future::Future;

use http::request::Parts;
use leptos::prelude::use_context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::auth::{AuthError, Permission, Principal};
use crate::error::{AppError, ErrorCode, Problem};
use crate::state::{AppState, app_state};

/// How long a response is kept for replays.
const KEEP_HOURS: i64 = 24;
/// After this long, an unfinished request with a key counts as abandoned.
const LEASE_SECONDS: i64 = 60;

/// An authenticated request.
pub struct Call {
    pub state: AppState,
    pub principal: Principal,
    parts: Parts,
}

/// A member of staff acting at their merchant.
#[derive(Clone, Debug)]
pub struct StaffCaller {
    pub merchant_id: String,
    pub staff_id: String,
}

/// Reads and verifies the bearer token of the current request.
pub fn authenticated() -> Result<Call, AppError> {
    let state = app_state()?;
    let parts =
        use_context::<Parts>().ok_or_else(|| AppError::Internal("no request parts".into()))?;
    let token = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(AuthError::Missing)?;
    let principal = state.tokens.verify(token.trim())?;
    Ok(Call {
        state,
        principal,
        parts,
    })
}

impl Call {
    /// The caller as staff holding `permission`, else 403.
    pub fn staff(&self, permission: Permission) -> Result<StaffCaller, AppError> {
        match &self.principal {
            Principal::Staff {
                staff_id,
                merchant_id,
                ..
            } if self.principal.can(permission) => Ok(StaffCaller {
                merchant_id: merchant_id.clone(),
                staff_id: staff_id.clone(),
            }),
            _ => Err(AppError::Forbidden(
                format!("{permission:?}").to_lowercase(),
            )),
        }
    }

    /// The caller as a diner, else 403.
    pub fn diner(&self) -> Result<String, AppError> {
        match &self.principal {
            Principal::Diner { uid } => Ok(uid.clone()),
            Principal::Staff { .. } => Err(AppError::Forbidden("act as a diner".into())),
        }
    }

    /// Runs `operation` at most once per Idempotency-Key (and caller and endpoint): a retry
    /// with the same key and body gets the first answer again; a different body is 422; a
    /// retry while the first still runs is 409; no key is 400. Failures a retry may fix
    /// (5xx) are not remembered.
    pub async fn idempotent<A, T, F, Fut>(
        &self,
        endpoint: &str,
        args: &A,
        operation: F,
    ) -> Result<T, Problem>
    where
        A: Serialize,
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let key = self
            .parts
            .headers
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|key| !key.is_empty() && key.len() <= 200)
            .ok_or_else(|| {
                reply(Problem::new(
                    ErrorCode::IdempotencyKeyRequired,
                    "Send an Idempotency-Key header (e.g. a UUID) with this request.",
                ))
            })?;
        let scope = format!("{}|{endpoint}", self.principal.subject());
        let body = serde_json::to_vec(args)
            .map_err(|e| Problem::from(AppError::Internal(e.to_string())))?;
        let hash = hex::encode(Sha256::digest(&body));
        let db = &self.state.db;
        match db::idempotency::claim(db, &scope, key, &hash, KEEP_HOURS, LEASE_SECONDS)
            .await
            .map_err(|e| Problem::from(AppError::from(e)))?
        {
            db::idempotency::Claim::Mismatch => Err(reply(Problem::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used for a different request.",
            ))),
            db::idempotency::Claim::InFlight => Err(reply(Problem::new(
                ErrorCode::IdempotencyInFlight,
                "A request with this Idempotency-Key is still running.",
            ))),
            db::idempotency::Claim::Replay { status, body } => replay(status, &body),
            db::idempotency::Claim::Fresh => {
                let outcome = operation().await;
                self.remember(&scope, key, &outcome).await;
                outcome.map_err(Problem::from)
            }
        }
    }

    async fn remember<T: Serialize>(&self, scope: &str, key: &str, outcome: &Result<T, AppError>) {
        let db = &self.state.db;
        let stored = match outcome {
            Ok(value) => serde_json::to_string(value).map(|body| (200, body)),
            Err(err) => {
                let problem = err.to_problem();
                if problem.status >= 500 {
                    if let Err(e) = db::idempotency::release(db, scope, key).await {
                        tracing::warn!(error = %e, "could not release an idempotency key");
                    }
                    return;
                }
                serde_json::to_string(&problem).map(|body| (problem.status, body))
            }
        };
        let result = match stored {
            Ok((status, body)) => db::idempotency::complete(db, scope, key, status, &body).await,
            Err(e) => {
                tracing::error!(error = %e, "could not serialise a response to remember");
                db::idempotency::release(db, scope, key).await
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "could not store an idempotent response");
        }
    }
}

fn replay<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, Problem> {
    if status < 400 {
        serde_json::from_str(body).map_err(|e| Problem::from(AppError::Internal(e.to_string())))
    } else {
        let problem: Problem = serde_json::from_str(body)
            .map_err(|e| Problem::from(AppError::Internal(e.to_string())))?;
        Err(reply(problem))
    }
}

/// A problem answered as is (status and media type set on the response).
fn reply(problem: Problem) -> Problem {
    crate::error::set_response_status(&problem);
    problem
}

/// The merchant a diner names must exist (a typo should not silently create a wallet).
pub async fn known_merchant(state: &AppState, merchant_id: &str) -> Result<(), AppError> {
    db::merchant::timezone(&state.db, merchant_id)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::NotFound(format!("merchant {merchant_id}")))
}
