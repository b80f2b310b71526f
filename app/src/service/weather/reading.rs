//! What a weather report means for the rule engine: QWeather's observation (its icon code,
//! temperature and wind scale) as one [`Weather`]. Pure, and tested as a table.

use crate::domain::rules::Weather;

/// From this temperature (°C) up, the weather is `HOT`.
pub const HOT_FROM: i32 = 33;
/// From this temperature (°C) down, the weather is `COLD`.
pub const COLD_TO: i32 = 3;
/// From this Beaufort scale up, the weather is `WINDY`.
pub const WINDY_FROM: u8 = 6;

/// One observation at a shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// QWeather's weather icon code (100 晴, 305 小雨, 400 小雪…).
    pub icon: u16,
    pub temp_c: Option<i32>,
    pub wind_scale: Option<u8>,
}

/// The weather a campaign's `weather_in` checks: rain and snow first (they change what
/// diners do most), then sandstorms and strong wind, then heat and cold, then clear or
/// cloudy skies. `None` for a code QWeather uses for "unknown" (999) or one it may add.
pub fn weather_of(observation: Observation) -> Option<Weather> {
    let Observation {
        icon,
        temp_c,
        wind_scale,
    } = observation;
    let sky = match icon {
        300..=399 => Some(Weather::Rainy),
        400..=499 => Some(Weather::Snowy),
        503..=508 => Some(Weather::Windy),
        900 => Some(Weather::Hot),
        901 => Some(Weather::Cold),
        _ => None,
    };
    if sky.is_some() {
        return sky;
    }
    if wind_scale.is_some_and(|scale| scale >= WINDY_FROM) {
        return Some(Weather::Windy);
    }
    match temp_c {
        Some(temp) if temp >= HOT_FROM => return Some(Weather::Hot),
        Some(temp) if temp <= COLD_TO => return Some(Weather::Cold),
        _ => {}
    }
    match icon {
        100 | 150 => Some(Weather::Sunny),
        101..=104 | 151..=153 | 500..=502 | 509..=515 => Some(Weather::Cloudy),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(icon: u16, temp_c: i32, wind_scale: u8) -> Option<Weather> {
        weather_of(Observation {
            icon,
            temp_c: Some(temp_c),
            wind_scale: Some(wind_scale),
        })
    }

    #[test]
    fn observations_as_a_table() {
        use Weather::*;
        let table = [
            ((100, 24, 2), Some(Sunny)),  // 晴
            ((150, 18, 1), Some(Sunny)),  // 晴 (night)
            ((101, 20, 2), Some(Cloudy)), // 多云
            ((104, 20, 2), Some(Cloudy)), // 阴
            ((305, 12, 3), Some(Rainy)),  // 小雨
            ((302, 28, 4), Some(Rainy)),  // 雷阵雨, warm
            ((305, 36, 8), Some(Rainy)),  // rain beats heat and wind
            ((400, -2, 2), Some(Snowy)),  // 小雪
            ((404, 1, 2), Some(Snowy)),   // 雨夹雪
            ((507, 20, 7), Some(Windy)),  // 沙尘暴
            ((100, 20, 6), Some(Windy)),  // clear but a strong breeze
            ((100, 35, 2), Some(Hot)),    // clear and 35 °C
            ((900, 30, 1), Some(Hot)),    // 热
            ((101, 2, 2), Some(Cold)),    // cloudy and 2 °C
            ((901, 10, 1), Some(Cold)),   // 冷
            ((501, 15, 1), Some(Cloudy)), // 雾
            ((999, 15, 1), None),         // 未知
            ((100, HOT_FROM - 1, 5), Some(Sunny)),
            ((100, COLD_TO + 1, 5), Some(Sunny)),
        ];
        for ((icon, temp, wind), expected) in table {
            assert_eq!(at(icon, temp, wind), expected, "{icon} {temp} {wind}");
        }
    }

    #[test]
    fn an_observation_without_figures_reads_its_icon() {
        let bare = |icon| Observation {
            icon,
            temp_c: None,
            wind_scale: None,
        };
        assert_eq!(weather_of(bare(100)), Some(Weather::Sunny));
        assert_eq!(weather_of(bare(306)), Some(Weather::Rainy));
        assert_eq!(weather_of(bare(999)), None);
    }
}
