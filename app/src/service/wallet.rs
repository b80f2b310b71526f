//! Recharges, balances and stored-value refunds.

use db::Db;
use db::idempotency::Request;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::wallet::WalletRow;

use super::{locks, outcome, with_retries};
use crate::domain::events::{DomainEvent, Party};
use crate::domain::wallet::{self, Balance, Clawback, RechargeTier};
use crate::domain::{Money, MoneyError};
use crate::error::AppError;
use crate::model::wallet::{RechargeReceipt, StoredValueRefundReceipt};
use crate::state::AppState;

/// Who is acting and where: every operation names its merchant and, for staff, the staff id
/// that goes on the ledger.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub merchant: &'a str,
    pub uid: &'a str,
    pub staff: Option<&'a str>,
}

/// A diner's balance at a merchant.
pub async fn balance(state: &AppState, merchant: &str, uid: &str) -> Result<Balance, AppError> {
    let db = &state.db;
    from_row(&db::wallet::get(db, merchant, uid).await?)
}

/// Refuses a uid no diner has: money kept for nobody could never be spent or paid back.
/// Diners are never deleted, so a check before the transaction holds inside it.
pub(crate) async fn known_diner(db: &Db, uid: &str) -> Result<(), AppError> {
    match db::diner::get(db, uid).await? {
        Some(_) => Ok(()),
        None => Err(AppError::DinerNotFound(uid.to_owned())),
    }
}

/// Adds a recharge tier's principal and bonus to the wallet.
#[tracing::instrument(skip(state))]
pub async fn recharge(
    state: &AppState,
    scope: Scope<'_>,
    tier_code: &str,
    once: Option<Request>,
) -> Result<RechargeReceipt, AppError> {
    let db = &state.db;
    known_diner(db, scope.uid).await?;
    let tier = db::catalog::recharge_tier(db, scope.merchant, tier_code)
        .await?
        .filter(|tier| tier.active)
        .ok_or_else(|| AppError::NotFound(format!("recharge tier {tier_code}")))?;
    let rule = RechargeTier {
        pay: money(tier.pay)?,
        bonus: money(tier.bonus)?,
    };
    let _queue = locks::hold(&wallet_key(scope.merchant, scope.uid)).await;
    with_retries(|| async {
        let before = db::wallet::get(db, scope.merchant, scope.uid).await?;
        let made = recharged(
            &before,
            &rule,
            &tier.label,
            scope,
            format!("recharge_tier:{tier_code}"),
            false,
        )?;
        let outcome = outcome(state, once.as_ref(), &made.receipt, Some(&made.fact)).await?;
        db::wallet::apply(
            db,
            scope.merchant,
            scope.uid,
            &before,
            &made.after,
            &made.entry,
            &outcome,
        )
        .await?;
        Ok(made.receipt)
    })
    .await
}

/// A recharge computed from the wallet as read: the wallet after, its ledger entry (with
/// `reference`), the receipt and the fact — written by the caller with its own guards.
pub(crate) struct Recharged {
    pub after: WalletRow,
    pub entry: NewLedgerEntry,
    pub receipt: RechargeReceipt,
    pub fact: DomainEvent,
}

/// The recharge of `rule` (named `label`) on the wallet `before`, sold at the counter or
/// paid `online`.
pub(crate) fn recharged(
    before: &WalletRow,
    rule: &RechargeTier,
    label: &str,
    scope: Scope<'_>,
    reference: String,
    online: bool,
) -> Result<Recharged, AppError> {
    let after = wallet::recharge(&from_row(before)?, rule)?;
    let mut change = diff(before, &to_row(&after));
    change.bonus_ratio = Some(wallet::bonus_ratio(rule));
    let entry = NewLedgerEntry::new(
        LedgerType::Recharge,
        rule.pay.amount(),
        scope.merchant,
        scope.uid,
        change,
    )
    .by_staff(scope.staff)
    .referencing(reference);
    let receipt = RechargeReceipt {
        txn_id: entry.txn_id.clone(),
        tier: label.to_owned(),
        paid: rule.pay,
        bonus: rule.bonus,
        balance: after,
    };
    let fact = DomainEvent::Recharged {
        party: Party::new(scope.merchant, scope.uid, &entry.txn_id),
        tier: label.to_owned(),
        paid: rule.pay,
        bonus: rule.bonus,
        balance: after,
        online,
    };
    Ok(Recharged {
        after: to_row(&after),
        entry,
        receipt,
        fact,
    })
}

