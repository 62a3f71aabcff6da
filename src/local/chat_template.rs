//! SmolLM2's ChatML chat template.
//!
//! The GGUF carries the template as Jinja (`tokenizer.chat_template`). We do not run Jinja: we check
//! that the template is the ChatML shape we implement and take its default system prompt from it, so
//! a GGUF with a different template is refused instead of silently prompted wrongly.

use anyhow::bail;

use super::tokenizer::Tokenizer;
use crate::providers::{ChatMessage, Role};

/// The per-message part every ChatML template contains.
const CHATML_MESSAGE: &str = "'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>'";
const SYSTEM_START: &str = "<|im_start|>system\n";
const IM_START: &str = "<|im_start|>";
const IM_END: &str = "<|im_end|>";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTemplate {
    /// Used when the conversation does not start with a system message.
    pub default_system: Option<String>,
}

impl ChatTemplate {
    /// Reads the template text from GGUF metadata. Fails unless it is ChatML.
    pub fn from_jinja(template: &str) -> anyhow::Result<Self> {
        if !template.contains(CHATML_MESSAGE) || !template.contains("<|im_start|>assistant\n") {
            bail!("unsupported chat template (only ChatML is implemented): {template:.200}");
        }
        // SmolLM2: `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n...<|im_end|>\n' }}`
        let default_system = template.find(SYSTEM_START).and_then(|at| {
            let rest = &template[at + SYSTEM_START.len()..];
            rest.find(IM_END).map(|end| rest[..end].to_string())
        });
        Ok(Self { default_system })
    }

    /// The prompt as text, with the generation prompt `<|im_start|>assistant\n` at the end.
    pub fn render(&self, messages: &[ChatMessage]) -> String {
        let mut out = String::new();
        for (role, content) in self.turns(messages) {
            out.push_str(IM_START);
            out.push_str(role);
            out.push('\n');
            out.push_str(content);
            out.push_str(IM_END);
            out.push('\n');
        }
        out.push_str(IM_START);
        out.push_str("assistant\n");
        out
    }

    /// The prompt as token ids. Unlike tokenizing [`render`](Self::render)'s output, text inside a
    /// message never becomes a control token, so a user cannot close their turn and write a system
    /// message by typing `<|im_end|>`.
    pub fn encode(&self, tokenizer: &Tokenizer, messages: &[ChatMessage]) -> anyhow::Result<Vec<u32>> {
        let (Some(start), Some(end)) = (tokenizer.special_id(IM_START), tokenizer.special_id(IM_END)) else {
            bail!("the vocabulary lacks <|im_start|>/<|im_end|>");
        };
        let mut ids = Vec::new();
        for (role, content) in self.turns(messages) {
            ids.push(start);
            tokenizer.encode_plain(&format!("{role}\n{content}"), &mut ids)?;
            ids.push(end);
            tokenizer.encode_plain("\n", &mut ids)?;
        }
        ids.push(start);
        tokenizer.encode_plain("assistant\n", &mut ids)?;
        Ok(ids)
    }

    /// (role, content) pairs, with the default system prompt first when the template wants one.
    fn turns<'a>(&'a self, messages: &'a [ChatMessage]) -> impl Iterator<Item = (&'a str, &'a str)> {
        let default = match (messages.first().map(|m| m.role), &self.default_system) {
            (Some(Role::System), _) | (_, None) => None,
            (_, Some(system)) => Some(("system", system.as_str())),
        };
        default.into_iter().chain(messages.iter().map(|m| (m.role.as_str(), m.content.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verbatim from the SmolLM2-135M-Instruct GGUF's `tokenizer.chat_template`.
    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    #[test]
    fn the_default_system_prompt_comes_from_the_template() {
        let t = ChatTemplate::from_jinja(SMOLLM2).unwrap();
        assert_eq!(
            t.default_system.as_deref(),
            Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        );
    }

    #[test]
    fn a_conversation_without_system_gets_the_default_one() {
        let t = ChatTemplate::from_jinja(SMOLLM2).unwrap();
        let text = t.render(&[ChatMessage::new(Role::User, "Hi")]);
        assert_eq!(
            text,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n\
             <|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_given_system_message_replaces_the_default() {
        let t = ChatTemplate::from_jinja(SMOLLM2).unwrap();
        let text = t.render(&[
            ChatMessage::new(Role::System, "Be brief."),
            ChatMessage::new(Role::User, "Hi"),
            ChatMessage::new(Role::Assistant, "Hello!"),
            ChatMessage::new(Role::User, "Bye"),
        ]);
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n\
             <|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_non_chatml_template_is_refused() {
        assert!(ChatTemplate::from_jinja("{{ bos_token }}[INST] {{ message['content'] }} [/INST]").is_err());
    }
}
