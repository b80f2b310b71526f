//! Values checked where they enter: the ids, codes, names and counts a request may carry.
//! Each type refuses what cannot be one (empty, too long, wrong characters, out of range)
//! while the request is read, so nothing unchecked reaches a service or the database, and
//! the OpenAPI document takes each type's pattern and bounds from the same definition.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a value was refused: the rule it breaks, said for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub &'static str);

/// A text value with a rule: `parse` is the only way in.
pub trait CheckedText: Sized {
    /// The rule, said for a person.
    const RULE: &'static str;
    /// The rule as an ECMA-262 pattern (for the OpenAPI document).
    const PATTERN: &'static str;
    const MIN_LENGTH: usize;
    const MAX_LENGTH: usize;
    const EXAMPLE: &'static str;

    fn accepts(text: &str) -> bool;
    fn wrap(text: String) -> Self;

    fn parse(text: &str) -> Result<Self, Refused> {
        if Self::accepts(text) {
            Ok(Self::wrap(text.to_owned()))
        } else {
            Err(Refused(Self::RULE))
        }
    }
}

/// Defines a checked text type: a `String` that only `CheckedText::parse` makes.
macro_rules! checked_text {
    ($(#[$meta:meta])* $name:ident {
        rule: $rule:literal,
        pattern: $pattern:literal,
        length: $min:literal ..= $max:literal,
        example: $example:literal,
        accepts: $accepts:expr $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl CheckedText for $name {
            const RULE: &'static str = $rule;
            const PATTERN: &'static str = $pattern;
            const MIN_LENGTH: usize = $min;
            const MAX_LENGTH: usize = $max;
            const EXAMPLE: &'static str = $example;

            fn accepts(text: &str) -> bool {
                let accepts: fn(&str) -> bool = $accepts;
                accepts(text)
            }

            fn wrap(text: String) -> Self {
                Self(text)
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Refused;

            fn from_str(text: &str) -> Result<Self, Refused> {
                Self::parse(text)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                text_schema::<Self>()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}

        #[cfg(feature = "ssr")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                text_json_schema::<Self>()
            }
        }
    };
}

fn is_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

checked_text!(
    /// A merchant's id, e.g. `demo`.
    MerchantId {
        rule: "1–64 letters, digits, _ or -",
        pattern: "^[A-Za-z0-9_-]{1,64}$",
        length: 1..=64,
        example: "demo",
        accepts: is_id,
    }
);

checked_text!(
    /// A diner's uid (their WeChat openid, or `wx-demo-001` in DEV).
    DinerId {
        rule: "1–64 letters, digits, _ or -",
        pattern: "^[A-Za-z0-9_-]{1,64}$",
        length: 1..=64,
        example: "wx-demo-001",
        accepts: is_id,
    }
);

checked_text!(
    /// A payment's id, as `/api/payment/create` returned it.
    PaymentId {
        rule: "32 lower-case hexadecimal digits",
        pattern: "^[0-9a-f]{32}$",
        length: 32..=32,
        example: "0193a0c4e5f07c3e9d2b6a1f4e8c7b20",
        accepts: |text| text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
    }
);

checked_text!(
    /// A card's uuid, as synthesis returned it.
    CardId {
        rule: "a UUID such as 6f1c2a9e-8b1d-4c3e-9f00-1a2b3c4d5e6f",
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        length: 36..=36,
        example: "6f1c2a9e-8b1d-4c3e-9f00-1a2b3c4d5e6f",
        accepts: is_uuid,
    }
);

checked_text!(
    /// A story's id, as the inbox lists it.
    StoryId {
        rule: "a UUID such as 0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        length: 36..=36,
        example: "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        accepts: is_uuid,
    }
);

checked_text!(
    /// A workflow thread's id, as the Copilot returned it.
    ThreadId {
        rule: "a UUID such as 0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        length: 36..=36,
        example: "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        accepts: is_uuid,
    }
);

checked_text!(
    /// An asset's id (a picture of the shop's library), as the library lists it.
    AssetId {
        rule: "a UUID such as 0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        length: 36..=36,
        example: "0193a0c4-e5f0-7c3e-9d2b-6a1f4e8c7b20",
        accepts: is_uuid,
    }
);

checked_text!(
    /// An outside provider's job (an image being drawn), as the provider named it.
    JobId {
        rule: "1–128 letters, digits, _ . : or -",
        pattern: "^[A-Za-z0-9_.:-]{1,128}$",
        length: 1..=128,
        example: "img-0193a0c4e5f0",
        accepts: |text| !text.is_empty() && text.len() <= 128
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-')),
    }
);

checked_text!(
    /// What a cashier's scanner read: a card's uuid or an 18-digit payment code.
    ScanCode {
        rule: "a card's UUID or a payment code: 18 digits starting 66",
        pattern: "^(66[0-9]{16}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        length: 18..=36,
        example: "6f1c2a9e-8b1d-4c3e-9f00-1a2b3c4d5e6f",
        accepts: |text| is_uuid(text)
            || (text.len() == 18 && text.starts_with("66") && text.bytes().all(|b| b.is_ascii_digit())),
    }
);

checked_text!(
    /// A catalogue code: a fragment, card type or recharge tier, e.g. `FREE_APPETIZER`.
    Code {
        rule: "1–32 capital letters, digits or _ (e.g. FREE_APPETIZER)",
        pattern: "^[A-Z0-9_]{1,32}$",
        length: 1..=32,
        example: "FREE_APPETIZER",
        accepts: |text| (1..=32).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
    }
);

checked_text!(
    /// A name or label a person reads: 1–40 characters (a Chinese character counts one),
    /// not blank, no control characters.
    Name {
        rule: "1–40 characters, not blank, no control characters",
        pattern: r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        length: 1..=40,
        example: "辣椒碎片",
        accepts: |text| (1..=40).contains(&text.chars().count())
            && !text.chars().any(char::is_control)
            && text.chars().any(|c| !c.is_whitespace()),
    }
);

checked_text!(
    /// A diner's tag at a shop, set by staff, by a campaign, or from behaviour (`new`,
    /// `regular`, `lapsed`), e.g. `spicy`.
    Tag {
        rule: "1–24 lower-case letters, digits or _ (e.g. spicy)",
        pattern: "^[a-z0-9_]{1,24}$",
        length: 1..=24,
        example: "spicy",
        accepts: |text| (1..=24).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
    }
);

checked_text!(
    /// A key that makes a retried request harmless: a UUID the client makes per user action
    /// (random, so two actions never share one by accident).
    IdempotencyKey {
        rule: "a UUID made for this action, e.g. 3b241101-e2bb-4255-8caf-4136c566a962",
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        length: 36..=36,
        // No example: one shared example would be every client's key.
        example: "",
        accepts: is_uuid,
    }
);

/// The JSON Schema of a checked text (campaign and story schemas).
#[cfg(feature = "ssr")]
fn text_json_schema<T: CheckedText>() -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": T::PATTERN,
        "minLength": T::MIN_LENGTH,
        "maxLength": T::MAX_LENGTH,
        "description": T::RULE,
    })
}

