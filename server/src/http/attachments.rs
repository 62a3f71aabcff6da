//! `POST /api/v1/attachments?name=<file name>`: a file for a message the user is writing, as the
//! request body (its `Content-Type` is only a claim: the engine decides by content); answers 201
//! with the attachment (`AttachmentDto`), whose id `chat/send` takes. `GET
//! /api/v1/attachments/{id}`: the file back, to its owner only, always as a download. Documented
//! in docs/API.md.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{ApiError, Authenticated, error::request_id};
use crate::state::AppState;

pub async fn upload(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(name) = params.get("name").filter(|n| !n.trim().is_empty()) else {
        return Err(ApiError::invalid("missing_name", "name: give the file's name (?name=report.pdf)"));
    };
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let row = state
        .services
        .chat
        .attach(&me.user_id, name, declared, body.to_vec())
        .await
        .map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    Ok((StatusCode::CREATED, Json(app::ssr::convert::attachment(&row))).into_response())
}

pub async fn download(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let engine = |e| ApiError::from_engine(e, &request_id(&headers));
    let (row, bytes) = state.services.chat.attachment_file(&me.user_id, &id).await.map_err(engine)?;
    let content_type =
        HeaderValue::from_str(&row.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition =
        HeaderValue::from_str(&content_disposition(&row.name)).map_err(|e| engine(webplus::Error::internal(e)))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600")),
            // Opened on its own, the file can run nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'; frame-ancestors 'none'"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `attachment` with an ASCII file name for old clients and the real one (RFC 5987, UTF-8).
fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(name, NON_ALPHANUMERIC))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_safely_and_kept_in_utf8() {
        assert_eq!(
            content_disposition("Résumé \"v2\".pdf"),
            "attachment; filename=\"R_sum_ _v2_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22v2%22%2Epdf"
        );
    }
}
