//! The Copilot box in the console's frame: on every page an owner or manager sees, the
//! boss's sentence goes to the Copilot (`/api/agent/command`'s service) and the answer links
//! to the thread it started — a proposal in the inbox, a picture at the Artist.

use leptos::prelude::*;

use crate::api::agent::{CommandReply, Intent};
use crate::api::console::ConsoleCommand;
use crate::i18n::*;
use crate::pages::runs::thread_anchor;
use crate::pages::{page_locale, problem_text};

/// The frame's command action: pages that show what it starts (the inbox) follow it.
pub fn command_action() -> ServerAction<ConsoleCommand> {
    use_context::<ServerAction<ConsoleCommand>>().unwrap_or_else(|| {
        let command = ServerAction::<ConsoleCommand>::new();
        provide_context(command);
        command
    })
}

/// Where the thread a reply started is followed: its card on the page that shows it.
fn thread_page(reply: &CommandReply) -> Option<String> {
    let thread = reply.thread_id.as_ref()?;
    let page = match reply.intent {
        Intent::Strategist => "/proposals",
        Intent::Artist => "/artist",
        Intent::Remember | Intent::Unknown => return None,
    };
    Some(format!("{page}#{}", thread_anchor(thread)))
}

#[component]
pub fn CopilotBox() -> impl IntoView {
    let command = command_action();
    let i18n = use_i18n();
    let locale = page_locale();
    view! {
        <div class="border-b border-stone-200 bg-white/80 print:hidden">
            <div class="mx-auto max-w-5xl px-4 py-2 sm:px-6">
                <ActionForm action=command attr:class="flex flex-col gap-2 sm:flex-row sm:items-center">
                    <label for="copilot-text" class="shrink-0 text-sm font-semibold text-red-800">{t!(i18n, proposals.ask)}</label>
                    <input id="copilot-text" name="text" required maxlength="500"
                        class="min-w-0 flex-1 rounded-lg border border-stone-300 px-3 py-1.5 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200"
                        placeholder=move || td_string!(locale, proposals.ask_placeholder) data-testid="copilot-text" />
                    <button type="submit" data-testid="copilot-send" disabled=move || command.pending().get()
                        class="rounded-lg bg-red-700 px-4 py-1.5 font-semibold text-white hover:bg-red-800">{t!(i18n, proposals.send)}</button>
                </ActionForm>
                {move || command.value().get().map(|answer| match answer {
                    Ok(reply) => {
                        let link = thread_page(&reply);
                        view! {
                            <p class="mt-1 text-sm text-emerald-800" role="status" data-testid="copilot-reply"
                                data-thread=reply.thread_id.clone().unwrap_or_default()>
                                {reply.reply.clone()}
                                {link.map(|href| view! {
                                    " " <a href=href class="font-semibold underline" data-testid="copilot-thread">{t!(i18n, proposals.follow)}</a>
                                })}
                            </p>
                        }.into_any()
                    }
                    Err(problem) => view! { <p role="alert" class="mt-1 text-sm text-red-800">{problem_text(locale, &problem)}</p> }.into_any(),
                })}
            </div>
        </div>
    }
}
