use leptos::prelude::*;

use crate::api::agent::Thread;
use crate::api::artwork::{Asset, AssetKind};
use crate::api::console::{
    CardChoice, ConsoleArtistAttach, ConsoleArtistChoose, ConsoleArtistStart, Offered, StudioView,
    console_artist,
};
use crate::api::realtime::Event;
use crate::i18n::*;
use crate::pages::live::use_live_events;
use crate::pages::runs::{RunningThreads, thread_anchor};
use crate::pages::{page_locale, problem_text, signed_in};

const FIELD: &str = "w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200";
const LABEL: &str = "block text-sm font-medium text-stone-700";

/// The Artist's page (画室): the sentence box, the runs drawing now node by node, the four
/// pictures of each offer large enough to judge (pick one, or ask for four more), and the
/// shop's library (filtered by kind and words, each picture given to a card type). Every
/// step of a thread moves it live.
#[component]
pub fn ArtistPage() -> impl IntoView {
    let start = ServerAction::<ConsoleArtistStart>::new();
    let choose = ServerAction::<ConsoleArtistChoose>::new();
    let attach = ServerAction::<ConsoleArtistAttach>::new();
    let view_data = Resource::new(|| (), |_| console_artist());
    let i18n = use_i18n();
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-3xl font-bold">{t!(i18n, artist.title)}</h1>
                <p class="text-stone-600">{t!(i18n, artist.intro)}</p>
            </div>
            <SentenceBox start />
            {signed_in(view_data, move |data| view! { <Studio data start choose attach /> }.into_any())}
        </section>
    }
}

#[component]
fn SentenceBox(start: ServerAction<ConsoleArtistStart>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <ActionForm action=start attr:class="flex flex-col gap-2 sm:flex-row sm:items-end">
                <div class="flex-1">
                    <label for="artist-text" class=LABEL>{t!(i18n, artist.ask)}</label>
                    <input id="artist-text" name="text" required maxlength="500" class=FIELD
                        placeholder=move || td_string!(locale, artist.ask_placeholder) data-testid="artist-text" />
                </div>
                <button type="submit" data-testid="artist-send"
                    class="rounded-lg bg-red-700 px-5 py-2 font-semibold text-white hover:bg-red-800">{t!(i18n, artist.send)}</button>
            </ActionForm>
            {move || start.value().get().map(|answer| match answer {
                Ok(thread) => view! {
                    <p class="mt-2 text-emerald-800" role="status" data-testid="artist-started" data-thread=thread>{t!(i18n, artist.started)}</p>
                }.into_any(),
                Err(problem) => view! { <p role="alert" class="mt-2 text-red-800">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
        </div>
    }
}

/// The studio, kept current in place: every WORKFLOW_PROGRESS frame and every form reads it
/// again into its signals.
#[component]
fn Studio(
    data: StudioView,
    start: ServerAction<ConsoleArtistStart>,
    choose: ServerAction<ConsoleArtistChoose>,
    attach: ServerAction<ConsoleArtistAttach>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let running = RwSignal::new(data.running);
    let offered = RwSignal::new(data.offered);
    let failed = RwSignal::new(data.failed);
    let library = RwSignal::new(data.library);
    let card_types = StoredValue::new(data.card_types);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            if let Ok(Some(fresh)) = console_artist().await {
                running.set(fresh.running);
                offered.set(fresh.offered);
                failed.set(fresh.failed);
                library.set(fresh.library);
            }
        });
    };
    use_live_events(move |frame| {
        if matches!(frame.event, Event::WorkflowProgress { .. }) {
            refresh();
        }
    });
    Effect::new(move |first: Option<()>| {
        start.version().track();
        choose.version().track();
        attach.version().track();
        // The first run is the page's own read.
        if first.is_some() {
            refresh();
        }
    });
    let none = move || {
        running.with(Vec::is_empty) && offered.with(Vec::is_empty) && library.with(Vec::is_empty)
    };
    view! {
        {move || choose.value().get().and_then(Result::err).map(|problem| view! {
            <p role="alert" class="text-red-800" data-testid="choice-refused">{problem_text(locale, &problem)}</p>
        })}
        <Show when=none>
            <p class="text-stone-500" data-testid="no-pictures">{t!(i18n, artist.none)}</p>
        </Show>
        <RunningThreads threads=running node_name testid="drawing-thread">
            {t!(i18n, artist.running)}
        </RunningThreads>
        <For each=move || offered.get() key=|o| (o.thread.thread_id.clone(), o.thread.step) let:offered>
            <OfferCard offered choose />
        </For>
        <Show when=move || failed.with(|f| !f.is_empty())>
            <ul class="space-y-1 text-sm text-stone-600">
                <For each=move || failed.get() key=|t| t.thread_id.clone() let:thread>
                    <FailedLine thread />
                </For>
            </ul>
        </Show>
        <Library library card_types attach />
    }
}

