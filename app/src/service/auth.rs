//! Logging in: staff by username and password, diners through an identity provider.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use db::staff::StaffRow;

use crate::auth::throttle::{ClientAddr, Refusal};
use crate::auth::{AuthError, Principal, Role, Verified, hash_password, verify_password};
use crate::auth_types::Session;
use crate::error::AppError;
use crate::state::AppState;

/// The demo merchant's staff (DEV only): username, display name, role, password, and its
/// argon2id hash — precomputed, so seeding costs no hashing at start-up (the passwords are
/// public demo data; a unit test checks each hash matches its password).
pub const DEMO_STAFF: [(&str, &str, Role, &str, &str); 3] = [
    (
        "laowang",
        "王老板",
        Role::Owner,
        "owner-demo-1",
        "$argon2id$v=19$m=19456,t=2,p=1$7K97qJeSzLNjBxiT3mQuYA$aRtBlItL9j/TEP8/fJKT4TARkGkIkayLXZ1saBxRnL0",
    ),
    (
        "xiaoli",
        "李经理",
        Role::Manager,
        "manager-demo-1",
        "$argon2id$v=19$m=19456,t=2,p=1$0BZ8e9dFwRxAK7Q6qaVrAw$ARzgF7C/s6rh/l00G9a15FOn7GxjO1spEj2mJK71hdE",
    ),
    (
        "xiaozhang",
        "张收银",
        Role::Cashier,
        "cashier-demo-1",
        "$argon2id$v=19$m=19456,t=2,p=1$YyOaQALuSn4CgD56StAncw$LaSkDXdLLNUp9MsBYRZOGv3HxQvNLMryTIjqH5/gWf4",
    ),
];

/// Creates the demo staff accounts that do not exist yet.
pub async fn seed_demo_staff(state: &AppState) -> Result<(), AppError> {
    let db = &state.db;
    for (username, display_name, role, _password, password_hash) in DEMO_STAFF {
        let row = StaffRow {
            id: username.to_owned(),
            merchant: db::seed::DEMO_MERCHANT_ID.to_owned(),
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            password_hash: password_hash.to_owned(),
            role: role.as_str().to_owned(),
            active: true,
        };
        db::staff::ensure(db, &row).await?;
    }
    Ok(())
}

/// Checks a staff member's password and hands out a token in a new session. Unknown users,
/// wrong passwords and disabled accounts get the same answer, after the same work. Refused
/// before any work when the username or the address is locked out after failures, or when
/// every password-check slot is busy.
pub async fn login_staff(
    state: &AppState,
    username: &str,
    password: &str,
    from: ClientAddr,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let username = username.trim();
    state.logins.admit(Some(username), from).map_err(refused)?;
    let slot = state.logins.check_slot().await.map_err(refused)?;
    let account = db::staff::by_username(&state.db, username).await?;
    // Without an account, verify against a fixed hash so timing does not tell who exists.
    let hash = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = password.to_owned();
    // The slot goes with the check: it is held until argon2 is done, even when the client
    // has left and this future was dropped.
    let matches = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        verify_password(&password, &hash)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(account) = account.filter(|account| matches && account.active) else {
        state.logins.failed(Some(username), from);
        tracing::warn!(username, address = ?from.0, "staff login failed");
        return Err(AppError::BadCredentials);
    };
    let role = Role::parse(&account.role).ok_or_else(|| {
        AppError::Internal(format!("staff {} has role {}", account.id, account.role))
    })?;
    let principal = Principal::Staff {
        staff_id: account.id.clone(),
        merchant_id: account.merchant.clone(),
        role,
    };
    open_session(state, &principal, account.display_name, now).await
}

