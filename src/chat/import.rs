//! Importing conversations: a Web+ export (`export::ConversationFile`) or ChatGPT's
//! `conversations.json` (a list of conversations whose messages form a tree in `mapping`). Both
//! keep their branches and the branch on show; every conversation of a file is written in one
//! transaction, so a file is imported whole or not at all.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::{
    Chat, ChatSettings,
    export::{ConversationFile, FORMAT, FORMAT_VERSION},
};
use crate::{
    Error, Result,
    answer::{Caller, Source},
    domain::{ConversationTitle, MessageRole, MessageStatus},
    storage::{ImportedConversation, ImportedMessage},
    time::now_ms,
};

/// At most this many conversations in one file.
pub const MAX_CONVERSATIONS: usize = 10_000;

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// `(id, title, messages)` of each conversation made, in the file's order.
    pub conversations: Vec<(String, String, usize)>,
    /// Messages left out: system and tool messages, hidden ones, and content other than text
    /// (images, code run by tools, browsing results).
    pub skipped_messages: usize,
}

impl Chat {
    /// Imports a Web+ export or ChatGPT's `conversations.json` as `user_id`'s conversations.
    #[tracing::instrument(skip(self, file), fields(bytes = file.len()), err(level = "info"))]
    pub async fn import(&self, user_id: &str, file: &[u8]) -> Result<ImportReport> {
        let drafts = parse(file)?;
        let mut skipped = 0;
        let mut conversations = Vec::new();
        for draft in drafts {
            let model = match draft.model {
                Some(m) if self.answers.catalog().resolve(&m, &Caller::user(user_id)).await.is_ok() => m,
                _ => self.default_model.to_string(),
            };
            let default_time = draft.created_at.unwrap_or_else(now_ms);
            let (messages, current, unreached) = arrange(draft.nodes, draft.current.as_deref(), default_time);
            skipped += draft.skipped + unreached;
            if messages.is_empty() {
                continue;
            }
            // A title too long for the field is cut to its limit; none at all gets a placeholder.
            let title = ConversationTitle::parse(&draft.title.trim().chars().take(200).collect::<String>())
                .map(|t| t.into_inner())
                .unwrap_or_else(|_| "Imported conversation".to_string());
            conversations.push(Ready {
                title,
                model,
                settings: draft.settings.as_ref().and_then(ChatSettings::to_json),
                created_at: draft.created_at.unwrap_or(messages[0].created_at),
                messages,
                current,
                archived: draft.archived,
            });
        }
        if conversations.is_empty() {
            return Err(Error::invalid(
                "file",
                "nothing to import: the file has no messages of a user or an assistant",
            ));
        }
        let imported: Vec<ImportedConversation<'_>> = conversations.iter().map(Ready::as_imported).collect();
        let rows = self.db.import_conversations(user_id, &imported).await?;
        Ok(ImportReport {
            conversations: rows
                .into_iter()
                .zip(&imported)
                .map(|(row, c)| (row.id, row.title, c.messages.len()))
                .collect(),
            skipped_messages: skipped,
        })
    }
}

/// A conversation ready to write: its messages in order, its model checked.
struct Ready {
    title: String,
    model: String,
    /// JSON, as `conversations.settings` holds it.
    settings: Option<String>,
    created_at: i64,
    messages: Vec<Arranged>,
    current: Option<usize>,
    archived: bool,
}

impl Ready {
    fn as_imported(&self) -> ImportedConversation<'_> {
        ImportedConversation {
            title: &self.title,
            model: &self.model,
            settings: self.settings.as_deref(),
            created_at: self.created_at,
            messages: self.messages.iter().map(Arranged::as_imported).collect(),
            current: self.current,
            archived: self.archived,
        }
    }
}

/// A conversation read from a file, before its messages are put in order.
struct Draft {
    title: String,
    model: Option<String>,
    settings: Option<ChatSettings>,
    created_at: Option<i64>,
    nodes: Vec<Node>,
    /// The key of the message ending the branch on show.
    current: Option<String>,
    /// Messages of the file left out (system, tool, hidden, not text).
    skipped: usize,
    /// Archived where it came from.
    archived: bool,
}

/// A message of a file (or a node without one, as ChatGPT's root is), by its key in the file.
struct Node {
    key: String,
    parent: Option<String>,
    /// Milliseconds since the Unix epoch, if the file says.
    created_at: Option<i64>,
    /// None: left out (its children follow the nearest message kept above it).
    kept: Option<Kept>,
}

struct Kept {
    role: MessageRole,
    content: String,
    model: Option<String>,
    status: MessageStatus,
    sources: Option<String>,
}

