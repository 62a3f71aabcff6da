-- The usage ledger also records the embedding calls of ingestion (surface 'ingest': uploads,
-- crawls and re-embedding, as the knowledge base owner's usage), and marks rows whose tokens Web+
-- counted because the provider reported none (tokens_counted = 1; src/providers/tokens.rs).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same rows and
-- indexes (twin of the PostgreSQL migration, which alters the constraint).
CREATE TABLE usage_ledger_new (
    id                TEXT PRIMARY KEY,
    started_at        INTEGER NOT NULL,
    user_id           TEXT,
    api_key_id        TEXT,
    knowledge_base_id TEXT,
    conversation_id   TEXT,
    message_id        TEXT,
    surface           TEXT NOT NULL CHECK (surface IN ('chat', 'widget', 'api', 'ingest')),
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('complete', 'cancelled', 'failed')),
    input_tokens      INTEGER,
    output_tokens     INTEGER,
    ttft_ms           INTEGER,
    duration_ms       INTEGER NOT NULL,
    cost_nano_usd     INTEGER,
    tokens_counted    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO usage_ledger_new (id, started_at, user_id, api_key_id, knowledge_base_id, conversation_id,
    message_id, surface, provider, model, outcome, input_tokens, output_tokens, ttft_ms, duration_ms,
    cost_nano_usd)
SELECT id, started_at, user_id, api_key_id, knowledge_base_id, conversation_id, message_id, surface,
    provider, model, outcome, input_tokens, output_tokens, ttft_ms, duration_ms, cost_nano_usd
FROM usage_ledger;
DROP TABLE usage_ledger;
ALTER TABLE usage_ledger_new RENAME TO usage_ledger;
CREATE INDEX usage_ledger_user_time ON usage_ledger (user_id, started_at);
CREATE INDEX usage_ledger_time ON usage_ledger (started_at);
CREATE INDEX usage_ledger_conversation ON usage_ledger (conversation_id, message_id)
    WHERE conversation_id IS NOT NULL;
