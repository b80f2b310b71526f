//! The system status: what the console's status panel shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the console's status panel shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// `memory`, `surrealkv` or `remote`.
    pub engine: String,
    /// The schema version found in the database.
    pub schema_version: u32,
    /// The schema version this build expects.
    pub expected_schema_version: u32,
    /// The caller's own restaurant, for signed-in staff; nobody else learns which
    /// restaurants this installation serves.
    pub shop: Option<String>,
    /// Server-side time spent on the database queries, in microseconds.
    pub database_micros: u64,
    /// When the server answered.
    pub checked_at: DateTime<Utc>,
}

impl SystemStatus {
    /// True when the database answered and its schema is the one this build expects.
    pub fn is_healthy(&self) -> bool {
        self.schema_version == self.expected_schema_version
    }

    /// The database time for people, e.g. `0.42 ms`.
    pub fn database_time_label(&self) -> String {
        let whole = self.database_micros / 1000;
        let hundredths = (self.database_micros % 1000) / 10;
        format!("{whole}.{hundredths:02} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(database_micros: u64) -> SystemStatus {
        SystemStatus {
            engine: "memory".into(),
            schema_version: 1,
            expected_schema_version: 1,
            shop: None,
            database_micros,
            checked_at: Utc::now(),
        }
    }

    #[test]
    fn database_time_reads_in_milliseconds() {
        assert_eq!(status(420).database_time_label(), "0.42 ms");
        assert_eq!(status(12_345).database_time_label(), "12.34 ms");
        assert_eq!(status(0).database_time_label(), "0.00 ms");
    }

    #[test]
    fn an_outdated_schema_is_not_healthy() {
        let mut outdated = status(1);
        outdated.schema_version = 0;
        assert!(!outdated.is_healthy());
        assert!(status(1).is_healthy());
    }
}
