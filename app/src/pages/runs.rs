use leptos::prelude::*;

use crate::api::agent::Thread;
use crate::i18n::Locale;
use crate::pages::page_locale;

/// The element id of a thread's card (running, waiting or finished) on the page that
/// follows it: where the copilot's answer links to.
pub fn thread_anchor(thread: &str) -> String {
    format!("thread-{thread}")
}

/// The agent's threads running now (`children` is the heading), each at the node it is on,
/// named by `node_name`; the list moves as `threads` does and is hidden when empty.
#[component]
pub fn RunningThreads(
    threads: RwSignal<Vec<Thread>>,
    node_name: fn(Locale, &str) -> String,
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    let locale = page_locale();
    view! {
        <div class="space-y-2" aria-live="polite" class:hidden=move || threads.with(Vec::is_empty)>
            <h2 class="text-lg font-semibold">{children()}</h2>
            <ul class="space-y-1">
                <For each=move || threads.get() key=|t| (t.thread_id.clone(), t.step) let:thread>
                    <li id=thread_anchor(&thread.thread_id) class="flex items-center gap-2 text-sm" data-testid=testid>
                        <span class="h-2 w-2 animate-pulse rounded-full bg-amber-500" aria-hidden="true"></span>
                        <span>{node_name(locale, thread.node.as_deref().unwrap_or_default())}</span>
                        <span class="text-stone-500">{format!("· {}", thread.step)}</span>
                    </li>
                </For>
            </ul>
        </div>
    }
}
