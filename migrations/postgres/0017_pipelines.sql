-- Pipelines (the code factory): each save is a new version (the definition as JSON, format 1 of
-- docs/PIPELINES.md), and a run keeps the version it used. Each node's execution in a run is a
-- row: its inputs, outputs, status, attempts, times, and the tokens and cost of its model call
-- (the same record the usage ledger gets, surface 'pipeline').
-- Twin of migrations/sqlite/0017_pipelines.sql.
CREATE TABLE pipelines (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX pipelines_owner ON pipelines (owner_id, updated_at);

CREATE TABLE pipeline_versions (
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, version)
);

CREATE TABLE pipeline_runs (
    id          TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    inputs      TEXT NOT NULL,
    outputs     TEXT,
    error       TEXT,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline_id, created_at);
CREATE INDEX pipeline_runs_running ON pipeline_runs (user_id) WHERE status = 'running';

CREATE TABLE pipeline_node_runs (
    run_id        TEXT NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    node_id       TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted')),
    attempts      BIGINT NOT NULL,
    inputs        TEXT,
    outputs       TEXT,
    error         TEXT,
    started_at    BIGINT,
    finished_at   BIGINT,
    input_tokens  BIGINT,
    output_tokens BIGINT,
    cost_nano_usd BIGINT,
    PRIMARY KEY (run_id, node_id)
);

-- The usage ledger records pipelines' model calls as surface 'pipeline' (the SQLite twin rebuilds
-- the table to change its CHECK constraint).
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_surface_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_surface_check
    CHECK (surface IN ('chat', 'widget', 'api', 'ingest', 'pipeline'));
