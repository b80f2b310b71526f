//! Guards in front of logins: a bound on password checks running at once (each argon2 check
//! takes 19 MiB and a core for tens of milliseconds), and lock-outs after repeated failures
//! per username and per client address, so a password or a login code cannot be guessed
//! at speed and a flood cannot exhaust memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits, from configuration (`auth.login`).
#[derive(Clone, Debug)]
pub struct LoginLimits {
    /// Password checks running at once; further logins wait up to `check_wait`, then 503.
    pub max_concurrent_checks: usize,
    pub check_wait: Duration,
    /// Failures allowed in a row per username (staff) before the lock-out.
    pub failures_per_username: u32,
    /// Failures allowed in a row per client address (staff and diner logins).
    pub failures_per_address: u32,
    /// After the allowance, one more attempt per this period.
    pub lockout: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            max_concurrent_checks: 4,
            check_wait: Duration::from_millis(500),
            failures_per_username: 5,
            failures_per_address: 20,
            lockout: Duration::from_secs(60),
        }
    }
}

/// Why a login is not even tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Too many failures for this username or address: try again after the duration.
    #[error("too many failed logins; locked for {0:?}")]
    LockedOut(Duration),
    /// Every password-check slot is taken: the server is saturated.
    #[error("too many logins at once")]
    Saturated,
}

/// A client's address, as the edge determined it (None in tests without a socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// How client addresses are read (from configuration; `api::gate` reads them).
#[derive(Clone, Copy, Debug, Default)]
pub struct GateSettings {
    /// Behind a proxy we run: the client is the last `X-Forwarded-For` hop, and the page's
    /// host is `X-Forwarded-Host`. Never set it when clients reach the server directly
    /// (they could name any address and dodge the login lock-outs).
    pub trust_forwarded_for: bool,
}

impl ClientAddr {
    fn key(self) -> String {
        self.0
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }
}

/// Shared by every request of the process (cheap to clone).
#[derive(Clone, Debug)]
pub struct LoginGuard {
    checks: Arc<Semaphore>,
    check_wait: Duration,
    by_username: Arc<Failures>,
    by_address: Arc<Failures>,
}

impl LoginGuard {
    pub fn new(limits: &LoginLimits) -> Self {
        Self {
            checks: Arc::new(Semaphore::new(limits.max_concurrent_checks.max(1))),
            check_wait: limits.check_wait,
            by_username: Arc::new(Failures::new(limits.failures_per_username, limits.lockout)),
            by_address: Arc::new(Failures::new(limits.failures_per_address, limits.lockout)),
        }
    }

    /// Whether a login may be tried now by `username` (None for diner codes) from `addr`.
    pub fn admit(&self, username: Option<&str>, addr: ClientAddr) -> Result<(), Refusal> {
        let locked = [
            username.and_then(|name| self.by_username.locked_for(&name.to_lowercase())),
            self.by_address.locked_for(&addr.key()),
        ];
        match locked.into_iter().flatten().max() {
            Some(wait) => Err(Refusal::LockedOut(wait)),
            None => Ok(()),
        }
    }

    /// A slot to run one password check in. The permit must move into the blocking task, so
    /// the bound holds even when the client goes away and the check runs on.
    pub async fn check_slot(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        tokio::time::timeout(self.check_wait, self.checks.clone().acquire_owned())
            .await
            .map_err(|_| Refusal::Saturated)?
            .map_err(|_| Refusal::Saturated)
    }

    /// Counts a failed login against the username and the address.
    pub fn failed(&self, username: Option<&str>, addr: ClientAddr) {
        if let Some(name) = username {
            self.by_username.record(&name.to_lowercase());
        }
        self.by_address.record(&addr.key());
    }

    /// Forgets keys whose allowance is full again (called now and then, so a spray of
    /// made-up usernames does not grow memory without end).
    pub fn forget_idle(&self) {
        self.by_username.forget_idle();
        self.by_address.forget_idle();
    }
}

