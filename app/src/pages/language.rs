use leptos::prelude::*;

use crate::i18n::*;

/// 中文 ⇄ English: a plain form post (`switch_language`), so it works without JavaScript
/// and the page comes back whole in the other language, where it was.
#[component]
pub fn LanguageSwitch(class: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let other = match i18n.get_locale_untracked() {
        Locale::zh => Locale::en,
        Locale::en => Locale::zh,
    };
    let location = leptos_router::hooks::use_location();
    let back = move || with_query(&location.pathname.get(), &location.search.get());
    view! {
        <form method="post" action="/console/language">
            <input type="hidden" name="to" value=other.as_str() />
            <input type="hidden" name="back" value=back />
            <button
                type="submit"
                class=class
                lang=other.as_str()
                title=td_string!(other, language_switch_title)
                data-testid="language-switch"
            >
                {t!(i18n, language_switch)}
            </button>
        </form>
    }
}

/// `path?query` (the router's `search` may come with or without its `?`).
fn with_query(path: &str, search: &str) -> String {
    match search.trim_start_matches('?') {
        "" => path.to_owned(),
        query => format!("{path}?{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_query;

    #[test]
    fn the_page_to_go_back_to_keeps_its_query() {
        assert_eq!(with_query("/cashier", "diner=wx-1"), "/cashier?diner=wx-1");
        assert_eq!(with_query("/cashier", "?diner=wx-1"), "/cashier?diner=wx-1");
        assert_eq!(with_query("/login", ""), "/login");
    }
}
