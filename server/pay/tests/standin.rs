//! The client against the stand-in WeChat Pay, both speaking API v3 with the test keys:
//! signed requests and answers, sealed notifications, and what each side refuses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use chrono::Utc;
use pay::standin::{StandIn, test_account};
use pay::{Guarded, Limits, Notice, Order, PayError, Provider, RefundOrder, WeChatPay};
use rsa::pkcs1v15::VerifyingKey;
use rsa::pkcs8::DecodePublicKey;

const MCHID: &str = "1900000109";
const APPID: &str = "wx8888888888888888";

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

async fn standin() -> (StandIn, WeChatPay) {
    let standin = StandIn::new(MCHID, APPID).expect("the stand-in");
    let url = serve(standin.router()).await;
    let account = test_account(MCHID, APPID).expect("the test account");
    let client = WeChatPay::new(&url, account, Duration::from_secs(5)).expect("the client");
    (standin, client)
}

fn order(no: &str, fen: u64) -> Order {
    Order {
        out_trade_no: no.into(),
        description: "老王川菜馆-储值 充100送20".into(),
        total_fen: fen,
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        expires_at: Utc::now() + chrono::Duration::minutes(15),
        notify_url: "http://127.0.0.1:9/api/pay/wechat/notify/demo".into(),
    }
}

