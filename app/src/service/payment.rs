//! Payment codes, scans at the counter (card or payment code) and payment refunds.

use chrono::{DateTime, Duration, Utc};
use db::Db;
use db::card::CardRow;
use db::idempotency::Request;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use db::payment::{Collection, NewPayment, PaymentRow, Refund};

use super::wallet::{diff, from_row, money, to_row, wallet_key};
use super::{locks, outcome, with_retries};
use crate::domain::card::{self, CardStatus};
use crate::domain::events::{DomainEvent, Party};
use crate::domain::wallet::{self, PaymentSplit};
use crate::domain::{Money, PaymentStatus};
use crate::error::AppError;
use crate::model::payment::{PaymentOrder, PaymentRefundReceipt, ScanResult};
use crate::state::AppState;

/// How payment codes are handed out (configuration: `payments.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentRules {
    /// How long a code can be collected after it was created.
    pub code_ttl: Duration,
    /// How many open (PENDING, unexpired) orders one diner may hold at once: each is a
    /// bearer secret for their wallet, and each is a row until it expires.
    pub max_open_per_diner: u32,
}

impl Default for PaymentRules {
    fn default() -> Self {
        Self {
            code_ttl: Duration::minutes(10),
            max_open_per_diner: 5,
        }
    }
}

/// A member of staff at their merchant.
#[derive(Clone, Copy, Debug)]
pub struct Counter<'a> {
    pub merchant: &'a str,
    pub staff: &'a str,
}

/// A diner asks to pay `amount` at `merchant`, optionally with one of their ACTIVE cards.
/// Nothing moves until a cashier scans the code. Refused (`TooManyOpenPayments`) while the
/// diner already holds `rules.max_open_per_diner` open orders.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(state))]
pub async fn create_payment(
    state: &AppState,
    merchant: &str,
    uid: &str,
    amount: Money,
    card: Option<&str>,
    now: DateTime<Utc>,
    once: Option<Request>,
    rules: PaymentRules,
) -> Result<PaymentOrder, AppError> {
    let db = &state.db;
    if amount.is_zero() {
        return Err(AppError::Invalid(
            "the amount must be more than zero".into(),
        ));
    }
    if let Some(uuid) = card {
        let found = owned_card(db, merchant, uuid).await?;
        if found.uid != uid {
            return Err(AppError::NotFound("card".into()));
        }
        card::check_redeemable(status(&found)?, found.expiry, now)?;
    }
    // The diner's orders queue here (the count and the new order are one transaction).
    let _queue = locks::hold(&format!("payment_opening:{uid}")).await;
    with_retries(|| async {
        let order = NewPayment {
            id: uuid::Uuid::now_v7().simple().to_string(),
            merchant: merchant.to_owned(),
            uid: uid.to_owned(),
            amount: amount.amount(),
            card: card.map(str::to_owned),
            code: payment_code()?,
            expires_at: now + rules.code_ttl,
        };
        let reply = PaymentOrder {
            payment_id: order.id.clone(),
            code: order.code.clone(),
            amount,
            card: order.card.clone(),
            expires_at: order.expires_at,
        };
        let outcome = outcome(state, once.as_ref(), &reply, None).await?;
        db::payment::create(db, &order, rules.max_open_per_diner, now, &outcome)
            .await
            .map_err(|err| match err.rejection() {
                Some(db::Rejection::TooManyOpen) => AppError::TooManyOpenPayments {
                    limit: rules.max_open_per_diner,
                },
                _ => AppError::Database(err),
            })?;
        Ok(reply)
    })
    .await
}

/// What the cashier's scanner read: a card (its uuid) or a payment code (18 digits).
#[tracing::instrument(skip(state))]
pub async fn scan(
    state: &AppState,
    counter: Counter<'_>,
    code: &str,
    now: DateTime<Utc>,
    once: Option<Request>,
) -> Result<ScanResult, AppError> {
    let code = code.trim();
    if uuid::Uuid::parse_str(code).is_ok() {
        redeem_card(state, counter, &code.to_ascii_lowercase(), now, once).await
    } else if is_payment_code(code) {
        collect_payment(state, counter, code, now, once).await
    } else {
        Err(AppError::Invalid(
            "this is neither a card nor a payment code".into(),
        ))
    }
}

