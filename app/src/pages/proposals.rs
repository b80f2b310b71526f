use leptos::prelude::*;

use crate::api::agent::{Card, Thread};
use crate::api::console::{
    ConsoleAnswer, ConsoleCommand, ProposalsView, Waiting, console_proposals,
};
use crate::api::realtime::Event;
use crate::i18n::*;
use crate::pages::live::{shop_time, use_live_events};
use crate::pages::runs::{RunningThreads, thread_anchor};
use crate::pages::{page_locale, problem_text, signed_in};

const FIELD: &str = "w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200";
const LABEL: &str = "block text-sm font-medium text-stone-700";

/// The proposal inbox (the Copilot box is the frame's): the proposals waiting for the boss (each as its
/// card, approved, edited then approved, or rejected with a reason), the runs in progress
/// node by node, and the decisions made. Every step of a thread moves it live.
#[component]
pub fn ProposalsPage() -> impl IntoView {
    // The Copilot box of the console's frame: its commands move the inbox too.
    let command = crate::pages::copilot::command_action();
    let answer = ServerAction::<ConsoleAnswer>::new();
    // Read once with the page; the inbox then keeps itself current (see `Inbox`).
    let view_data = Resource::new(|| (), |_| console_proposals());
    let i18n = use_i18n();
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-3xl font-bold">{t!(i18n, proposals.title)}</h1>
                <p class="text-stone-600">{t!(i18n, proposals.intro)}</p>
            </div>
            {signed_in(view_data, move |data| view! { <Inbox data command answer /> }.into_any())}
        </section>
    }
}

/// The inbox, kept current in place: every WORKFLOW_PROGRESS frame, command and answer reads
/// it again into its signals, and the cards are keyed by thread and step, so a card the boss
/// is typing a reason into stays as it is while others come and go.
#[component]
fn Inbox(
    data: ProposalsView,
    command: ServerAction<ConsoleCommand>,
    answer: ServerAction<ConsoleAnswer>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let offset = data.utc_offset;
    let waiting = RwSignal::new(data.waiting);
    let running = RwSignal::new(data.running);
    let finished = RwSignal::new(data.finished);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            if let Ok(Some(fresh)) = console_proposals().await {
                waiting.set(fresh.waiting);
                running.set(fresh.running);
                finished.set(fresh.finished);
            }
        });
    };
    use_live_events(move |frame| {
        if matches!(frame.event, Event::WorkflowProgress { .. }) {
            refresh();
        }
    });
    Effect::new(move |first: Option<()>| {
        command.version().track();
        answer.version().track();
        // The first run is the page's own read.
        if first.is_some() {
            refresh();
        }
    });
    let none = move || waiting.with(Vec::is_empty) && running.with(Vec::is_empty);
    view! {
        {move || answer.value().get().and_then(Result::err).map(|problem| view! {
            <p role="alert" class="text-red-800" data-testid="answer-refused">{problem_text(locale, &problem)}</p>
        })}
        <Show when=none>
            <p class="text-stone-500" data-testid="no-proposals">{t!(i18n, proposals.none)}</p>
        </Show>
        <RunningThreads threads=running node_name testid="running-thread">
            {t!(i18n, proposals.running)}
        </RunningThreads>
        <Show when=move || waiting.with(|w| !w.is_empty())>
            <div class="space-y-3">
                <h2 class="text-lg font-semibold">{t!(i18n, proposals.waiting)}</h2>
                <div class="grid gap-4 lg:grid-cols-2">
                    <For each=move || waiting.get() key=|w| (w.thread.thread_id.clone(), w.thread.step) let:waiting>
                        <ProposalCard waiting answer />
                    </For>
                </div>
            </div>
        </Show>
        <Show when=move || finished.with(|f| !f.is_empty())>
            <div class="space-y-2">
                <h2 class="text-lg font-semibold">{t!(i18n, proposals.finished)}</h2>
                <ul class="divide-y divide-stone-100 rounded-2xl bg-white shadow-sm ring-1 ring-stone-200">
                    <For each=move || finished.get().into_iter().take(10) key=|t| (t.thread_id.clone(), t.step) let:thread>
                        <Finished thread offset />
                    </For>
                </ul>
            </div>
        </Show>
    }
}

fn node_name(locale: Locale, node: &str) -> String {
    match node {
        "sense" => td_string!(locale, proposals.node_sense),
        "propose" => td_string!(locale, proposals.node_propose),
        "decide" => td_string!(locale, proposals.node_decide),
        "resume" => td_string!(locale, proposals.node_resume),
        _ => td_string!(locale, proposals.node_start),
    }
    .to_owned()
}

#[component]
fn Finished(thread: Thread, offset: i32) -> impl IntoView {
    let locale = page_locale();
    let status = match thread.status.as_str() {
        "FAILED" => td_string!(locale, proposals.FAILED),
        _ => td_string!(locale, proposals.DONE),
    };
    let when = shop_time(thread.updated_at, offset)
        .format("%m-%d %H:%M")
        .to_string();
    view! {
        <li id=thread_anchor(&thread.thread_id) class="flex flex-wrap items-center gap-2 px-4 py-2 text-sm" data-testid="finished-thread" data-status=thread.status.clone() data-thread=thread.thread_id.clone()>
            <span class="font-mono text-stone-500">{when}</span>
            <span class="font-semibold">{status}</span>
            {thread.error.map(|error| view! { <span class="text-stone-600">{error}</span> })}
        </li>
    }
}

