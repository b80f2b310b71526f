use leptos::prelude::*;

/// The frame of every console page: brand bar on top, content below.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <header class="border-b border-red-900/10 bg-gradient-to-r from-red-700 to-orange-600 text-white shadow">
            <div class="mx-auto flex max-w-5xl items-center justify-between px-4 py-3 sm:px-6">
                <a href="/" class="flex items-baseline gap-2">
                    <span class="text-2xl font-black tracking-wide">"餐餐有戏"</span>
                    <span class="text-sm font-medium text-orange-100">"MealQuest"</span>
                </a>
                <span class="rounded-full bg-white/15 px-3 py-1 text-xs font-medium">
                    "商户控制台 · Merchant console"
                </span>
            </div>
        </header>
        <main class="mx-auto max-w-5xl px-4 py-8 sm:px-6">{children()}</main>
    }
}
