//! `/` and `/c/:id`: the sidebar beside the nested route (a new chat or a conversation).

use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_location};

use crate::{
    components::{ChatCtx, Sidebar, logged_in},
    dto::UserInfo,
};

#[component]
pub fn ChatPage() -> impl IntoView {
    logged_in(|user| view! { <ChatLayout user/> })
}

#[component]
fn ChatLayout(user: UserInfo) -> impl IntoView {
    provide_context(ChatCtx::new());
    // The parent route has no `:id` of its own: read the open conversation from the path.
    let location = use_location();
    let current = Memo::new(move |_| {
        location.pathname.with(|p| p.strip_prefix("/c/").map(|id| id.trim_end_matches('/').to_string()))
    });
    view! {
        <div class="chat-layout">
            <Sidebar user current/>
            <main class="chat-main">
                <Outlet/>
            </main>
        </div>
    }
}
