//! Conversation and message operations, each scoped to its owner.

use super::{Chat, Snapshot, decode_cursor, encode_cursor, fit_history};
use crate::{
    Error, Result,
    domain::{ConversationTitle, MessageContent},
    providers::{ChatMessage, ChatRequest, Role},
    sitechat::{Source, context_message},
    storage::{ConversationRow, MessageRow, MessageStatus},
};

const DEFAULT_TITLE: &str = "New conversation";
/// Passages retrieved from attached knowledge bases for each question.
const SOURCES_PER_ANSWER: usize = 5;
/// Tokens kept free for the reply when trimming history.
const REPLY_RESERVE: usize = 512;

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
        if self.registry.resolve(model).await.is_none() {
            return Err(Error::invalid("model", format!("unknown model {model:?}; pick one from the model list")));
        }
        self.db.create_conversation(user_id, &title, model).await
    }

    pub async fn list_conversations(
        &self,
        user_id: &str,
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
        let mut items =
            self.db.list_conversations(user_id, before.as_ref().map(|(t, i)| (*t, i.as_str())), limit + 1).await?;
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

    /// Messages oldest first; a reply still streaming shows its live text.
    pub async fn messages(&self, user_id: &str, conversation_id: &str) -> Result<Vec<MessageRow>> {
        self.conversation(user_id, conversation_id).await?;
        let mut rows = self.db.list_messages(user_id, conversation_id).await?;
        for m in rows.iter_mut().filter(|m| m.status() == MessageStatus::Streaming) {
            if let Some(Snapshot { content, .. }) = self.generations.snapshot(&m.id) {
                m.content = content;
            }
        }
        Ok(rows)
    }

    /// Commits the user's message, then starts the reply in the background.
    /// Returns `(user message, assistant message)`; follow the reply with [`Chat::subscribe`].
    #[tracing::instrument(skip(self, content), err(level = "info"))]
    pub async fn send_message(
        &self,
        user_id: &str,
        conversation_id: &str,
        content: &str,
    ) -> Result<(MessageRow, MessageRow)> {
        let content = MessageContent::parse(content)?;
        let conv = self.conversation(user_id, conversation_id).await?;
        let (provider, model) =
            self.registry.resolve(&conv.model).await.ok_or_else(|| {
                Error::invalid("model", format!("the model {:?} is not available any more", conv.model))
            })?;
        let history: Vec<ChatMessage> = self
            .db
            .list_messages(user_id, conversation_id)
            .await?
            .into_iter()
            .filter(|m| !m.content.is_empty() && m.status() != MessageStatus::Error)
            .filter_map(|m| Role::parse(&m.role).map(|r| ChatMessage::new(r, m.content)))
            .chain(std::iter::once(ChatMessage::new(Role::User, content.as_str())))
            .collect();
        let reserve = REPLY_RESERVE.min(model.context_window / 4);
        // Attached knowledge bases: the passages go first, as a system message the history fits around.
        let sources = self.retrieve_for(user_id, conversation_id, content.as_str()).await?;
        let context = (!sources.is_empty())
            .then(|| ChatMessage::new(Role::System, context_message(&sources, model.context_window)));
        let context_tokens = context.as_ref().map_or(0, |c| provider.count_tokens(&model.id, std::slice::from_ref(c)));
        let mut history =
            fit_history(provider.as_ref(), &model.id, history, model.context_window, reserve + context_tokens)?;
        if let Some(c) = context {
            history.insert(0, c);
        }

        let user_msg = self
            .db
            .insert_message(conversation_id, Role::User, content.as_str(), MessageStatus::Complete, None)
            .await?;
        let mut reply = self
            .db
            .insert_message(conversation_id, Role::Assistant, "", MessageStatus::Streaming, Some(&model.id))
            .await?;
        if !sources.is_empty() {
            let json = serde_json::to_string(&sources).map_err(Error::internal)?;
            self.db.set_message_sources(&reply.id, &json).await?;
            reply.sources = Some(json);
        }
        if conv.title == DEFAULT_TITLE {
            let title: String = content.as_str().lines().next().unwrap_or("").chars().take(60).collect();
            if let Ok(t) = ConversationTitle::parse(&title) {
                self.db.rename_conversation(user_id, conversation_id, t.as_str()).await?;
            }
        }
        let mut request = ChatRequest::new(model.id.clone(), history);
        request.max_tokens = Some(reserve as u32);
        self.generations.start(user_id, &reply.id, provider, request);
        Ok((user_msg, reply))
    }

    /// The passages from the conversation's knowledge bases for `query` (none attached: empty).
    async fn retrieve_for(&self, user_id: &str, conversation_id: &str, query: &str) -> Result<Vec<Source>> {
        let Some(sitechat) = &self.sitechat else { return Ok(Vec::new()) };
        let hits = sitechat.search_attached(user_id, conversation_id, query, SOURCES_PER_ANSWER).await?;
        Ok(Source::from_hits(hits))
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
