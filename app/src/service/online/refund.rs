//! Refunds of online recharges: principal paid back to the diner's WeChat Pay instead of in
//! cash, the clawback rule deciding the payout exactly as at the counter.
//!
//! The wallet is debited first — the STORED_VALUE_REFUND entry, the order's refunded share
//! and the refund PROCESSING in one transaction — so money never leaves while it could still
//! be spent; then the provider is asked under the refund's own number (the same number
//! again: the same refund, made once). Its answer, its notification or the worker's asking
//! again settles it: SUCCESS, or — refused, closed, stuck — FAILED and put back (a
//! REFUND_REVERSAL entry), so the wallet is as it was.

use chrono::{DateTime, Utc};
use db::idempotency::Request;
use db::ledger::{LedgerType, NewLedgerEntry};
use db::online::{RefundRow, RefundSave};
use db::wallet::WalletMove;
use pay::Provider;

use super::super::wallet::{diff, from_row, money, to_row, wallet_key};
use super::super::{answer_to, locks, outcome, with_retries};
use super::alert;
use crate::domain::Money;
use crate::domain::events::{DomainEvent, Party};
use crate::domain::online::{self, RefundState};
use crate::domain::wallet::{self, Clawback};
use crate::error::AppError;
use crate::model::online::{OnlineRefund, RefundableOrder};
use crate::state::AppState;

/// Refunds `amount` of principal of the diner who paid the online order `order_no`, back to
/// their WeChat Pay — only if it pays out `expected_payout`, what the preview showed. Once
/// per request (its Idempotency-Key: the same key again answers the same refund).
#[tracing::instrument(skip(state, once))]
pub async fn refund(
    state: &AppState,
    merchant: &str,
    staff: Option<&str>,
    order_no: &str,
    amount: Money,
    expected_payout: Money,
    once: Request,
) -> Result<OnlineRefund, AppError> {
    let provider = state.online.provider(merchant)?;
    let db = &state.db;
    let number = online::refund_number(&once.scope, &once.key);
    if let Some(asked) = db::online::refund_get(db, &number).await? {
        // Asked before under this key: its answer stands; without one (lost, or the
        // provider not heard yet), the same request carries it on.
        if db::idempotency::find(db, &once.scope, &once.key)
            .await?
            .is_some()
        {
            return Err(super::answered());
        }
        if asked.request_hash != once.request_hash {
            return Err(AppError::Invalid(
                "this Idempotency-Key asked for another refund; use a new key".into(),
            ));
        }
        return finish(state, provider.as_ref(), asked, Some(&once)).await;
    }
    let order = db::online::get(db, order_no)
        .await?
        .filter(|order| order.merchant == merchant)
        .ok_or_else(|| AppError::NotFound(format!("order {order_no}")))?;
    if order.status != "PAID" {
        return Err(AppError::Conflict(format!(
            "the order {order_no} is {}: only a paid order is refunded",
            order.status
        )));
    }
    let total_fen = u64::try_from(order.total_fen).unwrap_or(0);
    let queue = locks::hold(&wallet_key(merchant, &order.uid)).await;
    let asked = with_retries(|| async {
        let before = db::wallet::get(db, merchant, &order.uid).await?;
        let clawback = wallet::clawback(&from_row(&before)?, amount)?;
        // The write below is guarded by `before`, so what is checked here is what is paid.
        if clawback.payout != expected_payout {
            return Err(AppError::RefundPreviewChanged {
                expected_payout,
                now: Box::new(clawback),
            });
        }
        let payout_fen = online::fen(clawback.payout).ok_or_else(|| {
            AppError::Invalid(
                "this refund pays nothing back (the bonus already spent takes it all)".into(),
            )
        })?;
        let refunded = db::online::get(db, order_no)
            .await?
            .map_or(order.refunded_fen, |now| now.refunded_fen);
        online::refund_fits(total_fen, u64::try_from(refunded).unwrap_or(0), payout_fen)
            .map_err(|left| exceeds(order_no, left))?;
        let after = to_row(&clawback.after);
        let mut change = diff(&before, &after);
        change.cash_out = Some(clawback.payout.amount());
        let entry = NewLedgerEntry::new(
            LedgerType::StoredValueRefund,
            clawback.payout.amount(),
            merchant,
            &order.uid,
            change,
        )
        .by_staff(staff)
        .referencing(format!("online_refund:{number}"));
        let save = RefundSave {
            number: number.clone(),
            order_no: order.number.clone(),
            merchant: merchant.to_owned(),
            uid: order.uid.clone(),
            staff: staff.map(str::to_owned),
            request_hash: once.request_hash.clone(),
            amount: clawback.refund.amount(),
            clawback: clawback.clawback.amount(),
            bonus_taken: clawback.bonus_taken.amount(),
            shortfall: clawback.shortfall.amount(),
            payout: clawback.payout.amount(),
            payout_fen: i64::try_from(payout_fen).unwrap_or(i64::MAX),
            before,
            after,
        };
        let fact = DomainEvent::CashRefunded {
            party: Party::new(merchant, &order.uid, &entry.txn_id),
            clawback,
            online: true,
        };
        let outcome = outcome(state, None, &(), Some(&fact)).await?;
        let step = WalletMove {
            merchant,
            uid: &order.uid,
            expected: &before,
            next: &after,
            entry: &entry,
        };
        db::online::refund(db, &save, step, &outcome)
            .await
            .map_err(|err| match err.rejection() {
                Some(db::Rejection::NotRefundable) => AppError::Conflict(format!(
                    "the order {order_no} is not a paid online recharge of this shop"
                )),
                Some(db::Rejection::RefundExceedsOrder) => exceeds(order_no, 0),
                _ => AppError::Database(err),
            })?;
        db::online::refund_get(db, &number)
            .await?
            .ok_or_else(|| AppError::Internal(format!("refund {number} not kept")))
    })
    .await?;
    drop(queue);
    finish(state, provider.as_ref(), asked, Some(&once)).await
}

