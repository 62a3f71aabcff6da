//! `POST /api/pull`: Ollama downloads a model and streams its progress as JSON lines,
//! `pulling manifest`, `pulling <digest>` with `total`/`completed` per layer, `verifying sha256
//! digest`, `writing manifest`, `success`. A line `{"error": "..."}` can come instead of any of
//! them (the registry unreachable, no such model, a disk full): the pull failed, and why.

use std::sync::Arc;

use futures::StreamExt;
use reqwest::Method;
use serde::Serialize;

use super::super::api::{Api, CallError};
use super::super::wire::PullLine;
use super::errors::{OllamaAdminError, from_call, short};
use super::{ListCache, PullProgress, PullStream};

#[derive(Serialize)]
struct PullBody<'a> {
    model: &'a str,
    stream: bool,
}

/// Starts pulling `model`. The stream yields each progress report and ends after `success`
/// (when the model is installed; the cached list is forgotten then), or with the error that
/// stopped it. Dropping the stream closes the connection; Ollama keeps what it downloaded and
/// resumes from there on the next pull.
pub(super) async fn start(api: Arc<Api>, listed: Arc<ListCache>, model: &str) -> Result<PullStream, OllamaAdminError> {
    let redact = |t: &str| api.redact(t);
    let map = |e: CallError| from_call(e, model, &api.name, &redact);
    let request = api.request(Method::POST, "/api/pull").map_err(map)?;
    let mut lines = api.lines(request.json(&PullBody { model, stream: true })).await.map_err(map)?;
    let model = model.to_owned();
    let stream = async_stream::stream! {
        loop {
            let line = match lines.next().await {
                Some(Ok(line)) => line,
                Some(Err(e)) => {
                    yield Err(from_call(CallError::from(e), &model, &api.name, &|t| api.redact(t)));
                    break;
                }
                None => {
                    yield Err(failed(&model, "Ollama closed the stream before the pull finished"));
                    break;
                }
            };
            let parsed = match serde_json::from_slice::<PullLine>(&line) {
                Ok(parsed) => parsed,
                Err(e) => {
                    tracing::warn!(provider = &*api.name, model, error = %e, "unreadable pull progress from Ollama");
                    yield Err(failed(&model, "Ollama sent a line that is not pull progress"));
                    break;
                }
            };
            if let Some(reason) = parsed.error {
                let reason = api.redact(&reason);
                tracing::warn!(provider = &*api.name, model, reason, "Ollama's pull failed");
                yield Err(failed(&model, &reason));
                break;
            }
            let progress = PullProgress {
                status: parsed.status.unwrap_or_default(),
                digest: parsed.digest,
                total: parsed.total,
                completed: parsed.completed,
            };
            let done = progress.is_success();
            if done {
                tracing::info!(provider = &*api.name, model, "Ollama pulled a model");
                listed.forget().await;
            }
            yield Ok(progress);
            if done {
                break;
            }
        }
    };
    Ok(stream.boxed())
}

fn failed(model: &str, reason: &str) -> OllamaAdminError {
    OllamaAdminError::PullFailed { model: model.to_owned(), reason: short(reason) }
}