async fn redeem_card(
    state: &AppState,
    counter: Counter<'_>,
    uuid: &str,
    now: DateTime<Utc>,
    once: Option<Request>,
) -> Result<ScanResult, AppError> {
    let db = &state.db;
    let _queue = locks::hold(&format!("card:{uuid}")).await;
    with_retries(|| async {
        let found = redeemable_card(db, counter.merchant, uuid, now).await?;
        let entry = NewLedgerEntry::new(
            LedgerType::Redeem,
            found.value.benefit.amount,
            counter.merchant,
            &found.uid,
            card_change(uuid, CardStatus::Used),
        )
        .by_staff(Some(counter.staff))
        .referencing(format!("card:{uuid}"));
        let result = ScanResult::CardRedeemed {
            txn_id: entry.txn_id.clone(),
            card: uuid.to_owned(),
            card_name: found.value.name.clone(),
            benefit: found.value.benefit.description.clone(),
            owner: found.uid.clone(),
        };
        let fact = DomainEvent::CardRedeemed {
            party: Party::new(counter.merchant, &found.uid, &entry.txn_id),
            card: uuid.to_owned(),
            card_name: found.value.name.clone(),
        };
        let outcome = outcome(state, once.as_ref(), &result, Some(&fact)).await?;
        db::card::redeem(db, uuid, Some(counter.staff), &entry, &outcome).await?;
        Ok(result)
    })
    .await
}

async fn collect_payment(
    state: &AppState,
    counter: Counter<'_>,
    code: &str,
    now: DateTime<Utc>,
    once: Option<Request>,
) -> Result<ScanResult, AppError> {
    let db = &state.db;
    let payer = find_by_code(db, counter, code).await?.uid;
    let _queue = locks::hold(&wallet_key(counter.merchant, &payer)).await;
    with_retries(|| async {
        let order = find_by_code(db, counter, code).await?;
        let status = payment_status(&order)?;
        // Closed by the expiry worker, or not yet: either way too old to collect.
        if status == PaymentStatus::Expired
            || (status == PaymentStatus::Pending && now >= order.expires_at)
        {
            return Err(AppError::PaymentExpired);
        }
        if status != PaymentStatus::Pending {
            return Err(AppError::PaymentState(status.as_str().to_lowercase()));
        }
        let bill = money(order.amount)?;
        let deduction = match &order.card {
            Some(uuid) => {
                let found = redeemable_card(db, counter.merchant, uuid, now).await?;
                card::apply_benefit(bill, money(found.value.benefit.amount)?).0
            }
            None => Money::ZERO,
        };
        let to_pay = bill.saturating_sub(deduction);
        let before = db::wallet::get(db, counter.merchant, &order.uid).await?;
        let balance = from_row(&before)?;
        let split = if to_pay.is_zero() {
            PaymentSplit::default()
        } else {
            wallet::split_payment(&balance, to_pay)?
        };
        let after = wallet::pay(&balance, &split)?;
        let mut change = diff(&before, &to_row(&after));
        if let Some(uuid) = &order.card {
            change.cards = card_change(uuid, CardStatus::Used).cards;
        }
        let entry = NewLedgerEntry::new(
            LedgerType::Payment,
            to_pay.amount(),
            counter.merchant,
            &order.uid,
            change,
        )
        .by_staff(Some(counter.staff))
        .referencing(format!("payment:{}", order.id));
        let fact = DomainEvent::PaymentCollected {
            party: Party::new(counter.merchant, &order.uid, &entry.txn_id),
            payment_id: order.id.clone(),
            bill,
            deduction,
            split,
            card: order.card.clone(),
            balance: after,
        };
        let result = ScanResult::PaymentCollected {
            txn_id: entry.txn_id.clone(),
            payment_id: order.id.clone(),
            owner: order.uid.clone(),
            amount: bill,
            deduction,
            split,
            wallet: after,
        };
        let outcome = outcome(state, once.as_ref(), &result, Some(&fact)).await?;
        db::payment::collect(
            db,
            &Collection {
                payment_id: &order.id,
                merchant: counter.merchant,
                uid: &order.uid,
                staff: Some(counter.staff),
                wallet_before: before,
                wallet_after: to_row(&after),
                deduction: deduction.amount(),
                principal: split.principal.amount(),
                bonus: split.bonus.amount(),
                card: order.card.as_deref(),
                entry: &entry,
                outcome: &outcome,
            },
        )
        .await?;
        Ok(result)
    })
    .await
}

