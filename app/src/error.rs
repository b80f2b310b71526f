//! The application's errors and their one wire form: RFC 9457 problem details.
//!
//! Code inside the server returns [`AppError`]; at the edge (a server function or an axum
//! handler) it becomes a [`Problem`] exactly once, with a stable machine `code` and the right
//! HTTP status. Internal causes are logged, never sent.

use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes: clients switch on these, so never rename one.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// 400: the request could not be read (malformed body, missing or mistyped argument).
    BadRequest,
    /// 401: no valid credentials.
    Unauthorized,
    /// 403: authenticated, but not allowed.
    Forbidden,
    /// 404: no such resource (or not visible to the caller).
    NotFound,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 422: the request was read but a value is not acceptable.
    ValidationFailed,
    /// 422: the member code shown at the counter is not valid (or has expired): the diner
    /// shows a fresh one.
    MemberCodeInvalid,
    /// 409: the wallet holds less than the amount.
    InsufficientBalance,
    /// 409: a stored-value refund asks for more principal than the wallet holds.
    RefundExceedsPrincipal,
    /// 503: too many concurrent changes to the same record; retry shortly.
    Busy,
    /// 409: the card was redeemed before.
    CardAlreadyUsed,
    /// 409: the card is past its expiry.
    CardExpired,
    /// 409: the payment code is past its expiry.
    PaymentExpired,
    /// 409: the payment is not in a state that allows this (already collected, not collected).
    PaymentNotPending,
    /// 409: the diner already holds the most open payment codes allowed; use or let one expire.
    TooManyOpenPayments,
    /// 409: today's stock of the card type is used up.
    OutOfStock,
    /// 409: the diner lacks fragments the recipe or the sale needs.
    InsufficientFragments,
    /// 409: the diner lacks the silver the purchase costs.
    InsufficientSilver,
    /// 400: a money or asset mutation was sent without an Idempotency-Key header.
    IdempotencyKeyRequired,
    /// 422: the Idempotency-Key was used before for a different request body.
    IdempotencyKeyReused,
    /// 409: the first request with this Idempotency-Key is still running.
    IdempotencyInFlight,
    /// 429: too many attempts (failed logins); retry after the `Retry-After` header's seconds.
    RateLimited,
    /// 503: the database did not answer.
    DatabaseUnavailable,
    /// 503: the request took longer than the server allows; it may or may not have taken
    /// effect, so retry with the same Idempotency-Key.
    Timeout,
    /// 503: an outside service we depend on (e.g. WeChat login) failed or timed out.
    UpstreamUnavailable,
    /// 503: the client could not reach the server.
    NetworkError,
    /// 503: online payment is not set up for this shop, or its provider is failing (its
    /// circuit is open): pay at the counter meanwhile.
    PaymentProviderUnavailable,
    /// 500: a fault on our side; the detail is in the logs under the same trace.
    Internal,
    /// 404: no diner has this uid (a recharge or refund for nobody).
    DinerNotFound,
    /// 409: the wallet changed since the stored-value refund's preview; the problem's
    /// `preview` is the refund as it would be now. Nothing was done.
    RefundPreviewChanged,
    /// 413: the request's body is larger than the server reads.
    PayloadTooLarge,
    /// 403: a diner's arrival was posted without proof they are at the shop (today's table
    /// code, or a location within the shop's radius); the detail says what failed.
    PresenceNotProven,
    /// 422: WeChat Run data that does not decrypt with the diner's session key, is another
    /// mini program's, or was read too long ago; the detail says which.
    StepsUnreadable,
    /// 409: a refund to WeChat Pay of more than its online recharge has left to refund.
    RefundExceedsOrder,
    /// 401: a provider callback whose Standard Webhooks signature does not verify with our
    /// secret, or whose timestamp is more than five minutes away; the detail says which.
    WebhookRefused,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized | Self::WebhookRefused => 401,
            Self::Forbidden | Self::PresenceNotProven => 403,
            Self::NotFound | Self::DinerNotFound => 404,
            Self::Conflict | Self::InsufficientBalance | Self::RefundExceedsPrincipal => 409,
            Self::ValidationFailed | Self::MemberCodeInvalid | Self::StepsUnreadable => 422,
            Self::CardAlreadyUsed
            | Self::CardExpired
            | Self::PaymentExpired
            | Self::PaymentNotPending
            | Self::TooManyOpenPayments
            | Self::OutOfStock
            | Self::InsufficientFragments
            | Self::InsufficientSilver
            | Self::IdempotencyInFlight
            | Self::RefundPreviewChanged
            | Self::RefundExceedsOrder => 409,
            Self::IdempotencyKeyRequired => 400,
            Self::IdempotencyKeyReused => 422,
            Self::RateLimited => 429,
            Self::PayloadTooLarge => 413,
            Self::Busy => 503,
            Self::DatabaseUnavailable
            | Self::Timeout
            | Self::UpstreamUnavailable
            | Self::PaymentProviderUnavailable
            | Self::NetworkError => 503,
            Self::Internal => 500,
        }
    }

    /// A short, human-readable summary of the problem type.
    pub fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "The request could not be read",
            Self::Unauthorized => "Authentication required",
            Self::Forbidden => "Not allowed",
            Self::NotFound => "Not found",
            Self::Conflict => "Conflict with the current state",
            Self::ValidationFailed => "A value is not acceptable",
            Self::MemberCodeInvalid => "Member code invalid or expired",
            Self::InsufficientBalance => "Insufficient balance",
            Self::RefundExceedsPrincipal => "Refund exceeds the principal",
            Self::Busy => "Busy, please retry",
            Self::CardAlreadyUsed => "Card already used",
            Self::CardExpired => "Card expired",
            Self::PaymentExpired => "Payment code expired",
            Self::PaymentNotPending => "Payment not in the required state",
            Self::TooManyOpenPayments => "Too many open payment codes",
            Self::OutOfStock => "Out of stock",
            Self::InsufficientFragments => "Not enough fragments",
            Self::InsufficientSilver => "Not enough silver",
            Self::IdempotencyKeyRequired => "Idempotency-Key required",
            Self::IdempotencyKeyReused => "Idempotency-Key reused with another request",
            Self::IdempotencyInFlight => "Request with this Idempotency-Key in progress",
            Self::RateLimited => "Too many attempts",
            Self::DatabaseUnavailable => "The database is unavailable",
            Self::Timeout => "The request took too long",
            Self::UpstreamUnavailable => "An outside service is unavailable",
            Self::NetworkError => "The server could not be reached",
            Self::PaymentProviderUnavailable => "Online payment is unavailable",
            Self::Internal => "Internal error",
            Self::DinerNotFound => "No such diner",
            Self::RefundPreviewChanged => "The refund changed since its preview",
            Self::RefundExceedsOrder => "The refund exceeds what its order can pay back",
            Self::PayloadTooLarge => "The request is too large",
            Self::PresenceNotProven => "Not proven to be at the shop",
            Self::StepsUnreadable => "The WeChat Run data could not be read",
            Self::WebhookRefused => "The callback's signature does not verify",
        }
    }

    /// The stable code as it appears on the wire, e.g. `DATABASE_UNAVAILABLE`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An RFC 9457 problem document: the body of every error response, and the error type
