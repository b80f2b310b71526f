//! The console's own server functions, behind its pages: signing in and out with the session
//! cookie, who is signed in, and the counter's scan form. They live under `/console/`, not
//! the public JSON API, and each calls the same edge and service as the API does (a scan here
//! is `payment/verify` for idempotency).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::catalog::Tier;
use crate::api::payment::{PaymentRefundReceipt, ScanResult};
use crate::api::wallet::{RechargeReceipt, StoredValueRefundReceipt};
use crate::domain::{Balance, Clawback, Money};
use crate::error::Problem;
pub use crate::model::realtime::TodayAtShop;

/// The member of staff signed in to this browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleUser {
    pub staff_id: String,
    pub merchant_id: String,
    /// OWNER, MANAGER or CASHIER.
    pub role: String,
    /// A fresh Idempotency-Key for the page's next action.
    pub next_key: String,
}

/// What one scan at the counter did, and the key for the next scan (a new one after every
/// answer, so a retry of this scan reuses its key and the next scan never does).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanAnswer {
    pub code: String,
    pub result: Option<ScanResult>,
    pub refusal: Option<Problem>,
    pub next_key: String,
}

/// A diner found at the counter: who, their balance here, and the tiers on offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DinerAtCounter {
    pub uid: String,
    pub nickname: Option<String>,
    pub balance: Balance,
    pub tiers: Vec<Tier>,
}

/// The diners a lookup at the counter found (several: the cashier chooses; none: nobody of
/// this shop), or why it could not look (an expired member code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundDiners {
    pub diners: Vec<DinerAtCounter>,
    pub refusal: Option<Problem>,
}

/// What a recharge at the counter did (or why not), and the key for the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeAnswer {
    pub receipt: Option<RechargeReceipt>,
    pub refusal: Option<Problem>,
    pub next_key: String,
}

/// A stored-value refund previewed at the counter (`Ok`), or why it cannot be done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPreview {
    pub uid: String,
    pub amount: Money,
    pub clawback: Option<Clawback>,
    pub refusal: Option<Problem>,
}

/// What a stored-value refund at the counter did (or why not), and the key for the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAnswer {
    pub receipt: Option<StoredValueRefundReceipt>,
    pub refusal: Option<Problem>,
    /// The refund as it would be now, when the wallet changed since the preview the cashier
    /// confirmed (`REFUND_PREVIEW_CHANGED`): shown to confirm again.
    pub changed: Option<RefundPreview>,
    pub next_key: String,
}

/// What a payment refund at the counter did (or why not), and the key for the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefundAnswer {
    pub receipt: Option<PaymentRefundReceipt>,
    pub refusal: Option<Problem>,
    pub next_key: String,
}

/// Signs a member of staff in: the session cookie is set and the browser goes to the counter.
#[server(prefix = "/console", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), Problem> {
    let state = crate::state::app_state()?;
    let from = crate::api::edge::client_addr();
    let session =
        crate::service::auth::login_staff(&state, &username, &password, from, chrono::Utc::now())
            .await?;
    start_session(&state, &session)?;
    leptos_axum::redirect("/cashier");
    Ok(())
}

/// Ends the session in this browser, and on the server: the token in the cookie stops
/// working at once (a copy of it too), and the session's sockets close.
#[server(prefix = "/console", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), Problem> {
    let state = crate::state::app_state()?;
    if let Ok(call) = crate::api::edge::authenticated() {
        crate::service::auth::sign_out(&state, &call.session).await?;
    }
    set_cookie(&crate::auth::session_cookie::clear(secure_cookies(&state)))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Who is signed in (staff), or nobody.
#[server(prefix = "/console", endpoint = "session")]
pub async fn console_session() -> Result<Option<ConsoleUser>, Problem> {
    use crate::auth::Principal;
    let Ok(call) = crate::api::edge::authenticated() else {
        return Ok(None);
    };
    Ok(match call.principal {
        Principal::Staff {
            staff_id,
            merchant_id,
            role,
        } => Some(ConsoleUser {
            staff_id,
            merchant_id,
            role: role.as_str().to_owned(),
            next_key: fresh_key(),
        }),
        Principal::Diner { .. } => None,
    })
}

