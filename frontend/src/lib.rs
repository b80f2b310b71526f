//! The browser entry point: hydrates the server-rendered console.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydration is asynchronous: a lazy page's code arrives in chunks (`pages::lazy_pages`),
    // awaited before its part of the page is hydrated.
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App)
            .await
            .forget();
        // Only now does every handler of the page answer (the tests wait for this mark).
        if let Some(app) = leptos::prelude::document().get_element_by_id("app") {
            _ = app.set_attribute("data-hydrated", "true");
        }
    });
}
