//! Online recharges as they travel: the order a diner opened and what the mini program
//! needs to pay it (`wx.requestPayment`'s fields, signed by the server), and an order's
//! state for the page that waits for it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Money;

/// `wx.requestPayment`'s fields, as the mini program passes them on.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentParams {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    /// `prepay_id=…`
    pub package: String,
    /// `RSA`
    pub sign_type: String,
    pub pay_sign: String,
}

/// An online recharge opened: pay it with `payment` before `expires_at`; the wallet is
/// credited when the provider confirms it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineRecharge {
    /// The order's number (at the provider too).
    pub order: String,
    pub tier: String,
    pub pay: Money,
    pub bonus: Money,
    pub expires_at: DateTime<Utc>,
    pub payment: PaymentParams,
}

/// Where an online recharge is.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineOrder {
    pub order: String,
    pub tier: String,
    pub pay: Money,
    pub bonus: Money,
    /// `PENDING` (not paid yet), `PAID` (credited) or `CLOSED` (never paid).
    pub status: String,
    /// The ledger's RECHARGE entry, once credited.
    pub txn_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}
