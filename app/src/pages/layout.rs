use leptos::prelude::*;

use crate::api::console::{SignOut, console_session};
use crate::i18n::*;
use crate::pages::copilot::CopilotBox;
use crate::pages::language::LanguageSwitch;

/// The frame of every console page: brand bar with who is signed in and where they may go,
/// the Copilot box for owners and managers, content below.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Asked again on every navigation: signing in or out moves to another page.
    let location = leptos_router::hooks::use_location();
    let session = Resource::new(move || location.pathname.get(), |_| console_session());
    // One Copilot action for the frame's box and the page (the inbox follows it).
    crate::pages::copilot::command_action();
    let bosses = move || {
        session
            .get()
            .and_then(|answer| answer.ok().flatten())
            .is_some_and(|user| user.role != "CASHIER")
    };
    view! {
        <header class="border-b border-red-900/10 bg-gradient-to-r from-red-700 to-orange-600 text-white shadow print:hidden">
            <div class="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
                <a href="/" class="flex items-baseline gap-2">
                    <span class="text-2xl font-black tracking-wide">"餐餐有戏"</span>
                    <span class="text-sm font-medium text-orange-100">"MealQuest"</span>
                </a>
                <Navigation session />
            </div>
        </header>
        <Transition fallback=|| ()>
            <Show when=bosses>
                <CopilotBox />
            </Show>
        </Transition>
        <main class="mx-auto max-w-5xl px-4 py-8 sm:px-6">{children()}</main>
    }
}

/// Role-aware links: signed-in staff get the counter (owners and managers the campaigns
/// too) and sign-out; everyone else the sign-in link.
#[component]
fn Navigation(
    session: Resource<Result<Option<crate::api::console::ConsoleUser>, crate::error::Problem>>,
) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let i18n = use_i18n();
    let link = "rounded-full bg-white/15 px-3 py-1 text-sm font-medium hover:bg-white/25";
    view! {
        <nav class="flex items-center gap-2" aria-label="console">
            <Transition fallback=|| ()>
                {move || {
                    session
                        .get()
                        .map(|answer| match answer.ok().flatten() {
                            Some(user) => view! {
                                <a href="/cashier" class=link data-testid="nav-cashier">{t!(i18n, nav.counter)}</a>
                                <Show when={
                                    let role = user.role.clone();
                                    move || role != "CASHIER"
                                }>
                                    <a href="/console" class=link data-testid="nav-dashboard">{t!(i18n, nav.dashboard)}</a>
                                    <a href="/campaigns" class=link data-testid="nav-campaigns">{t!(i18n, nav.campaigns)}</a>
                                    <a href="/proposals" class=link data-testid="nav-proposals">{t!(i18n, nav.proposals)}</a>
                                    <a href="/artist" class=link data-testid="nav-artist">{t!(i18n, nav.artist)}</a>
                                    <a href="/console/staff" class=link data-testid="nav-staff">{t!(i18n, nav.staff)}</a>
                                    <a href="/console/settings" class=link data-testid="nav-settings">{t!(i18n, nav.settings)}</a>
                                </Show>
                                <span class="text-sm text-orange-100" data-testid="nav-user">{user.staff_id.clone()}</span>
                                <ActionForm action=sign_out>
                                    <button type="submit" class=link data-testid="sign-out">{t!(i18n, nav.sign_out)}</button>
                                </ActionForm>
                            }
                            .into_any(),
                            None => view! {
                                <a href="/diner" class=link>{t!(i18n, nav.diner_demo)}</a>
                                <a href="/login" class=link data-testid="nav-sign-in">{t!(i18n, nav.sign_in)}</a>
                            }
                            .into_any(),
                        })
                }}
            </Transition>
            <LanguageSwitch class=link />
        </nav>
    }
}