/// What a stored-value refund of `amount` principal would do, without doing it.
pub async fn preview_stored_value_refund(
    state: &AppState,
    merchant: &str,
    uid: &str,
    amount: Money,
) -> Result<Clawback, AppError> {
    let db = &state.db;
    known_diner(db, uid).await?;
    let current = balance(state, merchant, uid).await?;
    Ok(wallet::clawback(&current, amount)?)
}

/// Pays `amount` of principal back as cash, clawing back the bonus that came with it — only
/// if it pays out `expected_payout`, what the cashier's preview showed: a change of the wallet
/// since (a payment at another till) is refused with the new preview, never paid differently.
#[tracing::instrument(skip(state))]
pub async fn stored_value_refund(
    state: &AppState,
    scope: Scope<'_>,
    amount: Money,
    expected_payout: Money,
    once: Option<Request>,
) -> Result<StoredValueRefundReceipt, AppError> {
    let db = &state.db;
    known_diner(db, scope.uid).await?;
    let _queue = locks::hold(&wallet_key(scope.merchant, scope.uid)).await;
    with_retries(|| async {
        let before = db::wallet::get(db, scope.merchant, scope.uid).await?;
        let clawback = wallet::clawback(&from_row(&before)?, amount)?;
        // The write below is guarded by `before`, so what is checked here is what is paid.
        if clawback.payout != expected_payout {
            return Err(AppError::RefundPreviewChanged {
                expected_payout,
                now: Box::new(clawback),
            });
        }
        let mut change = diff(&before, &to_row(&clawback.after));
        change.cash_out = Some(clawback.payout.amount());
        let entry = NewLedgerEntry::new(
            LedgerType::StoredValueRefund,
            clawback.payout.amount(),
            scope.merchant,
            scope.uid,
            change,
        )
        .by_staff(scope.staff);
        let after = to_row(&clawback.after);
        let fact = DomainEvent::CashRefunded {
            party: Party::new(scope.merchant, scope.uid, &entry.txn_id),
            clawback,
            online: false,
        };
        let receipt = StoredValueRefundReceipt {
            txn_id: entry.txn_id.clone(),
            clawback,
        };
        let outcome = outcome(state, once.as_ref(), &receipt, Some(&fact)).await?;
        db::wallet::apply(
            db,
            scope.merchant,
            scope.uid,
            &before,
            &after,
            &entry,
            &outcome,
        )
        .await?;
        Ok(receipt)
    })
    .await
}

/// The lock key of a wallet (see `locks`).
pub(crate) fn wallet_key(merchant: &str, uid: &str) -> String {
    format!("wallet:{merchant}:{uid}")
}

pub(crate) fn to_row(balance: &Balance) -> WalletRow {
    WalletRow {
        principal: balance.principal.amount(),
        bonus: balance.bonus.amount(),
        granted_bonus: balance.granted_bonus.amount(),
        made_good: balance.made_good.amount(),
    }
}

pub(crate) fn from_row(row: &WalletRow) -> Result<Balance, AppError> {
    Ok(Balance {
        principal: money(row.principal)?,
        bonus: money(row.bonus)?,
        granted_bonus: money(row.granted_bonus)?,
        made_good: money(row.made_good)?,
    })
}

/// The ledger diff between two wallet states.
pub(crate) fn diff(before: &WalletRow, after: &WalletRow) -> AssetsChange {
    AssetsChange {
        principal: Some(after.principal - before.principal),
        bonus: Some(after.bonus - before.bonus),
        granted_bonus: Some(after.granted_bonus - before.granted_bonus),
        made_good: Some(after.made_good - before.made_good),
        ..AssetsChange::default()
    }
}

/// Stored amounts are valid money by the schema; anything else is corruption, not bad input.
pub(crate) fn money(value: rust_decimal::Decimal) -> Result<Money, AppError> {
    Money::new(value)
        .map_err(|err: MoneyError| AppError::Internal(format!("stored amount {value}: {err}")))
}