fn parse(file: &[u8]) -> Result<Vec<Draft>> {
    let first = file.iter().find(|b| !b.is_ascii_whitespace());
    let unreadable = |e: serde_json::Error| Error::invalid("file", format!("this file could not be read as JSON: {e}"));
    let drafts = match first {
        Some(b'[') => {
            let list: Vec<ChatGptConversation> = serde_json::from_slice(file).map_err(unreadable)?;
            list.into_iter().map(ChatGptConversation::into_draft).collect()
        }
        Some(b'{') => {
            let value: serde_json::Value = serde_json::from_slice(file).map_err(unreadable)?;
            if value.get("format").is_some() {
                let ours: ConversationFile = serde_json::from_value(value).map_err(unreadable)?;
                vec![ours.into_draft()?]
            } else if value.get("mapping").is_some() {
                let one: ChatGptConversation = serde_json::from_value(value).map_err(unreadable)?;
                vec![one.into_draft()]
            } else {
                return Err(not_a_conversation());
            }
        }
        _ => return Err(not_a_conversation()),
    };
    match drafts.len() {
        0 => Err(Error::invalid("file", "the file lists no conversations")),
        n if n > MAX_CONVERSATIONS => Err(Error::invalid(
            "file",
            format!("the file has {n} conversations; import at most {MAX_CONVERSATIONS} at a time (split the list)"),
        )),
        _ => Ok(drafts),
    }
}

fn not_a_conversation() -> Error {
    Error::invalid(
        "file",
        format!("expected a Web+ conversation export (\"format\": \"{FORMAT}\") or ChatGPT's conversations.json"),
    )
}

impl ConversationFile {
    fn into_draft(self) -> Result<Draft> {
        if self.format != FORMAT {
            return Err(not_a_conversation());
        }
        if self.version > FORMAT_VERSION {
            return Err(Error::invalid(
                "file",
                format!(
                    "this export was made by a newer Web+ (format version {}); update Web+ to import it",
                    self.version
                ),
            ));
        }
        let nodes: Vec<Node> = self
            .messages
            .into_iter()
            .map(|m| {
                let role = match m.role.as_str() {
                    "user" => Some(MessageRole::User),
                    "assistant" => Some(MessageRole::Assistant),
                    _ => None,
                };
                let status = match m.status.as_deref() {
                    None | Some("complete") => MessageStatus::Complete,
                    Some("stopped") => MessageStatus::Stopped,
                    Some("error") => MessageStatus::Error,
                    Some(_) => MessageStatus::Interrupted,
                };
                // Sources are kept only in the shape the chat shows them in.
                let sources = m
                    .sources
                    .and_then(|s| serde_json::from_value::<Vec<Source>>(s).ok())
                    .and_then(|s| serde_json::to_string(&s).ok());
                Node {
                    key: m.id,
                    parent: m.parent,
                    created_at: Some(m.created_at),
                    kept: role.map(|role| Kept { role, content: m.content, model: m.model, status, sources }),
                }
            })
            .collect();
        let skipped = nodes.iter().filter(|n: &&Node| n.kept.is_none()).count();
        Ok(Draft {
            archived: false,
            skipped,
            title: self.title,
            model: Some(self.model),
            settings: self.settings.and_then(|s| s.checked().ok()),
            created_at: Some(self.created_at),
            nodes,
            current: self.current,
        })
    }
}

/// One conversation of ChatGPT's `conversations.json`.
#[derive(Deserialize)]
struct ChatGptConversation {
    #[serde(default)]
    title: Option<String>,
    /// Seconds since the Unix epoch.
    #[serde(default)]
    create_time: Option<f64>,
    mapping: HashMap<String, ChatGptNode>,
    #[serde(default)]
    current_node: Option<String>,
    #[serde(default)]
    is_archived: Option<bool>,
}

#[derive(Deserialize)]
struct ChatGptNode {
    #[serde(default)]
    message: Option<ChatGptMessage>,
    #[serde(default)]
    parent: Option<String>,
}

