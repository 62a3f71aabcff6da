//! Asking and branching: a new question continues the path shown, an edited question starts a
//! branch beside the original, a regenerated reply is a sibling of the first one (optionally from
//! another model), and switching shows another branch. The model is sent the path of the branch
//! the new reply is on, and nothing from the others. The conversation remembers the branch on show.

use super::{
    Chat, Snapshot,
    tree::{ThreadMessage, Tree},
};
use crate::{
    Error, Result,
    answer::{AnswerRequest, Caller, Grounding, History},
    domain::{ConversationTitle, MessageContent, MessageRole},
    providers::{ChatMessage, Role},
    storage::{AttachmentRow, ConversationRow, MessageRow, MessageStatus, NewExchange},
};

/// What a question, an edit or a regeneration started: the new question (None for a regenerated
/// reply) and the reply, which streams on in the background (follow it with [`Chat::subscribe`]).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub question: Option<ThreadMessage>,
    pub reply: ThreadMessage,
}

/// How many messages of a branch a conversation opens with, and how many more each "earlier"
/// step brings: a long conversation opens (and renders) no more than this.
pub const THREAD_PAGE: usize = 50;

/// Part of a branch, oldest first, and what comes before it.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    pub messages: Vec<ThreadMessage>,
    /// The ids of the branch's messages before `messages`, oldest first.
    pub earlier: Vec<String>,
}

impl ThreadPage {
    /// `thread` from `start` on, and the ids before it.
    fn from(mut thread: Vec<ThreadMessage>, start: usize) -> Self {
        let messages = thread.split_off(start);
        Self { messages, earlier: thread.into_iter().map(|m| m.row.id).collect() }
    }
}

/// Where a new reply goes: what it follows and what the model is asked.
struct Ask<'a> {
    conv: &'a ConversationRow,
    tree: &'a Tree,
    /// The message the new one follows (None: a first message).
    parent: Option<&'a str>,
    /// The user's new message; None: regenerate the reply to `parent`.
    question: Option<&'a MessageContent>,
    /// The files the new message carries (checked: the user's, for this conversation).
    attachments: Vec<AttachmentRow>,
    model: Option<&'a str>,
}

impl Chat {
    /// Asks `content` after `after` (a message of the conversation; None: the end of the branch
    /// on show), so a reply to what the user sees never lands on a branch they do not see.
    /// `attachments`: ids of the user's uploads the message carries ([`Chat::attach`]).
    #[tracing::instrument(skip(self, content), err(level = "info"))]
    pub async fn send_message(
        &self,
        user_id: &str,
        conversation_id: &str,
        content: &str,
        after: Option<&str>,
        attachments: &[String],
    ) -> Result<Exchange> {
        let content = MessageContent::parse(content)?;
        let (conv, tree) = self.tree(user_id, conversation_id).await?;
        let parent = match after {
            Some(id) => Some(tree.get(id).ok_or(Error::NotFound("message"))?.id.as_str()),
            None => tree.shown_leaf(conv.current_leaf_id.as_deref()),
        };
        let attachments = self.check_attachments(user_id, &conv.id, attachments).await?;
        let ask = Ask { conv: &conv, tree: &tree, parent, question: Some(&content), attachments, model: None };
        self.ask(user_id, ask).await
    }

    /// Asks `content` in place of one of the user's messages: a new branch beside it, from the
    /// same point, with its own reply and the original's files. The original and its replies
    /// stay, one switch away.
    #[tracing::instrument(skip(self, content), err(level = "info"))]
    pub async fn edit_message(&self, user_id: &str, message_id: &str, content: &str) -> Result<Exchange> {
        let content = MessageContent::parse(content)?;
        let original = self.message(user_id, message_id).await?;
        if original.role() != MessageRole::User {
            return Err(Error::invalid(
                "message_id",
                "only your own messages can be edited; regenerate a reply instead",
            ));
        }
        let (conv, tree) = self.tree(user_id, &original.conversation_id).await?;
        let parent = original.parent_id.as_deref().and_then(|p| tree.get(p)).map(|p| p.id.as_str());
        let attachments = tree.attachments(&original.id).to_vec();
        let ask = Ask { conv: &conv, tree: &tree, parent, question: Some(&content), attachments, model: None };
        self.ask(user_id, ask).await
    }

