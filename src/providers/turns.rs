//! Messages as APIs without a system role want them (Anthropic's Messages, Bedrock's Converse):
//! the system text apart, and the rest as turns alternating between user and assistant.

use serde::Serialize;

use super::{ChatMessage, Role};

/// Between joined texts (system messages, or neighbouring turns of one role).
pub(super) const JOINER: &str = "\n\n";

/// One turn of the conversation (for Anthropic a string is the short form of one text block).
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(super) struct Turn {
    pub role: TurnRole,
    pub content: String,
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
            }
            _ => turns.push(Turn { role, content: message.content }),
        }
    }
    let system = (!system.is_empty()).then(|| system.join(JOINER));
    (system, turns)
}
