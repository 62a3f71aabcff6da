//! The embeddable widget: `GET /widget.js` (the script other sites include) and
//! `POST /api/widget/{public_id}/chat` (a visitor's question, answered as server-sent events:
//! `sources`, `delta`…, then `done` or `error`). Documented in docs/WIDGET.md.
//!
//! These routes sit outside the global CORS layer: CORS is answered here, per knowledge base, by
//! reflecting the request's `Origin` only when its owner allowed it. They never read cookies or
//! API keys (the middleware strips both before they get here).

use std::{convert::Infallible, net::SocketAddr, time::Duration};

use axum::{
    Json,
    extract::{ConnectInfo, Path, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use webplus::{
    answer::{Section, Source},
    providers::{ChatEvent, FinishReason},
    widget::{Answer, Turn},
};

use super::{ApiError, error::request_id, openai::request::rejection, sse_json};
use crate::state::AppState;

/// The widget script, kept in the repository and compiled into the binary.
const SCRIPT: &str = include_str!("../../assets/widget.js");

/// Largest question body: a 2,000-character question and six earlier turns of 2,000 characters.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Short enough that a fixed script reaches visitors the same day.
            (header::CACHE_CONTROL, "public, max-age=3600"),
            // Other sites load it with <script src>; pages with COEP need this to allow that.
            (header::HeaderName::from_static("cross-origin-resource-policy"), "cross-origin"),
        ],
        SCRIPT,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    question: String,
    #[serde(default)]
    history: Vec<Turn>,
}

/// The CORS preflight of the chat route: allowed origins get the CORS headers, others an error
/// without them (which the browser reports as a CORS failure).
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap, Path(public_id): Path<String>) -> Response {
    let origin = headers.get(header::ORIGIN);
    let res = match state.services.widget.embeddable_kb(&public_id, origin_str(origin)).await {
        Ok(_) => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            let h = res.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            allow(res, origin)
        }
        Err(e) => ApiError::from_engine(e, &request_id(&headers)).into_response(),
    };
    vary(res)
}

pub async fn chat(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(public_id): Path<String>,
    body: Result<Json<Question>, JsonRejection>,
) -> Response {
    let rid = request_id(&headers);
    let origin = headers.get(header::ORIGIN);
    let widget = &state.services.widget;
    let kb = match widget.embeddable_kb(&public_id, origin_str(origin)).await {
        Ok(kb) => kb,
        Err(e) => return vary(ApiError::from_engine(e, &rid).into_response()),
    };
    // From here on the page may read the response, errors included (a 429 and its wait).
    let res = async {
        let Json(body) = body.map_err(rejection)?;
        let ip = webplus::auth::web::client_ip(&headers, Some(peer.ip()), state.settings.trust_proxy);
        let answer =
            widget.ask(&kb, ip, &body.question, &body.history).await.map_err(|e| ApiError::from_engine(e, &rid))?;
        Ok::<_, ApiError>(events(answer, rid.clone()))
    }
    .await
    .unwrap_or_else(IntoResponse::into_response);
    vary(allow(res, origin))
}

/// What a visitor sees of a source: what the chat shows (the document, its sections and
/// passages), no internal ids, no scores.
#[derive(Serialize)]
struct VisitorSource<'a> {
    n: usize,
    title: &'a str,
    url: Option<&'a str>,
    heading_path: &'a str,
    text: &'a str,
    sections: Vec<Section>,
}

impl<'a> From<&'a Source> for VisitorSource<'a> {
    fn from(s: &'a Source) -> Self {
        Self {
            n: s.n,
            title: &s.title,
            url: s.url.as_deref(),
            heading_path: &s.heading_path,
            text: &s.text,
            sections: s.passages(),
        }
    }
}

/// The `delta` event: the next piece of the answer.
#[derive(Serialize)]
struct DeltaEvent<'a> {
    text: &'a str,
}

/// The `done` event.
#[derive(Serialize)]
struct DoneEvent {
    finish_reason: FinishReason,
}

/// The `error` event: what the visitor is told.
#[derive(Serialize)]
struct ErrorEvent<'a> {
    message: &'a str,
}

/// The answer as SSE: the sources first (what the numbers in the text refer to), then the text.
fn events(answer: Answer, rid: String) -> Response {
    let Answer { sources, mut stream } = answer;
    let sources = sse_json(&sources.iter().map(VisitorSource::from).collect::<Vec<_>>());
    let events = async_stream::stream! {
        yield event("sources", sources);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(ChatEvent::Delta(text)) => yield event("delta", sse_json(&DeltaEvent { text: &text })),
                Ok(ChatEvent::Finished { reason, .. }) => {
                    yield event("done", sse_json(&DoneEvent { finish_reason: reason }));
                    return;
                }
                Err(e) => {
                    // Logged (if internal) by from_engine; the visitor gets the safe message only.
                    let message = ApiError::from_engine(e.into(), &rid).message;
                    yield event("error", sse_json(&ErrorEvent { message: &message }));
                    return;
                }
            }
        }
        yield event("error", sse_json(&ErrorEvent { message: "the answer was cut off; please ask again" }));
    };
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

fn event(name: &'static str, data: String) -> Result<Event, Infallible> {
    Ok(Event::default().event(name).data(data))
}

fn origin_str(origin: Option<&HeaderValue>) -> Option<&str> {
    origin.and_then(|v| v.to_str().ok())
}

/// Lets the page at `origin` (already checked against the allowed origins) read the response.
fn allow(mut res: Response, origin: Option<&HeaderValue>) -> Response {
    if let Some(origin) = origin {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("retry-after"));
    }
    res
}

/// The answer depends on the Origin: caches must not give one site's answer to another.
fn vary(mut res: Response) -> Response {
    res.headers_mut().append(header::VARY, HeaderValue::from_static("origin"));
    res
}
