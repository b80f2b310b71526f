//! WeChat Pay API v3 over HTTPS: signed requests, verified answers, opened notifications.

use std::time::Duration;

use chrono::{FixedOffset, SecondsFormat, Utc};
use futures::future::BoxFuture;
use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::keys::Account;
use crate::sign::{RequestPayment, SignedHeaders, SignedRequest, authorization};
use crate::wire::{
    Amount, Close, ErrorAnswer, JsapiOrder, Notification, Payer, Prepay, Refund, RefundAmount,
    RefundNotice, RefundRequest, Transaction,
};
use crate::{Notice, Order, PayError, Provider, RefundOrder};

/// China Standard Time, the zone WeChat Pay writes its times in.
const CST: i32 = 8 * 3600;

/// One merchant account at WeChat Pay (`base_url`: [`crate::WECHAT_PAY_URL`], or a
/// stand-in).
#[derive(Debug, Clone)]
pub struct WeChatPay {
    http: reqwest::Client,
    base_url: String,
    account: Account,
}

impl WeChatPay {
    pub fn new(base_url: &str, account: Account, timeout: Duration) -> Result<Self, PayError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("mealquest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PayError::Keys(format!("the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            account,
        })
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// A signed call; its answer verified (a success with no body: `None`).
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<Option<T>, PayError> {
        let body = match body {
            Some(body) => serde_json::to_string(body)
                .map_err(|e| PayError::Malformed(format!("the request: {e}")))?,
            None => String::new(),
        };
        let nonce = crate::nonce();
        let header = authorization(
            &self.account.mchid,
            &self.account.merchant_key,
            &SignedRequest {
                method: method.as_str(),
                path,
                timestamp: Utc::now().timestamp(),
                nonce: &nonce,
                body: &body,
            },
        );
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(http::header::AUTHORIZATION, header)
            .header(http::header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PayError::Unreachable(e.to_string()))?;
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response
            .text()
            .await
            .map_err(|e| PayError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            let answer =
                serde_json::from_str::<ErrorAnswer>(&text).unwrap_or_else(|_| ErrorAnswer {
                    code: status.as_str().to_owned(),
                    message: text.chars().take(200).collect(),
                });
            return Err(PayError::Refused {
                status: status.as_u16(),
                code: answer.code,
                message: answer.message,
            });
        }
        // Every success is signed by the platform, an empty one too.
        SignedHeaders::from_headers(&headers)?.verify(
            &self.account.platform,
            &text,
            Utc::now().timestamp(),
        )?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| PayError::Malformed(e.to_string()))
    }

    fn answered<T>(answer: Option<T>) -> Result<T, PayError> {
        answer.ok_or_else(|| PayError::Malformed("an empty answer".into()))
    }

    /// Checks a transaction is this account's.
    fn ours(&self, mchid: &str, appid: Option<&str>) -> Result<(), PayError> {
        if mchid != self.account.mchid {
            return Err(PayError::Mismatch(format!("merchant {mchid}")));
        }
        match appid {
            Some(appid) if appid != self.account.appid => {
                Err(PayError::Mismatch(format!("app {appid}")))
            }
            _ => Ok(()),
        }
    }
}

fn order_path(out_trade_no: &str) -> String {
    format!("/v3/pay/transactions/out-trade-no/{out_trade_no}")
}

impl Provider for WeChatPay {
    fn prepay<'a>(&'a self, order: &'a Order) -> BoxFuture<'a, Result<RequestPayment, PayError>> {
        Box::pin(async move {
            let cst = FixedOffset::east_opt(CST).ok_or_else(|| PayError::Keys("CST".into()))?;
            let body = JsapiOrder {
                appid: self.account.appid.clone(),
                mchid: self.account.mchid.clone(),
                description: order.description.clone(),
                out_trade_no: order.out_trade_no.clone(),
                time_expire: order
                    .expires_at
                    .with_timezone(&cst)
                    .to_rfc3339_opts(SecondsFormat::Secs, false),
                notify_url: order.notify_url.clone(),
                amount: Amount {
                    total: order.total_fen,
                    currency: "CNY".into(),
                },
                payer: Payer {
                    openid: order.openid.clone(),
                },
            };
            let prepay: Prepay = Self::answered(
                self.call(Method::POST, "/v3/pay/transactions/jsapi", Some(&body))
                    .await?,
            )?;
            Ok(RequestPayment::new(
                &self.account,
                &prepay.prepay_id,
                Utc::now().timestamp(),
            ))
        })
    }

    fn query<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<Transaction, PayError>> {
        Box::pin(async move {
            let path = format!("{}?mchid={}", order_path(out_trade_no), self.account.mchid);
            let transaction: Transaction =
                Self::answered(self.call(Method::GET, &path, None::<&()>).await?)?;
            self.ours(&transaction.mchid, Some(&transaction.appid))?;
            Ok(transaction)
        })
    }

    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), PayError>> {
        Box::pin(async move {
            let close = Close {
                mchid: self.account.mchid.clone(),
            };
            let path = format!("{}/close", order_path(out_trade_no));
            self.call::<serde_json::Value>(Method::POST, &path, Some(&close))
                .await?;
            Ok(())
        })
    }

    fn refund<'a>(&'a self, refund: &'a RefundOrder) -> BoxFuture<'a, Result<Refund, PayError>> {
        Box::pin(async move {
            let body = RefundRequest {
                out_trade_no: refund.out_trade_no.clone(),
                out_refund_no: refund.out_refund_no.clone(),
                reason: refund.reason.clone(),
                notify_url: refund.notify_url.clone(),
                amount: RefundAmount {
                    refund: refund.refund_fen,
                    total: refund.total_fen,
                    currency: "CNY".into(),
                },
            };
            Self::answered(
                self.call(Method::POST, "/v3/refund/domestic/refunds", Some(&body))
                    .await?,
            )
        })
    }

    fn notice(&self, headers: &http::HeaderMap, body: &str, now: i64) -> Result<Notice, PayError> {
        SignedHeaders::from_headers(headers)?.verify(&self.account.platform, body, now)?;
        let notification: Notification =
            serde_json::from_str(body).map_err(|e| PayError::Malformed(e.to_string()))?;
        let plain = notification.resource.open(&self.account.api_v3_key)?;
        let malformed = |e: serde_json::Error| PayError::Malformed(e.to_string());
        match notification.event_type.as_str() {
            "TRANSACTION.SUCCESS" => {
                let transaction: Transaction = serde_json::from_slice(&plain).map_err(malformed)?;
                self.ours(&transaction.mchid, Some(&transaction.appid))?;
                Ok(Notice::Paid(transaction))
            }
            refund if refund.starts_with("REFUND.") => {
                let refund: RefundNotice = serde_json::from_slice(&plain).map_err(malformed)?;
                self.ours(&refund.mchid, None)?;
                Ok(Notice::Refund(refund))
            }
            other => Ok(Notice::Other(other.to_owned())),
        }
    }
}
