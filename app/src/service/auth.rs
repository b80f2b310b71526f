//! Logging in: staff by username and password, diners through an identity provider.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use db::Db;
use db::staff::StaffRow;

use crate::auth::{Principal, Role, TokenKeys, hash_password, verify_password};
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
pub async fn seed_demo_staff(db: &Db) -> Result<(), AppError> {
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

/// Checks a staff member's password and hands out a token. Unknown users, wrong passwords
/// and disabled accounts get the same answer, after the same work.
pub async fn login_staff(
    db: &Db,
    keys: &TokenKeys,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let account = db::staff::by_username(db, username.trim()).await?;
    // Without an account, verify against a fixed hash so timing does not tell who exists.
    let hash = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let account = account
        .filter(|account| matches && account.active)
        .ok_or(AppError::BadCredentials)?;
    let role = Role::parse(&account.role).ok_or_else(|| {
        AppError::Internal(format!("staff {} has role {}", account.id, account.role))
    })?;
    let principal = Principal::Staff {
        staff_id: account.id.clone(),
        merchant_id: account.merchant.clone(),
        role,
    };
    session(keys, &principal, account.display_name, now)
}

/// Logs a diner in with the configured identity provider's code (WeChat's `wx.login()`
/// code; `dev:<uid>` in DEV). A first login creates the diner.
pub async fn login_diner(
    state: &AppState,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let uid = state.identity.resolve(code).await?;
    db::diner::ensure(&state.db, &uid, None, None).await?;
    let principal = Principal::Diner { uid: uid.clone() };
    session(&state.tokens, &principal, uid, now)
}

fn session(
    keys: &TokenKeys,
    principal: &Principal,
    display_name: String,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let (merchant_id, role) = match principal {
        Principal::Staff {
            merchant_id, role, ..
        } => (Some(merchant_id.clone()), Some(role.as_str().to_owned())),
        Principal::Diner { .. } => (None, None),
    };
    Ok(Session {
        token: keys
            .issue(principal, now)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        subject: principal.subject(),
        merchant_id,
        role,
        display_name,
    })
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
