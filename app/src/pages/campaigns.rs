use leptos::prelude::*;

use crate::api::console::{
    CampaignsView, ConsoleBacktest, ConsoleCampaignStatus, ConsoleCreateCampaign, ConsoleDryRun,
    ConsoleHoldout, console_campaigns,
};
use crate::api::realtime::Event;
use crate::api::rules::Lift;
use crate::api::rules::{Campaign, CampaignStatus};
use crate::i18n::*;
use crate::pages::condition_editor::ConditionEditor;
use crate::pages::live::{shop_time, use_live_events};
use crate::pages::{page_locale, problem_text, signed_in};

/// The boss's campaigns: the list with today's spend against the budget (updated after each
/// change), a short form for a new campaign, the status buttons, and a dry run.
#[component]
pub fn CampaignsPage() -> impl IntoView {
    let create = ServerAction::<ConsoleCreateCampaign>::new();
    let status = ServerAction::<ConsoleCampaignStatus>::new();
    // The list is read again after a save that worked, not after a refused one: the form,
    // its condition included, stays as the boss left it to be put right.
    let saved = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if create.value().with(|answer| matches!(answer, Some(Ok(_)))) {
            saved.update(|n| *n += 1);
        }
    });
    let view_data = Resource::new(
        move || (saved.get(), status.version().get()),
        |_| console_campaigns(),
    );
    signed_in(view_data, move |data| {
        view! { <Campaigns data create status /> }.into_any()
    })
}

#[component]
fn Campaigns(
    data: CampaignsView,
    create: ServerAction<ConsoleCreateCampaign>,
    status: ServerAction<ConsoleCampaignStatus>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let empty = data.campaigns.is_empty();
    let codes: Vec<String> = data.campaigns.iter().map(|c| c.code.clone()).collect();
    // Each reward moves its campaign's day at once (REWARD_GIVEN carries the day's figures).
    let rows = RwSignal::new(data.campaigns);
    use_live_events(move |frame| {
        if let Event::RewardGiven {
            campaign,
            used_today,
            granted_today,
            ..
        } = frame.event
        {
            rows.update(|rows| {
                if let Some(row) = rows.iter_mut().find(|row| row.code == campaign) {
                    row.used_today = used_today;
                    row.granted_today = granted_today;
                }
            });
        }
    });
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-3xl font-bold">{t!(i18n, campaigns.title)}</h1>
                <p class="text-stone-600">{t!(i18n, campaigns.intro)}</p>
            </div>
            {move || status.value().get().and_then(Result::err).map(|problem| view! {
                <p role="alert" class="text-red-800">{problem_text(locale, &problem)}</p>
            })}
            <Show when=move || empty>
                <p class="text-stone-500" data-testid="no-campaigns">{t!(i18n, campaigns.none)}</p>
            </Show>
            <div class="overflow-x-auto rounded-2xl bg-white shadow-sm ring-1 ring-stone-200">
                <table class="w-full text-left text-sm">
                    <thead class="bg-stone-50 text-stone-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">{t!(i18n, campaigns.name)}</th>
                            <th scope="col" class="px-3 py-2">{t!(i18n, campaigns.status)}</th>
                            <th scope="col" class="px-3 py-2">{t!(i18n, campaigns.budget)}</th>
                            <th scope="col" class="px-3 py-2">{t!(i18n, campaigns.granted)}</th>
                            <th scope="col" class="px-3 py-2">{t!(i18n, campaigns.cost)}</th>
                            <th scope="col" class="px-3 py-2">{t!(i18n, campaigns.actions)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|c| (c.code.clone(), c.version, c.status, c.used_today, c.granted_today) let:campaign>
                            <CampaignRow campaign status />
                        </For>
                    </tbody>
                </table>
            </div>
            <div class="grid gap-6 lg:grid-cols-2">
                <NewCampaignForm create fragments=data.fragments checks=data.checks codes=data.codes pictures=data.pictures />
                // Trying a campaign needs one: the panels wait for the first.
                {(!empty).then(|| view! {
                    <div class="space-y-6">
                        <DryRunPanel codes=codes.clone() />
                        <LabPanel codes utc_offset=data.utc_offset />
                    </div>
                })}
            </div>
        </section>
    }
}

fn status_name(locale: Locale, status: CampaignStatus) -> String {
    match status {
        CampaignStatus::Draft => td_string!(locale, campaigns.DRAFT),
        CampaignStatus::Active => td_string!(locale, campaigns.ACTIVE),
        CampaignStatus::Paused => td_string!(locale, campaigns.PAUSED),
        CampaignStatus::Ended => td_string!(locale, campaigns.ENDED),
    }
    .to_owned()
}

