//! Online recharges (issue 19): a diner opens an order for a recharge tier, pays it in the
//! mini program through the shop's payment provider, and the wallet is credited exactly
//! once when the provider confirms it — by its notification, or by the query a worker makes
//! of orders still pending, whichever comes first (the credit's transaction moves the
//! order from PENDING to PAID, so the second finds nothing to do). A report that does not
//! match the order (amount, currency, number, merchant) is refused and alerted; an order
//! never paid is closed at the provider and here once it expires.
//!
//! The pure part (order numbers, fen, the verdict on a report) is `domain::online`; refunds
//! of online recharges back through the provider are `refund`.

mod refund;

pub use refund::{refund, refundable};

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use db::idempotency::Request;
use db::online::{OrderRow, OrderSave};
use db::wallet::WalletMove;
use pay::Provider;

use super::wallet::{Scope, known_diner, money, recharged, wallet_key};
use super::{locks, outcome, with_retries};
use crate::domain::online::{self, Reported, Verdict};
use crate::domain::wallet::RechargeTier;
use crate::error::AppError;
use crate::model::online::{OnlineOrder, OnlineRecharge, PaymentParams};
use crate::model::system::PaymentSuccess;
use crate::state::AppState;

/// The shops' payment accounts and how orders are kept (configuration: `payments.online`).
#[derive(Clone, Default)]
pub struct Online {
    /// Each shop's provider (guarded), by merchant id; a shop without one has no online
    /// recharge.
    accounts: HashMap<String, Arc<dyn Provider>>,
    /// Where providers post notifications: `{notify_base}/api/pay/wechat/notify/{merchant}`.
    pub notify_base: String,
    /// How long an order can be paid.
    pub order_ttl: Duration,
    /// An order still pending this long is asked after (the notification may be lost).
    pub query_after: Duration,
    /// Between the rounds of the worker that asks after pending orders.
    pub sweep_every: std::time::Duration,
    /// DEV: where the stand-ins of WeChat Pay are (each shop's at `{sandbox}/{merchant}`),
    /// whose sandbox pays as the WeChat app would.
    sandbox: Option<String>,
}

impl std::fmt::Debug for Online {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Online")
            .field("merchants", &self.accounts.keys().collect::<Vec<_>>())
            .field("notify_base", &self.notify_base)
            .field("order_ttl", &self.order_ttl)
            .finish_non_exhaustive()
    }
}

impl Online {
    pub fn new(
        notify_base: &str,
        order_ttl: Duration,
        query_after: Duration,
        sweep_every: std::time::Duration,
    ) -> Self {
        Self {
            accounts: HashMap::new(),
            notify_base: notify_base.trim_end_matches('/').to_owned(),
            order_ttl,
            query_after,
            sweep_every,
            sandbox: None,
        }
    }

    /// With the shops' stand-ins under `url` playing the WeChat app's part (DEV).
    pub fn with_sandbox(mut self, url: &str) -> Self {
        self.sandbox = Some(url.trim_end_matches('/').to_owned());
        self
    }

    /// Whether any shop takes online payments.
    pub fn any(&self) -> bool {
        !self.accounts.is_empty()
    }

    /// Whether `merchant` takes online payments.
    pub fn takes(&self, merchant: &str) -> bool {
        self.accounts.contains_key(merchant)
    }

    /// With `merchant` paid through `provider`.
    pub fn with_account(mut self, merchant: &str, provider: Arc<dyn Provider>) -> Self {
        self.accounts.insert(merchant.to_owned(), provider);
        self
    }

    /// The shop's provider, if it takes online payments and its provider is not failing.
    fn provider(&self, merchant: &str) -> Result<&Arc<dyn Provider>, AppError> {
        let provider = self.accounts.get(merchant).ok_or_else(|| {
            AppError::PaymentProviderUnavailable("this shop takes no online payment".into())
        })?;
        if provider.is_open() {
            return Err(AppError::PaymentProviderUnavailable(
                "the payment provider is failing".into(),
            ));
        }
        Ok(provider)
    }

    fn notify_url(&self, merchant: &str) -> String {
        format!("{}/api/pay/wechat/notify/{merchant}", self.notify_base)
    }
}

