//! Exporting a conversation: JSON with every branch (the format `import` reads back, described in
//! docs/API.md), or Markdown of the branch on show.

use serde::{Deserialize, Serialize};

use super::{Chat, ChatSettings, ThreadMessage};
use crate::{Result, answer::Source, sitechat::HEADING_SEPARATOR, storage::MessageRow};

/// `format` of a Web+ conversation file.
pub const FORMAT: &str = "webplus.conversation";
/// Its version: a reader refuses a newer one.
pub const FORMAT_VERSION: u32 = 1;

/// A conversation as a file: all its messages (every branch), each naming the one it follows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationFile {
    pub format: String,
    pub version: u32,
    pub title: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ChatSettings>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The last message of the branch on show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// Oldest first; a message's parent comes before it.
    pub messages: Vec<FileMessage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileMessage {
    pub id: String,
    /// The message it follows (None: a first message).
    #[serde(default)]
    pub parent: Option<String>,
    /// `user` or `assistant`.
    pub role: String,
    pub content: String,
    /// The model that wrote a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `complete`, `stopped`, `error` or `interrupted` (a reply cut short says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The passages a grounded reply cites as `[n]` (the same objects as the chat's sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<serde_json::Value>,
}

/// A Markdown export: its file name (from the title) and text.
#[derive(Debug, Clone)]
pub struct MarkdownExport {
    pub file_name: String,
    pub text: String,
}

impl Chat {
    /// The whole conversation, every branch, as a [`ConversationFile`].
    pub async fn export_json(&self, user_id: &str, conversation_id: &str) -> Result<(String, ConversationFile)> {
        let (conv, tree) = self.tree(user_id, conversation_id).await?;
        let current = tree.shown_leaf(conv.current_leaf_id.as_deref()).map(str::to_string);
        let file = ConversationFile {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            settings: Some(ChatSettings::from_json(conv.settings.as_deref())).filter(|s| *s != ChatSettings::default()),
            title: conv.title.clone(),
            model: conv.model,
            created_at: conv.created_at,
            current,
            messages: tree.into_rows().into_iter().map(file_message).collect(),
        };
        Ok((file_name(&conv.title, "json"), file))
    }

    /// The branch on show as Markdown: a heading per message, a reply's sources listed under it.
    pub async fn export_markdown(&self, user_id: &str, conversation_id: &str) -> Result<MarkdownExport> {
        let (conv, tree) = self.tree(user_id, conversation_id).await?;
        let shown = tree.thread(tree.shown_leaf(conv.current_leaf_id.as_deref()));
        Ok(MarkdownExport { file_name: file_name(&conv.title, "md"), text: markdown(&conv.title, &shown) })
    }
}

fn file_message(m: MessageRow) -> FileMessage {
    let status = match m.status.as_str() {
        "complete" => None,
        // Exported while it was written: what was saved so far, cut short.
        "streaming" => Some("interrupted".to_string()),
        other => Some(other.to_string()),
    };
    FileMessage {
        sources: m.sources.as_deref().and_then(|s| serde_json::from_str(s).ok()),
        id: m.id,
        parent: m.parent_id,
        role: m.role,
        content: m.content,
        model: m.model,
        status,
        created_at: m.created_at,
    }
}

fn markdown(title: &str, shown: &[ThreadMessage]) -> String {
    let mut out = format!("# {}\n", title.trim());
    for m in shown {
        let heading = match (m.row.role.as_str(), m.row.model.as_deref()) {
            ("assistant", Some(model)) => format!("Assistant ({model})"),
            ("assistant", None) => "Assistant".to_string(),
            _ => "You".to_string(),
        };
        out.push_str(&format!("\n## {heading}\n\n{}\n", m.row.content.trim_end()));
        if let Some(sources) = m.row.sources.as_deref().and_then(|s| serde_json::from_str::<Vec<Source>>(s).ok())
            && !sources.is_empty()
        {
            out.push_str("\nSources:\n");
            for s in sources {
                let name = match s.heading_path.is_empty() {
                    true => s.title.clone(),
                    false => format!("{}{HEADING_SEPARATOR}{}", s.title, s.heading_path),
                };
                match s.url {
                    Some(url) => out.push_str(&format!("{}. [{name}]({url})\n", s.n)),
                    None => out.push_str(&format!("{}. {name}\n", s.n)),
                }
            }
        }
    }
    out
}

/// A file name from a title: ASCII letters, digits and dashes (safe in a `Content-Disposition`
/// header as it is), at most 60 characters.
fn file_name(title: &str, extension: &str) -> String {
    let mut name = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
        if name.chars().count() >= 60 {
            break;
        }
    }
    let name = name.trim_end_matches('-');
    format!("{}.{extension}", if name.is_empty() { "conversation" } else { name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_letters_and_digits_only() {
        assert_eq!(file_name("What does Team cost?", "md"), "what-does-team-cost.md");
        assert_eq!(file_name("../../etc/passwd", "json"), "etc-passwd.json");
        assert_eq!(file_name("\"; rm -rf /", "md"), "rm-rf.md");
        assert_eq!(file_name("???", "md"), "conversation.md");
        assert_eq!(file_name("Ünïcödé 日本 notes", "md"), "n-c-d-notes.md");
        assert!(file_name(&"long ".repeat(40), "md").len() <= 64);
    }
}
