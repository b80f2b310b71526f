use leptos::prelude::*;

use crate::api::console::{
    CounterRefund, CounterRefundOnline, OnlineRefundAnswer, OnlineRefundDone, PreviewRefund,
    RefundAnswer, RefundDone, RefundPreview, earlier_refund, earlier_refund_online, preview_refund,
};
use crate::domain::{Clawback, Money};
use crate::error::Problem;
use crate::i18n::*;
use crate::model::online::{OnlineRefund, RefundableOrder};
use crate::pages::banner::Banner;
use crate::pages::recharge::balance_text;
use crate::pages::{
    from_address, latest_answer, page_locale, problem_text, rotating_key, shown_answer,
};

/// Stored-value refund: the clawback is previewed (cash out, bonus taken back, the part of
/// the bonus already spent taken from the principal) before the cashier confirms it.
#[component]
pub fn RefundPanel(first_key: String) -> impl IntoView {
    let preview = ServerAction::<PreviewRefund>::new();
    let previewed = latest_answer(
        preview,
        |asked| (asked.uid.trim().to_owned(), asked.amount),
        |answer| (answer.uid.clone(), answer.amount),
    );
    let refund = ServerAction::<CounterRefund>::new();
    // Without JavaScript the forms come back to the page, whose address says what to show.
    let earlier_preview = from_address(
        |q| {
            Some((
                q.get("refund_uid")?,
                q.get("refund_amount")?.parse::<Money>().ok()?,
            ))
        },
        |(uid, amount)| preview_refund(uid, amount),
    );
    let earlier_refunded = from_address(|q| q.get("refunded"), earlier_refund);
    let refund_online = ServerAction::<CounterRefundOnline>::new();
    let earlier_online = from_address(|q| q.get("refunded_online"), earlier_refund_online);
    let i18n = use_i18n();
    let locale = page_locale();
    let online_key = rotating_key(first_key.clone(), refund_online);
    let key = rotating_key(first_key, refund);
    // A confirmation refused because the wallet changed since its preview brings the new
    // preview: it takes the old one's place, to be checked and confirmed again.
    Effect::new(move |_| {
        let changed = refund.value().with(|answer| match answer {
            Some(Ok(RefundAnswer {
                shown: RefundDone {
                    changed: Some(now), ..
                },
                ..
            })) => Some(now.clone()),
            _ => None,
        });
        if let Some(now) = changed {
            previewed.set(Some(Ok(now)));
        }
    });
    Effect::new(move |_| {
        let changed = refund_online.value().with(|answer| match answer {
            Some(Ok(OnlineRefundAnswer {
                shown:
                    OnlineRefundDone {
                        changed: Some(now), ..
                    },
                ..
            })) => Some(now.clone()),
            _ => None,
        });
        if let Some(now) = changed {
            previewed.set(Some(Ok(now)));
        }
    });
    view! {
        <section class="space-y-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="refund-heading">
            <h2 id="refund-heading" class="text-lg font-semibold">
                {t!(i18n, refund.title)}
            </h2>
            <ActionForm action=preview attr:class="flex flex-wrap gap-3">
                <input name="uid" required autocomplete="off" placeholder=td_string!(locale, refund.uid_placeholder) data-testid="refund-uid"
                    class="min-w-0 flex-1 rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200" />
                <input name="amount" required inputmode="decimal" placeholder=td_string!(locale, refund.amount_placeholder) data-testid="refund-amount"
                    class="w-40 rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200" />
                <button type="submit" data-testid="refund-preview" class="rounded-lg bg-stone-800 px-5 py-2 font-semibold text-white hover:bg-stone-900">
                    {t!(i18n, refund.preview)}
                </button>
            </ActionForm>
            <Transition fallback=|| ()>
            {move || {
                previewed.get().or_else(|| earlier_preview.get().flatten()).map(|answer| match answer {
                    Ok(RefundPreview { uid, amount, clawback: Some(clawback), online, .. }) => {
                        let cash_uid = uid.clone();
                        view! {
                        <div class="space-y-3" data-testid="refund-preview-result">
                            <ClawbackTable clawback />
                            <ActionForm action=refund>
                                <input type="hidden" name="uid" value=cash_uid />
                                <input type="hidden" name="amount" value=amount.to_string() />
                                // What the cashier is about to pay out: the server refuses any other.
                                <input type="hidden" name="expected_payout" value=clawback.payout.to_string() />
                                <input type="hidden" name="key" value=move || key.get() />
                                <button type="submit" data-testid="refund-confirm" disabled=move || refund.pending().get()
                                    class="w-full rounded-xl bg-red-700 px-6 py-3 text-lg font-bold text-white hover:bg-red-800 disabled:opacity-60">
                                    {td_string!(locale, refund.confirm, payout = clawback.payout).to_string()}
                                </button>
                            </ActionForm>
                            <OnlineChoices uid amount clawback online action=refund_online key=online_key />
                        </div>
                        }
                        .into_any()
                    }
                    Ok(RefundPreview { refusal: Some(problem), .. }) | Err(problem) => refused(locale, &problem),
                    Ok(_) => ().into_any(),
                })
            }}
            {move || shown_answer(refund.value().get(), earlier_refunded.get()).map(|answer| match answer {
                Ok(RefundAnswer { shown: RefundDone { receipt: Some(receipt), .. }, .. }) => view! {
                    <Banner
                        ok=true
                        title=td_string!(locale, refund.done, payout = receipt.clawback.payout).to_string()
                        detail=td_string!(locale, recharge.balance_after, balance = balance_text(locale, receipt.clawback.after)).to_string()
                    />
                }
                .into_any(),
                Ok(RefundAnswer { refusal: Some(problem), .. }) | Err(problem) => refused(locale, &problem),
                Ok(_) => ().into_any(),
            })}
            {move || shown_answer(refund_online.value().get(), earlier_online.get()).map(|answer| match answer {
                Ok(OnlineRefundAnswer { shown: OnlineRefundDone { receipt: Some(receipt), .. }, .. }) => online_banner(locale, &receipt),
                Ok(OnlineRefundAnswer { refusal: Some(problem), .. }) | Err(problem) => refused(locale, &problem),
                Ok(_) => ().into_any(),
            })}
            </Transition>
        </section>
    }
}

