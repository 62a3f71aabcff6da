-- Chat parameters (src/chat/settings.rs): a conversation's system prompt and sampling parameters,
-- each user's preset that new conversations start from, and the parameters a reply's provider did
-- not take (shown as a note under the reply). Settings are JSON: {"system": "...", "params": {...}}
-- with only what was set.

-- NULL: no settings (the model's defaults).
ALTER TABLE conversations ADD COLUMN settings TEXT;

-- Comma-separated parameter names that were not sent (NULL: all were).
ALTER TABLE messages ADD COLUMN dropped_params TEXT;

CREATE TABLE chat_presets (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    settings    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
