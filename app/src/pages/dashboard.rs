//! The boss's dashboard (`/console`): today, the last 7 and 30 days of the shop's figures
//! on its clock, charts of the month, and today's campaign budgets — moved live by the
//! FIGURES_UPDATED and REWARD_GIVEN frames, with no reload. The numbers are the page's
//! text (and a day-by-day table); the charts draw them too.

use leptos::prelude::*;

use crate::api::console::console_dashboard;
use crate::api::realtime::Event;
use crate::domain::Money;
use crate::i18n::*;
use crate::model::figures::{BudgetUse, Dashboard, DayFigures};
use crate::pages::live::{shop_time, use_live_events};
use crate::pages::{page_locale, signed_in};

/// The periods the figures are summed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Period {
    Today,
    Week,
    Month,
}

impl Period {
    fn days(self) -> usize {
        match self {
            Self::Today => 1,
            Self::Week => 7,
            Self::Month => 30,
        }
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| console_dashboard());
    let i18n = use_i18n();
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-3xl font-bold">{t!(i18n, dashboard.title)}</h1>
                <p class="text-stone-600">{t!(i18n, dashboard.intro)}</p>
            </div>
            {signed_in(data, move |data| view! { <Board data /> }.into_any())}
        </section>
    }
}

fn yuan(money: Money) -> String {
    format!("¥{money}")
}

