//! Knowledge bases, their documents and ingestion jobs, and the sources a reply cites.

use serde::{Deserialize, Serialize};
use webplus::domain::{JobKind, JobStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbDto {
    pub id: String,
    pub name: String,
    /// The reader owns it; otherwise it is shared with them read-only.
    pub owned: bool,
    pub embedding_model: String,
    pub documents: i64,
    pub chunks: i64,
    /// Set when published for the widget (only the owner sees it).
    pub public_id: Option<String>,
    pub allowed_origins: Vec<String>,
    /// Unix milliseconds.
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDto {
    pub id: String,
    /// "web" or "file"
    pub source: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    /// html, pdf, markdown, text…
    pub kind: String,
    pub title: String,
    pub bytes: i64,
    pub chunks: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobErrorDto {
    /// The page or file that failed.
    pub url: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDto {
    pub id: String,
    pub kb_id: String,
    pub kind: JobKind,
    pub status: JobStatus,
    /// Pages or files handled (ingested or failed).
    pub done: i64,
    /// What is known so far to be handled (a crawl discovers pages as it goes).
    pub total: i64,
    pub chunks: i64,
    pub errors: Vec<JobErrorDto>,
    pub message: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl JobDto {
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }
}

/// One knowledge base with what its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbDetail {
    pub kb: KbDto,
    pub documents: Vec<DocumentDto>,
    /// The latest jobs, newest first (empty for a reader of a share).
    pub jobs: Vec<JobDto>,
    /// The emails it is shared with (empty for a reader of a share).
    pub shares: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationDto {
    pub public_id: Option<String>,
    pub allowed_origins: Vec<String>,
}

/// A document a reply was given, numbered as the model was asked to cite it: `[n]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDto {
    pub n: usize,
    pub kb_id: String,
    pub document_id: String,
    pub url: Option<String>,
    pub title: String,
    /// Each section's headings, joined by "; ".
    pub heading_path: String,
    /// The passages, joined by a blank line.
    pub text: String,
    /// The passages one by one with their sections (always at least one).
    pub sections: Vec<SectionDto>,
}

/// One passage of a source and the headings above it in the document (without its title).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDto {
    pub heading_path: String,
    pub text: String,
}
