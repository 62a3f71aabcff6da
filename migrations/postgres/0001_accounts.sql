-- Accounts, sessions and API keys: the PostgreSQL twin of migrations/sqlite/0001_accounts.sql.
-- Same tables, columns and constraints; only the types differ where PostgreSQL is stricter:
-- every integer the Rust code reads as i64 is BIGINT (an INTEGER column would not decode as i64),
-- and flags stay 0/1 BIGINT rather than BOOLEAN so the row structs are identical on both databases.
-- Ids are UUIDv7 text; timestamps are Unix milliseconds (BIGINT: past 2038 and beyond 2^31 ms).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    -- stored normalised (trimmed, lower-case), so UNIQUE is case-insensitive in effect
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    disabled      BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- A session is one login: one family of rotating refresh tokens. Access JWTs carry the session id,
-- so revoking the session (logout, replay, disable) ends the JWTs too, not only the refresh tokens.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    user_agent  TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Refresh tokens are opaque; only their SHA-256 is stored. A token is used once: presenting a used
-- one again (replay) revokes its whole session.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT
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
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);
