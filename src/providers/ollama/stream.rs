//! Posts a streaming chat request and adapts Ollama's JSON lines to [`ChatEvent`]s.
//!
//! Each line carries a fragment of the answer in `message.content`; the last has `done: true`,
//! `done_reason` and the token counts. A line `{"error": "..."}` can come instead of any of them.
//! A stream is finished only by its `done` line.

use std::sync::Arc;

use futures::StreamExt;
use reqwest::Method;

use super::api::{Api, CallError};
use super::errors;
use super::request::ChatBody;
use super::wire::ChatLine;
use crate::providers::ndjson::Lines;
use crate::providers::{ChatEvent, ChatStream, FinishReason, ProviderError, Usage};

/// Posts the request and reads up to its first line, then hands back the rest as a stream.
///
/// Waiting first means failures before any text (unknown model, busy, key refused, a model that
/// fails to load and says so in its first line) come back from `stream_chat` itself, while the
/// caller can still answer with a proper HTTP status instead of a broken stream.
pub(super) async fn start(
    api: Arc<Api>,
    body: &ChatBody,
    estimated_prompt_tokens: u32,
) -> Result<ChatStream, ProviderError> {
    let redact = |text: &str| api.redact(text);
    let opened = match api.request(Method::POST, "/api/chat") {
        Ok(request) => api.lines(request.json(body)).await,
        Err(e) => Err(e),
    };
    let mut lines = opened.map_err(|e| errors::from_call(e, &body.model, &api.name, redact))?;
    let first = next_line(&mut lines, &api).await?;
    if let Some(message) = first.as_ref().and_then(|l| l.error.as_deref()) {
        return Err(errors::mid_stream(message, &api.name, redact));
    }
    let provider = Arc::clone(&api.name);
    let stream = async_stream::stream! {
        // Looked up once per stream, not per token.
        let tokens = metrics::counter!("webplus_tokens_generated_total", "provider" => Arc::clone(&provider));
        let mut next = first;
        loop {
            let Some(line) = next else {
                yield Err(ProviderError::Unavailable("Ollama closed the stream before it finished".into()));
                break;
            };
            if let Some(message) = &line.error {
                yield Err(errors::mid_stream(message, &api.name, |t| api.redact(t)));
                break;
            }
            let text = line.message.as_ref().map(|m| m.content.as_str()).unwrap_or_default();
            if !text.is_empty() {
                tokens.increment(1);
                yield Ok(ChatEvent::Delta(text.to_owned()));
            }
            if line.done {
                yield Ok(finished(&line, estimated_prompt_tokens));
                break;
            }
            next = match next_line(&mut lines, &api).await {
                Ok(next) => next,
                Err(e) => {
                    yield Err(e);
                    break;
                }
            };
        }
        // Dropping `lines` (here, or when the caller drops this stream) closes the connection,
        // which is how Ollama learns to stop generating.
    };
    Ok(Box::pin(stream))
}

/// The next line; `Ok(None)` when the body ends.
async fn next_line(lines: &mut Lines, api: &Api) -> Result<Option<ChatLine>, ProviderError> {
    let redact = |text: &str| api.redact(text);
    match lines.next().await {
        None => Ok(None),
        Some(Err(e)) => Err(errors::from_call(CallError::from(e), "", &api.name, redact)),
        Some(Ok(line)) => serde_json::from_slice::<ChatLine>(&line).map(Some).map_err(|e| {
            let start: String = String::from_utf8_lossy(&line).chars().take(200).collect();
            tracing::warn!(provider = &*api.name, error = %e, line = %api.redact(&start), "unreadable line from Ollama");
            ProviderError::Failed("Ollama sent a line that is not a chat response".into())
        }),
    }
}

/// The `done` line as the end of the stream. Ollama leaves `prompt_eval_count` out when the
/// whole prompt came from its cache, so our own estimate stands in for it.
fn finished(line: &ChatLine, estimated_prompt_tokens: u32) -> ChatEvent {
    let reason = match line.done_reason.as_deref() {
        Some("length") => FinishReason::Length,
        // "stop", and "load"/"unload", which a chat with messages never gets.
        _ => FinishReason::Stop,
    };
    let prompt = line.prompt_eval_count.filter(|n| *n > 0);
    let usage = Usage {
        prompt_tokens: prompt.unwrap_or(estimated_prompt_tokens),
        completion_tokens: line.eval_count.unwrap_or(0),
        // Without Ollama's counts, the call's record counts them.
        counted: prompt.is_none() || line.eval_count.is_none(),
    };
    ChatEvent::Finished { reason, usage }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str) -> ChatLine {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn the_done_line_gives_the_reason_and_ollamas_counts() {
        let done = line(
            r#"{"message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":26,"eval_count":3}"#,
        );
        let usage = Usage::reported(26, 3);
        assert_eq!(finished(&done, 99), ChatEvent::Finished { reason: FinishReason::Length, usage });
        let stop = line(r#"{"done":true,"done_reason":"stop","eval_count":5}"#);
        let usage = Usage { counted: true, ..Usage::reported(99, 5) };
        assert_eq!(
            finished(&stop, 99),
            ChatEvent::Finished { reason: FinishReason::Stop, usage },
            "an estimate stands in, marked for the call's record to count"
        );
    }
}