#[component]
fn ProposalCard(waiting: Waiting, answer: ServerAction<ConsoleAnswer>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let Waiting {
        thread,
        card,
        story,
    } = waiting;
    let Card {
        proposal,
        margin,
        projection,
        degraded,
        problems,
        ..
    } = card;
    let id = thread.thread_id.clone();
    let minimum = crate::domain::strategy::minimum_payment(&proposal.campaign.condition)
        .map(|m| m.to_string())
        .unwrap_or_default();
    let budget = proposal.campaign.daily_budget_cap.to_string();
    let replay = projection.campaign;
    let budget_id = format!("budget-{id}");
    let minimum_id = format!("minimum-{id}");
    let reason_id = format!("reason-{id}");
    let (approving, rejecting) = (id.clone(), id.clone());
    view! {
        <article id=thread_anchor(&id) class="space-y-3 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" data-testid="proposal-card" data-thread=id>
            <header>
                <h3 class="text-xl font-bold" data-testid="proposal-title">{proposal.title.clone()}</h3>
                <p class="text-sm text-stone-600">{t!(i18n, proposals.days, days = proposal.days)}</p>
            </header>
            {degraded.then(|| view! { <p class="rounded-lg bg-amber-50 px-3 py-1 text-sm text-amber-900">{t!(i18n, proposals.degraded)}</p> })}
            <ul class="list-disc space-y-0.5 pl-5 text-sm text-stone-700">
                {proposal.reasoning.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
            <dl class="grid grid-cols-1 gap-2 text-sm sm:grid-cols-2">
                <div class="rounded-lg bg-emerald-50 px-3 py-2">
                    <dt class="text-emerald-900">{t!(i18n, proposals.margin)}</dt>
                    <dd class="font-semibold text-emerald-900" data-testid="proposal-margin">
                        {t!(i18n, proposals.margin_line, percent = margin.percent.to_string(), bill = margin.bill.to_string(), reward = margin.reward.to_string())}
                    </dd>
                </div>
                <div class="rounded-lg bg-stone-50 px-3 py-2">
                    <dt class="text-stone-700">{t!(i18n, proposals.projection, days = projection.days, triggers = projection.triggers)}</dt>
                    <dd class="font-semibold" data-testid="proposal-projection">
                        {t!(i18n, proposals.projection_line, rewards = replay.rewards, reach = replay.reach, cost = replay.cost.to_string())}
                        {(!replay.budget_ran_out.is_empty()).then(|| view! {
                            <span class="block text-xs font-normal text-amber-800">{t!(i18n, proposals.ran_out, count = replay.budget_ran_out.len())}</span>
                        })}
                    </dd>
                </div>
            </dl>
            {story.map(|story| view! {
                <figure class="rounded-xl bg-gradient-to-br from-red-700 to-orange-600 p-3 text-white" data-testid="proposal-story">
                    <figcaption class="text-xs text-orange-100">{t!(i18n, proposals.story)}</figcaption>
                    <p class="font-semibold">{story.title}</p>
                    {story.scenes.into_iter().map(|scene| view! { <p class="text-sm">{scene.text}</p> }).collect_view()}
                </figure>
            })}
            {(!problems.is_empty()).then(|| view! {
                <div role="alert" class="text-sm text-red-800" data-testid="proposal-problems">
                    <p>{t!(i18n, proposals.problems)}</p>
                    <ul class="list-disc pl-5">{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                </div>
            })}
            <ActionForm action=answer attr:class="grid grid-cols-2 gap-2">
                <input type="hidden" name="thread_id" value=approving.clone() />
                <input type="hidden" name="verdict" value="approve" />
                <div><label for=budget_id.clone() class=LABEL>{t!(i18n, proposals.budget)}</label>
                    <input id=budget_id name="budget" inputmode="decimal" value=budget class=FIELD data-testid="proposal-budget" /></div>
                <div><label for=minimum_id.clone() class=LABEL>{t!(i18n, proposals.minimum)}</label>
                    <input id=minimum_id name="minimum" inputmode="decimal" value=minimum class=FIELD data-testid="proposal-minimum" /></div>
                <div class="col-span-2">
                    <button type="submit" data-testid="proposal-approve"
                        class="w-full rounded-lg bg-emerald-700 px-5 py-2 font-semibold text-white hover:bg-emerald-800">{t!(i18n, proposals.approve)}</button>
                </div>
            </ActionForm>
            <ActionForm action=answer attr:class="flex flex-col gap-2 sm:flex-row sm:items-end">
                <input type="hidden" name="thread_id" value=rejecting.clone() />
                <input type="hidden" name="verdict" value="reject" />
                <div class="flex-1"><label for=reason_id.clone() class=LABEL>{t!(i18n, proposals.reason)}</label>
                    <input id=reason_id name="reason" required class=FIELD data-testid="proposal-reason"
                        placeholder=move || td_string!(locale, proposals.reason_placeholder) /></div>
                <button type="submit" data-testid="proposal-reject"
                    class="rounded-lg px-5 py-2 font-semibold text-red-800 ring-1 ring-red-200 hover:bg-red-50">{t!(i18n, proposals.reject)}</button>
            </ActionForm>
        </article>
    }
}
