use leptos::prelude::*;

use crate::api::console::{
    CounterRecharge, DinerAtCounter, FindDiner, FoundDiners, Receipt, RechargeAnswer,
    earlier_recharge, find_diner,
};
use crate::domain::Balance;
use crate::i18n::*;
use crate::pages::banner::Banner;
use crate::pages::camera::CameraScan;
use crate::pages::receipt::{Slip, print};
use crate::pages::{
    from_address, latest_answer, page_locale, problem_text, rotating_key, shown_answer,
};

/// Recharge at the counter: find the diner, pick a tier, confirm.
#[component]
pub fn RechargePanel(first_key: String) -> impl IntoView {
    let find = ServerAction::<FindDiner>::new();
    let found = latest_answer(
        find,
        |asked| asked.uid.trim().to_owned(),
        |found| found.wanted.clone(),
    );
    let recharge = ServerAction::<CounterRecharge>::new();
    // Without JavaScript the forms come back to the page, whose address says what to show.
    let earlier_found = from_address(|q| q.get("diner"), find_diner);
    let earlier_recharged = from_address(|q| q.get("recharged"), earlier_recharge);
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(first_key, recharge);
    view! {
        <section class="space-y-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="recharge-heading">
            <h2 id="recharge-heading" class="text-lg font-semibold">
                {t!(i18n, recharge.title)}
            </h2>
            <ActionForm
                action=find
                attr:class="flex gap-3"
                attr:data-testid="recharge-find-form"
                attr:aria-busy=move || find.pending().get().to_string()
            >
                <input
                    name="uid"
                    required
                    autocomplete="off"
                    placeholder=td_string!(locale, recharge.find_placeholder)
                    data-testid="recharge-uid"
                    class="min-w-0 flex-1 rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200"
                />
                <button type="submit" data-testid="recharge-find" class="rounded-lg bg-stone-800 px-5 py-2 font-semibold text-white hover:bg-stone-900">
                    {t!(i18n, recharge.find)}
                </button>
            </ActionForm>
            // The diner's member code (a QR code their phone shows), read with the camera.
            <CameraScan testid="member-camera" on_code=Callback::new(move |uid: String| {
                find.dispatch(FindDiner { uid });
            }) />
            <Transition fallback=|| ()>
            {move || {
                found
                    .get()
                    .or_else(|| earlier_found.get().flatten())
                    .map(|found| match found {
                        Ok(FoundDiners { refusal: Some(problem), .. }) | Err(problem) => view! {
                            <Banner ok=false title=problem_text(locale, &problem) detail=String::new() />
                        }
                        .into_any(),
                        Ok(FoundDiners { diners, .. }) => view! { <Found diners recharge key /> }.into_any(),
                    })
            }}
            {move || {
                shown_answer(recharge.value().get(), earlier_recharged.get())
                    .map(|answer| view! { <RechargeBanner answer /> })
            }}
            </Transition>
        </section>
    }
}

