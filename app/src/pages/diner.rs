use leptos::prelude::*;

use crate::api::diner_demo::{
    DinerArrive, DinerCard, DinerPay, DinerPayOnline, DinerRechargeOnline, DinerSignIn,
    DinerSynthesize, DinerTrade, DinerView, FreshMemberCode, diner_pocket,
};
use crate::api::realtime::Event;
use crate::api::rules::InboxStory;
use crate::i18n::*;
use crate::pages::banner::Banner;
use crate::pages::diner_game::{Market, StepsPanel, Workshop};
use crate::pages::live::{shop_time, use_live_events_after};
use crate::pages::recharge::balance_text;
use crate::pages::{page_locale, problem_text, rotating_key};

/// The diner demo page: what a diner's phone would show at the demo restaurant — the
/// wallet, cards with their QR codes, a payment code — updating live when the cashier scans.
#[component]
pub fn DinerPage() -> impl IntoView {
    // Read again once signed in (the sign-in redirects to this same page).
    let sign_in = ServerAction::<DinerSignIn>::new();
    let pocket = Resource::new(move || sign_in.version().get(), |_| diner_pocket());
    let i18n = use_i18n();
    view! {
        <Transition fallback=move || view! { <p class="text-stone-500">{t!(i18n, loading)}</p> }>
            {move || {
                pocket
                    .get()
                    .map(|answer| match answer {
                        Ok(Some(view)) => view! { <Pocket view /> }.into_any(),
                        Ok(None) => view! { <DinerSignInForm sign_in /> }.into_any(),
                        Err(problem) => view! { <p role="alert">{problem_text(page_locale(), &problem)}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn DinerSignInForm(sign_in: ServerAction<DinerSignIn>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="mx-auto mt-8 max-w-sm rounded-2xl bg-white p-6 shadow-sm ring-1 ring-stone-200">
            <h1 class="text-2xl font-bold">{t!(i18n, diner.title)}</h1>
            <p class="mt-2 text-sm text-stone-500">{t!(i18n, diner.intro)}</p>
            <ActionForm action=sign_in attr:class="mt-4 space-y-3">
                <label for="diner-uid" class="block text-sm font-medium text-stone-700">{t!(i18n, diner.who)}</label>
                <select id="diner-uid" name="uid" data-testid="diner-uid" class="w-full rounded-lg border border-stone-300 px-3 py-2 text-lg">
                    <option value="wx-demo-001">"小明 · wx-demo-001"</option>
                    <option value="wx-demo-002">"小红 · wx-demo-002"</option>
                </select>
                <button type="submit" data-testid="diner-sign-in" class="w-full rounded-lg bg-red-700 px-4 py-3 text-lg font-semibold text-white hover:bg-red-800">
                    {t!(i18n, diner.enter)}
                </button>
            </ActionForm>
            {move || sign_in.value().get().and_then(Result::err).map(|problem| view! {
                <p role="alert" class="mt-3 text-sm text-red-800">{problem_text(page_locale(), &problem)}</p>
            })}
        </section>
    }
}

#[component]
fn Pocket(view: DinerView) -> impl IntoView {
    let cards = RwSignal::new(view.cards);
    let balance = RwSignal::new(view.balance);
    let silver = RwSignal::new(view.silver);
    let fragments = RwSignal::new(view.fragments.clone());
    let stories = RwSignal::new(view.stories.clone());
    let card_types = RwSignal::new(view.card_types.clone());
    let market = RwSignal::new(view.market.clone());
    let steps_today = RwSignal::new(view.steps_today);
    let total_steps = RwSignal::new(view.total_steps);
    let merchant = view.merchant_id.clone();
    // Silver, fragments, cards and stock read again after a trade or a synthesis, here or on
    // another of the diner's devices (its ASSET_CHANGED frame).
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(Some(now)) = diner_pocket().await {
                silver.set(now.silver);
                fragments.set(now.fragments);
                cards.set(now.cards);
                card_types.set(now.card_types);
            }
        });
    };
    let synthesize = ServerAction::<DinerSynthesize>::new();
    let trade = ServerAction::<DinerTrade>::new();
    Effect::new(move |_| {
        let done = synthesize
            .value()
            .with(|v| matches!(v, Some(Ok(a)) if a.shown.receipt.is_some()))
            || trade
                .value()
                .with(|v| matches!(v, Some(Ok(a)) if a.shown.receipt.is_some()));
        if done {
            reload();
        }
    });
    let i18n = use_i18n();
    let locale = page_locale();
    // A member code lasts five minutes: with JavaScript the page fetches a fresh one every
    // four (without, reloading the page shows a fresh one).
    let refresh = ServerAction::<FreshMemberCode>::new();
    Effect::new(move |_| {
        let every = std::time::Duration::from_secs(4 * 60);
        if let Ok(handle) = set_interval_with_handle(
            move || {
                refresh.dispatch(FreshMemberCode {});
            },
            every,
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let first_member = view.member.clone();
    let member = move || {
        refresh
            .value()
            .get()
            .and_then(Result::ok)
            .unwrap_or_else(|| first_member.clone())
    };
    let member_code = member.clone();
    let changed_at = merchant.clone();
    use_live_events_after(Some(view.seen), move |frame| match frame.event {
        Event::AssetChanged { merchant_id, .. } if merchant_id == changed_at => reload(),
        Event::CardRedeemed { card, status, .. } => cards.update(|cards| {
            if let Some(redeemed) = cards.iter_mut().find(|c| c.uuid == card) {
                redeemed.status = status.as_str().to_owned();
            }
        }),
        Event::PaymentRefunded {
            merchant_id,
            card,
            balance: now,
            ..
        } if merchant_id == merchant => {
            balance.set(now);
            // The card the payment used is active again.
            cards.update(|cards| {
                if let Some(back) = cards.iter_mut().find(|c| Some(&c.uuid) == card.as_ref()) {
                    back.status = crate::domain::CardStatus::Active.as_str().to_owned();
                }
            });
        }
        Event::WalletUpdated {
            merchant_id,
            balance: now,
            ..
        }
        | Event::PaymentCollected {
            merchant_id,
            balance: now,
            ..
        } if merchant_id == merchant => {
            balance.set(now);
        }
        Event::Story {
            merchant_id,
            campaign,
            story_id,
            story,
            ..
        } if merchant_id == merchant => {
            // The page may already show it (decided while the page was read).
            if stories.with(|all| all.iter().any(|known| known.id == story_id)) {
                return;
            }
            // What it gave is read again rather than added up here: counted once, whatever
            // the page had already read.
            if !story.rewards.is_empty() {
                reload();
            }
            stories.update(|all| {
                all.insert(
                    0,
                    InboxStory {
                        id: story_id,
                        merchant_id,
                        campaign,
                        story,
                        created_at: frame.at,
                        read: false,
                    },
                )
            });
        }
        _ => {}
    });
    view! {
        <section class="space-y-6">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h1 class="text-3xl font-bold">{t!(i18n, diner.pocket)}</h1>
                <p class="text-sm text-stone-500">{format!("{} · 老成都川菜馆", view.uid)}</p>
            </div>
            <div class="flex flex-wrap items-center gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
                <div class="w-40 shrink-0" role="img" inner_html=move || member().qr_svg aria-label=td_string!(locale, diner.member_code) data-testid="member-code" data-code=move || member_code().code></div>
                <div>
                    <p class="text-sm text-stone-500">{t!(i18n, diner.member_code_hint)}</p>
                    <p class="text-xl" data-testid="diner-balance">
                        {t!(i18n, diner.balance)} " " {move || balance_text(locale, balance.get())}
                    </p>
                </div>
            </div>
            <ArrivePanel />
            <StoryInbox stories />
            <Holdings silver fragments />
            <StepsPanel steps_today total_steps />
            <Workshop card_types fragments market first_key=view.next_key.clone() synthesize />
            <Market market fragments first_key=view.next_key.clone() trade />
            <PayPanel first_key=view.next_key.clone() />
            <OnlineRecharge tiers=view.tiers.clone() first_key=view.next_key.clone() />
            <h2 class="text-lg font-semibold">{t!(i18n, diner.my_cards)}</h2>
            <Show when=move || cards.with(Vec::is_empty)>
                <p class="text-stone-500">{t!(i18n, diner.no_cards)}</p>
            </Show>
            <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                <For each=move || cards.get() key=|card| (card.uuid.clone(), card.status.clone()) let:card>
                    <CardTile card utc_offset=view.shop_utc_offset />
                </For>
            </div>
        </section>
    }
}

#[component]
fn CardTile(card: DinerCard, utc_offset: i32) -> impl IntoView {
    let locale = page_locale();
    let active = card.status == "ACTIVE";
    let (badge, badge_class) = if active {
        (
            td_string!(locale, diner.active),
            "bg-emerald-100 text-emerald-800",
        )
    } else {
        (
            td_string!(locale, diner.used),
            "bg-stone-200 text-stone-700",
        )
    };
    view! {
        <article
            data-testid="diner-card"
            data-uuid=card.uuid.clone()
            data-status=card.status.clone()
            class=format!("rounded-2xl p-4 shadow-sm ring-1 ring-stone-200 {}", if active { "bg-white" } else { "bg-stone-50" })
        >
            {card.art.clone().map(|art| view! {
                <img src=art alt=card.name.clone() width="384" height="384" data-testid="card-art"
                    class=format!("mb-3 aspect-square w-full rounded-xl object-cover {}", if active { "" } else { "opacity-40" }) />
            })}
            <div class="flex items-center justify-between">
                <h3 class="font-semibold">{card.name.clone()}</h3>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {badge_class}") data-testid="card-status">{badge}</span>
            </div>
            // A used card's code is faded (an image: its words keep their contrast).
            <div class=format!("mx-auto mt-3 w-40 {}", if active { "" } else { "opacity-40" }) role="img" inner_html=card.qr_svg.clone() aria-label="QR"></div>
            <p class="mt-2 break-all text-center font-mono text-xs text-stone-500">{card.uuid.clone()}</p>
            <p class="text-center text-xs text-stone-500">{td_string!(locale, diner.valid_until, date = shop_time(card.expiry, utc_offset).format("%Y-%m-%d")).to_string()}</p>
        </article>
    }
}

/// A payment code for the cashier to scan.
#[component]
fn PayPanel(first_key: String) -> impl IntoView {
    let pay = ServerAction::<DinerPay>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(first_key, pay);
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <ActionForm action=pay attr:class="flex flex-wrap gap-3">
                <input type="hidden" name="key" value=move || key.get() />
                <input name="amount" required inputmode="decimal" placeholder=td_string!(locale, diner.pay_amount) data-testid="pay-amount"
                    class="w-40 rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200" />
                <button type="submit" data-testid="pay-create" class="rounded-lg bg-red-700 px-5 py-2 font-semibold text-white hover:bg-red-800">
                    {t!(i18n, diner.pay_create)}
                </button>
            </ActionForm>
            {move || pay.value().get().map(|answer| match answer {
                Ok(code) => view! {
                    <div class="mt-4 flex flex-wrap items-center gap-4" data-testid="payment-code" data-code=code.code.clone()>
                        <div class="w-40" role="img" inner_html=code.qr_svg.clone() aria-label="QR"></div>
                        <div>
                            <p class="font-mono text-2xl tracking-widest">{code.code.clone()}</p>
                            <p class="text-stone-500">{td_string!(locale, diner.pay_valid, amount = code.amount).to_string()}</p>
                        </div>
                    </div>
                }
                .into_any(),
                Err(problem) => view! { <Banner ok=false title=problem_text(locale, &problem) detail=String::new() /> }.into_any(),
            })}
        </div>
    }
}

/// An online recharge, as the mini program makes it: a tier, the order and its signed
/// payment fields, then the payment in WeChat — here the stand-in's sandbox (DEV). The
/// wallet above moves when the provider's notification has credited it.
#[component]
fn OnlineRecharge(tiers: Vec<crate::model::catalog::Tier>, first_key: String) -> impl IntoView {
    let open = ServerAction::<DinerRechargeOnline>::new();
    let pay = ServerAction::<DinerPayOnline>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(first_key, open);
    let opened = move || {
        open.value()
            .get()
            .and_then(Result::ok)
            .and_then(|answer| answer.shown.receipt)
    };
    let refused = move || {
        open.value().get().and_then(|answer| match answer {
            Ok(answer) => answer.refusal,
            Err(problem) => Some(problem),
        })
    };
    view! {
        <section class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="online-heading">
            <h2 id="online-heading" class="text-lg font-semibold">{t!(i18n, diner.online_title)}</h2>
            <p class="text-sm text-stone-500">{t!(i18n, diner.online_hint)}</p>
            <ActionForm action=open attr:class="mt-3 flex flex-wrap items-end gap-3">
                <input type="hidden" name="key" value=move || key.get() />
                <div>
                    <label for="online-tier" class="block text-sm font-medium text-stone-700">{t!(i18n, diner.online_tier)}</label>
                    <select id="online-tier" name="tier" data-testid="online-tier" class="rounded-lg border border-stone-300 px-3 py-2">
                        {tiers.into_iter().filter(|tier| tier.active).map(|tier| view! {
                            <option value=tier.code.to_string()>{format!("{} · ¥{}", tier.label, tier.pay)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" data-testid="online-open" class="rounded-lg bg-emerald-700 px-5 py-2 font-semibold text-white hover:bg-emerald-800">
                    {t!(i18n, diner.online_open)}
                </button>
            </ActionForm>
            {move || refused().map(|problem| view! { <Banner ok=false title=problem_text(locale, &problem) detail=String::new() /> })}
            {move || opened().map(|order| {
                let number = order.order.clone();
                view! {
                    <div class="mt-3 flex flex-wrap items-center gap-3 rounded-xl bg-emerald-50 p-3 ring-1 ring-emerald-200" data-testid="online-order" data-order=order.order.clone()>
                        <p class="text-emerald-900">{td_string!(locale, diner.online_order, tier = order.tier.clone(), pay = order.pay, bonus = order.bonus).to_string()}</p>
                        <ActionForm action=pay>
                            <input type="hidden" name="order" value=number />
                            <button type="submit" data-testid="online-pay" class="rounded-lg bg-emerald-700 px-4 py-2 font-semibold text-white hover:bg-emerald-800">
                                {t!(i18n, diner.online_pay)}
                            </button>
                        </ActionForm>
                    </div>
                }
            })}
            {move || pay.value().get().map(|answer| match answer {
                Ok(()) => view! { <p role="status" class="mt-2 text-emerald-800" data-testid="online-paid">{t!(i18n, diner.online_paid)}</p> }.into_any(),
                Err(problem) => view! { <Banner ok=false title=problem_text(locale, &problem) detail=String::new() /> }.into_any(),
            })}
        </section>
    }
}

/// Checking in at the shop with the code on the table (the mini program scans it; the demo
/// page takes it pasted).
#[component]
fn ArrivePanel() -> impl IntoView {
    let arrive = ServerAction::<DinerArrive>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <h2 class="text-lg font-semibold">{t!(i18n, diner.arrive_title)}</h2>
            <p class="text-sm text-stone-500">{t!(i18n, diner.arrive_hint)}</p>
            <ActionForm action=arrive attr:class="mt-3 flex flex-wrap gap-3">
                <label for="table-code" class="sr-only">{t!(i18n, diner.arrive_code)}</label>
                <input id="table-code" name="table_code" required data-testid="arrive-code" placeholder=td_string!(locale, diner.arrive_code)
                    class="min-w-0 flex-1 rounded-lg border border-stone-300 px-3 py-2 font-mono text-sm focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200" />
                <button type="submit" data-testid="arrive" class="rounded-lg bg-red-700 px-5 py-2 font-semibold text-white hover:bg-red-800">
                    {t!(i18n, diner.arrive)}
                </button>
            </ActionForm>
            {move || arrive.value().get().map(|answer| match answer {
                Ok(_) => view! { <p class="mt-2 text-emerald-800" role="status" data-testid="arrived">{t!(i18n, diner.arrived)}</p> }.into_any(),
                Err(problem) => view! { <p class="mt-2 text-red-800" role="alert" data-testid="arrive-refused">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
        </div>
    }
}

/// The diner's stories, newest first, each as the mini program would show it.
#[component]
fn StoryInbox(stories: RwSignal<Vec<InboxStory>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="stories-title" class="space-y-3">
            <h2 id="stories-title" class="text-lg font-semibold">{t!(i18n, diner.stories)}</h2>
            <Show when=move || stories.with(Vec::is_empty)>
                <p class="text-stone-500" data-testid="no-stories">{t!(i18n, diner.no_stories)}</p>
            </Show>
            <For each=move || stories.get() key=|story| story.id.clone() let:story>
                <StoryCard story />
            </For>
        </section>
    }
}

#[component]
fn StoryCard(story: InboxStory) -> impl IntoView {
    let i18n = use_i18n();
    let rewards = crate::domain::rules::story::rewards_in_words(&story.story.rewards);
    let has_rewards = !story.story.rewards.is_empty();
    view! {
        <article data-testid="story" data-campaign=story.campaign.clone()
            class="rounded-2xl bg-gradient-to-br from-amber-50 to-red-50 p-4 shadow-sm ring-1 ring-amber-200">
            {story.story.art.clone().map(|src| view! {
                <img src=src alt=story.story.title.clone() data-testid="story-art" loading="lazy"
                    class="mb-3 aspect-square w-full max-w-xs rounded-xl object-cover" />
            })}
            <h3 class="text-xl font-bold text-red-900" data-testid="story-title">{story.story.title.clone()}</h3>
            {story.story.scenes.iter().map(|scene| view! { <p class="mt-2 text-stone-800">{scene.text.clone()}</p> }).collect_view()}
            <Show when=move || has_rewards>
                <p class="mt-3 font-semibold text-emerald-800" data-testid="story-rewards">{t!(i18n, diner.rewards)} " " {rewards.clone()}</p>
            </Show>
        </article>
    }
}

/// Silver and the fragments held at the shop.
#[component]
fn Holdings(
    silver: RwSignal<i64>,
    fragments: RwSignal<Vec<(String, String, i64)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <p class="text-xl" data-testid="diner-silver">{t!(i18n, diner.silver)} " " {move || silver.get()}</p>
            <h2 class="mt-3 text-lg font-semibold">{t!(i18n, diner.fragments)}</h2>
            <Show when=move || fragments.with(Vec::is_empty)>
                <p class="text-stone-500">{t!(i18n, diner.no_fragments)}</p>
            </Show>
            <ul class="mt-2 flex flex-wrap gap-2">
                <For each=move || fragments.get() key=|line| line.clone() let:line>
                    <li class="rounded-full bg-amber-100 px-3 py-1 text-sm text-amber-900" data-testid="fragment" data-code=line.0.clone() data-count=line.2>
                        {format!("{} ×{}", line.1, line.2)}
                    </li>
                </For>
            </ul>
        </div>
    }
}
