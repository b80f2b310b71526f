//! A WeChat Pay that speaks API v3 with the test keys in `testdata/`: it checks each
//! request's `WECHATPAY2-SHA256-RSA2048` signature with the merchant's public key and
//! refuses a bad one (401 SIGN_ERROR), keeps orders and refunds in memory as the real one
//! would (the same `out_trade_no` again: the same prepay id; a paid order cannot be closed;
//! a refund no larger than what is left), signs every answer with the platform key, and
//! posts signed, sealed notifications — a payment when the diner pays (`/sandbox/pay`, the
//! part the WeChat app plays), a refund once it is made.
//!
//! The tests start it on a port of their own; DEV mounts it in the app (`/dev/wechatpay/<shop>`),
//! so `make run` can take an online recharge end to end with nothing outside.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use secrecy::SecretString;
use sha2::Sha256;

use crate::PayError;
use crate::keys::{Account, ApiV3Key, MerchantKey, PlatformKey};
use crate::seal::Resource;
use crate::sign::{self, Authorization, SignedHeaders, TOLERANCE_SECS};
use crate::wire::{
    Close, ErrorAnswer, JsapiOrder, Notification, PaidAmount, Payer, Prepay, Refund, RefundAmount,
    RefundNotice, RefundNoticeAmount, RefundRequest, Transaction,
};

const MERCHANT_PRIVATE: &str = include_str!("../testdata/merchant_private_key.pem");
const MERCHANT_PUBLIC: &str = include_str!("../testdata/merchant_public_key.pem");
const PLATFORM_PRIVATE: &str = include_str!("../testdata/platform_private_key.pem");
const PLATFORM_PUBLIC: &str = include_str!("../testdata/platform_public_key.pem");
/// The test keys' ids and APIv3 key.
pub const PLATFORM_KEY_ID: &str = "PUB_KEY_ID_0000000000000000000000000000STANDIN";
pub const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72STANDIN0";
pub const API_V3_KEY: &str = "mealquest-standin-apiv3-key-0032";

/// The account our client uses against the stand-in: the test keys.
pub fn test_account(mchid: &str, appid: &str) -> Result<Account, PayError> {
    Ok(Account {
        mchid: mchid.to_owned(),
        appid: appid.to_owned(),
        merchant_key: MerchantKey::from_pem(
            MERCHANT_SERIAL,
            &SecretString::from(MERCHANT_PRIVATE),
        )?,
        api_v3_key: ApiV3Key::new(&SecretString::from(API_V3_KEY))?,
        platform: PlatformKey::from_pem(PLATFORM_KEY_ID, PLATFORM_PUBLIC)?,
    })
}

/// An order as the stand-in keeps it.
#[derive(Debug, Clone)]
struct Kept {
    order: JsapiOrder,
    prepay_id: String,
    /// NOTPAY, SUCCESS, CLOSED, REFUND.
    state: String,
    transaction_id: Option<String>,
    success_time: Option<String>,
    refunded: u64,
}

#[derive(Debug)]
struct Inner {
    mchid: String,
    appid: String,
    merchant: VerifyingKey<Sha256>,
    platform: SigningKey<Sha256>,
    api_v3_key: ApiV3Key,
    orders: Mutex<HashMap<String, Kept>>,
    refunds: Mutex<HashMap<String, Refund>>,
    /// Answers 500 SYSTEM_ERROR to everything (the provider is down).
    down: AtomicBool,
    /// Refuses refunds (403 NOT_ENOUGH: the merchant's balance cannot cover them).
    refuse_refunds: AtomicBool,
    /// Refunds stay PROCESSING, no notification, while `true` (the bank is slow).
    hold_refunds: AtomicBool,
    /// Refund requests received (a repeated one too).
    refund_calls: AtomicU64,
    http: reqwest::Client,
    serial: AtomicU64,
}

