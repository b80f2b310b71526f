//! The market: fragments for silver at the merchant's listed prices.

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    #[error("the quantity must be between 1 and {max}", max = MAX_QUANTITY)]
    BadQuantity,
    #[error("this fragment is not bought back here")]
    NotBoughtBack,
}

/// The most fragments one trade may move.
pub const MAX_QUANTITY: u32 = 999;

/// Silver for `quantity` fragments at `unit_price` (checked: never overflows).
pub fn total_price(unit_price: u32, quantity: u32) -> Result<u64, MarketError> {
    if quantity == 0 || quantity > MAX_QUANTITY {
        return Err(MarketError::BadQuantity);
    }
    Ok(u64::from(unit_price) * u64::from(quantity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_multiply_and_quantities_are_bounded() {
        assert_eq!(total_price(10, 3), Ok(30));
        assert_eq!(
            total_price(u32::MAX, MAX_QUANTITY),
            Ok(u64::from(u32::MAX) * 999)
        );
        assert_eq!(total_price(10, 0), Err(MarketError::BadQuantity));
        assert_eq!(total_price(10, 1000), Err(MarketError::BadQuantity));
    }
}
