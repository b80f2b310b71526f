//! Stored value: recharges at the counter, stored-value refunds, balances.

use crate::domain::checked::{Code, DinerId};
use crate::domain::{Amount, Balance, Clawback, Money};
pub use crate::model::wallet::*;

/// `POST /api/wallet/recharge` (staff with the Recharge permission): adds a tier to a
/// diner's wallet at the staff's merchant. Requires an Idempotency-Key.
#[leptos::server(prefix = "/api", endpoint = "wallet/recharge", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn recharge(uid: DinerId, tier: Code) -> Result<RechargeReceipt, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    recharge_by_staff(&call, key.as_deref(), &uid, &tier).await
}

/// A recharge by the calling member of staff, once per `key`: `wallet/recharge`, and the
/// console's recharge form (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn recharge_by_staff(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    uid: &DinerId,
    tier: &Code,
) -> Result<RechargeReceipt, crate::error::Problem> {
    use crate::auth::Permission;
    use crate::service::wallet::Scope;
    let staff = call.staff(Permission::Recharge)?;
    let args = (uid, tier);
    call.idempotent_with_key(key, "wallet/recharge", &args, |once| {
        let scope = Scope {
            merchant: &staff.merchant_id,
            uid,
            staff: Some(&staff.staff_id),
        };
        crate::service::wallet::recharge(&call.state, scope, tier, Some(once))
    })
    .await
}

/// `POST /api/wallet/refund/preview` (staff with the Refund permission): the clawback a
/// stored-value refund would apply. Changes nothing.
#[leptos::server(prefix = "/api", endpoint = "wallet/refund/preview", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn preview_stored_value_refund(
    uid: DinerId,
    amount: Amount,
) -> Result<Clawback, crate::error::Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::Refund)?;
    Ok(crate::service::wallet::preview_stored_value_refund(
        &call.state,
        &staff.merchant_id,
        &uid,
        amount.money(),
    )
    .await?)
}

/// `POST /api/wallet/refund` (staff with the Refund permission): pays principal back as cash
/// with the clawback of the preview. `expected_payout` is the payout the preview showed
/// (required): if the wallet changed since and the refund would pay out anything else, it is
/// refused with 409 `REFUND_PREVIEW_CHANGED` and the new preview. Requires an Idempotency-Key.
#[leptos::server(prefix = "/api", endpoint = "wallet/refund", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn stored_value_refund(
    uid: DinerId,
    amount: Amount,
    expected_payout: Money,
) -> Result<StoredValueRefundReceipt, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    refund_by_staff(&call, key.as_deref(), &uid, amount.money(), expected_payout).await
}

/// A stored-value refund by the calling member of staff, once per `key`: `wallet/refund`,
/// and the console's refund form (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn refund_by_staff(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    uid: &DinerId,
    amount: Money,
    expected_payout: Money,
) -> Result<StoredValueRefundReceipt, crate::error::Problem> {
    use crate::auth::Permission;
    use crate::service::wallet::Scope;
    let staff = call.staff(Permission::Refund)?;
    let args = (uid, amount, expected_payout);
    call.idempotent_with_key(key, "wallet/refund", &args, |once| {
        let scope = Scope {
            merchant: &staff.merchant_id,
            uid,
            staff: Some(&staff.staff_id),
        };
        crate::service::wallet::stored_value_refund(
            &call.state,
            scope,
            amount,
            expected_payout,
            Some(once),
        )
    })
    .await
}

/// `GET /api/wallets/mine?merchant_id=…` (diner): my balance at a merchant.
#[leptos::server(prefix = "/api", endpoint = "wallets/mine", input = leptos::server_fn::codec::GetUrl)]
pub async fn my_wallet() -> Result<Balance, crate::error::Problem> {
    use crate::api::codec::{MerchantQuery, query};
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let MerchantQuery { merchant_id } = query()?;
    Ok(crate::service::wallet::balance(&call.state, &merchant_id, &uid).await?)
}

/// `GET /api/wallets/of?uid=…` (staff with the ViewLedger permission): a diner's balance at
/// the staff's merchant (before a recharge or refund).
#[leptos::server(prefix = "/api", endpoint = "wallets/of", input = leptos::server_fn::codec::GetUrl)]
pub async fn wallet_of() -> Result<Balance, crate::error::Problem> {
    use crate::api::codec::{DinerQuery, query};
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::ViewLedger)?;
    let DinerQuery { uid } = query()?;
    Ok(crate::service::wallet::balance(&call.state, &staff.merchant_id, &uid).await?)
}

