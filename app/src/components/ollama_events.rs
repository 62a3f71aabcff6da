//! Following an Ollama connection live: an `EventSource` on its admin `events` stream, whose
//! `models` events replace the list and `pull` events the pull in progress.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

use crate::dto::{OllamaModelDto, OllamaModelList, PullJobDto};

/// An open stream; dropping it closes the connection. The browser reconnects by itself after a
/// network error, and the server starts each connection with the current list.
pub struct OllamaEvents {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for OllamaEvents {
    fn drop(&mut self) {
        self.source.close();
    }
}

impl OllamaEvents {
    /// Browser only. Signals are written with `try_*`: an event may still be queued when the
    /// page that owns them goes away.
    pub fn open(
        connection_id: &str,
        models: RwSignal<Option<Vec<OllamaModelDto>>>,
        pull: RwSignal<Option<PullJobDto>>,
    ) -> Result<Self, wasm_bindgen::JsValue> {
        let url = format!("/api/v1/admin/connections/{}/ollama/events", js_sys::encode_uri_component(connection_id));
        let source = EventSource::new(&url)?;
        let listen = |name: &str, f: Box<dyn FnMut(MessageEvent)>| {
            let cb = Closure::wrap(f);
            source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref()).map(|()| cb)
        };
        let on_models = listen(
            "models",
            Box::new(move |ev| {
                let list = ev.data().as_string().and_then(|raw| serde_json::from_str::<OllamaModelList>(&raw).ok());
                if let Some(list) = list {
                    models.try_set(Some(list.data));
                }
            }),
        )?;
        let on_pull = listen(
            "pull",
            Box::new(move |ev| {
                if let Some(job) = ev.data().as_string().and_then(|raw| serde_json::from_str::<PullJobDto>(&raw).ok()) {
                    pull.try_set(Some(job));
                }
            }),
        )?;
        Ok(Self { source, _listeners: vec![on_models, on_pull] })
    }
}
