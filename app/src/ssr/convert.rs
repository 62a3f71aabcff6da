//! Engine errors and rows into what clients may see.

use http::StatusCode;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use webplus::{
    Error,
    answer::Source,
    chat::{Exchange, ThreadMessage},
    sitechat::{JobView, KbView, Publication},
    storage::{ApiKeyRow, ConversationRow, DocumentSummary, MessageRow, UserRow},
};

use crate::{dto::*, error::AppError};

mod pipelines;
pub use pipelines::*;

/// The HTTP status for an engine error, from the engine's one table ([`Error::status`]).
pub fn status_of(e: &Error) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The request id of the current request (set by the server's request-id middleware).
fn request_id() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(String::from))
        .unwrap_or_else(|| "-".into())
}

/// An engine error as a client sees it, logged by kind ([`Error::log`]: internal ones at ERROR with
/// their cause chain, replaced here by "internal error" and the request id). Sets the response
/// status (and `Retry-After`, in whole seconds rounded up by the engine) when in a request.
pub fn to_app_error(e: Error) -> AppError {
    let request_id = request_id();
    e.log(&request_id);
    if let Some(opts) = use_context::<ResponseOptions>() {
        // A page sending a visitor to /login keeps that redirect: what it loaded meanwhile
        // failed for the same reason (called while rendering, this is the page's response).
        let redirecting = opts.0.read().is_ok_and(|p| p.status.is_some_and(|s| s.is_redirection()));
        if !redirecting {
            opts.set_status(status_of(&e));
        }
        if let Error::RateLimited { retry_after_secs } = &e
            && let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            opts.insert_header(http::header::RETRY_AFTER, v);
        }
    }
    match e {
        Error::NotFound(what) => AppError::NotFound(what.into()),
        Error::Unauthorized(m) => AppError::Unauthorized(m),
        Error::Forbidden(m) => AppError::Forbidden(m),
        Error::Invalid(v) => AppError::Invalid { field: v.field.into(), reason: v.reason },
        Error::UnknownModel(_) => AppError::invalid("model", e.to_string()),
        Error::Conflict(m) => AppError::Conflict(m),
        Error::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
        Error::Unavailable(_) | Error::ModelMissing { .. } | Error::ProviderKeyRefused { .. } => {
            AppError::Unavailable(e.public_message(&request_id))
        }
        Error::Internal(_) => AppError::Internal { request_id },
    }
}

pub fn user(u: &UserRow) -> UserInfo {
    UserInfo { id: u.id.clone(), email: u.email.clone(), role: u.role() }
}

pub fn connection(c: &webplus::connections::Connection) -> ConnectionDto {
    ConnectionDto {
        id: c.id.clone(),
        kind: c.kind.as_str().to_owned(),
        kind_label: c.kind.label().to_owned(),
        name: c.name.clone(),
        base_url: c.base_url.clone(),
        region: c.region.clone(),
        models: c.models.clone(),
        has_key: c.has_key,
        from_settings: c.source == webplus::connections::ConnectionSource::Settings,
        problem: c.problem.clone(),
    }
}

pub fn catalog_model(m: webplus::catalog::CatalogModel) -> CatalogModelDto {
    CatalogModelDto {
        id: m.id,
        kind: m.kind.to_owned(),
        dimensions: m.dimensions,
        model: m.model,
        connection: m.connection,
        upstream_id: m.upstream_id,
        name: m.name,
        context_window: m.context_window,
        max_output: m.max_output,
        input_price_per_mtok: m.input_price_per_mtok,
        output_price_per_mtok: m.output_price_per_mtok,
        cached_input_price_per_mtok: m.cached_input_price_per_mtok,
        vision: m.vision,
        tools: m.tools,
        json_output: m.json_output,
        overridden: m.overridden.iter().map(|f| (*f).to_owned()).collect(),
        enabled: m.enabled,
        access: if m.access == webplus::catalog::Access::Admins { "admins" } else { "everyone" }.to_owned(),
        default_params: serde_json::to_string(&m.default_params).unwrap_or_else(|_| "{}".into()),
        fallbacks: m.fallbacks,
        served: m.served,
    }
}

