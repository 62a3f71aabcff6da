//! One conversation's usage, as its page shows it: each reply's, and the totals.

use super::Ledger;
use crate::{
    Result,
    answer::usage::UsageRecord,
    storage::{LedgerFilter, LedgerTotal, ReplyUsage},
};

/// What a conversation's replies used, each and together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationUsage {
    /// One per reply that made a model call, oldest first.
    pub replies: Vec<ReplyUsage>,
    /// The conversation's total (key "").
    pub total: LedgerTotal,
}

impl Ledger {
    /// `user_id`'s usage in one conversation. The caller has checked that the conversation is
    /// theirs (`Chat::usage`). Records queued before this call are stored first, so a reply that
    /// just ended is counted (the page reloaded right after it shows what the stream showed).
    pub async fn conversation_usage(&self, user_id: &str, conversation_id: &str) -> Result<ConversationUsage> {
        self.flush().await;
        let replies = self.db().reply_usage(user_id, conversation_id, None).await?;
        let filter = LedgerFilter {
            user_id: Some(user_id.to_owned()),
            conversation_id: Some(conversation_id.to_owned()),
            ..Default::default()
        };
        let total = self.db().ledger_totals(&filter, None).await?.into_iter().next().unwrap_or_else(empty_total);
        Ok(ConversationUsage { replies, total })
    }

    /// The usage of one reply (None: it made no model call, or none was recorded).
    pub async fn reply_usage(
        &self,
        user_id: &str,
        conversation_id: &str,
        message_id: &str,
    ) -> Result<Option<ReplyUsage>> {
        self.flush().await;
        Ok(self.db().reply_usage(user_id, conversation_id, Some(message_id)).await?.pop())
    }
}

/// Nothing used yet.
pub fn empty_total() -> LedgerTotal {
    LedgerTotal { key: String::new(), calls: 0, input_tokens: 0, output_tokens: 0, cost_nano_usd: 0, unpriced_calls: 0 }
}

impl ReplyUsage {
    /// A chat reply's usage as its one call recorded it: the same values the ledger will store
    /// and [`Ledger::conversation_usage`] read back. None for a call that wrote no reply.
    pub fn of(r: &UsageRecord) -> Option<Self> {
        let reply = r.reply.as_ref()?;
        Some(Self {
            message_id: reply.message_id.clone(),
            model: r.model.clone(),
            calls: 1,
            input_tokens: r.usage.map(|u| u.prompt_tokens.into()),
            output_tokens: r.usage.map(|u| u.completion_tokens.into()),
            cost_nano_usd: r.cost_nano_usd,
            unpriced_calls: i64::from(r.usage.is_some() && r.cost_nano_usd.is_none()),
            counted_calls: i64::from(r.usage.is_some_and(|u| u.counted)),
            ttft_ms: r.ttft_ms.map(|ms| ms as i64),
            duration_ms: r.elapsed_ms as i64,
        })
    }
}
