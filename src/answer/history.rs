//! Fitting conversation history into a model's context window.

use crate::providers::{ChatMessage, ChatProvider, ProviderError, Role};

/// Keeps the most recent messages that fit in `context_window - reserve` tokens (as the provider
/// counts them), dropping the oldest first. Leading system messages (a conversation's system
/// prompt) and the newest message are always kept; if they alone are too long, that is an error
/// the user can act on.
pub fn fit_history(
    provider: &dyn ChatProvider,
    model: &str,
    mut messages: Vec<ChatMessage>,
    context_window: usize,
    reserve: usize,
) -> Result<Vec<ChatMessage>, ProviderError> {
    let pinned = messages.iter().take_while(|m| m.role == Role::System).count().min(messages.len().saturating_sub(1));
    let pinned_tokens = if pinned == 0 { 0 } else { provider.count_tokens(model, &messages[..pinned]) };
    let budget = context_window.saturating_sub(reserve).saturating_sub(pinned_tokens);
    // Binary search on how many of the other messages to drop: counting is the costly part for
    // long histories, and the token count only shrinks as messages are dropped.
    let fits = |skip: usize, msgs: &[ChatMessage]| provider.count_tokens(model, &msgs[pinned + skip..]) <= budget;
    if fits(0, &messages) {
        return Ok(messages);
    }
    let last = messages.len() - pinned - 1;
    if !fits(last, &messages) {
        let tokens = provider.count_tokens(model, &messages[pinned + last..]) + pinned_tokens;
        return Err(ProviderError::PromptTooLong { tokens: tokens + reserve, limit: context_window });
    }
    let (mut lo, mut hi) = (0, last); // !fits(lo) && fits(hi)
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid, &messages) { hi = mid } else { lo = mid }
    }
    messages.drain(pinned..pinned + hi);
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ChatRequest, ChatStream, ModelInfo, Role};

    /// Counts one token per character, so budgets are easy to reason about.
    struct CharCounter;

    #[async_trait::async_trait]
    impl ChatProvider for CharCounter {
        fn name(&self) -> &str {
            "test"
        }
        async fn models(&self) -> Vec<ModelInfo> {
            vec![]
        }
        async fn stream_chat(&self, _: ChatRequest) -> Result<ChatStream, ProviderError> {
            Err(ProviderError::Failed("unused".into()))
        }
        fn count_tokens(&self, _: &str, m: &[ChatMessage]) -> usize {
            m.iter().map(|m| m.content.len()).sum()
        }
    }

    fn msgs(lens: &[usize]) -> Vec<ChatMessage> {
        lens.iter().enumerate().map(|(i, n)| ChatMessage::new(Role::User, format!("{i}").repeat(*n))).collect()
    }

    #[test]
    fn history_that_fits_is_kept_whole() {
        assert_eq!(fit_history(&CharCounter, "m", msgs(&[10, 10, 10]), 100, 50).unwrap().len(), 3);
    }

    #[test]
    fn the_oldest_messages_are_dropped_first() {
        let kept = fit_history(&CharCounter, "m", msgs(&[30, 30, 30, 10]), 100, 50).unwrap();
        assert_eq!(kept.len(), 2);
        assert!(kept[0].content.starts_with('2') && kept[1].content.starts_with('3'));
    }

    #[test]
    fn the_system_prompt_is_kept_and_counted_when_older_messages_are_dropped() {
        let mut history = msgs(&[20, 20, 20, 10]);
        history.insert(0, ChatMessage::new(Role::System, "s".repeat(15)));
        let kept = fit_history(&CharCounter, "m", history.clone(), 100, 50).unwrap();
        assert_eq!(kept.iter().map(|m| m.content.len()).collect::<Vec<_>>(), [15, 20, 10]);
        assert_eq!(kept[0].role, Role::System);
        // The system prompt and the question alone are too long: an error, not a dropped prompt.
        let e = fit_history(&CharCounter, "m", history, 60, 50).unwrap_err();
        assert!(matches!(e, ProviderError::PromptTooLong { tokens: 75, limit: 60 }), "{e:?}");
    }

    #[test]
    fn a_newest_message_too_long_by_itself_is_an_error() {
        let e = fit_history(&CharCounter, "m", msgs(&[10, 80]), 100, 50).unwrap_err();
        assert!(matches!(e, ProviderError::PromptTooLong { limit: 100, .. }));
    }
}
