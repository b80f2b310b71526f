use std::time::Duration;

use crate::error::AppError;

/// How often an operation is tried when concurrent writers keep conflicting with it.
const MAX_ATTEMPTS: u32 = 12;

/// Runs `operation` until it succeeds, fails for a reason a retry cannot fix, or has
/// conflicted `MAX_ATTEMPTS` times (then `AppError::Busy`: nothing was written).
/// Each attempt must re-read what it depends on.
pub async fn with_retries<T, F, Fut>(mut operation: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let mut attempt = 0_u32;
    loop {
        attempt += 1;
        match operation().await {
            Err(AppError::Database(err)) if err.is_retryable() => {
                if attempt >= MAX_ATTEMPTS {
                    tracing::warn!(attempt, "giving up after write conflicts");
                    return Err(AppError::Busy { attempts: attempt });
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
        }
    }
}

/// Exponential from 1 ms, capped at 64 ms, with full jitter so colliding writers spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = 1_u64 << attempt.min(6);
    Duration::from_micros(fastrand::u64(0..=ceiling_ms * 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        for attempt in 1..20 {
            let ceiling = Duration::from_millis(1 << attempt.min(6));
            assert!(backoff(attempt) <= ceiling);
        }
    }
}