fn exceeds(order_no: &str, left_fen: u64) -> AppError {
    AppError::RefundExceedsOrder {
        order: order_no.to_owned(),
        left: Money::from_fen(left_fen),
    }
}

/// Asks the provider for a refund still PROCESSING (again: the same number is the same
/// refund) and settles it by the answer: taken, or refused — put back. A provider that could
/// not be reached leaves it PROCESSING for the worker. The refund as it is then, answered to
/// `once` when it is settled or taken.
async fn finish(
    state: &AppState,
    provider: &dyn Provider,
    asked: RefundRow,
    once: Option<&Request>,
) -> Result<OnlineRefund, AppError> {
    let db = &state.db;
    if asked.status == "PROCESSING" {
        let total_fen = db::online::get(db, &asked.order_no)
            .await?
            .map_or(0, |order| u64::try_from(order.total_fen).unwrap_or(0));
        let request = pay::RefundOrder {
            out_trade_no: asked.order_no.clone(),
            out_refund_no: asked.number.clone(),
            refund_fen: u64::try_from(asked.payout_fen).unwrap_or(0),
            total_fen,
            reason: Some("储值退款".into()),
            notify_url: state.online.notify_url(&asked.merchant),
        };
        match provider.refund(&request).await {
            Ok(refund) => match RefundState::of(&refund.status) {
                RefundState::Failed => {
                    put_back(state, &asked, &format!("the refund is {}", refund.status)).await?
                }
                taken => {
                    db::online::refund_taken(
                        db,
                        &asked.number,
                        &refund.refund_id,
                        taken == RefundState::Succeeded,
                    )
                    .await?
                }
            },
            Err(error) if refused(&error) => put_back(state, &asked, &error.to_string()).await?,
            Err(error) => {
                // It may or may not have reached the provider: asked again later.
                tracing::warn!(refund = %asked.number, %error, "a refund's answer was lost");
                return receipt(&asked);
            }
        }
    }
    let now = db::online::refund_get(db, &asked.number)
        .await?
        .ok_or_else(|| AppError::Internal(format!("refund {} not kept", asked.number)))?;
    let answer = receipt(&now)?;
    if let Some(answer) = answer_to(once, &answer)? {
        db::idempotency::store(db, &answer).await?;
    }
    Ok(answer)
}

/// Whether the provider surely made no refund: it refused the request, or it could not be
/// signed. (An open breaker may follow attempts that reached it: not sure.)
fn refused(error: &pay::PayError) -> bool {
    match error {
        pay::PayError::Refused { .. } => !error.is_transient(),
        pay::PayError::Keys(_) => true,
        _ => false,
    }
}

