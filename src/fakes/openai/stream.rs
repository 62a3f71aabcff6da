//! The streamed answer: a role chunk, content chunks, a finish chunk, maybe a usage chunk, `[DONE]`.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;

use super::common::{ParsedRequest, count, now_secs, reply_for, server_error, sse_response};
use super::wire::{self, Chunk, ChunkChoice, Delta};
use super::{Failure, FakeOpenAiConfig};

/// Lets hyper write out what it has buffered before the connection is cut, so the client really
/// receives the chunks sent before the failure (a body error can discard unflushed bytes).
const FLUSH_PAUSE: Duration = Duration::from_millis(20);

pub(super) fn response(id: String, request: ParsedRequest, config: FakeOpenAiConfig) -> Response {
    let body = async_stream::stream! {
        let frames = Frames { id: &id, model: &request.model, created: now_secs(), include_usage: request.include_usage };
        let (chunks, finish_reason) = reply_for(&request, &config);

        let role = Delta { role: Some("assistant"), content: Some(""), refusal: Some(None) };
        yield Ok::<Bytes, std::io::Error>(frames.chunk(role, None));

        for (sent, text) in chunks.iter().enumerate() {
            match config.failure {
                Some(Failure::ErrorEventAfter(n)) if sent == n => {
                    yield Ok(wire::sse_event(&server_error()));
                    return;
                }
                Some(Failure::DropAfter(n)) if sent == n => {
                    tokio::time::sleep(FLUSH_PAUSE).await;
                    yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fake OpenAI: dropping the connection"));
                    return;
                }
                _ => {}
            }
            let pause = pause(&config, &id, sent);
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let stamped = config.stamp.map(|epoch| format!("{sent}@{} ", epoch.elapsed().as_micros()));
            let text = stamped.as_deref().unwrap_or(text);
            yield Ok(frames.chunk(Delta { content: Some(text), ..Delta::default() }, None));
        }

        // A failure set after the last chunk still fires, so `…After(reply.len())` fails a
        // stream that has delivered everything but its ending.
        match config.failure {
            Some(Failure::ErrorEventAfter(n)) if n >= chunks.len() => {
                yield Ok(wire::sse_event(&server_error()));
                return;
            }
            Some(Failure::DropAfter(n)) if n >= chunks.len() => {
                tokio::time::sleep(FLUSH_PAUSE).await;
                yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fake OpenAI: dropping the connection"));
                return;
            }
            _ => {}
        }

        yield Ok(frames.chunk(Delta::default(), Some(finish_reason)));
        if frames.include_usage {
            let usage = wire::Usage::new(request.prompt_tokens, count(chunks.len()));
            yield Ok(frames.usage(usage));
        }
        yield Ok(Bytes::from_static(wire::SSE_DONE));
    };
    sse_response(Body::from_stream(body))
}

/// The pause before chunk `n` of answer `id`: the delay, moved by up to the jitter either way (a
/// pseudo-random sequence per answer, so concurrent answers do not pause in step).
fn pause(config: &FakeOpenAiConfig, id: &str, n: usize) -> Duration {
    let jitter = config.chunk_jitter.as_micros() as i64;
    if jitter == 0 {
        return config.chunk_delay;
    }
    // SplitMix64 of the answer's FNV-1a hash and the chunk number: spread evenly over -jitter..=jitter.
    let seed = id.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3));
    let mut z = seed.wrapping_add(n as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let offset = (z % (2 * jitter as u64 + 1)) as i64 - jitter;
    let micros = (config.chunk_delay.as_micros() as i64 + offset).max(0);
    Duration::from_micros(micros as u64)
}

/// What every chunk of one answer has in common.
struct Frames<'a> {
    id: &'a str,
    model: &'a str,
    created: u64,
    include_usage: bool,
}

impl Frames<'_> {
    fn chunk(&self, delta: Delta<'_>, finish_reason: Option<&'static str>) -> Bytes {
        let choice = ChunkChoice { index: 0, delta, logprobs: None, finish_reason };
        wire::sse_event(&self.base(vec![choice], self.include_usage.then_some(None)))
    }

    /// The extra last chunk `stream_options.include_usage` asks for: no choices, only usage.
    fn usage(&self, usage: wire::Usage) -> Bytes {
        wire::sse_event(&self.base(Vec::new(), Some(Some(usage))))
    }

    fn base<'c>(&'c self, choices: Vec<ChunkChoice<'c>>, usage: Option<Option<wire::Usage>>) -> Chunk<'c> {
        Chunk {
            id: self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: self.model,
            service_tier: "default",
            system_fingerprint: wire::SYSTEM_FINGERPRINT,
            choices,
            usage,
        }
    }
}
