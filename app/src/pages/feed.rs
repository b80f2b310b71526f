use leptos::prelude::*;

use crate::api::console::{
    CounterPaymentRefund, FEED_LINES, PaymentRefundAnswer, Receipt, earlier_payment_refund,
    feed_today,
};
use crate::api::realtime::{Event, Frame, OnlineMove};
use crate::error::Problem;
use crate::i18n::*;
use crate::pages::banner::Banner;
use crate::pages::live::{shop_time, use_live_events_after};
use crate::pages::{from_address, page_locale, problem_text, rotating_key, shown_answer};

/// What happens at this shop today, newest first, and then as it happens (over the
/// real-time channel); a collected payment can be refunded from its line.
#[component]
pub fn LiveFeed(first_key: String) -> impl IntoView {
    let today = Resource::new(|| (), |_| feed_today());
    // Without JavaScript a refund comes back to the page with `?payment_refunded=<key>`.
    let earlier = from_address(|q| q.get("payment_refunded"), earlier_payment_refund);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let first_key = first_key.clone();
                // Read in the first pass too, so the server waits for it before rendering.
                let _ = earlier.get();
                today
                    .get()
                    .map(|today| match today {
                        Ok(today) => view! { <Feed first_key utc_offset=today.utc_offset today=today.frames earlier /> }.into_any(),
                        Err(problem) => view! { <Banner ok=false title=problem_text(page_locale(), &problem) detail=String::new() /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn Feed(
    first_key: String,
    utc_offset: i32,
    today: Vec<Frame>,
    earlier: Resource<Option<Result<Option<PaymentRefundAnswer>, Problem>>>,
) -> impl IntoView {
    let after = today.last().map(|frame| frame.seq);
    let feed = RwSignal::new(
        today
            .into_iter()
            .rev()
            .filter(|frame| frame.event.is_news())
            .collect::<Vec<_>>(),
    );
    let refund = ServerAction::<CounterPaymentRefund>::new();
    let answer = Signal::derive(move || shown_answer(refund.value().get(), earlier.get()));
    // Payments refunded at any till (their PAYMENT_REFUNDED lines), or just now from here.
    let refunded = Memo::new(move |_| {
        let mut ids: Vec<String> = feed.with(|lines| {
            lines
                .iter()
                .filter_map(|frame| match &frame.event {
                    Event::PaymentRefunded { payment_id, .. } => Some(payment_id.clone()),
                    _ => None,
                })
                .collect()
        });
        if let Some(Ok(PaymentRefundAnswer {
            shown: Receipt {
                receipt: Some(receipt),
            },
            ..
        })) = answer.get()
        {
            ids.push(receipt.payment_id);
        }
        ids
    });
    let i18n = use_i18n();
    let locale = page_locale();
    let key = rotating_key(first_key, refund);
    use_live_events_after(after, move |frame| {
        if !frame.event.is_news() {
            return;
        }
        feed.update(|lines| {
            lines.insert(0, frame);
            lines.truncate(usize::try_from(FEED_LINES).unwrap_or(usize::MAX));
        });
    });
    view! {
        <section class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="feed-heading">
            <h2 id="feed-heading" class="text-lg font-semibold">
                {t!(i18n, feed.title)}
            </h2>
            <Show when=move || feed.with(Vec::is_empty)>
                <p class="mt-2 text-sm text-stone-500" data-testid="live-empty">
                    {t!(i18n, feed.empty)}
                </p>
            </Show>
            {move || answer.get().map(|answer| match answer {
                Ok(PaymentRefundAnswer { shown: Receipt { receipt: Some(receipt) }, .. }) => view! {
                    <Banner
                        ok=true
                        title=td_string!(
                            locale,
                            feed.refunded_amount,
                            amount = receipt.returned.total().unwrap_or(receipt.returned.principal),
                        )
                        .to_string()
                        detail=if receipt.card_reactivated { td_string!(locale, feed.card_active_again).to_owned() } else { String::new() }
                    />
                }
                .into_any(),
                Ok(PaymentRefundAnswer { refusal: Some(problem), .. }) | Err(problem) => view! {
                    <Banner ok=false title=problem_text(locale, &problem) detail=problem.code.as_str().to_owned() />
                }
                .into_any(),
                Ok(_) => ().into_any(),
            })}
            <ul class="mt-2 divide-y divide-stone-100" data-testid="live-feed">
                <For each=move || feed.get() key=|frame| frame.seq let:frame>
                    <FeedLine frame utc_offset refund refunded key />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn FeedLine(
    frame: Frame,
    utc_offset: i32,
    refund: ServerAction<CounterPaymentRefund>,
    refunded: Memo<Vec<String>>,
    key: RwSignal<String>,
) -> impl IntoView {
    let refundable = match &frame.event {
        Event::PaymentCollected { payment_id, .. } => Some(payment_id.clone()),
        _ => None,
    };
    let payment_attr = refundable.clone();
    let i18n = use_i18n();
    let locale = page_locale();
    // Whose line it is: a diner's uid, or nobody's (the shop's AI at work).
    let nobody = String::new();
    let (what, uid) = match &frame.event {
        Event::PaymentCollected { amount, uid, .. } => {
            (td_string!(locale, feed.collected, amount).to_string(), uid)
        }
        Event::CardRedeemed { card_name, uid, .. } => (
            td_string!(locale, feed.redeemed, card = card_name).to_string(),
            uid,
        ),
        Event::WalletUpdated {
            balance,
            uid,
            online,
            ..
        } => {
            let total = balance.total().unwrap_or_default();
            let line = match online {
                None => td_string!(locale, feed.wallet, total).to_string(),
                Some(OnlineMove::Recharged { amount }) => {
                    td_string!(locale, feed.online_recharged, amount, total).to_string()
                }
                Some(OnlineMove::Refunded { amount }) => {
                    td_string!(locale, feed.online_refunded, amount, total).to_string()
                }
                Some(OnlineMove::Reversed { amount }) => {
                    td_string!(locale, feed.online_reversed, amount, total).to_string()
                }
            };
            (line, uid)
        }
        Event::PaymentRefunded { amount, uid, .. } => (
            td_string!(locale, feed.payment_refunded, amount).to_string(),
            uid,
        ),
        Event::AssetChanged { uid, .. } => (td_string!(locale, feed.assets).to_owned(), uid),
        Event::Story { story, uid, .. } => (
            td_string!(locale, feed.story, title = story.title.as_str()).to_string(),
            uid,
        ),
        Event::RewardGiven {
            campaign,
            cost,
            uid,
            ..
        } => (
            td_string!(locale, feed.reward, campaign = campaign.as_str(), cost).to_string(),
            uid,
        ),
        Event::WorkflowProgress {
            workflow,
            node,
            status,
            ..
        } => {
            let workflow = workflow.as_str();
            let line = match status.as_str() {
                "WAITING" => td_string!(locale, feed.workflow_waiting, workflow).to_string(),
                "DONE" => td_string!(locale, feed.workflow_done, workflow).to_string(),
                "FAILED" => td_string!(locale, feed.workflow_failed, workflow).to_string(),
                _ => td_string!(
                    locale,
                    feed.workflow_running,
                    workflow,
                    node = node.as_str()
                )
                .to_string(),
            };
            (line, &nobody)
        }
        // Not news: never a line (the feed leaves them out).
        Event::FiguresUpdated { .. } => (String::new(), &nobody),
    };
    view! {
        <li class="flex items-baseline gap-3 py-2" data-testid="live-line" data-payment=payment_attr>
            <span class="w-20 shrink-0 font-mono text-sm text-stone-500">{shop_time(frame.at, utc_offset).format("%H:%M:%S").to_string()}</span>
            <span class="font-medium">{what}</span>
            <span class="ml-auto text-sm text-stone-500">{uid.clone()}</span>
            {refundable.map(|payment_id| {
                // Once refunded, the line says so instead of offering it again.
                let this_payment = payment_id.clone();
                let refunded = move || refunded.with(|ids| ids.contains(&this_payment));
                view! {
                    <Show
                        when=refunded
                        fallback=move || {
                            let payment_id = payment_id.clone();
                            view! {
                                <ActionForm action=refund>
                                    <input type="hidden" name="payment_id" value=payment_id />
                                    <input type="hidden" name="key" value=move || key.get() />
                                    <button type="submit" data-testid="refund-payment" class="rounded-lg px-3 py-1 text-sm font-semibold text-red-700 ring-1 ring-red-200 hover:bg-red-50">
                                        {t!(i18n, feed.refund)}
                                    </button>
                                </ActionForm>
                            }
                        }
                    >
                        <span class="rounded-lg px-3 py-1 text-sm text-stone-500" data-testid="payment-refunded">{t!(i18n, feed.refunded)}</span>
                    </Show>
                }
            })}
        </li>
    }
}
