//! `/` and `/c/:id`: the sidebar beside the nested route (a new chat or a conversation).

use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_location};

use crate::components::{
    ChatCtx, DrawerControls, SearchDialog, Sidebar, current_user_resource, logged_in, open_search_on_ctrl_k,
};

/// The parent route. Its data is loaded here, once; the child routes (`NewChat`,
/// `ConversationPage`) render in the `Outlet`, which stays outside the login gate's `Suspense`
/// so server rendering builds them (and their resources) exactly once.
#[component]
pub fn ChatPage() -> impl IntoView {
    let me = current_user_resource();
    // The parent route has no `:id` of its own: read the open conversation from the path.
    let location = use_location();
    let current = Memo::new(move |_| {
        location.pathname.with(|p| p.strip_prefix("/c/").map(|id| id.trim_end_matches('/').to_string()))
    });
    let ctx = ChatCtx::new(current);
    provide_context(ctx);
    open_search_on_ctrl_k(ctx.search);
    view! {
        <div class="chat-layout" class:drawer-open=move || ctx.drawer.get()>
            {logged_in(me, move |user| view! { <Sidebar user current/> })}
            <main class="chat-main">
                <DrawerControls open=ctx.drawer/>
                <Outlet/>
            </main>
            <SearchDialog open=ctx.search/>
        </div>
    }
}