/// Opens an online recharge of `tier_code` for the diner and asks the provider for its
/// payment; the same request again (its Idempotency-Key) is the same order. A provider that
/// fails or refuses leaves the order closed and nothing else written.
#[tracing::instrument(skip(state, once))]
pub async fn start(
    state: &AppState,
    merchant: &str,
    uid: &str,
    tier_code: &str,
    once: Request,
) -> Result<OnlineRecharge, AppError> {
    let provider = state.online.provider(merchant)?;
    let db = &state.db;
    // A key answered before: its answer (or, for another request, the refusal) stands.
    if db::idempotency::find(db, &once.scope, &once.key)
        .await?
        .is_some()
    {
        return Err(answered());
    }
    known_diner(db, uid).await?;
    let tier = db::catalog::recharge_tier(db, merchant, tier_code)
        .await?
        .filter(|tier| tier.active)
        .ok_or_else(|| AppError::NotFound(format!("recharge tier {tier_code}")))?;
    let pay = money(tier.pay)?;
    let total_fen = online::fen(pay)
        .ok_or_else(|| AppError::Invalid(format!("the tier {tier_code} pays no whole fen")))?;
    let order = db::online::open(
        db,
        OrderSave {
            number: online::order_number(&once.scope, &once.key),
            merchant: merchant.to_owned(),
            uid: uid.to_owned(),
            tier: tier_code.to_owned(),
            label: tier.label.clone(),
            pay: tier.pay,
            bonus: tier.bonus,
            total_fen: i64::try_from(total_fen).unwrap_or(i64::MAX),
            request_hash: once.request_hash.clone(),
            expires_at: Utc::now() + state.online.order_ttl,
        },
    )
    .await?;
    if order.request_hash != once.request_hash {
        return Err(AppError::Invalid(
            "this Idempotency-Key opened an order for another request; use a new key".into(),
        ));
    }
    match order.status.as_str() {
        "PENDING" => {}
        // Its payment could not be asked for (the provider failed): asked again now, under
        // the same number, while it may still be paid.
        "CLOSED" if order.prepay_id.is_none() && order.expires_at > Utc::now() => {
            if !db::online::reopen(db, &order.number).await? {
                return Err(answered());
            }
        }
        _ => return Err(answered()),
    }
    let asked = pay::Order {
        out_trade_no: order.number.clone(),
        description: format!("{} · {}", shop_name(state, merchant).await, order.label),
        total_fen,
        openid: uid.to_owned(),
        expires_at: order.expires_at,
        notify_url: state.online.notify_url(merchant),
    };
    let payment = match provider.prepay(&asked).await {
        Ok(payment) => payment,
        Err(error) => {
            db::online::close(db, &order.number, &format!("prepay failed: {error}")).await?;
            return Err(provider_failed(error));
        }
    };
    let answer = OnlineRecharge {
        order: order.number.clone(),
        tier: order.label.clone(),
        pay,
        bonus: money(order.bonus)?,
        expires_at: order.expires_at,
        payment: PaymentParams::from(&payment),
    };
    let remembered = outcome(state, Some(&once), &answer, None).await?;
    db::online::prepared(
        db,
        &order.number,
        payment.prepay_id().unwrap_or_default(),
        &remembered,
    )
    .await?;
    Ok(answer)
}

/// The key was answered: the caller replies with its stored answer.
fn answered() -> AppError {
    AppError::Database(db::DbError::Rejected(db::Rejection::Answered))
}

async fn shop_name(state: &AppState, merchant: &str) -> String {
    match super::shops::shop(state, merchant).await {
        Ok(shop) => shop.name.clone(),
        Err(_) => merchant.to_owned(),
    }
}

/// A provider's failure as the caller sees it: down or refusing, online recharge is
/// unavailable (the counter still works).
fn provider_failed(error: pay::PayError) -> AppError {
    tracing::warn!(%error, "the payment provider failed");
    AppError::PaymentProviderUnavailable(match error {
        pay::PayError::Open => "the payment provider is failing".into(),
        other => other.to_string(),
    })
}

/// The diner's order `number` (another diner's or shop's: not found).
pub async fn order(
    state: &AppState,
    merchant: &str,
    uid: &str,
    number: &str,
) -> Result<OnlineOrder, AppError> {
    let order = db::online::get(&state.db, number)
        .await?
        .filter(|order| order.merchant == merchant && order.uid == uid)
        .ok_or_else(|| AppError::NotFound(format!("order {number}")))?;
    Ok(OnlineOrder {
        order: order.number,
        tier: order.label,
        pay: money(order.pay)?,
        bonus: money(order.bonus)?,
        status: order.status,
        txn_id: order.txn_id,
        expires_at: order.expires_at,
    })
}

