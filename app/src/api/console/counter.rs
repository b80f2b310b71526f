//! The counter's forms: scan a card or a payment code, find a diner and recharge, preview
//! and confirm a stored-value refund, refund a payment — each exactly the API's operation
//! with the form's key — and the answers of earlier posts, for pages without JavaScript.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{FormAnswer, Receipt};
#[cfg(feature = "ssr")]
use super::{as_form_answer, back_to_counter, form_answer};
use crate::api::catalog::Tier;
use crate::api::payment::{PaymentRefundReceipt, ScanResult};
use crate::api::wallet::{RechargeReceipt, StoredValueRefundReceipt};
use crate::domain::{Balance, Clawback, Money};
use crate::error::Problem;
use crate::model::online::{OnlineRefund, RefundableOrder};

/// What a scan shows: the code scanned and what it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scanned {
    pub code: String,
    pub result: Option<ScanResult>,
}

/// What one scan at the counter did, and the key for the next scan (a new one after every
/// answer, so a retry of this scan reuses its key and the next scan never does).
pub type ScanAnswer = FormAnswer<Scanned>;
/// What a recharge at the counter did.
pub type RechargeAnswer = FormAnswer<Receipt<RechargeReceipt>>;
/// What a payment refund at the counter did.
pub type PaymentRefundAnswer = FormAnswer<Receipt<PaymentRefundReceipt>>;

/// What a stored-value refund shows: its receipt, or — when the wallet changed since the
/// preview the cashier confirmed — the preview as it is now, to confirm again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundDone {
    pub receipt: Option<StoredValueRefundReceipt>,
    pub changed: Option<RefundPreview>,
}

/// What a stored-value refund at the counter did.
pub type RefundAnswer = FormAnswer<RefundDone>;

/// What a refund back to WeChat Pay shows: the refund (where it is: on its way, back with
/// the diner, or refused and put back), or — when the wallet changed since the preview —
/// the preview as it is now, to confirm again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineRefundDone {
    pub receipt: Option<OnlineRefund>,
    pub changed: Option<RefundPreview>,
}

/// What a refund back to WeChat Pay at the counter did.
pub type OnlineRefundAnswer = FormAnswer<OnlineRefundDone>;

/// A diner found at the counter: who, their balance here, and the tiers on offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DinerAtCounter {
    pub uid: String,
    pub nickname: Option<String>,
    pub balance: Balance,
    pub tiers: Vec<Tier>,
}

/// The diners a lookup at the counter found (several: the cashier chooses; none: nobody of
/// this shop), or why it could not look (an expired member code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundDiners {
    /// What was looked for (trimmed), so the page shows the answer to its latest question.
    pub wanted: String,
    pub diners: Vec<DinerAtCounter>,
    pub refusal: Option<Problem>,
}

/// A stored-value refund previewed at the counter (`Ok`), or why it cannot be done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPreview {
    pub uid: String,
    pub amount: Money,
    pub clawback: Option<Clawback>,
    pub refusal: Option<Problem>,
    /// The diner's online recharges the payout can go back to instead of cash (each with
    /// at least the payout left to refund).
    #[serde(default)]
    pub online: Vec<RefundableOrder>,
}

/// The counter's scan: a card is redeemed or a payment code collected, exactly as
/// `POST /api/payment/verify` with the form's key as Idempotency-Key. A refusal (already
/// used, expired, another shop's) is an answer to show, not a failure of the form.
#[server(prefix = "/console", endpoint = "scan")]
pub async fn counter_scan(code: String, key: String) -> Result<ScanAnswer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let code = code.trim().to_owned();
    let answer = match crate::api::codec::field("code", &code) {
        Ok(scanned) => crate::api::payment::scan_at_counter(&call, Some(&key), &scanned).await,
        Err(refused) => Err(refused),
    };
    if call.from_plain_form() {
        back_to_counter(&[("answered", &key)])?;
    }
    form_answer(&call, answer, |result| Scanned { code, result })
}