/// The stand-in WeChat Pay of one merchant account.
#[derive(Debug, Clone)]
pub struct StandIn(Arc<Inner>);

impl StandIn {
    pub fn new(mchid: &str, appid: &str) -> Result<Self, PayError> {
        let merchant = RsaPublicKey::from_public_key_pem(MERCHANT_PUBLIC)
            .map_err(|e| PayError::Keys(e.to_string()))?;
        let platform = RsaPrivateKey::from_pkcs8_pem(PLATFORM_PRIVATE)
            .map_err(|e| PayError::Keys(e.to_string()))?;
        Ok(Self(Arc::new(Inner {
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            merchant: VerifyingKey::new(merchant),
            platform: SigningKey::new(platform),
            api_v3_key: ApiV3Key::new(&SecretString::from(API_V3_KEY))?,
            orders: Mutex::default(),
            refunds: Mutex::default(),
            down: AtomicBool::new(false),
            refuse_refunds: AtomicBool::new(false),
            hold_refunds: AtomicBool::new(false),
            refund_calls: AtomicU64::new(0),
            http: reqwest::Client::new(),
            serial: AtomicU64::new(0),
        })))
    }

    /// The v3 routes and the sandbox's.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v3/pay/transactions/jsapi", post(jsapi))
            .route("/v3/pay/transactions/out-trade-no/{no}", get(query))
            .route("/v3/pay/transactions/out-trade-no/{no}/close", post(close))
            .route("/v3/refund/domestic/refunds", post(refund))
            .route_layer(axum::middleware::from_fn_with_state(
                self.clone(),
                signed_only,
            ))
            .route("/sandbox/pay/{prepay_id}", post(sandbox_pay))
            .with_state(self.clone())
    }

    /// Down: every call answers 500 SYSTEM_ERROR; up again with `false`.
    pub fn set_down(&self, down: bool) {
        self.0.down.store(down, Ordering::SeqCst);
    }

    /// Refunds refused (403 NOT_ENOUGH) while `true`.
    pub fn set_refuse_refunds(&self, refuse: bool) {
        self.0.refuse_refunds.store(refuse, Ordering::SeqCst);
    }

    /// Refunds taken stay PROCESSING, and no notification is posted, while `true`.
    pub fn set_hold_refunds(&self, hold: bool) {
        self.0.hold_refunds.store(hold, Ordering::SeqCst);
    }

    /// Refund requests received so far.
    pub fn refund_calls(&self) -> u64 {
        self.0.refund_calls.load(Ordering::SeqCst)
    }

    /// The state the stand-in holds for an order (NOTPAY, SUCCESS, CLOSED, REFUND).
    pub fn state_of(&self, out_trade_no: &str) -> Option<String> {
        self.orders()
            .get(out_trade_no)
            .map(|kept| kept.state.clone())
    }

    /// The diner pays the order with this prepay id (what the WeChat app does): it is
    /// SUCCESS, and its notification is posted if `notify`; the notification as sent.
    pub async fn pay(
        &self,
        prepay_id: &str,
        notify: bool,
    ) -> Result<(HeaderMap, String), PayError> {
        let (url, transaction) = {
            let mut orders = self.orders();
            let kept = orders
                .values_mut()
                .find(|kept| kept.prepay_id == prepay_id)
                .ok_or_else(|| {
                    PayError::Malformed(format!("no order with prepay id {prepay_id}"))
                })?;
            if kept.state == "NOTPAY" {
                let serial = self.0.serial.fetch_add(1, Ordering::SeqCst);
                kept.state = "SUCCESS".into();
                kept.transaction_id = Some(format!("4200{:020}", serial));
                kept.success_time = Some(Utc::now().to_rfc3339());
            }
            (kept.order.notify_url.clone(), transaction_of(kept))
        };
        let plain =
            serde_json::to_vec(&transaction).map_err(|e| PayError::Malformed(e.to_string()))?;
        let signed = self.notification(
            "TRANSACTION.SUCCESS",
            "transaction",
            &plain,
            Utc::now().timestamp(),
        )?;
        if notify {
            self.deliver(&url, &signed.0, &signed.1).await;
        }
        Ok(signed)
    }

    /// A notification signed and sealed as WeChat Pay makes it, at `timestamp` (for tests
    /// that replay, tamper or sign it at another time).
    pub fn notification(
        &self,
        event_type: &str,
        original_type: &str,
        plaintext: &[u8],
        timestamp: i64,
    ) -> Result<(HeaderMap, String), PayError> {
        let resource = Resource::seal(&self.0.api_v3_key, original_type, original_type, plaintext)?;
        let notification = Notification {
            id: format!("EV-{}", crate::nonce()),
            create_time: Utc::now().to_rfc3339(),
            event_type: event_type.to_owned(),
            resource_type: "encrypt-resource".into(),
            summary: "支付成功".into(),
            resource,
        };
        let body =
            serde_json::to_string(&notification).map_err(|e| PayError::Malformed(e.to_string()))?;
        let headers = self.signed_headers(timestamp, &body);
        Ok((headers, body))
    }

    /// Posts a notification as WeChat Pay does: again, a little later, until a 2xx (three
    /// tries here; the real one keeps trying for a day).
    pub async fn deliver(&self, url: &str, headers: &HeaderMap, body: &str) {
        for attempt in 0..3_u32 {
            let sent = self
                .0
                .http
                .post(url)
                .headers(headers.clone())
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => return,
                Ok(answer) => {
                    tracing::info!(%url, status = %answer.status(), attempt, "stand-in notification refused")
                }
                Err(error) => {
                    tracing::info!(%url, %error, attempt, "stand-in notification not delivered")
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    fn orders(&self) -> std::sync::MutexGuard<'_, HashMap<String, Kept>> {
        self.0
            .orders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn refunds(&self) -> std::sync::MutexGuard<'_, HashMap<String, Refund>> {
        self.0
            .refunds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn signed_headers(&self, timestamp: i64, body: &str) -> HeaderMap {
        let signed = SignedHeaders::signed(&self.0.platform, PLATFORM_KEY_ID, timestamp, body);
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (sign::TIMESTAMP, signed.timestamp),
            (sign::NONCE, signed.nonce),
            (sign::SIGNATURE, signed.signature),
            (sign::SERIAL, signed.serial),
            ("Request-ID", crate::nonce()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        headers
    }

    /// A signed answer.
    fn answer(&self, status: StatusCode, body: Option<String>) -> Response {
        let body = body.unwrap_or_default();
        let headers = self.signed_headers(Utc::now().timestamp(), &body);
        let mut response = (status, headers, body).into_response();
        if status != StatusCode::NO_CONTENT {
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
        }
        response
    }

    fn json(&self, status: StatusCode, value: &impl serde::Serialize) -> Response {
        self.answer(status, serde_json::to_string(value).ok())
    }

    fn error(&self, status: StatusCode, code: &str, message: &str) -> Response {
        self.json(
            status,
            &ErrorAnswer {
                code: code.into(),
                message: message.into(),
            },
        )
    }

    /// Why a request is refused, if it is: down, or not signed by the merchant's key for
    /// this merchant, or not recent.
    fn refusal(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Response> {
        if self.0.down.load(Ordering::SeqCst) {
            return Some(self.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SYSTEM_ERROR",
                "系统错误",
            ));
        }
        self.unsigned(method, uri, headers, body)
            .err()
            .map(|why| self.error(StatusCode::UNAUTHORIZED, "SIGN_ERROR", &why))
    }

    fn unsigned(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let header = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .ok_or("no Authorization")?;
        let auth = Authorization::parse(header).map_err(|e| e.to_string())?;
        if auth.mchid != self.0.mchid {
            return Err(format!("mchid {} is not this merchant", auth.mchid));
        }
        if (Utc::now().timestamp() - auth.timestamp).abs() > TOLERANCE_SECS {
            return Err("the timestamp is too far from now".into());
        }
        let path = uri
            .path_and_query()
            .map_or_else(|| uri.path(), |pq| pq.as_str());
        let body = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
        let timestamp = auth.timestamp.to_string();
        sign::verify(
            &self.0.merchant,
            &sign::message(&[method.as_str(), path, &timestamp, &auth.nonce, body]),
            &auth.signature,
        )
        .map_err(|e| e.to_string())
    }
}

/// Every v3 call: up, and signed by the merchant (else refused as WeChat Pay refuses it).
async fn signed_only(
    State(standin): State<StandIn>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return standin.error(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the body does not read",
        );
    };
    if let Some(refused) = standin.refusal(&parts.method, &parts.uri, &parts.headers, &bytes) {
        return refused;
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

fn transaction_of(kept: &Kept) -> Transaction {
    Transaction {
        appid: kept.order.appid.clone(),
        mchid: kept.order.mchid.clone(),
        out_trade_no: kept.order.out_trade_no.clone(),
        transaction_id: kept.transaction_id.clone(),
        trade_state: kept.state.clone(),
        trade_state_desc: String::new(),
        success_time: kept.success_time.clone(),
        payer: Some(Payer {
            openid: kept.order.payer.openid.clone(),
        }),
        amount: PaidAmount {
            total: kept.order.amount.total,
            payer_total: kept
                .transaction_id
                .as_ref()
                .map(|_| kept.order.amount.total),
            currency: "CNY".into(),
        },
    }
}

async fn jsapi(State(standin): State<StandIn>, body: Bytes) -> Response {
    let Ok(order) = serde_json::from_slice::<JsapiOrder>(&body) else {
        return standin.error(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the body does not read",
        );
    };
    if order.mchid != standin.0.mchid || order.appid != standin.0.appid {
        return standin.error(
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid and mchid do not match",
        );
    }
    if order.amount.total == 0 || chrono::DateTime::parse_from_rfc3339(&order.time_expire).is_err()
    {
        return standin.error(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "amount or time_expire",
        );
    }
    let mut orders = standin.orders();
    if let Some(kept) = orders.get(&order.out_trade_no) {
        return if kept.state != "NOTPAY" {
            standin.error(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付或已关闭")
        } else if kept.order == order {
            standin.json(
                StatusCode::OK,
                &Prepay {
                    prepay_id: kept.prepay_id.clone(),
                },
            )
        } else {
            standin.error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "out_trade_no reused with other fields",
            )
        };
    }
    let prepay_id = format!("wx{}", crate::nonce());
    orders.insert(
        order.out_trade_no.clone(),
        Kept {
            order,
            prepay_id: prepay_id.clone(),
            state: "NOTPAY".into(),
            transaction_id: None,
            success_time: None,
            refunded: 0,
        },
    );
    standin.json(StatusCode::OK, &Prepay { prepay_id })
}

async fn query(State(standin): State<StandIn>, Path(no): Path<String>) -> Response {
    let found = standin.orders().get(&no).map(transaction_of);
    match found {
        Some(transaction) => standin.json(StatusCode::OK, &transaction),
        None => standin.error(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
    }
}

async fn close(State(standin): State<StandIn>, Path(no): Path<String>, body: Bytes) -> Response {
    if serde_json::from_slice::<Close>(&body).map_or(true, |close| close.mchid != standin.0.mchid) {
        return standin.error(StatusCode::BAD_REQUEST, "PARAM_ERROR", "mchid");
    }
    let mut orders = standin.orders();
    match orders.get_mut(&no) {
        None => standin.error(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
        Some(kept) if kept.state == "SUCCESS" || kept.state == "REFUND" => {
            standin.error(StatusCode::BAD_REQUEST, "ORDERPAID", "订单已支付")
        }
        Some(kept) => {
            kept.state = "CLOSED".into();
            standin.answer(StatusCode::NO_CONTENT, None)
        }
    }
}

async fn refund(State(standin): State<StandIn>, body: Bytes) -> Response {
    standin.0.refund_calls.fetch_add(1, Ordering::SeqCst);
    let Ok(request) = serde_json::from_slice::<RefundRequest>(&body) else {
        return standin.error(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the body does not read",
        );
    };
    if let Some(known) = standin.refunds().get(&request.out_refund_no) {
        return standin.json(StatusCode::OK, known);
    }
    if standin.0.refuse_refunds.load(Ordering::SeqCst) {
        return standin.error(StatusCode::FORBIDDEN, "NOT_ENOUGH", "基本账户余额不足");
    }
    let made = {
        let mut orders = standin.orders();
        let Some(kept) = orders.get_mut(&request.out_trade_no) else {
            return standin.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在");
        };
        let left = kept.order.amount.total.saturating_sub(kept.refunded);
        if !(kept.state == "SUCCESS" || kept.state == "REFUND")
            || request.amount.total != kept.order.amount.total
            || request.amount.refund == 0
            || request.amount.refund > left
        {
            return standin.error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "the refund does not fit the order",
            );
        }
        kept.refunded += request.amount.refund;
        kept.state = "REFUND".into();
        let serial = standin.0.serial.fetch_add(1, Ordering::SeqCst);
        Refund {
            refund_id: format!("5030{:020}", serial),
            out_refund_no: request.out_refund_no.clone(),
            out_trade_no: request.out_trade_no.clone(),
            transaction_id: kept.transaction_id.clone(),
            status: "PROCESSING".into(),
            amount: RefundAmount {
                refund: request.amount.refund,
                total: request.amount.total,
                currency: "CNY".into(),
            },
        }
    };
    standin
        .refunds()
        .insert(made.out_refund_no.clone(), made.clone());
    if standin.0.hold_refunds.load(Ordering::SeqCst) {
        return standin.json(StatusCode::OK, &made);
    }
    // The money goes back a moment later; then the refund's notification.
    let (later, notice) = (standin.clone(), made.clone());
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if let Some(done) = later.refunds().get_mut(&notice.out_refund_no) {
            done.status = "SUCCESS".into();
        }
        let plain = RefundNotice {
            mchid: later.0.mchid.clone(),
            out_trade_no: notice.out_trade_no.clone(),
            transaction_id: notice.transaction_id.clone(),
            out_refund_no: notice.out_refund_no.clone(),
            refund_id: notice.refund_id.clone(),
            refund_status: "SUCCESS".into(),
            amount: RefundNoticeAmount {
                total: notice.amount.total,
                refund: notice.amount.refund,
            },
        };
        let sent = serde_json::to_vec(&plain)
            .map_err(|e| PayError::Malformed(e.to_string()))
            .and_then(|plain| {
                later.notification("REFUND.SUCCESS", "refund", &plain, Utc::now().timestamp())
            });
        if let Ok((headers, body)) = sent {
            later.deliver(&request.notify_url, &headers, &body).await;
        }
    });
    standin.json(StatusCode::OK, &made)
}

/// The diner pays in the WeChat app (the sandbox's part): 204, then the notification.
async fn sandbox_pay(State(standin): State<StandIn>, Path(prepay_id): Path<String>) -> Response {
    let paying = standin.clone();
    match standin.pay(&prepay_id, false).await {
        Ok((headers, body)) => {
            let url = standin
                .orders()
                .values()
                .find(|kept| kept.prepay_id == prepay_id)
                .map(|kept| kept.order.notify_url.clone());
            if let Some(url) = url {
                tokio::spawn(async move { paying.deliver(&url, &headers, &body).await });
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (StatusCode::NOT_FOUND, error.to_string()).into_response(),
    }
}
