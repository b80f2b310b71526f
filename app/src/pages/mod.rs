//! The console's pages and the frame around them.

mod artist;
mod banner;
mod camera;
mod campaigns;
mod cashier;
mod condition_editor;
mod copilot;
mod dashboard;
mod diner;
mod diner_game;
mod feed;
mod home;
mod json_form;
mod language;
mod layout;
mod live;
mod login;
mod not_found;
mod proposals;
mod receipt;
mod recharge;
mod refund;
mod runs;
mod settings;
mod staff;

pub use home::HomePage;
pub use layout::Layout;
pub use login::LoginPage;
pub use not_found::NotFound;

/// A page whose code the browser fetches only when the page is shown (built with
/// `cargo leptos build --split`): the diner never downloads the console, the cashier never the
/// Artist. The server renders it whole as before and names its chunk in the page's `<head>`,
/// so the first load fetches it beside the main bundle and hydration waits for it.
macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        #[doc = concat!("The route of [`", stringify!($page), "`], loaded on demand.")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            // Each page starts its own resources, which the server has already resolved into
            // the first load; only a later navigation waits for the chunk, then the data.
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any($page())
            }
        }
    )*};
}

lazy_pages! {
    ArtistRoute => artist::ArtistPage,
    CampaignsRoute => campaigns::CampaignsPage,
    CashierRoute => cashier::CashierPage,
    DashboardRoute => dashboard::DashboardPage,
    DinerRoute => diner::DinerPage,
    ProposalsRoute => proposals::ProposalsPage,
    SettingsRoute => settings::SettingsPage,
    StaffRoute => staff::StaffPage,
}

use crate::error::{ErrorCode, Problem};
use crate::i18n::{Locale, td_string, use_i18n};

/// The Idempotency-Key of a form's next action: `first` from the page, then the `next_key`
/// of each answer of `action`, so a retry of an action reuses its key and a new one never does.
pub(crate) fn rotating_key<S>(
    first: String,
    action: leptos::prelude::ServerAction<S>,
) -> leptos::prelude::RwSignal<String>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: HandsOutKey + Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    use leptos::prelude::*;
    let key = RwSignal::new(first);
    Effect::new(move |_| {
        let next = action.value().with(|answer| match answer {
            Some(Ok(answer)) => Some(answer.next_key().to_owned()),
            _ => None,
        });
        if let Some(next) = next {
            key.set(next);
        }
    });
    key
}

/// A form's answer that hands out the key for the form's next action.
pub(crate) trait HandsOutKey {
    fn next_key(&self) -> &str;
}

impl<T> HandsOutKey for crate::api::console::FormAnswer<T> {
    fn next_key(&self) -> &str {
        &self.next_key
    }
}

impl HandsOutKey for crate::api::diner_demo::PaymentQr {
    fn next_key(&self) -> &str {
        &self.next_key
    }
}

/// The answer to a lookup's latest question. Leptos 0.8 keeps whichever answer arrives last,
/// so a slow answer to an earlier question (a cashier who corrects a phone number and asks
/// again) would replace the answer to the later one. Each answer names what it answers
/// (`answers`), and only one to the latest question (`asked`) is shown; a failure is shown
/// whenever it comes.
pub(crate) fn latest_answer<S, K>(
    action: leptos::prelude::ServerAction<S>,
    asked: fn(&S) -> K,
    answers: fn(&S::Output) -> K,
) -> leptos::prelude::RwSignal<Option<Result<S::Output, S::Error>>>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
    K: PartialEq + Send + Sync + 'static,
{
    use leptos::prelude::*;
    let latest = StoredValue::new(None::<K>);
    let shown = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(question) = action.input().with(|input| input.as_ref().map(asked)) {
            latest.set_value(Some(question));
        }
    });
    Effect::new(move |_| {
        let Some(answer) = action.value().get() else {
            return;
        };
        let current = match &answer {
            Ok(output) => latest.with_value(|latest| latest.as_ref() == Some(&answers(output))),
            Err(_) => true,
        };
        if current {
            shown.set(Some(answer));
        }
    });
    shown
}