/// The counter's scan: a card is redeemed or a payment code collected, exactly as
/// `POST /api/payment/verify` with the form's key as Idempotency-Key. A refusal (already
/// used, expired, another shop's) is an answer to show, not a failure of the form.
#[server(prefix = "/console", endpoint = "scan")]
pub async fn counter_scan(code: String, key: String) -> Result<ScanAnswer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let code = code.trim().to_owned();
    let answer = match crate::api::codec::field("code", &code) {
        Ok(scanned) => crate::api::payment::scan_at_counter(&call, Some(&key), &scanned).await,
        Err(refused) => Err(refused),
    };
    if call.from_plain_form() {
        back_to_counter(&[("answered", &key)])?;
    }
    let (result, refusal) = as_form_answer(&call, answer)?;
    Ok(ScanAnswer {
        code,
        result,
        refusal,
        next_key: fresh_key(),
    })
}

#[cfg(feature = "ssr")]
pub(crate) fn fresh_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Cookies are `Secure` (HTTPS only) everywhere but DEV on plain localhost.
#[cfg(feature = "ssr")]
pub(crate) fn secure_cookies(state: &crate::state::AppState) -> bool {
    state.leptos_options.env == leptos::config::Env::PROD
}

/// Puts `session`'s token in this browser's session cookie.
#[cfg(feature = "ssr")]
pub(crate) fn start_session(
    state: &crate::state::AppState,
    session: &crate::auth_types::Session,
) -> Result<(), crate::error::AppError> {
    set_cookie(&crate::auth::session_cookie::set(
        &session.token,
        state.tokens.ttl(),
        secure_cookies(state),
    ))
}

#[cfg(feature = "ssr")]
pub(crate) fn set_cookie(value: &str) -> Result<(), crate::error::AppError> {
    let header = http::HeaderValue::from_str(value)
        .map_err(|e| crate::error::AppError::Internal(format!("cookie header: {e}")))?;
    expect_context::<leptos_axum::ResponseOptions>()
        .insert_header(http::header::SET_COOKIE, header);
    Ok(())
}

/// Finds the diners `uid` names for a recharge — a member code scanned from the diner's
/// phone (anyone), or a phone number or uid of this shop's own customers
/// (`service::diners::find_at_counter`) — each with their balance here, and the shop's
/// active tiers. Several matches are all listed for the cashier to choose from; none is an
/// answer (empty), not a failure, and so is a refused member code.
#[server(prefix = "/console", endpoint = "diner")]
pub async fn find_diner(uid: String) -> Result<FoundDiners, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::Recharge)?;
    let wanted = uid.trim();
    let found = crate::service::diners::find_at_counter(
        &call.state.db,
        &call.state.tokens,
        &staff.merchant_id,
        wanted,
    )
    .await;
    if call.from_plain_form() {
        // Without JavaScript: the counter page looks the diner up again from its address.
        back_to_counter(&[("diner", wanted)])?;
    }
    let found = match found {
        Ok(found) => found,
        // A refusal is shown beside the form; it leaves the response (or the page) alone.
        Err(err) if err.to_problem().status < 500 => {
            return Ok(FoundDiners {
                diners: Vec::new(),
                refusal: Some(err.to_problem()),
            });
        }
        Err(err) => return Err(err.into()),
    };
    if found.is_empty() {
        return Ok(FoundDiners {
            diners: Vec::new(),
            refusal: None,
        });
    }
    let catalog = crate::service::catalog::read(
        &call.state.db,
        &staff.merchant_id,
        false,
        chrono::Utc::now(),
    )
    .await?;
    let mut diners = Vec::with_capacity(found.len());
    for diner in found {
        let balance =
            crate::service::wallet::balance(&call.state.db, &staff.merchant_id, &diner.uid).await?;
        diners.push(DinerAtCounter {
            uid: diner.uid,
            nickname: diner.nickname,
            balance,
            tiers: catalog.tiers.clone(),
        });
    }
    Ok(FoundDiners {
        diners,
        refusal: None,
    })
}