fn node_name(locale: Locale, node: &str) -> String {
    match node {
        "brief" => td_string!(locale, artist.node_brief),
        "prompt" => td_string!(locale, artist.node_prompt),
        "draw" => td_string!(locale, artist.node_draw),
        "review" => td_string!(locale, artist.node_review),
        "pick" => td_string!(locale, artist.node_pick),
        _ => td_string!(locale, artist.node_start),
    }
    .to_owned()
}

/// A card type's name as the shop calls it (its code if it is gone).
fn card_name(card_types: StoredValue<Vec<CardChoice>>, code: &str) -> String {
    card_types.with_value(|kinds| {
        kinds
            .iter()
            .find(|kind| kind.code == code)
            .map_or_else(|| code.to_owned(), |kind| kind.name.clone())
    })
}

fn kind_name(locale: Locale, kind: AssetKind) -> String {
    match kind {
        AssetKind::CardArt => td_string!(locale, artist.CARD_ART),
        AssetKind::StoryArt => td_string!(locale, artist.STORY_ART),
        AssetKind::Logo => td_string!(locale, artist.LOGO),
    }
    .to_owned()
}

#[component]
fn FailedLine(thread: Thread) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <li id=thread_anchor(&thread.thread_id) data-testid="failed-drawing">
            <span class="font-semibold">{t!(i18n, artist.failed)}</span>
            {thread.error.map(|error| view! { <span>{format!(" · {error}")}</span> })}
        </li>
    }
}

