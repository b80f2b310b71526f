//! QWeather (和风天气) v7 "real-time weather": `GET {base}/v7/weather/now?location=<lon>,<lat>`
//! with the API key in the `X-QW-Api-Key` header (never in the URL, so it never reaches a
//! log). Answers are JSON (gzip on the wire) whose `code` is `"200"` when it worked; the
//! figures are strings (`"temp": "24"`).

use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::reading::Observation;
use super::{Place, WeatherError, WeatherSource};

/// How long QWeather may take before this reading is given up (the next poll tries again).
const TIMEOUT: Duration = Duration::from_secs(5);

/// QWeather's API at `base_url` (`https://devapi.qweather.com`, or the account's own API
/// host), with the account's key.
#[derive(Clone, Debug)]
pub struct QWeather {
    base_url: String,
    key: SecretString,
    http: reqwest::Client,
}

impl QWeather {
    pub fn new(base_url: &str, key: SecretString) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .gzip(true)
            .build()
            .unwrap_or_default();
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
            http,
        }
    }

    async fn read(&self, place: Place) -> Result<Observation, WeatherError> {
        let failed = |e: reqwest::Error| WeatherError::Unavailable(e.without_url().to_string());
        // QWeather reads locations as "longitude,latitude", two decimals.
        let location = format!("{:.2},{:.2}", place.lon, place.lat);
        let answer: NowAnswer = self
            .http
            .get(format!("{}/v7/weather/now", self.base_url))
            .query(&[("location", location.as_str()), ("lang", "zh")])
            .header("X-QW-Api-Key", self.key.expose_secret())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        if answer.code != "200" {
            // 401 bad key, 402 over quota, 404 unknown location, 429 too many requests.
            return Err(WeatherError::Refused(answer.code));
        }
        let now = answer
            .now
            .ok_or_else(|| WeatherError::Unavailable("no `now` in the answer".into()))?;
        let icon = now
            .icon
            .parse()
            .map_err(|_| WeatherError::Unavailable(format!("icon {:?}", now.icon)))?;
        Ok(Observation {
            icon,
            temp_c: now.temp.and_then(|t| t.parse().ok()),
            wind_scale: now
                .wind_scale
                .and_then(|w| w.split('-').next_back()?.parse().ok()),
        })
    }
}

impl WeatherSource for QWeather {
    fn observe(&self, place: Place) -> BoxFuture<'_, Result<Observation, WeatherError>> {
        Box::pin(self.read(place))
    }
}

#[derive(Deserialize)]
struct NowAnswer {
    code: String,
    now: Option<Now>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Now {
    icon: String,
    temp: Option<String>,
    /// A scale, or a range of them ("3-4").
    wind_scale: Option<String>,
}
