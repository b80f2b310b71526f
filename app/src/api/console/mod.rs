//! The console's own server functions, behind its pages, a file per feature: signing in and
//! out with the session cookie (`session`), the counter's forms (`counter`), the counter's
//! feed (`feed`). They live under `/console/`, not the public JSON API, and each calls the
//! same edge and service as the API does (a scan here is `payment/verify` for idempotency).
//!
//! A form answers one shape, [`FormAnswer`]: what it shows when it worked, the refusal to
//! show beside the form when not, and the key for the page's next action.

mod artist;
mod campaigns;
mod counter;
mod feed;
mod figures;
mod proposals;
mod session;
mod settings;
mod staff;

pub use artist::*;
pub use campaigns::*;
pub use counter::*;
pub use feed::*;
pub use figures::*;
pub use proposals::*;
pub use session::*;
pub use settings::*;
pub use staff::*;

#[cfg(feature = "ssr")]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Problem;

/// What a counter form answers: what it shows when it worked (`shown`, the feature's own
/// fields, flattened into the answer), why not (`refusal`, a 4xx to show beside the form),
/// and a fresh Idempotency-Key for the page's next action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormAnswer<T> {
    #[serde(flatten)]
    pub shown: T,
    pub refusal: Option<Problem>,
    pub next_key: String,
}

/// The receipt of a form that has nothing else to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt<R> {
    pub receipt: Option<R>,
}

#[cfg(feature = "ssr")]
pub(crate) fn fresh_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Without JavaScript a form post shows a page, not its answer: back to the counter, whose
/// address says what to show (a stored answer's key, or what to look up again). Called
/// before the answer is looked at, so a failure goes back there too (the page then says
/// nothing was recorded), never to an older answer.
#[cfg(feature = "ssr")]
pub(super) fn back_to_counter(query: &[(&str, &str)]) -> Result<(), crate::error::AppError> {
    let query = serde_urlencoded::to_string(query)
        .map_err(|e| crate::error::AppError::Internal(format!("counter address: {e}")))?;
    leptos_axum::redirect(&format!("/cashier?{query}"));
    Ok(())
}

/// A form's refusal (4xx) is an answer to show beside the result, not a failure: the
/// response is 200 whatever status the edge set for the API. Failures (5xx) stay failures.
/// A page rendered on the server (a GET) calls these too: its own response is left alone.
#[cfg(feature = "ssr")]
pub(crate) fn as_form_answer<T>(
    call: &crate::api::edge::Call,
    answer: Result<T, Problem>,
) -> Result<(Option<T>, Option<Problem>), Problem> {
    let split = match answer {
        Ok(value) => (Some(value), None),
        Err(problem) if problem.status < 500 => (None, Some(problem)),
        Err(problem) => return Err(problem),
    };
    // A page rendering (GET) keeps its own response; a plain form post is a redirect.
    if !call.posted() || call.from_plain_form() {
        return Ok(split);
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::OK);
        response.insert_header(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    Ok(split)
}

/// A form's [`FormAnswer`]: `show` makes what it shows from the result (none when refused).
#[cfg(feature = "ssr")]
pub(crate) fn form_answer<R, T>(
    call: &crate::api::edge::Call,
    answer: Result<R, Problem>,
    show: impl FnOnce(Option<R>) -> T,
) -> Result<FormAnswer<T>, Problem> {
    let (done, refusal) = as_form_answer(call, answer)?;
    Ok(FormAnswer {
        shown: show(done),
        refusal,
        next_key: fresh_key(),
    })
}

// The answers given to this member of staff's form posts with `key`: the counter page shows
// them after a post made without JavaScript (`?answered=`, `?recharged=`, `?refunded=`,
// `?payment_refunded=`). Nothing is done again; the stored answer is read.

/// The stored answer of this caller's call of the API's `endpoint` with `key`, as its form
/// shows it.
#[cfg(feature = "ssr")]
pub(super) async fn earlier<R: serde::de::DeserializeOwned, T>(
    endpoint: &str,
    key: &str,
    show: impl FnOnce(Option<R>) -> T,
) -> Result<Option<FormAnswer<T>>, Problem> {
    let call = crate::api::edge::authenticated()?;
    Ok(call.answer_of::<R>(endpoint, key).await?.map(|answer| {
        let (done, refusal) = match answer {
            Ok(done) => (Some(done), None),
            Err(problem) => (None, Some(problem)),
        };
        FormAnswer {
            shown: show(done),
            refusal,
            next_key: fresh_key(),
        }
    }))
}