/// DEV: pays the diner's pending order at the stand-in as the WeChat app would; the
/// stand-in's notification then credits it. Without a stand-in: not found.
pub async fn pay_in_sandbox(
    state: &AppState,
    merchant: &str,
    uid: &str,
    number: &str,
) -> Result<(), AppError> {
    let sandbox = state
        .online
        .sandbox
        .as_ref()
        .ok_or_else(|| AppError::NotFound("the payment sandbox (DEV only)".into()))?;
    let prepay_id = db::online::get(&state.db, number)
        .await?
        .filter(|order| order.merchant == merchant && order.uid == uid && order.status == "PENDING")
        .and_then(|order| order.prepay_id)
        .ok_or_else(|| AppError::NotFound(format!("pending order {number}")))?;
    let answer = reqwest::Client::new()
        .post(format!("{sandbox}/{merchant}/sandbox/pay/{prepay_id}"))
        .send()
        .await
        .map_err(|e| AppError::Upstream(format!("the payment sandbox: {e}")))?;
    if answer.status().is_success() {
        Ok(())
    } else {
        Err(AppError::Upstream(format!(
            "the payment sandbox answered {}",
            answer.status()
        )))
    }
}

/// What settling an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Credited now (the ledger's entry).
    Credited { txn_id: String },
    /// Credited or closed before: nothing to do.
    Already,
    /// Not paid yet.
    Unpaid,
    /// Closed unpaid now.
    Closed,
}

/// Settles the order the provider reports on (`transaction`, from a notification or a
/// query) for `merchant`: credits it once if it is paid in full; refuses (and alerts) a
/// report that does not match the order.
#[tracing::instrument(skip(state, transaction), fields(order = %transaction.out_trade_no))]
pub async fn settle(
    state: &AppState,
    merchant: &str,
    transaction: &pay::Transaction,
) -> Result<Settled, AppError> {
    let db = &state.db;
    let number = &transaction.out_trade_no;
    let Some(order) = db::online::get(db, number)
        .await?
        .filter(|order| order.merchant == merchant)
    else {
        alert(merchant, number, "a payment for no order of this shop");
        return Err(AppError::NotFound(format!("order {number}")));
    };
    let reported = Reported {
        out_trade_no: number,
        paid: transaction.is_paid(),
        closed: transaction.is_closed(),
        total_fen: transaction.amount.total,
        currency: &transaction.amount.currency,
    };
    match online::verdict(
        &order.number,
        u64::try_from(order.total_fen).unwrap_or(0),
        reported,
    ) {
        Verdict::Mismatch(why) => {
            alert(merchant, number, &why);
            Err(AppError::Invalid(format!(
                "the payment does not match its order: {why}"
            )))
        }
        Verdict::Unpaid => Ok(Settled::Unpaid),
        Verdict::Closed => Ok(
            if db::online::close(db, number, "closed at the provider").await? {
                Settled::Closed
            } else {
                Settled::Already
            },
        ),
        Verdict::Paid if order.status == "PAID" => Ok(Settled::Already),
        Verdict::Paid if order.status == "CLOSED" => {
            // Paid although we had given up on it (the payment and the close crossed):
            // the diner's money came, so the wallet is credited — and someone should know.
            alert(merchant, number, "paid after it was closed here; credited");
            credit(
                state,
                &order,
                transaction.transaction_id.as_deref().unwrap_or_default(),
            )
            .await
        }
        Verdict::Paid => {
            credit(
                state,
                &order,
                transaction.transaction_id.as_deref().unwrap_or_default(),
            )
            .await
        }
    }
}

/// A payment or refund report that must not change anything, for whoever watches the alerts.
fn alert(merchant: &str, number: &str, why: &str) {
    tracing::error!(alert = "payment_mismatch", %merchant, order = %number, %why, "a payment report was refused");
}

