use leptos::prelude::*;

use crate::api::console::SignIn;
use crate::error::ErrorCode;
use crate::pages::problem_text;

/// Staff sign-in: username and password; the session is an HttpOnly cookie. Works without
/// JavaScript (a plain form post, then a redirect to the counter).
#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let refused = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|problem| match problem.code {
                ErrorCode::Unauthorized => {
                    "用户名或密码不对 · Wrong username or password".to_owned()
                }
                _ => problem_text(&problem),
            })
    };
    view! {
        <section class="mx-auto mt-8 max-w-sm rounded-2xl bg-white p-6 shadow-sm ring-1 ring-stone-200">
            <h1 class="text-2xl font-bold">"员工登录" <span class="ml-2 text-base font-normal text-stone-500">"Staff sign-in"</span></h1>
            <ActionForm action=sign_in attr:class="mt-6 space-y-4" attr:data-testid="sign-in-form">
                <label class="block">
                    <span class="text-sm font-medium text-stone-700">"用户名 · Username"</span>
                    <input
                        name="username"
                        autocomplete="username"
                        required
                        class="mt-1 w-full rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200"
                    />
                </label>
                <label class="block">
                    <span class="text-sm font-medium text-stone-700">"密码 · Password"</span>
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
                    "登录 · Sign in"
                </button>
            </ActionForm>
        </section>
    }
}