/// One offer: the four pictures, each with its pick button, and "four more".
#[component]
fn OfferCard(offered: Offered, choose: ServerAction<ConsoleArtistChoose>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let Offered { thread, offer } = offered;
    let id = thread.thread_id.clone();
    let again = id.clone();
    let subject = offer.brief.subject.clone();
    view! {
        <article id=thread_anchor(&id) class="space-y-3 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" data-testid="offer" data-thread=id.clone()>
            <header class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 class="text-xl font-bold">{subject.clone()}</h2>
                <p class="text-sm text-stone-600">
                    {t!(i18n, artist.round, round = offer.round)}
                    {offer.brief.card_type.clone().map(|card| view! { <span>{" · "}{t!(i18n, artist.for_card, card = card)}</span> })}
                    {format!(" · {}", kind_name(locale, offer.brief.kind))}
                </p>
            </header>
            <p class="text-xs text-stone-500">{offer.prompt.clone()}</p>
            {offer.degraded.then(|| view! { <p class="rounded-lg bg-amber-50 px-3 py-1 text-sm text-amber-900">{t!(i18n, artist.degraded)}</p> })}
            {offer.inspected_by.clone().map(|model| view! { <p class="text-xs text-emerald-800" data-testid="inspected">{t!(i18n, artist.inspected, model = model)}</p> })}
            <ul class="grid grid-cols-2 gap-3 lg:grid-cols-4">
                {offer.candidates.into_iter().map(|candidate| {
                    let thread_id = id.clone();
                    let alt = format!("{subject} · {}", td_string!(locale, artist.candidate, number = candidate.number));
                    view! {
                        <li class="space-y-2" data-testid="candidate" data-number=candidate.number>
                            <a href=candidate.url.clone() target="_blank" rel="noopener">
                                <img src=candidate.thumbnail.clone() alt=alt width="384" height="384"
                                    class="aspect-square w-full rounded-xl object-cover ring-1 ring-stone-200" />
                            </a>
                            <ActionForm action=choose>
                                <input type="hidden" name="thread_id" value=thread_id />
                                <input type="hidden" name="choice" value="pick" />
                                <input type="hidden" name="number" value=candidate.number.to_string() />
                                <button type="submit" data-testid="pick"
                                    class="w-full rounded-lg bg-emerald-700 px-3 py-2 text-sm font-semibold text-white hover:bg-emerald-800">
                                    {t!(i18n, artist.pick)}{format!(" {}", candidate.number)}
                                </button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <ActionForm action=choose>
                <input type="hidden" name="thread_id" value=again />
                <input type="hidden" name="choice" value="again" />
                <button type="submit" data-testid="again"
                    class="rounded-lg px-4 py-2 text-sm font-semibold text-red-800 ring-1 ring-red-200 hover:bg-red-50">{t!(i18n, artist.again)}</button>
            </ActionForm>
        </article>
    }
}

/// The shop's pictures, filtered in place by kind and words; each can be given to a card
/// type as its art.
#[component]
fn Library(
    library: RwSignal<Vec<Asset>>,
    card_types: StoredValue<Vec<CardChoice>>,
    attach: ServerAction<ConsoleArtistAttach>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let kind = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let shown = move || {
        let (kind, text) = (kind.get(), text.get());
        library
            .get()
            .into_iter()
            .filter(|asset| kind.is_empty() || asset.kind.as_str() == kind)
            .filter(|asset| {
                text.trim().is_empty()
                    || asset.title.contains(text.trim())
                    || asset.prompt.contains(text.trim())
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section class="space-y-3" data-testid="library">
            <div class="flex flex-wrap items-end justify-between gap-3">
                <h2 class="text-lg font-semibold">{t!(i18n, artist.library)}</h2>
                <div class="flex flex-wrap gap-2">
                    <div>
                        <label for="library-kind" class=LABEL>{t!(i18n, artist.filter_kind)}</label>
                        <select id="library-kind" class=FIELD data-testid="library-kind"
                            on:change=move |ev| kind.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, artist.filter_all)}</option>
                            <option value="CARD_ART">{t!(i18n, artist.CARD_ART)}</option>
                            <option value="STORY_ART">{t!(i18n, artist.STORY_ART)}</option>
                        </select>
                    </div>
                    <div>
                        <label for="library-text" class=LABEL>{t!(i18n, artist.filter_text)}</label>
                        <input id="library-text" type="search" class=FIELD data-testid="library-text"
                            placeholder=move || td_string!(locale, artist.filter_placeholder)
                            on:input=move |ev| text.set(event_target_value(&ev)) />
                    </div>
                </div>
            </div>
            {move || attach.value().get().map(|answer| match answer {
                Ok(art) => view! {
                    <p role="status" class="text-emerald-800" data-testid="attached">{t!(i18n, artist.attached, card = card_name(card_types, &art.card_type))}</p>
                }.into_any(),
                Err(problem) => view! { <p role="alert" class="text-red-800">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
            <Show when=move || library.with(Vec::is_empty)>
                <p class="text-stone-500">{t!(i18n, artist.library_empty)}</p>
            </Show>
            <ul class="grid grid-cols-2 gap-4 md:grid-cols-3 lg:grid-cols-4">
                <For each=shown key=|asset| (asset.asset_id.clone(), asset.card_types.clone()) let:asset>
                    <LibraryItem asset card_types attach />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn LibraryItem(
    asset: Asset,
    card_types: StoredValue<Vec<CardChoice>>,
    attach: ServerAction<ConsoleArtistAttach>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let select_id = format!("attach-{}", asset.asset_id);
    let used = asset
        .card_types
        .iter()
        .map(|code| card_name(card_types, code))
        .collect::<Vec<_>>()
        .join("、");
    let shows = asset.card_types.clone();
    let (id, attaching) = (asset.asset_id.clone(), asset.asset_id.clone());
    view! {
        <li class="space-y-2 rounded-2xl bg-white p-3 shadow-sm ring-1 ring-stone-200" data-testid="asset" data-asset=id>
            <img src=asset.thumbnail.clone() alt=asset.title.clone() width="384" height="384" loading="lazy"
                class="aspect-square w-full rounded-xl object-cover" />
            <p class="font-semibold">{asset.title.clone()}</p>
            <p class="text-xs text-stone-500">{kind_name(locale, asset.kind)}</p>
            {(!used.is_empty()).then(|| view! { <p class="text-xs text-emerald-800" data-testid="asset-used">{t!(i18n, artist.used_by, cards = used)}</p> })}
            <ActionForm action=attach attr:class="flex items-end gap-2">
                <input type="hidden" name="asset_id" value=attaching />
                <div class="flex-1">
                    <label for=select_id.clone() class=LABEL>{t!(i18n, artist.attach_to)}</label>
                    <select id=select_id name="card_type" class=FIELD data-testid="attach-card">
                        {card_types.get_value().into_iter().map(|kind| view! {
                            <option value=kind.code.clone() selected=shows.contains(&kind.code)>{kind.name}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" data-testid="attach"
                    class="rounded-lg bg-stone-800 px-3 py-2 text-sm font-semibold text-white hover:bg-stone-900">{t!(i18n, artist.attach)}</button>
            </ActionForm>
        </li>
    }
}