/// What the page's address asks it to show: a form posted without JavaScript comes back to
/// the page with, say, `?recharged=<key>`, and the page shows that answer. `wanted` picks the
/// arguments out of the address (none: nothing to show); `fetch` gets the answer for them.
pub(crate) fn from_address<A, R, Fut>(
    wanted: impl Fn(&leptos_router::params::ParamsMap) -> Option<A> + Send + Sync + 'static,
    fetch: impl Fn(A) -> Fut + Clone + Send + Sync + 'static,
) -> leptos::prelude::Resource<Option<R>>
where
    A: Clone + PartialEq + Send + Sync + 'static,
    R: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    use leptos::prelude::*;
    let query = leptos_router::hooks::use_query_map();
    Resource::new(
        move || query.with(|q| wanted(q)),
        move |args| {
            let fetch = fetch.clone();
            async move {
                match args {
                    Some(args) => Some(fetch(args).await),
                    None => None,
                }
            }
        },
    )
}

/// What an action's form shows: the answer it just got (`now`), else the stored answer the
/// address names (`earlier`). A key with no stored answer means the action failed before it
/// was recorded: said as "busy, try again", which is safe (the key never did anything).
pub(crate) fn shown_answer<T>(
    now: Option<Result<T, Problem>>,
    earlier: Option<Option<Result<Option<T>, Problem>>>,
) -> Option<Result<T, Problem>> {
    now.or_else(|| {
        earlier.flatten().map(|stored| {
            stored.and_then(|answer| {
                answer.ok_or_else(|| {
                    Problem::new(ErrorCode::Busy, "no answer was recorded for this action")
                })
            })
        })
    })
}

/// A signed-in page's data as the page shows it: "loading" until it arrives, then `page`
/// of it; the sign-in page for a caller the server gives nothing (signed out, or not
/// allowed); the problem that stopped the read. Only `page` is generic, so the waiting,
/// the redirect and the refusal are one copy in the bundle for every page.
pub(crate) fn signed_in<T>(
    data: leptos::prelude::Resource<Result<Option<T>, Problem>>,
    page: impl Fn(T) -> leptos::prelude::AnyView + Send + Sync + 'static,
) -> leptos::prelude::AnyView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    use leptos::prelude::*;
    waiting(std::sync::Arc::new(move || {
        data.get().map(|read| match read {
            Ok(Some(data)) => page(data),
            Ok(None) => view! { <leptos_router::components::Redirect path="/login" /> }.into_any(),
            Err(problem) => refused(&problem),
        })
    }))
}

/// What the page has once its data is read (`None` while reading).
type Shown = std::sync::Arc<dyn Fn() -> Option<leptos::prelude::AnyView> + Send + Sync>;

/// "Loading" until `shown` has something, keeping the page's last view on a refetch.
fn waiting(shown: Shown) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    let locale = page_locale();
    view! {
        <Transition fallback=move || view! { <p class="text-stone-500">{td_string!(locale, loading)}</p> }>
            {move || shown()}
        </Transition>
    }
    .into_any()
}

/// The problem that stopped a page's read, said as the console says it.
fn refused(problem: &Problem) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    view! { <p role="alert">{problem_text(page_locale(), problem)}</p> }.into_any()
}

/// The page's language, read once: switching languages loads the page again.
pub(crate) fn page_locale() -> Locale {
    use_i18n().get_locale_untracked()
}

