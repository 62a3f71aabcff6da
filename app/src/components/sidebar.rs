//! The chat sidebar: new chat, search, the pinned conversations, the others (newest first, paged),
//! the archived ones (loaded when opened), account links.

use leptos::prelude::*;

use super::{ChatCtx, ConversationItem, LogoutButton, ThemeToggle};
use crate::{
    api::chat::{list_archived, list_conversations},
    dto::UserInfo,
};

#[component]
pub fn Sidebar(user: UserInfo, #[prop(into)] current: Signal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<ChatCtx>();
    let first = ctx.conversations;
    let load_more = Action::new(|cursor: &String| list_conversations(Some(cursor.clone())));
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            ctx.add_page(page);
        }
    });

    let list = move || {
        Suspend::new(async move {
            let page = first.await?;
            let pinned = page.pinned;
            let first_items = page.items;
            let first_cursor = page.next_cursor;
            let items = move || {
                let mut all = first_items.clone();
                for c in ctx.more.get() {
                    if !all.iter().any(|a| a.id == c.id) {
                        all.push(c);
                    }
                }
                all
            };
            let cursor = move || ctx.more_cursor.get().unwrap_or_else(|| first_cursor.clone());
            Ok::<_, crate::error::AppError>(view! {
                {(!pinned.is_empty()).then(|| view! {
                    <h2 class="list-heading">"Pinned"</h2>
                    <ul class="conversation-list" data-testid="pinned-list">
                        {pinned.into_iter().map(|c| view! { <ConversationItem conversation=c current/> }).collect_view()}
                    </ul>
                })}
                <ul class="conversation-list" data-testid="conversation-list">
                    <For each=items key=|c| (c.id.clone(), c.title.clone()) let:c>
                        <ConversationItem conversation=c current/>
                    </For>
                </ul>
                {move || {
                    cursor()
                        .map(|next| {
                            view! {
                                <button
                                    type="button"
                                    class="button ghost load-more"
                                    disabled=move || load_more.pending().get()
                                    on:click=move |_| {
                                        load_more.dispatch(next.clone());
                                    }
                                >
                                    "Load more"
                                </button>
                            }
                        })
                }}
            })
        })
    };

    view! {
        <nav class="sidebar" id="sidebar" aria-label="Conversations" data-testid="sidebar">
            <a class="button primary new-chat" href="/" data-testid="new-chat">
                "+ New chat"
            </a>
            <button
                type="button"
                class="button search-button"
                data-testid="open-search"
                aria-keyshortcuts="Control+K"
                on:click=move |_| ctx.search.set(true)
            >
                <span>"Search"</span>
                <kbd>"Ctrl K"</kbd>
            </button>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <p class="form-error">
                            {move || {
                                errors
                                    .get()
                                    .into_iter()
                                    .map(|(_, e)| e.to_string())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            }}
                        </p>
                    }
                }>{list}</ErrorBoundary>
            </Transition>
            {move || {
                load_more
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|e| view! { <p class="form-error">{e.to_string()}</p> })
            }}
            <ArchivedList current/>
            <footer class="sidebar-footer">
                <p class="whoami" title=user.email.clone()>{user.email.clone()}</p>
                <div class="sidebar-links">
                    <a href="/kb" data-testid="nav-knowledge">"Knowledge"</a>
                    <a href="/pipelines" data-testid="nav-pipelines">"Pipelines"</a>
                    <a href="/settings">"Settings"</a>
                    {user.is_admin().then(|| view! { <a href="/admin">"Admin"</a> })}
                    <LogoutButton/>
                </div>
                <ThemeToggle/>
            </footer>
        </nav>
    }
}

/// "Archived": loaded when opened, and again when a list changes while it is open.
#[component]
fn ArchivedList(#[prop(into)] current: Signal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<ChatCtx>();
    let open = RwSignal::new(false);
    let load = Action::new(|_: &()| list_archived(None));
    Effect::new(move |_| {
        ctx.changes();
        if open.get() {
            load.dispatch(());
        }
    });
    let items = move || {
        load.value().get().map(|r| match r {
            Ok(page) if page.items.is_empty() => view! { <p class="muted">"Nothing archived."</p> }.into_any(),
            Ok(page) => view! {
                <ul class="conversation-list" data-testid="archived-list">
                    {page.items.into_iter().map(|c| view! { <ConversationItem conversation=c current/> }).collect_view()}
                </ul>
            }
            .into_any(),
            Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <details class="archived" data-testid="archived" on:toggle=move |ev| {
            use wasm_bindgen::JsCast;
            let opened = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()).is_some_and(|d| d.open());
            open.set(opened);
        }>
            <summary>"Archived"</summary>
            {items}
        </details>
    }
}
