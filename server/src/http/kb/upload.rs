//! `POST /api/v1/knowledge-bases/{id}/documents`: multipart upload of one or many files. Each file
//! is read with a size cap as it streams in; type checks and extraction happen in the engine.

use axum::{
    Json,
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};

use webplus::{domain::JobStatus, sitechat::UploadedFile};

use super::{
    ApiResult,
    dto::{UploadStarted, UploadedDocument},
    engine,
};
use crate::{
    http::{ApiError, Authenticated},
    state::AppState,
};

pub async fn upload_documents(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult {
    let mut multipart = multipart.map_err(|_| {
        ApiError::invalid(
            "invalid_content_type",
            "send the files as multipart/form-data (curl -F file=@report.pdf), one part per file",
        )
    })?;
    let sc = &state.services.sitechat;
    // Access first: a stranger learns nothing, and nobody uploads megabytes into a 404.
    sc.owned_kb(&me.user_id, &id).await.map_err(engine(&headers))?;
    let (max_bytes, max_files) = (sc.config().max_upload_bytes, sc.config().max_files_per_upload);
    let mut files = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError::invalid(
                    "invalid_multipart",
                    format!("the upload could not be read: {}", e.body_text()),
                ));
            }
        };
        let Some(name) = field.file_name().map(str::to_owned) else { continue };
        if files.len() == max_files {
            return Err(ApiError::invalid("too_many_files", format!("send at most {max_files} files per upload")));
        }
        let content_type = field.content_type().map(str::to_owned);
        let mut bytes = Vec::new();
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "invalid_request_error",
                            "file_too_large",
                            format!("{name} is larger than the limit of {} MB per file", max_bytes / (1024 * 1024)),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ApiError::invalid(
                        "invalid_multipart",
                        format!("the upload could not be read: {}", e.body_text()),
                    ));
                }
            }
        }
        files.push(UploadedFile { name, content_type, bytes });
    }
    if files.is_empty() {
        return Err(ApiError::invalid(
            "no_files",
            "the upload has no files: send each as a form part with a file name",
        ));
    }
    let (job, docs) = sc.upload(&me.user_id, &id, files).await.map_err(engine(&headers))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(UploadStarted {
            status: JobStatus::parse(&job.status),
            job_id: job.id,
            documents: docs.iter().map(UploadedDocument::from).collect(),
        }),
    )
        .into_response())
}
