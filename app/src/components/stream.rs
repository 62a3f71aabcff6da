//! Following a reply as it is generated: an `EventSource` on `/api/messages/{id}/events`.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Event, EventSource, MessageEvent};

use crate::dto::{DoneEvent, MessageStatus, events};

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
    /// `done` sets `status` and `error`. Browser only. The signals are written with `try_*`:
    /// an event may still be queued when the page that owns them goes away.
    pub fn open(
        id: &str,
        content: RwSignal<String>,
        status: RwSignal<MessageStatus>,
        error: RwSignal<Option<String>>,
    ) -> Result<Self, wasm_bindgen::JsValue> {
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
        let done_source = source.clone();
        let on_done = listen(
            events::DONE,
            Box::new(move |ev| {
                // Close first: otherwise the browser reconnects when the server ends the stream.
                done_source.close();
                let done = ev.data().as_string().and_then(|raw| serde_json::from_str::<DoneEvent>(&raw).ok());
                match done {
                    Some(d) => {
                        status.try_set(d.status);
                        error.try_set(d.error);
                    }
                    None => {
                        status.try_set(MessageStatus::Error);
                        error.try_set(Some("the reply ended with an unreadable event".into()));
                    }
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

        Ok(Self { source, _listeners: vec![on_snapshot, on_delta, on_done], _on_error: on_error })
    }
}