/// Puts a refund that never paid out back into the wallet (`undo_cash_refund`): its
/// REFUND_REVERSAL entry, the refund FAILED with `reason`, the order's share free again.
/// Settled before: nothing to do.
async fn put_back(state: &AppState, asked: &RefundRow, reason: &str) -> Result<(), AppError> {
    let db = &state.db;
    tracing::warn!(refund = %asked.number, %reason, "an online refund failed; put back");
    let refund = clawback_of(asked)?;
    let before = from_row(&asked.before)?;
    let _queue = locks::hold(&wallet_key(&asked.merchant, &asked.uid)).await;
    let done = with_retries(|| async {
        let now = db::wallet::get(db, &asked.merchant, &asked.uid).await?;
        let undone = wallet::undo_cash_refund(&from_row(&now)?, &before, &refund)?;
        let next = to_row(&undone);
        let entry = NewLedgerEntry::new(
            LedgerType::RefundReversal,
            asked.payout,
            &asked.merchant,
            &asked.uid,
            diff(&now, &next),
        )
        .referencing(format!("online_refund:{}", asked.number));
        let fact = DomainEvent::RefundReversed {
            party: Party::new(&asked.merchant, &asked.uid, &entry.txn_id),
            refund: asked.number.clone(),
            payout: refund.payout,
            balance: undone,
        };
        let outcome = outcome(state, None, &(), Some(&fact)).await?;
        let step = WalletMove {
            merchant: &asked.merchant,
            uid: &asked.uid,
            expected: &now,
            next: &next,
            entry: &entry,
        };
        Ok(db::online::refund_failed(db, &asked.number, reason, step, &outcome).await?)
    })
    .await;
    match done {
        Err(AppError::Database(err)) if err.rejection() == Some(&db::Rejection::NotPending) => {
            Ok(())
        }
        other => other,
    }
}

/// The clawback a refund applied, as the rule computed it.
fn clawback_of(asked: &RefundRow) -> Result<Clawback, AppError> {
    Ok(Clawback {
        refund: money(asked.amount)?,
        clawback: money(asked.clawback)?,
        bonus_taken: money(asked.bonus_taken)?,
        shortfall: money(asked.shortfall)?,
        payout: money(asked.payout)?,
        after: from_row(&asked.after)?,
    })
}

fn receipt(asked: &RefundRow) -> Result<OnlineRefund, AppError> {
    Ok(OnlineRefund {
        refund: asked.number.clone(),
        order: asked.order_no.clone(),
        txn_id: asked.txn_id.clone(),
        clawback: clawback_of(asked)?,
        status: asked.status.clone(),
        reason: asked.reason.clone(),
        reversal_txn_id: asked.reversal_txn_id.clone(),
    })
}

/// A refund notification for `merchant`: SUCCESS settles it, CLOSED or ABNORMAL puts it back.
/// One for no refund of this shop, or not as asked, is refused and alerted.
pub(super) async fn notified(
    state: &AppState,
    merchant: &str,
    notice: &pay::RefundNotice,
) -> Result<(), AppError> {
    let db = &state.db;
    let number = &notice.out_refund_no;
    let asked = db::online::refund_get(db, number)
        .await?
        .filter(|asked| asked.merchant == merchant);
    let Some(asked) = asked else {
        alert(
            merchant,
            number,
            "a refund notification for no refund of this shop",
        );
        return Err(AppError::NotFound(format!("refund {number}")));
    };
    let payout_fen = u64::try_from(asked.payout_fen).unwrap_or(0);
    if notice.out_trade_no != asked.order_no || notice.amount.refund != payout_fen {
        let why = format!(
            "refund of {} fen on order {} reported for {payout_fen} fen on {}",
            notice.amount.refund, notice.out_trade_no, asked.order_no
        );
        alert(merchant, number, &why);
        return Err(AppError::Invalid(format!(
            "the refund does not match what was asked: {why}"
        )));
    }
    match RefundState::of(&notice.refund_status) {
        RefundState::Succeeded => {
            db::online::refund_taken(db, number, &notice.refund_id, true).await?;
        }
        RefundState::Failed => {
            put_back(
                state,
                &asked,
                &format!("the refund is {}", notice.refund_status),
            )
            .await?;
        }
        RefundState::Processing => {}
    }
    Ok(())
}

/// The worker's part: refunds PROCESSING since before `cutoff` are asked after again (their
/// notification may be lost, or their first asking never answered). How many were settled.
pub(super) async fn sweep(
    state: &AppState,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> Result<usize, AppError> {
    let mut settled = 0;
    for asked in db::online::refunds_processing_before(&state.db, cutoff, limit).await? {
        let Some(provider) = state.online.accounts.get(&asked.merchant) else {
            continue;
        };
        match finish(state, provider.as_ref(), asked, None).await {
            Ok(refund) if refund.status != "PROCESSING" => settled += 1,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not settle a refund"),
        }
    }
    Ok(settled)
}

/// The diner's online recharges at the shop that can still be refunded to WeChat Pay.
pub async fn refundable(
    state: &AppState,
    merchant: &str,
    uid: &str,
) -> Result<Vec<RefundableOrder>, AppError> {
    db::online::refundable(&state.db, merchant, uid)
        .await?
        .into_iter()
        .map(|order| {
            let left =
                u64::try_from(order.total_fen.saturating_sub(order.refunded_fen)).unwrap_or(0);
            Ok(RefundableOrder {
                refundable: Money::from_fen(left),
                pay: money(order.pay)?,
                order: order.number,
                tier: order.label,
                paid_at: order.paid_at,
            })
        })
        .collect()
}