/// The counter's recharge: exactly `POST /api/wallet/recharge`, with the form's key.
#[server(prefix = "/console", endpoint = "recharge")]
pub async fn counter_recharge(
    uid: String,
    tier: String,
    key: String,
) -> Result<RechargeAnswer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let answer = async {
        let uid = crate::api::codec::field("uid", uid.trim())?;
        let tier = crate::api::codec::field("tier", &tier)?;
        crate::api::wallet::recharge_by_staff(&call, Some(&key), &uid, &tier).await
    }
    .await;
    if call.from_plain_form() {
        back_to_counter(&[("recharged", &key)])?;
    }
    let (receipt, refusal) = as_form_answer(&call, answer)?;
    Ok(RechargeAnswer {
        receipt,
        refusal,
        next_key: fresh_key(),
    })
}

/// Without JavaScript a form post shows a page, not its answer: back to the counter, whose
/// address says what to show (a stored answer's key, or what to look up again). Called
/// before the answer is looked at, so a failure goes back there too (the page then says
/// nothing was recorded), never to an older answer.
#[cfg(feature = "ssr")]
fn back_to_counter(query: &[(&str, &str)]) -> Result<(), crate::error::AppError> {
    let query = serde_urlencoded::to_string(query)
        .map_err(|e| crate::error::AppError::Internal(format!("counter address: {e}")))?;
    leptos_axum::redirect(&format!("/cashier?{query}"));
    Ok(())
}

/// A form's refusal (4xx) is an answer to show beside the result, not a failure: the
/// response is 200 whatever status the edge set for the API. Failures (5xx) stay failures.
/// A page rendered on the server (a GET) calls these too: its own response is left alone.
#[cfg(feature = "ssr")]
fn as_form_answer<T>(
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

/// What refunding `amount` of principal would do: cash paid out, bonus taken back, the part
/// of the bonus already spent taken from the principal. Changes nothing.
#[server(prefix = "/console", endpoint = "refund/preview")]
pub async fn preview_refund(uid: String, amount: Money) -> Result<RefundPreview, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::Refund)?;
    let uid = uid.trim().to_owned();
    let preview = async {
        let checked: crate::domain::checked::DinerId = crate::api::codec::field("uid", &uid)?;
        crate::service::wallet::preview_stored_value_refund(
            &call.state.db,
            &staff.merchant_id,
            &checked,
            amount,
        )
        .await
        .map_err(Problem::from)
    }
    .await;
    if call.from_plain_form() {
        let amount = amount.to_string();
        back_to_counter(&[("refund_uid", uid.as_str()), ("refund_amount", &amount)])?;
    }
    let (clawback, refusal) = as_form_answer(&call, preview)?;
    Ok(RefundPreview {
        uid,
        amount,
        clawback,
        refusal,
    })
}

/// The counter's stored-value refund: exactly `POST /api/wallet/refund`, with the form's key
/// and the payout of the preview the cashier confirmed (a hidden field of the form).
#[server(prefix = "/console", endpoint = "refund")]
pub async fn counter_refund(
    uid: String,
    amount: Money,
    expected_payout: Money,
    key: String,
) -> Result<RefundAnswer, Problem> {
    use crate::error::ErrorCode;
    let call = crate::api::edge::authenticated()?;
    let uid = uid.trim().to_owned();
    let answer = async {
        let checked = crate::api::codec::field("uid", &uid)?;
        crate::api::wallet::refund_by_staff(&call, Some(&key), &checked, amount, expected_payout)
            .await
    }
    .await;
    let changed = match &answer {
        Err(problem) if problem.code == ErrorCode::RefundPreviewChanged => {
            problem.preview.as_deref().map(|clawback| RefundPreview {
                uid: uid.clone(),
                amount,
                clawback: Some(*clawback),
                refusal: None,
            })
        }
        _ => None,
    };
    if call.from_plain_form() {
        if changed.is_some() {
            // The counter shows the refusal and previews again, from the wallet as it is now.
            let amount = amount.to_string();
            back_to_counter(&[
                ("refunded", key.as_str()),
                ("refund_uid", uid.as_str()),
                ("refund_amount", &amount),
            ])?;
        } else {
            back_to_counter(&[("refunded", &key)])?;
        }
    }
    let (receipt, refusal) = as_form_answer(&call, answer)?;
    Ok(RefundAnswer {
        receipt,
        refusal,
        changed,
        next_key: fresh_key(),
    })
}

