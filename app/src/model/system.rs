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
    /// The caller's shop's online payments over the last hour (staff of a shop that takes
    /// them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_payments: Option<PaymentSuccess>,
}

/// Online orders opened over a window and how many were paid: the payment success ratio
/// (`paid / opened`) that the payment alert watches. Orders still within their time to pay
/// count as not paid yet.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSuccess {
    pub window_minutes: u32,
    pub opened: u64,
    pub paid: u64,
}

impl PaymentSuccess {
    /// `paid / opened`; none when nothing was opened.
    pub fn ratio(&self) -> Option<f64> {
        let count = |n: u64| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
        (self.opened > 0).then(|| count(self.paid) / count(self.opened))
    }
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
            online_payments: None,
        }
    }

    #[test]
    fn database_time_reads_in_milliseconds() {
        assert_eq!(status(420).database_time_label(), "0.42 ms");
        assert_eq!(status(12_345).database_time_label(), "12.34 ms");
        assert_eq!(status(0).database_time_label(), "0.00 ms");
    }

    #[test]
    fn the_payment_success_ratio_is_paid_over_opened() {
        let window = |opened, paid| PaymentSuccess {
            window_minutes: 60,
            opened,
            paid,
        };
        assert_eq!(window(0, 0).ratio(), None);
        assert_eq!(window(4, 3).ratio(), Some(0.75));
    }

    #[test]
    fn an_outdated_schema_is_not_healthy() {
        let mut outdated = status(1);
        outdated.schema_version = 0;
        assert!(!outdated.is_healthy());
        assert!(status(1).is_healthy());
    }
}
