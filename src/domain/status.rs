//! The states and roles the server and the browser both name: one enum each, serialised in
//! lowercase ("streaming", "admin", …) on the wire and in the database.

use serde::{Deserialize, Serialize};

/// Who said a message, in the OpenAI sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::System => "system",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        }
    }

    pub fn parse(s: &str) -> Option<MessageRole> {
        match s {
            "system" => Some(MessageRole::System),
            "user" => Some(MessageRole::User),
            "assistant" => Some(MessageRole::Assistant),
            _ => None,
        }
    }
}

/// Where a message stands. Only assistant replies are ever anything but `Complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Complete,
    Streaming,
    Stopped,
    Error,
    Interrupted,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Streaming => "streaming",
            Self::Stopped => "stopped",
            Self::Error => "error",
            Self::Interrupted => "interrupted",
        }
    }

    /// A stored status; anything unknown reads as complete (the CHECK constraint allows nothing else).
    pub fn parse(s: &str) -> Self {
        match s {
            "streaming" => Self::Streaming,
            "stopped" => Self::Stopped,
            "error" => Self::Error,
            "interrupted" => Self::Interrupted,
            _ => Self::Complete,
        }
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    User,
    Admin,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::User => "user",
            UserRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<UserRole> {
        match s {
            "user" => Some(UserRole::User),
            "admin" => Some(UserRole::Admin),
            _ => None,
        }
    }
}

/// What an ingestion job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Crawl,
    Upload,
    Reembed,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crawl => "crawl",
            Self::Upload => "upload",
            Self::Reembed => "reembed",
        }
    }

    /// A stored kind; anything unknown reads as an upload.
    pub fn parse(s: &str) -> Self {
        match s {
            "crawl" => Self::Crawl,
            "reembed" => Self::Reembed,
            _ => Self::Upload,
        }
    }
}

/// Where an ingestion job (crawl, upload, re-embed) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "done" => Self::Done,
            "cancelled" => Self::Cancelled,
            _ => Self::Failed,
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_serialised_form() {
        for s in [
            MessageStatus::Complete,
            MessageStatus::Streaming,
            MessageStatus::Stopped,
            MessageStatus::Error,
            MessageStatus::Interrupted,
        ] {
            assert_eq!(MessageStatus::parse(s.as_str()), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for r in [UserRole::User, UserRole::Admin] {
            assert_eq!(UserRole::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for r in [MessageRole::System, MessageRole::User, MessageRole::Assistant] {
            assert_eq!(MessageRole::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(serde_json::to_value(JobStatus::Cancelled).unwrap(), "cancelled");
        assert_eq!(JobStatus::parse("cancelled"), JobStatus::Cancelled);
    }
}
