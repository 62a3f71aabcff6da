//! Counting tokens a provider did not report (an OpenAI-compatible server that ignores
//! `stream_options.include_usage`, a reply stopped before its usage came): OpenAI's own BPE
//! vocabularies through tiktoken-rs, bundled in the crate. The ledger marks such rows as counted.

use super::ChatMessage;

/// Tokens OpenAI's chat format adds around each message, and to prime the reply.
const PER_MESSAGE: usize = 3;
const REPLY_PRIMING: usize = 3;

/// The vocabulary of `model` (its last path segment: `openai/gpt-4o` is `gpt-4o`): the one
/// tiktoken-rs maps it to, else o200k (GPT-4o and later), the nearest guess for other families.
fn bpe(model: &str) -> &'static tiktoken_rs::CoreBPE {
    let upstream = model.rsplit('/').next().unwrap_or(model);
    tiktoken_rs::bpe_for_model(upstream).unwrap_or_else(|_| tiktoken_rs::o200k_base_singleton())
}

/// The tokens of a chat prompt as OpenAI counts them (text plus the format's per-message tokens).
pub fn count_prompt(model: &str, messages: &[ChatMessage]) -> usize {
    let bpe = bpe(model);
    messages.iter().map(|m| PER_MESSAGE + bpe.encode_ordinary(&m.content).len()).sum::<usize>() + REPLY_PRIMING
}

/// The tokens of generated text.
pub fn count_text(model: &str, text: &str) -> usize {
    if text.is_empty() { 0 } else { bpe(model).encode_ordinary(text).len() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Role;

    #[test]
    fn counts_follow_the_models_vocabulary() {
        // "hello world" is two tokens in both cl100k (GPT-4) and o200k (GPT-4o).
        assert_eq!(count_text("gpt-4", "hello world"), 2);
        assert_eq!(count_text("openai/gpt-4o", "hello world"), 2);
        assert_eq!(count_text("some-llama", ""), 0);
        // A word the vocabularies split differently: the model's own one is used.
        let text = "Antidisestablishmentarianism, résumé, 東京";
        assert_ne!(count_text("gpt-4", text), count_text("gpt-4o", text));
        let prompt = [ChatMessage::new(Role::System, "Be brief."), ChatMessage::new(Role::User, "hello world")];
        assert_eq!(count_prompt("gpt-4o", &prompt), 3 + count_text("gpt-4o", "Be brief.") + 3 + 2 + 3);
    }
}
