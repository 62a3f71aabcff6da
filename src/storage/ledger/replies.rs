//! The usage of chat replies: a conversation's ledger rows summed per reply (the detail line under
//! each reply, and after a reload what the live stream showed).

use super::super::Db;
use crate::Result;

/// What one reply's model calls used (one call per reply today; summed if there are more).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplyUsage {
    pub message_id: String,
    /// The model that answered: its last call that did not fail (one whose model failed before
    /// answering was followed by a fallback's), else its last call.
    pub model: String,
    pub calls: i64,
    /// NULL when no call reported tokens (stopped or failed before the end).
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// The summed cost of its priced calls in billionths of a dollar; NULL when none was priced.
    pub cost_nano_usd: Option<i64>,
    /// Calls that used tokens but have no cost (their model's prices are unknown).
    pub unpriced_calls: i64,
    /// Calls whose tokens Web+ counted (the provider reported none): the line marks them `≈`.
    pub counted_calls: i64,
    /// Time to first token (the shortest of its calls').
    pub ttft_ms: Option<i64>,
    pub duration_ms: i64,
}

impl Db {
    /// The usage of `user_id`'s replies in one conversation (or of one reply in it), oldest first.
    /// Reads `usage_ledger_conversation` (migration 0010).
    #[tracing::instrument(skip(self), err)]
    pub async fn reply_usage(
        &self,
        user_id: &str,
        conversation_id: &str,
        message_id: Option<&str>,
    ) -> Result<Vec<ReplyUsage>> {
        // SUM is NUMERIC on PostgreSQL: cast back to a 64-bit integer on both databases. SUM of
        // only NULLs stays NULL (unknown), which is what the Option fields mean. The model is
        // read per reply by a subquery (the conversation is fixed by $1, so the grouped
        // `message_id` is all it correlates on, which both databases allow).
        let sql = format!(
            "SELECT message_id, \
             (SELECT a.model FROM usage_ledger a WHERE a.conversation_id = $1 AND a.message_id = u.message_id \
              ORDER BY CASE WHEN a.outcome = 'failed' THEN 1 ELSE 0 END, a.started_at DESC LIMIT 1) AS model, \
             COUNT(*) AS calls, \
             CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
             CAST(SUM(output_tokens) AS BIGINT) AS output_tokens, \
             CAST(SUM(cost_nano_usd) AS BIGINT) AS cost_nano_usd, \
             CAST(COALESCE(SUM(CASE WHEN cost_nano_usd IS NULL AND input_tokens IS NOT NULL THEN 1 ELSE 0 END), 0) \
             AS BIGINT) AS unpriced_calls, \
             CAST(SUM(tokens_counted) AS BIGINT) AS counted_calls, \
             CAST(MIN(ttft_ms) AS BIGINT) AS ttft_ms, \
             CAST(SUM(duration_ms) AS BIGINT) AS duration_ms \
             FROM usage_ledger u \
             WHERE conversation_id = $1 AND user_id = $2 AND message_id IS NOT NULL{} \
             GROUP BY message_id ORDER BY MIN(started_at), message_id",
            if message_id.is_some() { " AND message_id = $3" } else { "" }
        );
        let mut q = sqlx::query_as(&sql).bind(conversation_id).bind(user_id);
        if let Some(m) = message_id {
            q = q.bind(m);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }
}