pub fn ollama_model(m: &webplus::connections::OllamaModel) -> OllamaModelDto {
    OllamaModelDto {
        name: m.name.clone(),
        model: m.model.clone(),
        size: m.size,
        parameter_size: m.parameter_size.clone(),
        quantization_level: m.quantization_level.clone(),
        running: m.running,
        expires_at: m.expires_at,
    }
}

pub fn pull_job(j: &webplus::connections::PullJob) -> PullJobDto {
    use webplus::connections::PullStatus;
    let status = match j.status {
        PullStatus::Running => "running",
        PullStatus::Done => "done",
        PullStatus::Failed => "failed",
    };
    PullJobDto {
        id: j.id.clone(),
        model: j.model.clone(),
        status: status.to_owned(),
        status_text: j.status_text.clone(),
        completed: j.completed,
        total: j.total,
        error: j.error.clone(),
    }
}

pub fn admin_user(u: &UserRow) -> AdminUserDto {
    AdminUserDto {
        id: u.id.clone(),
        email: u.email.clone(),
        role: u.role(),
        disabled: u.is_disabled(),
        pending: u.status() == webplus::storage::UserStatus::Pending,
        created_at: u.created_at,
    }
}

pub fn conversation(c: &ConversationRow) -> ConversationDto {
    ConversationDto {
        id: c.id.clone(),
        title: c.title.clone(),
        model: c.model.clone(),
        updated_at: c.updated_at,
        pinned: c.is_pinned(),
        archived: c.is_archived(),
    }
}

pub fn message(m: &MessageRow) -> MessageDto {
    let sources = sources(m.sources.as_deref());
    let html = match m.role() {
        MessageRole::Assistant => webplus::render::blocks(&m.content, citations(&m.id, &sources)),
        _ => Vec::new(),
    };
    MessageDto {
        html,
        id: m.id.clone(),
        role: m.role(),
        content: m.content.clone(),
        status: m.status(),
        error: m.error.clone(),
        created_at: m.created_at,
        parent_id: m.parent_id.clone(),
        siblings: Vec::new(),
        attachments: Vec::new(),
        sources,
        usage: None,
        dropped_params: m
            .dropped_params
            .as_deref()
            .map(|d| d.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}

/// A reply's usage as the ledger or the live stream gives it.
pub fn reply_usage(u: &webplus::storage::ReplyUsage) -> ReplyUsageDto {
    ReplyUsageDto {
        model: u.model.clone(),
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cost_nano_usd: u.cost_nano_usd,
        unpriced_calls: u.unpriced_calls,
        counted: u.counted_calls > 0,
        ttft_ms: u.ttft_ms,
        duration_ms: u.duration_ms,
    }
}

/// A page of the branch on show, with its replies' usage and what the replies above it used.
pub fn page(p: &webplus::chat::ThreadPage, usage: &[webplus::storage::ReplyUsage]) -> MessagePage {
    let by_id: std::collections::HashMap<&str, &webplus::storage::ReplyUsage> =
        usage.iter().map(|u| (u.message_id.as_str(), u)).collect();
    let earlier_usage = p
        .earlier
        .iter()
        .filter_map(|id| by_id.get(id.as_str()))
        .fold(Totals::default(), |t, u| t.with_reply(Some(&reply_usage(u))));
    MessagePage { messages: messages_with_usage(&p.messages, usage), earlier: p.earlier.len(), earlier_usage }
}

/// Messages with their replies' usage from the ledger.
pub fn messages_with_usage(messages: &[ThreadMessage], usage: &[webplus::storage::ReplyUsage]) -> Vec<MessageDto> {
    messages
        .iter()
        .map(|m| MessageDto {
            usage: usage.iter().find(|u| u.message_id == m.row.id).map(reply_usage),
            ..thread_message(m)
        })
        .collect()
}

/// A message on the branch shown, with its siblings and files.
pub fn thread_message(m: &ThreadMessage) -> MessageDto {
    MessageDto {
        siblings: m.siblings.clone(),
        attachments: m.attachments.iter().map(attachment).collect(),
        ..message(&m.row)
    }
}

/// An attachment as chips show it (the REST upload answers with the same JSON).
pub fn attachment(a: &webplus::storage::AttachmentRow) -> crate::dto::AttachmentDto {
    crate::dto::AttachmentDto {
        id: a.id.clone(),
        name: a.name.clone(),
        media_type: a.media_type.clone(),
        size_bytes: a.size_bytes,
        preview_html: a.preview.as_deref().map(|p| webplus::render::file_preview(&a.name, p)),
    }
}

pub fn search_hit(h: webplus::chat::SearchHit) -> SearchHitDto {
    SearchHitDto {
        conversation_id: h.conversation_id,
        title: h.title,
        message_id: h.message_id,
        role: h.role,
        excerpt: h.excerpt,
        at: h.at,
    }
}

/// What a question, an edit or a regeneration started.
pub fn sent(conversation: &ConversationRow, e: &Exchange) -> SentMessage {
    SentMessage {
        conversation: self::conversation(conversation),
        user: e.question.as_ref().map(thread_message),
        reply: thread_message(&e.reply),
    }
}

/// A passage as clients see it (the browser, and `/v1` with its score added).
pub fn source(s: Source) -> SourceDto {
    let sections =
        s.passages().into_iter().map(|p| SectionDto { heading_path: p.heading_path, text: p.text }).collect();
    SourceDto {
        sections,
        n: s.n,
        kb_id: s.kb_id,
        document_id: s.document_id,
        url: s.url,
        title: s.title,
        heading_path: s.heading_path,
        text: s.text,
    }
}

/// What a reply's `[n]` markers may link to: its sources' numbers (None without sources).
pub fn citations(message_id: &str, sources: &[SourceDto]) -> Option<webplus::render::Citations> {
    webplus::render::Citations::new(message_id, sources.iter().map(|s| s.n).collect())
}

/// The sources stored with a reply (a JSON array of `Source`); unreadable JSON shows none.
pub fn sources(json: Option<&str>) -> Vec<SourceDto> {
    let Some(json) = json else { return Vec::new() };
    match serde_json::from_str::<Vec<Source>>(json) {
        Ok(list) => list.into_iter().map(source).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "a message's sources could not be read");
            Vec::new()
        }
    }
}

