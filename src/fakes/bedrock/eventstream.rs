//! The `application/vnd.amazon.eventstream` body of a `ConverseStream` answer: one binary frame
//! per event (prelude, headers, payload, CRCs), encoded by `aws-smithy-eventstream`, the crate
//! the AWS SDK for Rust decodes them with.
//!
//! An event carries `:event-type` (`messageStart`, `contentBlockDelta`, ...), `:content-type`
//! `application/json` and `:message-type` `event`; an exception `:exception-type`
//! (`throttlingException`, ...) and `:message-type` `exception` instead.

use aws_sdk_bedrockruntime::primitives::event_stream::{Header, HeaderValue, Message};
use aws_smithy_eventstream::frame::write_message_to;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue as HttpHeaderValue, header};
use axum::response::Response;
use serde::Serialize;

use super::InFlight;
use super::handlers::request_id;

/// How the body goes on after its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// It ends.
    Close,
    /// It stays open, sending nothing, until the client goes away.
    Stall,
}

/// An event frame.
pub(super) fn event(kind: &'static str, payload: &impl Serialize) -> Bytes {
    frame(":event-type", kind, "event", payload)
}

/// An exception frame.
pub(super) fn exception(kind: &'static str, payload: &impl Serialize) -> Bytes {
    frame(":exception-type", kind, "exception", payload)
}

fn frame(type_header: &'static str, kind: &'static str, message_type: &'static str, payload: &impl Serialize) -> Bytes {
    let message = Message::new(serde_json::to_vec(payload).unwrap_or_default())
        .add_header(Header::new(type_header, HeaderValue::String(kind.into())))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())))
        .add_header(Header::new(":message-type", HeaderValue::String(message_type.into())));
    let mut buffer = Vec::new();
    // Only fails for headers or payloads over the format's limits (16 MiB), which no fake sends.
    if let Err(e) = write_message_to(&message, &mut buffer) {
        tracing::warn!(error = %e, kind, "the fake Bedrock could not encode a frame");
    }
    Bytes::from(buffer)
}

/// The streamed answer, one body chunk per frame. `in_flight` is held by the body, so the call
/// counts until the body is dropped.
pub(super) fn response(frames: Vec<Bytes>, ending: Ending, in_flight: InFlight) -> Response {
    let body = async_stream::stream! {
        let _in_flight = in_flight;
        for frame in frames {
            yield Ok::<Bytes, std::io::Error>(frame);
        }
        if ending == Ending::Stall {
            std::future::pending::<()>().await;
        }
    };
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HttpHeaderValue::from_static("application/vnd.amazon.eventstream"));
    headers.insert("x-amzn-requestid", request_id());
    response
}

#[cfg(test)]
mod tests {
    use aws_smithy_eventstream::frame::read_message_from;

    use super::*;

    /// The frame's headers as (name, string value), and its payload as JSON.
    fn decode(frame: &Bytes) -> (Vec<(String, String)>, serde_json::Value) {
        let message = read_message_from(&frame[..]).expect("a whole frame with valid checksums");
        let headers = message
            .headers()
            .iter()
            .map(|h| {
                let value = h.value().as_string().map(|s| s.as_str().to_owned()).unwrap_or_default();
                (h.name().as_str().to_owned(), value)
            })
            .collect();
        (headers, serde_json::from_slice(message.payload()).unwrap_or_default())
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn an_event_frame_names_its_event_and_carries_json() {
        let (headers, payload) = decode(&event("messageStop", &serde_json::json!({"stopReason": "end_turn"})));
        let expected =
            [(":event-type", "messageStop"), (":content-type", "application/json"), (":message-type", "event")];
        assert_eq!(headers, pairs(&expected));
        assert_eq!(payload, serde_json::json!({"stopReason": "end_turn"}));
    }

    #[test]
    fn an_exception_frame_names_its_exception() {
        let (headers, payload) = decode(&exception("throttlingException", &serde_json::json!({"message": "slow"})));
        let expected = [
            (":exception-type", "throttlingException"),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ];
        assert_eq!(headers, pairs(&expected));
        assert_eq!(payload["message"], "slow");
    }
}
