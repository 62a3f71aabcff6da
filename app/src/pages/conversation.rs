//! `/c/:id`: one conversation, its messages (following a reply still being written) and the
//! composer.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::chat::{earlier_messages, edit_message, regenerate_reply, send_message, stop_generation, switch_branch},
    components::{
        BranchActions, ChatCtx, ChatSettingsPanel, Composer, ConversationTotals, EarlierMessages, KbPicker,
        LiveMessage, MessageList, use_hydrated,
    },
    dto::{ConversationDetail, MessageDto, MessagePage, SentMessage},
    error::AppError,
};

/// The `/c/:id` route: the conversation the chat route loaded for the URL (see `ChatCtx`).
#[component]
pub fn ConversationPage() -> impl IntoView {
    let ctx = expect_context::<ChatCtx>();
    // Re-run when the URL names another conversation: a fresh view, and the streams of the old
    // one are closed with it.
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading conversation…"</p> }>
            {move || Suspend::new(async move {
                match ctx.conversation.await {
                    Ok(Some(d)) => view! { <ConversationView detail=d/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(AppError::NotFound(_)) => view! {
                        <div class="centered">
                            <p>"This conversation does not exist (any more)."</p>
                            <a class="button primary" href="/">"Start a new chat"</a>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConversationView(detail: ConversationDetail) -> impl IntoView {
    let ctx = expect_context::<ChatCtx>();
    let ConversationDetail { conversation, page, knowledge_bases } = detail;
    let conversation_id = conversation.id.clone();
    let picker_id = conversation.id.clone();
    let settings_id = conversation.id.clone();
    let export_id = conversation.id.clone();
    let kbs = RwSignal::new(knowledge_bases);
    let own_id = conversation.id.clone();
    let original_title = conversation.title.clone();
    let title = Memo::new(move |_| {
        ctx.renamed.get().filter(|(id, _)| *id == own_id).map_or_else(|| original_title.clone(), |(_, t)| t)
    });
    let messages = RwSignal::new(page.messages.into_iter().map(LiveMessage::from).collect::<Vec<_>>());
    let owner = StoredValue::new(Owner::new());
    let earlier = RwSignal::new(page.earlier);
    let earlier_usage = RwSignal::new(page.earlier_usage);
    let older_in = conversation_id.clone();
    let older = Action::new(move |before: &String| {
        let before = before.clone();
        let page = earlier_messages(older_in.clone(), before.clone());
        async move { page.await.map(|p| (before, p)) }
    });
    // Added above the first message shown, if it still is (a switch meanwhile replaced them).
    Effect::new(move |_| {
        let Some(Ok((before, page))) = older.value().get() else { return };
        if messages.with_untracked(|ms| ms.first().is_some_and(|m| m.id == before)) {
            earlier.set(page.earlier);
            earlier_usage.set(page.earlier_usage);
            let added = live(owner, page.messages);
            messages.update(|ms| {
                ms.splice(0..0, added);
            });
        }
    });
    let load_earlier = Callback::new(move |_| {
        if let Some(first) = messages.with_untracked(|ms| ms.first().map(|m| m.id.clone())) {
            older.dispatch(first);
        }
    });
    let draft = RwSignal::new(String::new());
    let files = RwSignal::new(Vec::<crate::dto::AttachmentDto>::new());
    let last_sent = StoredValue::new((String::new(), Vec::new()));
    let streaming_id =
        Memo::new(move |_| messages.with(|ms| ms.iter().rev().find(|m| m.is_streaming()).map(|m| m.id.clone())));

    // Asked after the last message shown, so the reply lands on the branch the user sees.
    let send_to = conversation_id.clone();
    let send = Action::new(move |(content, attached): &(String, Vec<String>)| {
        let after = messages.with_untracked(|ms| ms.last().map(|m| m.id.clone()));
        send_message(send_to.clone(), content.clone(), after, attached.clone())
    });
    // A new question or reply replaces what followed the message it is a sibling of, or goes last.
    let show = move |sent: SentMessage, replaced: Option<String>| {
        // The server titles a conversation from its first message: show the new title.
        ctx.renamed.set(Some((sent.conversation.id, sent.conversation.title)));
        // The reply arrives with status "streaming": its view attaches to the stream.
        messages.update(|ms| {
            if let Some(at) = replaced.and_then(|r| ms.iter().position(|m| m.id == r)) {
                ms.truncate(at);
            }
            ms.extend(live(owner, sent.user.into_iter().chain([sent.reply])));
        });
        ctx.refresh();
    };
    Effect::new(move |_| match send.value().get() {
        Some(Ok(sent)) => show(sent, None),
        // Give the text and files back to fix and resend (both were cleared when sent).
        Some(Err(_)) if draft.with_untracked(String::is_empty) => {
            let (text, attached) = last_sent.get_value();
            draft.set(text);
            files.set(attached);
        }
        Some(Err(_)) => {}
        None => {}
    });
    let stop = Action::new(|id: &String| stop_generation(id.clone()));

    // A refused edit comes back with its text, for the box to open with again.
    let edit = Action::new(|(id, text): &(String, String)| {
        let (id, text) = (id.clone(), text.clone());
        async move { edit_message(id.clone(), text.clone()).await.map(|sent| (sent, id.clone())).map_err(|e| (e, id, text)) }
    });
    let edit_failed = RwSignal::new(None::<(String, String)>);
    let regenerate = Action::new(|(id, model): &(String, Option<String>)| {
        let (id, model) = (id.clone(), model.clone());
        async move { regenerate_reply(id.clone(), model).await.map(|sent| (sent, id)) }
    });
    Effect::new(move |_| match edit.value().get() {
        Some(Ok((sent, replaced))) => show(sent, Some(replaced)),
        Some(Err((_, id, text))) => edit_failed.set(Some((id, text))),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Ok((sent, replaced))) = regenerate.value().get() {
            show(sent, Some(replaced));
        }
    });
    let switch_in = conversation_id.clone();
    let switch = Action::new(move |id: &String| switch_branch(switch_in.clone(), id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(shown)) = switch.value().get() {
            earlier.set(shown.earlier);
            earlier_usage.set(shown.earlier_usage);
            messages.set(live(owner, shown.messages));
        }
    });
    focus_message_in_url(messages, switch);
    // ↑ in the empty composer opens the last question for editing; Esc stops the reply.
    let edit_request = RwSignal::new(None::<String>);
    let on_edit_last = Callback::new(move |_| {
        let last = messages.with_untracked(|ms| {
            ms.iter().rev().find(|m| m.role == crate::dto::MessageRole::User).map(|m| m.id.clone())
        });
        if last.is_some() && streaming_id.get_untracked().is_none() {
            edit_request.set(last);
        }
    });
    stop_on_escape(streaming_id, stop, ctx.search);
    let hydrated = use_hydrated();
    let ready = Signal::derive(move || {
        hydrated.get()
            && streaming_id.with(Option::is_none)
            && !send.pending().get()
            && !edit.pending().get()
            && !regenerate.pending().get()
            && !switch.pending().get()
    });
    provide_context(BranchActions {
        edit: Callback::new(move |e| {
            edit.dispatch(e);
        }),
        regenerate: Callback::new(move |r| {
            regenerate.dispatch(r);
        }),
        switch: Callback::new(move |id| {
            switch.dispatch(id);
        }),
        ready,
        edit_request,
        edit_failed,
    });

    let on_send = Callback::new(move |text: String| {
        let attached = files.get_untracked();
        last_sent.set_value((text.clone(), attached.clone()));
        draft.set(String::new());
        files.set(Vec::new());
        send.dispatch((text, attached.into_iter().map(|a| a.id).collect()));
    });
    let on_stop = Callback::new(move |_| {
        if let Some(id) = streaming_id.get_untracked() {
            stop.dispatch(id);
        }
    });
    let error = Signal::derive(move || {
        send.value()
            .get()
            .and_then(Result::err)
            .or_else(|| stop.value().get().and_then(Result::err))
            .or_else(|| edit.value().get().and_then(Result::err).map(|(e, ..)| e))
            .or_else(|| regenerate.value().get().and_then(Result::err))
            .or_else(|| switch.value().get().and_then(Result::err))
            .or_else(|| older.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    });

    view! {
        // leptos_meta may read this once more after the view is gone (deleting the open
        // conversation navigates away): `try_get`, as the memo may be disposed by then.
        <Title text=move || format!("{} · Web+", title.try_get().unwrap_or_default())/>
        <section class="conversation">
            <header class="conversation-header">
                <h1>{title}</h1>
                <span class="model-name">{conversation.model.clone()}</span>
                <ConversationTotals messages earlier=earlier_usage/>
                <ChatSettingsPanel conversation_id=settings_id/>
                <ExportMenu conversation_id=export_id/>
            </header>
            <MessageList
                messages
                earlier=EarlierMessages { count: earlier, load: load_earlier, loading: older.pending().into() }
            />
            <Composer
                draft
                sending=send.pending()
                streaming=Signal::derive(move || streaming_id.with(Option::is_some))
                error
                on_send
                on_stop
                on_edit_last
                files
            >
                <KbPicker conversation_id=picker_id selected=kbs/>
            </Composer>
        </section>
    }
}

/// Messages made in an effect belong to the page, not to the effect: each run of an effect
/// disposes the signals its run before made, and those messages may still be on screen (a second
/// edit disposed the first one's, and the page panicked when one was drawn again).
fn live(owner: StoredValue<Owner>, messages: impl IntoIterator<Item = MessageDto>) -> Vec<LiveMessage> {
    owner.with_value(|o| o.with(|| messages.into_iter().map(LiveMessage::from).collect()))
}

/// Downloads of the conversation: Markdown (the branch shown) and JSON (every branch, what
/// Settings → Import reads back). Plain links: they work before the page is hydrated too.
#[component]
fn ExportMenu(conversation_id: String) -> impl IntoView {
    let url = move |format: &str| format!("/api/v1/conversations/{conversation_id}/export?format={format}");
    view! {
        <details class="export-menu">
            <summary data-testid="export">"Export"</summary>
            <div class="export-links">
                <a href=url("markdown") download data-testid="export-markdown">"Markdown (this branch)"</a>
                <a href=url("json") download data-testid="export-json">"JSON (all branches)"</a>
            </div>
        </details>
    }
}

/// `?m=<message id>` (a search result): shows that message's branch if another one is shown, then
/// scrolls to the message and marks it for a moment.
fn focus_message_in_url(messages: RwSignal<Vec<LiveMessage>>, switch: Action<String, Result<MessagePage, AppError>>) {
    let query = leptos_router::hooks::use_query_map();
    let wanted = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(m) = query.with(|q| q.get("m")) else { return };
        if !messages.with_untracked(|ms| ms.iter().any(|x| x.id == m)) {
            switch.dispatch(m.clone());
        }
        wanted.set(Some(m));
    });
    // Once the message is shown (at once, or when the switch has answered).
    Effect::new(move |_| {
        let Some(m) = wanted.get() else { return };
        if !messages.with(|ms| ms.iter().any(|x| x.id == m)) {
            return;
        }
        wanted.set(None);
        request_animation_frame(move || {
            let Some(el) = document().get_element_by_id(&format!("m-{m}")) else { return };
            el.scroll_into_view();
            let _ = el.class_list().add_1("message-focused");
            set_timeout(
                move || {
                    let _ = el.class_list().remove_1("message-focused");
                },
                std::time::Duration::from_millis(2000),
            );
        });
    });
}

/// Esc anywhere on the page stops the reply being written, unless something else used the key
/// (the search dialog, an edit box: they call `preventDefault`).
fn stop_on_escape(
    streaming_id: Memo<Option<String>>,
    stop: Action<String, Result<(), AppError>>,
    search_open: RwSignal<bool>,
) {
    // Effects run only in the browser; the listener goes with the page.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |e| {
            if e.key() != "Escape" || e.default_prevented() || search_open.try_get_untracked().unwrap_or(false) {
                return;
            }
            if let Some(Some(id)) = streaming_id.try_get_untracked() {
                stop.dispatch(id);
            }
        });
        on_cleanup(move || handle.remove());
    });
}
