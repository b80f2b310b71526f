//! Recognising how a diner is named at the counter.

/// A mainland China mobile number: 11 digits starting with 1 (what a cashier types when the
/// diner gives their phone instead of showing their member code).
pub fn is_phone_number(text: &str) -> bool {
    text.len() == 11 && text.starts_with('1') && text.bytes().all(|b| b.is_ascii_digit())
}

/// A member code (a signed token: three dot-separated parts), as opposed to a uid or a
/// phone number typed at the counter. Whether it is valid is for the server to say.
pub fn is_member_code(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3 && parts.iter().all(|part| !part.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_code_has_three_parts_and_uids_and_phones_do_not() {
        assert!(is_member_code("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
        assert!(!is_member_code("wx-demo-001"));
        assert!(!is_member_code("13800000001"));
        assert!(!is_member_code("a..b"));
    }

    #[test]
    fn eleven_digits_from_one_are_a_phone_number_and_uids_are_not() {
        assert!(is_phone_number("13800000001"));
        assert!(!is_phone_number("23800000001"));
        assert!(!is_phone_number("1380000000"));
        assert!(!is_phone_number("wx-demo-001"));
        assert!(!is_phone_number("1380000000a"));
    }
}
