//! The messages of a conversation. A reply is shown as the HTML the server rendered and
//! sanitised (`webplus::render`: Markdown, highlighted code), one element per top-level block, so
//! a streamed reply replaces only the block that changed; a grounded reply's `[n]` markers are
//! links to its sources. The user's own messages are escaped text nodes (CSS keeps their line
//! breaks).

use std::sync::Arc;

use leptos::{html, prelude::*};

use super::{
    ChatCtx,
    attachments::AttachmentChips,
    branch::{BranchActions, EditBox, RegenerateButtons, Switcher},
    sources::Sources,
    stream::{ReplySignals, ReplyStream},
    usage::ReplyUsageLine,
};
use crate::dto::{AttachmentDto, MessageDto, MessageRole, MessageStatus, ReplyUsageDto, SourceDto};

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
    /// A reply's rendered blocks, each with a key that changes when the block does.
    pub blocks: RwSignal<Vec<(u64, String)>>,
    /// Its siblings' ids (itself included, oldest first): the versions the switcher moves between.
    pub siblings: Arc<Vec<String>>,
    /// The files a question carries.
    pub attachments: Arc<Vec<AttachmentDto>>,
}

/// Keys for blocks that arrive from a stream (the saved ones are keyed by their index).
fn next_block_key() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1 << 32);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Replaces the blocks from `from` on with `html` (a `blocks` event).
pub fn apply_blocks(blocks: &mut Vec<(u64, String)>, from: usize, html: Vec<String>) {
    blocks.truncate(from);
    blocks.extend(html.into_iter().map(|h| (next_block_key(), h)));
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
            blocks: RwSignal::new(m.html.into_iter().enumerate().map(|(i, h)| (i as u64, h)).collect()),
            siblings: Arc::new(m.siblings),
            attachments: Arc::new(m.attachments),
        }
    }
}

impl LiveMessage {
    pub fn is_streaming(&self) -> bool {
        self.status.with(|s| *s == MessageStatus::Streaming)
    }
}

/// The messages of the branch above the ones loaded: how many, and how to load the page before
/// them (provided by the conversation page).
#[derive(Clone, Copy)]
pub struct EarlierMessages {
    pub count: RwSignal<usize>,
    pub load: Callback<()>,
    pub loading: Signal<bool>,
}

/// The messages loaded, opened at the newest and kept there while the reader is at the bottom.
/// Scrolling near the top (or the button there) loads the page before them, and the messages
/// being read stay where they were.
#[component]
pub fn MessageList(messages: RwSignal<Vec<LiveMessage>>, earlier: EarlierMessages) -> impl IntoView {
    let list = NodeRef::<html::Div>::new();
    // The first message and the list's height when this last ran.
    let last = StoredValue::new(None::<(Option<String>, i32)>);
    Effect::new(move |_| {
        // Re-run on new messages and on every token of the last one.
        let first = messages.with(|ms| {
            if let Some(m) = ms.last() {
                m.content.track();
            }
            ms.first().map(|m| m.id.clone())
        });
        let Some(el) = list.get() else { return };
        let Some((before, height)) = last.get_value() else {
            // Opened: at the newest message, once the list is in the page and laid out (a
            // conversation opened by a link is built before it is put in the page).
            request_animation_frame(move || {
                el.set_scroll_top(el.scroll_height());
                last.set_value(Some((first, el.scroll_height())));
            });
            return;
        };
        if before != first && messages.with(|ms| ms.iter().skip(1).any(|m| Some(&m.id) == before.as_ref())) {
            // A page added above: moved down by its height, so what was read stays in place.
            el.set_scroll_top(el.scroll_top() + el.scroll_height() - height);
        } else if el.scroll_height() - el.scroll_top() - el.client_height() < 160 {
            el.set_scroll_top(el.scroll_height());
        }
        last.set_value(Some((first, el.scroll_height())));
    });
    let near_top = move |_| {
        let at_top = list.get_untracked().is_some_and(|el| el.scroll_top() < 200);
        if at_top && earlier.count.get_untracked() > 0 && !earlier.loading.get_untracked() {
            earlier.load.run(());
        }
    };
    view! {
        <div class="messages" node_ref=list on:click=copy_code on:scroll=near_top>
            <Show when=move || { earlier.count.get() > 0 }>
                <button
                    type="button"
                    class="link-button earlier-messages"
                    data-testid="earlier-messages"
                    disabled=move || earlier.loading.get()
                    on:click=move |_| earlier.load.run(())
                >
                    {move || format!("Show earlier messages ({} more)", earlier.count.get())}
                </button>
            </Show>
            <Show when=move || messages.with(Vec::is_empty)>
                <p class="empty-hint">"Send a message to start."</p>
            </Show>
            // Keyed by the siblings too: a message shown again after a switch may have new ones.
            <For each=move || messages.get() key=|m| (m.id.clone(), m.siblings.len()) let:m>
                <MessageView m/>
            </For>
        </div>
    }
}

