use leptos::prelude::*;

use crate::api::console::{
    CounterRefund, PreviewRefund, RefundAnswer, RefundDone, RefundPreview, earlier_refund,
    preview_refund,
};
use crate::domain::{Clawback, Money};
use crate::error::Problem;
use crate::i18n::*;
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
    let i18n = use_i18n();
    let locale = page_locale();
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
                    Ok(RefundPreview { uid, amount, clawback: Some(clawback), .. }) => view! {
                        <div class="space-y-3" data-testid="refund-preview-result">
                            <ClawbackTable clawback />
                            <ActionForm action=refund>
                                <input type="hidden" name="uid" value=uid />
                                <input type="hidden" name="amount" value=amount.to_string() />
                                // What the cashier is about to pay out: the server refuses any other.
                                <input type="hidden" name="expected_payout" value=clawback.payout.to_string() />
                                <input type="hidden" name="key" value=move || key.get() />
                                <button type="submit" data-testid="refund-confirm" disabled=move || refund.pending().get()
                                    class="w-full rounded-xl bg-red-700 px-6 py-3 text-lg font-bold text-white hover:bg-red-800 disabled:opacity-60">
                                    {td_string!(locale, refund.confirm, payout = clawback.payout).to_string()}
                                </button>
                            </ActionForm>
                        </div>
                    }
                    .into_any(),
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
            </Transition>
        </section>
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
