//! The counter's receipt: with the shop's `auto_print` on, each collection or recharge opens
//! a slip and the browser's print dialog (a receipt printer is a printer to the browser);
//! printed, the page shows the slip alone (style/tailwind.css, `@media print`).

use leptos::prelude::*;

use crate::i18n::*;

/// What a slip says: a heading, its lines (what, how much) and the ledger's transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Slip {
    pub title: String,
    pub lines: Vec<(String, String)>,
    pub txn_id: String,
}

/// The counter's printer: whether the shop prints, and the slip to print.
#[derive(Clone, Copy)]
pub struct Printer {
    pub on: RwSignal<bool>,
    slip: RwSignal<Option<Slip>>,
}

impl Printer {
    /// A printer for the counter's panels (they find it in the context).
    pub fn provide() -> Self {
        let printer = Self {
            on: RwSignal::new(false),
            slip: RwSignal::new(None),
        };
        provide_context(printer);
        printer
    }
}

/// Prints `slip` at the counter when its shop prints receipts. Called from a panel's
/// effect (in the browser), once per answer shown.
pub fn print(slip: Slip) {
    if let Some(printer) = use_context::<Printer>()
        && printer.on.get_untracked()
    {
        printer.slip.set(Some(slip));
    }
}

/// The slip, opened with the print dialog each time a new one arrives.
#[component]
pub fn ReceiptSlip(printer: Printer, shop: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| {
        if printer.slip.with(Option::is_some) {
            // After the slip is drawn.
            request_animation_frame(|| {
                let _ = window().print();
            });
        }
    });
    move || {
        printer.slip.get().map(|slip| {
            view! {
                <section id="receipt" class="mx-auto w-72 rounded-lg bg-white p-4 font-mono text-sm text-stone-900 shadow ring-1 ring-stone-300"
                    aria-labelledby="receipt-heading" data-testid="receipt">
                    <h2 id="receipt-heading" class="text-center text-base font-bold">{shop.get()}</h2>
                    <p class="text-center">{slip.title.clone()}</p>
                    <dl class="mt-2 border-t border-dashed border-stone-400 pt-2">
                        {slip.lines.iter().map(|(what, amount)| view! {
                            <div class="flex justify-between gap-2"><dt>{what.clone()}</dt><dd>{amount.clone()}</dd></div>
                        }).collect_view()}
                    </dl>
                    <p class="mt-2 border-t border-dashed border-stone-400 pt-2 text-xs text-stone-600">{slip.txn_id.clone()}</p>
                    <div class="mt-3 flex gap-2 print:hidden">
                        <button type="button" class="flex-1 rounded bg-stone-800 px-3 py-1 text-white" on:click=move |_| { let _ = window().print(); }>
                            {t!(i18n, receipt.print)}
                        </button>
                        <button type="button" class="flex-1 rounded bg-white px-3 py-1 ring-1 ring-stone-300" on:click=move |_| printer.slip.set(None)>
                            {t!(i18n, receipt.close)}
                        </button>
                    </div>
                </section>
            }
        })
    }
}
