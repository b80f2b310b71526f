//! The weather feed against a stand-in of QWeather's v7 API (a small axum server speaking
//! its protocol: the key in `X-QW-Api-Key`, gzip answers, string figures, error codes in
//! the body): a change at a shop is one `WEATHER_CHANGE` trigger, a diner entering then
//! gets the rainy-day campaign; an unchanged reading, a refusal or a dead provider changes
//! nothing.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::rules::Outcome;
use app::service::rules;
use app::service::weather::qweather::QWeather;
use app::service::weather::{Place, WeatherError, WeatherSource, read_all};
use app::state::AppState;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use crate::helpers::{MERCHANT, seeded_state};
use crate::rules::{SPICY, active, place_the_shop, spec, trace};

const KEY: &str = "qweather-test-key";

/// What the stand-in answers next: a body (`code` and `now`), or a bare HTTP status.
#[derive(Clone)]
enum Next {
    Now {
        code: &'static str,
        icon: &'static str,
        temp: &'static str,
    },
    Status(StatusCode),
    Slow,
}

#[derive(Clone)]
struct StandIn {
    next: Arc<Mutex<Next>>,
    locations: Arc<Mutex<Vec<String>>>,
}

fn gzip(body: &serde_json::Value) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(body.to_string().as_bytes())
        .expect("gzip");
    encoder.finish().expect("gzip")
}

/// QWeather's `GET /v7/weather/now`.
async fn now(
    axum::extract::State(stand_in): axum::extract::State<StandIn>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let next = stand_in.next.lock().expect("lock").clone();
    stand_in
        .locations
        .lock()
        .expect("lock")
        .push(query.get("location").cloned().unwrap_or_default());
    let body = if headers.get("X-QW-Api-Key").and_then(|v| v.to_str().ok()) != Some(KEY)
        || query.contains_key("key")
    {
        json!({ "code": "401" })
    } else {
        match next {
            Next::Now { code, icon, temp } => json!({
                "code": code,
                "updateTime": "2026-11-30T18:02+08:00",
                "now": {
                    "obsTime": "2026-11-30T17:56+08:00", "temp": temp, "feelsLike": temp,
                    "icon": icon, "text": "…", "wind360": "135", "windDir": "东南风",
                    "windScale": "1-3", "windSpeed": "8", "humidity": "80", "precip": "0.2",
                    "pressure": "1014", "vis": "6", "cloud": "91", "dew": "9"
                },
                "refer": { "sources": ["QWeather"], "license": ["QWeather Developers License"] }
            }),
            Next::Status(status) => return status.into_response(),
            Next::Slow => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return StatusCode::OK.into_response();
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        gzip(&body),
    )
        .into_response()
}

async fn qweather_stand_in(next: Next) -> (String, StandIn) {
    let stand_in = StandIn {
        next: Arc::new(Mutex::new(next)),
        locations: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let routes = axum::Router::new()
        .route("/v7/weather/now", axum::routing::get(now))
        .with_state(stand_in.clone());
    tokio::spawn(async move { axum::serve(listener, routes).await });
    (format!("http://{address}"), stand_in)
}

async fn weather_now(state: &AppState) -> Option<String> {
    db::rules::shop_weather(&state.db, MERCHANT)
        .await
        .expect("read")
}

#[tokio::test]
async fn rain_read_at_the_shop_is_one_trigger_and_the_rainy_day_campaign_fires() {
    let state = seeded_state().await;
    place_the_shop(&state).await;
    active(
        &state,
        "RAINY",
        spec(
            "雨天",
            10,
            json!({"silver": 3}),
            json!({"condition": {"check": "weather_in", "weather": ["RAINY"]}}),
        ),
    )
    .await;
    let (url, stand_in) = qweather_stand_in(Next::Now {
        code: "200",
        icon: "305",
        temp: "12",
    })
    .await;
    let qweather = QWeather::new(&url, KEY.to_owned().into());

    let round = read_all(&state, &qweather, Utc::now()).await.expect("read");
    assert_eq!(round.changed, [MERCHANT]);
    assert_eq!(weather_now(&state).await.as_deref(), Some("RAINY"));
    // QWeather reads "longitude,latitude".
    assert_eq!(
        stand_in.locations.lock().expect("lock").as_slice(),
        ["104.07,30.66"]
    );
    // Still raining: nothing new.
    let again = read_all(&state, &qweather, Utc::now()).await.expect("read");
    assert!(again.changed.is_empty());
    let figures = db::queue::figures(&state.db, db::rules::TRIGGERS)
        .await
        .expect("figures");
    assert_eq!(figures.pending, 1, "one WEATHER_CHANGE trigger");

    rules::decide_all(&state).await;
    let entered = crate::rules::enter(&state, SPICY).await;
    rules::decide_all(&state).await;
    let decided = trace(&state, &entered).await;
    assert_eq!(decided.fired, ["RAINY"]);

    // The sun comes out: a change, and the rainy-day campaign no longer matches.
    *stand_in.next.lock().expect("lock") = Next::Now {
        code: "200",
        icon: "100",
        temp: "22",
    };
    let sunny = read_all(&state, &qweather, Utc::now()).await.expect("read");
    assert_eq!(sunny.changed, [MERCHANT]);
    rules::decide_all(&state).await;
    let entered = crate::rules::enter(&state, "wx-demo-002").await;
    rules::decide_all(&state).await;
    let decided = trace(&state, &entered).await;
    assert!(matches!(
        decided.considered.first().map(|c| &c.outcome),
        Some(Outcome::ConditionFailed)
    ));
}

#[tokio::test]
async fn a_provider_that_refuses_fails_or_hangs_changes_nothing() {
    let state = seeded_state().await;
    place_the_shop(&state).await;
    let (url, stand_in) = qweather_stand_in(Next::Now {
        code: "200",
        icon: "400",
        temp: "-1",
    })
    .await;
    let snowing = QWeather::new(&url, KEY.to_owned().into());
    read_all(&state, &snowing, Utc::now()).await.expect("read");
    assert_eq!(weather_now(&state).await.as_deref(), Some("SNOWY"));

    let place = Place {
        lat: 30.6574,
        lon: 104.0658,
    };
    let wrong_key = QWeather::new(&url, "not-the-key".to_owned().into());
    assert_eq!(
        wrong_key.observe(place).await,
        Err(WeatherError::Refused("401".into()))
    );
    for next in [
        Next::Now {
            code: "402",
            icon: "100",
            temp: "20",
        },
        Next::Status(StatusCode::INTERNAL_SERVER_ERROR),
        Next::Slow,
    ] {
        *stand_in.next.lock().expect("lock") = next;
        let round = read_all(&state, &snowing, Utc::now())
            .await
            .expect("a round");
        assert_eq!((round.read, round.failed), (0, 1));
        assert_eq!(weather_now(&state).await.as_deref(), Some("SNOWY"));
    }
    // Nothing listens any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let gone = QWeather::new(
        &format!("http://{}", closed.local_addr().expect("address")),
        KEY.to_owned().into(),
    );
    drop(closed);
    assert!(matches!(
        gone.observe(place).await,
        Err(WeatherError::Unavailable(_))
    ));
    assert_eq!(weather_now(&state).await.as_deref(), Some("SNOWY"));
}