/// A code block's "Copy" button (in the server's HTML, so handled here for every block): puts the
/// block's code on the clipboard and says so on the button for a moment.
fn copy_code(ev: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    let Some(button) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
    if !button.class_list().contains("copy-code") {
        return;
    }
    let code = button.closest(".code-block").ok().flatten().and_then(|b| b.query_selector("code").ok().flatten());
    let Some(text) = code.and_then(|c| c.text_content()) else { return };
    let _ = window().navigator().clipboard().write_text(&text);
    button.set_text_content(Some("Copied"));
    set_timeout(move || button.set_text_content(Some("Copy")), std::time::Duration::from_millis(1500));
}

#[component]
fn MessageView(m: LiveMessage) -> impl IntoView {
    let LiveMessage { id, role, content, status, error, sources, usage, dropped_params, blocks, siblings, attachments } =
        m;
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(None::<String>);
    if role == MessageRole::User
        && let Some(actions) = use_context::<BranchActions>()
    {
        let own = id.clone();
        Effect::new(move |_| {
            if actions.edit_request.with(|r| r.as_deref() == Some(own.as_str())) {
                actions.edit_request.set(None);
                editing.set(true);
            }
        });
        let own = id.clone();
        Effect::new(move |_| {
            let Some((_, text)) = actions.edit_failed.with(|f| f.clone().filter(|(m, _)| *m == own)) else { return };
            actions.edit_failed.set(None);
            draft.set(Some(text));
            editing.set(true);
        });
    }
    if role == MessageRole::Assistant && status.get_untracked() == MessageStatus::Streaming {
        // A first reply's stream ends with the title its model wrote (`title` after `done`, or
        // in `done` when it ended before this page followed it): shown in the header and the
        // sidebar at once.
        let on_title = use_context::<ChatCtx>().map(|ctx| {
            Callback::new(move |title: String| {
                if let Some(open) = ctx.open.get_untracked() {
                    ctx.renamed.set(Some((open, title)));
                    ctx.refresh();
                }
            })
        });
        follow(&id, ReplySignals { content, status, error, usage, blocks, on_title });
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
            id=format!("m-{id}")
            class=format!("message message-{}", role.as_str())
            data-testid="message"
            data-role=role.as_str()
            data-status=move || status.get().as_str()
        >
            {if role == MessageRole::Assistant {
                view! {
                    <div class="message-text markdown" data-testid="message-markdown">
                        <For each=move || blocks.get() key=|(key, _)| *key let:block>
                            <div class="md-block" inner_html=block.1></div>
                        </For>
                    </div>
                }
                .into_any()
            } else {
                let (edit_id, original) = (id.clone(), content.get_untracked());
                view! {
                    <Show
                        when=move || editing.get()
                        fallback=move || view! { <div class="message-text">{move || content.get()}</div> }
                    >
                        <EditBox id=edit_id.clone() original=original.clone() draft editing/>
                    </Show>
                }
                .into_any()
            }}
            <AttachmentChips attachments=attachments.to_vec()/>
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
            <BranchBar id=id.clone() role status siblings editing/>
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

/// Under a message: its ‹ 2/3 › switcher (with siblings), Edit (the user's) or Regenerate (a
/// reply that has ended). Nothing where no conversation page provides the actions.
#[component]
fn BranchBar(
    id: String,
    role: MessageRole,
    status: RwSignal<MessageStatus>,
    siblings: Arc<Vec<String>>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let actions = use_context::<BranchActions>()?;
    let switcher = (siblings.len() > 1).then(|| view! { <Switcher id=id.clone() siblings/> });
    let ended = move || status.with(|s| *s != MessageStatus::Streaming);
    let own = match role {
        MessageRole::User => view! {
            <button
                type="button"
                class="link-button"
                data-testid="edit"
                disabled=move || !actions.ready.get()
                hidden=move || editing.get()
                on:click=move |_| editing.set(true)
            >
                "Edit"
            </button>
        }
        .into_any(),
        MessageRole::Assistant => {
            view! { <Show when=ended>{let id = id.clone(); move || view! { <RegenerateButtons id=id.clone()/> }}</Show> }
                .into_any()
        }
        MessageRole::System => ().into_any(),
    };
    Some(view! { <div class="message-actions">{switcher} {own}</div> })
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
