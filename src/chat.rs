//! Conversations, messages, and replies generated in the background.
//!
//! A conversation is a tree of messages (edits and regenerations are siblings) shown one branch at
//! a time (`branches`, `tree`). Sending a message commits it, inserts an empty assistant message with status `streaming`, and
//! starts a generation task that outlives the HTTP request: the browser follows it through
//! [`Chat::subscribe`] (and can re-attach after a reload), [`Chat::stop`] ends it, and the partial
//! text is saved every second so a crash loses at most that much.

mod attachments;
mod branches;
mod conversations;
mod export;
mod generation;
pub(crate) use generation::user_message;
mod import;
mod search;
mod settings;
mod titles;
mod tree;

use std::sync::Arc;

pub use attachments::{MAX_ATTACHMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, image_type};
pub use branches::{Exchange, THREAD_PAGE, ThreadPage};
pub use conversations::ConversationPage;
pub use export::{ConversationFile, FORMAT, FORMAT_VERSION, FileMessage, MarkdownExport};
pub use generation::{Generations, Snapshot};
pub use import::{ImportReport, MAX_CONVERSATIONS};
pub use search::SearchHit;
pub use settings::{ChatSettings, MAX_SYSTEM_CHARS};
pub use tree::ThreadMessage;

use crate::{answer::Answers, providers::Registry, storage::Db};

/// The chat service. Cheap to clone.
#[derive(Clone)]
pub struct Chat {
    db: Db,
    /// The one answer path (model, retrieval from attached knowledge bases, history fitting).
    answers: Answers,
    default_model: Arc<str>,
    generations: Generations,
}

impl Chat {
    pub fn new(db: Db, answers: Answers, default_model: &str) -> Self {
        Self { generations: Generations::new(db.clone()), db, answers, default_model: default_model.into() }
    }

    pub fn registry(&self) -> &Registry {
        self.answers.registry()
    }

    /// The models the user may pick (`admin`: an administrator, who also sees models for
    /// administrators only).
    pub async fn models(&self, admin: bool) -> Vec<crate::catalog::OfferedModel> {
        self.answers.catalog().offered(admin).await
    }

    pub fn generations(&self) -> &Generations {
        &self.generations
    }
}

/// Cursor for the next page of conversations: `"<updated_at>_<id>"`.
pub fn encode_cursor(updated_at: i64, id: &str) -> String {
    format!("{updated_at}_{id}")
}

pub fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let (ts, id) = cursor.split_once('_')?;
    Some((ts.parse().ok()?, id.to_string()))
}
