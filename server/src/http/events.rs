//! `GET /api/messages/{id}/events`: a reply as server-sent events (`snapshot`, then `delta` and
//! `blocks` (its rendered HTML, the changed blocks only) as it grows, `done`).
//! Works while the reply streams and after it ended (then it sends the saved text and `done`),
//! so a reloaded page can always attach. `done` carries the reply's usage: live, as the answer path
//! recorded it; after the end, from the ledger (the same values).

use std::{
    convert::Infallible,
    time::{Duration, Instant},
};

use app::{
    dto::{BlocksEvent, DoneEvent, ReplyUsageDto, events},
    ssr::convert,
};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, stream};
use webplus::{
    chat::Chat,
    render::{BlockUpdate, LiveBlocks},
    storage::MessageStatus,
};

use super::{ApiError, Authenticated, error::request_id, sse_json};
use crate::state::AppState;

/// The shortest time between two updates of a streaming reply.
const FRAME: Duration = Duration::from_millis(50);

pub async fn message_events(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let chat = state.services.chat.clone();
    let rid = request_id(&headers);
    let live = chat.subscribe(&me.user_id, &id).await.map_err(|e| ApiError::from_engine(e, &rid))?;
    // The reply's sources (known when it starts): what its `[n]` markers link to.
    let m = chat.message(&me.user_id, &id).await.map_err(|e| ApiError::from_engine(e, &rid))?;
    let citations = convert::citations(&id, &convert::sources(m.sources.as_deref()));
    let stream = match live {
        None => {
            let usage = stored_usage(&chat, &me.user_id, &id).await;
            let title = first_reply_title(&chat, &me.user_id, &m).await;
            let rendered = BlocksEvent { from: 0, html: webplus::render::blocks(&m.content, citations) };
            stream::iter([
                snapshot(&m.content),
                blocks(&rendered),
                done(m.status(), m.error.clone(), usage, title, false),
            ])
            .boxed()
        }
        Some(mut rx) => async_stream::stream! {
            let first = rx.borrow_and_update().clone();
            yield snapshot(&first.content);
            // Only the block still being written is rendered again (webplus::render).
            let mut live = LiveBlocks::with_citations(citations);
            yield blocks(&changed(live.update(&first.content)));
            let mut text = first.content;
            let mut sent = text.len();
            let mut status = first.status;
            let mut error = first.error;
            let mut usage = first.usage;
            let mut title = first.title;
            let mut titling = first.titling;
            let mut last_sent = Instant::now();
            while status == MessageStatus::Streaming {
                let alive = rx.changed().await.is_ok();
                // At most one update a frame: the tokens of a frame are sent together (the
                // channel keeps the latest text), so a long block is rendered and sent at most
                // 1 / FRAME times a second however fast the model writes.
                let since = last_sent.elapsed();
                if alive && since < FRAME {
                    tokio::time::sleep(FRAME - since).await;
                }
                last_sent = Instant::now();
                if !alive {
                    // The generation ended without a final update: read what was saved.
                    match chat.message(&me.user_id, &id).await {
                        Ok(m) => {
                            if m.content.len() > sent && m.content.is_char_boundary(sent) {
                                yield delta(&m.content[sent..]);
                            }
                            status = m.status();
                            text = m.content;
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
                    text = s.content;
                    yield blocks(&changed(live.update(&text)));
                }
                status = s.status;
                error = s.error;
                usage = s.usage;
                title = s.title;
                titling = s.titling;
            }
            yield blocks(&changed(live.finish(&text)));
            let usage = match usage {
                Some(u) => Some(convert::reply_usage(&u)),
                None => stored_usage(&chat, &me.user_id, &id).await,
            };
            yield done(status, error, usage, title, titling);
            // A first reply's title follows `done` once written (null when none was).
            if titling {
                let mut written = None;
                while rx.changed().await.is_ok() {
                    let s = rx.borrow_and_update().clone();
                    if !s.titling {
                        written = s.title;
                        break;
                    }
                }
                yield title_event(written);
            }
        }
        .boxed(),
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn snapshot(text: &str) -> Result<Event, Infallible> {
    Ok(Event::default().event(events::SNAPSHOT).data(sse_json(&text)))
}

fn blocks(update: &BlocksEvent) -> Result<Event, Infallible> {
    Ok(Event::default().event(events::BLOCKS).data(sse_json(update)))
}

fn changed(update: BlockUpdate) -> BlocksEvent {
    BlocksEvent { from: update.from, html: update.html }
}

fn delta(text: &str) -> Result<Event, Infallible> {
    Ok(Event::default().event(events::DELTA).data(sse_json(&text)))
}

/// For a conversation's first reply that has ended, the conversation's title now: the one its
/// model wrote, when that happened before this page asked (a fast model ends before the page
/// follows it). None for later replies, or when it cannot be read.
async fn first_reply_title(chat: &Chat, user_id: &str, reply: &webplus::storage::MessageRow) -> Option<String> {
    let question = chat.message(user_id, reply.parent_id.as_deref()?).await.ok()?;
    if question.parent_id.is_some() {
        return None;
    }
    chat.conversation(user_id, &reply.conversation_id).await.ok().map(|c| c.title)
}

/// The reply's usage from the ledger; a failed read leaves it out (the page still shows the reply).
async fn stored_usage(chat: &Chat, user_id: &str, message_id: &str) -> Option<ReplyUsageDto> {
    match chat.reply_usage(user_id, message_id).await {
        Ok(u) => u.as_ref().map(convert::reply_usage),
        Err(e) => {
            tracing::warn!(error = %e, "could not read a reply's usage");
            None
        }
    }
}

fn done(
    status: MessageStatus,
    error: Option<String>,
    usage: Option<ReplyUsageDto>,
    title: Option<String>,
    titling: bool,
) -> Result<Event, Infallible> {
    let body = sse_json(&DoneEvent { status, error, usage, title, titling });
    Ok(Event::default().event(events::DONE).data(body))
}

fn title_event(title: Option<String>) -> Result<Event, Infallible> {
    Ok(Event::default().event(events::TITLE).data(sse_json(&title)))
}