/// `POST /api/wallet/recharge/online` (diner): opens an online recharge of a tier at a
/// merchant and answers the mini program's `wx.requestPayment` fields; the wallet is
/// credited once the payment provider confirms it. Requires an Idempotency-Key (the same
/// key again: the same order). 503 PAYMENT_PROVIDER_UNAVAILABLE when the shop takes no
/// online payment or its provider is failing — the counter still sells stored value.
#[leptos::server(prefix = "/api", endpoint = "wallet/recharge/online", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn recharge_online(
    merchant_id: crate::domain::checked::MerchantId,
    tier: Code,
) -> Result<crate::model::online::OnlineRecharge, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    recharge_online_by_diner(&call, key.as_deref(), &merchant_id, &tier).await
}

/// An online recharge opened by the calling diner, once per `key`: `wallet/recharge/online`,
/// and the diner demo page's form (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn recharge_online_by_diner(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    merchant_id: &str,
    tier: &Code,
) -> Result<crate::model::online::OnlineRecharge, crate::error::Problem> {
    let uid = call.diner()?;
    crate::service::known_merchant(&call.state, merchant_id).await?;
    let args = (merchant_id, tier);
    call.idempotent_with_key(key, "wallet/recharge/online", &args, |once| {
        crate::service::online::start(&call.state, merchant_id, &uid, tier, once)
    })
    .await
}

/// `POST /api/wallet/recharge/online/order` (diner): where one of the diner's online
/// recharges is (`PENDING`, `PAID` with its ledger entry, `CLOSED`).
#[leptos::server(prefix = "/api", endpoint = "wallet/recharge/online/order", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn online_order(
    merchant_id: crate::domain::checked::MerchantId,
    order: Code,
) -> Result<crate::model::online::OnlineOrder, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    Ok(crate::service::online::order(&call.state, &merchant_id, &uid, &order).await?)
}

/// `POST /api/wallet/refund/online` (staff with the Refund permission): pays `amount` of
/// principal of the diner who paid the online recharge `order` back to their WeChat Pay,
/// with the clawback of the preview (`expected_payout`, as for a cash refund: 409
/// `REFUND_PREVIEW_CHANGED` when the wallet changed since). The wallet is debited at once;
/// the answer's `status` says where the refund is (`PROCESSING`, `SUCCESS`, or `FAILED`:
/// the provider refused it and the wallet is as it was). 409 `REFUND_EXCEEDS_ORDER` past
/// what the order paid. Requires an Idempotency-Key.
#[leptos::server(prefix = "/api", endpoint = "wallet/refund/online", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn refund_online(
    order: Code,
    amount: Amount,
    expected_payout: Money,
) -> Result<crate::model::online::OnlineRefund, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    refund_online_by_staff(
        &call,
        key.as_deref(),
        &order,
        amount.money(),
        expected_payout,
    )
    .await
}

/// A refund to WeChat Pay by the calling member of staff, once per `key`:
/// `wallet/refund/online`, and the counter's refund form (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn refund_online_by_staff(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    order: &Code,
    amount: Money,
    expected_payout: Money,
) -> Result<crate::model::online::OnlineRefund, crate::error::Problem> {
    use crate::auth::Permission;
    let staff = call.staff(Permission::Refund)?;
    let args = (order, amount, expected_payout);
    call.idempotent_with_key(key, "wallet/refund/online", &args, |once| {
        crate::service::online::refund(
            &call.state,
            &staff.merchant_id,
            Some(&staff.staff_id),
            order,
            amount,
            expected_payout,
            once,
        )
    })
    .await
}

/// `GET /api/wallet/refund/online/orders?uid=…` (staff with the Refund permission): the
/// diner's online recharges at the staff's shop that can still be refunded to WeChat Pay,
/// and how much of each, the latest first.
#[leptos::server(prefix = "/api", endpoint = "wallet/refund/online/orders", input = leptos::server_fn::codec::GetUrl)]
pub async fn refundable_online_orders()
-> Result<Vec<crate::model::online::RefundableOrder>, crate::error::Problem> {
    use crate::api::codec::{DinerQuery, query};
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::Refund)?;
    let DinerQuery { uid } = query()?;
    Ok(crate::service::online::refundable(&call.state, &staff.merchant_id, &uid).await?)
}

/// `POST /api/pay/wechat/notify/{merchant}` (WeChat Pay; no session): a payment or refund
/// notification, verified against the platform key, opened with the APIv3 key and settled
/// (a paid order credited once; the same notification again changes nothing). Answered
/// 204, or a problem+json (WeChat Pay takes any other status as "try again later").
#[cfg(feature = "ssr")]
pub async fn wechat_notify(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(merchant): axum::extract::Path<String>,
    headers: http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok(body) = std::str::from_utf8(&body) else {
        return crate::error::Problem::from(crate::error::AppError::Invalid(
            "the body is not UTF-8".into(),
        ))
        .into_response();
    };
    // Any 2xx is taken; anything else makes WeChat Pay try again later (the refusal is a
    // problem+json like every other of this API's).
    match crate::service::online::notified(&state, &merchant, &headers, body).await {
        Ok(_) => http::StatusCode::NO_CONTENT.into_response(),
        Err(error) => crate::error::Problem::from(error).into_response(),
    }
}