/// Where notifications land in a test: every one received, as sent.
async fn receiver() -> (String, Arc<Mutex<Vec<(HeaderMap, String)>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    let router = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            async move {
                if let Ok(mut kept) = kept.lock() {
                    kept.push((headers, String::from_utf8_lossy(&body).into_owned()));
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    (format!("{}/notify", serve(router).await), got)
}

#[tokio::test]
async fn an_order_is_prepaid_signed_for_the_mini_program_and_the_same_number_gives_the_same_prepay_id()
 {
    let (_standin, client) = standin().await;
    let mq1 = order("MQ-1", 10_000);
    let first = client.prepay(&mq1).await.expect("prepaid");
    let again = client.prepay(&mq1).await.expect("again");
    assert_eq!(first.prepay_id(), again.prepay_id());
    assert_eq!(
        (first.app_id.as_str(), first.sign_type.as_str()),
        (APPID, "RSA")
    );
    // paySign: SHA256withRSA by the merchant's key over the four lines the mini program checks.
    let public =
        rsa::RsaPublicKey::from_public_key_pem(include_str!("../testdata/merchant_public_key.pem"))
            .expect("the public key");
    let message = pay::sign::message(&[
        &first.app_id,
        &first.time_stamp,
        &first.nonce_str,
        &first.package,
    ]);
    pay::sign::verify(&VerifyingKey::new(public), &message, &first.pay_sign)
        .expect("paySign verifies");
    // The same number with another amount is refused.
    let other = client
        .prepay(&Order {
            total_fen: 20_000,
            ..mq1
        })
        .await;
    assert!(
        matches!(other, Err(PayError::Refused { status: 400, .. })),
        "{other:?}"
    );
}

#[tokio::test]
async fn a_payment_notification_opens_and_the_query_agrees() {
    let (standin, client) = standin().await;
    let paid = client
        .prepay(&order("MQ-2", 12_000))
        .await
        .expect("prepaid");
    assert_eq!(
        client.query("MQ-2").await.expect("queried").trade_state,
        "NOTPAY"
    );
    let (headers, body) = standin
        .pay(paid.prepay_id().expect("a prepay id"), false)
        .await
        .expect("paid");
    match client
        .notice(&headers, &body, Utc::now().timestamp())
        .expect("a notice")
    {
        Notice::Paid(transaction) => {
            assert_eq!(transaction.out_trade_no, "MQ-2");
            assert_eq!(transaction.amount.total, 12_000);
            assert!(transaction.is_paid());
        }
        other => panic!("{other:?}"),
    }
    let queried = client.query("MQ-2").await.expect("queried");
    assert!(queried.is_paid() && queried.transaction_id.is_some());
}

#[tokio::test]
async fn a_tampered_replayed_or_foreign_notification_is_refused() {
    let (standin, client) = standin().await;
    let paid = client.prepay(&order("MQ-3", 100)).await.expect("prepaid");
    let (headers, body) = standin
        .pay(paid.prepay_id().expect("id"), false)
        .await
        .expect("paid");
    let now = Utc::now().timestamp();
    // The body changed after signing.
    let tampered = body.replacen("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS ", 1);
    assert!(matches!(
        client.notice(&headers, &tampered, now),
        Err(PayError::BadSignature(_))
    ));
    // Signed ten minutes ago: a replay.
    let transaction =
        serde_json::to_vec(&client.query("MQ-3").await.expect("queried")).expect("json");
    let (old_headers, old_body) = standin
        .notification(
            "TRANSACTION.SUCCESS",
            "transaction",
            &transaction,
            now - 600,
        )
        .expect("signed");
    assert!(matches!(
        client.notice(&old_headers, &old_body, now),
        Err(PayError::Stale { .. })
    ));
    // Rightly signed and sealed, but another merchant's order.
    let mut foreign: serde_json::Value = serde_json::from_slice(&transaction).expect("json");
    foreign["mchid"] = "1900000999".into();
    let (foreign_headers, foreign_body) = standin
        .notification(
            "TRANSACTION.SUCCESS",
            "transaction",
            &serde_json::to_vec(&foreign).expect("json"),
            now,
        )
        .expect("signed");
    assert!(matches!(
        client.notice(&foreign_headers, &foreign_body, now),
        Err(PayError::Mismatch(_))
    ));
    // No signature at all.
    assert!(matches!(
        client.notice(&HeaderMap::new(), &body, now),
        Err(PayError::BadSignature(_))
    ));
}

#[tokio::test]
async fn the_standin_refuses_a_request_signed_with_another_key_and_the_client_an_unsigned_answer() {
    let (standin, _) = standin().await;
    let url = serve(standin.router()).await;
    // Our requests signed with the platform's key instead of the merchant's.
    let mut wrong = test_account(MCHID, APPID).expect("account");
    wrong.merchant_key = pay::MerchantKey::from_pem(
        "WRONG",
        &secrecy::SecretString::from(include_str!("../testdata/platform_private_key.pem")),
    )
    .expect("a key");
    let client = WeChatPay::new(&url, wrong, Duration::from_secs(5)).expect("client");
    let refused = client.prepay(&order("MQ-4", 100)).await;
    assert!(
        matches!(&refused, Err(PayError::Refused { status: 401, code, .. }) if code == "SIGN_ERROR"),
        "{refused:?}"
    );
    // Answers checked against a key that is not the platform's.
    let mut doubting = test_account(MCHID, APPID).expect("account");
    doubting.platform = pay::PlatformKey::from_pem(
        pay::standin::PLATFORM_KEY_ID,
        include_str!("../testdata/merchant_public_key.pem"),
    )
    .expect("a key");
    let client = WeChatPay::new(&url, doubting, Duration::from_secs(5)).expect("client");
    let unverified = client.prepay(&order("MQ-5", 100)).await;
    assert!(
        matches!(unverified, Err(PayError::BadSignature(_))),
        "{unverified:?}"
    );
}

#[tokio::test]
async fn an_unpaid_order_closes_and_a_paid_one_does_not() {
    let (standin, client) = standin().await;
    client.prepay(&order("MQ-6", 100)).await.expect("prepaid");
    client.close("MQ-6").await.expect("closed");
    assert!(client.query("MQ-6").await.expect("queried").is_closed());
    let paid = client.prepay(&order("MQ-7", 100)).await.expect("prepaid");
    standin
        .pay(paid.prepay_id().expect("id"), false)
        .await
        .expect("paid");
    let refused = client.close("MQ-7").await;
    assert!(
        matches!(&refused, Err(PayError::Refused { code, .. }) if code == "ORDERPAID"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_refund_is_asked_once_by_its_number_and_its_notification_follows() {
    let (standin, client) = standin().await;
    let (url, got) = receiver().await;
    let paid = client
        .prepay(&order("MQ-8", 12_000))
        .await
        .expect("prepaid");
    standin
        .pay(paid.prepay_id().expect("id"), false)
        .await
        .expect("paid");
    let refund = RefundOrder {
        out_trade_no: "MQ-8".into(),
        out_refund_no: "MQ-8-R1".into(),
        refund_fen: 8_000,
        total_fen: 12_000,
        reason: Some("储值退款".into()),
        notify_url: url,
    };
    let first = client.refund(&refund).await.expect("refunding");
    let again = client.refund(&refund).await.expect("the same refund");
    assert_eq!(first.refund_id, again.refund_id);
    assert_eq!(standin.refund_calls(), 2);
    // More than what is left: refused.
    let more = RefundOrder {
        out_refund_no: "MQ-8-R2".into(),
        refund_fen: 5_000,
        ..refund.clone()
    };
    assert!(matches!(
        client.refund(&more).await,
        Err(PayError::Refused { status: 400, .. })
    ));
    // The notification: one REFUND.SUCCESS for MQ-8-R1.
    let mut notices = Vec::new();
    for _ in 0..50 {
        notices = got.lock().map(|got| got.clone()).unwrap_or_default();
        if !notices.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (headers, body) = notices.first().expect("a notification came");
    match client
        .notice(headers, body, Utc::now().timestamp())
        .expect("opens")
    {
        Notice::Refund(refund) => {
            assert_eq!(
                (refund.out_refund_no.as_str(), refund.refund_status.as_str()),
                ("MQ-8-R1", "SUCCESS")
            );
            assert_eq!(refund.amount.refund, 8_000);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_provider_that_is_down_opens_the_breaker_and_calls_are_refused_at_once() {
    let (standin, client) = standin().await;
    standin.set_down(true);
    let guarded = Guarded::new(
        client,
        Limits {
            retries: 1,
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
            failures_to_open: 3,
            open_for: Duration::from_secs(1),
        },
    );
    // A transient failure is retried, then counted: two calls of two tries open it.
    for _ in 0..2 {
        let failed = guarded.prepay(&order("MQ-9", 100)).await;
        assert!(
            matches!(&failed, Err(e) if e.is_transient() || *e == PayError::Open),
            "{failed:?}"
        );
    }
    assert!(guarded.is_open());
    assert_eq!(guarded.query("MQ-9").await, Err(PayError::Open));
    // Up again, and once the breaker lets a call through, it closes.
    standin.set_down(false);
    // Equal jitter: the first pause is one to two seconds.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    guarded
        .prepay(&order("MQ-9", 100))
        .await
        .expect("prepaid after the pause");
    assert!(!guarded.is_open());
}
