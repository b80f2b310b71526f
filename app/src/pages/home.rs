use leptos::prelude::*;

use crate::api::system::{SystemStatus, check_system};
use crate::error::Problem;

/// The console's home: what this installation is and whether its database answers.
#[component]
pub fn HomePage() -> impl IntoView {
    // Bumping `checks` refetches the status through the server function.
    let checks = RwSignal::new(0_u32);
    let status = Resource::new(move || checks.get(), |_| check_system());
    let check_again = move |ev: leptos::ev::SubmitEvent| {
        // With JavaScript: refetch in place. Without: the form reloads the page (fresh SSR).
        ev.prevent_default();
        checks.update(|n| *n += 1);
    };

    view! {
        <section class="mb-8">
            <h1 class="text-3xl font-bold tracking-tight">"欢迎使用餐餐有戏"</h1>
            <p class="mt-2 max-w-2xl text-stone-600">
                "储值、碎片合成入席令、营销剧情推送和 AI 策略师，一个后台管好。"
                <span class="block text-sm text-stone-500">
                    "Stored value, collectible vouchers, marketing stories and an AI strategist — one console."
                </span>
            </p>
        </section>

        <section
            class="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-stone-200"
            aria-labelledby="status-heading"
        >
            <div class="flex flex-wrap items-center justify-between gap-4">
                <div>
                    <h2 id="status-heading" class="text-lg font-semibold">
                        "系统状态"
                        <span class="ml-2 text-sm font-normal text-stone-500">"System status"</span>
                    </h2>
                    <p class="text-sm text-stone-500">
                        "浏览器 → 服务器函数 → 数据库，往返一次。 Browser → server function → database."
                    </p>
                </div>
                <form method="get" action="/" on:submit=check_again>
                    <button
                        type="submit"
                        data-testid="check-again"
                        class="rounded-lg bg-red-700 px-4 py-2 font-semibold text-white shadow-sm transition hover:bg-red-800 focus:outline-none focus-visible:ring-4 focus-visible:ring-red-300 active:scale-95"
                    >
                        "重新检测 · Check again"
                    </button>
                </form>
            </div>
            <Transition fallback=|| view! { <p class="mt-6 text-stone-500">"检测中… Checking…"</p> }>
                {move || {
                    status
                        .get()
                        .map(|answer| match answer {
                            Ok(status) => view! { <StatusDetails status /> }.into_any(),
                            Err(problem) => view! { <ProblemBanner problem /> }.into_any(),
                        })
                }}
            </Transition>
            <p class="mt-4 text-xs text-stone-400" data-testid="check-count">
                {move || format!("本页已检测 {} 次 · checked {} time(s) on this page", checks.get() + 1, checks.get() + 1)}
            </p>
        </section>
    }
}

#[component]
fn StatusDetails(status: SystemStatus) -> impl IntoView {
    let healthy = status.is_healthy();
    let (badge_class, badge_text) = if healthy {
        ("bg-emerald-100 text-emerald-800", "正常 · Healthy")
    } else {
        ("bg-amber-100 text-amber-800", "待迁移 · Schema behind")
    };
    let merchants = if status.merchants.is_empty() {
        "—".to_owned()
    } else {
        status.merchants.join("、")
    };
    let checked_at = status
        .checked_at
        .format("%Y-%m-%d %H:%M:%S%.3f UTC")
        .to_string();

    view! {
        <div data-testid="system-status" class="mt-6">
            <span
                data-testid="status-badge"
                class=format!("inline-block rounded-full px-3 py-1 text-sm font-semibold {badge_class}")
            >
                {badge_text}
            </span>
            <dl class="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
                <Fact label="数据库引擎 · Engine" value=status.engine.clone() testid="engine" />
                <Fact
                    label="结构版本 · Schema"
                    value=format!("v{} / v{}", status.schema_version, status.expected_schema_version)
                    testid="schema"
                />
                <Fact label="查询耗时 · DB time" value=status.database_time_label() testid="db-time" />
                <Fact label="商户 · Restaurants" value=merchants testid="merchants" />
            </dl>
            <p class="mt-4 text-sm text-stone-500">
                "服务器应答时间 · Answered at "
                <time data-testid="checked-at" datetime=status.checked_at.to_rfc3339()>
                    {checked_at}
                </time>
            </p>
        </div>
    }
}

#[component]
fn Fact(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="rounded-xl bg-stone-50 p-4 ring-1 ring-stone-100">
            <dt class="text-xs font-medium uppercase tracking-wide text-stone-500">{label}</dt>
            <dd class="mt-1 text-lg font-semibold" data-testid=testid>{value}</dd>
        </div>
    }
}

#[component]
fn ProblemBanner(problem: Problem) -> impl IntoView {
    view! {
        <div
            role="alert"
            data-testid="status-problem"
            class="mt-6 rounded-xl bg-red-50 p-4 text-red-900 ring-1 ring-red-200"
        >
            <p class="font-semibold">{problem.title.clone()}</p>
            <p class="text-sm">{problem.detail.clone()}</p>
            <p class="mt-1 font-mono text-xs">{problem.code.as_str()}</p>
        </div>
    }
}
