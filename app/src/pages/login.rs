use leptos::prelude::*;

use crate::api::console::SignIn;
use crate::error::ErrorCode;
use crate::i18n::*;
use crate::pages::{page_locale, problem_text};

/// Staff sign-in: username and password; the session is an HttpOnly cookie. Works without
/// JavaScript (a plain form post, then a redirect to the counter).
#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    let refused = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|problem| match problem.code {
                ErrorCode::Unauthorized => td_string!(locale, login.wrong).to_owned(),
                _ => problem_text(locale, &problem),
            })
    };
    view! {
        <section class="mx-auto mt-8 max-w-sm rounded-2xl bg-white p-6 shadow-sm ring-1 ring-stone-200">
            <h1 class="text-2xl font-bold">{t!(i18n, login.title)}</h1>
            <ActionForm action=sign_in attr:class="mt-6 space-y-4" attr:data-testid="sign-in-form">
                <label class="block">
                    <span class="text-sm font-medium text-stone-700">{t!(i18n, login.username)}</span>
                    <input
                        name="username"
                        autocomplete="username"
                        required
                        class="mt-1 w-full rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200"
                    />
                </label>
                <label class="block">
                    <span class="text-sm font-medium text-stone-700">{t!(i18n, login.password)}</span>
                    <input
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        class="mt-1 w-full rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200"
                    />
                </label>
                {move || {
                    refused()
                        .map(|text| {
                            view! {
                                <p role="alert" data-testid="sign-in-error" class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-red-200">
                                    {text}
                                </p>
                            }
                        })
                }}
                <button
                    type="submit"
                    data-testid="sign-in"
                    class="w-full rounded-lg bg-red-700 px-4 py-3 text-lg font-semibold text-white shadow-sm transition hover:bg-red-800 focus:outline-none focus-visible:ring-4 focus-visible:ring-red-300 disabled:opacity-60"
                    disabled=move || sign_in.pending().get()
                >
                    {t!(i18n, login.submit)}
                </button>
            </ActionForm>
        </section>
    }
}
