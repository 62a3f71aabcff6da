-- Sign-up control (twin of migrations/sqlite/0004_signups.sql; BIGINT timestamps).

-- Settings changed from the UI or the CLI (not from webplus.toml: those need a restart). One row per
-- key rather than one column per setting, so a new setting needs no migration; the engine parses and
-- validates each value (an unreadable value falls back to the setting's default, with a warning).
-- Keys used: 'signup_mode' = 'open' | 'approval' | 'closed' (no row: 'approval').
CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- 'pending': signed up while approval was required; cannot log in until an admin approves.
-- Separate from `disabled` (an admin's decision to lock out an approved account). Existing
-- accounts are active.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending'));
CREATE INDEX users_status ON users (status);
