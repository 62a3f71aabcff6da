-- A conversation's page shows each reply's usage and the conversation's totals, read from the
-- ledger by conversation (src/storage/ledger/replies.rs). Twin of
-- migrations/sqlite/0010_ledger_conversation.sql. Without this index that read would scan all of
-- the owner's rows (usage_ledger_user_time) on every page load. Only chat rows name a
-- conversation, so the index leaves the widget's and the API's rows out.
CREATE INDEX usage_ledger_conversation ON usage_ledger (conversation_id, message_id)
    WHERE conversation_id IS NOT NULL;