/// One diner: their tiers. Several (a shared phone number): a list to choose from, never
/// one picked for the cashier. Choosing is a plain GET of the counter with that diner
/// (`?diner=<uid>`), which the page's script turns into a choice in place.
#[component]
fn Found(
    diners: Vec<DinerAtCounter>,
    recharge: ServerAction<CounterRecharge>,
    key: RwSignal<String>,
) -> impl IntoView {
    let locale = page_locale();
    let i18n = use_i18n();
    let chosen = RwSignal::new(None::<DinerAtCounter>);
    match <[DinerAtCounter; 1]>::try_from(diners) {
        Ok([diner]) => view! { <TierChoice diner recharge key /> }.into_any(),
        Err(diners) if diners.is_empty() => view! {
            <Banner ok=false title=td_string!(locale, recharge.no_such_diner).to_owned() detail=String::new() />
        }
        .into_any(),
        Err(diners) => view! {
            {move || chosen.get().map(|diner| view! { <TierChoice diner recharge key /> })}
            <Show when=move || chosen.with(Option::is_none)>
                <div class="space-y-2" data-testid="recharge-matches">
                    <p class="font-semibold">{td_string!(locale, recharge.several_found, count = diners.len()).to_string()}</p>
                    <ul class="divide-y divide-stone-200 rounded-xl ring-1 ring-stone-200">
                        {diners
                            .clone()
                            .into_iter()
                            .map(|diner| {
                                let choice = diner.clone();
                                view! {
                                    <li class="flex items-center gap-3 p-3" data-testid="recharge-match">
                                        <span class="font-semibold">{diner.nickname.clone().unwrap_or_default()}</span>
                                        <span class="text-sm text-stone-500">{diner.uid.clone()}</span>
                                        <span class="ml-auto text-sm">{balance_text(locale, diner.balance)}</span>
                                        <form
                                            method="get"
                                            action="/cashier"
                                            on:submit=move |ev| {
                                                ev.prevent_default();
                                                chosen.set(Some(choice.clone()));
                                            }
                                        >
                                            <input type="hidden" name="diner" value=diner.uid.clone() />
                                            <button
                                                type="submit"
                                                data-testid="recharge-choose"
                                                class="rounded-lg bg-stone-800 px-4 py-1.5 font-semibold text-white hover:bg-stone-900"
                                            >
                                                {t!(i18n, recharge.choose)}
                                            </button>
                                        </form>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            </Show>
        }
        .into_any(),
    }
}

#[component]
fn TierChoice(
    diner: DinerAtCounter,
    recharge: ServerAction<CounterRecharge>,
    key: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let who = diner.nickname.clone().unwrap_or_else(|| diner.uid.clone());
    // The balance as found, then as each recharge made from this choice leaves it.
    let balance = RwSignal::new(diner.balance);
    let found_at = recharge.version().get_untracked();
    Effect::new(move |_| {
        if recharge.version().get() > found_at
            && let Some(Ok(RechargeAnswer {
                shown: Receipt {
                    receipt: Some(receipt),
                },
                ..
            })) = recharge.value().get()
        {
            balance.set(receipt.balance);
        }
    });
    view! {
        <div class="space-y-3" data-testid="recharge-diner">
            <p class="text-lg">
                <span class="font-semibold">{who}</span>
                <span class="ml-2 text-sm text-stone-500">{diner.uid.clone()}</span>
                <span class="ml-4" data-testid="recharge-balance">{t!(i18n, recharge.current_balance)} " " {move || balance_text(locale, balance.get())}</span>
            </p>
            <ActionForm action=recharge attr:class="space-y-3">
                <input type="hidden" name="uid" value=diner.uid.clone() />
                <input type="hidden" name="key" value=move || key.get() />
                <fieldset class="grid gap-2 sm:grid-cols-2">
                    <legend class="sr-only">{t!(i18n, recharge.tier)}</legend>
                    {diner
                        .tiers
                        .into_iter()
                        .map(|tier| {
                            let gets = tier.pay.checked_add(tier.bonus).unwrap_or(*tier.pay);
                            view! {
                                <label class="flex cursor-pointer items-center gap-3 rounded-xl border-2 border-stone-200 p-3 has-[:checked]:border-red-600 has-[:checked]:bg-red-50">
                                    <input type="radio" name="tier" value=tier.code.to_string() required class="h-5 w-5 accent-red-700" />
                                    <span class="font-semibold">{tier.label.to_string()}</span>
                                    <span class="ml-auto text-sm text-stone-600">{td_string!(locale, recharge.pay_gets, pay = tier.pay, gets).to_string()}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" data-testid="recharge-confirm" class="w-full rounded-xl bg-red-700 px-6 py-3 text-lg font-bold text-white hover:bg-red-800 disabled:opacity-60" disabled=move || recharge.pending().get()>
                    {t!(i18n, recharge.confirm)}
                </button>
            </ActionForm>
        </div>
    }
}

#[component]
fn RechargeBanner(answer: Result<RechargeAnswer, crate::error::Problem>) -> impl IntoView {
    let locale = page_locale();
    match answer {
        Ok(RechargeAnswer {
            shown: Receipt {
                receipt: Some(receipt),
            },
            ..
        }) => {
            let slip = Slip {
                title: td_string!(locale, receipt.recharged).to_owned(),
                lines: vec![
                    (td_string!(locale, receipt.tier).to_owned(), receipt.tier.clone()),
                    (td_string!(locale, receipt.paid).to_owned(), format!("¥{}", receipt.paid)),
                    (td_string!(locale, receipt.bonus).to_owned(), format!("¥{}", receipt.bonus)),
                    (td_string!(locale, receipt.balance).to_owned(), balance_text(locale, receipt.balance)),
                ],
                txn_id: receipt.txn_id.clone(),
            };
            Effect::new(move |_| print(slip.clone()));
            view! {
                <Banner
                    ok=true
                    title=td_string!(locale, recharge.done, tier = receipt.tier).to_string()
                    detail=td_string!(locale, recharge.balance_after, balance = balance_text(locale, receipt.balance)).to_string()
                />
            }
            .into_any()
        }
        Ok(RechargeAnswer {
            refusal: Some(problem),
            ..
        })
        | Err(problem) => view! {
            <Banner ok=false title=problem_text(locale, &problem) detail=problem.code.as_str().to_owned() />
        }
        .into_any(),
        Ok(_) => ().into_any(),
    }
}

/// `¥120.00（本金 ¥100.00 + 赠送 ¥20.00）`
pub(crate) fn balance_text(locale: Locale, balance: Balance) -> String {
    let total = balance.total().unwrap_or(balance.principal);
    td_string!(
        locale,
        balance,
        total,
        principal = balance.principal,
        bonus = balance.bonus
    )
    .to_string()
}
