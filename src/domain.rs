//! Validation rules shared by the server and the browser: the browser runs the same `parse()`
//! checks as the server, so a form shows the server's verdict before it is sent.

mod password;
pub mod pipeline;
mod signups;
mod status;
mod text;

pub use password::{Password, Strength, password_strength};
pub use signups::SignupMode;
pub use status::{JobKind, JobStatus, MessageRole, MessageStatus, UserRole};
pub use text::{ApiKeyName, ConversationTitle, Email, KnowledgeBaseName, MessageContent};

/// A value that failed validation: which field, and what the user should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: &'static str,
    pub reason: String,
}

impl ValidationError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}
