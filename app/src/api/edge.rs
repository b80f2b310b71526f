//! The edge of every server function: who is calling, may they, and was this request seen
//! before (Idempotency-Key). Server-side only.

use std::future::Future;

use http::request::Parts;
use leptos::prelude::use_context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use db::idempotency::{Prior, Request};

use crate::auth::{AuthError, Permission, Principal};
use crate::error::{AppError, ErrorCode, Problem};
use crate::state::{AppState, app_state};

/// An authenticated request.
pub struct Call {
    pub state: AppState,
    pub principal: Principal,
    /// The caller's server-side session.
    pub session: String,
    parts: Parts,
}

/// A member of staff acting at their merchant.
#[derive(Clone, Debug)]
pub struct StaffCaller {
    pub merchant_id: String,
    pub staff_id: String,
}

/// The caller the gate authenticated for this request (bearer header for apps, else the
/// console's session cookie; token and session checked before the body was read).
pub fn authenticated() -> Result<Call, AppError> {
    let state = app_state()?;
    let parts =
        use_context::<Parts>().ok_or_else(|| AppError::Internal("no request parts".into()))?;
    let caller = crate::api::gate::caller_of(&parts.extensions)
        .cloned()
        .ok_or(AuthError::Missing)?;
    Ok(Call {
        state,
        principal: caller.principal,
        session: caller.session,
        parts,
    })
}

/// The client's address as the gate read it (login lock-outs count per address).
pub fn client_addr() -> crate::auth::throttle::ClientAddr {
    use_context::<Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<crate::auth::throttle::ClientAddr>()
                .copied()
        })
        .unwrap_or(crate::auth::throttle::ClientAddr(None))
}

/// `principal` as staff holding `permission`, else 403 (routes outside server functions).
pub fn staff_of(principal: &Principal, permission: Permission) -> Result<StaffCaller, AppError> {
    match principal {
        Principal::Staff {
            staff_id,
            merchant_id,
            ..
        } if principal.can(permission) => Ok(StaffCaller {
            merchant_id: merchant_id.clone(),
            staff_id: staff_id.clone(),
        }),
        _ => Err(AppError::Forbidden(
            format!("{permission:?}").to_lowercase(),
        )),
    }
}

impl Call {
    /// The caller as staff holding `permission`, else 403.
    pub fn staff(&self, permission: Permission) -> Result<StaffCaller, AppError> {
        staff_of(&self.principal, permission)
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
    ///
    /// `operation` gets the [`Request`] and must store its answer in its own transaction
    /// (the service layer does); refusals (4xx) are stored here.
    pub async fn idempotent<A, T, F, Fut>(
        &self,
        endpoint: &str,
        args: &A,
        operation: F,
    ) -> Result<T, Problem>
    where
        A: Serialize,
        T: Serialize + DeserializeOwned,
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let key = self.idempotency_header();
        self.idempotent_with_key(key.as_deref(), endpoint, args, operation)
            .await
    }

    /// Where this caller's Idempotency-Keys for `endpoint` live.
    pub fn scope(&self, endpoint: &str) -> String {
        format!("{}|{endpoint}", self.principal.subject())
    }

