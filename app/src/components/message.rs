//! The messages of a conversation. Text is rendered as escaped text nodes (never as HTML);
//! CSS keeps its line breaks.

use std::sync::Arc;

use leptos::{html, prelude::*};

use super::{
    sources::{CitedText, Sources},
    stream::{ReplySignals, ReplyStream},
    usage::ReplyUsageLine,
};
use crate::dto::{MessageDto, MessageRole, MessageStatus, ReplyUsageDto, SourceDto};

/// A message whose text and status may still change (a reply being generated).
#[derive(Clone)]
pub struct LiveMessage {
    pub id: String,
    pub role: MessageRole,
    pub content: RwSignal<String>,
    pub status: RwSignal<MessageStatus>,
    pub error: RwSignal<Option<String>>,
    /// The passages a reply was given (known when it starts; they never change).
    pub sources: Arc<Vec<SourceDto>>,
    /// What a reply used (known when it ends).
    pub usage: RwSignal<Option<ReplyUsageDto>>,
    /// Parameters the reply's model does not take (known when it starts).
    pub dropped_params: Arc<Vec<String>>,
}

impl From<MessageDto> for LiveMessage {
    fn from(m: MessageDto) -> Self {
        Self {
            id: m.id,
            role: m.role,
            content: RwSignal::new(m.content),
            status: RwSignal::new(m.status),
            error: RwSignal::new(m.error),
            sources: Arc::new(m.sources),
            usage: RwSignal::new(m.usage),
            dropped_params: Arc::new(m.dropped_params),
        }
    }
}

impl LiveMessage {
    pub fn is_streaming(&self) -> bool {
        self.status.with(|s| *s == MessageStatus::Streaming)
    }
}

/// All messages, scrolled to the newest while the reader is at the bottom.
#[component]
pub fn MessageList(messages: RwSignal<Vec<LiveMessage>>) -> impl IntoView {
    let list = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        // Re-run on new messages and on every token of the last one.
        messages.with(|ms| ms.last().map(|m| m.content.track()));
        if let Some(el) = list.get() {
            let distance = el.scroll_height() - el.scroll_top() - el.client_height();
            if distance < 160 {
                el.set_scroll_top(el.scroll_height());
            }
        }
    });
    view! {
        <div class="messages" node_ref=list>
            <Show when=move || messages.with(Vec::is_empty)>
                <p class="empty-hint">"Send a message to start."</p>
            </Show>
            <For each=move || messages.get() key=|m| m.id.clone() let:m>
                <MessageView m/>
            </For>
        </div>
    }
}

#[component]
fn MessageView(m: LiveMessage) -> impl IntoView {
    let LiveMessage { id, role, content, status, error, sources, usage, dropped_params } = m;
    if role == MessageRole::Assistant && status.get_untracked() == MessageStatus::Streaming {
        follow(&id, ReplySignals { content, status, error, usage });
    }
    let badge = move || {
        let s = status.get();
        let label = match s {
            MessageStatus::Stopped => "Stopped",
            MessageStatus::Error => "Error",
            MessageStatus::Interrupted => "Interrupted",
            MessageStatus::Complete | MessageStatus::Streaming => return None,
        };
        Some(view! {
            <p class={format!("badge badge-{}", s.as_str())}>
                <strong>{label}</strong>
                {move || error.get().map(|e| view! { <span class="badge-detail">{e}</span> })}
            </p>
        })
    };
    // "You" / "Assistant" come from CSS, so the element's text is the message alone.
    view! {
        <article
            class=format!("message message-{}", role.as_str())
            data-testid="message"
            data-role=role.as_str()
            data-status=move || status.get().as_str()
        >
            {if sources.is_empty() {
                view! { <div class="message-text">{move || content.get()}</div> }.into_any()
            } else {
                view! {
                    <div class="message-text">
                        <CitedText message_id=id.clone() content sources=sources.clone()/>
                    </div>
                }
                .into_any()
            }}
            <Show when=move || status.with(|s| *s == MessageStatus::Streaming) && content.with(String::is_empty)>
                <p class="typing" aria-label="The assistant is writing">
                    <span></span>
                    <span></span>
                    <span></span>
                </p>
            </Show>
            {badge}
            {(!sources.is_empty()).then(|| view! { <Sources message_id=id.clone() sources=sources.clone()/> })}
            {(role == MessageRole::Assistant).then(|| view! { <ReplyUsageLine usage/> })}
            {(!dropped_params.is_empty()).then(|| {
                let names = dropped_params.join(", ");
                view! {
                    <p class="param-note muted" data-testid="dropped-params">
                        {format!("Not sent, as this model does not take it: {names}")}
                    </p>
                }
            })}
        </article>
    }
}

/// Attaches to a reply still being generated; the stream closes with this component.
fn follow(id: &str, reply: ReplySignals) {
    // Nothing to follow while rendering on the server; and a local (`!Send`) value must not be
    // created there: the render may finish on another thread, where dropping it panics.
    if cfg!(feature = "ssr") {
        return;
    }
    let id = id.to_string();
    let stream = StoredValue::new_local(None::<ReplyStream>);
    // An effect: only in the browser, once hydrated. It reads no signal, so it runs once.
    Effect::new(move |_| match ReplyStream::open(&id, reply) {
        Ok(s) => stream.set_value(Some(s)),
        Err(_) => {
            reply.status.set(MessageStatus::Interrupted);
            reply.error.set(Some("could not follow this reply; reload the page".into()));
        }
    });
    on_cleanup(move || {
        // Dropping the stream closes the EventSource.
        stream.try_update_value(Option::take);
    });
}