#[component]
fn CampaignRow(campaign: Campaign, status: ServerAction<ConsoleCampaignStatus>) -> impl IntoView {
    let locale = page_locale();
    let next: Vec<(CampaignStatus, String)> = match campaign.status {
        CampaignStatus::Draft => vec![
            (
                CampaignStatus::Active,
                td_string!(locale, campaigns.activate).to_owned(),
            ),
            (
                CampaignStatus::Ended,
                td_string!(locale, campaigns.end).to_owned(),
            ),
        ],
        CampaignStatus::Active => vec![
            (
                CampaignStatus::Paused,
                td_string!(locale, campaigns.pause).to_owned(),
            ),
            (
                CampaignStatus::Ended,
                td_string!(locale, campaigns.end).to_owned(),
            ),
        ],
        CampaignStatus::Paused => vec![
            (
                CampaignStatus::Active,
                td_string!(locale, campaigns.resume).to_owned(),
            ),
            (
                CampaignStatus::Ended,
                td_string!(locale, campaigns.end).to_owned(),
            ),
        ],
        CampaignStatus::Ended => vec![],
    };
    let badge = match campaign.status {
        CampaignStatus::Active => "bg-emerald-100 text-emerald-800",
        CampaignStatus::Draft => "bg-amber-100 text-amber-900",
        _ => "bg-stone-200 text-stone-700",
    };
    let code = campaign.code.clone();
    view! {
        <tr class="border-t border-stone-100" data-testid="campaign-row" data-code=campaign.code.clone() data-status=campaign.status.as_str()>
            <td class="px-3 py-2">
                <div class="font-semibold">{campaign.spec.name.to_string()}</div>
                <div class="font-mono text-xs text-stone-500">{format!("{} · v{}", campaign.code, campaign.version)}</div>
            </td>
            <td class="px-3 py-2"><span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {badge}")>{status_name(locale, campaign.status)}</span></td>
            <td class="px-3 py-2 font-mono" data-testid="campaign-budget">{format!("¥{} / ¥{}", campaign.used_today, campaign.spec.daily_budget_cap)}</td>
            <td class="px-3 py-2" data-testid="campaign-granted">{campaign.granted_today}</td>
            <td class="px-3 py-2 font-mono">{format!("¥{}", campaign.cost)}</td>
            <td class="px-3 py-2">
                <div class="flex flex-wrap gap-2">
                    {next.into_iter().map(|(to, label)| {
                        let code = code.clone();
                        view! {
                            <ActionForm action=status>
                                <input type="hidden" name="code" value=code.clone() />
                                <input type="hidden" name="status" value=to.as_str() />
                                <button type="submit" data-testid=format!("campaign-{}", to.as_str().to_lowercase())
                                    class="rounded-lg px-3 py-1 text-sm font-semibold text-red-800 ring-1 ring-red-200 hover:bg-red-50">{label}</button>
                            </ActionForm>
                        }
                    }).collect_view()}
                </div>
            </td>
        </tr>
    }
}

const FIELD: &str = "w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200";
const LABEL: &str = "block text-sm font-medium text-stone-700";

