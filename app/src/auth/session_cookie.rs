//! The console's session: the staff token in an HttpOnly, SameSite=Strict cookie, so page
//! scripts never see it and other sites' pages cannot send it.

use chrono::Duration;
use cookie::{Cookie, SameSite};
use http::HeaderMap;

/// The cookie's name.
pub const NAME: &str = "mq_session";

/// `Set-Cookie` for a fresh session of `ttl`; `secure` outside DEV (HTTPS only).
pub fn set(token: &str, ttl: Duration, secure: bool) -> String {
    Cookie::build((NAME, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(ttl.num_seconds()))
        .build()
        .to_string()
}

/// `Set-Cookie` that ends the session.
pub fn clear(secure: bool) -> String {
    Cookie::build((NAME, ""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

/// The session token among the request's cookies, if any.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == NAME)
        .map(|cookie| cookie.value().to_owned())
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_read_back() {
        let header = set("abc.def", Duration::minutes(30), true);
        assert!(header.starts_with("mq_session=abc.def"));
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
            "Max-Age=1800",
        ] {
            assert!(header.contains(attribute), "{header} has {attribute}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            http::HeaderValue::from_static("other=1; mq_session=abc.def"),
        );
        assert_eq!(token(&headers).as_deref(), Some("abc.def"));
        assert!(clear(false).contains("Max-Age=0"));
        assert!(!clear(false).contains("Secure"));
    }
}