pub fn kb(v: &KbView) -> KbDto {
    KbDto {
        id: v.row.id.clone(),
        name: v.row.name.clone(),
        owned: v.owned,
        embedding_model: v.row.embedding_model.clone(),
        documents: v.documents,
        chunks: v.chunks,
        // Only the owner sees how it is published.
        public_id: if v.owned { v.row.public_id.clone() } else { None },
        allowed_origins: if v.owned { v.row.allowed_origins() } else { Vec::new() },
        updated_at: v.row.updated_at,
    }
}

pub fn document(d: &DocumentSummary) -> DocumentDto {
    DocumentDto {
        id: d.doc.id.clone(),
        source: d.doc.source.clone(),
        url: d.doc.url.clone(),
        file_name: d.doc.file_name.clone(),
        kind: d.doc.kind.clone(),
        title: d.doc.title.clone(),
        bytes: d.doc.bytes,
        chunks: d.chunks,
        updated_at: d.doc.updated_at,
    }
}

pub fn job(j: &JobView) -> JobDto {
    JobDto {
        id: j.id.clone(),
        kb_id: j.kb_id.clone(),
        kind: j.kind,
        status: j.status,
        done: j.done,
        total: j.total,
        chunks: j.chunks,
        errors: j.errors.iter().map(|e| JobErrorDto { url: e.url.clone(), error: e.error.clone() }).collect(),
        message: j.message.clone(),
        created_at: j.created_at,
        finished_at: j.finished_at,
    }
}

pub fn publication(p: Publication) -> PublicationDto {
    PublicationDto { public_id: p.public_id, allowed_origins: p.allowed_origins }
}

pub fn api_key(k: &ApiKeyRow) -> ApiKeyDto {
    ApiKeyDto {
        id: k.id.clone(),
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        revoked: k.revoked_at.is_some(),
    }
}
