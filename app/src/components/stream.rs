//! Following a reply as it is generated: an `EventSource` on `/api/messages/{id}/events`.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Event, EventSource, MessageEvent};

use super::message::apply_blocks;
use crate::dto::{BlocksEvent, DoneEvent, MessageStatus, ReplyUsageDto, events};

/// The signals a reply's stream writes.
#[derive(Clone, Copy)]
pub struct ReplySignals {
    pub content: RwSignal<String>,
    pub status: RwSignal<MessageStatus>,
    pub error: RwSignal<Option<String>>,
    pub usage: RwSignal<Option<ReplyUsageDto>>,
    pub blocks: RwSignal<Vec<(u64, String)>>,
    /// Told the title the conversation's model wrote (a first reply's `done`).
    pub on_title: Option<Callback<String>>,
}

/// An open stream; dropping it closes the connection.
pub struct ReplyStream {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for ReplyStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The JSON string an event carries.
fn json_string(ev: &MessageEvent) -> Option<String> {
    ev.data().as_string().and_then(|raw| serde_json::from_str::<String>(&raw).ok())
}

impl ReplyStream {
    /// Streams message `id` into `content` (replaced by `snapshot`, extended by `delta`) until
    /// `done` sets `status`, `error` and `usage` (and a first reply's `title` event, after a `done`
    /// that says `titling`, is handed to `on_title`). Browser only. The signals are written with
    /// `try_*`: an event may still be queued when the page that owns them goes away.
    pub fn open(id: &str, reply: ReplySignals) -> Result<Self, wasm_bindgen::JsValue> {
        let ReplySignals { content, status, error, usage, blocks, on_title } = reply;
        let source = EventSource::new(&format!("/api/messages/{id}/events"))?;
        let listen = |name: &str, f: Box<dyn FnMut(MessageEvent)>| {
            let cb = Closure::wrap(f);
            source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref()).map(|()| cb)
        };

        let on_snapshot = listen(
            events::SNAPSHOT,
            Box::new(move |ev| {
                if let Some(text) = json_string(&ev) {
                    content.try_set(text);
                }
            }),
        )?;
        let on_delta = listen(
            events::DELTA,
            Box::new(move |ev| {
                if let Some(text) = json_string(&ev) {
                    content.try_update(|c| c.push_str(&text));
                }
            }),
        )?;
        let on_blocks = listen(
            events::BLOCKS,
            Box::new(move |ev| {
                let update = ev.data().as_string().and_then(|raw| serde_json::from_str::<BlocksEvent>(&raw).ok());
                if let Some(BlocksEvent { from, html }) = update {
                    blocks.try_update(|b| apply_blocks(b, from, html));
                }
            }),
        )?;
        let done_source = source.clone();
        let on_done = listen(
            events::DONE,
            Box::new(move |ev| {
                let done = ev.data().as_string().and_then(|raw| serde_json::from_str::<DoneEvent>(&raw).ok());
                // Close first (unless a title follows): otherwise the browser reconnects when the
                // server ends the stream.
                if !done.as_ref().is_some_and(|d| d.titling) {
                    done_source.close();
                }
                match done {
                    Some(d) => {
                        usage.try_set(d.usage);
                        status.try_set(d.status);
                        error.try_set(d.error);
                        if let (Some(title), Some(on_title)) = (d.title, on_title) {
                            on_title.run(title);
                        }
                    }
                    None => {
                        status.try_set(MessageStatus::Error);
                        error.try_set(Some("the reply ended with an unreadable event".into()));
                    }
                }
            }),
        )?;

        let title_source = source.clone();
        let on_title_event = listen(
            events::TITLE,
            Box::new(move |ev| {
                title_source.close();
                if let (Some(title), Some(on_title)) = (json_string(&ev), on_title) {
                    on_title.run(title);
                }
            }),
        )?;

        let error_source = source.clone();
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            error_source.close();
            if status.try_get_untracked() == Some(MessageStatus::Streaming) {
                status.try_set(MessageStatus::Interrupted);
                error.try_set(Some("lost the connection to this reply; reload the page to see the rest".into()));
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        Ok(Self {
            source,
            _listeners: vec![on_snapshot, on_delta, on_blocks, on_done, on_title_event],
            _on_error: on_error,
        })
    }
}
