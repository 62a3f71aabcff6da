-- Provider connections an administrator added (src/connections.rs): an OpenAI-compatible server,
-- Anthropic, AWS Bedrock or Ollama, each under a name that qualifies its model ids (`name/model`).
-- Connections declared in the settings are not stored here.
CREATE TABLE connections (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('openai', 'anthropic', 'bedrock', 'ollama')),
    name        TEXT NOT NULL UNIQUE,
    base_url    TEXT,
    region      TEXT,
    -- The API key sealed with AES-256-GCM under the server's connection key (never the key itself).
    api_key     BLOB,
    -- JSON array of the model ids offered; empty: whatever the server lists.
    models      TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