/// Credits a paid order once: the wallet, the RECHARGE entry, the events and the rule
/// engine's RECHARGE_DONE trigger, and the order PAID, in one transaction.
async fn credit(
    state: &AppState,
    order: &OrderRow,
    transaction_id: &str,
) -> Result<Settled, AppError> {
    let db = &state.db;
    let rule = RechargeTier {
        pay: money(order.pay)?,
        bonus: money(order.bonus)?,
    };
    let scope = Scope {
        merchant: &order.merchant,
        uid: &order.uid,
        staff: None,
    };
    let _queue = locks::hold(&wallet_key(scope.merchant, scope.uid)).await;
    let credited = with_retries(|| async {
        let before = db::wallet::get(db, scope.merchant, scope.uid).await?;
        let made = recharged(
            &before,
            &rule,
            &order.label,
            scope,
            format!("online_order:{}", order.number),
            true,
        )?;
        let outcome = outcome(state, None, &made.receipt, Some(&made.fact)).await?;
        db::online::credit(
            db,
            order,
            transaction_id,
            WalletMove {
                merchant: scope.merchant,
                uid: scope.uid,
                expected: &before,
                next: &made.after,
                entry: &made.entry,
            },
            &outcome,
        )
        .await?;
        Ok(made.receipt.txn_id)
    })
    .await;
    match credited {
        Ok(txn_id) => Ok(Settled::Credited { txn_id }),
        Err(AppError::Database(err)) if err.rejection() == Some(&db::Rejection::NotPending) => {
            Ok(Settled::Already)
        }
        Err(err) => Err(err),
    }
}

/// A notification posted for `merchant`: verified and opened by its provider, then
/// settled. Anything not signed, sealed and meant for this shop is refused.
pub async fn notified(
    state: &AppState,
    merchant: &str,
    headers: &axum::http::HeaderMap,
    body: &str,
) -> Result<Settled, AppError> {
    let provider = state
        .online
        .accounts
        .get(merchant)
        .ok_or_else(|| AppError::NotFound(format!("no online payment at {merchant}")))?;
    match provider.notice(headers, body, Utc::now().timestamp()) {
        Ok(pay::Notice::Paid(transaction)) => settle(state, merchant, &transaction).await,
        Ok(pay::Notice::Refund(notice)) => {
            refund::notified(state, merchant, &notice).await?;
            Ok(Settled::Already)
        }
        Ok(pay::Notice::Other(event)) => {
            tracing::info!(%merchant, %event, "payment notification of no interest");
            Ok(Settled::Already)
        }
        Err(error) => {
            alert(merchant, "-", &error.to_string());
            Err(AppError::WebhookRefused(error.to_string()))
        }
    }
}

/// One round of the worker: orders pending past `query_after` are asked after (paid:
/// credited; closed there: closed here), and those past their expiry are closed at the
/// provider and here; refunds still on their way past `query_after` are asked after too.
/// How many orders and refunds changed.
pub async fn sweep(state: &AppState, now: DateTime<Utc>, limit: u32) -> Result<usize, AppError> {
    let refunds = refund::sweep(state, now - state.online.query_after, limit).await?;
    Ok(refunds + sweep_orders(state, now, limit).await?)
}

async fn sweep_orders(state: &AppState, now: DateTime<Utc>, limit: u32) -> Result<usize, AppError> {
    let db = &state.db;
    let pending = db::online::pending_before(db, now - state.online.query_after, limit).await?;
    let mut changed = 0;
    for order in pending {
        let Some(provider) = state.online.accounts.get(&order.merchant) else {
            continue;
        };
        let settled = match provider.query(&order.number).await {
            Ok(transaction) => settle(state, &order.merchant, &transaction).await,
            Err(pay::PayError::Refused { status: 404, .. }) => Ok(Settled::Unpaid),
            Err(error) => {
                tracing::warn!(order = %order.number, %error, "could not ask after an order");
                continue;
            }
        };
        match settled {
            Ok(Settled::Credited { .. } | Settled::Closed) => changed += 1,
            Ok(Settled::Unpaid) if order.expires_at <= now => {
                // Closed there first, so it cannot be paid after we gave up on it.
                match provider.close(&order.number).await {
                    Ok(()) | Err(pay::PayError::Refused { status: 404, .. }) => {
                        if db::online::close(db, &order.number, "expired unpaid").await? {
                            changed += 1;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(order = %order.number, %error, "could not close an expired order")
                    }
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(order = %order.number, %error, "could not settle an order")
            }
        }
    }
    Ok(changed)
}

/// Online orders opened at `merchant` since `since` and how many were paid: the payment
/// success ratio the alert rules watch (`PaymentSuccess::ratio`).
pub async fn success(
    state: &AppState,
    merchant: &str,
    since: DateTime<Utc>,
) -> Result<PaymentSuccess, AppError> {
    let (opened, paid) = db::online::paid_ratio(&state.db, merchant, since).await?;
    let window = (Utc::now() - since).num_minutes();
    Ok(PaymentSuccess {
        window_minutes: u32::try_from(window.max(0)).unwrap_or(u32::MAX),
        opened,
        paid,
    })
}
