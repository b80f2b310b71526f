//! The game on the diner demo page, through the same C-end API a mini program uses: steps
//! from WeChat Run (the DEV stand-in), the workshop that makes a card from its recipe with
//! today's stock shown, and the market where fragments are bought and sold for silver.

use leptos::prelude::*;

use crate::api::catalog::CardTypeOnOffer;
use crate::api::console::{FormAnswer, Receipt};
use crate::api::diner_demo::{DinerSynthesize, DinerTrade, DinerWalk, GameAnswer, MarketLine};
use crate::error::Problem;
use crate::i18n::*;
use crate::pages::{page_locale, problem_text, rotating_key};

const PANEL: &str = "rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200";
const BUTTON: &str = "rounded-lg bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800 disabled:cursor-not-allowed disabled:bg-stone-300 disabled:text-stone-600";
const INPUT: &str = "rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200";

/// Today's steps, synced from WeChat Run (the demo page types them in for the stand-in).
#[component]
pub fn StepsPanel(steps_today: RwSignal<u32>, total_steps: RwSignal<u64>) -> impl IntoView {
    let walk = ServerAction::<DinerWalk>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    Effect::new(move |_| {
        if let Some(Ok(synced)) = walk.value().get() {
            steps_today.set(synced.steps_today);
            total_steps.set(synced.total_steps);
        }
    });
    view! {
        <section aria-labelledby="steps-title" class=PANEL>
            <h2 id="steps-title" class="text-lg font-semibold">{t!(i18n, diner.steps_title)}</h2>
            <p class="text-sm text-stone-500">{t!(i18n, diner.steps_hint)}</p>
            <p class="mt-2 text-xl" data-testid="steps-today">
                {move || td_string!(locale, diner.steps_now, today = steps_today.get(), total = total_steps.get()).to_string()}
            </p>
            <ActionForm action=walk attr:class="mt-3 flex flex-wrap items-center gap-3">
                <label for="steps" class="text-sm text-stone-700">{t!(i18n, diner.steps_input)}</label>
                <input id="steps" name="steps" type="number" min="0" max="100000" required value="8000" data-testid="steps-input" class=format!("w-32 {INPUT}") />
                <button type="submit" data-testid="steps-sync" class=BUTTON>{t!(i18n, diner.steps_sync)}</button>
            </ActionForm>
            {move || walk.value().get().map(|answer| match answer {
                Ok(synced) => view! {
                    <p class="mt-2 text-emerald-800" role="status" data-testid="steps-synced">
                        {td_string!(locale, diner.steps_counted, counted = synced.counted).to_string()}
                    </p>
                }.into_any(),
                Err(problem) => view! { <p class="mt-2 text-red-800" role="alert">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
        </section>
    }
}

/// A game form's answer as the page shows it: `done` for a receipt, else the refusal (with
/// `refused` as its test id) or the failure.
fn shown<R>(
    answer: Option<Result<GameAnswer<R>, Problem>>,
    refused: &'static str,
    done: impl FnOnce(R) -> AnyView,
) -> Option<AnyView> {
    let locale = page_locale();
    let problem = match answer? {
        Ok(FormAnswer {
            shown: Receipt {
                receipt: Some(receipt),
            },
            ..
        }) => return Some(done(receipt)),
        Ok(FormAnswer { refusal, .. }) => refusal?,
        Err(problem) => problem,
    };
    Some(view! { <p class="mt-2 text-red-800" role="alert" data-testid=refused>{problem_text(locale, &problem)}</p> }.into_any())
}

/// How many of `code` the diner holds.
fn held(fragments: &[(String, String, i64)], code: &str) -> i64 {
    fragments
        .iter()
        .find(|(held, _, _)| held == code)
        .map_or(0, |line| line.2)
}

/// A fragment's name as the diner's holdings or the market name it (else its code).
fn name_of(fragments: &[(String, String, i64)], market: &[MarketLine], code: &str) -> String {
    fragments
        .iter()
        .find(|(held, _, _)| held == code)
        .map(|line| line.1.clone())
        .or_else(|| {
            market
                .iter()
                .find(|m| m.fragment == code)
                .map(|m| m.name.clone())
        })
        .unwrap_or_else(|| code.to_owned())
}

/// The cards the shop makes from fragments: each recipe against what the diner holds, and
/// today's stock.
#[component]
pub fn Workshop(
    card_types: RwSignal<Vec<CardTypeOnOffer>>,
    fragments: RwSignal<Vec<(String, String, i64)>>,
    market: RwSignal<Vec<MarketLine>>,
    first_key: String,
    synthesize: ServerAction<DinerSynthesize>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(first_key, synthesize);
    view! {
        <section aria-labelledby="workshop-title" class=PANEL>
            <h2 id="workshop-title" class="text-lg font-semibold">{t!(i18n, diner.workshop)}</h2>
            <p class="text-sm text-stone-500">{t!(i18n, diner.workshop_hint)}</p>
            <Show when=move || card_types.with(Vec::is_empty)>
                <p class="text-stone-500">{t!(i18n, diner.workshop_empty)}</p>
            </Show>
            <ul class="mt-3 grid gap-3 sm:grid-cols-2">
                <For each=move || card_types.get() key=|kind| (kind.card_type.code.to_string(), kind.left_today) let:kind>
                    {
                        let code = kind.card_type.code.to_string();
                        let form_code = code.clone();
                        let left = kind.left_today;
                        let recipe = kind.card_type.recipe.clone();
                        let enough = {
                            let recipe = recipe.clone();
                            move || fragments.with(|held_now| recipe.iter().all(|line| held(held_now, line.fragment.as_str()) >= i64::from(line.count.get())))
                        };
                        let can_make = move || left > 0 && enough();
                        view! {
                            <li class="rounded-xl bg-amber-50 p-3 ring-1 ring-amber-200" data-testid="recipe" data-card-type=code data-left=left>
                                <div class="flex items-baseline justify-between gap-2">
                                    <h3 class="font-semibold">{kind.card_type.name.to_string()}</h3>
                                    <span class="text-sm text-stone-600" data-testid="stock-left">{td_string!(locale, diner.left_today, count = left).to_string()}</span>
                                </div>
                                <p class="text-sm text-stone-600">{kind.card_type.benefit_description.to_string()}</p>
                                <ul class="mt-2 flex flex-wrap gap-2 text-sm">
                                    {recipe.iter().map(|line| {
                                        let fragment = line.fragment.to_string();
                                        let need = i64::from(line.count.get());
                                        let label = {
                                            let fragment = fragment.clone();
                                            move || {
                                                let have = fragments.with(|f| held(f, &fragment));
                                                let name = fragments.with(|f| market.with(|m| name_of(f, m, &fragment)));
                                                format!("{name} {have}/{need}")
                                            }
                                        };
                                        let tone = {
                                            let fragment = fragment.clone();
                                            move || if fragments.with(|f| held(f, &fragment)) >= need { "rounded-full bg-emerald-100 px-2 py-0.5 text-emerald-900" } else { "rounded-full bg-stone-200 px-2 py-0.5 text-stone-700" }
                                        };
                                        view! { <li class=tone>{label}</li> }
                                    }).collect_view()}
                                </ul>
                                <ActionForm action=synthesize attr:class="mt-3">
                                    <input type="hidden" name="card_type" value=form_code />
                                    <input type="hidden" name="key" value=move || key.get() />
                                    <button type="submit" class=BUTTON data-testid="synthesize" disabled=move || !can_make()>
                                        {t!(i18n, diner.synthesize)}
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    }
                </For>
            </ul>
            {move || shown(synthesize.value().get(), "synthesize-refused", |_| {
                view! { <p class="mt-2 text-emerald-800" role="status" data-testid="synthesized">{t!(i18n, diner.synthesized)}</p> }.into_any()
            })}
        </section>
    }
}

/// The shop's market: fragments for silver, and back.
#[component]
pub fn Market(
    market: RwSignal<Vec<MarketLine>>,
    fragments: RwSignal<Vec<(String, String, i64)>>,
    first_key: String,
    trade: ServerAction<DinerTrade>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(first_key, trade);
    view! {
        <section aria-labelledby="market-title" class=PANEL>
            <h2 id="market-title" class="text-lg font-semibold">{t!(i18n, diner.market)}</h2>
            <p class="text-sm text-stone-500">{t!(i18n, diner.market_hint)}</p>
            <Show when=move || market.with(Vec::is_empty)>
                <p class="text-stone-500">{t!(i18n, diner.market_empty)}</p>
            </Show>
            <ul class="mt-3 divide-y divide-stone-100">
                <For each=move || market.get() key=|line| line.fragment.clone() let:line>
                    {
                        let code = line.fragment.clone();
                        let form_code = code.clone();
                        let side_id = format!("side-{code}");
                        let quantity_id = format!("quantity-{code}");
                        let prices = match line.sell_price {
                            Some(sell) => td_string!(locale, diner.prices, buy = line.buy_price, sell = sell).to_string(),
                            None => td_string!(locale, diner.price_buy_only, buy = line.buy_price).to_string(),
                        };
                        let holding = {
                            let code = code.clone();
                            move || fragments.with(|f| held(f, &code))
                        };
                        view! {
                            <li class="flex flex-wrap items-center gap-3 py-3" data-testid="listing" data-fragment=code>
                                <div class="min-w-40 flex-1">
                                    <p class="font-semibold">{line.name.clone()}</p>
                                    <p class="text-sm text-stone-600">{prices}</p>
                                    <p class="text-xs text-stone-500">{move || td_string!(locale, diner.holding, count = holding()).to_string()}</p>
                                </div>
                                <ActionForm action=trade attr:class="flex flex-wrap items-center gap-2">
                                    <input type="hidden" name="fragment" value=form_code />
                                    <input type="hidden" name="key" value=move || key.get() />
                                    <label for=side_id.clone() class="sr-only">{t!(i18n, diner.side)}</label>
                                    <select id=side_id name="side" data-testid="trade-side" class=INPUT>
                                        <option value="BUY">{t!(i18n, diner.buy)}</option>
                                        {line.sell_price.map(|_| view! { <option value="SELL">{t!(i18n, diner.sell)}</option> })}
                                    </select>
                                    <label for=quantity_id.clone() class="sr-only">{t!(i18n, diner.quantity)}</label>
                                    <input id=quantity_id name="quantity" type="number" min="1" max="99" value="1" required data-testid="trade-quantity" class=format!("w-20 {INPUT}") />
                                    <button type="submit" class=BUTTON data-testid="trade">{t!(i18n, diner.trade)}</button>
                                </ActionForm>
                            </li>
                        }
                    }
                </For>
            </ul>
            {move || shown(trade.value().get(), "trade-refused", |receipt| {
                view! { <p class="mt-2 text-emerald-800" role="status" data-testid="traded">{td_string!(locale, diner.traded, count = receipt.quantity, silver = receipt.silver).to_string()}</p> }.into_any()
            })}
        </section>
    }
}