/// Returns a collected payment's exact split to the wallet and its card, if still valid.
#[tracing::instrument(skip(state))]
pub async fn refund_payment(
    state: &AppState,
    counter: Counter<'_>,
    payment_id: &str,
    now: DateTime<Utc>,
    once: Option<Request>,
) -> Result<PaymentRefundReceipt, AppError> {
    let db = &state.db;
    let payer = find_by_id(db, counter, payment_id).await?.uid;
    let _queue = locks::hold(&wallet_key(counter.merchant, &payer)).await;
    with_retries(|| async {
        let order = find_by_id(db, counter, payment_id).await?;
        let status = payment_status(&order)?;
        if status != PaymentStatus::Collected {
            return Err(AppError::PaymentState(status.as_str().to_lowercase()));
        }
        let split = PaymentSplit {
            principal: money(order.principal)?,
            bonus: money(order.bonus)?,
        };
        let before = db::wallet::get(db, counter.merchant, &order.uid).await?;
        let after = wallet::refund_payment(&from_row(&before)?, &split)?;
        let reactivate = match &order.card {
            Some(uuid) => {
                let found = owned_card(db, counter.merchant, uuid).await?;
                card::reactivates_on_refund(found.expiry, now).then_some(uuid.as_str())
            }
            None => None,
        };
        let mut change = diff(&before, &to_row(&after));
        if let Some(uuid) = reactivate {
            change.cards = card_change(uuid, CardStatus::Active).cards;
        }
        let returned = split.total().unwrap_or(Money::ZERO);
        let entry = NewLedgerEntry::new(
            LedgerType::Refund,
            returned.amount(),
            counter.merchant,
            &order.uid,
            change,
        )
        .by_staff(Some(counter.staff))
        .referencing(format!("payment:{}", order.id));
        let receipt = PaymentRefundReceipt {
            txn_id: entry.txn_id.clone(),
            payment_id: order.id.clone(),
            returned: split,
            card_reactivated: reactivate.is_some(),
            wallet: after,
        };
        let fact = DomainEvent::PaymentRefunded {
            party: Party::new(counter.merchant, &order.uid, &entry.txn_id),
            payment_id: order.id.clone(),
            returned,
            card_reactivated: reactivate.map(str::to_owned),
            balance: after,
        };
        let outcome = outcome(state, once.as_ref(), &receipt, Some(&fact)).await?;
        db::payment::refund(
            db,
            &Refund {
                payment_id: &order.id,
                merchant: counter.merchant,
                uid: &order.uid,
                wallet_before: before,
                wallet_after: to_row(&after),
                reactivate_card: reactivate,
                entry: &entry,
                outcome: &outcome,
            },
        )
        .await?;
        Ok(receipt)
    })
    .await
}

/// An order of this merchant by its code; another merchant's is "not found".
async fn find_by_code(db: &Db, counter: Counter<'_>, code: &str) -> Result<PaymentRow, AppError> {
    db::payment::by_code(db, code)
        .await?
        .filter(|order| order.merchant == counter.merchant)
        .ok_or_else(|| AppError::NotFound("payment code".into()))
}

async fn find_by_id(db: &Db, counter: Counter<'_>, id: &str) -> Result<PaymentRow, AppError> {
    db::payment::get(db, id)
        .await?
        .filter(|order| order.merchant == counter.merchant)
        .ok_or_else(|| AppError::NotFound("payment".into()))
}

