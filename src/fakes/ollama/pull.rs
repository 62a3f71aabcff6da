//! `POST /api/pull`: Ollama's progress lines for a model of the fake's library (`pulling
//! manifest`, each layer's `pulling <digest>` with `total` and a growing `completed`, `verifying
//! sha256 digest`, `writing manifest`, `success`), installing it just before `success`. A name not
//! in the library fails after the manifest line, as Ollama's registry answers it. With gated pulls
//! every line after the first waits for the test to release it.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::chat::ndjson_body;
use super::handlers::{model_field, parse_body};
use super::wire::{self, ErrorBody, Progress};
use super::{FakeModel, OllamaFailure, Shared, canonical, install, lock};

/// What Ollama says when the registry has no such model.
const NO_SUCH_MODEL: &str = "pull model manifest: file does not exist";

pub(super) async fn pull(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fields = match parse_body(&body) {
        Ok(fields) => fields,
        Err(refusal) => return *refusal,
    };
    let name = canonical(&model_field(&fields));
    if name == ":latest" {
        return wire::error(StatusCode::BAD_REQUEST, "invalid model name");
    }
    let model = shared.config.library.iter().chain(&shared.config.installed).find(|m| m.name == name).cloned();
    let fail_after = match lock(&shared.pull_failures).pop_front() {
        Some(OllamaFailure::PullFailsAfter { lines, reason }) => Some((lines, reason)),
        _ => None,
    };
    let steps = match &model {
        Some(model) => steps(model),
        None => vec![Progress::status("pulling manifest")],
    };
    // Where the stream ends, and with which error (None: it succeeds).
    let (sent, error) = match (fail_after, &model) {
        (Some((lines, reason)), _) if lines < steps.len() => (lines, Some(reason)),
        (_, None) => (steps.len(), Some(NO_SUCH_MODEL.to_owned())),
        _ => (steps.len(), None),
    };

    let stream = fields.get("stream").and_then(serde_json::Value::as_bool).unwrap_or(true);
    if !stream {
        return match (error, model) {
            (Some(error), _) => wire::error(StatusCode::INTERNAL_SERVER_ERROR, error),
            (None, model) => {
                if let Some(model) = model {
                    install(&shared, model);
                }
                Json(Progress::status("success")).into_response()
            }
        };
    }
    let gated = shared.config.gated_pulls;
    let lines = async_stream::stream! {
        for (i, step) in steps.into_iter().take(sent).enumerate() {
            if gated && i > 0 && !wait_for_release(&shared).await {
                break;
            }
            if step.status == "success" && let Some(model) = &model {
                install(&shared, model.clone());
            }
            yield Ok::<Bytes, std::io::Error>(wire::ndjson_line(&step));
        }
        if let Some(error) = error {
            if gated && !wait_for_release(&shared).await {
                return;
            }
            yield Ok(wire::ndjson_line(&ErrorBody { error }));
        }
    };
    ndjson_body(Body::from_stream(lines))
}

/// Takes one released step; false if the gate was closed.
async fn wait_for_release(shared: &Shared) -> bool {
    match shared.pull_gate.acquire().await {
        Ok(permit) => {
            permit.forget();
            true
        }
        Err(_) => false,
    }
}

/// Every progress line of a pull of `model`, in order.
fn steps(model: &FakeModel) -> Vec<Progress> {
    let mut steps = vec![Progress::status("pulling manifest")];
    // The weights, then a small layer (the template and parameters).
    let layers = [(model.digest.clone(), model.size), (super::digest_of(&format!("{}/params", model.name)), 96)];
    for (digest, total) in layers {
        let status = format!("pulling {}", &digest[..12]);
        let digest = format!("sha256:{digest}");
        // Until some of a layer is done, Ollama leaves `completed` out.
        steps.push(Progress {
            status: status.clone(),
            digest: Some(digest.clone()),
            total: Some(total),
            completed: None,
        });
        for part in [total / 3, total / 3 * 2, total] {
            let completed = Some(part);
            steps.push(Progress {
                status: status.clone(),
                digest: Some(digest.clone()),
                total: Some(total),
                completed,
            });
        }
    }
    for status in ["verifying sha256 digest", "writing manifest", "success"] {
        steps.push(Progress::status(status));
    }
    steps
}
