use leptos::prelude::*;

use crate::api::system::{SystemStatus, check_system};
use crate::error::Problem;
use crate::i18n::*;

/// The console's home: what this installation is and whether its database answers.
#[component]
pub fn HomePage() -> impl IntoView {
    // Bumping `checks` refetches the status through the server function.
    let checks = RwSignal::new(0_u32);
    let status = Resource::new(move || checks.get(), |_| check_system());
    let i18n = use_i18n();
    let check_again = move |ev: leptos::ev::SubmitEvent| {
        // With JavaScript: refetch in place. Without: the form reloads the page (fresh SSR).
        ev.prevent_default();
        checks.update(|n| *n += 1);
    };

    view! {
        <section class="mb-8">
            <h1 class="text-3xl font-bold tracking-tight">{t!(i18n, home.welcome)}</h1>
            <p class="mt-2 max-w-2xl text-stone-600">{t!(i18n, home.tagline)}</p>
        </section>

        <section
            class="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-stone-200"
            aria-labelledby="status-heading"
        >
            <div class="flex flex-wrap items-center justify-between gap-4">
                <div>
                    <h2 id="status-heading" class="text-lg font-semibold">
                        {t!(i18n, home.status)}
                    </h2>
                    <p class="text-sm text-stone-500">
                        {t!(i18n, home.status_hint)}
                    </p>
                </div>
                <form method="get" action="/" on:submit=check_again>
                    <button
                        type="submit"
                        data-testid="check-again"
                        class="rounded-lg bg-red-700 px-4 py-2 font-semibold text-white shadow-sm transition hover:bg-red-800 focus:outline-none focus-visible:ring-4 focus-visible:ring-red-300 active:scale-95"
                    >
                        {t!(i18n, home.check_again)}
                    </button>
                </form>
            </div>
            <Transition fallback=move || view! { <p class="mt-6 text-stone-500">{t!(i18n, home.checking)}</p> }>
                {move || {
                    status
                        .get()
                        .map(|answer| match answer {
                            Ok(status) => view! { <StatusDetails status /> }.into_any(),
                            Err(problem) => view! { <ProblemBanner problem /> }.into_any(),
                        })
                }}
            </Transition>
            <p class="mt-4 text-xs text-stone-500" data-testid="check-count">
                {t!(i18n, home.check_count, count = move || checks.get() + 1)}
            </p>
        </section>
    }
}

#[component]
fn StatusDetails(status: SystemStatus) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let healthy = status.is_healthy();
    let (badge_class, badge_text) = if healthy {
        (
            "bg-emerald-100 text-emerald-800",
            td_string!(locale, home.healthy),
        )
    } else {
        (
            "bg-amber-100 text-amber-800",
            td_string!(locale, home.schema_behind),
        )
    };
    let shop = status.shop.clone().unwrap_or_else(|| "—".to_owned());
    let checked_at = status
        .checked_at
        .format("%Y-%m-%d %H:%M:%S%.3f UTC")
        .to_string();

    view! {
        <div data-testid="system-status" class="mt-6">
            <span
                data-testid="status-badge"
                class=format!("inline-block rounded-full px-3 py-1 text-sm font-semibold {badge_class}")
            >
                {badge_text}
            </span>
            <dl class="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
                <Fact label=td_string!(locale, home.engine) value=status.engine.clone() testid="engine" />
                <Fact
                    label=td_string!(locale, home.schema)
                    value=format!("v{} / v{}", status.schema_version, status.expected_schema_version)
                    testid="schema"
                />
                <Fact label=td_string!(locale, home.db_time) value=status.database_time_label() testid="db-time" />
                <Fact label=td_string!(locale, home.shop) value=shop testid="shop" />
            </dl>
            <p class="mt-4 text-sm text-stone-500">
                {t!(i18n, home.answered_at)} " "
                <time data-testid="checked-at" datetime=status.checked_at.to_rfc3339()>
                    {checked_at}
                </time>
            </p>
        </div>
    }
}

#[component]
fn Fact(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="rounded-xl bg-stone-50 p-4 ring-1 ring-stone-100">
            <dt class="text-xs font-medium uppercase tracking-wide text-stone-500">{label}</dt>
            <dd class="mt-1 text-lg font-semibold" data-testid=testid>{value}</dd>
        </div>
    }
}

#[component]
fn ProblemBanner(problem: Problem) -> impl IntoView {
    view! {
        <div
            role="alert"
            data-testid="status-problem"
            class="mt-6 rounded-xl bg-red-50 p-4 text-red-900 ring-1 ring-red-200"
        >
            <p class="font-semibold">{problem.title.clone()}</p>
            <p class="text-sm">{problem.detail.clone()}</p>
            <p class="mt-1 font-mono text-xs">{problem.code.as_str()}</p>
        </div>
    }
}