/// Failures per key: a GCRA allowance (`governor`) of `burst` failures refilled one per
/// `period`; a failure beyond it locks the key until the allowance has room again.
struct Failures {
    allowance: DefaultKeyedRateLimiter<String>,
    locked_until: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for Failures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Failures")
            .field("keys", &self.allowance.len())
            .finish_non_exhaustive()
    }
}

impl Failures {
    fn new(burst: u32, period: Duration) -> Self {
        let quota = Quota::with_period(period.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Self {
            allowance: RateLimiter::keyed(quota),
            locked_until: Mutex::new(HashMap::new()),
        }
    }

    fn locked_for(&self, key: &str) -> Option<Duration> {
        let locked = self.locked_until.lock().unwrap_or_else(|e| e.into_inner());
        locked
            .get(key)
            .and_then(|until| until.checked_duration_since(Instant::now()))
            .filter(|wait| !wait.is_zero())
    }

    fn record(&self, key: &str) {
        if let Err(not_until) = self.allowance.check_key(&key.to_owned()) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut locked = self.locked_until.lock().unwrap_or_else(|e| e.into_inner());
            locked.insert(key.to_owned(), Instant::now() + wait);
        }
    }

    fn forget_idle(&self) {
        self.allowance.retain_recent();
        self.allowance.shrink_to_fit();
        let now = Instant::now();
        let mut locked = self.locked_until.lock().unwrap_or_else(|e| e.into_inner());
        locked.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(burst: u32) -> LoginGuard {
        LoginGuard::new(&LoginLimits {
            max_concurrent_checks: 2,
            check_wait: Duration::from_millis(20),
            failures_per_username: burst,
            failures_per_address: 100,
            lockout: Duration::from_secs(60),
        })
    }

    const HOME: ClientAddr = ClientAddr(Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)));

    #[test]
    fn a_username_is_locked_after_its_allowance_of_failures_whatever_the_case() {
        let guard = guard(3);
        for _ in 0..3 {
            assert_eq!(guard.admit(Some("XiaoZhang"), HOME), Ok(()));
            guard.failed(Some("XiaoZhang"), HOME);
        }
        // The allowance is used up; the next failure locks the name.
        guard.failed(Some("xiaozhang"), HOME);
        assert!(matches!(
            guard.admit(Some("xiaozhang"), HOME),
            Err(Refusal::LockedOut(wait)) if wait > Duration::from_secs(50)
        ));
        assert_eq!(guard.admit(Some("laowang"), HOME), Ok(()), "others go on");
    }

    #[test]
    fn an_address_is_locked_after_its_allowance_whatever_the_names() {
        let guard = LoginGuard::new(&LoginLimits {
            failures_per_address: 2,
            ..LoginLimits::default()
        });
        for name in ["a", "b", "c"] {
            guard.failed(Some(name), HOME);
        }
        assert!(matches!(
            guard.admit(Some("d"), HOME),
            Err(Refusal::LockedOut(_))
        ));
        assert!(matches!(
            guard.admit(None, HOME),
            Err(Refusal::LockedOut(_))
        ));
        let elsewhere = ClientAddr(Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 9))));
        assert_eq!(guard.admit(Some("d"), elsewhere), Ok(()));
    }

    #[tokio::test]
    async fn password_checks_beyond_the_bound_are_refused_quickly() {
        let guard = guard(5);
        let first = guard.check_slot().await.expect("slot");
        let _second = guard.check_slot().await.expect("slot");
        assert_eq!(guard.check_slot().await.err(), Some(Refusal::Saturated));
        drop(first);
        assert!(guard.check_slot().await.is_ok(), "a freed slot is reused");
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let guard = LoginGuard::new(&LoginLimits {
            lockout: Duration::from_millis(1),
            ..LoginLimits::default()
        });
        guard.failed(Some("ghost"), HOME);
        std::thread::sleep(Duration::from_millis(20));
        guard.forget_idle();
        assert_eq!(guard.by_username.allowance.len(), 0);
    }
}
