//! The dashboard's data: the shop's last 30 days of figures and today's budgets, for the
//! staff who may see its numbers (OWNER, MANAGER). The page keeps it current from the
//! FIGURES_UPDATED frames.

use leptos::prelude::*;

use crate::error::Problem;
use crate::model::figures::Dashboard;

/// The shop's dashboard now (anyone not allowed its numbers: none).
#[server(prefix = "/console", endpoint = "dashboard")]
pub async fn console_dashboard() -> Result<Option<Dashboard>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let Ok(staff) = call.staff(crate::auth::Permission::ViewFigures) else {
        return Ok(None);
    };
    let dashboard =
        crate::service::figures::dashboard(&call.state, &staff.merchant_id, chrono::Utc::now())
            .await?;
    Ok(Some(dashboard))
}
