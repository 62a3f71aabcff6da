//! Conversation and message operations, each scoped to its owner.

use super::{Chat, Snapshot, decode_cursor, encode_cursor};
use crate::{
    Error, Result,
    answer::Caller,
    domain::ConversationTitle,
    ledger::{ConversationUsage, empty_total},
    storage::{ConversationList, ConversationRow, MessageRow, MessageStatus, ReplyUsage},
};

pub(super) const DEFAULT_TITLE: &str = "New conversation";

/// One page of conversations and the cursor of the next, if any.
#[derive(Debug, Clone)]
pub struct ConversationPage {
    pub items: Vec<ConversationRow>,
    pub next_cursor: Option<String>,
}

impl Chat {
    pub async fn create_conversation(
        &self,
        user_id: &str,
        title: Option<&str>,
        model: Option<&str>,
    ) -> Result<ConversationRow> {
        let title = match title {
            Some(t) => ConversationTitle::parse(t)?.into_inner(),
            None => DEFAULT_TITLE.to_string(),
        };
        let model = model.unwrap_or(&self.default_model);
        if self.answers.catalog().resolve(model, &Caller::user(user_id)).await.is_err() {
            return Err(Error::invalid("model", format!("unknown model {model:?}; pick one from the model list")));
        }
        let settings = self.preset_json(user_id).await?;
        self.db.create_conversation(user_id, &title, model, settings.as_deref()).await
    }

    /// The conversations neither pinned nor archived, newest first, a page at a time.
    pub async fn list_conversations(
        &self,
        user_id: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ConversationPage> {
        self.list(user_id, ConversationList::Recent, cursor, limit).await
    }

    /// The archived conversations, newest first, a page at a time.
    pub async fn archived_conversations(
        &self,
        user_id: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ConversationPage> {
        self.list(user_id, ConversationList::Archived, cursor, limit).await
    }

    /// The pinned conversations (not archived), newest first; at most 100.
    pub async fn pinned_conversations(&self, user_id: &str) -> Result<Vec<ConversationRow>> {
        self.db.list_conversations(user_id, ConversationList::Pinned, None, 100).await
    }

    /// Pins or unpins a conversation.
    pub async fn pin_conversation(&self, user_id: &str, id: &str, pinned: bool) -> Result<()> {
        match self.db.set_conversation_flags(user_id, id, Some(pinned), None).await? {
            true => Ok(()),
            false => Err(Error::NotFound("conversation")),
        }
    }

    /// Archives (and unpins) or unarchives a conversation.
    pub async fn archive_conversation(&self, user_id: &str, id: &str, archived: bool) -> Result<()> {
        match self.db.set_conversation_flags(user_id, id, None, Some(archived)).await? {
            true => Ok(()),
            false => Err(Error::NotFound("conversation")),
        }
    }

    async fn list(
        &self,
        user_id: &str,
        list: ConversationList,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ConversationPage> {
        let limit = limit.clamp(1, 100);
        let before = match cursor {
            Some(c) => Some(
                decode_cursor(c).ok_or_else(|| Error::invalid("cursor", "use the next_cursor of the previous page"))?,
            ),
            None => None,
        };
        let mut items = self
            .db
            .list_conversations(user_id, list, before.as_ref().map(|(t, i)| (*t, i.as_str())), limit + 1)
            .await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|c| encode_cursor(c.updated_at, &c.id))
        } else {
            None
        };
        Ok(ConversationPage { items, next_cursor })
    }

    pub async fn conversation(&self, user_id: &str, id: &str) -> Result<ConversationRow> {
        self.db.conversation(user_id, id).await?.ok_or(Error::NotFound("conversation"))
    }

    pub async fn rename_conversation(&self, user_id: &str, id: &str, title: &str) -> Result<()> {
        let title = ConversationTitle::parse(title)?;
        if self.db.rename_conversation(user_id, id, title.as_str()).await? {
            Ok(())
        } else {
            Err(Error::NotFound("conversation"))
        }
    }

    pub async fn delete_conversation(&self, user_id: &str, id: &str) -> Result<()> {
        for m in self.db.list_messages(user_id, id).await? {
            if m.status() == MessageStatus::Streaming {
                self.generations.stop(user_id, &m.id);
            }
        }
        if self.db.delete_conversation(user_id, id).await? { Ok(()) } else { Err(Error::NotFound("conversation")) }
    }

    /// What the conversation's replies used, each and in total, from the usage ledger.
    pub async fn usage(&self, user_id: &str, conversation_id: &str) -> Result<ConversationUsage> {
        self.conversation(user_id, conversation_id).await?;
        match self.answers.ledger() {
            Some(ledger) => ledger.conversation_usage(user_id, conversation_id).await,
            None => Ok(ConversationUsage { replies: Vec::new(), total: empty_total() }),
        }
    }

    /// What one reply used (None: no model call of it was recorded).
    pub async fn reply_usage(&self, user_id: &str, message_id: &str) -> Result<Option<ReplyUsage>> {
        let m = self.owned_message(user_id, message_id).await?;
        match self.answers.ledger() {
            Some(ledger) => ledger.reply_usage(user_id, &m.conversation_id, message_id).await,
            None => Ok(None),
        }
    }

    /// Follows a reply. `Ok(None)`: it is not running any more (its final state is in the database).
    pub async fn subscribe(
        &self,
        user_id: &str,
        message_id: &str,
    ) -> Result<Option<tokio::sync::watch::Receiver<Snapshot>>> {
        self.owned_message(user_id, message_id).await?;
        Ok(self.generations.subscribe(user_id, message_id))
    }

    /// Stops a reply; stopping one that already ended is not an error.
    pub async fn stop(&self, user_id: &str, message_id: &str) -> Result<()> {
        self.owned_message(user_id, message_id).await?;
        self.generations.stop(user_id, message_id);
        Ok(())
    }

    pub async fn message(&self, user_id: &str, message_id: &str) -> Result<MessageRow> {
        self.owned_message(user_id, message_id).await
    }

    async fn owned_message(&self, user_id: &str, message_id: &str) -> Result<MessageRow> {
        self.db.owned_message(user_id, message_id).await?.ok_or(Error::NotFound("message"))
    }
}
