//! What stands between the app and the payment provider: a timeout on each call (the
//! client's), retries of transient failures only — every call here is idempotent at the
//! provider (an order by its `out_trade_no`, a close, a query, a refund by its
//! `out_refund_no`) — and a circuit breaker that opens after consecutive failures, so a
//! provider that is down is left alone and the recharge endpoint says so at once.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use failsafe::futures::CircuitBreaker;
use failsafe::{StateMachine, backoff, failure_policy};
use futures::future::BoxFuture;

use crate::wire::{Refund, Transaction};
use crate::{Notice, Order, PayError, Provider, RefundOrder, RequestPayment};

#[derive(Clone, Debug)]
pub struct Limits {
    /// Retries of one call after a transient failure.
    pub retries: usize,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The breaker opens after this many transient failures in a row…
    pub failures_to_open: u32,
    /// …and stays open this long (at least a second) before one call may try again
    /// (doubling while it keeps failing, jittered).
    pub open_for: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            retries: 2,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            failures_to_open: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

type Breaker = StateMachine<failure_policy::ConsecutiveFailures<backoff::EqualJittered>, ()>;

/// A provider behind the retries and the breaker.
pub struct Guarded<P> {
    inner: P,
    limits: Limits,
    breaker: Breaker,
}

impl<P: std::fmt::Debug> std::fmt::Debug for Guarded<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("inner", &self.inner)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<P: Provider> Guarded<P> {
    pub fn new(inner: P, limits: Limits) -> Self {
        // The breaker's pause is counted in whole seconds, one at least.
        let open_for = limits.open_for.max(Duration::from_secs(1));
        let policy = failure_policy::consecutive_failures(
            limits.failures_to_open,
            backoff::equal_jittered(open_for, open_for.saturating_mul(8)),
        );
        Self {
            breaker: failsafe::Config::new().failure_policy(policy).build(),
            inner,
            limits,
        }
    }

    async fn guard<'a, T, F>(&'a self, what: &str, call: F) -> Result<T, PayError>
    where
        F: Fn(&'a P) -> BoxFuture<'a, Result<T, PayError>>,
    {
        let once = || async {
            self.breaker
                .call_with(PayError::is_transient, call(&self.inner))
                .await
                .map_err(|error| match error {
                    failsafe::Error::Inner(error) => error,
                    failsafe::Error::Rejected => PayError::Open,
                })
        };
        once.retry(
            ExponentialBuilder::default()
                .with_min_delay(self.limits.first_backoff)
                .with_max_delay(self.limits.max_backoff)
                .with_max_times(self.limits.retries)
                .with_jitter(),
        )
        .when(PayError::is_transient)
        .notify(|error, pause| {
            tracing::warn!(call = %what, %error, ?pause, "payment call failed, retrying");
        })
        .await
    }
}

impl<P: Provider> Provider for Guarded<P> {
    fn prepay<'a>(&'a self, order: &'a Order) -> BoxFuture<'a, Result<RequestPayment, PayError>> {
        Box::pin(self.guard("prepay", move |provider| provider.prepay(order)))
    }

    fn query<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<Transaction, PayError>> {
        Box::pin(self.guard("query", move |provider| provider.query(out_trade_no)))
    }

    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), PayError>> {
        Box::pin(self.guard("close", move |provider| provider.close(out_trade_no)))
    }

    fn refund<'a>(&'a self, refund: &'a RefundOrder) -> BoxFuture<'a, Result<Refund, PayError>> {
        Box::pin(self.guard("refund", move |provider| provider.refund(refund)))
    }

    fn notice(&self, headers: &http::HeaderMap, body: &str, now: i64) -> Result<Notice, PayError> {
        self.inner.notice(headers, body, now)
    }

    /// Whether the breaker refuses calls now.
    fn is_open(&self) -> bool {
        !self.breaker.is_call_permitted()
    }
}
