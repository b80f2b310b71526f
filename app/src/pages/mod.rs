//! The console's pages and the frame around them.

mod banner;
mod cashier;
mod diner;
mod feed;
mod home;
mod layout;
mod live;
mod login;
mod not_found;
mod recharge;
mod refund;

pub use cashier::CashierPage;
pub use diner::DinerPage;
pub use home::HomePage;
pub use layout::Layout;
pub use login::LoginPage;
pub use not_found::NotFound;

use crate::error::{ErrorCode, Problem};

/// The Idempotency-Key of a form's next action: `first` from the page, then the `next_key`
/// of each answer (`next`), so a retry of an action reuses its key and a new one never does.
pub(crate) fn rotating_key(
    first: String,
    next: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> leptos::prelude::RwSignal<String> {
    use leptos::prelude::*;
    let key = RwSignal::new(first);
    Effect::new(move |_| {
        if let Some(next) = next() {
            key.set(next);
        }
    });
    key
}

/// A refusal as the console says it, Chinese first.
pub(crate) fn problem_text(problem: &Problem) -> String {
    let text = match problem.code {
        ErrorCode::CardAlreadyUsed => "此券已使用 · Already used",
        ErrorCode::CardExpired => "此券已过期 · Expired",
        ErrorCode::NotFound => "本店没有此码 · Not found at this shop",
        ErrorCode::PaymentExpired => "付款码已过期 · Payment code expired",
        ErrorCode::PaymentNotPending => "此付款码已处理 · Already collected",
        ErrorCode::InsufficientBalance => "余额不足 · Insufficient balance",
        ErrorCode::ValidationFailed | ErrorCode::BadRequest => {
            "无法识别此码 · Not a card or payment code"
        }
        ErrorCode::Unauthorized => {
            "用户名或密码不对，或需重新登录 · Wrong credentials or signed out"
        }
        ErrorCode::Forbidden => "无此权限 · Not allowed",
        ErrorCode::IdempotencyInFlight => "处理中，请稍候 · Still processing",
        ErrorCode::Busy => "系统繁忙，请重试 · Busy, try again",
        _ => return format!("{} · {}", problem.title, problem.detail),
    };
    text.to_owned()
}
