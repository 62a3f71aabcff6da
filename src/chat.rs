//! Conversations, messages, and replies generated in the background.
//!
//! Sending a message commits it, inserts an empty assistant message with status `streaming`, and
//! starts a generation task that outlives the HTTP request: the browser follows it through
//! [`Chat::subscribe`] (and can re-attach after a reload), [`Chat::stop`] ends it, and the partial
//! text is saved every second so a crash loses at most that much.

mod context;
mod conversations;
mod generation;
mod metrics;

use std::sync::Arc;

pub use context::fit_history;
pub use conversations::ConversationPage;
pub use generation::{Generations, Snapshot};
pub use metrics::instrument_stream;

use crate::{providers::Registry, storage::Db};

/// The chat service. Cheap to clone.
#[derive(Clone)]
pub struct Chat {
    db: Db,
    registry: Registry,
    default_model: Arc<str>,
    generations: Generations,
    /// Retrieval for conversations with knowledge bases attached.
    sitechat: Option<crate::sitechat::SiteChat>,
}

impl Chat {
    pub fn new(db: Db, registry: Registry, default_model: &str) -> Self {
        Self {
            generations: Generations::new(db.clone()),
            db,
            registry,
            default_model: default_model.into(),
            sitechat: None,
        }
    }

    /// Lets conversations use knowledge bases.
    pub fn with_sitechat(mut self, sitechat: crate::sitechat::SiteChat) -> Self {
        self.sitechat = Some(sitechat);
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
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