/// A refusal as the console says it: a plain reason for the refusals a counter meets, the
/// problem's own title and detail for the rest.
pub(crate) fn problem_text(locale: Locale, problem: &Problem) -> String {
    let text = match problem.code {
        ErrorCode::CardAlreadyUsed => td_string!(locale, problem.card_already_used),
        ErrorCode::CardExpired => td_string!(locale, problem.card_expired),
        ErrorCode::NotFound => td_string!(locale, problem.not_found),
        ErrorCode::PaymentExpired => td_string!(locale, problem.payment_expired),
        ErrorCode::PaymentNotPending => td_string!(locale, problem.payment_not_pending),
        ErrorCode::InsufficientBalance => td_string!(locale, problem.insufficient_balance),
        ErrorCode::MemberCodeInvalid => td_string!(locale, problem.member_code_invalid),
        ErrorCode::ValidationFailed | ErrorCode::BadRequest => {
            td_string!(locale, problem.unreadable)
        }
        ErrorCode::Unauthorized => td_string!(locale, problem.unauthorized),
        ErrorCode::Forbidden => td_string!(locale, problem.forbidden),
        ErrorCode::IdempotencyInFlight => td_string!(locale, problem.in_flight),
        ErrorCode::Busy => td_string!(locale, problem.busy),
        ErrorCode::DinerNotFound => td_string!(locale, problem.diner_not_found),
        ErrorCode::RefundPreviewChanged => td_string!(locale, problem.refund_preview_changed),
        ErrorCode::RefundExceedsOrder => td_string!(locale, problem.refund_exceeds_order),
        ErrorCode::InsufficientFragments => td_string!(locale, problem.insufficient_fragments),
        ErrorCode::InsufficientSilver => td_string!(locale, problem.insufficient_silver),
        ErrorCode::OutOfStock => td_string!(locale, problem.out_of_stock),
        ErrorCode::StepsUnreadable => td_string!(locale, problem.steps_unreadable),
        ErrorCode::PresenceNotProven => td_string!(locale, problem.presence_not_proven),
        _ => return format!("{} · {}", problem.title, problem.detail),
    };
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_shows_its_new_answer_else_the_one_its_address_names() {
        let now: Option<Result<u8, Problem>> = Some(Ok(1));
        assert_eq!(shown_answer(now.clone(), Some(Some(Ok(Some(2))))), now);
        assert_eq!(shown_answer(None, Some(Some(Ok(Some(2))))), Some(Ok(2)));
        assert_eq!(shown_answer::<u8>(None, None), None, "nothing named");
        assert_eq!(shown_answer::<u8>(None, Some(None)), None, "still loading");
        let missing = shown_answer::<u8>(None, Some(Some(Ok(None))));
        assert!(
            matches!(missing, Some(Err(ref problem)) if problem.code == ErrorCode::Busy),
            "a key with no stored answer says try again: {missing:?}"
        );
    }

    #[test]
    fn the_counters_refusals_are_said_plainly_in_each_language() {
        let problem = |code| Problem::new(code, "internal detail");
        for code in [
            ErrorCode::CardAlreadyUsed,
            ErrorCode::CardExpired,
            ErrorCode::PaymentNotPending,
            ErrorCode::ValidationFailed,
            ErrorCode::DinerNotFound,
            ErrorCode::RefundPreviewChanged,
        ] {
            let (zh, en) = (
                problem_text(Locale::zh, &problem(code)),
                problem_text(Locale::en, &problem(code)),
            );
            assert_ne!(zh, en, "{code:?}");
            assert!(!zh.contains("internal detail"), "{zh}");
        }
        assert_eq!(
            problem_text(Locale::zh, &problem(ErrorCode::CardAlreadyUsed)),
            "此券已使用"
        );
        assert_eq!(
            problem_text(Locale::en, &problem(ErrorCode::CardAlreadyUsed)),
            "Already used"
        );
        assert_eq!(
            problem_text(Locale::zh, &problem(ErrorCode::RefundPreviewChanged)),
            "顾客余额刚有变动，本次未退款。请核对新的退款预览后再确认"
        );
        // Others keep the problem's own title and detail.
        let other = problem_text(Locale::en, &problem(ErrorCode::Conflict));
        assert!(other.ends_with("internal detail"), "{other}");
    }
}
