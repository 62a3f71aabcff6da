//! Sends the `ConverseStream` call and adapts Bedrock's events to [`ChatEvent`]s.
//!
//! A stream is `messageStart`, content blocks (`contentBlockStart`, `contentBlockDelta`…,
//! `contentBlockStop`), `messageStop` (why it stopped) and `metadata` (the token counts). An
//! exception event can come instead of any of them. A stream is finished by `metadata` after
//! `messageStop` (or by its end after `messageStop`, without counts).

use std::{sync::Arc, time::Duration};

use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::operation::converse_stream::builders::ConverseStreamFluentBuilder;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ConverseStreamOutput, StopReason};

use super::errors::{self, Ctx};
use crate::providers::{ChatEvent, ChatStream, FinishReason, ProviderError, Usage};

/// What one stream needs besides the call.
pub(super) struct StreamContext {
    pub provider: Arc<str>,
    pub model: String,
    pub region: String,
    /// Longest wait for the first event and between two events.
    pub idle_timeout: Duration,
}

impl StreamContext {
    fn errors(&self) -> Ctx<'_> {
        Ctx { provider: &self.provider, model: &self.model, region: &self.region }
    }
}

/// Sends the call and reads up to the first text (or the end, or an error), then hands back the
/// rest as a stream.
///
/// Waiting for text means failures before any (the key refused, throttling, an exception event
/// right after `messageStart`) come back from `stream_chat` itself, while the caller can still
/// answer with a proper HTTP status instead of a broken stream.
pub(super) async fn start(send: ConverseStreamFluentBuilder, ctx: StreamContext) -> Result<ChatStream, ProviderError> {
    let output = send.send().await.map_err(|e| errors::from_request(&e, &ctx.errors()))?;
    let mut upstream = Upstream { request_id: output.request_id().map(str::to_owned), events: output.stream };
    tracing::debug!(
        provider = &*ctx.provider,
        model = ctx.model,
        request_id = upstream.request_id,
        "Bedrock stream opened"
    );
    let mut state = State::default();
    let first = next_output(&mut upstream, &mut state, &ctx).await?;
    let stream = async_stream::stream! {
        // Looked up once per stream, not per token.
        let tokens = metrics::counter!("webplus_tokens_generated_total", "provider" => Arc::clone(&ctx.provider));
        let mut item = Ok(first);
        loop {
            let more = matches!(item, Ok(ChatEvent::Delta(_)));
            if more {
                tokens.increment(1);
            }
            yield item;
            if !more {
                break;
            }
            item = next_output(&mut upstream, &mut state, &ctx).await;
        }
        // Dropping `upstream` (here, or when the caller drops this stream) closes the connection,
        // which stops the generation upstream.
    };
    Ok(Box::pin(stream))
}

/// The response body being read, as event-stream messages.
struct Upstream {
    request_id: Option<String>,
    events: EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>,
}

impl Upstream {
    /// The next event; `Ok(None)` when the body ends.
    async fn next_event(&mut self, ctx: &StreamContext) -> Result<Option<ConverseStreamOutput>, ProviderError> {
        match tokio::time::timeout(ctx.idle_timeout, self.events.recv()).await {
            Ok(Ok(event)) => Ok(event),
            Ok(Err(e)) => Err(errors::mid_stream(&e, &ctx.errors(), self.request_id.as_deref())),
            Err(_) => {
                tracing::warn!(provider = &*ctx.provider, model = ctx.model, request_id = self.request_id, timeout = ?ctx.idle_timeout, "Bedrock went silent");
                Err(ProviderError::Unavailable(format!(
                    "Bedrock sent nothing for {} s",
                    ctx.idle_timeout.as_secs_f32()
                )))
            }
        }
    }
}

/// Reads events until one has something for the caller: text, the end, or an error.
async fn next_output(
    upstream: &mut Upstream,
    state: &mut State,
    ctx: &StreamContext,
) -> Result<ChatEvent, ProviderError> {
    loop {
        match upstream.next_event(ctx).await? {
            Some(event) => {
                if let Some(output) = state.absorb(event) {
                    return Ok(output);
                }
            }
            None => return state.end(ctx, upstream.request_id.as_deref()),
        }
    }
}

/// What the events so far said.
#[derive(Default)]
struct State {
    /// Set by `messageStop`.
    reason: Option<FinishReason>,
}

