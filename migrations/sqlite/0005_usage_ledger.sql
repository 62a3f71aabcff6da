-- The usage ledger: one row per model call, whoever made it (chat, the widget, /v1; later ingestion
-- embeddings and pipelines). Written in batches off the streaming path (src/ledger.rs).
-- No foreign keys: the ledger is a record of what happened and outlives the users, keys and
-- conversations it names.
-- Prices and costs arrive with the model catalog (a later migration adds their columns).
CREATE TABLE usage_ledger (
    id                TEXT PRIMARY KEY,
    -- When the call started (ms since the epoch; retrieval before the model counts).
    started_at        INTEGER NOT NULL,
    -- Who: a signed-in user (with the API key when one was used), or nobody for a widget visitor.
    user_id           TEXT,
    api_key_id        TEXT,
    -- What for: the published knowledge base a visitor asked, or the chat reply it wrote.
    knowledge_base_id TEXT,
    conversation_id   TEXT,
    message_id        TEXT,
    surface           TEXT NOT NULL CHECK (surface IN ('chat', 'widget', 'api')),
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('complete', 'cancelled', 'failed')),
    -- As the provider reported them; NULL when the call did not finish.
    input_tokens      INTEGER,
    output_tokens     INTEGER,
    -- Time to first token and the whole call, in ms from started_at.
    ttft_ms           INTEGER,
    duration_ms       INTEGER NOT NULL
);
CREATE INDEX usage_ledger_user_time ON usage_ledger (user_id, started_at);
CREATE INDEX usage_ledger_time ON usage_ledger (started_at);