    /// Answers a reply's question again, as a sibling of that reply, with `model` (a catalog id;
    /// None: the conversation's model).
    #[tracing::instrument(skip(self), err(level = "info"))]
    pub async fn regenerate(&self, user_id: &str, reply_id: &str, model: Option<&str>) -> Result<Exchange> {
        let reply = self.message(user_id, reply_id).await?;
        if reply.role() != MessageRole::Assistant {
            return Err(Error::invalid("message_id", "only a reply can be regenerated; edit your message instead"));
        }
        let (conv, tree) = self.tree(user_id, &reply.conversation_id).await?;
        let question = reply.parent_id.as_deref().and_then(|p| tree.get(p)).map(|p| p.id.as_str());
        if question.is_none() {
            return Err(Error::invalid("message_id", "this reply answers no question; send a message instead"));
        }
        let ask = Ask { conv: &conv, tree: &tree, parent: question, question: None, attachments: Vec::new(), model };
        self.ask(user_id, ask).await
    }

    /// A page of the branch on show: its last [`THREAD_PAGE`] messages (oldest first; a reply still
    /// streaming shows its live text), the ones a conversation opens with. Older ones come with [`Chat::earlier_messages`].
    pub async fn latest_messages(&self, user_id: &str, conversation_id: &str) -> Result<ThreadPage> {
        let (conv, tree) = self.tree(user_id, conversation_id).await?;
        let thread = tree.thread(tree.shown_leaf(conv.current_leaf_id.as_deref()));
        let start = thread.len().saturating_sub(THREAD_PAGE);
        Ok(ThreadPage::from(thread, start))
    }

    /// The [`THREAD_PAGE`] messages before `before`, on its path (whichever branch is on show
    /// now: the messages above one are the same on every branch through it).
    pub async fn earlier_messages(&self, user_id: &str, conversation_id: &str, before: &str) -> Result<ThreadPage> {
        let (_, tree) = self.tree(user_id, conversation_id).await?;
        tree.get(before).ok_or(Error::NotFound("message"))?;
        let mut thread = tree.thread(Some(before));
        thread.pop();
        let start = thread.len().saturating_sub(THREAD_PAGE);
        Ok(ThreadPage::from(thread, start))
    }

    /// Shows the branch through `message_id` (a sibling picked in the switcher, or a search hit),
    /// down to the newest message under it, and remembers it. A message on the branch already on
    /// show keeps that branch. Returns the path now on show from `message_id` on (from further up
    /// when that is less than a page).
    pub async fn switch_branch(&self, user_id: &str, conversation_id: &str, message_id: &str) -> Result<ThreadPage> {
        let (conv, tree) = self.tree(user_id, conversation_id).await?;
        let shown = tree.shown_leaf(conv.current_leaf_id.as_deref());
        let on_shown = shown.is_some_and(|leaf| tree.path_to(leaf).iter().any(|m| m.id == message_id));
        let leaf = match shown {
            Some(leaf) if on_shown => leaf,
            _ => tree.newest_under(message_id).ok_or(Error::NotFound("message"))?,
        };
        if !self.db.set_current_leaf(user_id, conversation_id, leaf).await? {
            return Err(Error::NotFound("conversation"));
        }
        let thread = tree.thread(Some(leaf));
        let at = thread.iter().position(|m| m.row.id == message_id).unwrap_or(0);
        let start = at.min(thread.len().saturating_sub(THREAD_PAGE));
        Ok(ThreadPage::from(thread, start))
    }

    /// The conversation and all its messages; replies still streaming carry their live text.
    pub(super) async fn tree(&self, user_id: &str, conversation_id: &str) -> Result<(ConversationRow, Tree)> {
        let conv = self.conversation(user_id, conversation_id).await?;
        let mut tree = Tree::new(self.db.list_messages(user_id, conversation_id).await?);
        tree.set_attachments(self.db.conversation_attachments(user_id, conversation_id).await?);
        for m in tree.rows_mut().filter(|m| m.status() == MessageStatus::Streaming) {
            if let Some(Snapshot { content, .. }) = self.generations.snapshot(&m.id) {
                m.content = content;
            }
        }
        Ok((conv, tree))
    }

