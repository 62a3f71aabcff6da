//! Messages as APIs without a system role want them (Anthropic's Messages, Bedrock's Converse):
//! the system text apart, and the rest as turns alternating between user and assistant.

use serde::{Serialize, ser::SerializeMap};

use super::{ChatMessage, Image, Role};

/// Between joined texts (system messages, or neighbouring turns of one role).
pub(super) const JOINER: &str = "\n\n";

/// One turn of the conversation (for Anthropic a string is the short form of one text block).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Turn {
    pub role: TurnRole,
    pub content: String,
    /// Shown to a vision model before the text.
    pub images: Vec<Image>,
}

impl Turn {
    #[cfg(test)]
    pub fn text(role: TurnRole, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), images: Vec::new() }
    }
}

/// Anthropic's form: `content` is the text alone, or with images the image blocks (base64
/// sources) followed by a text block.
impl Serialize for Turn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("role", &self.role)?;
        if self.images.is_empty() {
            map.serialize_entry("content", &self.content)?;
        } else {
            let blocks: Vec<serde_json::Value> = self
                .images
                .iter()
                .map(|image| {
                    serde_json::json!({
                        "type": "image",
                        "source": {"type": "base64", "media_type": image.media_type, "data": image.base64()},
                    })
                })
                .chain(std::iter::once(serde_json::json!({"type": "text", "text": self.content})))
                .collect();
            map.serialize_entry("content", &blocks)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum TurnRole {
    User,
    Assistant,
}

/// The system text (all system messages, in order, joined) and the turns of the rest, with
/// neighbours of one role joined. Empty messages are left out: both APIs refuse empty text, and
/// an interrupted reply can be one.
pub(super) fn split_system(messages: Vec<ChatMessage>) -> (Option<String>, Vec<Turn>) {
    let mut system: Vec<String> = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for message in messages.into_iter().filter(|m| !m.content.trim().is_empty()) {
        let role = match message.role {
            Role::System => {
                system.push(message.content);
                continue;
            }
            Role::User => TurnRole::User,
            Role::Assistant => TurnRole::Assistant,
        };
        match turns.last_mut() {
            Some(last) if last.role == role => {
                last.content.push_str(JOINER);
                last.content.push_str(&message.content);
                last.images.extend(message.images);
            }
            _ => turns.push(Turn { role, content: message.content, images: message.images }),
        }
    }
    let system = (!system.is_empty()).then(|| system.join(JOINER));
    (system, turns)
}
