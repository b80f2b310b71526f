//! The shop's staff, managed by its owner (anyone) and managers (cashiers only): added with
//! a role and a first password, a password reset, an account disabled (its sessions and
//! tokens stop at once) or enabled again, and what each did at the counter (from the day
//! figures, never the ledger).

use chrono::{DateTime, Utc};

use crate::auth::{Permission, Principal, Role, hash_password};
use crate::error::AppError;
use crate::model::figures::DayFigures;
use crate::model::staff::{NewStaff, StaffMember};
use crate::state::AppState;

/// Passwords are at least this long (and at most 128 characters).
pub const MIN_PASSWORD: usize = 8;

/// Who is managing: their shop, their id and role. Only those who may manage staff.
pub struct Manager<'a> {
    pub merchant: &'a str,
    pub staff_id: &'a str,
    pub role: Role,
}

impl<'a> Manager<'a> {
    /// The caller as a manager of staff, else 403.
    pub fn of(principal: &'a Principal) -> Result<Self, AppError> {
        match principal {
            Principal::Staff {
                staff_id,
                merchant_id,
                role,
            } if principal.can(Permission::ManageStaff) => Ok(Self {
                merchant: merchant_id,
                staff_id,
                role: *role,
            }),
            _ => Err(AppError::Forbidden("manage staff".into())),
        }
    }

    /// Whether they may add or change an account of `role`: an owner any, a manager
    /// cashiers only.
    fn may_manage(&self, role: Role) -> Result<(), AppError> {
        match (self.role, role) {
            (Role::Owner, _) | (Role::Manager, Role::Cashier) => Ok(()),
            _ => Err(AppError::Forbidden(format!(
                "a {} manage {} accounts",
                self.role.as_str(),
                role.as_str()
            ))),
        }
    }
}

/// The shop's staff with what each did today and in the last 30 days.
pub async fn list(
    state: &AppState,
    manager: &Manager<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<StaffMember>, AppError> {
    let (accounts, dashboard) = tokio::try_join!(
        async { Ok::<_, AppError>(db::staff::of_merchant(&state.db, manager.merchant).await?) },
        crate::service::figures::dashboard(state, manager.merchant, now),
    )?;
    let today = dashboard.today().cloned().unwrap_or_default();
    let month = DayFigures::last_of(&dashboard.days, dashboard.days.len());
    accounts
        .into_iter()
        .map(|account| {
            let role = Role::parse(&account.role).ok_or_else(|| {
                AppError::Internal(format!("staff {} has role {}", account.id, account.role))
            })?;
            Ok(StaffMember {
                today: today.by_staff.get(&account.id).cloned().unwrap_or_default(),
                month: month.by_staff.get(&account.id).cloned().unwrap_or_default(),
                id: account.id,
                username: account.username,
                display_name: account.display_name,
                role,
                active: account.active,
            })
        })
        .collect()
}

fn checked(new: &NewStaff) -> Result<(), AppError> {
    // Usernames sign in case-insensitively: kept lower-case.
    let username = new.username.trim().to_lowercase();
    let fine = (3..=32).contains(&username.chars().count())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !fine {
        return Err(AppError::Invalid(
            "username: 3–32 letters, digits, '.', '_' or '-'".into(),
        ));
    }
    if !(1..=40).contains(&new.display_name.trim().chars().count()) {
        return Err(AppError::Invalid("display_name: 1–40 characters".into()));
    }
    password_checked(&new.password)
}

fn password_checked(password: &str) -> Result<(), AppError> {
    if !(MIN_PASSWORD..=128).contains(&password.chars().count()) {
        return Err(AppError::Invalid(format!(
            "password: {MIN_PASSWORD}–128 characters"
        )));
    }
    Ok(())
}

async fn hashed(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("cannot hash a password: {e}")))
}

/// Adds an account to the manager's shop; its id is returned. 409 if the username is
/// taken (at any shop: usernames sign in).
pub async fn add(
    state: &AppState,
    manager: &Manager<'_>,
    new: NewStaff,
) -> Result<String, AppError> {
    manager.may_manage(new.role)?;
    checked(&new)?;
    let username = new.username.trim().to_lowercase();
    if db::staff::by_username(&state.db, &username)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "the username {username} is taken"
        )));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let row = db::staff::StaffRow {
        id: id.clone(),
        merchant: manager.merchant.to_owned(),
        username: username.clone(),
        display_name: new.display_name.trim().to_owned(),
        password_hash: hashed(&new.password).await?,
        role: new.role.as_str().to_owned(),
        active: true,
    };
    db::staff::create(&state.db, &row).await.map_err(|err| {
        // Taken between the check and the write.
        if err.is_duplicate() || err.to_string().contains("staff_username") {
            AppError::Conflict(format!("the username {username} is taken"))
        } else {
            err.into()
        }
    })?;
    tracing::info!(staff = %id, by = manager.staff_id, role = new.role.as_str(), "staff added");
    Ok(id)
}

/// The account `id` of the manager's shop that they may change (another shop's: 404).
async fn manageable(
    state: &AppState,
    manager: &Manager<'_>,
    id: &str,
) -> Result<db::staff::StaffSummary, AppError> {
    let account = db::staff::of_merchant_by_id(&state.db, manager.merchant, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("staff {id}")))?;
    let role = Role::parse(&account.role)
        .ok_or_else(|| AppError::Internal(format!("staff {id} has role {}", account.role)))?;
    manager.may_manage(role)?;
    Ok(account)
}

/// Disables (its sessions and tokens stop at once) or enables an account. Nobody disables
/// themselves (a shop would lose its last owner).
pub async fn set_active(
    state: &AppState,
    manager: &Manager<'_>,
    id: &str,
    active: bool,
) -> Result<(), AppError> {
    if id == manager.staff_id && !active {
        return Err(AppError::Conflict(
            "you cannot disable your own account".into(),
        ));
    }
    manageable(state, manager, id).await?;
    crate::service::auth::set_staff_active(state, id, active).await?;
    tracing::info!(staff = %id, by = manager.staff_id, active, "staff account changed");
    Ok(())
}

/// Sets a new password; the account's sessions end (whoever knew the old one is out).
pub async fn reset_password(
    state: &AppState,
    manager: &Manager<'_>,
    id: &str,
    password: &str,
) -> Result<(), AppError> {
    password_checked(password)?;
    manageable(state, manager, id).await?;
    if !db::staff::set_password(&state.db, id, &hashed(password).await?).await? {
        return Err(AppError::NotFound(format!("staff {id}")));
    }
    if id != manager.staff_id {
        crate::service::auth::end_sessions_of(state, &format!("staff:{id}")).await?;
    }
    tracing::info!(staff = %id, by = manager.staff_id, "staff password reset");
    Ok(())
}