/// Logs a diner in with the configured identity provider's code (WeChat's `wx.login()`
/// code; `dev:<uid>` in DEV). A first login creates the diner. Codes that fail count
/// against the address, as staff passwords do.
pub async fn login_diner(
    state: &AppState,
    code: &str,
    from: ClientAddr,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    state.logins.admit(None, from).map_err(refused)?;
    let login = match state.identity.resolve(code).await {
        Ok(login) => login,
        Err(err) => {
            if matches!(err, AppError::BadCredentials | AppError::Auth(_)) {
                state.logins.failed(None, from);
                tracing::warn!(address = ?from.0, "diner login code refused");
            }
            return Err(err);
        }
    };
    let uid = login.uid;
    db::diner::ensure(&state.db, &uid, None, None).await?;
    // The key the mini program's next wx.getWeRunData encrypts with.
    if let Some(key) = &login.session_key {
        db::steps::save_key(&state.db, &uid, &key.to_base64()).await?;
    }
    let principal = Principal::Diner { uid: uid.clone() };
    open_session(state, &principal, uid, now).await
}

fn refused(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::LockedOut(wait) => AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        },
        Refusal::Saturated => AppError::Overloaded,
    }
}

/// Opens a server-side session for `principal` and signs its token.
async fn open_session(
    state: &AppState,
    principal: &Principal,
    display_name: String,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let session_id = uuid::Uuid::new_v4().simple().to_string();
    let (merchant_id, role, staff) = match principal {
        Principal::Staff {
            merchant_id,
            role,
            staff_id,
        } => (
            Some(merchant_id.clone()),
            Some(role.as_str().to_owned()),
            Some(staff_id.clone()),
        ),
        Principal::Diner { .. } => (None, None, None),
    };
    db::session::open(
        &state.db,
        &db::session::NewSession {
            id: session_id.clone(),
            subject: principal.subject(),
            staff,
            expires_at: now + state.tokens.ttl(),
        },
    )
    .await?;
    Ok(Session {
        token: state
            .tokens
            .issue(principal, &session_id, now)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        subject: principal.subject(),
        merchant_id,
        role,
        display_name,
    })
}

/// A caller whose token and session were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    /// The server-side session (`sid`).
    pub session: String,
}

