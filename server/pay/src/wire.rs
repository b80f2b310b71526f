//! The v3 API's JSON as WeChat Pay documents it (only the fields this app reads or sends;
//! unknown fields are ignored, as the provider adds fields over time).

use serde::{Deserialize, Serialize};

use crate::seal::Resource;

/// An amount in fen (1/100 yuan) in CNY.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub total: u64,
    #[serde(default = "cny")]
    pub currency: String,
}

fn cny() -> String {
    "CNY".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub openid: String,
}

/// `POST /v3/pay/transactions/jsapi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsapiOrder {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    /// RFC 3339 (`2026-12-01T20:15:00+08:00`).
    pub time_expire: String,
    pub notify_url: String,
    pub amount: Amount,
    pub payer: Payer,
}

/// Its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepay {
    pub prepay_id: String,
}

/// What WeChat Pay knows of an order (the query's answer; a payment notification's
/// resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR.
    pub trade_state: String,
    #[serde(default)]
    pub trade_state_desc: String,
    #[serde(default)]
    pub success_time: Option<String>,
    #[serde(default)]
    pub payer: Option<Payer>,
    pub amount: PaidAmount,
}

impl Transaction {
    /// Paid (a refunded order was paid first).
    pub fn is_paid(&self) -> bool {
        matches!(self.trade_state.as_str(), "SUCCESS" | "REFUND")
    }

    /// Will never be paid.
    pub fn is_closed(&self) -> bool {
        matches!(self.trade_state.as_str(), "CLOSED" | "REVOKED" | "PAYERROR")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidAmount {
    pub total: u64,
    #[serde(default)]
    pub payer_total: Option<u64>,
    #[serde(default = "cny")]
    pub currency: String,
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Close {
    pub mchid: String,
}

/// `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub notify_url: String,
    pub amount: RefundAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    pub refund: u64,
    pub total: u64,
    #[serde(default = "cny")]
    pub currency: String,
}

/// A refund as WeChat Pay answers it (the request's answer, the refund query's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// SUCCESS, CLOSED, PROCESSING, ABNORMAL.
    pub status: String,
    pub amount: RefundAmount,
}

/// A refund notification's resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotice {
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub out_refund_no: String,
    pub refund_id: String,
    /// SUCCESS, CLOSED, ABNORMAL.
    pub refund_status: String,
    pub amount: RefundNoticeAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNoticeAmount {
    pub total: u64,
    pub refund: u64,
}

/// A notification as posted to our `notify_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    /// TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED.
    pub event_type: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: Resource,
}

/// An error answer: `{"code": "PARAM_ERROR", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    pub code: String,
    #[serde(default)]
    pub message: String,
}
