//! WeChat Run steps: the diner's mini program sends what `wx.getWeRunData` gave it; today's
//! steps are counted once, and a rise is the rule engine's `STEPS_SYNCED` trigger. In DEV,
//! a stand-in of `wx.getWeRunData` makes the same encrypted data for the demo diner page.

use crate::error::Problem;
pub use crate::model::steps::*;

/// `POST /api/steps` (diner): today's steps from WeChat Run data.
#[leptos::server(prefix = "/api", endpoint = "steps", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn sync_steps(
    merchant_id: crate::domain::checked::MerchantId,
    encrypted_data: String,
    iv: String,
) -> Result<StepsSynced, Problem> {
    let call = crate::api::edge::authenticated()?;
    let upload = StepsUpload {
        merchant_id,
        encrypted_data,
        iv,
    };
    Ok(
        crate::service::steps::sync(&call.state, &call.principal, &upload, chrono::Utc::now())
            .await?,
    )
}

/// `POST /api/dev/werun` (diner, DEV only): what `wx.getWeRunData` would give the mini
/// program, with `steps` today.
#[leptos::server(prefix = "/api", endpoint = "dev/werun", input = crate::api::codec::CheckedJson, output = leptos::server_fn::codec::Json)]
pub async fn werun_stand_in(steps: StepCount) -> Result<WeRunData, Problem> {
    let call = crate::api::edge::authenticated()?;
    Ok(crate::service::steps::stand_in(
        &call.state,
        &call.principal,
        steps.get(),
        chrono::Utc::now(),
    )?)
}
