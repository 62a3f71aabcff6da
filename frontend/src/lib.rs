//! The browser entry point: hydrates the server-rendered page.
// The app's view types nest deeply (as in `app`): hydrating the conversation page needs more.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Not `hydrate_body`: a page that is a lazy route (app/src/pages.rs) hydrates once its chunk
    // has loaded.
    leptos::mount::hydrate_lazy(app::App);
}
