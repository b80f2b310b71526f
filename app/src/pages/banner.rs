use leptos::prelude::*;

/// The answer, big: green with a tick for done, red with a cross for refused.
#[component]
pub fn Banner(ok: bool, title: String, detail: String) -> impl IntoView {
    let (class, mark, testid) = if ok {
        ("bg-emerald-700 text-white", "✓", "scan-ok")
    } else {
        ("bg-red-700 text-white", "✕", "scan-refused")
    };
    view! {
        <div role="status" data-testid=testid class=format!("flex items-center gap-5 rounded-2xl p-6 shadow-lg {class}")>
            <span class="text-6xl font-black leading-none" aria-hidden="true">{mark}</span>
            <div>
                <p class="text-2xl font-bold sm:text-3xl">{title}</p>
                <p class="mt-1 text-lg">{detail}</p>
            </div>
        </div>
    }
}
