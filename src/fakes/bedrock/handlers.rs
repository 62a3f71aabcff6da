//! `InvokeModel` for Titan Text Embeddings, and what every operation shares: the request log, the
//! SigV4 header check, Bedrock's error answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{BedrockFailure, FakeBedrockRequest, InFlight, Shared};
use crate::fakes::hashed_bag;

/// Titan V1 does not normalise; the fake scales its vectors by this so clients that forget to
/// normalise get caught.
const UNNORMALISED_SCALE: f32 = 4.2;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanResponse<'a> {
    embedding: &'a [f32],
    input_text_token_count: usize,
    /// V2 only; always `{"float": [...]}` unless other types were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    embeddings_by_type: Option<ByType<'a>>,
}

#[derive(Serialize)]
struct ByType<'a> {
    float: &'a [f32],
}

pub(super) async fn invoke_model(
    State(shared): State<Arc<Shared>>,
    Path(model_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (request, _in_flight) = match accept(&shared, "InvokeModel", &model_id, &headers, &body) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    let config = &shared.config;
    if !config.models.contains(&model_id) {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            "Could not resolve the foundation model from the provided model identifier.",
        );
    }
    let text = request.body.get("inputText").and_then(|t| t.as_str()).unwrap_or_default();
    if !config.delay.is_zero() {
        tokio::time::sleep(config.delay.mul_f32((text.len() % 4 + 1) as f32 / 4.0)).await;
    }
    if let Some(refused) = shared.next_failure().and_then(failure_response) {
        return refused;
    }
    titan(&model_id, &request.body)
}

/// Checks the body as Titan does and answers with its JSON.
fn titan(model_id: &str, body: &serde_json::Value) -> Response {
    let malformed = |detail: String| {
        aws_error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &format!("Malformed input request: {detail}, please reformat your input and try again."),
        )
    };
    let Some(text) = body.get("inputText").and_then(|t| t.as_str()) else {
        return malformed("#: required key [inputText] not found".into());
    };
    if text.is_empty() {
        return malformed("#/inputText: expected minLength: 1, actual: 0".into());
    }
    let v1 = model_id.contains("titan-embed-text-v1");
    if v1 && let Some(key) = ["dimensions", "normalize"].into_iter().find(|k| body.get(*k).is_some()) {
        return malformed(format!("extraneous key [{key}] is not permitted"));
    }
    let dims = match body.get("dimensions") {
        None => {
            if v1 {
                1536
            } else {
                1024
            }
        }
        Some(d) => match d.as_u64() {
            Some(d @ (256 | 512 | 1024)) => d as usize,
            _ => return malformed(format!("#/dimensions: {d} is not a valid enum value")),
        },
    };
    let normalize = !v1 && body.get("normalize").and_then(|n| n.as_bool()).unwrap_or(true);
    let mut vector = hashed_bag(text, dims);
    if !normalize {
        vector.iter_mut().for_each(|x| *x *= UNNORMALISED_SCALE);
    }
    let tokens = text.split_whitespace().count().max(1);
    let answer = TitanResponse {
        embedding: &vector,
        input_text_token_count: tokens,
        embeddings_by_type: (!v1).then_some(ByType { float: &vector }),
    };
    let mut response = axum::Json(answer).into_response();
    let headers = response.headers_mut();
    headers.insert("x-amzn-requestid", request_id());
    headers.insert("x-amzn-bedrock-invocation-latency", HeaderValue::from_static("21"));
    if let Ok(count) = HeaderValue::from_str(&tokens.to_string()) {
        headers.insert("x-amzn-bedrock-input-token-count", count);
    }
    response
}