/// Finds the diners `uid` names for a recharge — a member code scanned from the diner's
/// phone (anyone), or a phone number or uid of this shop's own customers
/// (`service::diners::find_at_counter`) — each with their balance here, and the shop's
/// active tiers. Several matches are all listed for the cashier to choose from; none is an
/// answer (empty), not a failure, and so is a refused member code.
#[server(prefix = "/console", endpoint = "diner")]
pub async fn find_diner(uid: String) -> Result<FoundDiners, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::Recharge)?;
    let wanted = uid.trim();
    let found =
        crate::service::diners::find_at_counter(&call.state, &staff.merchant_id, wanted).await;
    if call.from_plain_form() {
        // Without JavaScript: the counter page looks the diner up again from its address.
        back_to_counter(&[("diner", wanted)])?;
    }
    let found = match found {
        Ok(found) => found,
        // A refusal is shown beside the form; it leaves the response (or the page) alone.
        Err(err) if err.to_problem().status < 500 => {
            return Ok(FoundDiners {
                wanted: wanted.to_owned(),
                diners: Vec::new(),
                refusal: Some(err.to_problem()),
            });
        }
        Err(err) => return Err(err.into()),
    };
    if found.is_empty() {
        return Ok(FoundDiners {
            wanted: wanted.to_owned(),
            diners: Vec::new(),
            refusal: None,
        });
    }
    let catalog =
        crate::service::catalog::read(&call.state, &staff.merchant_id, false, chrono::Utc::now())
            .await?;
    let mut diners = Vec::with_capacity(found.len());
    for diner in found {
        let balance =
            crate::service::wallet::balance(&call.state, &staff.merchant_id, &diner.uid).await?;
        diners.push(DinerAtCounter {
            uid: diner.uid,
            nickname: diner.nickname,
            balance,
            tiers: catalog.tiers.clone(),
        });
    }
    Ok(FoundDiners {
        wanted: wanted.to_owned(),
        diners,
        refusal: None,
    })
}

/// The counter's recharge: exactly `POST /api/wallet/recharge`, with the form's key.
#[server(prefix = "/console", endpoint = "recharge")]
pub async fn counter_recharge(
    uid: String,
    tier: String,
    key: String,
) -> Result<RechargeAnswer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let answer = async {
        let uid = crate::api::codec::field("uid", uid.trim())?;
        let tier = crate::api::codec::field("tier", &tier)?;
        crate::api::wallet::recharge_by_staff(&call, Some(&key), &uid, &tier).await
    }
    .await;
    if call.from_plain_form() {
        back_to_counter(&[("recharged", &key)])?;
    }
    form_answer(&call, answer, |receipt| Receipt { receipt })
}

/// What refunding `amount` of principal would do: cash paid out, bonus taken back, the part
/// of the bonus already spent taken from the principal. Changes nothing.
#[server(prefix = "/console", endpoint = "refund/preview")]
pub async fn preview_refund(uid: String, amount: Money) -> Result<RefundPreview, Problem> {
    use crate::auth::Permission;
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(Permission::Refund)?;
    let uid = uid.trim().to_owned();
    let preview = async {
        let checked: crate::domain::checked::DinerId = crate::api::codec::field("uid", &uid)?;
        crate::service::wallet::preview_stored_value_refund(
            &call.state,
            &staff.merchant_id,
            &checked,
            amount,
        )
        .await
        .map_err(Problem::from)
    }
    .await;
    if call.from_plain_form() {
        let amount = amount.to_string();
        back_to_counter(&[("refund_uid", uid.as_str()), ("refund_amount", &amount)])?;
    }
    let (clawback, refusal) = as_form_answer(&call, preview)?;
    let online = match &clawback {
        Some(clawback) => {
            online_choices(&call.state, &staff.merchant_id, &uid, clawback.payout).await?
        }
        None => Vec::new(),
    };
    Ok(RefundPreview {
        uid,
        amount,
        clawback,
        refusal,
        online,
    })
}

