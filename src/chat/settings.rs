//! Chat settings: a conversation's system prompt, sampling parameters and answer style (quoted or
//! generated answers from its knowledge bases), and each user's preset
//! that new conversations start from (a copy: changing the preset later leaves existing
//! conversations as they are). Stored as JSON with only what was set; a parameter left out takes
//! the catalog model's default, then the provider's.

use serde::{Deserialize, Serialize};

use super::Chat;
use crate::{
    Error, Result,
    answer::{AnswerStyle, Params},
    providers::{ChatMessage, Role},
};

/// The longest system prompt, in characters (about 4,000 tokens).
pub const MAX_SYSTEM_CHARS: usize = 16_000;

/// What a conversation answers with, besides its model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatSettings {
    /// Sent first, as a system message, with every question of the conversation (kept when older
    /// history is dropped to fit the model's window).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Params::is_unset")]
    pub params: Params,
    /// How answers from the attached knowledge bases are made; None: the model's way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_style: Option<AnswerStyle>,
}

impl ChatSettings {
    /// Trims the system prompt (blank: none) and checks every value; the error names the field.
    pub fn checked(mut self) -> Result<Self> {
        self.system = self.system.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        if self.system.as_ref().is_some_and(|s| s.chars().count() > MAX_SYSTEM_CHARS) {
            return Err(Error::invalid(
                "system",
                format!("shorten the system prompt to at most {MAX_SYSTEM_CHARS} characters"),
            ));
        }
        self.params.check()?;
        Ok(self)
    }

    /// As stored: None when nothing is set.
    pub(super) fn to_json(&self) -> Option<String> {
        (*self != Self::default()).then(|| serde_json::to_string(self).expect("settings serialize"))
    }

    /// Stored settings; unreadable ones (never written by this code) count as none, with a warning.
    pub(super) fn from_json(json: Option<&str>) -> Self {
        json.map_or_else(Self::default, |j| {
            serde_json::from_str(j).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "stored chat settings are unreadable; using none");
                Self::default()
            })
        })
    }
}

impl Chat {
    /// The conversation's settings.
    pub async fn settings(&self, user_id: &str, conversation_id: &str) -> Result<ChatSettings> {
        Ok(ChatSettings::from_json(self.conversation(user_id, conversation_id).await?.settings.as_deref()))
    }

    /// Replaces the conversation's settings (the next question uses them); returns them as stored.
    pub async fn save_settings(
        &self,
        user_id: &str,
        conversation_id: &str,
        settings: ChatSettings,
    ) -> Result<ChatSettings> {
        let settings = settings.checked()?;
        if self.db.set_conversation_settings(user_id, conversation_id, settings.to_json().as_deref()).await? {
            Ok(settings)
        } else {
            Err(Error::NotFound("conversation"))
        }
    }

    /// The settings the user's new conversations start from (none saved: the defaults).
    pub async fn preset(&self, user_id: &str) -> Result<ChatSettings> {
        Ok(ChatSettings::from_json(self.db.chat_preset(user_id).await?.as_deref()))
    }

    /// Saves the settings the user's new conversations start from; returns them as stored.
    pub async fn save_preset(&self, user_id: &str, settings: ChatSettings) -> Result<ChatSettings> {
        let settings = settings.checked()?;
        self.db.set_chat_preset(user_id, settings.to_json().as_deref().unwrap_or("{}")).await?;
        Ok(settings)
    }

    /// The preset as a new conversation stores it.
    pub(super) async fn preset_json(&self, user_id: &str) -> Result<Option<String>> {
        Ok(self.preset(user_id).await?.to_json())
    }

    /// What a question is asked with: the system prompt (as the first message), the parameters
    /// and the answer style.
    pub(super) fn apply(settings: Option<&str>, messages: &mut Vec<ChatMessage>) -> (Params, Option<AnswerStyle>) {
        let ChatSettings { system, params, answer_style } = ChatSettings::from_json(settings);
        if let Some(system) = system {
            messages.insert(0, ChatMessage::new(Role::System, system));
        }
        (params, answer_style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_stored_with_only_what_is_set_and_checked_by_field() {
        assert_eq!(ChatSettings::default().to_json(), None);
        let s = ChatSettings {
            system: Some("  Be brief.  ".into()),
            params: Params { temperature: Some(0.5), ..Params::default() },
            answer_style: None,
        }
        .checked()
        .unwrap();
        assert_eq!(s.to_json().unwrap(), r#"{"system":"Be brief.","params":{"temperature":0.5}}"#);
        assert_eq!(ChatSettings::from_json(s.to_json().as_deref()), s);
        let blank = ChatSettings { system: Some(" \n ".into()), ..ChatSettings::default() }.checked().unwrap();
        assert_eq!(blank.system, None);

        let long = ChatSettings { system: Some("x".repeat(MAX_SYSTEM_CHARS + 1)), ..ChatSettings::default() };
        assert!(matches!(long.checked(), Err(Error::Invalid(v)) if v.field == "system"));
        let hot = ChatSettings { params: Params { temperature: Some(2.5), ..Params::default() }, ..Default::default() };
        assert!(matches!(hot.checked(), Err(Error::Invalid(v)) if v.field == "temperature"));
        assert_eq!(ChatSettings::from_json(Some("{not json")), ChatSettings::default());
        assert!(serde_json::from_str::<ChatSettings>(r#"{"sytem":"x"}"#).is_err());
    }
}