/// A card of this merchant; another merchant's card is "not found" (nothing to learn about it).
async fn owned_card(db: &Db, merchant: &str, uuid: &str) -> Result<CardRow, AppError> {
    db::card::get(db, uuid)
        .await?
        .filter(|card| card.merchant == merchant)
        .ok_or_else(|| AppError::NotFound("card".into()))
}

/// A card of this merchant that may be redeemed now, with the value it was issued with (an
/// edit of its type since then does not change what it is worth).
async fn redeemable_card(
    db: &Db,
    merchant: &str,
    uuid: &str,
    now: DateTime<Utc>,
) -> Result<CardRow, AppError> {
    let found = owned_card(db, merchant, uuid).await?;
    card::check_redeemable(status(&found)?, found.expiry, now)?;
    Ok(found)
}

fn status(card: &CardRow) -> Result<CardStatus, AppError> {
    CardStatus::parse(&card.status)
        .ok_or_else(|| AppError::Internal(format!("card {} has status {}", card.uuid, card.status)))
}

fn payment_status(order: &PaymentRow) -> Result<PaymentStatus, AppError> {
    PaymentStatus::parse(&order.status).ok_or_else(|| {
        AppError::Internal(format!("payment {} has status {}", order.id, order.status))
    })
}

fn card_change(uuid: &str, status: CardStatus) -> AssetsChange {
    AssetsChange {
        cards: Some(
            [(uuid.to_owned(), status.as_str().to_owned())]
                .into_iter()
                .collect(),
        ),
        ..AssetsChange::default()
    }
}

/// 18 digits starting with 66: easy to tell from a card's uuid, impossible to guess. A code
/// is a bearer secret (whoever shows it is paid from the diner's wallet), so its 16 digits
/// come from the operating system's CSPRNG, not a seedable PRNG; bytes of 250 and above are
/// drawn again, so each digit is exactly uniform (250 = 25 × 10: no modulo bias).
fn payment_code() -> Result<String, AppError> {
    const DIGITS: usize = 16;
    let mut code = String::with_capacity(DIGITS + 2);
    code.push_str("66");
    let mut bytes = [0_u8; DIGITS * 2];
    while code.len() < DIGITS + 2 {
        getrandom::fill(&mut bytes)
            .map_err(|e| AppError::Internal(format!("the OS random source failed: {e}")))?;
        for byte in bytes.iter().filter(|byte| **byte < 250) {
            if code.len() == DIGITS + 2 {
                break;
            }
            code.push(char::from(b'0' + byte % 10));
        }
    }
    Ok(code)
}

fn is_payment_code(code: &str) -> bool {
    code.len() == 18 && code.starts_with("66") && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_codes_are_18_digits_and_recognised() {
        for _ in 0..100 {
            let code = payment_code().expect("a code");
            assert!(is_payment_code(&code), "{code}");
        }
        assert!(!is_payment_code("123"));
        assert!(!is_payment_code("77xxxxxxxxxxxxxxxx"));
    }

    #[test]
    fn payment_codes_do_not_follow_a_seedable_generator() {
        // Whoever learns (or sets) a PRNG's seed could replay every code it draws.
        fastrand::seed(7);
        let first = payment_code().expect("a code");
        fastrand::seed(7);
        let second = payment_code().expect("a code");
        assert_ne!(first, second);
    }

    #[test]
    fn every_digit_of_a_payment_code_is_equally_likely() {
        let mut counts = [0_u32; 10];
        for _ in 0..40_000 {
            let code = payment_code().expect("a code");
            for digit in code.bytes().skip(2) {
                if let Some(count) = counts.get_mut(usize::from(digit - b'0')) {
                    *count += 1;
                }
            }
        }
        // 640,000 digits, 64,000 expected each. Uniform digits pass 33.7 (9 degrees of
        // freedom) in all but one run of ten thousand; `byte % 10` (digits 0–5 likelier by
        // 1/25) scores about 230.
        let chi_square: f64 = counts
            .iter()
            .map(|&n| (f64::from(n) - 64_000.0).powi(2) / 64_000.0)
            .sum();
        assert!(chi_square < 33.7, "{counts:?}: χ² = {chi_square}");
    }
}