#[cfg(feature = "ssr")]
fn text_schema<T: CheckedText>() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(T::PATTERN))
        .min_length(Some(T::MIN_LENGTH))
        .max_length(Some(T::MAX_LENGTH))
        .description(Some(T::RULE))
        .examples((!T::EXAMPLE.is_empty()).then_some(T::EXAMPLE))
        .into()
}

/// A whole number in `MIN..=MAX`. On the wire a JSON integer (`3.0` is the integer 3, as in
/// JSON Schema) or, in a query string, its digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Count<const MIN: u32, const MAX: u32>(u32);

impl<const MIN: u32, const MAX: u32> Count<MIN, MAX> {
    pub fn new(value: u32) -> Result<Self, Refused> {
        if (MIN..=MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(Refused("a whole number out of range"))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    fn from_f64(value: f64) -> Option<Self> {
        use rust_decimal::Decimal;
        use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
        // Whole as a float, not after rounding to a decimal (1e-42 is no 0).
        if value.fract() != 0.0 {
            return None;
        }
        Self::new(Decimal::from_f64(value)?.to_u32()?).ok()
    }
}

impl<const MIN: u32, const MAX: u32> fmt::Display for Count<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de, const MIN: u32, const MAX: u32> Deserialize<'de> for Count<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<const MIN: u32, const MAX: u32>;
        impl<const MIN: u32, const MAX: u32> serde::de::Visitor<'_> for Visitor<MIN, MAX> {
            type Value = Count<MIN, MAX>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a whole number from {MIN} to {MAX}")
            }

            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
                u32::try_from(value)
                    .ok()
                    .and_then(|value| Count::new(value).ok())
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(value), &self))
            }

            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
                u32::try_from(value)
                    .ok()
                    .and_then(|value| Count::new(value).ok())
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Signed(value), &self))
            }

            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
                Count::from_f64(value)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Float(value), &self))
            }
        }
        // JSON gives any number to the visitor; a query string's digits are parsed as a u32.
        deserializer.deserialize_u32(Visitor::<MIN, MAX>)
    }
}