    /// Retrieves from the attached knowledge bases and fits the branch's history (the one answer
    /// path), then commits the question, the empty reply with its sources, the first title and
    /// the branch on show in one transaction, and starts the reply in the background.
    async fn ask(&self, user_id: &str, ask: Ask<'_>) -> Result<Exchange> {
        let Ask { conv, tree, parent, question, attachments, model } = ask;
        let path: Vec<&MessageRow> = parent
            .map(|p| tree.path_to(p))
            .unwrap_or_default()
            .into_iter()
            .filter(|m| !m.content.is_empty() && m.status() != MessageStatus::Error)
            .collect();
        // The files of every question on the path, and of the new one, read in one query.
        let file_ids: Vec<&str> =
            path.iter().flat_map(|m| tree.attachments(&m.id)).chain(&attachments).map(|a| a.id.as_str()).collect();
        let files = self.attached_files(user_id, &file_ids).await?;
        let with_files = |mut message: ChatMessage, attached: &[AttachmentRow]| {
            message.files = attached.iter().filter_map(|a| files.get(&a.id).cloned()).collect();
            message
        };
        let mut messages: Vec<ChatMessage> = path
            .iter()
            .map(|m| with_files(ChatMessage::new(m.role(), m.content.clone()), tree.attachments(&m.id)))
            .collect();
        if let Some(q) = question {
            messages.push(with_files(ChatMessage::new(Role::User, q.as_str()), &attachments));
        }
        let (params, style) = Chat::apply(conv.settings.as_deref(), &mut messages);
        let attached = self.db.conversation_knowledge_bases(user_id, &conv.id).await?;
        let prepared = self
            .answers
            .prepare(AnswerRequest {
                caller: Caller::user(user_id),
                surface: crate::answer::Surface::Chat,
                model: model.unwrap_or(&conv.model).to_string(),
                messages,
                params,
                grounding: Grounding::Attached(attached),
                history: History::FitToWindow,
                style,
            })
            .await?;
        let sources = match prepared.sources.is_empty() {
            true => None,
            false => Some(serde_json::to_string(&prepared.sources).map_err(Error::internal)?),
        };
        let dropped = (!prepared.dropped_params.is_empty()).then(|| prepared.dropped_params.join(","));
        let title = question
            .filter(|_| conv.title == super::conversations::DEFAULT_TITLE)
            .map(|q| q.as_str().lines().next().unwrap_or("").chars().take(60).collect::<String>())
            .and_then(|t| ConversationTitle::parse(&t).ok());
        let (asked, reply) = self
            .db
            .start_reply(NewExchange {
                user_id,
                conversation_id: &conv.id,
                parent_id: parent,
                content: question.map(MessageContent::as_str),
                model: &prepared.model.id,
                sources: sources.as_deref(),
                title: title.as_ref().map(|t| t.as_str()),
                dropped_params: dropped.as_deref(),
                attachments: &attachments.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            })
            .await?;
        // A first question: its model titles the conversation once the reply has ended.
        let after = match (title.as_ref(), question) {
            (Some(first_title), Some(q)) => Some(self.title_job(super::titles::FirstExchange {
                user_id: user_id.to_owned(),
                conversation_id: conv.id.clone(),
                model: prepared.model.id.clone(),
                question: q.as_str().to_owned(),
                first_title: first_title.as_str().to_owned(),
            })),
            _ => None,
        };
        self.generations.start_then(user_id, &reply.id, prepared.for_reply(&conv.id, &reply.id), after);
        let mut exchange = exchange(tree, parent, asked, reply);
        if let Some(q) = exchange.question.as_mut() {
            q.attachments = attachments;
        }
        Ok(exchange)
    }
}

/// The new messages with their siblings: those already under the same parent, then the new one.
fn exchange(tree: &Tree, parent: Option<&str>, question: Option<MessageRow>, reply: MessageRow) -> Exchange {
    let with = |mut ids: Vec<String>, id: &str| {
        ids.push(id.to_string());
        ids
    };
    match question {
        Some(q) => Exchange {
            reply: ThreadMessage { siblings: vec![reply.id.clone()], row: reply, attachments: Vec::new() },
            question: Some(ThreadMessage {
                siblings: with(tree.children(parent), &q.id),
                row: q,
                attachments: Vec::new(),
            }),
        },
        None => Exchange {
            question: None,
            reply: ThreadMessage {
                siblings: with(tree.children(parent), &reply.id),
                row: reply,
                attachments: Vec::new(),
            },
        },
    }
}
