//! Following a run live: an `EventSource` on `/api/v1/runs/{id}/events`. `snapshot` gives the run
//! as it stands, `node` a node's new state, `token` text a running LLM node wrote, `run` the end
//! (the stream is closed then: the browser would otherwise reconnect), `lagged` that events were
//! missed (the stream is opened again, which starts with a new snapshot).

use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

use crate::dto::{NodeRunDto, RunDto, RunEndDto, TokenEventDto};

/// What the run view shows, kept up to date by the events.
#[derive(Clone, Copy)]
pub struct RunSignals {
    pub status: RwSignal<String>,
    pub error: RwSignal<Option<String>>,
    pub nodes: RwSignal<HashMap<String, NodeRunDto>>,
    /// Set when the run ends (the page reads it again for its rendered outputs).
    pub ended: RwSignal<u32>,
    /// Counts streams closed because they fell behind (the page opens another).
    pub lagged: RwSignal<u32>,
}

impl RunSignals {
    pub fn new(run: &RunDto) -> Self {
        RunSignals {
            status: RwSignal::new(run.status.clone()),
            error: RwSignal::new(run.error.clone()),
            nodes: RwSignal::new(run.nodes.iter().map(|n| (n.node.clone(), n.clone())).collect()),
            ended: RwSignal::new(0),
            lagged: RwSignal::new(0),
        }
    }
}

/// An open stream; dropping it closes it.
pub struct RunEvents {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for RunEvents {
    fn drop(&mut self) {
        self.source.close();
    }
}

fn data<T: serde::de::DeserializeOwned>(ev: &MessageEvent) -> Option<T> {
    ev.data().as_string().and_then(|raw| serde_json::from_str(&raw).ok())
}

impl RunEvents {
    /// Browser only. Signals are written with `try_*`: an event may still be queued when the
    /// page that owns them goes away.
    pub fn open(run_id: &str, s: RunSignals) -> Result<Self, wasm_bindgen::JsValue> {
        let url = format!("/api/v1/runs/{}/events", js_sys::encode_uri_component(run_id));
        let source = EventSource::new(&url)?;
        let mut listeners = Vec::new();
        let mut listen = |name: &str, f: Box<dyn FnMut(MessageEvent)>| -> Result<(), wasm_bindgen::JsValue> {
            let cb = Closure::wrap(f);
            source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref())?;
            listeners.push(cb);
            Ok(())
        };
        listen(
            "snapshot",
            Box::new(move |ev| {
                if let Some(run) = data::<RunDto>(&ev) {
                    s.status.try_set(run.status);
                    s.error.try_set(run.error);
                    s.nodes.try_set(run.nodes.into_iter().map(|n| (n.node.clone(), n)).collect());
                }
            }),
        )?;
        listen(
            "node",
            Box::new(move |ev| {
                if let Some(n) = data::<NodeRunDto>(&ev) {
                    s.nodes.try_update(|ns| ns.insert(n.node.clone(), n));
                }
            }),
        )?;
        listen(
            "token",
            Box::new(move |ev| {
                if let Some(t) = data::<TokenEventDto>(&ev) {
                    s.nodes.try_update(|ns| {
                        if let Some(n) = ns.get_mut(&t.node) {
                            n.partial.push_str(&t.text);
                        }
                    });
                }
            }),
        )?;
        let closer = source.clone();
        listen(
            "run",
            Box::new(move |ev| {
                closer.close();
                if let Some(end) = data::<RunEndDto>(&ev) {
                    s.status.try_set(end.status);
                    s.error.try_set(end.error);
                    s.ended.try_update(|e| *e += 1);
                }
            }),
        )?;
        let reopen = source.clone();
        listen(
            "lagged",
            Box::new(move |_| {
                // Missed events: the page opens a new stream, which starts with a new snapshot.
                reopen.close();
                s.lagged.try_update(|l| *l += 1);
            }),
        )?;
        Ok(Self { source, _listeners: listeners })
    }
}