#[component]
fn NewCampaignForm(
    create: ServerAction<ConsoleCreateCampaign>,
    fragments: Vec<(String, String)>,
    checks: Vec<crate::api::rules::CheckForm>,
    codes: Vec<(String, String)>,
    pictures: Vec<(String, String)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let triggers = [
        "USER_ENTER_SHOP",
        "PAYMENT_DONE",
        "RECHARGE_DONE",
        "CARD_REDEEMED",
        "STEPS_SYNCED",
    ];
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <h2 class="text-lg font-semibold">{t!(i18n, campaigns.new_campaign)}</h2>
            <ActionForm action=create attr:class="mt-3 grid grid-cols-2 gap-3">
                <div><label for="c-code" class=LABEL>{t!(i18n, campaigns.code)}</label>
                    <input id="c-code" name="form[code]" required placeholder="RAINY_SPICY" class=FIELD data-testid="c-code" /></div>
                <div><label for="c-name" class=LABEL>{t!(i18n, campaigns.name)}</label>
                    <input id="c-name" name="form[name]" required class=FIELD data-testid="c-name" /></div>
                <div><label for="c-trigger" class=LABEL>{t!(i18n, campaigns.trigger)}</label>
                    <select id="c-trigger" name="form[trigger]" class=FIELD>
                        {triggers.into_iter().map(|t| view! { <option value=t>{trigger_name(locale, t)}</option> }).collect_view()}
                    </select></div>
                <div><label for="c-priority" class=LABEL>{t!(i18n, campaigns.priority)}</label>
                    <input id="c-priority" name="form[priority]" type="number" min="1" max="100" value="10" class=FIELD /></div>
                <div><label for="c-fragment" class=LABEL>{t!(i18n, campaigns.fragment)}</label>
                    <select id="c-fragment" name="form[fragment]" class=FIELD data-testid="c-fragment">
                        <option value="">{t!(i18n, campaigns.no_fragment)}</option>
                        {fragments.into_iter().map(|(code, name)| view! { <option value=code>{name}</option> }).collect_view()}
                    </select></div>
                <div><label for="c-count" class=LABEL>{t!(i18n, campaigns.count)}</label>
                    <input id="c-count" name="form[fragment_count]" type="number" min="0" max="100" value="1" class=FIELD /></div>
                <div><label for="c-silver" class=LABEL>{t!(i18n, campaigns.silver)}</label>
                    <input id="c-silver" name="form[silver]" type="number" min="0" value="0" class=FIELD data-testid="c-silver" /></div>
                <div><label for="c-budget" class=LABEL>{t!(i18n, campaigns.budget_cap)}</label>
                    <input id="c-budget" name="form[budget]" required inputmode="decimal" value="50" class=FIELD data-testid="c-budget" /></div>
                <ConditionEditor forms=checks codes />
                <div class="col-span-2"><label for="c-title" class=LABEL>{t!(i18n, campaigns.story_title)}</label>
                    <input id="c-title" name="form[title]" required value="{nickname}，欢迎来到{shop}" class=FIELD data-testid="c-title" /></div>
                <div class="col-span-2"><label for="c-text" class=LABEL>{t!(i18n, campaigns.story_text)}</label>
                    <textarea id="c-text" name="form[text]" required rows="2" class=FIELD data-testid="c-text">"{weather}里为你备了{rewards}"</textarea>
                    <p class="text-xs text-stone-500">{t!(i18n, campaigns.story_hint)}</p></div>
                <div class="col-span-2"><label for="c-art" class=LABEL>{t!(i18n, campaigns.story_art)}</label>
                    <select id="c-art" name="form[art]" class=FIELD data-testid="c-art">
                        <option value="">{t!(i18n, campaigns.no_art)}</option>
                        {pictures.into_iter().map(|(id, title)| view! { <option value=id>{title}</option> }).collect_view()}
                    </select></div>
                <div class="col-span-2">
                    <button type="submit" data-testid="c-create" class="rounded-lg bg-red-700 px-5 py-2 font-semibold text-white hover:bg-red-800">{t!(i18n, campaigns.create)}</button>
                </div>
            </ActionForm>
            {move || create.value().get().map(|answer| match answer {
                Ok(_) => view! { <p class="mt-2 text-emerald-800" role="status" data-testid="c-created">{t!(i18n, campaigns.created)}</p> }.into_any(),
                Err(problem) => view! {
                    <div role="alert" class="mt-2 text-red-800" data-testid="c-refused">
                        <p>{problem_text(locale, &problem)}</p>
                        <ul class="list-disc pl-5 text-sm">
                            {problem.errors.map(|e| e.0).unwrap_or_default().into_iter().map(|e| view! { <li>{format!("{}: {}", e.field, e.message)}</li> }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
            })}
        </div>
    }
}

#[component]
fn DryRunPanel(codes: Vec<String>) -> impl IntoView {
    let dry = ServerAction::<ConsoleDryRun>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    let weathers = ["RAINY", "SUNNY", "CLOUDY"];
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <h2 class="text-lg font-semibold">{t!(i18n, campaigns.dry_run)}</h2>
            <ActionForm action=dry attr:class="mt-3 grid grid-cols-2 gap-3">
                <div><label for="d-code" class=LABEL>{t!(i18n, campaigns.name)}</label>
                    <select id="d-code" name="code" class=FIELD data-testid="d-code">
                        {codes.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select></div>
                <div><label for="d-uid" class=LABEL>{t!(i18n, campaigns.dry_uid)}</label>
                    <input id="d-uid" name="uid" value="wx-demo-001" class=FIELD data-testid="d-uid" /></div>
                <div><label for="d-weather" class=LABEL>{t!(i18n, campaigns.weather)}</label>
                    <select id="d-weather" name="weather" class=FIELD data-testid="d-weather">
                        <option value="">{t!(i18n, campaigns.any_weather)}</option>
                        {weathers.into_iter().map(|w| view! { <option value=w>{weather_name(locale, w)}</option> }).collect_view()}
                    </select></div>
                <div class="flex items-end">
                    <button type="submit" data-testid="d-run" class="rounded-lg bg-stone-800 px-5 py-2 font-semibold text-white hover:bg-stone-900">{t!(i18n, campaigns.run)}</button>
                </div>
            </ActionForm>
            {move || dry.value().get().map(|answer| match answer {
                Ok(run) => {
                    let fired = !run.decision.fired.is_empty();
                    view! {
                        <div class="mt-3 space-y-2" data-testid="d-result" data-fired=fired.to_string()>
                            <p class="font-semibold">{if fired { td_string!(locale, campaigns.fired) } else { td_string!(locale, campaigns.not_fired) }}</p>
                            <ul class="text-sm text-stone-700">
                                {run.decision.considered.iter().map(|c| view! {
                                    <li data-testid="d-line">{format!("{} · {} · {}", c.campaign,
                                        td_string!(locale, campaigns.weight, weight = c.weight),
                                        outcome_words(locale, &c.outcome))}</li>
                                }).collect_view()}
                            </ul>
                            {run.story.map(|story| view! {
                                <div class="rounded-xl bg-amber-50 p-3 ring-1 ring-amber-200">
                                    <p class="text-xs text-stone-500">{t!(i18n, campaigns.would_show)}</p>
                                    <p class="font-bold" data-testid="d-story">{story.title.clone()}</p>
                                    {story.scenes.iter().map(|s| view! { <p>{s.text.clone()}</p> }).collect_view()}
                                </div>
                            })}
                        </div>
                    }.into_any()
                }
                Err(problem) => view! { <p role="alert" class="mt-2 text-red-800">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
        </div>
    }
}

/// What a campaign would have done with the last days' triggers (a backtest: nothing is
/// given), and what it did against its holdout.
#[component]
fn LabPanel(codes: Vec<String>, utc_offset: i32) -> impl IntoView {
    let backtest = ServerAction::<ConsoleBacktest>::new();
    let holdout = ServerAction::<ConsoleHoldout>::new();
    let i18n = use_i18n();
    let locale = page_locale();
    let options = move || {
        codes
            .iter()
            .map(|c| view! { <option value=c.clone()>{c.clone()}</option> })
            .collect_view()
    };
    let options_too = options.clone();
    view! {
        <div class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <h2 class="text-lg font-semibold">{t!(i18n, campaigns.lab)}</h2>
            <p class="text-sm text-stone-500">{t!(i18n, campaigns.lab_hint)}</p>
            <ActionForm action=backtest attr:class="mt-3 flex flex-wrap items-end gap-3">
                <div><label for="b-code" class=LABEL>{t!(i18n, campaigns.name)}</label>
                    <select id="b-code" name="code" class=FIELD data-testid="b-code">{options}</select></div>
                <div><label for="b-days" class=LABEL>{t!(i18n, campaigns.days)}</label>
                    <input id="b-days" name="days" type="number" min="1" max="90" value="7" class=format!("{FIELD} w-24") data-testid="b-days" /></div>
                <button type="submit" data-testid="b-run" class="rounded-lg bg-stone-800 px-5 py-2 font-semibold text-white hover:bg-stone-900">{t!(i18n, campaigns.backtest)}</button>
            </ActionForm>
            {move || backtest.value().get().map(|answer| match answer {
                Ok(replay) => view! {
                    <div class="mt-3 space-y-1 text-sm" data-testid="b-result" data-triggers=replay.triggers>
                        <p class="font-semibold">{td_string!(locale, campaigns.replayed, triggers = replay.triggers).to_string()}</p>
                        <ul class="space-y-1 text-stone-700">
                            {replay.campaigns.iter().map(|c| {
                                let ran_out = c.budget_ran_out.iter()
                                    .map(|at| shop_time(*at, utc_offset).format("%m-%d %H:%M").to_string())
                                    .collect::<Vec<_>>()
                                    .join("、");
                                view! {
                                    <li data-testid="b-line" data-campaign=c.campaign.clone()>
                                        {td_string!(locale, campaigns.would_give, campaign = c.campaign.as_str(), rewards = c.rewards, reach = c.reach, cost = c.cost, held_out = c.held_out).to_string()}
                                        {(!ran_out.is_empty()).then(|| format!(" {}", td_string!(locale, campaigns.ran_out, at = ran_out.as_str())))}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
                Err(problem) => view! { <p role="alert" class="mt-2 text-red-800">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
            <ActionForm action=holdout attr:class="mt-4 flex flex-wrap items-end gap-3">
                <div><label for="h-code" class=LABEL>{t!(i18n, campaigns.name)}</label>
                    <select id="h-code" name="code" class=FIELD data-testid="h-code">{options_too}</select></div>
                <button type="submit" data-testid="h-run" class="rounded-lg bg-stone-800 px-5 py-2 font-semibold text-white hover:bg-stone-900">{t!(i18n, campaigns.holdout)}</button>
            </ActionForm>
            {move || holdout.value().get().map(|answer| match answer {
                Ok(lift) => view! { <p class="mt-3 text-sm text-stone-800" data-testid="h-result">{lift_words(locale, &lift)}</p> }.into_any(),
                Err(problem) => view! { <p role="alert" class="mt-2 text-red-800">{problem_text(locale, &problem)}</p> }.into_any(),
            })}
        </div>
    }
}

/// A holdout report in words: too few diners yet, or the lift with its interval and what
/// the campaign earned beyond what would have happened anyway.
fn lift_words(locale: Locale, lift: &Lift) -> String {
    match lift {
        Lift::Inconclusive {
            treated,
            held_out,
            needed,
        } => td_string!(locale, campaigns.inconclusive, treated, held_out, needed).to_string(),
        Lift::Measured {
            treated,
            held_out,
            spend,
            visits,
            net_incremental,
            reward_cost,
        } => td_string!(
            locale,
            campaigns.measured,
            treated,
            held_out,
            lift = format!("{:.2}", spend.lift),
            low = format!("{:.2}", spend.low),
            high = format!("{:.2}", spend.high),
            visits = format!("{:.2}", visits.lift),
            net = format!("{net_incremental:.2}"),
            cost = reward_cost
        )
        .to_string(),
    }
}

/// Why a campaign did or did not fire, in words a boss reads.
fn outcome_words(locale: Locale, outcome: &crate::domain::rules::Outcome) -> String {
    use crate::domain::rules::Outcome as O;
    match outcome {
        O::Fired => td_string!(locale, campaigns.o_fired).to_owned(),
        O::HeldOut => td_string!(locale, campaigns.o_held_out).to_owned(),
        O::NotTriggered => td_string!(locale, campaigns.o_not_triggered).to_owned(),
        O::ConditionFailed => td_string!(locale, campaigns.o_condition_failed).to_owned(),
        O::OverBudget { used, cap, cost } => {
            td_string!(locale, campaigns.o_over_budget, used, cost, cap).to_string()
        }
        O::LimitReached { reached, .. } => {
            td_string!(locale, campaigns.o_limit_reached, reached).to_string()
        }
        O::OutOfStock => td_string!(locale, campaigns.o_out_of_stock).to_owned(),
        O::StoryRefused { .. } => td_string!(locale, campaigns.o_story_refused).to_owned(),
        O::Suppressed { by } => td_string!(locale, campaigns.o_suppressed, by).to_string(),
    }
}

fn trigger_name(locale: Locale, name: &str) -> String {
    match name {
        "USER_ENTER_SHOP" => td_string!(locale, campaigns.USER_ENTER_SHOP),
        "PAYMENT_DONE" => td_string!(locale, campaigns.PAYMENT_DONE),
        "RECHARGE_DONE" => td_string!(locale, campaigns.RECHARGE_DONE),
        "CARD_REDEEMED" => td_string!(locale, campaigns.CARD_REDEEMED),
        "STEPS_SYNCED" => td_string!(locale, campaigns.STEPS_SYNCED),
        _ => return name.to_owned(),
    }
    .to_owned()
}

pub(super) fn weather_name(locale: Locale, name: &str) -> String {
    match name {
        "RAINY" => td_string!(locale, campaigns.RAINY),
        "SUNNY" => td_string!(locale, campaigns.SUNNY),
        "CLOUDY" => td_string!(locale, campaigns.CLOUDY),
        "SNOWY" => td_string!(locale, campaigns.SNOWY),
        "HOT" => td_string!(locale, campaigns.HOT),
        "COLD" => td_string!(locale, campaigns.COLD),
        _ => td_string!(locale, campaigns.WINDY),
    }
    .to_owned()
}
