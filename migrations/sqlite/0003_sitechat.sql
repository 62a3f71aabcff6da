-- SiteChat: knowledge bases, their documents and chunks, ingestion jobs, and the knowledge bases
-- attached to conversations.

CREATE TABLE knowledge_bases (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    -- the embedder the vectors were made with ("local:all-minilm-l6-v2", "openai:…", "bedrock:…");
    -- changing it re-embeds every chunk
    embedding_model  TEXT NOT NULL,
    embedding_dims   INTEGER NOT NULL,
    -- set while the knowledge base is published for the widget; random, unrelated to `id`
    public_id        TEXT UNIQUE,
    -- origins (scheme://host[:port]) allowed to embed the widget, one per line
    allowed_origins  TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX knowledge_bases_owner ON knowledge_bases (owner_id, created_at DESC);

-- Read-only shares with other users.
CREATE TABLE knowledge_base_shares (
    kb_id       TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (kb_id, user_id)
);
CREATE INDEX knowledge_base_shares_user ON knowledge_base_shares (user_id);

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    kb_id         TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    source        TEXT NOT NULL CHECK (source IN ('file', 'web')),
    -- web: the page's final URL (unique per knowledge base); file: NULL
    url           TEXT,
    -- file: the uploaded name, for display only (the bytes live under the document id)
    file_name     TEXT,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    -- SHA-256 of the extracted text: a re-crawl skips unchanged pages
    content_hash  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    -- the crawl job that last saw this page; pages not seen by a complete re-crawl are removed
    seen_by_job   TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX documents_kb_url ON documents (kb_id, url) WHERE url IS NOT NULL;
CREATE INDEX documents_kb ON documents (kb_id, created_at);

CREATE TABLE chunks (
    -- the integer id is also the vector index label and the full-text rowid
    id            INTEGER PRIMARY KEY,
    document_id   TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kb_id         TEXT NOT NULL,
    ord           INTEGER NOT NULL,
    -- headings from the outermost down, joined with " › "
    heading_path  TEXT NOT NULL,
    text          TEXT NOT NULL,
    -- little-endian f32 × embedding_dims (the source of truth the index is rebuilt from)
    embedding     BLOB NOT NULL
);
CREATE INDEX chunks_kb ON chunks (kb_id, id);
CREATE INDEX chunks_document ON chunks (document_id, ord);

-- Keyword search (BM25). External content: the text lives once, in `chunks`.
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text, heading_path,
    content = 'chunks', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
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

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kb_id        TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    owner_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('crawl', 'upload', 'reembed')),
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    -- what was asked (JSON): start URL and limits, or the uploaded document ids
    params       TEXT NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0,
    chunks       INTEGER NOT NULL DEFAULT 0,
    -- JSON array of {"url", "error"}, user-facing text only, capped
    errors       TEXT NOT NULL DEFAULT '[]',
    -- why a job failed as a whole (user-facing)
    message      TEXT,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER
);
CREATE INDEX jobs_kb ON jobs (kb_id, created_at DESC);
CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('queued', 'running');

CREATE TABLE conversation_knowledge_bases (
    conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kb_id            TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, kb_id)
);

-- The passages an answer was given (JSON array), shown as its citations.
ALTER TABLE messages ADD COLUMN sources TEXT;
