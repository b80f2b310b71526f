use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::console::{
    ConsoleUser, CounterPaymentRefund, CounterScan, PaymentRefundAnswer, ScanAnswer,
    console_session, feed_today,
};
use crate::api::payment::ScanResult;
use crate::api::realtime::{Event, Frame};
use crate::pages::live::{local_time, use_live_events_after};
use crate::pages::recharge::RechargePanel;
use crate::pages::refund::RefundPanel;
use crate::pages::{problem_text, rotating_key};

/// The counter: an always-focused scan box (a USB scanner types the code and presses
/// Enter) and a big answer the cashier cannot miss, ready for the next scan at once.
#[component]
pub fn CashierPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| console_session());
    view! {
        <Transition fallback=|| view! { <p class="text-stone-500">"加载中… Loading…"</p> }>
            {move || {
                session
                    .get()
                    .map(|answer| match answer {
                        Ok(Some(user)) => view! { <Counter user /> }.into_any(),
                        Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(problem) => {
                            view! { <p role="alert">{problem_text(&problem)}</p> }.into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn Counter(user: ConsoleUser) -> impl IntoView {
    let scan = ServerAction::<CounterScan>::new();
    // Every answer brings the key for the next scan: a retry of one scan reuses its key, a
    // new scan never does.
    let key = RwSignal::new(user.next_key.clone());
    let code_box = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(answer)) = scan.value().get() {
            key.set(answer.next_key);
        }
        // Ready for the next scan: empty box, focused.
        if let Some(input) = code_box.get() {
            input.set_value("");
            let _ = input.focus();
        }
    });
    view! {
        <section class="space-y-6">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h1 class="text-3xl font-bold">"收银台" <span class="ml-2 text-lg font-normal text-stone-500">"Counter"</span></h1>
                <p class="text-sm text-stone-500" data-testid="signed-in-as">
                    {format!("{} · {} · {}", user.staff_id, user.role, user.merchant_id)}
                </p>
            </div>
            <ActionForm action=scan attr:class="flex flex-col gap-3 sm:flex-row" attr:data-testid="scan-form">
                <input type="hidden" name="key" value=move || key.get() />
                <input
                    node_ref=code_box
                    name="code"
                    required
                    autofocus
                    autocomplete="off"
                    inputmode="text"
                    placeholder="扫码或输入券码 / 付款码 · Scan or type a code"
                    data-testid="scan-input"
                    class="min-w-0 flex-1 rounded-xl border-2 border-stone-300 px-4 py-4 font-mono text-2xl focus:border-red-600 focus:outline-none focus:ring-4 focus:ring-red-200"
                />
                <button
                    type="submit"
                    data-testid="scan-submit"
                    class="rounded-xl bg-red-700 px-8 py-4 text-xl font-bold text-white shadow-sm transition hover:bg-red-800 focus:outline-none focus-visible:ring-4 focus-visible:ring-red-300"
                >
                    "核销 · Verify"
                </button>
            </ActionForm>
            {move || {
                scan.value()
                    .get()
                    .map(|answer| match answer {
                        Ok(answer) => view! { <ScanBanner answer /> }.into_any(),
                        Err(problem) => view! { <Banner ok=false title=problem_text(&problem) detail=String::new() /> }.into_any(),
                    })
            }}
            <div class="grid gap-6 lg:grid-cols-2">
                <RechargePanel first_key=user.next_key.clone() />
                <RefundPanel first_key=user.next_key.clone() />
            </div>
            <LiveFeed first_key=user.next_key.clone() />
        </section>
    }
}

/// What happens at this shop today, newest first, and then as it happens (over the
/// real-time channel); a collected payment can be refunded from its line.
#[component]
fn LiveFeed(first_key: String) -> impl IntoView {
    let today = Resource::new(|| (), |_| feed_today());
    view! {
        <Transition fallback=|| ()>
            {move || {
                let first_key = first_key.clone();
                today
                    .get()
                    .map(|frames| match frames {
                        Ok(frames) => view! { <Feed first_key today=frames /> }.into_any(),
                        Err(problem) => view! { <Banner ok=false title=problem_text(&problem) detail=String::new() /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn Feed(first_key: String, today: Vec<Frame>) -> impl IntoView {
    let after = today.last().map(|frame| frame.seq);
    let feed = RwSignal::new(today.into_iter().rev().collect::<Vec<_>>());
    let refund = ServerAction::<CounterPaymentRefund>::new();
    let key = rotating_key(first_key, move || {
        refund
            .value()
            .get()
            .and_then(Result::ok)
            .map(|answer| answer.next_key)
    });
    use_live_events_after(after, move |frame| {
        feed.update(|lines| {
            lines.insert(0, frame);
            lines.truncate(50);
        });
    });
    view! {
        <section class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="feed-heading">
            <h2 id="feed-heading" class="text-lg font-semibold">
                "实时动态" <span class="ml-2 text-sm font-normal text-stone-500">"Live at this shop"</span>
            </h2>
            <Show when=move || feed.with(Vec::is_empty)>
                <p class="mt-2 text-sm text-stone-500" data-testid="live-empty">
                    "开班后本店的收款、核销、充值会实时出现在这里 · Payments, redemptions and recharges appear here as they happen"
                </p>
            </Show>
            {move || refund.value().get().map(|answer| match answer {
                Ok(PaymentRefundAnswer { receipt: Some(receipt), .. }) => view! {
                    <Banner
                        ok=true
                        title=format!(
                            "已退款 · Refunded ¥{}",
                            receipt.returned.total().unwrap_or(receipt.returned.principal),
                        )
                        detail=if receipt.card_reactivated { "入席令已恢复可用 · Card active again".to_owned() } else { String::new() }
                    />
                }
                .into_any(),
                Ok(PaymentRefundAnswer { refusal: Some(problem), .. }) | Err(problem) => view! {
                    <Banner ok=false title=problem_text(&problem) detail=problem.code.as_str().to_owned() />
                }
                .into_any(),
                Ok(_) => ().into_any(),
            })}
            <ul class="mt-2 divide-y divide-stone-100" data-testid="live-feed">
                <For each=move || feed.get() key=|frame| frame.seq let:frame>
                    <FeedLine frame refund key />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn FeedLine(
    frame: Frame,
    refund: ServerAction<CounterPaymentRefund>,
    key: RwSignal<String>,
) -> impl IntoView {
    let refundable = match &frame.event {
        Event::PaymentCollected { payment_id, .. } => Some(payment_id.clone()),
        _ => None,
    };
    let payment_attr = refundable.clone();
    let (what, uid) = match &frame.event {
        Event::PaymentCollected { amount, uid, .. } => (format!("收款 · Collected ¥{amount}"), uid),
        Event::CardRedeemed { card_name, uid, .. } => (format!("核销 · Redeemed {card_name}"), uid),
        Event::WalletUpdated { balance, uid, .. } => (
            format!(
                "储值变动 · Wallet now ¥{}",
                balance.total().unwrap_or_default()
            ),
            uid,
        ),
        Event::AssetChanged { uid, .. } => ("资产变动 · Assets changed".to_owned(), uid),
    };
    view! {
        <li class="flex items-baseline gap-3 py-2" data-testid="live-line" data-payment=payment_attr>
            <span class="w-20 shrink-0 font-mono text-sm text-stone-500">{local_time(frame.at)}</span>
            <span class="font-medium">{what}</span>
            <span class="ml-auto text-sm text-stone-500">{uid.clone()}</span>
            {refundable.map(|payment_id| view! {
                <ActionForm action=refund>
                    <input type="hidden" name="payment_id" value=payment_id />
                    <input type="hidden" name="key" value=move || key.get() />
                    <button type="submit" data-testid="refund-payment" class="rounded-lg px-3 py-1 text-sm font-semibold text-red-700 ring-1 ring-red-200 hover:bg-red-50">
                        "退款 · Refund"
                    </button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
fn ScanBanner(answer: ScanAnswer) -> impl IntoView {
    match (answer.result, answer.refusal) {
        (Some(ScanResult::CardRedeemed { card_name, benefit, .. }), _) => view! {
            <Banner ok=true title=format!("核销成功 · Redeemed: {card_name}") detail=benefit />
        }
        .into_any(),
        (Some(ScanResult::PaymentCollected { amount, deduction, .. }), _) => view! {
            <Banner
                ok=true
                title=format!("收款成功 · Collected ¥{amount}")
                detail=format!("券抵扣 · Card deduction ¥{deduction}")
            />
        }
        .into_any(),
        (None, Some(problem)) => view! {
            <Banner ok=false title=problem_text(&problem) detail=format!("{} · {}", answer.code, problem.code.as_str()) />
        }
        .into_any(),
        (None, None) => view! { <Banner ok=false title="无结果 · No answer".to_owned() detail=String::new() /> }
            .into_any(),
    }
}

/// The answer, big: green with a tick for done, red with a cross for refused.
#[component]
pub(crate) fn Banner(ok: bool, title: String, detail: String) -> impl IntoView {
    let (class, mark, testid) = if ok {
        ("bg-emerald-600 text-white", "✓", "scan-ok")
    } else {
        ("bg-red-700 text-white", "✕", "scan-refused")
    };
    view! {
        <div role="status" data-testid=testid class=format!("flex items-center gap-5 rounded-2xl p-6 shadow-lg {class}")>
            <span class="text-6xl font-black leading-none" aria-hidden="true">{mark}</span>
            <div>
                <p class="text-2xl font-bold sm:text-3xl">{title}</p>
                <p class="mt-1 text-lg opacity-90">{detail}</p>
            </div>
        </div>
    }
}