/// The counter's payment refund: exactly `POST /api/payment/refund`, with the form's key.
#[server(prefix = "/console", endpoint = "payment/refund")]
pub async fn counter_payment_refund(
    payment_id: String,
    key: String,
) -> Result<PaymentRefundAnswer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let answer = async {
        let payment_id = crate::api::codec::field("payment_id", payment_id.trim())?;
        crate::api::payment::refund_payment_by_staff(&call, Some(&key), &payment_id).await
    }
    .await;
    if call.from_plain_form() {
        back_to_counter(&[("payment_refunded", &key)])?;
    }
    let (receipt, refusal) = as_form_answer(&call, answer)?;
    Ok(PaymentRefundAnswer {
        receipt,
        refusal,
        next_key: fresh_key(),
    })
}

/// How many lines the counter's feed shows (today's latest, then as they come).
pub const FEED_LINES: u32 = 100;

/// Today's events at the signed-in staff's shop (its local day, the latest `FEED_LINES`), oldest
/// first: what the counter's feed starts with before it goes live after the last of them.
#[server(prefix = "/console", endpoint = "feed")]
pub async fn feed_today() -> Result<TodayAtShop, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::ViewLedger)?;
    let today = crate::service::feed::today_at(
        &call.state.db,
        &staff.merchant_id,
        chrono::Utc::now(),
        FEED_LINES,
    )
    .await?;
    Ok(today)
}

// The answers given to this member of staff's form posts with `key`: the counter page shows
// them after a post made without JavaScript (`?answered=`, `?recharged=`, `?refunded=`,
// `?payment_refunded=`). Nothing is done again; the stored answer is read.

/// The answer to the scan with `key`.
#[server(prefix = "/console", endpoint = "scan/answer")]
pub async fn earlier_scan(key: String) -> Result<Option<ScanAnswer>, Problem> {
    Ok(stored_answer("payment/verify", &key)
        .await?
        .map(|(result, refusal)| ScanAnswer {
            code: String::new(),
            result,
            refusal,
            next_key: fresh_key(),
        }))
}

/// The answer to the recharge with `key`.
#[server(prefix = "/console", endpoint = "recharge/answer")]
pub async fn earlier_recharge(key: String) -> Result<Option<RechargeAnswer>, Problem> {
    Ok(stored_answer("wallet/recharge", &key)
        .await?
        .map(|(receipt, refusal)| RechargeAnswer {
            receipt,
            refusal,
            next_key: fresh_key(),
        }))
}

/// The answer to the stored-value refund with `key`.
#[server(prefix = "/console", endpoint = "refund/answer")]
pub async fn earlier_refund(key: String) -> Result<Option<RefundAnswer>, Problem> {
    Ok(stored_answer("wallet/refund", &key)
        .await?
        .map(|(receipt, refusal)| RefundAnswer {
            receipt,
            refusal,
            // Without JavaScript the counter's address asks for the new preview itself.
            changed: None,
            next_key: fresh_key(),
        }))
}

/// The answer to the payment refund with `key`.
#[server(prefix = "/console", endpoint = "payment/refund/answer")]
pub async fn earlier_payment_refund(key: String) -> Result<Option<PaymentRefundAnswer>, Problem> {
    Ok(stored_answer("payment/refund", &key)
        .await?
        .map(|(receipt, refusal)| PaymentRefundAnswer {
            receipt,
            refusal,
            next_key: fresh_key(),
        }))
}

/// The answer stored for this caller's call of the API's `endpoint` with `key`, split as the
/// forms show it: what was done, or why not.
#[cfg(feature = "ssr")]
async fn stored_answer<T: serde::de::DeserializeOwned>(
    endpoint: &str,
    key: &str,
) -> Result<Option<(Option<T>, Option<Problem>)>, Problem> {
    let call = crate::api::edge::authenticated()?;
    Ok(call
        .answer_of::<T>(endpoint, key)
        .await?
        .map(|answer| match answer {
            Ok(done) => (Some(done), None),
            Err(problem) => (None, Some(problem)),
        }))
}
