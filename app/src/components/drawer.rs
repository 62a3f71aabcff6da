//! The sidebar as a drawer on phone-sized screens (CSS decides the size: under 720 px wide the
//! sidebar slides in over the page). A bar above the page opens it; the backdrop, Esc, and going
//! to another page close it.

use leptos::{ev::KeyboardEvent, prelude::*};
use leptos_router::hooks::use_location;

/// The bar with the menu button (shown on small screens only) and the backdrop behind the open
/// drawer.
#[component]
pub fn DrawerControls(open: RwSignal<bool>) -> impl IntoView {
    let location = use_location();
    // A link followed in the drawer (a conversation, "New chat") closes it.
    Effect::new(move |_| {
        location.pathname.track();
        location.search.track();
        open.set(false);
    });
    // Only in the browser (effects do not run on the server); removed with the owner.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |e: KeyboardEvent| {
            if e.key() == "Escape" && open.get_untracked() {
                open.set(false);
            }
        });
        on_cleanup(move || handle.remove());
    });
    view! {
        <div class="mobile-bar">
            <button
                type="button"
                class="button ghost drawer-toggle"
                data-testid="open-drawer"
                aria-label="Conversations"
                aria-controls="sidebar"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span aria-hidden="true">"☰"</span>
            </button>
            <span class="mobile-title">"Web+"</span>
        </div>
        <button
            type="button"
            class="drawer-backdrop"
            data-testid="drawer-backdrop"
            aria-label="Close the conversation list"
            tabindex="-1"
            on:click=move |_| open.set(false)
        ></button>
    }
}