/// The caller of a bearer token (or session cookie) at `now`: the signature, then the
/// session — open, unexpired, and for staff an account that is still active, at the same
/// merchant. A staff member's role is read from the account, so a change applies at once.
/// A session checked in the last `auth.session_cache_ms` is taken from this process's
/// [`SessionCache`] (ending a session here empties its entry at once).
pub async fn authenticate(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Caller, AppError> {
    let verified = state.tokens.verify(token, now)?;
    if let Some(caller) = state.sessions.get(&verified, now) {
        return Ok(caller);
    }
    let (caller, expires_at) = checked_session(state, verified, now).await?;
    state.sessions.put(&caller, expires_at, now);
    Ok(caller)
}

/// [`authenticate`] for a socket ticket.
pub async fn authenticate_ticket(
    state: &AppState,
    ticket: &str,
    now: DateTime<Utc>,
) -> Result<Caller, AppError> {
    let verified = state.tokens.verify_ticket(ticket, now)?;
    Ok(checked_session(state, verified, now).await?.0)
}

/// Whether `caller`'s session still holds at `now` (sockets ask on a timer).
pub async fn still_valid(state: &AppState, caller: &Caller, now: DateTime<Utc>) -> bool {
    let verified = Verified {
        principal: caller.principal.clone(),
        session: caller.session.clone(),
    };
    matches!(checked_session(state, verified, now).await, Ok((now_caller, _)) if now_caller == *caller)
}

/// The caller and when their session expires, read from the database.
async fn checked_session(
    state: &AppState,
    verified: Verified,
    now: DateTime<Utc>,
) -> Result<(Caller, DateTime<Utc>), AppError> {
    let ended = || AppError::Auth(AuthError::SessionEnded);
    let row = db::session::get(&state.db, &verified.session)
        .await?
        .ok_or_else(ended)?;
    if row.ended_at.is_some()
        || row.expires_at <= now
        || row.subject != verified.principal.subject()
    {
        return Err(ended());
    }
    let principal = match verified.principal {
        Principal::Staff {
            staff_id,
            merchant_id,
            ..
        } => {
            let role = row.staff_role.as_deref().and_then(Role::parse);
            match (row.staff_active, role, row.staff_merchant) {
                (Some(true), Some(role), Some(merchant)) if merchant == merchant_id => {
                    Principal::Staff {
                        staff_id,
                        merchant_id,
                        role,
                    }
                }
                _ => return Err(ended()),
            }
        }
        diner @ Principal::Diner { .. } => diner,
    };
    Ok((
        Caller {
            principal,
            session: verified.session,
        },
        row.expires_at,
    ))
}

/// Ends a session (sign-out): its token stops working at once, and its sockets close.
pub async fn sign_out(state: &AppState, session: &str) -> Result<(), AppError> {
    db::session::end(&state.db, session, Utc::now()).await?;
    state.sessions.forget(|caller| caller.session == session);
    state.realtime.end_sessions(&[session.to_owned()]);
    Ok(())
}

/// Enables or disables a staff account. Disabling ends its sessions at once (every request
/// reads the account, so other processes refuse them too; sockets here close now, elsewhere
/// at their next check).
pub async fn set_staff_active(
    state: &AppState,
    staff_id: &str,
    active: bool,
) -> Result<(), AppError> {
    if !db::staff::set_active(&state.db, staff_id, active).await? {
        return Err(AppError::NotFound(format!("staff {staff_id}")));
    }
    if !active {
        end_sessions_of(state, &format!("staff:{staff_id}")).await?;
    }
    Ok(())
}

/// Ends every session of `subject` (`staff:<id>`): its tokens and cookies stop at once
/// here, in other processes at their next read of the session; its sockets here close now.
pub async fn end_sessions_of(state: &AppState, subject: &str) -> Result<(), AppError> {
    state
        .sessions
        .forget(|caller| caller.principal.subject() == subject);
    let ended = db::session::end_all_of(&state.db, subject, Utc::now()).await?;
    state.realtime.end_sessions(&ended);
    Ok(())
}

/// Sessions checked a moment ago, so a burst of requests costs one database read, not one
/// each (it took 15 % off the verify API's throughput at 50 clients). Ending a session or
/// disabling an account in this process empties the entries at once; another process's
/// entries expire within `ttl`, and its sockets re-check at their own timer.
#[derive(Debug)]
pub struct SessionCache {
    ttl: chrono::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (Caller, DateTime<Utc>)>>,
}

/// Entries kept at most; beyond, the cache starts afresh (a flood of sessions cannot grow it).
const MOST_CACHED_SESSIONS: usize = 100_000;

impl SessionCache {
    /// A cache whose entries last `ttl` (zero: nothing is cached).
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl: chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::zero()),
            entries: std::sync::Mutex::default(),
        }
    }

    fn entries(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (Caller, DateTime<Utc>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The caller of `verified`'s session if it was checked less than `ttl` ago and names the
    /// same subject.
    fn get(&self, verified: &Verified, now: DateTime<Utc>) -> Option<Caller> {
        let entries = self.entries();
        let (caller, until) = entries.get(&verified.session)?;
        let same = caller.principal.subject() == verified.principal.subject()
            && caller.principal.merchant() == verified.principal.merchant();
        (same && now < *until).then(|| caller.clone())
    }

    /// Remembers a caller just checked, until `ttl` from now or the session's expiry.
    fn put(&self, caller: &Caller, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
        if self.ttl <= chrono::Duration::zero() {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MOST_CACHED_SESSIONS {
            entries.clear();
        }
        let until = (now + self.ttl).min(expires_at);
        entries.insert(caller.session.clone(), (caller.clone(), until));
    }

    /// Forgets the entries of the callers `which` picks.
    fn forget(&self, which: impl Fn(&Caller) -> bool) {
        self.entries().retain(|_, (caller, _)| !which(caller));
    }
}

/// An argon2id hash (same parameters as real ones) of a random password nobody knows.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_hashes_match_the_demo_passwords() {
        for (username, _, _, password, hash) in DEMO_STAFF {
            assert!(verify_password(password, hash), "{username}");
        }
    }
}
