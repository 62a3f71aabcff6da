-- Conversations and their messages (twin of migrations/sqlite/0002_chat.sql; BIGINT integers).

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    model       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- The sidebar lists a user's conversations newest first, paged by (updated_at, id).
CREATE INDEX conversations_user_updated ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL,
    -- 'streaming' while a reply is generated; a crash leaves it so, and start-up marks it 'interrupted'
    status            TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'stopped', 'error', 'interrupted')),
    model             TEXT,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    -- user-facing reason when status = 'error' (never internal error text)
    error             TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
