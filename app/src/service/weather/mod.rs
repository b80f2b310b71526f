//! The weather at each shop, from a provider behind [`WeatherSource`] (QWeather's HTTP API;
//! none by default, when the weather comes only from `POST /api/events`), read every so
//! often and turned into the rule engine's `WEATHER_CHANGE` trigger when it changed. A
//! provider that fails changes nothing: the shop keeps its last weather, and the next poll
//! tries again.

pub mod qweather;
pub mod reading;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use self::reading::{Observation, weather_of};
use super::rules::publication;
use crate::domain::rules::{Context, Trigger, TriggerType};
use crate::error::AppError;
use crate::state::AppState;

/// Where to read the weather.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
}

/// Why a reading failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeatherError {
    /// Not reached, timed out, or an answer that does not read.
    #[error("the weather provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider answered with an error code (a bad key, over quota…).
    #[error("the weather provider refused: code {0}")]
    Refused(String),
}

/// A weather provider.
pub trait WeatherSource: Send + Sync + std::fmt::Debug {
    /// The weather now at `place`.
    fn observe(&self, place: Place) -> BoxFuture<'_, Result<Observation, WeatherError>>;
}

/// A configured provider and how often it is read.
#[derive(Clone, Debug)]
pub struct Feed {
    pub source: std::sync::Arc<dyn WeatherSource>,
    pub every: std::time::Duration,
}

/// What one round of readings did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Shops whose weather was read.
    pub read: usize,
    /// Shops whose weather changed (each a `WEATHER_CHANGE` trigger).
    pub changed: Vec<String>,
    /// Shops whose reading failed.
    pub failed: usize,
}

/// Reads the weather at every shop that has set its location and records each change with
/// its trigger. A shop whose reading fails is skipped (and logged); the others go on.
pub async fn read_all(
    state: &AppState,
    source: &dyn WeatherSource,
    now: DateTime<Utc>,
) -> Result<Round, AppError> {
    let mut round = Round::default();
    for shop in db::rules::placed_shops(&state.db).await? {
        let place = Place {
            lat: shop.lat,
            lon: shop.lon,
        };
        let weather = match source.observe(place).await {
            Ok(observation) => weather_of(observation),
            Err(err) => {
                tracing::warn!(merchant = shop.merchant, error = %err, "weather not read");
                round.failed += 1;
                continue;
            }
        };
        round.read += 1;
        let Some(weather) = weather else {
            continue;
        };
        let trigger = Trigger {
            id: uuid::Uuid::now_v7().to_string(),
            kind: TriggerType::WeatherChange,
            merchant_id: shop.merchant.clone(),
            uid: None,
            context: Context {
                weather: Some(weather),
                ..Context::default()
            },
            occurred_at: now,
        };
        let name = weather.as_str();
        let changed = super::with_retries(|| async {
            Ok(
                db::rules::weather_read(&state.db, &shop.merchant, name, &publication(&trigger)?)
                    .await?,
            )
        })
        .await?;
        if changed {
            tracing::info!(
                merchant = shop.merchant,
                weather = name,
                "the weather changed"
            );
            round.changed.push(shop.merchant);
        }
    }
    Ok(round)
}
