use leptos::prelude::*;

use crate::i18n::*;

/// Shown for any path the console does not know (served with status 404).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <section class="rounded-2xl bg-white p-8 text-center shadow-sm ring-1 ring-stone-200">
            <h1 class="text-2xl font-bold">{t!(i18n, not_found.title)}</h1>
            <p class="mt-2 text-stone-500">{t!(i18n, not_found.hint)}</p>
            <a href="/" class="mt-6 inline-block font-semibold text-red-700 hover:underline">
                {t!(i18n, not_found.back)}
            </a>
        </section>
    }
}
