//! The system status: the database's schema version and round trip, and for staff their
//! shop's name.

use chrono::Utc;

use crate::error::AppError;
use crate::model::system::SystemStatus;
use crate::state::AppState;

/// Asks the database for its schema version, and for the staff of `merchant`, its name.
pub async fn status(state: &AppState, merchant: Option<&str>) -> Result<SystemStatus, AppError> {
    let started = std::time::Instant::now();
    let health = db::health::check(&state.db).await?;
    let shop = match merchant {
        Some(merchant) => db::merchant::name(&state.db, merchant).await?,
        None => None,
    };
    let database_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let online_payments = match merchant {
        Some(merchant) if state.online.takes(merchant) => {
            let hour_ago = Utc::now() - chrono::Duration::hours(1);
            Some(super::online::success(state, merchant, hour_ago).await?)
        }
        _ => None,
    };
    Ok(SystemStatus {
        engine: state.engine.label().to_owned(),
        schema_version: health.schema_version,
        expected_schema_version: health.expected_version,
        shop,
        database_micros,
        checked_at: Utc::now(),
        online_payments,
    })
}
