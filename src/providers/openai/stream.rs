//! Adapts async-openai's chunk stream to [`ChatEvent`]s.

use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::types::{
    ChatCompletionResponseStream, CreateChatCompletionStreamResponse, FinishReason as OpenAiFinish,
};
use futures::StreamExt;

use super::super::{ChatEvent, ChatStream, FinishReason, ProviderError, Usage};
use super::errors;
use crate::settings::Secret;

/// What one stream needs besides the upstream chunks.
pub(super) struct StreamContext {
    pub provider: &'static str,
    pub key: Secret,
    /// Longest wait for the first chunk and between two chunks.
    pub idle_timeout: Duration,
    /// Our own prompt estimate, reported if the server sends no usage.
    pub estimated_prompt_tokens: u32,
}

/// Waits for the first chunk, then hands back the rest as a stream.
///
/// Waiting first means failures before any text (wrong key, rate limit, unreachable server) come
/// back from `stream_chat` itself, while the caller can still answer with a proper HTTP status
/// instead of a broken stream.
pub(super) async fn start(
    mut upstream: ChatCompletionResponseStream,
    ctx: StreamContext,
) -> Result<ChatStream, ProviderError> {
    let first = next_chunk(&mut upstream, &ctx).await?;
    let stream = async_stream::stream! {
        let mut state = State::default();
        let mut next = first;
        loop {
            let Some(chunk) = next else {
                yield state.finish(&ctx);
                break;
            };
            if let Some(text) = state.absorb(chunk) {
                metrics::counter!("webplus_tokens_generated_total", "provider" => ctx.provider).increment(1);
                yield Ok(ChatEvent::Delta(text));
            }
            next = match next_chunk(&mut upstream, &ctx).await {
                Ok(next) => next,
                // The model already said why it stopped; losing the connection before `[DONE]`
                // (some servers just close) loses nothing the caller needs.
                Err(e) if state.finish_reason.is_some() => {
                    tracing::debug!(provider = ctx.provider, error = %e, "stream cut after the finish chunk");
                    None
                }
                Err(e) => {
                    yield Err(e);
                    break;
                }
            };
        }
        // Dropping `upstream` here (or when the caller drops this stream) ends async-openai's
        // reader task the next time it has something to send.
    };
    Ok(Box::pin(stream))
}

/// `Ok(None)` is the end of the stream (`[DONE]`).
async fn next_chunk(
    upstream: &mut ChatCompletionResponseStream,
    ctx: &StreamContext,
) -> Result<Option<CreateChatCompletionStreamResponse>, ProviderError> {
    match tokio::time::timeout(ctx.idle_timeout, upstream.next()).await {
        Err(_) => {
            tracing::warn!(provider = ctx.provider, timeout = ?ctx.idle_timeout, "provider went silent");
            Err(ProviderError::Unavailable(format!(
                "the provider sent nothing for {} s",
                ctx.idle_timeout.as_secs_f32()
            )))
        }
        Ok(None) => Ok(None),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        Ok(Some(Err(e))) => Err(map_error(e, ctx)),
    }
}

fn map_error(e: OpenAIError, ctx: &StreamContext) -> ProviderError {
    errors::from_openai(e, ctx.provider, &ctx.key)
}

#[derive(Default)]
struct State {
    finish_reason: Option<FinishReason>,
    usage: Option<Usage>,
    deltas: u32,
}

impl State {
    /// Takes in one chunk; returns its text, if any. Only choice 0 counts: Web+ never asks for `n > 1`.
    fn absorb(&mut self, chunk: CreateChatCompletionStreamResponse) -> Option<String> {
        if let Some(u) = chunk.usage {
            self.usage = Some(Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
            });
        }
        let choice = chunk.choices.into_iter().find(|c| c.index == 0)?;
        if let Some(reason) = choice.finish_reason {
            self.finish_reason = Some(match reason {
                OpenAiFinish::Length => FinishReason::Length,
                // Tools are never offered and a content-filter stop is still a stop: the text so
                // far is all there will be.
                OpenAiFinish::Stop
                | OpenAiFinish::ContentFilter
                | OpenAiFinish::ToolCalls
                | OpenAiFinish::FunctionCall => FinishReason::Stop,
            });
        }
        let text = choice.delta.content.filter(|t| !t.is_empty())?;
        self.deltas = self.deltas.saturating_add(1);
        Some(text)
    }

    fn finish(&self, ctx: &StreamContext) -> Result<ChatEvent, ProviderError> {
        let Some(reason) = self.finish_reason else {
            return Err(ProviderError::Unavailable(
                "the provider ended the stream without saying why it stopped".into(),
            ));
        };
        // Servers that ignore `stream_options.include_usage` send no usage; an estimate (one token
        // per chunk is how OpenAI-compatible servers stream) beats reporting zero.
        let usage = self.usage.unwrap_or(Usage {
            prompt_tokens: ctx.estimated_prompt_tokens,
            completion_tokens: self.deltas,
        });
        Ok(ChatEvent::Finished { reason, usage })
    }
}
