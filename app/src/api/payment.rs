//! Payments and scans: a diner creates a payment code, a cashier scans a card or a payment
//! code, and refunds a payment.

#[cfg(feature = "ssr")]
use chrono::Utc;

use crate::domain::Amount;
#[cfg(feature = "ssr")]
use crate::domain::Money;
use crate::domain::checked::{CardId, MerchantId, PaymentId, ScanCode};
pub use crate::model::payment::*;

/// `POST /api/payment/create` (diner): a payment code for `amount` at a merchant, optionally
/// applying one of the diner's cards. Requires an Idempotency-Key.
#[leptos::server(prefix = "/api", endpoint = "payment/create", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn create_payment(
    merchant_id: MerchantId,
    amount: Amount,
    card: Option<CardId>,
) -> Result<PaymentOrder, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    create_payment_by_diner(
        &call,
        key.as_deref(),
        &merchant_id,
        amount.money(),
        card.as_deref(),
    )
    .await
}

/// A payment code made by the calling diner, once per `key`: `payment/create`, and the
/// diner demo page's form (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn create_payment_by_diner(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    merchant_id: &str,
    amount: Money,
    card: Option<&str>,
) -> Result<PaymentOrder, crate::error::Problem> {
    let uid = call.diner()?;
    crate::service::known_merchant(&call.state, merchant_id).await?;
    let args = (merchant_id, amount, card);
    call.idempotent_with_key(key, "payment/create", &args, |once| {
        crate::service::payment::create_payment(
            &call.state,
            merchant_id,
            &uid,
            amount,
            card,
            Utc::now(),
            Some(once),
            call.state.payments,
        )
    })
    .await
}

/// `POST /api/payment/verify` (staff with the Scan permission): a scanned card uuid is
/// redeemed, a scanned payment code is collected. Requires an Idempotency-Key.
#[leptos::server(prefix = "/api", endpoint = "payment/verify", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn verify_payment(code: ScanCode) -> Result<ScanResult, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    scan_at_counter(&call, key.as_deref(), &code).await
}

/// A scan by the calling member of staff, once per `key`: `payment/verify`, and the
/// console's counter form (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn scan_at_counter(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    code: &ScanCode,
) -> Result<ScanResult, crate::error::Problem> {
    use crate::auth::Permission;
    use crate::service::payment::Counter;
    let staff = call.staff(Permission::Scan)?;
    call.idempotent_with_key(key, "payment/verify", &code, |once| {
        let counter = Counter {
            merchant: &staff.merchant_id,
            staff: &staff.staff_id,
        };
        crate::service::payment::scan(&call.state, counter, code, Utc::now(), Some(once))
    })
    .await
}

/// `POST /api/payment/refund` (staff with the Refund permission): returns a collected
/// payment's split and card. Requires an Idempotency-Key.
#[leptos::server(prefix = "/api", endpoint = "payment/refund", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn refund_payment(
    payment_id: PaymentId,
) -> Result<PaymentRefundReceipt, crate::error::Problem> {
    let call = crate::api::edge::authenticated()?;
    let key = call.idempotency_header();
    refund_payment_by_staff(&call, key.as_deref(), &payment_id).await
}

/// A payment refund by the calling member of staff, once per `key`: `payment/refund`, and
/// the console's refund button (whose key comes in a field).
#[cfg(feature = "ssr")]
pub(crate) async fn refund_payment_by_staff(
    call: &crate::api::edge::Call,
    key: Option<&str>,
    payment_id: &PaymentId,
) -> Result<PaymentRefundReceipt, crate::error::Problem> {
    use crate::auth::Permission;
    use crate::service::payment::Counter;
    let staff = call.staff(Permission::Refund)?;
    call.idempotent_with_key(key, "payment/refund", &payment_id, |once| {
        let counter = Counter {
            merchant: &staff.merchant_id,
            staff: &staff.staff_id,
        };
        crate::service::payment::refund_payment(
            &call.state,
            counter,
            payment_id,
            Utc::now(),
            Some(once),
        )
    })
    .await
}
