//! What stands between a workflow and a paid provider: per-merchant and global call limits
//! (over them a call waits its turn, with jitter), retries of 429s, 5xxs and timeouts with
//! exponential backoff and jitter, and a circuit breaker that opens when over a fifth of the
//! calls in its window fail, so a sick provider is left alone while the offline model
//! answers.

use std::num::NonZeroU32;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use failsafe::futures::CircuitBreaker;
use failsafe::{StateMachine, backoff, failure_policy};
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Jitter, Quota, RateLimiter};

use crate::chat::{CallError, ChatModel, ChatRequest, Reply};
use crate::embed::Embedder;
use crate::images::{Drawn, ImageModel, ImageRequest};
use crate::vision::{Look, Verdict, VisionModel};

#[derive(Clone, Debug)]
pub struct Limits {
    pub per_merchant_per_minute: NonZeroU32,
    pub global_per_minute: NonZeroU32,
    /// Retries of one call after a 429, a 5xx or a timeout.
    pub retries: usize,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The breaker opens when more than this share of the calls in the window failed…
    pub max_error_rate: f64,
    /// …and at least this many were made in it.
    pub min_calls: u32,
    /// The window the error rate is averaged over (exponentially weighted, recent calls
    /// count more); the breaker judges only once a whole window has passed since it was
    /// made or last closed, so a few early failures cannot open it.
    pub window: Duration,
    /// How long it stays open before one call may try again (doubling, jittered, up to 8×).
    pub open_for: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_merchant_per_minute: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            global_per_minute: NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            retries: 3,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_error_rate: 0.2,
            min_calls: 5,
            window: Duration::from_secs(60),
            open_for: Duration::from_secs(30),
        }
    }
}

type Breaker = StateMachine<failure_policy::SuccessRateOverTimeWindow<backoff::EqualJittered>, ()>;

/// A model behind the limits, the retries and the breaker.
pub struct Guarded<M> {
    inner: M,
    limits: Limits,
    merchants: DefaultKeyedRateLimiter<String>,
    global: DefaultDirectRateLimiter,
    breaker: Breaker,
}

impl<M: std::fmt::Debug> std::fmt::Debug for Guarded<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("inner", &self.inner)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<M> Guarded<M> {
    pub fn new(inner: M, limits: Limits) -> Self {
        let policy = failure_policy::success_rate_over_time_window(
            (1.0 - limits.max_error_rate).clamp(0.0, 1.0),
            limits.min_calls,
            limits.window,
            backoff::equal_jittered(limits.open_for, limits.open_for.saturating_mul(8)),
        );
        Self {
            merchants: RateLimiter::keyed(Quota::per_minute(limits.per_merchant_per_minute)),
            global: RateLimiter::direct(Quota::per_minute(limits.global_per_minute)),
            breaker: failsafe::Config::new().failure_policy(policy).build(),
            inner,
            limits,
        }
    }

    /// Whether the breaker refuses calls now (the provider is being left alone).
    pub fn is_open(&self) -> bool {
        !self.breaker.is_call_permitted()
    }

    /// `call` of the inner model for `merchant`, behind the limits, the retries and the
    /// breaker (`what` names it in the logs).
    async fn guard<'a, T, F>(&'a self, merchant: &str, what: &str, call: F) -> Result<T, CallError>
    where
        F: Fn(&'a M) -> BoxFuture<'a, Result<T, CallError>>,
    {
        // Waiting for a turn is the queue: a burst of calls is spread, not refused.
        let jitter = Jitter::up_to(self.limits.first_backoff);
        self.global.until_ready_with_jitter(jitter).await;
        self.merchants
            .until_key_ready_with_jitter(&merchant.to_owned(), jitter)
            .await;
        if self.merchants.len() > 10_000 {
            self.merchants.retain_recent();
        }
        let once = || async {
            self.breaker
                .call_with(CallError::is_outage, call(&self.inner))
                .await
                .map_err(|error| match error {
                    failsafe::Error::Inner(error) => error,
                    failsafe::Error::Rejected => {
                        CallError::Unavailable("the model provider's circuit is open".into())
                    }
                })
        };
        once.retry(
            ExponentialBuilder::default()
                .with_min_delay(self.limits.first_backoff)
                .with_max_delay(self.limits.max_backoff)
                .with_max_times(self.limits.retries)
                .with_jitter(),
        )
        .when(CallError::is_retryable)
        .notify(|error, pause| {
            tracing::warn!(task = %what, %merchant, %error, ?pause, "model call failed, retrying");
        })
        .await
    }
}

impl<M: ChatModel> ChatModel for Guarded<M> {
    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<Reply, CallError>> {
        Box::pin(self.guard(&request.merchant, &request.task, move |model| {
            model.chat(request)
        }))
    }
}

impl<M: Embedder> Embedder for Guarded<M> {
    fn space(&self) -> &str {
        self.inner.space()
    }

    fn embed<'a>(
        &'a self,
        merchant: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        Box::pin(self.guard(merchant, "embed", move |model| model.embed(merchant, texts)))
    }
}

impl<M: ImageModel> ImageModel for Guarded<M> {
    fn draw<'a>(&'a self, request: &'a ImageRequest) -> BoxFuture<'a, Result<Drawn, CallError>> {
        Box::pin(self.guard(&request.merchant, "draw", move |model| model.draw(request)))
    }
}

impl<M: VisionModel> VisionModel for Guarded<M> {
    fn look<'a>(&'a self, look: &'a Look) -> BoxFuture<'a, Result<Verdict, CallError>> {
        Box::pin(self.guard(&look.merchant, "look", move |model| model.look(look)))
    }
}
