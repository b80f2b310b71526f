use leptos::prelude::*;

use crate::api::console::{
    ConsoleUser, CounterScan, ScanAnswer, ShopAtCounter, console_session, counter_shop,
    earlier_scan,
};
use crate::api::payment::ScanResult;
use crate::i18n::*;
use crate::pages::banner::Banner;
use crate::pages::camera::CameraScan;
use crate::pages::feed::LiveFeed;
use crate::pages::receipt::{Printer, ReceiptSlip, Slip, print};
use crate::pages::recharge::RechargePanel;
use crate::pages::refund::RefundPanel;
use crate::pages::{
    from_address, page_locale, problem_text, rotating_key, shown_answer, signed_in,
};

/// The counter: an always-focused scan box (a USB scanner types the code and presses
/// Enter) and a big answer the cashier cannot miss, ready for the next scan at once.
#[component]
pub fn CashierPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| console_session());
    signed_in(session, move |user| view! { <Counter user /> }.into_any())
}

#[component]
fn Counter(user: ConsoleUser) -> impl IntoView {
    let scan = ServerAction::<CounterScan>::new();
    // Without JavaScript a scan comes back to the page with `?answered=<key>`.
    let earlier = from_address(|q| q.get("answered"), earlier_scan);
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(user.next_key.clone(), scan);
    let code_box = NodeRef::<leptos::html::Input>::new();
    let printer = Printer::provide();
    // The shop's name, receipts and today's stock, read again after each scan.
    let shop = Resource::new(move || scan.version().get(), |_| counter_shop());
    Effect::new(move |_| {
        if let Some(Ok(shop)) = shop.get() {
            printer.on.set(shop.auto_print);
        }
    });
    let shop_name = Signal::derive(move || {
        shop.get()
            .and_then(Result::ok)
            .map(|shop| shop.name)
            .unwrap_or_default()
    });
    Effect::new(move |_| {
        // After each answer: ready for the next scan, the box empty and focused.
        scan.version().track();
        if let Some(input) = code_box.get() {
            input.set_value("");
            let _ = input.focus();
        }
    });
    view! {
        <section class="space-y-6">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h1 class="text-3xl font-bold">{t!(i18n, cashier.title)}</h1>
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
                    placeholder=td_string!(locale, cashier.scan_placeholder)
                    data-testid="scan-input"
                    class="min-w-0 flex-1 rounded-xl border-2 border-stone-300 px-4 py-4 font-mono text-2xl focus:border-red-600 focus:outline-none focus:ring-4 focus:ring-red-200"
                />
                <button
                    type="submit"
                    data-testid="scan-submit"
                    class="rounded-xl bg-red-700 px-8 py-4 text-xl font-bold text-white shadow-sm transition hover:bg-red-800 focus:outline-none focus-visible:ring-4 focus-visible:ring-red-300"
                >
                    {t!(i18n, cashier.verify)}
                </button>
            </ActionForm>
            <CameraScan
                testid="camera"
                on_code=Callback::new(move |code: String| {
                    scan.dispatch(CounterScan { code, key: key.get_untracked() });
                })
            />
            <Transition fallback=|| ()>
                {move || {
                    shown_answer(scan.value().get(), earlier.get())
                        .map(|answer| match answer {
                            Ok(answer) => view! { <ScanBanner answer /> }.into_any(),
                            Err(problem) => view! { <Banner ok=false title=problem_text(locale, &problem) detail=String::new() /> }.into_any(),
                        })
                }}
            </Transition>
            <ReceiptSlip printer shop=shop_name />
            <Transition fallback=|| ()>
                {move || shop.get().and_then(Result::ok).map(|shop| view! { <Stock shop /> })}
            </Transition>
            <div class="grid gap-6 lg:grid-cols-2">
                <RechargePanel first_key=user.next_key.clone() />
                <RefundPanel first_key=user.next_key.clone() />
            </div>
            <LiveFeed first_key=user.next_key.clone() />
        </section>
    }
}

#[component]
fn ScanBanner(answer: ScanAnswer) -> impl IntoView {
    let locale = page_locale();
    let code = answer.shown.code;
    match (answer.shown.result, answer.refusal) {
        (Some(ScanResult::CardRedeemed { card_name, benefit, .. }), _) => view! {
            <Banner ok=true title=td_string!(locale, cashier.redeemed, card = card_name).to_string() detail=benefit />
        }
        .into_any(),
        (Some(ScanResult::PaymentCollected { txn_id, amount, deduction, split, .. }), _) => {
            let slip = Slip {
                title: td_string!(locale, receipt.collected).to_owned(),
                lines: vec![
                    (td_string!(locale, receipt.amount).to_owned(), format!("¥{amount}")),
                    (td_string!(locale, receipt.deduction).to_owned(), format!("¥{deduction}")),
                    (td_string!(locale, receipt.paid_principal).to_owned(), format!("¥{}", split.principal)),
                    (td_string!(locale, receipt.paid_bonus).to_owned(), format!("¥{}", split.bonus)),
                ],
                txn_id,
            };
            Effect::new(move |_| print(slip.clone()));
            view! {
            <Banner
                ok=true
                title=td_string!(locale, cashier.collected, amount).to_string()
                detail=td_string!(locale, cashier.deduction, amount = deduction).to_string()
            />
        }
        .into_any()
        }
        (None, Some(problem)) => view! {
            <Banner ok=false title=problem_text(locale, &problem) detail=format!("{} · {}", code, problem.code.as_str()) />
        }
        .into_any(),
        (None, None) => view! { <Banner ok=false title=td_string!(locale, cashier.no_answer).to_owned() detail=String::new() /> }
            .into_any(),
    }
}

/// Today's stock of each card on sale, so the cashier can tell a diner what is left.
#[component]
fn Stock(shop: ShopAtCounter) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    (!shop.stock.is_empty()).then(|| {
        view! {
            <section class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="stock-heading">
                <h2 id="stock-heading" class="text-lg font-semibold">{t!(i18n, cashier.stock)}</h2>
                <ul class="mt-2 flex flex-wrap gap-2" data-testid="counter-stock">
                    {shop.stock.into_iter().map(|card| view! {
                        <li class="rounded-full bg-amber-50 px-3 py-1 text-sm text-amber-900 ring-1 ring-amber-200"
                            data-code=card.code.clone() data-testid="counter-stock-card">
                            {format!("{} · {}", card.name,
                                td_string!(locale, cashier.stock_left, left = card.left_today, cap = card.daily_cap))}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}
