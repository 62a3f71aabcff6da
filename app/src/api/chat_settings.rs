//! A conversation's parameters panel: its system prompt, sampling parameters and answer style, and the user's
//! preset that new conversations start from (the engine's `webplus::chat::ChatSettings`).

use leptos::prelude::*;

use crate::{dto::ChatSettingsForm, error::AppError};

#[server(prefix = "/api", endpoint = "chat/settings", input = server_fn::codec::Json)]
pub async fn chat_settings(conversation_id: String) -> Result<ChatSettingsForm, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let settings = st.chat.settings(&me.user_id, &conversation_id).await.map_err(convert::to_app_error)?;
    Ok(form::show(&settings))
}

/// Saves the conversation's settings (its next question uses them); `for_new_chats` also makes
/// them the preset new conversations start from. Returns them as stored.
#[server(prefix = "/api", endpoint = "chat/save-settings", input = server_fn::codec::Json)]
pub async fn save_chat_settings(
    conversation_id: String,
    form: ChatSettingsForm,
    for_new_chats: bool,
) -> Result<ChatSettingsForm, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let settings = form::parse(&form).map_err(convert::to_app_error)?;
    let saved = st.chat.save_settings(&me.user_id, &conversation_id, settings).await.map_err(convert::to_app_error)?;
    if for_new_chats {
        st.chat.save_preset(&me.user_id, saved.clone()).await.map_err(convert::to_app_error)?;
    }
    Ok(form::show(&saved))
}

/// The panel's text as settings and back: blank is "not set"; what does not parse names its field.
#[cfg(feature = "ssr")]
mod form {
    use webplus::{
        Error,
        answer::{AnswerStyle, Params},
        chat::ChatSettings,
    };

    use crate::dto::ChatSettingsForm;

    fn number<T: std::str::FromStr>(field: &'static str, s: &str, what: &str) -> Result<Option<T>, Error> {
        Some(s.trim())
            .filter(|s| !s.is_empty())
            .map(|v| v.parse::<T>().map_err(|_| Error::invalid(field, format!("use {what}, or leave it blank"))))
            .transpose()
    }

    pub fn parse(f: &ChatSettingsForm) -> Result<ChatSettings, Error> {
        let decimal = "a number like 0.7";
        Ok(ChatSettings {
            system: Some(f.system.clone()),
            params: Params {
                max_tokens: number("max_tokens", &f.max_tokens, "a whole number of tokens")?,
                temperature: number("temperature", &f.temperature, decimal)?,
                top_p: number("top_p", &f.top_p, decimal)?,
                seed: number("seed", &f.seed, "a whole number")?,
                stop: f.stop.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                presence_penalty: number("presence_penalty", &f.presence_penalty, decimal)?,
                frequency_penalty: number("frequency_penalty", &f.frequency_penalty, decimal)?,
            },
            answer_style: match f.answer_style.as_str() {
                "" => None,
                "quote" => Some(AnswerStyle::Quote),
                "generate" => Some(AnswerStyle::Generate),
                _ => return Err(Error::invalid("answer_style", "pick quote, generate, or the model's way")),
            },
        })
    }

    pub fn show(s: &ChatSettings) -> ChatSettingsForm {
        fn text<T: ToString>(v: Option<T>) -> String {
            v.map(|v| v.to_string()).unwrap_or_default()
        }
        let p = &s.params;
        ChatSettingsForm {
            system: s.system.clone().unwrap_or_default(),
            temperature: text(p.temperature),
            top_p: text(p.top_p),
            max_tokens: text(p.max_tokens),
            stop: p.stop.join("\n"),
            seed: text(p.seed),
            presence_penalty: text(p.presence_penalty),
            frequency_penalty: text(p.frequency_penalty),
            answer_style: match s.answer_style {
                None => String::new(),
                Some(AnswerStyle::Quote) => "quote".into(),
                Some(AnswerStyle::Generate) => "generate".into(),
            },
        }
    }
}
