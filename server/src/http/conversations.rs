//! `GET /api/v1/conversations/{id}/export?format=markdown|json` (a download) and
//! `POST /api/v1/conversations/import` (the file as the body: a Web+ export or ChatGPT's
//! `conversations.json`). Documented in docs/API.md.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::{ApiError, Authenticated, error::request_id};
use crate::state::AppState;

pub async fn export(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let engine = |e| ApiError::from_engine(e, &request_id(&headers));
    let chat = &state.services.chat;
    let (file_name, content_type, body) = match params.get("format").map(String::as_str).unwrap_or("markdown") {
        "markdown" | "md" => {
            let md = chat.export_markdown(&me.user_id, &id).await.map_err(engine)?;
            (md.file_name, "text/markdown; charset=utf-8", md.text.into_bytes())
        }
        "json" => {
            let (name, file) = chat.export_json(&me.user_id, &id).await.map_err(engine)?;
            let body = serde_json::to_vec_pretty(&file).map_err(|e| engine(webplus::Error::internal(e)))?;
            (name, "application/json", body)
        }
        other => {
            return Err(ApiError::invalid("invalid_value", format!("format: {other:?} is not markdown or json")));
        }
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .map_err(|e| engine(webplus::Error::internal(e)))?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

#[derive(Serialize)]
pub struct Imported {
    pub conversations: Vec<ImportedConversation>,
    /// Messages left out: system and tool messages, hidden ones, content other than text.
    pub skipped_messages: usize,
}

#[derive(Serialize)]
pub struct ImportedConversation {
    pub id: String,
    pub title: String,
    pub messages: usize,
}

pub async fn import(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let report = state
        .services
        .chat
        .import(&me.user_id, &body)
        .await
        .map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    Ok(Json(Imported {
        conversations: report
            .conversations
            .into_iter()
            .map(|(id, title, messages)| ImportedConversation { id, title, messages })
            .collect(),
        skipped_messages: report.skipped_messages,
    }))
}
