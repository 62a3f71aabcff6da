//! Titles written by the model. A conversation is titled with its first question's first line
//! when it is asked; once the first reply has ended, the conversation's model is asked for a
//! short title of the exchange (through the one answer path, so the call is in the ledger as the
//! user's). It replaces the first-line title unless the user renamed the conversation meanwhile.
//! The reply's `done` event carries it, so the page and the sidebar show it at once.

use futures::{StreamExt, future::BoxFuture};

use super::Chat;
use crate::{
    answer::{AnswerRequest, Caller, Grounding, History, Params, Surface},
    domain::ConversationTitle,
    providers::{ChatEvent, ChatMessage, Role},
};

/// What the title is made from: the question and the start of the reply.
const QUESTION_CHARS: usize = 1_000;
const REPLY_CHARS: usize = 1_000;
/// Longest title kept (a model that rambles is cut at a word).
const TITLE_CHARS: usize = 60;

const INSTRUCTION: &str = "You write titles for conversations. Reply with a title of 2 to 6 words that says \
what the conversation is about, in the language of the question. No quotes, no punctuation at the end, \
nothing else.";

/// Run after a reply ends (its text given): the title written, if it was.
pub type AfterReply = Box<dyn FnOnce(String) -> BoxFuture<'static, Option<String>> + Send>;

/// What a title job needs to know about the first exchange.
pub(super) struct FirstExchange {
    pub user_id: String,
    pub conversation_id: String,
    pub model: String,
    pub question: String,
    /// The title the question gave; replaced only if it is still this.
    pub first_title: String,
}

impl Chat {
    /// The job that titles the conversation once its first reply has ended.
    pub(super) fn title_job(&self, first: FirstExchange) -> AfterReply {
        let chat = self.clone();
        Box::new(move |reply| Box::pin(async move { chat.write_title(first, &reply).await }))
    }

    async fn write_title(&self, first: FirstExchange, reply: &str) -> Option<String> {
        let FirstExchange { user_id, conversation_id, model, question, first_title } = first;
        let excerpt = |text: &str, n: usize| text.chars().take(n).collect::<String>();
        let exchange =
            format!("Question:\n{}\n\nAnswer:\n{}", excerpt(&question, QUESTION_CHARS), excerpt(reply, REPLY_CHARS));
        let request = AnswerRequest {
            caller: Caller::user(&user_id),
            surface: Surface::Chat,
            model,
            messages: vec![ChatMessage::new(Role::System, INSTRUCTION), ChatMessage::new(Role::User, exchange)],
            params: Params { max_tokens: Some(24), temperature: Some(0.2), ..Params::default() },
            grounding: Grounding::None,
            history: History::FitToWindow,
            style: None,
        };
        let written = async {
            let mut stream = self.answers.prepare(request).await.ok()?.start().await.ok()?;
            let mut text = String::new();
            while let Some(event) = stream.next().await {
                match event.ok()? {
                    ChatEvent::Delta(d) => text.push_str(&d),
                    ChatEvent::Finished { .. } => break,
                }
            }
            Some(text)
        };
        let Some(title) = written.await.as_deref().and_then(clean) else {
            tracing::info!(conversation = %conversation_id, "no title was written; the first line stays");
            return None;
        };
        match self.db.replace_title(&user_id, &conversation_id, &first_title, &title).await {
            Ok(true) => Some(title),
            Ok(false) => None,
            Err(e) => {
                tracing::warn!(error = %e, conversation = %conversation_id, "the written title could not be saved");
                None
            }
        }
    }
}

/// A model's answer as a title: its first non-empty line without Markdown marks, quotes, a
/// "Title:" label or a final full stop, at most 60 characters cut at a word. None when nothing
/// is left.
pub(super) fn clean(answer: &str) -> Option<String> {
    let line = answer.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line.trim_start_matches(['#', '*', '-', '>', ' ']);
    let line = ["Title:", "title:", "TITLE:"].iter().fold(line, |l, label| l.strip_prefix(label).unwrap_or(l));
    let quotes: &[char] = &['"', '\'', '“', '”', '‘', '’', '«', '»', '*', '`', '_'];
    let line = line.trim().trim_matches(quotes).trim().trim_end_matches(['.', '。']).trim();
    let mut title = String::new();
    for word in line.split_whitespace() {
        if title.chars().count() + word.chars().count() + 1 > TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        title = line.chars().take(TITLE_CHARS).collect();
    }
    ConversationTitle::parse(&title).ok().map(|t| t.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_models_answer_becomes_a_plain_title() {
        assert_eq!(clean("\n  **Title: \"Trip to Lisbon.\"**\nMore text").as_deref(), Some("Trip to Lisbon"));
        assert_eq!(clean("# Rust lifetimes explained").as_deref(), Some("Rust lifetimes explained"));
        assert_eq!(clean("“Choosing a plan”").as_deref(), Some("Choosing a plan"));
        let long = "word ".repeat(30);
        let t = clean(&long).unwrap();
        assert!(t.chars().count() <= 60 && !t.ends_with(' '), "{t:?}");
        assert_eq!(clean("  \n\n  "), None);
        assert_eq!(clean("\"\""), None);
    }
}
