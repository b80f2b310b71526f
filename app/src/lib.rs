//! MealQuest's application: shared types, pure domain rules, the Leptos pages and the server
//! functions. Compiled twice: for the server (`ssr`) and for the browser (`hydrate`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
mod auth_types;
pub mod domain;
pub mod error;
mod pages;
#[cfg(feature = "ssr")]
pub mod realtime;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment};

/// The HTML document around the app (rendered on the server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-stone-50 text-stone-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// The root component: styles, title and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this flips once hydration is done (tests wait on it).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/mealquest.css" />
        <Title text="餐餐有戏 MealQuest" />
        <div id="app" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <pages::Layout>
                    <Routes fallback=pages::NotFound>
                        <Route path=StaticSegment("") view=pages::HomePage />
                        // In order: the page arrives whole, so it works without JavaScript
                        // (out-of-order streaming swaps content in with a script).
                        <Route path=StaticSegment("login") view=pages::LoginPage ssr=SsrMode::InOrder />
                        <Route path=StaticSegment("cashier") view=pages::CashierPage ssr=SsrMode::InOrder />
                        <Route path=StaticSegment("diner") view=pages::DinerPage ssr=SsrMode::InOrder />
                    </Routes>
                </pages::Layout>
            </Router>
        </div>
    }
}
