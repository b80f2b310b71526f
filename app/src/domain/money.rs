//! Money: a non-negative amount of yuan with exactly two decimal places (fen).
//!
//! Never a float. On the wire it is a JSON string such as `"12.30"`; a JSON number is refused
//! because it may already have passed through a float on its way here.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money, `0.00 ..= Money::MAX`, in whole fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// Why a value is not an amount of money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("amounts cannot be negative")]
    Negative,
    #[error("amounts have at most two decimal places (fen)")]
    TooPrecise,
    #[error("amounts are at most {max}", max = Money::MAX)]
    TooLarge,
    #[error("the amount must be more than zero")]
    Zero,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);
    /// Ten million yuan: far above any restaurant transaction, far below overflow.
    pub const MAX: Money = Money(Decimal::from_parts(1_000_000_000, 0, 0, false, 2));

    /// Validates an exact decimal: refuses negatives, fractions of a fen and absurd sizes.
    pub fn new(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        if normalized > Self::MAX.0 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self::fen_scale(normalized))
    }

    /// Rounds a computed (possibly finer) non-negative value to the fen, half up.
    /// Negative inputs become zero: callers use this only on results that cannot be negative.
    pub fn round_half_up(value: Decimal) -> Self {
        let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        if rounded.is_sign_negative() {
            Self::ZERO
        } else {
            Self::fen_scale(rounded)
        }
    }

    /// `yuan.fen`, e.g. `Money::yuan(12, 30)` is 12.30.
    pub fn yuan(yuan: u32, fen: u8) -> Self {
        Self::fen_scale(Decimal::from(yuan) + Decimal::new(i64::from(fen % 100), 2))
    }

    /// `fen` hundredths of a yuan (at most `MAX`).
    pub fn from_fen(fen: u64) -> Self {
        let fen = i64::try_from(fen).unwrap_or(i64::MAX);
        Self::fen_scale(Decimal::new(fen, 2)).min(Self::MAX)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        let sum = self.0.checked_add(other.0)?;
        (sum <= Self::MAX.0).then(|| Self::fen_scale(sum))
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        let difference = self.0.checked_sub(other.0)?;
        (!difference.is_sign_negative() || difference.is_zero())
            .then(|| Self::fen_scale(difference))
    }

    /// `self − other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Money) -> Money {
        self.checked_sub(other).unwrap_or(Self::ZERO)
    }

    fn fen_scale(mut value: Decimal) -> Self {
        value.rescale(2);
        Self(value)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        // Plain decimal notation only: no exponents, no thousands separators, no signs but '-'.
        let plain = !trimmed.is_empty()
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        if !plain {
            return Err(MoneyError::NotANumber(trimmed.to_owned()));
        }
        let value = Decimal::from_str_exact(trimmed)
            .map_err(|_| MoneyError::NotANumber(trimmed.to_owned()))?;
        Self::new(value)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a string with at most two decimals, e.g. \"12.30\"")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Money, E> {
                Money::from_wire(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl Money {
    /// The wire form, exactly: 1–8 digits (at most 10,000,000), then at most two decimals.
    /// No spaces, signs or exponents (a person's typing goes through `FromStr`, which is
    /// kinder).
    pub const PATTERN: &'static str =
        r"^(?:(?:\d{1,7}|0\d{7})(?:\.\d{1,2})?|10000000(?:\.0{1,2})?)$";

    /// Reads the wire form ([`Self::PATTERN`]).
    pub fn from_wire(text: &str) -> Result<Self, MoneyError> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
        let digits = |part: &str, most: usize| {
            (1..=most).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(whole, 8) || !digits(fraction, 2) {
            return Err(MoneyError::NotANumber(text.to_owned()));
        }
        text.parse()
    }
}

/// An amount of money more than zero: what is paid, refunded or collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(Money);

impl Amount {
    /// [`Money::PATTERN`] without the zeros.
    pub const PATTERN: &'static str =
        r"^(?!0*(?:\.0*)?$)(?:(?:\d{1,7}|0\d{7})(?:\.\d{1,2})?|10000000(?:\.0{1,2})?)$";

    pub fn new(money: Money) -> Result<Self, MoneyError> {
        if money.is_zero() {
            Err(MoneyError::Zero)
        } else {
            Ok(Self(money))
        }
    }

    pub fn money(self) -> Money {
        self.0
    }
}

impl std::ops::Deref for Amount {
    type Target = Money;

    fn deref(&self) -> &Money {
        &self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Amount::new(Money::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

// In the OpenAPI document money is what it is on the wire: a decimal string.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Money::PATTERN))
            .description(Some(
                "An amount in yuan, 0 to 10000000.00, with at most two decimals, as a string.",
            ))
            .examples(["12.30"])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Money {}

#[cfg(feature = "ssr")]
impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": Money::PATTERN,
            "description": "An amount in yuan, 0 to 10000000.00, with at most two decimals.",
            "examples": ["12.30"],
        })
    }
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Amount::PATTERN))
            .description(Some(
                "An amount in yuan more than 0, at most 10000000.00, with at most two \
                 decimals, as a string.",
            ))
            .examples(["12.30"])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Amount {}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_and_prints_with_two_decimals() {
        assert_eq!(money("12.3").to_string(), "12.30");
        assert_eq!(money("12").to_string(), "12.00");
        assert_eq!(money("0.01").to_string(), "0.01");
        assert_eq!(money(" 7.50 ").to_string(), "7.50");
        assert_eq!(money("12.300").to_string(), "12.30");
        assert_eq!(Money::yuan(12, 30), money("12.30"));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for (text, expected) in [
            ("-1", MoneyError::Negative),
            ("-0.01", MoneyError::Negative),
            ("0.001", MoneyError::TooPrecise),
            ("12.345", MoneyError::TooPrecise),
            ("10000000.01", MoneyError::TooLarge),
            ("1e3", MoneyError::NotANumber("1e3".into())),
            ("1,000", MoneyError::NotANumber("1,000".into())),
            ("", MoneyError::NotANumber(String::new())),
            ("abc", MoneyError::NotANumber("abc".into())),
            ("NaN", MoneyError::NotANumber("NaN".into())),
        ] {
            assert_eq!(text.parse::<Money>(), Err(expected), "{text:?}");
        }
        assert_eq!(money("10000000.00"), Money::MAX);
        assert_eq!(money("-0"), Money::ZERO);
    }

    #[test]
    fn json_is_a_string_and_numbers_are_refused() {
        let json = serde_json::to_string(&money("12.3")).unwrap_or_default();
        assert_eq!(json, "\"12.30\"");
        let back: Result<Money, _> = serde_json::from_str("\"12.30\"");
        assert_eq!(back.ok(), Some(money("12.30")));
        assert!(serde_json::from_str::<Money>("12.3").is_err());
        assert!(serde_json::from_str::<Money>("\"-5\"").is_err());
        assert!(serde_json::from_str::<Money>("\"0.005\"").is_err());
    }

    #[test]
    fn the_wire_form_is_exactly_the_documented_pattern() {
        for good in [
            "0",
            "12.3",
            "12.30",
            "9999999.99",
            "09999999.5",
            "10000000",
            "10000000.00",
        ] {
            assert!(Money::from_wire(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            " 7.50",
            "7.50 ",
            "-0",
            "+1",
            "1e3",
            "12.300",
            "12.",
            ".5",
            "10000000.01",
            "100000000",
            "1,000",
        ] {
            assert!(Money::from_wire(bad).is_err(), "{bad:?}");
        }
        let amount = |json: &str| serde_json::from_str::<Amount>(json).ok().map(Amount::money);
        assert_eq!(amount("\"0.01\""), Some(money("0.01")));
        for zero in ["\"0\"", "\"0.00\"", "\"000.0\""] {
            assert_eq!(amount(zero), None, "{zero}");
        }
    }

    #[test]
    fn rounding_is_half_up_to_the_fen() {
        assert_eq!(Money::round_half_up(Decimal::new(12345, 3)), money("12.35"));
        assert_eq!(Money::round_half_up(Decimal::new(12344, 3)), money("12.34"));
        assert_eq!(Money::round_half_up(Decimal::new(5, 3)), money("0.01"));
        assert_eq!(Money::round_half_up(Decimal::new(-5, 1)), Money::ZERO);
    }

    #[test]
    fn arithmetic_never_goes_negative_or_past_the_maximum() {
        assert_eq!(money("5").checked_sub(money("7")), None);
        assert_eq!(money("7").checked_sub(money("7")), Some(Money::ZERO));
        assert_eq!(money("5").saturating_sub(money("7")), Money::ZERO);
        assert_eq!(Money::MAX.checked_add(money("0.01")), None);
        assert_eq!(
            money("0.10").checked_add(money("0.20")),
            Some(money("0.30"))
        );
    }
}
