//! The browser entry point: hydrates the server-rendered console.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: the pages' own code arrives in chunks (`pages::lazy_pages`), awaited before hydrating.
    leptos::mount::hydrate_lazy(app::App);
}
