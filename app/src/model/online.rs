//! Online recharges as they travel: the order a diner opened and what the mini program
//! needs to pay it (`wx.requestPayment`'s fields, signed by the server), and an order's
//! state for the page that waits for it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Clawback, Money};

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

#[cfg(feature = "ssr")]
impl From<&pay::RequestPayment> for PaymentParams {
    fn from(signed: &pay::RequestPayment) -> Self {
        Self {
            app_id: signed.app_id.clone(),
            time_stamp: signed.time_stamp.clone(),
            nonce_str: signed.nonce_str.clone(),
            package: signed.package.clone(),
            sign_type: signed.sign_type.clone(),
            pay_sign: signed.pay_sign.clone(),
        }
    }
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

/// A refund of an online recharge: principal paid back to the diner's WeChat Pay, the
/// clawback rule deciding the payout as at the counter. The wallet is debited when it is
/// asked for; a refund the provider refuses or fails is put back.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineRefund {
    /// The refund's number (at the provider too).
    pub refund: String,
    /// The order it pays back.
    pub order: String,
    /// The STORED_VALUE_REFUND entry that debited the wallet.
    pub txn_id: String,
    pub clawback: Clawback,
    /// `PROCESSING` (on its way; the provider's notification confirms it), `SUCCESS` (back
    /// with the diner) or `FAILED` (refused or failed at the provider: the wallet is as it
    /// was, by the REFUND_REVERSAL entry `reversal_txn_id`).
    pub status: String,
    /// Why it failed, as the provider said.
    pub reason: Option<String>,
    pub reversal_txn_id: Option<String>,
}

/// A diner's online recharge that can still be refunded to WeChat Pay, and how much of it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundableOrder {
    pub order: String,
    pub tier: String,
    pub pay: Money,
    /// What of its payment can still go back.
    pub refundable: Money,
    pub paid_at: Option<DateTime<Utc>>,
}
