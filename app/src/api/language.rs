//! The console's language: a plain form posts the choice here, a cookie keeps it, and
//! `leptos_i18n` reads that cookie on every page (server and browser). The cookie is not a
//! secret and not HttpOnly: it only picks the words.

use leptos::prelude::*;

use crate::error::Problem;

/// The cookie's name, also given to `I18nContextProvider`.
pub const COOKIE: &str = "mq_lang";

/// Switches the console's language and goes back to the page the switch was pressed on. A
/// plain form post (a full page load), so it works without JavaScript and every word on the
/// page, including answers already shown, is in the new language.
#[server(prefix = "/console", endpoint = "language")]
pub async fn switch_language(to: String, back: String) -> Result<(), Problem> {
    use crate::error::AppError;
    use crate::i18n::Locale;
    let locale: Locale = to
        .parse()
        .map_err(|()| AppError::Invalid(format!("unknown language {to:?}")))?;
    let state = crate::state::app_state()?;
    let secure = crate::api::console::secure_cookies(&state);
    crate::api::console::set_cookie(&cookie::set(locale, secure))?;
    leptos_axum::redirect(cookie::local_path(&back));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod cookie {
    use ::cookie::{Cookie, SameSite};

    use crate::i18n::Locale;

    /// `Set-Cookie` remembering `locale` for a year; `secure` outside DEV (HTTPS only).
    pub fn set(locale: Locale, secure: bool) -> String {
        use leptos_i18n::Locale as _;
        Cookie::build((super::COOKIE, locale.as_str()))
            .same_site(SameSite::Lax)
            .secure(secure)
            .path("/")
            .max_age(::cookie::time::Duration::days(365))
            .build()
            .to_string()
    }

    /// `back` when it is a path on this site, else the home page: the switch goes back to the
    /// page it was pressed on and never to another site (`//evil.example`, `https://…`).
    pub fn local_path(back: &str) -> &str {
        let on_this_site = back.starts_with('/')
            && !back.starts_with("//")
            && !back.contains('\\')
            && !back.chars().any(char::is_control);
        if on_this_site { back } else { "/" }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn goes_back_to_pages_of_this_site_only() {
            assert_eq!(local_path("/cashier?answered=k"), "/cashier?answered=k");
            assert_eq!(local_path("/"), "/");
            for elsewhere in [
                "//evil.example",
                "https://evil.example/",
                "/\\evil",
                "cashier",
                "",
                "/a\r\nSet-Cookie: x",
            ] {
                assert_eq!(local_path(elsewhere), "/", "{elsewhere:?}");
            }
        }

        #[test]
        fn the_cookie_names_the_locale_for_a_year() {
            let header = set(Locale::en, true);
            let cookie = Cookie::parse(header).expect("a cookie");
            assert_eq!(cookie.name(), super::super::COOKIE);
            assert_eq!(cookie.value(), "en");
            assert_eq!(cookie.secure(), Some(true));
            assert_eq!(cookie.http_only(), None);
            assert_eq!(cookie.max_age(), Some(::cookie::time::Duration::days(365)));
        }
    }
}
