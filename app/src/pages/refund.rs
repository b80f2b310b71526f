use leptos::prelude::*;

use crate::api::console::{CounterRefund, PreviewRefund, RefundAnswer, RefundPreview};
use crate::domain::Clawback;
use crate::error::Problem;
use crate::pages::banner::Banner;
use crate::pages::recharge::balance_text;
use crate::pages::{problem_text, rotating_key};

/// Stored-value refund: the clawback is previewed (cash out, bonus taken back, the part of
/// the bonus already spent taken from the principal) before the cashier confirms it.
#[component]
pub fn RefundPanel(first_key: String) -> impl IntoView {
    let preview = ServerAction::<PreviewRefund>::new();
    let refund = ServerAction::<CounterRefund>::new();
    let key = rotating_key(first_key, move || {
        refund
            .value()
            .get()
            .and_then(Result::ok)
            .map(|answer| answer.next_key)
    });
    view! {
        <section class="space-y-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="refund-heading">
            <h2 id="refund-heading" class="text-lg font-semibold">
                "储值退款" <span class="ml-2 text-sm font-normal text-stone-500">"Stored-value refund"</span>
            </h2>
            <ActionForm action=preview attr:class="flex flex-wrap gap-3">
                <input name="uid" required autocomplete="off" placeholder="顾客 ID · Diner ID" data-testid="refund-uid"
                    class="min-w-0 flex-1 rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200" />
                <input name="amount" required inputmode="decimal" placeholder="退还本金 · Principal ¥" data-testid="refund-amount"
                    class="w-40 rounded-lg border border-stone-300 px-3 py-2 text-lg focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200" />
                <button type="submit" data-testid="refund-preview" class="rounded-lg bg-stone-800 px-5 py-2 font-semibold text-white hover:bg-stone-900">
                    "预览 · Preview"
                </button>
            </ActionForm>
            {move || {
                preview.value().get().map(|answer| match answer {
                    Ok(RefundPreview { uid, amount, clawback: Some(clawback), .. }) => view! {
                        <div class="space-y-3" data-testid="refund-preview-result">
                            <ClawbackTable clawback />
                            <ActionForm action=refund>
                                <input type="hidden" name="uid" value=uid />
                                <input type="hidden" name="amount" value=amount.to_string() />
                                <input type="hidden" name="key" value=move || key.get() />
                                <button type="submit" data-testid="refund-confirm" disabled=move || refund.pending().get()
                                    class="w-full rounded-xl bg-red-700 px-6 py-3 text-lg font-bold text-white hover:bg-red-800 disabled:opacity-60">
                                    {format!("确认退款，付现金 ¥{} · Confirm, pay out ¥{}", clawback.payout, clawback.payout)}
                                </button>
                            </ActionForm>
                        </div>
                    }
                    .into_any(),
                    Ok(RefundPreview { refusal: Some(problem), .. }) | Err(problem) => refused(&problem),
                    Ok(_) => ().into_any(),
                })
            }}
            {move || refund.value().get().map(|answer| match answer {
                Ok(RefundAnswer { receipt: Some(receipt), .. }) => view! {
                    <Banner
                        ok=true
                        title=format!("已退款 · Refunded: 付现金 ¥{}", receipt.clawback.payout)
                        detail=format!("余额 · Balance {}", balance_text(receipt.clawback.after))
                    />
                }
                .into_any(),
                Ok(RefundAnswer { refusal: Some(problem), .. }) | Err(problem) => refused(&problem),
                Ok(_) => ().into_any(),
            })}
        </section>
    }
}

fn refused(problem: &Problem) -> AnyView {
    view! { <Banner ok=false title=problem_text(problem) detail=problem.code.as_str().to_owned() /> }
        .into_any()
}

/// The preview's numbers, each named as the rules name it (docs/money-rules.md).
#[component]
fn ClawbackTable(clawback: Clawback) -> impl IntoView {
    let rows = [
        (
            "退还本金 · Principal refunded",
            clawback.refund.to_string(),
            "refund",
        ),
        (
            "应扣回赠送 · Bonus to take back",
            clawback.clawback.to_string(),
            "clawback",
        ),
        (
            "从赠送余额扣 · Taken from the bonus",
            clawback.bonus_taken.to_string(),
            "bonus-taken",
        ),
        (
            "赠送已用，从本金扣 · Already spent, taken from principal",
            clawback.shortfall.to_string(),
            "shortfall",
        ),
        (
            "实付现金 · Cash paid out",
            clawback.payout.to_string(),
            "payout",
        ),
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
                <dt class="text-sm text-amber-900">"退款后余额 · Balance after"</dt>
                <dd class="font-semibold" data-testid="clawback-after">{balance_text(clawback.after)}</dd>
            </div>
        </dl>
    }
}