impl State {
    /// Takes in one event: text to pass on, the end of the stream, or nothing to say.
    fn absorb(&mut self, event: ConverseStreamOutput) -> Option<ChatEvent> {
        match event {
            ConverseStreamOutput::ContentBlockDelta(block) => match block.delta {
                Some(ContentBlockDelta::Text(text)) if !text.is_empty() => Some(ChatEvent::Delta(text)),
                _ => None,
            },
            ConverseStreamOutput::MessageStop(stop) => {
                self.reason = Some(finish_reason(stop.stop_reason()));
                None
            }
            // Bedrock sends the counts after `messageStop`; before it they would be a partial count.
            ConverseStreamOutput::Metadata(metadata) => self.reason.map(|reason| {
                // No counts in the metadata: the call's record counts them.
                let usage = metadata.usage().map_or(Usage { counted: true, ..Usage::default() }, |u| {
                    Usage::reported(
                        u32::try_from(u.input_tokens()).unwrap_or_default(),
                        u32::try_from(u.output_tokens()).unwrap_or_default(),
                    )
                });
                ChatEvent::Finished { reason, usage }
            }),
            _ => None,
        }
    }

    /// The body ended: finished without counts after `messageStop`, else cut off.
    fn end(&self, ctx: &StreamContext, request_id: Option<&str>) -> Result<ChatEvent, ProviderError> {
        match self.reason {
            Some(reason) => {
                tracing::warn!(
                    provider = &*ctx.provider,
                    model = ctx.model,
                    request_id,
                    "Bedrock sent no token counts"
                );
                Ok(ChatEvent::Finished { reason, usage: Usage::default() })
            }
            None => {
                tracing::warn!(
                    provider = &*ctx.provider,
                    model = ctx.model,
                    request_id,
                    "Bedrock's stream ended before messageStop"
                );
                Err(ProviderError::Unavailable("Bedrock closed the stream before messageStop".into()))
            }
        }
    }
}

/// `max_tokens` (and running out of context window) cut the answer; everything else (`end_turn`,
/// `stop_sequence`, `content_filtered`, ...) is the model stopping: the text so far is all there
/// will be.
fn finish_reason(stop_reason: &StopReason) -> FinishReason {
    match stop_reason {
        StopReason::MaxTokens | StopReason::ModelContextWindowExceeded => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::types::{
        ContentBlockDeltaEvent, ConverseStreamMetadataEvent, MessageStartEvent, MessageStopEvent, TokenUsage,
    };

    use super::*;

    fn delta(text: &str) -> ConverseStreamOutput {
        let event = ContentBlockDeltaEvent::builder()
            .delta(ContentBlockDelta::Text(text.into()))
            .content_block_index(0)
            .build()
            .expect("a delta");
        ConverseStreamOutput::ContentBlockDelta(event)
    }

    fn stop(reason: StopReason) -> ConverseStreamOutput {
        ConverseStreamOutput::MessageStop(MessageStopEvent::builder().stop_reason(reason).build().expect("a stop"))
    }

    fn metadata(input: i32, output: i32) -> ConverseStreamOutput {
        let usage =
            TokenUsage::builder().input_tokens(input).output_tokens(output).total_tokens(input + output).build();
        ConverseStreamOutput::Metadata(ConverseStreamMetadataEvent::builder().usage(usage.expect("usage")).build())
    }

    #[test]
    fn text_passes_on_and_the_counts_after_message_stop_finish_the_stream() {
        let mut state = State::default();
        let start = MessageStartEvent::builder().role("assistant".into()).build().expect("a start");
        assert_eq!(state.absorb(ConverseStreamOutput::MessageStart(start)), None);
        assert_eq!(state.absorb(delta("Hi")), Some(ChatEvent::Delta("Hi".into())));
        assert_eq!(state.absorb(delta("")), None);
        assert_eq!(state.absorb(stop(StopReason::MaxTokens)), None);
        let usage = Usage::reported(25, 15);
        assert_eq!(state.absorb(metadata(25, 15)), Some(ChatEvent::Finished { reason: FinishReason::Length, usage }));
    }

    #[test]
    fn counts_before_message_stop_do_not_end_the_stream() {
        let mut state = State::default();
        assert_eq!(state.absorb(metadata(3, 1)), None);
        assert_eq!(state.absorb(delta("more")), Some(ChatEvent::Delta("more".into())));
    }

    #[test]
    fn stop_reasons_other_than_running_out_are_a_stop() {
        for reason in
            [StopReason::EndTurn, StopReason::StopSequence, StopReason::ContentFiltered, StopReason::from("new")]
        {
            assert_eq!(finish_reason(&reason), FinishReason::Stop, "{reason:?}");
        }
        assert_eq!(finish_reason(&StopReason::ModelContextWindowExceeded), FinishReason::Length);
    }
}
