-- The usage ledger also records the embedding calls of ingestion (surface 'ingest': uploads,
-- crawls and re-embedding, as the knowledge base owner's usage), and marks rows whose tokens Web+
-- counted because the provider reported none (tokens_counted = 1; src/providers/tokens.rs).
-- Twin of the SQLite migration (which rebuilds the table to change its CHECK constraint).
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_surface_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_surface_check
    CHECK (surface IN ('chat', 'widget', 'api', 'ingest'));
ALTER TABLE usage_ledger ADD COLUMN tokens_counted BIGINT NOT NULL DEFAULT 0;
