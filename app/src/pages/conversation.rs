//! `/c/:id`: one conversation, its messages (following a reply still being written) and the
//! composer.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::chat::{send_message, stop_generation},
    components::{ChatCtx, ChatSettingsPanel, Composer, ConversationTotals, KbPicker, LiveMessage, MessageList},
    dto::ConversationDetail,
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
    let ConversationDetail { conversation, messages, knowledge_bases } = detail;
    let conversation_id = conversation.id.clone();
    let picker_id = conversation.id.clone();
    let settings_id = conversation.id.clone();
    let kbs = RwSignal::new(knowledge_bases);
    let own_id = conversation.id.clone();
    let original_title = conversation.title.clone();
    let title = Memo::new(move |_| {
        ctx.renamed.get().filter(|(id, _)| *id == own_id).map_or_else(|| original_title.clone(), |(_, t)| t)
    });
    let messages = RwSignal::new(messages.into_iter().map(LiveMessage::from).collect::<Vec<_>>());
    let draft = RwSignal::new(String::new());
    let last_sent = StoredValue::new(String::new());
    let streaming_id =
        Memo::new(move |_| messages.with(|ms| ms.iter().rev().find(|m| m.is_streaming()).map(|m| m.id.clone())));

    let send = Action::new(move |content: &String| send_message(conversation_id.clone(), content.clone()));
    Effect::new(move |_| match send.value().get() {
        Some(Ok(sent)) => {
            // The server titles a conversation from its first message: show the new title.
            ctx.renamed.set(Some((sent.conversation.id, sent.conversation.title)));
            // The reply arrives with status "streaming": its view attaches to the stream.
            messages.update(|ms| {
                ms.push(sent.user.into());
                ms.push(sent.reply.into());
            });
            ctx.refresh();
        }
        // Give the text back to fix and resend (`input()` is already cleared).
        Some(Err(_)) if draft.with_untracked(String::is_empty) => {
            draft.set(last_sent.get_value());
        }
        Some(Err(_)) => {}
        None => {}
    });
    let stop = Action::new(|id: &String| stop_generation(id.clone()));

    let on_send = Callback::new(move |text: String| {
        last_sent.set_value(text.clone());
        draft.set(String::new());
        send.dispatch(text);
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
                <ConversationTotals messages/>
                <ChatSettingsPanel conversation_id=settings_id/>
            </header>
            <MessageList messages/>
            <Composer
                draft
                sending=send.pending()
                streaming=Signal::derive(move || streaming_id.with(Option::is_some))
                error
                on_send
                on_stop
            >
                <KbPicker conversation_id=picker_id selected=kbs/>
            </Composer>
        </section>
    }
}
