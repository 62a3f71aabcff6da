//! `GET /api/messages/{id}/events`: a reply as server-sent events (`snapshot`, `delta`…, `done`).
//! Works while the reply streams and after it ended (then it sends the saved text and `done`),
//! so a reloaded page can always attach.

use std::{convert::Infallible, time::Duration};

use app::dto::{DoneEvent, events};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, stream};
use webplus::storage::MessageStatus;

use super::{ApiError, Authenticated, error::request_id, sse_json};
use crate::state::AppState;

pub async fn message_events(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let chat = state.services.chat.clone();
    let rid = request_id(&headers);
    let live = chat.subscribe(&me.user_id, &id).await.map_err(|e| ApiError::from_engine(e, &rid))?;
    let stream = match live {
        None => {
            let m = chat.message(&me.user_id, &id).await.map_err(|e| ApiError::from_engine(e, &rid))?;
            stream::iter([snapshot(&m.content), done(m.status(), m.error.clone())]).boxed()
        }
        Some(mut rx) => async_stream::stream! {
            let first = rx.borrow_and_update().clone();
            yield snapshot(&first.content);
            let mut sent = first.content.len();
            let mut status = first.status;
            let mut error = first.error;
            while status == MessageStatus::Streaming {
                if rx.changed().await.is_err() {
                    // The generation ended without a final update: read what was saved.
                    match chat.message(&me.user_id, &id).await {
                        Ok(m) => {
                            if m.content.len() > sent && m.content.is_char_boundary(sent) {
                                yield delta(&m.content[sent..]);
                            }
                            status = m.status();
                            error = m.error;
                        }
                        Err(_) => status = MessageStatus::Interrupted,
                    }
                    break;
                }
                let s = rx.borrow_and_update().clone();
                // Text only grows, by whole strings, so `sent` is always a char boundary.
                if s.content.len() > sent {
                    yield delta(&s.content[sent..]);
                    sent = s.content.len();
                }
                status = s.status;
                error = s.error;
            }
            yield done(status, error);
        }
        .boxed(),
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn snapshot(text: &str) -> Result<Event, Infallible> {
    Ok(Event::default().event(events::SNAPSHOT).data(sse_json(&text)))
}

fn delta(text: &str) -> Result<Event, Infallible> {
    Ok(Event::default().event(events::DELTA).data(sse_json(&text)))
}

fn done(status: MessageStatus, error: Option<String>) -> Result<Event, Infallible> {
    let body = sse_json(&DoneEvent { status, error });
    Ok(Event::default().event(events::DONE).data(body))
}