/// The diner's online recharges that can take `payout` back (none when it pays nothing).
#[cfg(feature = "ssr")]
async fn online_choices(
    state: &crate::state::AppState,
    merchant: &str,
    uid: &str,
    payout: Money,
) -> Result<Vec<RefundableOrder>, Problem> {
    if payout.is_zero() || !state.online.takes(merchant) {
        return Ok(Vec::new());
    }
    Ok(crate::service::online::refundable(state, merchant, uid)
        .await?
        .into_iter()
        .filter(|order| order.refundable >= payout)
        .collect())
}

/// The counter's stored-value refund: exactly `POST /api/wallet/refund`, with the form's key
/// and the payout of the preview the cashier confirmed (a hidden field of the form).
#[server(prefix = "/console", endpoint = "refund")]
pub async fn counter_refund(
    uid: String,
    amount: Money,
    expected_payout: Money,
    key: String,
) -> Result<RefundAnswer, Problem> {
    use crate::error::ErrorCode;
    let call = crate::api::edge::authenticated()?;
    let uid = uid.trim().to_owned();
    let answer = async {
        let checked = crate::api::codec::field("uid", &uid)?;
        crate::api::wallet::refund_by_staff(&call, Some(&key), &checked, amount, expected_payout)
            .await
    }
    .await;
    let changed = match &answer {
        Err(problem) if problem.code == ErrorCode::RefundPreviewChanged => {
            problem.preview.as_deref().map(|clawback| RefundPreview {
                uid: uid.clone(),
                amount,
                clawback: Some(*clawback),
                refusal: None,
                online: Vec::new(),
            })
        }
        _ => None,
    };
    if call.from_plain_form() {
        if changed.is_some() {
            // The counter shows the refusal and previews again, from the wallet as it is now.
            let amount = amount.to_string();
            back_to_counter(&[
                ("refunded", key.as_str()),
                ("refund_uid", uid.as_str()),
                ("refund_amount", &amount),
            ])?;
        } else {
            back_to_counter(&[("refunded", &key)])?;
        }
    }
    form_answer(&call, answer, |receipt| RefundDone { receipt, changed })
}

/// The counter's refund back to WeChat Pay: exactly `POST /api/wallet/refund/online`, with
/// the form's key and the payout of the preview the cashier confirmed.
#[server(prefix = "/console", endpoint = "refund/online")]
pub async fn counter_refund_online(
    uid: String,
    order: String,
    amount: Money,
    expected_payout: Money,
    key: String,
) -> Result<OnlineRefundAnswer, Problem> {
    use crate::error::ErrorCode;
    let call = crate::api::edge::authenticated()?;
    let uid = uid.trim().to_owned();
    let answer = async {
        let order = crate::api::codec::field("order", order.trim())?;
        crate::api::wallet::refund_online_by_staff(
            &call,
            Some(&key),
            &order,
            amount,
            expected_payout,
        )
        .await
    }
    .await;
    let changed = match &answer {
        Err(problem) if problem.code == ErrorCode::RefundPreviewChanged => {
            match problem.preview.as_deref() {
                Some(clawback) => {
                    let merchant = call.staff(crate::auth::Permission::Refund)?.merchant_id;
                    let online =
                        online_choices(&call.state, &merchant, &uid, clawback.payout).await?;
                    Some(RefundPreview {
                        uid: uid.clone(),
                        amount,
                        clawback: Some(*clawback),
                        refusal: None,
                        online,
                    })
                }
                None => None,
            }
        }
        _ => None,
    };
    if call.from_plain_form() {
        if changed.is_some() {
            let amount = amount.to_string();
            back_to_counter(&[
                ("refunded_online", key.as_str()),
                ("refund_uid", uid.as_str()),
                ("refund_amount", &amount),
            ])?;
        } else {
            back_to_counter(&[("refunded_online", &key)])?;
        }
    }
    form_answer(&call, answer, |receipt| OnlineRefundDone {
        receipt,
        changed,
    })
}

