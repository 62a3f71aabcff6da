-- Accounts, sessions and API keys.
-- Ids are UUIDv7 text (time-ordered, unguessable, portable to PostgreSQL).
-- Timestamps are Unix milliseconds (INTEGER) so both databases compare them the same way.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    -- stored normalised (trimmed, lower-case), so UNIQUE is case-insensitive in effect
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- A session is one login: one family of rotating refresh tokens. Access JWTs carry the session id,
-- so revoking the session (logout, replay, disable) ends the JWTs too, not only the refresh tokens.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    user_agent  TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Refresh tokens are opaque; only their SHA-256 is stored. A token is used once: presenting a used
-- one again (replay) revokes its whole session.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- API keys: shown once, stored as SHA-256 (keys are 256-bit random, so a fast hash is enough).
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- first characters of the key, to tell keys apart in lists
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);
