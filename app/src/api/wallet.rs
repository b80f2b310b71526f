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