#[component]
fn Board(data: Dashboard) -> impl IntoView {
    let Dashboard {
        days,
        budgets,
        at,
        utc_offset,
    } = data;
    let days = RwSignal::new(days);
    let budgets = RwSignal::new(budgets);
    let updated = RwSignal::new(at);
    let period = RwSignal::new(Period::Today);
    use_live_events(move |frame| match frame.event {
        Event::FiguresUpdated { figures, .. } => {
            days.update(|days| DayFigures::merged(days, figures));
            updated.set(frame.at);
        }
        Event::RewardGiven {
            campaign,
            used_today,
            granted_today,
            ..
        } => budgets.update(|budgets| {
            if let Some(budget) = budgets.iter_mut().find(|b| b.campaign == campaign) {
                budget.used = used_today;
                budget.granted = granted_today;
            }
        }),
        _ => {}
    });
    let shown =
        Memo::new(move |_| days.with(|days| DayFigures::last_of(days, period.get().days())));
    let i18n = use_i18n();
    let locale = page_locale();
    let tab = move |which: Period, label: String| {
        view! {
            <button type="button" data-testid=format!("period-{}", which.days())
                aria-pressed=move || (period.get() == which).to_string()
                on:click=move |_| period.set(which)
                class=move || if period.get() == which {
                    "rounded-full bg-red-700 px-4 py-1 text-sm font-semibold text-white"
                } else {
                    "rounded-full bg-white px-4 py-1 text-sm font-medium text-stone-700 ring-1 ring-stone-300 hover:bg-stone-100"
                }>
                {label}
            </button>
        }
    };
    let money_chart = Signal::derive(move || days.with(|days| money_option(days, locale)));
    let cards_chart = Signal::derive(move || days.with(|days| cards_option(days, locale)));
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <div role="group" aria-label=move || td_string!(locale, dashboard.period) class="flex gap-2">
                {tab(Period::Today, td_string!(locale, dashboard.today).to_owned())}
                {tab(Period::Week, td_string!(locale, dashboard.week).to_owned())}
                {tab(Period::Month, td_string!(locale, dashboard.month).to_owned())}
            </div>
            <p class="text-sm text-stone-500" data-testid="dashboard-updated">
                {move || td_string!(locale, dashboard.updated, time = shop_time(updated.get(), utc_offset).format("%H:%M:%S").to_string()).to_string()}
            </p>
        </div>
        <Show when=move || shown.with(|s| s.payments + s.recharges + s.refunds + s.rewards == 0 && s.redeemed.is_empty())>
            <p class="rounded-xl bg-amber-50 p-3 text-amber-900 ring-1 ring-amber-200" data-testid="dashboard-empty">{t!(i18n, dashboard.empty)}</p>
        </Show>
        <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="dashboard-figures">
            <Figure testid="fig-collected" title=td_string!(locale, dashboard.collected).to_owned()
                value=Signal::derive(move || yuan(shown.get().collected))
                detail=Signal::derive(move || td_string!(locale, dashboard.payments, count = shown.get().payments).to_string()) />
            <Figure testid="fig-sold" title=td_string!(locale, dashboard.sold).to_owned()
                value=Signal::derive(move || yuan(shown.get().sold))
                detail=Signal::derive(move || {
                    let s = shown.get();
                    td_string!(locale, dashboard.recharges, count = s.recharges, bonus = yuan(s.bonus_granted)).to_string()
                }) />
            <Figure testid="fig-liability" title=td_string!(locale, dashboard.liability).to_owned()
                value=Signal::derive(move || {
                    let owed = shown.get().liability;
                    yuan(owed.principal.checked_add(owed.bonus).unwrap_or(Money::MAX))
                })
                detail=Signal::derive(move || {
                    let owed = shown.get().liability;
                    td_string!(locale, dashboard.liability_split, principal = yuan(owed.principal), bonus = yuan(owed.bonus)).to_string()
                }) />
            <Figure testid="fig-refunded" title=td_string!(locale, dashboard.refunded).to_owned()
                value=Signal::derive(move || yuan(shown.get().refunded))
                detail=Signal::derive(move || {
                    let s = shown.get();
                    td_string!(locale, dashboard.refund_line, count = s.refunds, cash = yuan(s.cash_refunded), clawback = yuan(s.clawback)).to_string()
                }) />
            <Figure testid="fig-cards" title=td_string!(locale, dashboard.cards).to_owned()
                value=Signal::derive(move || shown.get().redeemed.values().sum::<u32>().to_string())
                detail=Signal::derive(move || {
                    let s = shown.get();
                    td_string!(locale, dashboard.cards_line, made = s.synthesized.values().sum::<u32>(), used = s.redeemed.values().sum::<u32>()).to_string()
                }) />
            <Figure testid="fig-rewards" title=td_string!(locale, dashboard.rewards).to_owned()
                value=Signal::derive(move || shown.get().rewards.to_string())
                detail=Signal::derive(move || {
                    let s = shown.get();
                    let line = td_string!(locale, dashboard.rewards_line, count = s.rewards, cost = yuan(s.reward_cost), silver = s.silver_issued, fragments = s.fragments_issued).to_string();
                    format!("{line} · {}", td_string!(locale, dashboard.tokens_line, tokens = s.tokens))
                }) />
        </div>
        <div class="grid gap-4 lg:grid-cols-2">
            <Chart testid="chart-money" title=td_string!(locale, dashboard.chart_money).to_owned() option=money_chart />
            <Chart testid="chart-cards" title=td_string!(locale, dashboard.chart_cards).to_owned() option=cards_chart />
        </div>
        <Budgets budgets />
        <details class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <summary class="cursor-pointer font-semibold">{t!(i18n, dashboard.by_day)}</summary>
            <div class="mt-3 overflow-x-auto">
                <table class="w-full text-sm" data-testid="dashboard-table">
                    <thead class="text-left text-stone-500">
                        <tr>
                            <th scope="col" class="py-1 pr-3">{t!(i18n, dashboard.day)}</th>
                            <th scope="col" class="py-1 pr-3">{t!(i18n, dashboard.collected)}</th>
                            <th scope="col" class="py-1 pr-3">{t!(i18n, dashboard.sold)}</th>
                            <th scope="col" class="py-1 pr-3">{t!(i18n, dashboard.refunded)}</th>
                            <th scope="col" class="py-1 pr-3">{t!(i18n, dashboard.cards)}</th>
                            <th scope="col" class="py-1 pr-3">{t!(i18n, dashboard.rewards)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || days.get().into_iter().rev().map(|day| view! {
                            <tr class="border-t border-stone-100">
                                <th scope="row" class="py-1 pr-3 font-normal">{day.day.format("%m-%d").to_string()}</th>
                                <td class="py-1 pr-3">{yuan(day.collected)}</td>
                                <td class="py-1 pr-3">{yuan(day.sold)}</td>
                                <td class="py-1 pr-3">{yuan(day.refunded)}</td>
                                <td class="py-1 pr-3">{day.redeemed.values().sum::<u32>()}</td>
                                <td class="py-1 pr-3">{yuan(day.reward_cost)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

#[component]
fn Figure(
    testid: &'static str,
    title: String,
    value: Signal<String>,
    detail: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" data-testid=testid>
            <p class="text-sm font-medium text-stone-500">{title}</p>
            <p class="mt-1 text-3xl font-bold tabular-nums" data-testid=format!("{testid}-value")>{value}</p>
            <p class="mt-1 text-sm text-stone-600">{detail}</p>
        </div>
    }
}

#[component]
fn Budgets(budgets: RwSignal<Vec<BudgetUse>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    view! {
        <section class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="budgets-heading">
            <h2 id="budgets-heading" class="text-lg font-semibold">{t!(i18n, dashboard.budgets)}</h2>
            <Show when=move || budgets.with(Vec::is_empty)>
                <p class="mt-2 text-sm text-stone-500">{t!(i18n, dashboard.no_budgets)}</p>
            </Show>
            <ul class="mt-2 space-y-3">
                {move || budgets.get().into_iter().map(|budget| {
                    let percent = budget_percent(&budget);
                    view! {
                        <li data-testid="budget" data-campaign=budget.campaign.clone()>
                            <div class="flex justify-between gap-3 text-sm">
                                <span class="font-medium">{budget.name.clone()}</span>
                                <span class="text-stone-600">{td_string!(locale, dashboard.budget_line, used = yuan(budget.used), cap = yuan(budget.cap), granted = budget.granted).to_string()}</span>
                            </div>
                            <div class="mt-1 h-2 rounded-full bg-stone-100" role="progressbar"
                                aria-label=budget.name.clone() aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent>
                                <div class="h-2 rounded-full bg-orange-500" style=format!("width: {percent}%")></div>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// How much of its cap a campaign spent today, 0–100.
fn budget_percent(budget: &BudgetUse) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    if budget.cap.is_zero() {
        return 0;
    }
    let share = budget.used.amount() * rust_decimal::Decimal::ONE_HUNDRED / budget.cap.amount();
    share.round().to_u32().unwrap_or(100).min(100)
}

/// A chart: its title, and the drawing (in the browser) of its ECharts option.
#[component]
fn Chart(testid: &'static str, title: String, option: Signal<String>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let option = option.get();
        if let Some(element) = canvas.get() {
            charts::draw(element, option, 50);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = option;
    view! {
        <figure class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <figcaption class="font-semibold">{title.clone()}</figcaption>
            <div node_ref=canvas class="mt-2 h-64 w-full" role="img" aria-label=title data-testid=testid></div>
        </figure>
    }
}

/// Day labels of `days` on the shop's calendar.
fn labels(days: &[DayFigures]) -> Vec<String> {
    days.iter()
        .map(|day| day.day.format("%m-%d").to_string())
        .collect()
}

fn number(money: Money) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    serde_json::json!(money.amount().to_f64().unwrap_or_default())
}

/// What a chart shares: tooltip on the axis, legend, accessible description, colours.
fn frame(x: Vec<String>, series: serde_json::Value, y: serde_json::Value) -> String {
    serde_json::json!({
        "aria": {"enabled": true},
        "color": ["#b91c1c", "#ea580c", "#0f766e"],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "bottom": 8, "top": 36, "containLabel": true},
        "xAxis": {"type": "category", "data": x},
        "yAxis": y,
        "series": series,
    })
    .to_string()
}

fn money_option(days: &[DayFigures], locale: Locale) -> String {
    let series = serde_json::json!([
        {"name": td_string!(locale, dashboard.series_collected), "type": "bar",
         "data": days.iter().map(|d| number(d.collected)).collect::<Vec<_>>()},
        {"name": td_string!(locale, dashboard.series_sold), "type": "bar",
         "data": days.iter().map(|d| number(d.sold)).collect::<Vec<_>>()},
        {"name": td_string!(locale, dashboard.series_liability), "type": "line", "yAxisIndex": 1,
         "smooth": true,
         "data": days.iter().map(|d| number(d.liability.principal.checked_add(d.liability.bonus).unwrap_or(Money::MAX))).collect::<Vec<_>>()},
    ]);
    let y = serde_json::json!([
        {"type": "value", "axisLabel": {"formatter": "¥{value}"}},
        {"type": "value", "axisLabel": {"formatter": "¥{value}"}, "splitLine": {"show": false}},
    ]);
    frame(labels(days), series, y)
}

fn cards_option(days: &[DayFigures], locale: Locale) -> String {
    let series = serde_json::json!([
        {"name": td_string!(locale, dashboard.series_made), "type": "bar",
         "data": days.iter().map(|d| d.synthesized.values().sum::<u32>()).collect::<Vec<_>>()},
        {"name": td_string!(locale, dashboard.series_used), "type": "bar",
         "data": days.iter().map(|d| d.redeemed.values().sum::<u32>()).collect::<Vec<_>>()},
    ]);
    frame(
        labels(days),
        series,
        serde_json::json!({"type": "value", "minInterval": 1}),
    )
}

#[cfg(feature = "hydrate")]
mod charts {
    use leptos::prelude::set_timeout;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = MealQuestCharts, js_name = draw)]
        fn draw_chart(element: &web_sys::HtmlElement, option: &str) -> Result<(), JsValue>;
    }

    /// The chart library, served by the app (`make vendor`): added to the page by the first
    /// chart (a script in a page the router renders would not run).
    const LIBRARY: &str = "/vendor/charts.js";
    const LIBRARY_ID: &str = "mq-charts";

    fn load_library() {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        if document.get_element_by_id(LIBRARY_ID).is_some() {
            return;
        }
        if let (Ok(script), Some(head)) = (document.create_element("script"), document.head()) {
            script.set_id(LIBRARY_ID);
            if script.set_attribute("src", LIBRARY).is_ok() {
                let _ = head.append_child(&script);
            }
        }
    }

    /// Draws `option` in `element`; while the chart library is still loading, tries again a
    /// little later, `tries` times.
    pub fn draw(element: web_sys::HtmlDivElement, option: String, tries: u32) {
        load_library();
        if draw_chart(&element, &option).is_ok() || tries == 0 {
            return;
        }
        let element = send_wrapper::SendWrapper::new(element);
        set_timeout(
            move || draw(element.take(), option, tries - 1),
            std::time::Duration::from_millis(100),
        );
    }
}