/// The diner's online recharges the payout can go back to, each a button that refunds it
/// there (exactly `POST /api/wallet/refund/online`, with the preview's payout).
#[component]
fn OnlineChoices(
    uid: String,
    amount: Money,
    clawback: Clawback,
    online: Vec<RefundableOrder>,
    action: ServerAction<CounterRefundOnline>,
    key: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    (!online.is_empty()).then(|| view! {
        <div class="space-y-2 rounded-xl bg-emerald-50 p-3 ring-1 ring-emerald-200" data-testid="refund-online">
            <h3 class="text-sm font-semibold text-emerald-900">{t!(i18n, refund.online_heading)}</h3>
            {online
                .into_iter()
                .map(|order| {
                    let uid = uid.clone();
                    view! {
                    <ActionForm action attr:class="flex flex-wrap items-center justify-between gap-2">
                        <input type="hidden" name="uid" value=uid />
                        <input type="hidden" name="order" value=order.order.clone() />
                        <input type="hidden" name="amount" value=amount.to_string() />
                        <input type="hidden" name="expected_payout" value=clawback.payout.to_string() />
                        <input type="hidden" name="key" value=move || key.get() />
                        <span class="text-sm text-emerald-900">
                            {td_string!(locale, refund.online_order, tier = order.tier.as_str(), left = order.refundable).to_string()}
                        </span>
                        <button type="submit" data-testid="refund-online-confirm" disabled=move || action.pending().get()
                            class="rounded-lg bg-emerald-700 px-4 py-2 font-semibold text-white hover:bg-emerald-800 disabled:opacity-60">
                            {td_string!(locale, refund.online_confirm, payout = clawback.payout).to_string()}
                        </button>
                    </ActionForm>
                    }
                })
                .collect_view()}
        </div>
    })
}

/// Where a refund back to WeChat Pay is: on its way, back with the diner, or refused (the
/// wallet as it was).
fn online_banner(locale: Locale, receipt: &OnlineRefund) -> AnyView {
    let payout = receipt.clawback.payout;
    let balance = td_string!(
        locale,
        recharge.balance_after,
        balance = balance_text(locale, receipt.clawback.after)
    )
    .to_string();
    match receipt.status.as_str() {
        "FAILED" => view! {
            <Banner ok=false
                title=td_string!(locale, refund.online_failed).to_owned()
                detail=receipt.reason.clone().unwrap_or_default() />
        }
        .into_any(),
        "SUCCESS" => view! {
            <Banner ok=true title=td_string!(locale, refund.online_done, payout).to_string() detail=balance />
        }
        .into_any(),
        _ => view! {
            <Banner ok=true title=td_string!(locale, refund.online_processing, payout).to_string() detail=balance />
        }
        .into_any(),
    }
}

fn refused(locale: Locale, problem: &Problem) -> AnyView {
    view! { <Banner ok=false title=problem_text(locale, problem) detail=problem.code.as_str().to_owned() /> }
        .into_any()
}

/// The preview's numbers, each named as the rules name it (docs/money-rules.md).
#[component]
fn ClawbackTable(clawback: Clawback) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let rows = [
        (
            td_string!(locale, refund.principal_refunded),
            clawback.refund,
            "refund",
        ),
        (
            td_string!(locale, refund.bonus_to_take_back),
            clawback.clawback,
            "clawback",
        ),
        (
            td_string!(locale, refund.taken_from_bonus),
            clawback.bonus_taken,
            "bonus-taken",
        ),
        (
            td_string!(locale, refund.shortfall),
            clawback.shortfall,
            "shortfall",
        ),
        (td_string!(locale, refund.payout), clawback.payout, "payout"),
    ];
    view! {
        <dl class="grid gap-2 sm:grid-cols-2">
            {rows
                .into_iter()
                .map(|(label, value, testid)| view! {
                    <div class="flex justify-between rounded-lg bg-stone-50 px-3 py-2 ring-1 ring-stone-100">
                        <dt class="text-sm text-stone-600">{label}</dt>
                        <dd class="font-mono font-semibold" data-testid=format!("clawback-{testid}")>{format!("¥{value}")}</dd>
                    </div>
                })
                .collect_view()}
            <div class="flex justify-between rounded-lg bg-amber-50 px-3 py-2 ring-1 ring-amber-200 sm:col-span-2">
                <dt class="text-sm text-amber-900">{t!(i18n, refund.balance_after)}</dt>
                <dd class="font-semibold" data-testid="clawback-after">{balance_text(locale, clawback.after)}</dd>
            </div>
        </dl>
    }
}