/// server functions return (so the browser gets the same code the REST client gets).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct Problem {
    /// A URI naming the problem type (`urn:mealquest:problem:<code>`).
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// What happened, for a person; safe to show.
    pub detail: String,
    /// The stable machine code.
    pub code: ErrorCode,
    /// Extension member of `REFUND_PREVIEW_CHANGED`: the stored-value refund as it would be
    /// now, to show and confirm again. (Boxed: every other problem stays small.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Box<crate::domain::Clawback>>,
    /// Extension member of `VALIDATION_FAILED` when one value is at fault: where it is in
    /// the request, e.g. `merchant_id`, `tier.code` or `card_type.recipe[0].count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Extension member of `VALIDATION_FAILED` when several values are at fault (a
    /// campaign): each with where it is, for the form to show at its field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Box<FieldErrors>>,
}

/// Every value at fault in a request, each with where it is. (Boxed in [`Problem`].)
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<crate::domain::rules::FieldError>);

impl Problem {
    /// The media type of a problem document.
    pub const CONTENT_TYPE: &'static str = "application/problem+json";

    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:mealquest:problem:{}", code.as_str().to_lowercase()),
            title: code.title().to_owned(),
            status: code.status(),
            detail: detail.into(),
            code,
            preview: None,
            field: None,
            errors: None,
        }
    }

    /// 422 `VALIDATION_FAILED` naming the value at fault.
    pub fn invalid(field: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        let field = field.into();
        Self {
            field: Some(field.clone()),
            ..Self::new(ErrorCode::ValidationFailed, format!("{field}: {detail}"))
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for Problem {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let problem = match value {
            // On the server, "deserialization" is of the request's arguments: the caller's
            // fault, named by field where one is at fault.
            E::Args(detail) | E::MissingArg(detail) => refusal(&detail),
            #[cfg(feature = "ssr")]
            E::Deserialization(detail) => refusal(&detail),
            E::Request(detail) => Problem::new(ErrorCode::NetworkError, detail),
            other => Problem::new(ErrorCode::Internal, other.to_string()),
        };
        // On the server this is how unreadable arguments are answered: a 400, not a 500.
        #[cfg(feature = "ssr")]
        set_response_status(&problem);
        problem
    }
}

// ---- arguments that could not be read (the codec's refusals, `api::codec`) ----

/// Arguments that could not be read: where, and why. It reaches [`refusal`] as text (the
/// server-function machinery carries a string), in the form [`Unreadable`]'s `Display`
/// writes and `refusal` reads back.
#[derive(Debug)]
pub struct Unreadable {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

/// Separates the field from the message in the text form (a control character no field
/// name or serde message contains).
const SEPARATOR: char = '\u{1f}';

impl Unreadable {
    pub(crate) fn at<E: std::fmt::Display>(err: serde_path_to_error::Error<E>) -> Self {
        let path = err.path().to_string();
        Self {
            field: (path != ".").then_some(path),
            message: without_position(&err.inner().to_string()),
        }
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}{SEPARATOR}{}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// serde_json's messages end in " at line 1 column 17": the field says where, better.
pub(crate) fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The problem for arguments that could not be read (the text of an [`Unreadable`], or a
/// message of serde's): 422 naming the field when one is at fault, else 400.
pub fn refusal(text: &str) -> Problem {
    let (field, message) = match text.split_once(SEPARATOR) {
        Some((field, message)) => (Some(field.to_owned()), message),
        None => (None, text),
    };
    // A field serde names itself: "missing field `uid`" (under `field`, if nested).
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let field = match (field, named) {
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (field, None) => field,
    };
    match field {
        Some(field) => Problem::invalid(field, message),
        None => Problem::new(ErrorCode::BadRequest, message),
    }
}

/// What can go wrong inside the application, before it is turned into a [`Problem`].
#[cfg(feature = "ssr")]
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 503 `DATABASE_UNAVAILABLE` when the database could not be reached or timed out;
    /// any other database failure (a schema ASSERT tripped by a bug, a value of the wrong
    /// type) is ours: 500 `INTERNAL`. The cause is logged either way.
    #[error("database error: {0}")]
    Database(#[from] db::DbError),
    /// 500 `INTERNAL`: the server is wired wrongly (e.g. state missing); the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),
    /// 409/422 by kind: a wallet rule refused the operation.
    #[error(transparent)]
    Wallet(#[from] crate::domain::WalletError),
    /// 409 `CARD_ALREADY_USED` / `CARD_EXPIRED`.
    #[error(transparent)]
    Card(#[from] crate::domain::CardError),
    /// 409 `PAYMENT_EXPIRED`: the payment code is too old to collect.
    #[error("payment code expired")]
    PaymentExpired,
    /// 409 `PAYMENT_NOT_PENDING`: e.g. collecting twice, refunding what was not collected.
    #[error("payment is {0}")]
    PaymentState(String),
    /// 409 `TOO_MANY_OPEN_PAYMENTS`: the diner already holds `limit` open payment codes.
    #[error("already {limit} open payment codes")]
    TooManyOpenPayments { limit: u32 },
    /// 409 `OUT_OF_STOCK`.
    #[error(transparent)]
    OutOfStock(#[from] crate::domain::OutOfStock),
    /// 409 `INSUFFICIENT_FRAGMENTS`.
    #[error("not enough fragments")]
    InsufficientFragments,
    /// 409 `INSUFFICIENT_SILVER`.
    #[error("not enough silver")]
    InsufficientSilver,
    /// 422 `VALIDATION_FAILED` (quantity) / 409 `CONFLICT` (not bought back).
    #[error(transparent)]
    Market(#[from] crate::domain::MarketError),
    /// 422 `VALIDATION_FAILED`: a catalogue entry a merchant may not save.
    #[error(transparent)]
    Catalog(#[from] crate::domain::CatalogError),
    /// 404 `NOT_FOUND`: the named thing does not exist (or is not visible to the caller).
    #[error("not found: {0}")]
    NotFound(String),
    /// 422 `VALIDATION_FAILED`: a value is not acceptable; the message says which and why.
    #[error("invalid: {0}")]
    Invalid(String),
    /// 403 `PRESENCE_NOT_PROVEN`: a diner's arrival without proof they are at the shop.
    #[error("presence not proven: {0}")]
    PresenceNotProven(String),
    /// 422 `STEPS_UNREADABLE`: WeChat Run data not believed (say why).
    #[error("WeChat Run data not read: {0}")]
    StepsUnreadable(String),
    /// 401 `WEBHOOK_REFUSED`: a provider callback not signed with our secret in time.
    #[error("callback refused: {0}")]
    WebhookRefused(String),
    /// 409 `CONFLICT`: the request does not fit the record as it is now (say why).
    #[error("conflict: {0}")]
    Conflict(String),
    /// 422 `VALIDATION_FAILED`: a form that cannot be saved (a campaign, the shop's
    /// settings), with every fault at its field.
    #[error("not valid: {0:?}")]
    FieldsInvalid(Vec<crate::domain::rules::FieldError>),
    /// 422 `MEMBER_CODE_INVALID`: a member code that does not verify or has expired.
    #[error("member code invalid or expired")]
    MemberCode,
    /// 401 `UNAUTHORIZED`: wrong username or password (never says which).
    #[error("bad credentials")]
    BadCredentials,
    /// 401 `UNAUTHORIZED`: no valid token.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// 403 `FORBIDDEN`: authenticated, but not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 503 `UPSTREAM_UNAVAILABLE`: an outside service failed; the cause is logged.
    #[error("upstream: {0}")]
    Upstream(String),
    /// 503 `PAYMENT_PROVIDER_UNAVAILABLE` with `Retry-After`: no online payment for this
    /// shop, or its provider is failing.
    #[error("online payment is unavailable: {0}")]
    PaymentProviderUnavailable(String),
    /// 503 `BUSY`: retries after write conflicts ran out.
    #[error("gave up after {attempts} conflicting attempts")]
    Busy { attempts: u32 },
    /// 503 `BUSY` with `Retry-After`: every slot for this kind of work is taken.
    #[error("overloaded")]
    Overloaded,
    /// 429 `RATE_LIMITED` with `Retry-After`: too many failed attempts.
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// 404 `DINER_NOT_FOUND`: no diner has this uid.
    #[error("no diner {0}")]
    DinerNotFound(String),
    /// 409 `REFUND_EXCEEDS_ORDER`: a refund to WeChat Pay of more than its order `left`.
    #[error("the order {order} has {left} left to refund")]
    RefundExceedsOrder {
        order: String,
        left: crate::domain::Money,
    },
    /// 409 `REFUND_PREVIEW_CHANGED`: a stored-value refund would no longer pay out what its
    /// preview showed; `now` is what it would do.
    #[error("the refund would pay out {}, not {expected_payout}", now.payout)]
    RefundPreviewChanged {
        expected_payout: crate::domain::Money,
        now: Box<crate::domain::Clawback>,
    },
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The public face of this error: code and a detail that reveals no internals.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Database(err) if err.is_unavailable() => Problem::new(
                ErrorCode::DatabaseUnavailable,
                "The database did not answer. Please try again shortly.",
            ),
            Self::Database(_) | Self::Internal(_) => Problem::new(
                ErrorCode::Internal,
                "Something went wrong on our side; it has been logged.",
            ),
            Self::Wallet(err) => wallet_problem(err),
            Self::Card(err) => Problem::new(
                match err {
                    crate::domain::CardError::AlreadyUsed => ErrorCode::CardAlreadyUsed,
                    crate::domain::CardError::Expired(_) => ErrorCode::CardExpired,
                },
                err.to_string(),
            ),
            Self::OutOfStock(err) => Problem::new(ErrorCode::OutOfStock, err.to_string()),
            Self::InsufficientFragments => Problem::new(
                ErrorCode::InsufficientFragments,
                "You do not hold enough of the fragments this needs.",
            ),
            Self::InsufficientSilver => Problem::new(
                ErrorCode::InsufficientSilver,
                "You do not have enough silver for this.",
            ),
            Self::Market(err) => Problem::new(
                match err {
                    crate::domain::MarketError::BadQuantity => ErrorCode::ValidationFailed,
                    crate::domain::MarketError::NotBoughtBack => ErrorCode::Conflict,
                },
                err.to_string(),
            ),
            // A recipe naming a fragment the shop does not have names something missing.
            Self::Catalog(err @ crate::domain::CatalogError::UnknownFragment(_)) => {
                Problem::new(ErrorCode::NotFound, err.to_string())
            }
            Self::Catalog(err) => Problem {
                field: Some(err.field().to_owned()),
                ..Problem::new(ErrorCode::ValidationFailed, err.to_string())
            },
            Self::PaymentExpired => Problem::new(
                ErrorCode::PaymentExpired,
                "This payment code has expired; ask the diner to show a new one.",
            ),
            Self::TooManyOpenPayments { limit } => Problem::new(
                ErrorCode::TooManyOpenPayments,
                format!(
                    "You already have {limit} payment codes waiting to be scanned; use one or \
                     wait until one expires."
                ),
            ),
            Self::PaymentState(state) => Problem::new(
                ErrorCode::PaymentNotPending,
                format!("This payment is {state}."),
            ),
            Self::MemberCode => Problem::new(
                ErrorCode::MemberCodeInvalid,
                "This member code is not valid or has expired; ask the diner to show it again.",
            ),
            Self::BadCredentials => {
                Problem::new(ErrorCode::Unauthorized, "Wrong username or password.")
            }
            Self::Auth(_) => Problem::new(
                ErrorCode::Unauthorized,
                "Sign in again: the token is missing, invalid or expired.",
            ),
            Self::Forbidden(what) => Problem::new(
                ErrorCode::Forbidden,
                format!("You are not allowed to {what}."),
            ),
            Self::NotFound(what) => Problem::new(ErrorCode::NotFound, format!("{what} not found")),
            Self::Invalid(why) => Problem::new(ErrorCode::ValidationFailed, why.clone()),
            Self::Conflict(why) => Problem::new(ErrorCode::Conflict, why.clone()),
            Self::PresenceNotProven(why) => Problem::new(ErrorCode::PresenceNotProven, why.clone()),
            Self::StepsUnreadable(why) => Problem::new(ErrorCode::StepsUnreadable, why.clone()),
            Self::WebhookRefused(why) => Problem::new(ErrorCode::WebhookRefused, why.clone()),
            Self::FieldsInvalid(errors) => Problem {
                field: errors.first().map(|e| e.field.clone()),
                errors: Some(Box::new(FieldErrors(errors.clone()))),
                ..Problem::new(
                    ErrorCode::ValidationFailed,
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            },
            Self::Upstream(_) => Problem::new(
                ErrorCode::UpstreamUnavailable,
                "A service we depend on did not answer. Please try again shortly.",
            ),
            Self::PaymentProviderUnavailable(why) => Problem::new(
                ErrorCode::PaymentProviderUnavailable,
                format!(
                    "Online recharge is unavailable ({why}); recharge at the counter meanwhile."
                ),
            ),
            Self::Busy { .. } => Problem::new(
                ErrorCode::Busy,
                "Too many changes to the same record at once; nothing was changed. Please retry.",
            ),
            Self::DinerNotFound(uid) => Problem::new(
                ErrorCode::DinerNotFound,
                format!("No diner has the uid {uid}."),
            ),
            Self::RefundPreviewChanged {
                expected_payout,
                now,
            } => Problem {
                preview: Some(now.clone()),
                ..Problem::new(
                    ErrorCode::RefundPreviewChanged,
                    format!(
                        "The wallet changed since the preview: this refund would now pay out \
                         {}, not {expected_payout}. Nothing was done; confirm the new preview.",
                        now.payout
                    ),
                )
            },
            Self::RefundExceedsOrder { order, left } => Problem::new(
                ErrorCode::RefundExceedsOrder,
                format!(
                    "The online recharge {order} has {left} left to pay back to WeChat Pay; \
                     refund less, or the rest in cash at the counter."
                ),
            ),
            Self::Overloaded => Problem::new(
                ErrorCode::Busy,
                "The server is busy; please try again in a moment.",
            ),
            Self::RateLimited { retry_after_secs } => Problem::new(
                ErrorCode::RateLimited,
                format!("Too many failed attempts; try again in {retry_after_secs} s."),
            ),
        }
    }

    /// Seconds after which a retry may succeed (the `Retry-After` header), if this says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Overloaded | Self::Busy { .. } => Some(1),
            Self::PaymentProviderUnavailable(_) => Some(30),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
fn wallet_problem(err: &crate::domain::WalletError) -> Problem {
    use crate::domain::WalletError as W;
    let code = match err {
        W::InsufficientBalance { .. } => ErrorCode::InsufficientBalance,
        W::RefundExceedsPrincipal { .. } => ErrorCode::RefundExceedsPrincipal,
        W::ZeroAmount => ErrorCode::ValidationFailed,
        // Valid input the wallet as it is cannot take (it would pass the largest amount).
        W::Overflow => ErrorCode::Conflict,
    };
    Problem::new(code, err.to_string())
}

/// Converting at the edge logs the cause once and, inside a server function, sets the HTTP
/// status and media type (Leptos would otherwise answer 500 for every error).
#[cfg(feature = "ssr")]
impl From<AppError> for Problem {
    fn from(err: AppError) -> Self {
        let problem = err.to_problem();
        if problem.status >= 500 {
            tracing::error!(error = %err, code = problem.code.as_str(), "request failed");
        } else {
            tracing::info!(error = %err, code = problem.code.as_str(), "request refused");
        }
        set_response_status(&problem);
        if let Some(seconds) = err.retry_after()
            && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        problem
    }
}

/// Sets the HTTP status and media type of the current server-function response.
#[cfg(feature = "ssr")]
pub(crate) fn set_response_status(problem: &Problem) {
    use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = StatusCode::from_u16(problem.status) {
            response.set_status(status);
        }
        response.insert_header(
            CONTENT_TYPE,
            HeaderValue::from_static(Problem::CONTENT_TYPE),
        );
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for Problem {
    fn into_response(self) -> axum::response::Response {
        use http::{StatusCode, header::CONTENT_TYPE};
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (status, [(CONTENT_TYPE, Problem::CONTENT_TYPE)], body).into_response()
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let retry_after = self.retry_after();
        let mut response = Problem::from(self).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_stable_names() {
        use strum::VariantArray;
        for &code in ErrorCode::VARIANTS {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn a_problem_is_an_rfc9457_document() {
        let problem = Problem::new(ErrorCode::DatabaseUnavailable, "down");
        let json = serde_json::to_value(&problem).unwrap_or_default();
        assert_eq!(json["type"], "urn:mealquest:problem:database_unavailable");
        assert_eq!(json["status"], 503);
        assert_eq!(json["code"], "DATABASE_UNAVAILABLE");
        assert_eq!(json["title"], "The database is unavailable");
        assert_eq!(json["detail"], "down");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn an_unknown_diner_is_404_and_a_changed_refund_409_with_its_new_preview() {
        use crate::domain::{Balance, Clawback, Money};
        let unknown = AppError::DinerNotFound("nobody".into()).to_problem();
        assert_eq!(
            (unknown.status, unknown.code),
            (404, ErrorCode::DinerNotFound)
        );
        let json = serde_json::to_value(&unknown).unwrap_or_default();
        assert!(
            json.get("preview").is_none(),
            "only the 409 carries a preview"
        );

        let now = Clawback {
            refund: Money::yuan(80, 0),
            clawback: Money::yuan(20, 0),
            bonus_taken: Money::yuan(10, 0),
            shortfall: Money::yuan(10, 0),
            payout: Money::yuan(70, 0),
            after: Balance::default(),
        };
        let changed = AppError::RefundPreviewChanged {
            expected_payout: Money::yuan(80, 0),
            now: Box::new(now),
        }
        .to_problem();
        assert_eq!(
            (changed.status, changed.code),
            (409, ErrorCode::RefundPreviewChanged)
        );
        assert!(changed.detail.contains("70.00") && changed.detail.contains("80.00"));
        let json = serde_json::to_value(&changed).unwrap_or_default();
        assert_eq!(json["code"], "REFUND_PREVIEW_CHANGED");
        assert_eq!(json["preview"]["payout"], "70.00");
        let read: Problem = serde_json::from_value(json).expect("reads back");
        assert_eq!(read.preview, Some(Box::new(now)));
    }

    #[test]
    fn bad_arguments_are_a_400_not_a_500() {
        use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
        let problem = Problem::from_server_fn_error(ServerFnErrorErr::Args("x".into()));
        assert_eq!(problem.status, 400);
    }
}
