//! Online payments (issue 19): a diner tops up from the mini program through WeChat Pay.
//!
//! - [`Provider`]: what the app asks of a payment provider — a JSAPI order and the mini
//!   program's signed `requestPayment` fields, the order's state, its close, a refund, and
//!   a notification read and checked.
//! - [`WeChatPay`]: WeChat Pay API v3 as documented: each request signed
//!   `WECHATPAY2-SHA256-RSA2048` with the merchant's private key ([`sign`]), each answer
//!   and notification verified against the platform public key within five minutes of our
//!   clock, each notification's resource opened with AEAD_AES_256_GCM under the APIv3 key
//!   ([`seal`]) — RustCrypto's `rsa`, `sha2` and `aes-gcm`, no primitive written here.
//! - [`Guarded`]: timeouts, retries only of transient failures (every call here is
//!   idempotent at the provider: an order by its `out_trade_no`, a refund by its
//!   `out_refund_no`), and a circuit breaker: open, calls are refused at once
//!   ([`PayError::Open`]) and the provider is left alone.
//! - `standin` (feature): a WeChat Pay that speaks the same protocol with the test keys in
//!   `testdata/` — signs its answers and notifications, checks our signatures and refuses
//!   a bad one — for the tests, and for DEV (the diner demo page pays against it).

mod client;
mod guard;
pub mod keys;
pub mod seal;
pub mod sign;
#[cfg(feature = "standin")]
pub mod standin;
pub mod wire;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use client::WeChatPay;
pub use guard::{Guarded, Limits};
pub use keys::{Account, ApiV3Key, MerchantKey, PlatformKey};
pub use sign::RequestPayment;
pub use wire::{Refund, RefundNotice, Transaction};

/// WeChat Pay's API.
pub const WECHAT_PAY_URL: &str = "https://api.mch.weixin.qq.com";

/// What went wrong with a payment call or a notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error("the payment keys: {0}")]
    Keys(String),
    /// Not reached, or no answer in time: the call may be tried again.
    #[error("the payment provider could not be reached: {0}")]
    Unreachable(String),
    /// The provider refused the call (`ORDERPAID`, `PARAM_ERROR`, `SYSTEM_ERROR`…).
    #[error("the payment provider answered {status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("not signed by the payment provider: {0}")]
    BadSignature(String),
    /// Signed too long ago (a replay) or in the future.
    #[error("signed at {at}, it is {now}: outside the five minutes allowed")]
    Stale { at: i64, now: i64 },
    #[error("the notification does not open: {0}")]
    Undecryptable(String),
    #[error("the provider's answer does not read: {0}")]
    Malformed(String),
    /// Signed and sealed rightly, but for another merchant account or app.
    #[error("not this account's: {0}")]
    Mismatch(String),
    /// The breaker is open: the provider failed too often, calls wait.
    #[error("the payment provider is failing; calls are paused")]
    Open,
}

impl PayError {
    /// A failure of the provider (not of the request): worth a retry, counted by the
    /// breaker.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// An order to pay: its number (ours, the provider's idempotency key), what it buys, how
/// much, who pays (the diner's openid at this app), until when, and where the notification
/// goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub out_trade_no: String,
    pub description: String,
    pub total_fen: u64,
    pub openid: String,
    pub expires_at: DateTime<Utc>,
    pub notify_url: String,
}

/// A refund to ask for: of which order, its own number, how much of how much, why, and
/// where its notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOrder {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_fen: u64,
    pub total_fen: u64,
    pub reason: Option<String>,
    pub notify_url: String,
}

/// A notification, verified and opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// TRANSACTION.SUCCESS: the order is paid.
    Paid(Transaction),
    /// REFUND.SUCCESS / ABNORMAL / CLOSED: a refund ended so.
    Refund(RefundNotice),
    /// Another event (read, nothing to do).
    Other(String),
}

/// A payment provider, for one merchant account.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Creates the order (or finds it again: the same `out_trade_no` and fields) and signs
    /// the mini program's `requestPayment` fields for it.
    fn prepay<'a>(&'a self, order: &'a Order) -> BoxFuture<'a, Result<RequestPayment, PayError>>;

    /// What the provider knows of the order now.
    fn query<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<Transaction, PayError>>;

    /// Closes an unpaid order, so it can no longer be paid.
    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), PayError>>;

    /// Asks for a refund (the same `out_refund_no` again: the same refund).
    fn refund<'a>(&'a self, refund: &'a RefundOrder) -> BoxFuture<'a, Result<Refund, PayError>>;

    /// Reads a notification posted to us: signed by the platform within five minutes of
    /// `now` (unix seconds), sealed with our APIv3 key, for this account.
    fn notice(&self, headers: &http::HeaderMap, body: &str, now: i64) -> Result<Notice, PayError>;

    /// Whether calls are refused now (a breaker open): the provider is failing.
    fn is_open(&self) -> bool {
        false
    }
}

/// A fresh nonce: 32 random hex characters.
pub(crate) fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