/// The counter's payment refund: exactly `POST /api/payment/refund`, with the form's key.
#[server(prefix = "/console", endpoint = "payment/refund")]
pub async fn counter_payment_refund(
    payment_id: String,
    key: String,
) -> Result<PaymentRefundAnswer, Problem> {
    let call = crate::api::edge::authenticated()?;
    let answer = async {
        let payment_id = crate::api::codec::field("payment_id", payment_id.trim())?;
        crate::api::payment::refund_payment_by_staff(&call, Some(&key), &payment_id).await
    }
    .await;
    if call.from_plain_form() {
        back_to_counter(&[("payment_refunded", &key)])?;
    }
    form_answer(&call, answer, |receipt| Receipt { receipt })
}

/// The answer to the scan with `key`.
#[server(prefix = "/console", endpoint = "scan/answer")]
pub async fn earlier_scan(key: String) -> Result<Option<ScanAnswer>, Problem> {
    super::earlier("payment/verify", &key, |result| Scanned {
        code: String::new(),
        result,
    })
    .await
}

/// The answer to the recharge with `key`.
#[server(prefix = "/console", endpoint = "recharge/answer")]
pub async fn earlier_recharge(key: String) -> Result<Option<RechargeAnswer>, Problem> {
    super::earlier("wallet/recharge", &key, |receipt| Receipt { receipt }).await
}

/// The answer to the stored-value refund with `key`.
#[server(prefix = "/console", endpoint = "refund/answer")]
pub async fn earlier_refund(key: String) -> Result<Option<RefundAnswer>, Problem> {
    super::earlier("wallet/refund", &key, |receipt| RefundDone {
        receipt,
        // Without JavaScript the counter's address asks for the new preview itself.
        changed: None,
    })
    .await
}

/// The answer to the refund back to WeChat Pay with `key`.
#[server(prefix = "/console", endpoint = "refund/online/answer")]
pub async fn earlier_refund_online(key: String) -> Result<Option<OnlineRefundAnswer>, Problem> {
    super::earlier("wallet/refund/online", &key, |receipt| OnlineRefundDone {
        receipt,
        changed: None,
    })
    .await
}

/// The answer to the payment refund with `key`.
#[server(prefix = "/console", endpoint = "payment/refund/answer")]
pub async fn earlier_payment_refund(key: String) -> Result<Option<PaymentRefundAnswer>, Problem> {
    super::earlier("payment/refund", &key, |receipt| Receipt { receipt }).await
}

/// What the counter shows of its shop: its name, whether it prints a receipt after each
/// collection or recharge, and today's stock of each card on sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopAtCounter {
    pub name: String,
    pub auto_print: bool,
    pub stock: Vec<CardStock>,
}

/// A card on sale and what is left of it today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardStock {
    pub code: String,
    pub name: String,
    pub left_today: u32,
    pub daily_cap: u32,
}

/// The counter's shop (any member of staff who scans).
#[server(prefix = "/console", endpoint = "shop")]
pub async fn counter_shop() -> Result<ShopAtCounter, Problem> {
    let call = crate::api::edge::authenticated()?;
    let staff = call.staff(crate::auth::Permission::Scan)?;
    let (state, merchant) = (&call.state, staff.merchant_id.as_str());
    let (shop, auto_print, catalog) = tokio::try_join!(
        crate::service::shops::shop(state, merchant),
        crate::service::settings::auto_print(state, merchant),
        crate::service::catalog::read(state, merchant, false, chrono::Utc::now()),
    )?;
    Ok(ShopAtCounter {
        name: shop.name.clone(),
        auto_print,
        stock: catalog
            .card_types
            .into_iter()
            .map(|offer| CardStock {
                code: offer.card_type.code.to_string(),
                name: offer.card_type.name.to_string(),
                left_today: offer.left_today,
                daily_cap: offer.card_type.daily_cap.get(),
            })
            .collect(),
    })
}
