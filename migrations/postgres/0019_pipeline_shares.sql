-- A pipeline shared by its owner with another user: 'view' lets them open it (read-only) and
-- export it; 'run' also lets them run it (with their own models, knowledge bases and ledger).
-- Neither lets them edit, share or delete it. A user sees only the runs they started.
-- Twin of migrations/sqlite/0019_pipeline_shares.sql.
CREATE TABLE pipeline_shares (
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access      TEXT NOT NULL CHECK (access IN ('view', 'run')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, user_id)
);
CREATE INDEX pipeline_shares_user ON pipeline_shares (user_id);
CREATE INDEX pipeline_runs_user ON pipeline_runs (pipeline_id, user_id, created_at);
