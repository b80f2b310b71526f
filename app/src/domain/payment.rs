//! Pre-pay orders (payment codes): the states an order moves through.

/// An order's life, stored by name: PENDING until a cashier collects it (COLLECTED), then
/// perhaps REFUNDED; a PENDING order whose code expired is marked EXPIRED by a worker.
/// CANCELLED is allowed by the schema but nothing writes it yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Pending,
    Collected,
    Refunded,
    Cancelled,
    Expired,
}

impl PaymentStatus {
    /// The stored name, e.g. `PENDING`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names the schema's ASSERT on `payment.status` allows.
    #[test]
    fn statuses_are_stored_by_the_schema_names() {
        for (status, name) in [
            (PaymentStatus::Pending, "PENDING"),
            (PaymentStatus::Collected, "COLLECTED"),
            (PaymentStatus::Refunded, "REFUNDED"),
            (PaymentStatus::Cancelled, "CANCELLED"),
            (PaymentStatus::Expired, "EXPIRED"),
        ] {
            assert_eq!(status.as_str(), name);
            assert_eq!(PaymentStatus::parse(name), Some(status));
        }
        assert_eq!(PaymentStatus::parse("pending"), None);
    }
}