#[cfg(feature = "ssr")]
impl<const MIN: u32, const MAX: u32> utoipa::PartialSchema for Count<MIN, MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(MIN))
            .maximum(Some(MAX))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl<const MIN: u32, const MAX: u32> schemars::JsonSchema for Count<MIN, MAX> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Count{MIN}To{MAX}").into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": MIN, "maximum": MAX })
    }
}

#[cfg(feature = "ssr")]
impl<const MIN: u32, const MAX: u32> utoipa::ToSchema for Count<MIN, MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Count{MIN}To{MAX}").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_what_cannot_be_an_id() {
        assert!(MerchantId::parse("demo").is_ok());
        assert!(DinerId::parse("wx-demo_001").is_ok());
        for bad in [
            "",
            " demo",
            "de mo",
            "商户",
            "a:b",
            "x;DELETE",
            &"a".repeat(65),
        ] {
            assert_eq!(
                MerchantId::parse(bad),
                Err(Refused(MerchantId::RULE)),
                "{bad:?}"
            );
        }
        assert!(PaymentId::parse("0193a0c4e5f07c3e9d2b6a1f4e8c7b20").is_ok());
        assert!(PaymentId::parse("0193A0C4E5F07C3E9D2B6A1F4E8C7B20").is_err());
        assert!(CardId::parse("6f1c2a9e-8b1d-4c3e-9f00-1a2b3c4d5e6f").is_ok());
        assert!(CardId::parse("6f1c2a9e8b1d4c3e9f001a2b3c4d5e6f").is_err());
        assert!(ScanCode::parse("663456789012345678").is_ok());
        assert!(
            ScanCode::parse("123456789012345678").is_err(),
            "payment codes start 66"
        );
        assert!(ScanCode::parse("12345678901234567").is_err());
        assert!(Code::parse("FREE_APPETIZER").is_ok());
        for bad in ["", "free", "FREE APPETIZER", "凉菜", "A-B"] {
            assert!(Code::parse(bad).is_err(), "{bad}");
        }
        assert!(Code::parse(&"X".repeat(32)).is_ok());
        assert!(Code::parse(&"A".repeat(33)).is_err());
        assert!(Name::parse("辣椒碎片").is_ok());
        assert!(Name::parse(&"辣".repeat(40)).is_ok());
        for bad in ["", "   ", "a\u{0}b", "tab\there", &"辣".repeat(41)] {
            assert!(Name::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_refusals_say_the_rule() {
        let err = serde_json::from_str::<MerchantId>("\"\"").err();
        assert!(
            err.is_some_and(|e| e.to_string().contains(MerchantId::RULE)),
            "the rule is in the message"
        );
    }

    #[test]
    fn counts_take_whole_numbers_in_range_however_written() {
        type Quantity = Count<1, 99>;
        let read = |json: &str| serde_json::from_str::<Quantity>(json).ok().map(Count::get);
        assert_eq!(read("3"), Some(3));
        assert_eq!(read("3.0"), Some(3));
        assert_eq!(read("99"), Some(99));
        for bad in [
            "0",
            "100",
            "-1",
            "2.5",
            "\"3\"",
            "1e400",
            "null",
            "2.5e-42",
            "1.0000001",
        ] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }
}
