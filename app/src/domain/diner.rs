//! Recognising how a diner is named at the counter.

/// A mainland China mobile number: 11 digits starting with 1 (what a cashier types when the
/// diner gives their phone instead of showing their member code).
pub fn is_phone_number(text: &str) -> bool {
    text.len() == 11 && text.starts_with('1') && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_digits_from_one_are_a_phone_number_and_uids_are_not() {
        assert!(is_phone_number("13800000001"));
        assert!(!is_phone_number("23800000001"));
        assert!(!is_phone_number("1380000000"));
        assert!(!is_phone_number("wx-demo-001"));
        assert!(!is_phone_number("1380000000a"));
    }
}
