//! The staff page's forms: the shop's accounts with what each did, an account added, a
//! password reset, an account disabled or enabled — each the same `service::staff` call.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Problem;
use crate::model::staff::StaffMember;
use crate::principal::Role;

/// What the staff page shows: the accounts, and who is looking (their id and role: an owner
/// manages anyone, a manager cashiers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffView {
    pub members: Vec<StaffMember>,
    pub me: String,
    pub role: Role,
}

/// The shop's staff (anyone who may not manage staff: none).
#[server(prefix = "/console", endpoint = "staff")]
pub async fn console_staff() -> Result<Option<StaffView>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let Ok(manager) = crate::service::staff::Manager::of(&call.principal) else {
        return Ok(None);
    };
    let members = crate::service::staff::list(&call.state, &manager, chrono::Utc::now()).await?;
    Ok(Some(StaffView {
        members,
        me: manager.staff_id.to_owned(),
        role: manager.role,
    }))
}

/// Adds an account; answers its username.
#[server(prefix = "/console", endpoint = "staff/add")]
pub async fn console_add_staff(
    username: String,
    display_name: String,
    role: String,
    password: String,
) -> Result<String, Problem> {
    let call = crate::api::edge::authenticated()?;
    let manager = crate::service::staff::Manager::of(&call.principal)?;
    let role = Role::parse(&role)
        .ok_or_else(|| crate::error::AppError::Invalid("role: OWNER, MANAGER or CASHIER".into()))?;
    let new = crate::model::staff::NewStaff {
        username: username.clone(),
        display_name,
        role,
        password,
    };
    crate::service::staff::add(&call.state, &manager, new).await?;
    Ok(username.trim().to_lowercase())
}

/// Disables (`active` = "false") or enables an account; answers its id.
#[server(prefix = "/console", endpoint = "staff/active")]
pub async fn console_staff_active(id: String, active: String) -> Result<String, Problem> {
    let call = crate::api::edge::authenticated()?;
    let manager = crate::service::staff::Manager::of(&call.principal)?;
    crate::service::staff::set_active(&call.state, &manager, &id, active == "true").await?;
    Ok(id)
}

/// Sets an account's password; answers its id.
#[server(prefix = "/console", endpoint = "staff/password")]
pub async fn console_staff_password(id: String, password: String) -> Result<String, Problem> {
    let call = crate::api::edge::authenticated()?;
    let manager = crate::service::staff::Manager::of(&call.principal)?;
    crate::service::staff::reset_password(&call.state, &manager, &id, &password).await?;
    Ok(id)
}
