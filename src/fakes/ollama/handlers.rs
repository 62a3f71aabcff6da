//! The fake's request log, key check, and the model endpoints: tags, ps, show, delete, version.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::wire::{
    self, Details, ListModel, ListResponse, ProcessModel, ProcessResponse, ShowResponse, VersionResponse,
};
use super::{FakeModel, FakeOllamaRequest, Shared, lock, sorted_installed};
use crate::time::{ms_to_rfc3339, now_ms};

/// Bodies larger than this are not recorded whole (no test sends one).
const MAX_RECORDED_BODY: usize = 4 << 20;

/// Records every request (headers and JSON body) before it is handled, refused ones included.
pub(super) async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_RECORDED_BODY).await.unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body_json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
    lock(&shared.requests).push(FakeOllamaRequest { method: parts.method.to_string(), path, headers, body: body_json });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// With a key configured, every request needs `Authorization: Bearer <key>`: 401 otherwise, in
/// the `{"error": ...}` shape Ollama uses.
pub(super) async fn check_key(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Some(expected) = &shared.config.api_key {
        let sent = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(expected.as_str()) {
            return wire::error(StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }
    next.run(request).await
}

/// The JSON body as an object, or Ollama's 400 for it (boxed: a response is large).
pub(super) fn parse_body(body: &Bytes) -> Result<serde_json::Map<String, serde_json::Value>, Box<Response>> {
    let refused = |message: String| Box::new(wire::error(StatusCode::BAD_REQUEST, message));
    if body.is_empty() {
        return Err(refused("missing request body".into()));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(refused("json: cannot unmarshal into Go value of type api.Request".into())),
        Err(e) => Err(refused(e.to_string())),
    }
}

/// `model` of a request (or the older `name`), empty if neither.
pub(super) fn model_field(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    let field = |k: &str| fields.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let model = field("model");
    if model.is_empty() { field("name") } else { model }
}

/// `GET /api/show`, `DELETE /api/delete` and a generate for a model that is not there.
pub(super) fn model_not_found(name: &str) -> Response {
    wire::error(StatusCode::NOT_FOUND, format!("model '{name}' not found"))
}

pub(super) fn details(model: &FakeModel) -> Details<'_> {
    Details {
        parent_model: "",
        format: "gguf",
        family: &model.family,
        families: [&model.family],
        parameter_size: &model.parameter_size,
        quantization_level: &model.quantization_level,
    }
}

pub(super) async fn tags(State(shared): State<Arc<Shared>>) -> Response {
    let installed = sorted_installed(&shared);
    let models = installed
        .iter()
        .map(|(m, at)| ListModel {
            name: &m.name,
            model: &m.name,
            modified_at: ms_to_rfc3339(*at),
            size: m.size,
            digest: &m.digest,
            details: details(m),
        })
        .collect();
    Json(ListResponse { models }).into_response()
}

/// The loaded models that have not expired (expired ones are dropped, as Ollama unloads them).
pub(super) fn live_loaded(shared: &Shared) -> BTreeMap<String, i64> {
    let now = now_ms();
    let mut loaded = lock(&shared.loaded);
    loaded.retain(|_, expires| *expires > now);
    loaded.clone()
}

pub(super) async fn ps(State(shared): State<Arc<Shared>>) -> Response {
    let mut loaded: Vec<(FakeModel, i64)> = live_loaded(&shared)
        .into_iter()
        .filter_map(|(name, expires)| shared.installed_model(&name).map(|m| (m, expires)))
        .collect();
    // The one to stay longest first.
    loaded.sort_by_key(|(_, expires)| std::cmp::Reverse(*expires));
    let models = loaded
        .iter()
        .map(|(m, expires)| ProcessModel {
            name: &m.name,
            model: &m.name,
            // Weights plus a little for the KV cache, all of it on the "GPU".
            size: m.size + 300_000_000,
            digest: &m.digest,
            details: details(m),
            expires_at: ms_to_rfc3339(*expires),
            size_vram: m.size + 300_000_000,
            context_length: 4096,
        })
        .collect();
    Json(ProcessResponse { models }).into_response()
}

pub(super) async fn show(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fields = match parse_body(&body) {
        Ok(fields) => fields,
        Err(refusal) => return *refusal,
    };
    let name = model_field(&fields);
    if name.is_empty() {
        return wire::error(StatusCode::BAD_REQUEST, "model is required");
    }
    let Some(model) = shared.installed_model(&name) else {
        return model_not_found(&name);
    };
    let modified_at =
        lock(&shared.installed).iter().find(|(m, _)| m.name == model.name).map(|(_, at)| *at).unwrap_or_default();
    let mut model_info = serde_json::Map::new();
    model_info.insert("general.architecture".into(), model.family.clone().into());
    model_info.insert("general.parameter_count".into(), 3_212_749_888u64.into());
    model_info.insert(format!("{}.context_length", model.family), model.context_length.into());
    model_info.insert(format!("{}.embedding_length", model.family), 3072.into());
    let response = ShowResponse {
        license: "",
        modelfile: format!(
            "# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM {}\n\nFROM /root/.ollama/models/blobs/sha256-{}\nTEMPLATE \"{{{{ .Prompt }}}}\"\nPARAMETER stop <|eot_id|>\n",
            model.name, model.digest
        ),
        parameters: "stop                           \"<|eot_id|>\"",
        template: "{{ if .System }}{{ .System }}\n{{ end }}{{ .Prompt }}",
        details: details(&model),
        model_info,
        capabilities: ["completion"],
        modified_at: ms_to_rfc3339(modified_at),
    };
    Json(response).into_response()
}

/// Deletes the model (and unloads it); 200 with no body, as Ollama answers.
pub(super) async fn delete(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fields = match parse_body(&body) {
        Ok(fields) => fields,
        Err(refusal) => return *refusal,
    };
    let name = model_field(&fields);
    let Some(model) = shared.installed_model(&name) else {
        return model_not_found(&name);
    };
    lock(&shared.installed).retain(|(m, _)| m.name != model.name);
    lock(&shared.loaded).remove(&model.name);
    StatusCode::OK.into_response()
}

pub(super) async fn version(State(shared): State<Arc<Shared>>) -> Response {
    Json(VersionResponse { version: &shared.config.version }).into_response()
}

/// Gin's answer to a path it has no route for.
pub(super) async fn unknown_url() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], "404 page not found").into_response()
}
