-- Chunk ids are never reused (as PostgreSQL's identity column never reuses them). Without
-- AUTOINCREMENT, SQLite gives a new row the largest id + 1, so deleting the newest chunks and
-- writing as many again handed out the same ids: an index saved before (vectors, keywords) then
-- matched the database's fingerprint (count, max id, sum of ids) while holding the old chunks'
-- content. SQLite cannot add AUTOINCREMENT to a table, so the table is rebuilt with its rows
-- (ids kept: the FTS5 rowids and the saved indexes stay valid).
CREATE TABLE chunks_new (
    -- the integer id is also the vector index label and the full-text rowid
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id   TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kb_id         TEXT NOT NULL,
    ord           INTEGER NOT NULL,
    -- headings from the outermost down, joined with " › "
    heading_path  TEXT NOT NULL,
    text          TEXT NOT NULL,
    -- little-endian f32 × embedding_dims (the source of truth the index is rebuilt from)
    embedding     BLOB NOT NULL
);
INSERT INTO chunks_new (id, document_id, kb_id, ord, heading_path, text, embedding)
    SELECT id, document_id, kb_id, ord, heading_path, text, embedding FROM chunks;
-- Its triggers go with it, before its rows (none fires); chunks_fts keeps its rows.
DROP TABLE chunks;
ALTER TABLE chunks_new RENAME TO chunks;
CREATE INDEX chunks_kb ON chunks (kb_id, id);
CREATE INDEX chunks_document ON chunks (document_id, ord);

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text, heading_path) VALUES (new.id, new.text, new.heading_path);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, heading_path) VALUES ('delete', old.id, old.text, old.heading_path);
END;
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text, heading_path ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, heading_path) VALUES ('delete', old.id, old.text, old.heading_path);
    INSERT INTO chunks_fts (rowid, text, heading_path) VALUES (new.id, new.text, new.heading_path);
END;