    /// The stored answer to this caller's request with `key` at `endpoint`, if any: the
    /// reply (`Ok`) or the refusal (`Err`), as it was given.
    pub async fn answer_of<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        key: &str,
    ) -> Result<Option<Result<T, Problem>>, AppError> {
        db::idempotency::find(&self.state.db, &self.scope(endpoint), key)
            .await?
            .map(|prior| stored_reply(&prior))
            .transpose()
    }

    /// Whether the request is a POST: a server function called at its own address, not one
    /// called while a page (a GET) is rendered on the server.
    pub fn posted(&self) -> bool {
        self.parts.method == http::Method::POST
    }

    /// Whether this is a plain form post from a page without JavaScript (it wants HTML
    /// back), rather than a call from the page's script or an app. A page being rendered
    /// on the server calls server functions too, with the page's GET: that is no form post.
    pub fn from_plain_form(&self) -> bool {
        self.posted()
            && self
                .parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    }

    /// The request's `Idempotency-Key` header, if any.
    pub fn idempotency_header(&self) -> Option<String> {
        self.parts
            .headers
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    /// [`Self::idempotent`] with the key given by the caller (the console's forms carry it
    /// in a field, since a form cannot send headers).
    pub async fn idempotent_with_key<A, T, F, Fut>(
        &self,
        key: Option<&str>,
        endpoint: &str,
        args: &A,
        operation: F,
    ) -> Result<T, Problem>
    where
        A: Serialize,
        T: Serialize + DeserializeOwned,
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let request = self.request(key, endpoint, args)?;
        let Some(_running) = self
            .state
            .in_flight
            .start(format!("{}|{}", request.scope, request.key))
        else {
            return Err(reply(Problem::new(
                ErrorCode::IdempotencyInFlight,
                "A request with this Idempotency-Key is still running.",
            )));
        };
        // No look-up first: a key that was answered before fails the operation's
        // transaction (`ANSWERED`), or makes it refuse, and the stored answer is replied.
        match operation(request.clone()).await {
            Ok(value) => Ok(value),
            Err(AppError::Database(err)) if err.rejection() == Some(&db::Rejection::Answered) => {
                self.prior_answer(&request).await
            }
            Err(err) => {
                // Only the reply that is sent may set the response status (Problem::from
                // does): a refusal can still give way to an earlier success below.
                let problem = err.to_problem();
                if problem.status >= 500 {
                    return Err(Problem::from(err));
                }
                match self.remember_refusal(&request, &problem).await {
                    Some(earlier) => earlier,
                    None => Err(Problem::from(err)),
                }
            }
        }
    }

    /// The request's identity: caller and endpoint, its key, and a hash of its arguments.
    fn request<A: Serialize>(
        &self,
        key: Option<&str>,
        endpoint: &str,
        args: &A,
    ) -> Result<Request, Problem> {
        use crate::domain::checked::{CheckedText, IdempotencyKey};
        let key = key.filter(|key| !key.is_empty()).ok_or_else(|| {
            reply(Problem::new(
                ErrorCode::IdempotencyKeyRequired,
                "Send an Idempotency-Key header (a UUID made for this action) with this request.",
            ))
        })?;
        let key = IdempotencyKey::parse(key)
            .map_err(|refused| reply(Problem::invalid("Idempotency-Key", refused)))?;
        let body = serde_json::to_vec(args)
            .map_err(|e| Problem::from(AppError::Internal(e.to_string())))?;
        Ok(Request {
            scope: self.scope(endpoint),
            key: key.into_string(),
            request_hash: hex::encode(Sha256::digest(&body)),
        })
    }

    /// Another process answered this key first: reply with its answer.
    async fn prior_answer<T: DeserializeOwned>(&self, request: &Request) -> Result<T, Problem> {
        let prior = db::idempotency::find(&self.state.db, &request.scope, &request.key)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::Internal("an answered key has no answer".into()))?;
        answer_again(request, prior)
    }

    /// Stores a refusal as the key's answer. When the key got an answer meanwhile (a
    /// duplicate in another process won), that earlier answer is the reply instead.
    async fn remember_refusal<T: DeserializeOwned>(
        &self,
        request: &Request,
        problem: &Problem,
    ) -> Option<Result<T, Problem>> {
        let body = match serde_json::to_string(problem) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "could not serialise a refusal to remember");
                return None;
            }
        };
        let answer = request.answer(problem.status, body);
        match db::idempotency::store(&self.state.db, &answer).await {
            Ok(()) => None,
            Err(err) if err.rejection() == Some(&db::Rejection::Answered) => {
                Some(self.prior_answer(request).await)
            }
            Err(err) => {
                tracing::error!(error = %err, "could not store a refusal for its key");
                None
            }
        }
    }
}

/// The stored answer again, if it was for the same request; 422 if the key was used for
/// another.
fn answer_again<T: DeserializeOwned>(request: &Request, prior: Prior) -> Result<T, Problem> {
    if prior.request_hash != request.request_hash {
        return Err(reply(Problem::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for a different request.",
        )));
    }
    stored_reply(&prior)?.map_err(reply)
}

/// A stored answer as it was given: the reply (`Ok`) or the refusal (`Err`).
fn stored_reply<T: DeserializeOwned>(prior: &Prior) -> Result<Result<T, Problem>, AppError> {
    let internal = |e: serde_json::Error| AppError::Internal(e.to_string());
    Ok(if prior.response_status < 400 {
        Ok(serde_json::from_str(&prior.response_body).map_err(internal)?)
    } else {
        Err(serde_json::from_str(&prior.response_body).map_err(internal)?)
    })
}

/// A problem answered as is (status and media type set on the response).
fn reply(problem: Problem) -> Problem {
    crate::error::set_response_status(&problem);
    problem
}
