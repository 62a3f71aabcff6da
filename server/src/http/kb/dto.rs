//! JSON shapes of the knowledge-base API (documented in docs/API.md).

use serde_json::{Value, json};
use webplus::{
    sitechat::{Hit, JobView, KbView},
    storage::DocumentSummary,
};

pub fn kb_json(v: &KbView) -> Value {
    json!({
        "id": v.row.id,
        "object": "knowledge_base",
        "name": v.row.name,
        "owned": v.owned,
        "embedding_model": v.row.embedding_model,
        "embedding_dims": v.row.embedding_dims,
        "documents": v.documents,
        "chunks": v.chunks,
        // only the owner sees how it is published
        "public_id": if v.owned { v.row.public_id.clone() } else { None },
        "allowed_origins": if v.owned { v.row.allowed_origins() } else { Vec::new() },
        "created_at": v.row.created_at / 1000,
        "updated_at": v.row.updated_at / 1000,
    })
}

pub fn document_json(d: &DocumentSummary) -> Value {
    json!({
        "id": d.doc.id,
        "source": d.doc.source,
        "url": d.doc.url,
        "file_name": d.doc.file_name,
        "kind": d.doc.kind,
        "title": d.doc.title,
        "bytes": d.doc.bytes,
        "chunks": d.chunks,
        "updated_at": d.doc.updated_at / 1000,
    })
}

pub fn job_json(j: &JobView) -> Value {
    json!({
        "id": j.id,
        "object": "job",
        "knowledge_base_id": j.kb_id,
        "kind": j.kind,
        "status": j.status,
        "done": j.done,
        "total": j.total,
        "chunks": j.chunks,
        "errors": j.errors,
        "message": j.message,
        "created_at": j.created_at / 1000,
        "finished_at": j.finished_at.map(|t| t / 1000),
    })
}

pub fn hit_json(h: &Hit) -> Value {
    json!({
        "url": h.url,
        "title": h.title,
        "heading_path": h.heading_path,
        "text": h.text,
        "score": h.score,
        "document_id": h.document_id,
        "file_name": h.file_name,
        "knowledge_base_id": h.kb_id,
    })
}