#[derive(Deserialize)]
struct ChatGptMessage {
    author: ChatGptAuthor,
    #[serde(default)]
    create_time: Option<f64>,
    content: ChatGptContent,
    /// Who a message is for: `all` (the conversation) or a tool (`python`, `browser`, …).
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ChatGptAuthor {
    role: String,
}

#[derive(Deserialize)]
struct ChatGptContent {
    content_type: String,
    /// Strings, and objects for images and files (left out).
    #[serde(default)]
    parts: Vec<serde_json::Value>,
}

impl ChatGptConversation {
    fn into_draft(self) -> Draft {
        let millis = |seconds: Option<f64>| seconds.filter(|s| s.is_finite() && *s > 0.0).map(|s| (s * 1000.0) as i64);
        let mut skipped = 0;
        let mut nodes: Vec<Node> = self
            .mapping
            .into_iter()
            .map(|(key, node)| {
                let created_at = millis(node.message.as_ref().and_then(|m| m.create_time));
                let had_message = node.message.is_some();
                let kept = node.message.and_then(ChatGptMessage::kept);
                skipped += usize::from(had_message && kept.is_none());
                Node { key, parent: node.parent, created_at, kept }
            })
            .collect();
        // The mapping is an object: its order is not the conversation's. Time (then key) is.
        nodes.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
        Draft {
            archived: self.is_archived.unwrap_or(false),
            skipped,
            title: self.title.unwrap_or_default(),
            model: None,
            settings: None,
            created_at: millis(self.create_time),
            nodes,
            current: self.current_node,
        }
    }
}

impl ChatGptMessage {
    fn kept(self) -> Option<Kept> {
        let role = match self.author.role.as_str() {
            "user" => MessageRole::User,
            "assistant" => MessageRole::Assistant,
            _ => return None,
        };
        let meta = self.metadata.unwrap_or_default();
        let hidden = meta.get("is_visually_hidden_from_conversation").and_then(|v| v.as_bool()).unwrap_or(false);
        let to_tool = self.recipient.as_deref().is_some_and(|r| r != "all");
        if hidden || to_tool || !matches!(self.content.content_type.as_str(), "text" | "multimodal_text") {
            return None;
        }
        let content = self
            .content
            .parts
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        if content.trim().is_empty() {
            return None;
        }
        let model = meta.get("model_slug").and_then(|v| v.as_str()).map(str::to_string);
        Some(Kept { role, content, model, status: MessageStatus::Complete, sources: None })
    }
}

/// A message ready to write: its parent as an index into the list (always an earlier one).
struct Arranged {
    parent: Option<usize>,
    kept: Kept,
    created_at: i64,
}

impl Arranged {
    fn as_imported(&self) -> ImportedMessage<'_> {
        ImportedMessage {
            parent: self.parent,
            role: self.kept.role,
            content: &self.kept.content,
            model: self.kept.model.as_deref(),
            status: self.kept.status,
            sources: self.kept.sources.as_deref(),
            created_at: self.created_at,
        }
    }
}

/// Puts a file's messages in an order where each comes after the one it follows (a walk down
/// from the first messages, siblings oldest first), links each kept message to the nearest kept
/// one above it, and never makes a message older than its parent. Messages in a loop of parent
/// links, or under one, are never reached and are left out. Returns the messages, the index of
/// the one ending the branch on show (the nearest kept one at or above `current`; else the last),
/// and how many kept messages were never reached.
/// `default_time`: for messages whose file says no time (and nothing above them does).
fn arrange(nodes: Vec<Node>, current: Option<&str>, default_time: i64) -> (Vec<Arranged>, Option<usize>, usize) {
    let total_kept = nodes.iter().filter(|n| n.kept.is_some()).count();
    let keys: HashSet<&str> = nodes.iter().map(|n| n.key.as_str()).collect();
    let mut children: HashMap<Option<String>, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        // A parent that is not in the file: a first message.
        let parent = n.parent.clone().filter(|p| keys.contains(p.as_str()) && *p != n.key);
        children.entry(parent).or_default().push(i);
    }
    let mut nodes: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let mut out: Vec<Arranged> = Vec::new();
    let mut at_or_above: HashMap<String, Option<usize>> = HashMap::new();
    // (node, nearest kept message above it, the time it may not be before)
    let mut stack: Vec<(usize, Option<usize>, i64)> =
        children.get(&None).map(|r| r.iter().rev().map(|&i| (i, None, i64::MIN)).collect()).unwrap_or_default();
    while let Some((i, above, not_before)) = stack.pop() {
        let Some(node) = nodes[i].take() else { continue };
        let created_at = node.created_at.unwrap_or(if not_before == i64::MIN { default_time } else { not_before });
        let created_at = created_at.max(not_before);
        let here = match node.kept {
            Some(kept) => {
                out.push(Arranged { parent: above, kept, created_at });
                Some(out.len() - 1)
            }
            None => above,
        };
        if let Some(kids) = children.get(&Some(node.key.clone())) {
            stack.extend(kids.iter().rev().map(|&k| (k, here, created_at)));
        }
        at_or_above.insert(node.key, here);
    }
    let current = current.and_then(|c| at_or_above.get(c).copied().flatten()).or(out.len().checked_sub(1));
    let unreached = total_kept - out.len();
    (out, current, unreached)
}
