//! The knowledge-base API's response bodies (documented in docs/API.md): typed structs built from
//! the engine's views, so no engine struct is serialised to a client as it is. Times are Unix
//! seconds.

use serde::Serialize;
use webplus::{
    domain::{JobKind, JobStatus},
    sitechat::{Hit, JobView, KbView},
    storage::{DocumentRow, DocumentSummary},
};

/// `{"object": "list", "data": [...]}`, as OpenAI lists things.
#[derive(Serialize)]
pub struct List<T> {
    object: &'static str,
    data: Vec<T>,
}

impl<T> List<T> {
    pub fn of(data: Vec<T>) -> Self {
        Self { object: "list", data }
    }
}

#[derive(Serialize)]
pub struct KnowledgeBase {
    id: String,
    object: &'static str,
    name: String,
    owned: bool,
    embedding_model: String,
    embedding_dims: i64,
    documents: i64,
    chunks: i64,
    /// Only the owner sees how it is published.
    public_id: Option<String>,
    allowed_origins: Vec<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<&KbView> for KnowledgeBase {
    fn from(v: &KbView) -> Self {
        Self {
            id: v.row.id.clone(),
            object: "knowledge_base",
            name: v.row.name.clone(),
            owned: v.owned,
            embedding_model: v.row.embedding_model.clone(),
            embedding_dims: v.row.embedding_dims,
            documents: v.documents,
            chunks: v.chunks,
            public_id: if v.owned { v.row.public_id.clone() } else { None },
            allowed_origins: if v.owned { v.row.allowed_origins() } else { Vec::new() },
            created_at: v.row.created_at / 1000,
            updated_at: v.row.updated_at / 1000,
        }
    }
}

/// A knowledge base after an update, with the re-embedding job a model change started.
#[derive(Serialize)]
pub struct UpdatedKnowledgeBase {
    #[serde(flatten)]
    pub kb: KnowledgeBase,
    pub job_id: Option<String>,
}

#[derive(Serialize)]
pub struct Document {
    id: String,
    source: String,
    url: Option<String>,
    file_name: Option<String>,
    kind: String,
    title: String,
    bytes: i64,
    chunks: i64,
    updated_at: i64,
}

impl From<&DocumentSummary> for Document {
    fn from(d: &DocumentSummary) -> Self {
        Self {
            id: d.doc.id.clone(),
            source: d.doc.source.clone(),
            url: d.doc.url.clone(),
            file_name: d.doc.file_name.clone(),
            kind: d.doc.kind.clone(),
            title: d.doc.title.clone(),
            bytes: d.doc.bytes,
            chunks: d.chunks,
            updated_at: d.doc.updated_at / 1000,
        }
    }
}

#[derive(Serialize)]
pub struct JobError {
    url: String,
    error: String,
}

#[derive(Serialize)]
pub struct Job {
    id: String,
    object: &'static str,
    knowledge_base_id: String,
    kind: JobKind,
    status: JobStatus,
    done: i64,
    total: i64,
    chunks: i64,
    errors: Vec<JobError>,
    message: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

impl From<&JobView> for Job {
    fn from(j: &JobView) -> Self {
        Self {
            id: j.id.clone(),
            object: "job",
            knowledge_base_id: j.kb_id.clone(),
            kind: j.kind,
            status: j.status,
            done: j.done,
            total: j.total,
            chunks: j.chunks,
            errors: j.errors.iter().map(|e| JobError { url: e.url.clone(), error: e.error.clone() }).collect(),
            message: j.message.clone(),
            created_at: j.created_at / 1000,
            finished_at: j.finished_at.map(|t| t / 1000),
        }
    }
}

/// `202 Accepted` for work that runs as a job.
#[derive(Serialize)]
pub struct JobStarted {
    pub job_id: String,
    pub status: JobStatus,
}

/// `202 Accepted` for an upload: the job and the documents it is reading.
#[derive(Serialize)]
pub struct UploadStarted {
    pub job_id: String,
    pub status: JobStatus,
    pub documents: Vec<UploadedDocument>,
}

#[derive(Serialize)]
pub struct UploadedDocument {
    id: String,
    file_name: Option<String>,
    kind: String,
}

impl From<&DocumentRow> for UploadedDocument {
    fn from(d: &DocumentRow) -> Self {
        Self { id: d.id.clone(), file_name: d.file_name.clone(), kind: d.kind.clone() }
    }
}

#[derive(Serialize)]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
}

#[derive(Serialize)]
pub struct SearchHit {
    url: Option<String>,
    title: String,
    heading_path: String,
    text: String,
    score: f32,
    document_id: String,
    file_name: Option<String>,
    knowledge_base_id: String,
}

impl From<&Hit> for SearchHit {
    fn from(h: &Hit) -> Self {
        Self {
            url: h.url.clone(),
            title: h.title.clone(),
            heading_path: h.heading_path.clone(),
            text: h.text.clone(),
            score: h.score,
            document_id: h.document_id.clone(),
            file_name: h.file_name.clone(),
            knowledge_base_id: h.kb_id.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct SharedWith {
    pub shared_with: Vec<String>,
}

#[derive(Serialize)]
pub struct PublicationBody {
    pub public_id: Option<String>,
    pub allowed_origins: Vec<String>,
}