/// Records the call and checks its signature: the call as recorded and its in-flight guard, or
/// the refusal AWS's front door would send (boxed: a response is large, the happy path small).
pub(super) fn accept(
    shared: &Arc<Shared>,
    operation: &'static str,
    model_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(FakeBedrockRequest, InFlight), Box<Response>> {
    let request = record(operation, model_id, headers, body);
    shared.requests().push(request.clone());
    let config = &shared.config;
    if let Some(refused) = signature_failure(headers, &request, &config.access_key_id, &config.region) {
        return Err(Box::new(refused));
    }
    Ok((request, shared.enter()))
}

/// What the test can inspect later, parsed from the SigV4 header as far as it goes.
fn record(operation: &'static str, model_id: &str, headers: &HeaderMap, body: &[u8]) -> FakeBedrockRequest {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let field = |name: &str| {
        auth.split([' ', ','])
            .find_map(|part| part.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
            .unwrap_or_default()
            .to_owned()
    };
    let credential = field("Credential");
    // <access key>/<yyyymmdd>/<region>/<service>/aws4_request
    let scope: Vec<&str> = credential.split('/').collect();
    let part = |i: usize| scope.get(i).copied().unwrap_or_default().to_owned();
    FakeBedrockRequest {
        operation,
        model_id: model_id.to_owned(),
        body: serde_json::from_slice(body)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned())),
        access_key_id: part(0),
        scope_date: part(1),
        region: part(2),
        service: part(3),
        signed_headers: field("SignedHeaders").split(';').filter(|h| !h.is_empty()).map(str::to_owned).collect(),
        amz_date: headers.get("x-amz-date").and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

/// The error AWS's front door sends for this `Authorization` header, if any.
fn signature_failure(headers: &HeaderMap, req: &FakeBedrockRequest, key: &str, region: &str) -> Option<Response> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let forbidden = |kind: &str, message: &str| Some(aws_error(StatusCode::FORBIDDEN, kind, message));
    let Some(auth) = auth else {
        return forbidden("MissingAuthenticationTokenException", "Missing Authentication Token");
    };
    let signature = auth.split([' ', ',']).find_map(|p| p.strip_prefix("Signature=")).unwrap_or_default();
    let well_formed = auth.starts_with("AWS4-HMAC-SHA256 ")
        && req.scope_date.len() == 8
        && auth.contains("/aws4_request")
        && signature.len() == 64
        && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed || !["host", "x-amz-date"].iter().all(|h| req.signed_headers.iter().any(|s| s == h)) {
        return forbidden(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' (host and x-amz-date) parameters.",
        );
    }
    match &req.amz_date {
        Some(date) if date.starts_with(&req.scope_date) => {}
        _ => {
            return forbidden(
                "IncompleteSignatureException",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
            );
        }
    }
    if req.access_key_id != key {
        return forbidden("UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    if req.region != region || req.service != "bedrock" {
        return forbidden(
            "InvalidSignatureException",
            &format!(
                "Credential should be scoped to a valid region and to service 'bedrock', not '{}/{}'.",
                req.region, req.service
            ),
        );
    }
    None
}

/// The answer for a failure that replaces the whole response; `None` for the stream ones.
pub(super) fn failure_response(failure: BedrockFailure) -> Option<Response> {
    let response = match failure {
        BedrockFailure::Throttling => aws_error(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        ),
        BedrockFailure::AccessDenied => aws_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        ),
        BedrockFailure::ModelNotReady => aws_error(
            StatusCode::TOO_MANY_REQUESTS,
            "ModelNotReadyException",
            "Model is not ready for inference. Wait and try your request again.",
        ),
        BedrockFailure::ServiceUnavailable => aws_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
        ),
        BedrockFailure::ModelNotFound => aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            "This model version has reached the end of its life. Please refer to the AWS documentation for more details.",
        ),
        BedrockFailure::ExceptionAfter { .. } | BedrockFailure::StallAfter(_) => return None,
    };
    Some(response)
}

pub(super) async fn unknown_operation() -> Response {
    aws_error(StatusCode::NOT_FOUND, "UnknownOperationException", "")
}

/// Bedrock's error answer: `{"message": ...}`, the type (with its namespace) in `x-amzn-ErrorType`.
pub(super) fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    let mut response = axum::Json(serde_json::json!({ "message": message })).into_response();
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(kind) = HeaderValue::from_str(&format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/")) {
        headers.insert("x-amzn-errortype", kind);
    }
    headers.insert("x-amzn-requestid", request_id());
    response
}

pub(super) fn request_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or(HeaderValue::from_static("0"))
}
