-- Pipelines (the code factory): each save is a new version (the definition as JSON, format 1 of
-- docs/PIPELINES.md), and a run keeps the version it used. Each node's execution in a run is a
-- row: its inputs, outputs, status, attempts, times, and the tokens and cost of its model call
-- (the same record the usage ledger gets, surface 'pipeline').
-- Twin of migrations/postgres/0017_pipelines.sql.
CREATE TABLE pipelines (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX pipelines_owner ON pipelines (owner_id, updated_at);

CREATE TABLE pipeline_versions (
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    definition  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, version)
);

CREATE TABLE pipeline_runs (
    id          TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    inputs      TEXT NOT NULL,
    outputs     TEXT,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline_id, created_at);
CREATE INDEX pipeline_runs_running ON pipeline_runs (user_id) WHERE status = 'running';

CREATE TABLE pipeline_node_runs (
    run_id        TEXT NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    node_id       TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted')),
    attempts      INTEGER NOT NULL,
    inputs        TEXT,
    outputs       TEXT,
    error         TEXT,
    started_at    INTEGER,
    finished_at   INTEGER,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cost_nano_usd INTEGER,
    PRIMARY KEY (run_id, node_id)
);

-- The usage ledger records pipelines' model calls as surface 'pipeline'. SQLite cannot change a
-- CHECK constraint in place: the table is rebuilt with the same rows and indexes (0012 did the same).
CREATE TABLE usage_ledger_new (
    id                TEXT PRIMARY KEY,
    started_at        INTEGER NOT NULL,
    user_id           TEXT,
    api_key_id        TEXT,
    knowledge_base_id TEXT,
    conversation_id   TEXT,
    message_id        TEXT,
    surface           TEXT NOT NULL CHECK (surface IN ('chat', 'widget', 'api', 'ingest', 'pipeline')),
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
    cost_nano_usd, tokens_counted)
SELECT id, started_at, user_id, api_key_id, knowledge_base_id, conversation_id, message_id, surface,
    provider, model, outcome, input_tokens, output_tokens, ttft_ms, duration_ms, cost_nano_usd, tokens_counted
FROM usage_ledger;
DROP TABLE usage_ledger;
ALTER TABLE usage_ledger_new RENAME TO usage_ledger;
CREATE INDEX usage_ledger_user_time ON usage_ledger (user_id, started_at);
CREATE INDEX usage_ledger_time ON usage_ledger (started_at);
CREATE INDEX usage_ledger_conversation ON usage_ledger (conversation_id, message_id)
    WHERE conversation_id IS NOT NULL;
